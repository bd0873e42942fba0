package cli

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/report"
)

// hostileGraph is a Graph reports endpoint that misbehaves the ways a
// hostile or broken service can: each report function gets one behaviour.
// Its download links carry their credential in the path (as Microsoft's
// documented https://reports.office.com/data/download/<credential> does),
// and its errors echo the bearer token back.
type hostileGraph struct {
	token string
	// cred is the credential each download link carries in its path.
	cred string
	api  *httptest.Server
	dl   *httptest.Server

	mu        sync.Mutex
	apiSeen   int // report calls that carried the token
	downloads int // download requests served
}

// The behaviours, by report short name: the report's Graph function answers
// as described.
const (
	hostilePathCredOK  = "skype-activity-counts"                    // 302 to a path-credential link; the CSV is fine
	hostilePathCred500 = "skype-activity-user-counts"               // 302 to a path-credential link that answers 500
	hostileBadLocation = "skype-organizer-activity-user-counts"     // 302 with Location http://[::1/dl?sig=…
	hostileBadEscape   = "skype-organizer-activity-minute-counts"   // 302 with Location https://h/%zz?sig=…
	hostileEcho401     = "skype-organizer-activity-counts"          // 401 whose message echoes "Bearer <token>"
	hostileEcho400     = "skype-participant-activity-counts"        // 400 whose plain-text body holds the token
	hostileCutBody     = "skype-participant-activity-user-counts"   // download without Content-Length, cut after 3 of 7 rows
	hostileNextLink    = "skype-participant-activity-minute-counts" // beta JSON whose @odata.nextLink leaves the Graph host, credential in the path
)

const activityHeader = "Report Refresh Date,Report Date,Report Period,Peer-to-peer,Organized,Participated"

// activityCSV is a D7 skype-activity-counts file refreshed the day before asOf.
func activityCSV() string {
	refresh := asOf.AddDate(0, 0, -1)
	var b strings.Builder
	b.WriteString(activityHeader + "\r\n")
	for i := 0; i < 7; i++ {
		fmt.Fprintf(&b, "%s,%s,7,%d,%d,%d\r\n", refresh.Format(time.DateOnly), refresh.AddDate(0, 0, -i).Format(time.DateOnly), 10+i, 20+i, 30+i)
	}
	return b.String()
}

func newHostileGraph(t *testing.T) *hostileGraph {
	t.Helper()
	h := &hostileGraph{token: "h0stile-t0ken-" + randomText(10), cred: "PathCred" + randomText(16)}
	h.dl = httptest.NewServer(http.HandlerFunc(h.serveDownload))
	t.Cleanup(h.dl.Close)
	h.api = httptest.NewServer(http.HandlerFunc(h.serveAPI))
	t.Cleanup(h.api.Close)
	return h
}

