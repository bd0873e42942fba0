package graphsim_test

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"

	"github.com/m365ingest/ingest/internal/graphsim"
)

func Example() {
	sim, err := graphsim.Start("127.0.0.1:0", "127.0.0.1:0", graphsim.Options{})
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	// Graph answers 302; stop there and fetch the preauthenticated link with
	// a plain request, without the token.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", sim.URL()+"/v1.0/reports/getSkypeForBusinessOrganizerActivityMinuteCounts(period='D7')", nil)
	req.Header.Set("Authorization", "Bearer sim-token")
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	resp, err = http.Get(resp.Header.Get("Location"))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan()
	fmt.Println(strings.TrimPrefix(lines.Text(), "\uFEFF"))
	n := 0
	for lines.Scan() {
		n++
	}
	fmt.Println(n, "rows")
	// Output:
	// 302 Found
	// Report Refresh Date,Report Date,Report Period,Audio/Video,Dial-in Microsoft,Dial-out Microsoft
	// 7 rows
}
