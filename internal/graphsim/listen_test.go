package graphsim

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestNonLoopbackRefused: an address that is not loopback (a wildcard, an
// empty host, a routable IP) is refused with ErrNotLoopback unless
// Options.AllowNonLoopback is set, and refused before anything listens:
// 192.0.2.1 (TEST-NET-1) is on no interface, so listening would fail with
// a different error.
func TestNonLoopbackRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, api, dl, bad string }{
		{"API wildcard", "0.0.0.0:0", "", `API address "0.0.0.0:0"`},
		{"API empty host", ":0", "", `API address ":0"`},
		{"API IPv6 wildcard", "[::]:0", "", `API address "[::]:0"`},
		{"API routable", "192.0.2.1:8765", "", `API address "192.0.2.1:8765"`},
		{"download wildcard", "", "0.0.0.0:0", `download address "0.0.0.0:0"`},
		{"download routable", "127.0.0.1:0", "192.0.2.1:8766", `download address "192.0.2.1:8766"`},
	} {
		srv, err := Start(tc.api, tc.dl, Options{})
		if err == nil {
			srv.Close()
			t.Errorf("%s: Start(%q, %q) succeeded, want ErrNotLoopback", tc.name, tc.api, tc.dl)
			continue
		}
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("%s: Start(%q, %q) = %v, want ErrNotLoopback", tc.name, tc.api, tc.dl, err)
		}
		if !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("%s: error %q does not name %s", tc.name, err, tc.bad)
		}
	}
}

// TestAllowNonLoopbackServes: with AllowNonLoopback a loopback address still
// works (the test listens on 127.0.0.1 only) and serves a report end to end.
func TestAllowNonLoopbackServes(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{AllowNonLoopback: true})
	if !strings.HasPrefix(b.srv.URL(), "http://127.0.0.1:") || !strings.HasPrefix(b.srv.DownloadURL(), "http://localhost:") {
		t.Fatalf("URL %s, DownloadURL %s: want 127.0.0.1 and localhost", b.srv.URL(), b.srv.DownloadURL())
	}
	resp, body := get(t, http.DefaultClient, reportURL(b.srv, "v1.0", userCounts, "D7"), "sim-token")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Report Refresh Date") {
		t.Fatalf("status %s, body %.80q", resp.Status, body)
	}
}

// TestWildcardURLsNameLoopback: a listener on a wildcard address accepts
// loopback connections too, so the URLs handed out (the API base and every
// download link) name loopback, which a client in the same network
// namespace reaches and accepts over plain http; "0.0.0.0" or "::" in a link
// would reach nothing.
func TestWildcardURLsNameLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr    *net.TCPAddr
		api, dl string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8765}, "127.0.0.1:8765", "localhost:8765"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8766}, "127.0.0.1:8766", "localhost:8766"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, "127.0.0.1:1", "localhost:1"},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 2}, "10.1.2.3:2", "10.1.2.3:2"},
	} {
		if got := reachable(tc.addr).String(); got != tc.api {
			t.Errorf("API URL host for %s = %s, want %s", tc.addr, got, tc.api)
		}
		if got := downloadHost(reachable(tc.addr)); got != tc.dl {
			t.Errorf("download host for %s = %s, want %s", tc.addr, got, tc.dl)
		}
	}
}