func (h *hostileGraph) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+h.token {
		http.Error(w, `{"error":{"code":"InvalidAuthenticationToken","message":"no token"}}`, http.StatusUnauthorized)
		return
	}
	h.mu.Lock()
	h.apiSeen++
	h.mu.Unlock()
	fn := r.URL.Path
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		fn = fn[i+1:]
	}
	fn, _, _ = strings.Cut(fn, "(")
	name := ""
	for _, s := range report.Default {
		if strings.EqualFold(fn, s.Function) {
			name = s.Name
		}
	}
	switch name {
	case hostilePathCredOK:
		http.Redirect(w, r, h.dl.URL+"/data/download/"+h.cred+"-ok", http.StatusFound)
	case hostilePathCred500:
		http.Redirect(w, r, h.dl.URL+"/data/download/"+h.cred+"-500", http.StatusFound)
	case hostileCutBody:
		http.Redirect(w, r, h.dl.URL+"/data/download/"+h.cred+"-cut", http.StatusFound)
	case hostileBadLocation:
		w.Header().Set("Location", "http://[::1/dl?sig="+h.cred+"-loc")
		w.WriteHeader(http.StatusFound)
	case hostileBadEscape:
		w.Header().Set("Location", "https://h/%zz?sig="+h.cred+"-esc")
		w.WriteHeader(http.StatusFound)
	case hostileEcho401:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure for Bearer %s (token %s)"}}`, h.token, h.token)
	case hostileEcho400:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "bad request from %s", h.token)
	case hostileNextLink:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"https://elsewhere.invalid/next/%s-next"}`, h.cred)
	default:
		http.Error(w, `{"error":{"code":"BadRequest","message":"unknown report"}}`, http.StatusBadRequest)
	}
}

func (h *hostileGraph) serveDownload(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.downloads++
	h.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "-ok"):
		w.Header().Set("Content-Type", "application/octet-stream")
		fmt.Fprint(w, activityCSV())
	case strings.HasSuffix(r.URL.Path, "-500"):
		http.Error(w, "internal error at "+r.URL.Path, http.StatusInternalServerError)
	case strings.HasSuffix(r.URL.Path, "-cut"):
		// No Content-Length: the connection closes after 3 of 7 rows.
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		lines := strings.SplitAfter(activityCSV(), "\r\n")
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
		fmt.Fprint(buf, strings.Join(lines[:4], ""))
		buf.Flush()
	default:
		http.NotFound(w, r)
	}
}

func (h *hostileGraph) counts() (api, downloads int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.apiSeen, h.downloads
}

// TestHostileServersLeakNoSecret runs every fault of graph-sim, then a
// hostile Graph and download server of its own (credentials in the download
// path, malformed Location headers, errors that echo the token, a cut body,
// a nextLink off the Graph host), at debug level in both log formats, with a
// database password holding '@'. It then searches stdout, stderr and every
// column of every table in the schemas for the bearer token, the download
// credentials and the database password: none may be there.
//
// The scenarios are independent (each has its own clock and --force), so
// they run concurrently, in a few lanes: each lane runs its share one after
// the other on a schema of its own (a run holds its schema's lock).
func TestHostileServersLeakNoSecret(t *testing.T) {
	t.Parallel()
	const lanes = 4
	var schemas []*bundle
	for range lanes {
		schemas = append(schemas, setup(t))
	}
	b := schemas[0]
	simToken := "s1m-t0ken-" + randomText(10)
	dbPassword := "Pa55@" + randomText(10)
	escapedDB, _ := withPassword(t, b.url, dbPassword) // the password percent-encoded: it connects
	// The same password as people paste it, '@' unescaped.
	rawDB := strings.Replace(escapedDB, url.UserPassword("postgres", dbPassword).String(), "postgres:"+dbPassword, 1)
	if rawDB == escapedDB {
		t.Fatal("could not build the database URL with a raw '@' in its password")
	}
	hostile := newHostileGraph(t)

	type scenario struct {
		name string
		db   string
		args []string
		// wantFailure: exit 0 is an error.
		wantFailure bool
		clock       *fakeclock.Clock
		sim         *graphsim.Server // graph-sim's, whose download links hold credentials
	}
	var scenarios []scenario

	// Every fault graph-sim has, on every request of the two organizer
	// reports, and each once.
	for _, kind := range graphsim.FaultKinds {
		for _, times := range []int{0, -1} {
			clock := fakeclock.New(asOf)
			sim := simOn(t, clock, graphsim.Options{Token: simToken, Faults: []graphsim.Fault{{Kind: kind, Times: times}}})
			scenarios = append(scenarios, scenario{name: fmt.Sprintf("graph-sim fault %s times %d", kind, times), db: escapedDB, clock: clock, sim: sim,
				args: append([]string{"--graph-url", sim.URL(), "--access-token", simToken}, organizerReports...)})
		}
	}

	// The hostile server, one report a behaviour, on v1.0 CSV; then the
	// nextLink on beta JSON.
	csvReports := []string{hostilePathCredOK, hostilePathCred500, hostileBadLocation, hostileBadEscape, hostileEcho401, hostileEcho400, hostileCutBody}
	for _, rep := range csvReports {
		scenarios = append(scenarios, scenario{name: "hostile " + rep, db: escapedDB, wantFailure: rep != hostilePathCredOK,
			args: []string{"--graph-url", hostile.api.URL, "--access-token", hostile.token, "--report", rep}})
	}
	scenarios = append(scenarios, scenario{name: "hostile " + hostileNextLink, db: escapedDB,
		args: []string{"--graph-url", hostile.api.URL, "--access-token", hostile.token, "--api-version", "beta", "--format", "json", "--report", hostileNextLink}})
	// The same run with the raw '@' database URL, whatever becomes of it.
	scenarios = append(scenarios, scenario{name: "raw database URL", db: rawDB,
		args: []string{"--graph-url", hostile.api.URL, "--access-token", hostile.token, "--report", hostilePathCredOK}})
	// And one that cannot reach the database at all.
	deadRaw := strings.Replace(rawDB, "@"+hostPort(t, escapedDB)+"/", "@127.0.0.1:1/", 1)
	if deadRaw == rawDB {
		t.Fatal("could not point the raw database URL at a dead port")
	}
	scenarios = append(scenarios, scenario{name: "dead raw database URL", db: deadRaw,
		args: []string{"--graph-url", hostile.api.URL, "--access-token", hostile.token, "--report", hostilePathCredOK}})

	// run runs sc in both log formats on lane's schema and returns what it
	// printed.
	run := func(sc scenario, lane *bundle) string {
		clock := sc.clock
		if clock == nil {
			clock = fakeclock.New(asOf)
		}
		var out strings.Builder
		for _, format := range []string{"json", "text"} {
			var so, se strings.Builder
			full := append([]string{"ingest", "run", "--database-url", sc.db, "--schema", lane.schema, "--log-level", "debug", "--log-format", format,
				"--tenant-id", tenant, "--force", "--max-retry-wait", "30s"}, sc.args...)
			code := Main(withHooks(context.Background(), hooks{clock: clock}), full, &so, &se, "test")
			if code != ExitOK && code != ExitFailed && code != ExitUsage {
				t.Errorf("%s (%s logs): exit %d", sc.name, format, code)
			}
			if code == ExitOK && sc.wantFailure {
				t.Errorf("%s (%s logs): exit 0", sc.name, format)
			}
			fmt.Fprintf(&out, "== %s (%s): exit %d\n%s%s", sc.name, format, code, so.String(), se.String())
		}
		return out.String()
	}
	// Scenario i runs in lane i % lanes; outputs[i] is what it printed.
	outputs := make([]string, len(scenarios))
	var wg sync.WaitGroup
	for l, lane := range schemas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := l; i < len(scenarios); i += lanes {
				outputs[i] = run(scenarios[i], lane)
			}
		}()
	}
	wg.Wait()
	out := strings.Join(outputs, "")

	var simCreds []string
	for _, sc := range scenarios {
		if sc.sim == nil {
			continue
		}
		for _, r := range sc.sim.DownloadRequests() {
			simCreds = append(simCreds, r.Path[strings.LastIndexByte(r.Path, '/')+1:])
			simCreds = append(simCreds, mustQuery(t, r.Query)["sig"]...)
		}
	}
	if len(simCreds) == 0 {
		t.Fatal("no scenario reached graph-sim's download host")
	}
	if api, dl := hostile.counts(); api == 0 || dl == 0 {
		t.Fatalf("the hostile server saw %d report calls and %d downloads: the scenarios did not reach it", api, dl)
	}
	for i, sc := range scenarios {
		if sc.name == "hostile "+hostilePathCredOK {
			if got := schemas[i%lanes].scalar(t, `SELECT count(*) FROM S.skype_activity_counts`); got != "7" {
				t.Errorf("the path-credential report loaded %s rows, want 7: the check would not see its URL", got)
			}
		}
	}

	secrets := map[string]string{
		"bearer token (graph-sim)":        simToken,
		"bearer token (hostile)":          hostile.token,
		"download path credential":        hostile.cred,
		"database password":               dbPassword,
		"database password (after the @)": dbPassword[strings.IndexByte(dbPassword, '@')+1:],
		"database password (escaped)":     url.PathEscape(dbPassword),
	}
	for i, c := range simCreds {
		if len(c) >= 8 {
			secrets[fmt.Sprintf("graph-sim download credential %d", i)] = c
		}
	}
	for _, lane := range schemas {
		tables := allTableText(t, lane.schema)
		for what, s := range secrets {
			for table, text := range tables {
				if strings.Contains(text, s) || strings.Contains(text, hex.EncodeToString([]byte(s))) {
					t.Errorf("table %s.%s holds the %s %q", lane.schema, table, what, s)
				}
			}
		}
	}
	for what, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("stdout or stderr holds the %s %q", what, s)
		}
	}
	if t.Failed() {
		t.Logf("what the runs printed:\n%s", out)
	}
}

// allTableText renders every row of every table in schema as text, keyed by
// table name.
func allTableText(t *testing.T, schema string) map[string]string {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 5 {
		t.Fatalf("schema %s has only the tables %v", schema, names)
	}
	out := map[string]string{}
	for _, n := range names {
		var s string
		q := fmt.Sprintf(`SELECT coalesce(string_agg(x::text, E'\n'), '') FROM %s.%s x`, pgx.Identifier{schema}.Sanitize(), pgx.Identifier{n}.Sanitize())
		if err := pool.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[n] = s
	}
	return out
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
