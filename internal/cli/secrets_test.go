package cli

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
)

// sigQuery matches a download URL's signature in any rendering.
var sigQuery = regexp.MustCompile(`sig=|se=20|%3Fsig|data/download/[0-9a-f]+\?[^R]`)

// TestNoSecretsInLogsOrErrors runs the app at --log-level debug through
// successes and failures (retries, truncation, expired links, a rejected
// secret, a 401, an unreachable database) and checks that neither the
// client secret, the bearer token, a download URL's query string nor the
// database password appears on stdout, stderr (every log line and the
// error) or in the audit tables.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := newAuthority(t)
	a.secret = "cl1ent-s3cret-" + randomText(6)
	const staticToken = "st4tic-t0ken-value"

	// The database URL carries a password (the local server trusts the
	// connection, so it is never checked; it must still never be shown).
	dbURL, dbPassword := withPassword(t, b.url, "db-p4ssword-"+randomText(4))
	deadDB := strings.Replace(dbURL, "127.0.0.1:5432", "127.0.0.1:1", 1)
	if deadDB == dbURL {
		u, _ := url.Parse(dbURL)
		u.Host = "127.0.0.1:1"
		deadDB = u.String()
	}

	type scenario struct {
		name     string
		opts     graphsim.Options
		token    string // the token graph-sim accepts
		args     []string
		db       string
		wantCode int
	}
	viaSecret := []string{"--auth", "client-secret", "--authority-host", a.srv.URL, "--client-id", clientID, "--client-secret", a.secret}
	scenarios := []scenario{
		{"retries, truncation, expiry", graphsim.Options{Faults: []graphsim.Fault{
			{Kind: graphsim.Fault429}, {Kind: graphsim.FaultTruncate, Report: minuteReport}, {Kind: graphsim.FaultExpire, Report: userReport}}},
			a.token, viaSecret, dbURL, ExitOK},
		{"download URL expired every time", graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.FaultExpire, Times: -1}}},
			a.token, viaSecret, dbURL, ExitFailed},
		{"download truncated, no tries left", graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.FaultTruncate, Times: -1}}},
			a.token, append(viaSecret, "--max-attempts", "1"), dbURL, ExitFailed},
		{"secret rejected", graphsim.Options{}, a.token,
			[]string{"--auth", "client-secret", "--authority-host", a.srv.URL, "--client-id", clientID, "--client-secret", a.secret + "-but-wrong"}, dbURL, ExitUsage},
		{"401 on a static token", graphsim.Options{Faults: []graphsim.Fault{{Kind: graphsim.Fault401, Times: -1}}},
			staticToken, []string{"--access-token", staticToken}, dbURL, ExitUsage},
		{"database unreachable", graphsim.Options{}, staticToken, []string{"--access-token", staticToken}, deadDB, ExitFailed},
	}
	secrets := []string{a.secret, a.token, staticToken, dbPassword}
	// The scenarios are independent: they run at once, in lanes of a schema
	// each (a run holds its schema's lock), scenario i in lane i % lanes.
	const lanes = 3
	schemas := []*bundle{b}
	for len(schemas) < lanes {
		schemas = append(schemas, setup(t))
	}
	clocks := make([]*fakeclock.Clock, len(scenarios))
	sims := make([]*graphsim.Server, len(scenarios))
	for i, sc := range scenarios {
		clocks[i] = fakeclock.New(asOf)
		sc.opts.Token = sc.token
		sims[i] = simOn(t, clocks[i], sc.opts)
	}
	var wg sync.WaitGroup
	for l, lane := range schemas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := l; i < len(scenarios); i += lanes {
				sc, clock, sim := scenarios[i], clocks[i], sims[i]
				for _, format := range []string{"json", "text"} {
					var out, errOut bytes.Buffer
					// --force: the scenarios of a lane share a schema, and the
					// stored ETags would make them 304.
					args := append([]string{"ingest", "run", "--database-url", sc.db, "--schema", lane.schema, "--log-level", "debug", "--log-format", format,
						"--graph-url", sim.URL(), "--tenant-id", tenant, "--force"}, sc.args...)
					code := Main(withHooks(context.Background(), hooks{clock: clock, authTransport: a.srv.Client()}), args, &out, &errOut, "test")
					if code != sc.wantCode {
						t.Errorf("%s (%s logs): exit %d, want %d\n%s", sc.name, format, code, sc.wantCode, errOut.String())
					}
					all := out.String() + errOut.String()
					if strings.Count(errOut.String(), "\n") < 2 && sc.wantCode != ExitUsage {
						t.Errorf("%s: suspiciously few debug lines:\n%s", sc.name, all)
					}
					for _, s := range secrets {
						if strings.Contains(all, s) {
							t.Errorf("%s (%s logs): output holds the secret %q:\n%s", sc.name, format, s, all)
						}
					}
					if m := sigQuery.FindString(all); m != "" {
						t.Errorf("%s (%s logs): output holds a download signature (%q):\n%s", sc.name, format, m, all)
					}
				}
			}
		}()
	}
	wg.Wait()
	var audits []string
	for _, lane := range schemas {
		audits = append(audits, lane.scalar(t, `SELECT concat_ws(' ',
		(SELECT string_agg(coalesce(error, '') || source || coalesce(etag, ''), ' ') FROM S.report_fetches),
		(SELECT string_agg(url || coalesce(error, ''), ' ') FROM S.fetch_attempts),
		(SELECT string_agg(coalesce(error, ''), ' ') FROM S.ingest_runs))`))
	}
	audit := strings.Join(audits, " ")
	for _, s := range secrets {
		if strings.Contains(audit, s) {
			t.Errorf("the audit tables hold the secret %q", s)
		}
	}
	if m := sigQuery.FindString(audit); m != "" {
		t.Errorf("the audit tables hold a download signature (%q)", m)
	}
	if !strings.Contains(audit, "/[redacted sha256:") {
		t.Error("the audit has no redacted download URL: the scenarios did not reach the download")
	}
}

// withPassword returns raw with a password in it, and the password (the
// one already there, if any).
func withPassword(t *testing.T, raw, pw string) (string, string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return raw, p
	}
	name := "postgres"
	if u.User != nil && u.User.Username() != "" {
		name = u.User.Username()
	}
	u.User = url.UserPassword(name, pw)
	return u.String(), pw
}
