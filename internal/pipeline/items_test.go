package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/m365ingest/ingest/internal/fakeclock"
	"github.com/m365ingest/ingest/internal/graphsim"
	"github.com/m365ingest/ingest/internal/pgtest"
	"github.com/m365ingest/ingest/internal/pipeline"
	"github.com/m365ingest/ingest/transform"
)

// TestOneFailingReportDoesNotStopTheOther: a report whose payload has a bad
// cell fails whole (nothing of it lands), the other loads, and the run
// fails with one line naming report, line, column and value; report_fetches
// records both. Neither the token nor the download URL's signature appears
// in what the run wrote or recorded.
func TestOneFailingReportDoesNotStopTheOther(t *testing.T) {
	t.Parallel()
	w := newWarehouse(t)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/v1.0/reports/", func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(rw, "no", http.StatusUnauthorized)
			return
		}
		which := "good"
		if strings.Contains(r.URL.Path, "UserCounts") {
			which = "bad"
		}
		http.Redirect(rw, r, srv.URL+"/download/"+which+"?sig=s3cr3t", http.StatusFound)
	})
	mux.HandleFunc("/download/good", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, minuteWeek("2026-11-21", "2026-11-21", 1))
	})
	mux.HandleFunc("/download/bad", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprint(rw, "Report Refresh Date,Report Date,Report Period,IM,Audio/Video,App Sharing,Web,Dial-in/out 3rd Party,Dial-in/out Microsoft\r\n"+
			"2026-11-21,2026-11-21,7,1,2,3,4,5,6\r\n2026-11-21,2026-11-20,7,1,2,n/a,4,5,6\r\n")
	})
	clock := fakeclock.New(asOf)
	o := &outputs{}
	p := runPlan(t, graphAt(srv.URL, "tok", clock, o, 2), clock, userReport, minuteReport)
	err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
	if err == nil {
		t.Fatalf("Execute succeeded, want the bad report's failure\n%s", o.all())
	}
	for _, want := range []string{"1 of 2 reports failed", userReport, "line 3", `"App Sharing"`, `"n/a"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var te *transform.Error
	if !errors.As(err, &te) || te.Line != 3 || te.Column != "App Sharing" || te.Value != "n/a" {
		t.Errorf("error %v: want a *transform.Error at line 3, App Sharing, n/a", err)
	}
	if n := w.rows(t, "skype_organizer_activity_user_counts"); n != "0" {
		t.Errorf("failed report left %s rows", n)
	}
	if n := w.rows(t, "skype_organizer_activity_minute_counts"); n != "7" {
		t.Errorf("good report has %s rows, want 7", n)
	}
	if s := w.scalar(t, `SELECT string_agg(report || ':' || outcome, ',' ORDER BY report) FROM S.report_fetches`); s != minuteReport+":loaded,"+userReport+":failed" {
		t.Errorf("report_fetches = %s", s)
	}
	if got, want := w.scalar(t, `SELECT status || ':' || error FROM S.ingest_runs`), "failed:"+err.Error(); got != want {
		t.Errorf("ingest_runs = %s\nwant          %s", got, want)
	}
	for _, secret := range []string{"s3cr3t", "Bearer tok"} {
		if strings.Contains(o.all()+err.Error(), secret) {
			t.Errorf("what the run wrote holds %q:\n%s", secret, o.all())
		}
		for _, table := range []string{"ingest_runs", "report_fetches", "fetch_attempts"} {
			if n := w.scalar(t, `SELECT count(*) FROM S.`+table+` x WHERE x::text LIKE '%' || $1 || '%'`, secret); n != "0" {
				t.Errorf("%s rows of %s hold %q", n, table, secret)
			}
		}
	}
}

// TestOneFailingFileDoesNotStopTheOthers: of three files, the middle one
// fails to parse; the files before and after it load, nothing of the bad
// one lands (not even its payload), the run fails naming it, and
// report_fetches records all three in order.
func TestOneFailingFileDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	w := newWarehouse(t)
	newer := writeFile(t, "newer.csv", minuteWeek("2026-11-21", "2026-11-21", 100))
	// A whole week but for a bad cell in its third line: its first rows
	// would land were the file not refused whole.
	bad := writeFile(t, "bad.csv", strings.Replace(minuteWeek("2026-11-07", "2026-11-07", 900), "2026-11-06,7,901,", "2026-11-06,7,n/a,", 1))
	older := writeFile(t, "older.csv", minuteWeek("2026-11-14", "2026-11-14", 500))
	clock := fakeclock.New(asOf)
	o := &outputs{}
	p := filePlan(t, clock, newer, bad, older)
	err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
	var te *transform.Error
	if !errors.As(err, &te) || te.Source != bad || te.Line != 3 || te.Value != "n/a" || !strings.HasPrefix(err.Error(), "1 of 3 files failed; first: ") {
		t.Fatalf("Execute: %v; want 1 of 3 files failed, at %s line 3", err, bad)
	}
	if got := w.scalar(t, `SELECT count(*) || ':' || min(report_date) || ':' || max(report_date) FROM S.skype_organizer_activity_minute_counts`); got != "14:2026-11-08:2026-11-21" {
		t.Errorf("rows:oldest:newest = %s, want the two good weeks only", got)
	}
	if got, want := w.scalar(t, `SELECT string_agg(source || ':' || outcome, ',' ORDER BY fetch_id) FROM S.report_fetches`),
		newer+":loaded,"+bad+":failed,"+older+":loaded"; got != want {
		t.Errorf("report_fetches = %s\nwant             %s", got, want)
	}
	if n := w.rows(t, "payloads"); n != "2" {
		t.Errorf("%s payloads kept, want 2 (a refused file is not kept)", n)
	}
	if got, want := w.scalar(t, `SELECT status || ':' || error FROM S.ingest_runs`), "failed:"+err.Error(); got != want {
		t.Errorf("ingest_runs = %s\nwant          %s", got, want)
	}
}

// TestMigrateFailureIsRecorded: when the migration fails (here a table
// sits where a view goes), the run fails naming it, is recorded as failed
// with the reason, loads nothing and calls nobody.
func TestMigrateFailureIsRecorded(t *testing.T) {
	t.Parallel()
	w := migrated(t)
	daily := pgx.Identifier{w.schema, "skype_organizer_daily"}.Sanitize()
	if _, err := pgtest.Pool(t).Exec(context.Background(), `DROP VIEW `+daily+` CASCADE; CREATE TABLE `+daily+` (x int)`); err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New(asOf)
	sim := startSim(t, clock, graphsim.Options{})
	o := &outputs{}
	p := runPlan(t, graphAt(sim.URL(), simToken, clock, o, 2), clock, userReport, minuteReport)
	err := pipeline.Execute(t.Context(), o.env(), w.connect(t), p.Plan)
	if err == nil || !strings.Contains(err.Error(), "skype_organizer_daily") {
		t.Fatalf("Execute: %v; want the migration's failure naming skype_organizer_daily", err)
	}
	if got, want := w.scalar(t, `SELECT string_agg(command || ':' || period || ':' || status || ':' || error, ',') FROM S.ingest_runs`),
		"run:D7:failed:"+err.Error(); got != want {
		t.Errorf("ingest_runs = %s\nwant          %s", got, want)
	}
	askedNobody(t, p, sim)
	for _, table := range []string{"report_fetches", "skype_organizer_activity_user_counts", "skype_organizer_activity_minute_counts"} {
		if n := w.rows(t, table); n != "0" {
			t.Errorf("%s has %s rows, want none", table, n)
		}
	}
}
