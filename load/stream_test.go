package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

const detailHeader = "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Has Other Action,Report Period\r\n"

// detailCSV is a Teams user activity detail file of n users for a day, with
// calls a function of the user and extra.
func detailCSV(n, extra int, concealed bool) string {
	var b strings.Builder
	b.WriteString(detailHeader)
	for i := range n {
		id, upn := fmt.Sprintf("6b1d0000-0000-4000-8000-%012d", i), fmt.Sprintf("user%05d@contoso.com", i)
		if concealed {
			sum := sha256.Sum256([]byte(upn))
			id, upn = report.NilGUID, strings.ToUpper(hex.EncodeToString(sum[:16]))
		}
		fmt.Fprintf(&b, "2026-11-20,%s,%s,2026-11-19,False,,TEAMS+E3,%d,0,%d,1,No,1\r\n", id, upn, i%5, (i+extra)%3)
	}
	return b.String()
}

func detailSpec(t *testing.T) *report.Spec {
	t.Helper()
	for _, s := range report.DetailReports {
		if s.Function == "getTeamsUserActivityUserDetail" {
			return s
		}
	}
	t.Fatal("no spec")
	return nil
}

func (b *bundle) stream(t *testing.T, spec *report.Spec, date string, body string, batch int) (*Fetch, Counts) {
	t.Helper()
	f := &Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test.csv", AskedDate: day(date)}
	c, _, err := b.db.LoadStream(context.Background(), f, Stream{Body: strings.NewReader(body), Format: report.CSV,
		Parse: transform.Options{Source: "test.csv", Date: day(date), BatchRows: batch}})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func (b *bundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := b.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := detailSpec(t)
	ctx := context.Background()
	body := detailCSV(2500, 0, false)

	// A new day goes straight in, batch by batch, the payload stored
	// compressed in chunks.
	f, c := b.stream(t, spec, "2026-11-18", body, 1000)
	if c.Parsed != 2500 || c.Inserted != 2500 || c.Updated != 0 {
		t.Fatalf("first load %+v", c)
	}
	sum := sha256.Sum256([]byte(body))
	if f.Payload.SHA256 != hex.EncodeToString(sum[:]) || f.Payload.Size != int64(len(body)) {
		t.Errorf("payload %s of %d bytes; want the body's sha256 and %d bytes", f.Payload.SHA256, f.Payload.Size, len(body))
	}
	got, _, err := b.db.PayloadBody(ctx, f.Payload.SHA256)
	if err != nil || string(got) != body {
		t.Fatalf("stored payload differs from the body (%d of %d bytes): %v", len(got), len(body), err)
	}
	if n := b.count(t, `SELECT count(*) FROM teams_user_activity_user_detail WHERE report_date = '2026-11-18' AND report_period = 1 AND NOT concealed`); n != 2500 {
		t.Errorf("%d rows for the day, want 2500", n)
	}
	if n := b.count(t, `SELECT count(*) FROM report_fetches WHERE asked_date = '2026-11-18' AND concealed = false AND NOT concealment_changed AND rows_inserted = 2500 AND bytes = $1`, len(body)); n != 1 {
		t.Errorf("fetch not recorded with its date, concealment and counts")
	}

	// The same payload again: unchanged, stored once.
	_, c = b.stream(t, spec, "2026-11-18", body, 1000)
	if c.Inserted != 0 || c.Updated != 0 || c.Unchanged != 2500 {
		t.Errorf("reload %+v, want all unchanged", c)
	}
	if n := b.count(t, `SELECT count(*) FROM payload_chunks`); n != 1 {
		t.Errorf("%d chunks after loading one payload twice, want 1", n)
	}

	// The day restated: merged, the old versions kept.
	_, c = b.stream(t, spec, "2026-11-18", detailCSV(2500, 1, false), 700)
	if c.Updated != 2500 || c.Restated != 2500 || c.Inserted != 0 {
		t.Errorf("restatement %+v", c)
	}

	// Concealed names: other entities, kept apart, flagged.
	f, c = b.stream(t, spec, "2026-11-19", detailCSV(10, 0, true), 1000)
	if c.Inserted != 10 || f.Concealed == nil || !*f.Concealed || !f.ConcealmentChanged {
		t.Errorf("concealed load %+v concealed %v changed %v", c, f.Concealed, f.ConcealmentChanged)
	}
	if n := b.count(t, `SELECT count(*) FROM teams_user_activity_user_detail WHERE concealed AND user_id IS NULL AND entity_key ~ '^[0-9A-F]{32}$'`); n != 10 {
		t.Errorf("%d concealed rows keyed by the hash, want 10", n)
	}
	if n := b.count(t, `SELECT count(*) FROM report_fetches WHERE concealment_changed`); n != 1 {
		t.Errorf("%d fetches flagged as a concealment change, want 1", n)
	}
}

func TestLoadStreamAllOrNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := detailSpec(t)
	ctx := context.Background()
	// A bad cell after two batches were copied: nothing lands.
	body := detailCSV(2500, 0, false) + "2026-11-20,,late@contoso.com,yesterday,False,,,0,0,0,0,No,1\r\n"
	f := &Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "bad.csv"}
	_, _, err := b.db.LoadStream(ctx, f, Stream{Body: strings.NewReader(body), Format: report.CSV,
		Parse: transform.Options{Source: "bad.csv", Date: day("2026-11-18"), BatchRows: 1000}})
	if err == nil || !strings.Contains(err.Error(), "line 2502") || !strings.Contains(err.Error(), "Last Activity Date") {
		t.Fatalf("want an error naming line 2502 and the column, got %v", err)
	}
	for _, table := range []string{"teams_user_activity_user_detail", "payload_chunks", "payloads", "report_fetches"} {
		if n := b.count(t, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d rows in %s after a failed load", n, table)
		}
	}
	// An entity twice, straight in and staged alike.
	dup := detailCSV(1500, 0, false) + "2026-11-20,6b1d0000-0000-4000-8000-000000000003,user00003@contoso.com,,False,,,0,0,0,0,No,1\r\n"
	for _, date := range []string{"2026-11-10", "2026-11-10"} {
		_, _, err = b.db.LoadStream(ctx, &Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "dup.csv"},
			Stream{Body: strings.NewReader(dup), Format: report.CSV, Parse: transform.Options{Source: "dup.csv", Date: day(date), BatchRows: 1000}})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "6b1d0000-0000-4000-8000-000000000003") || !strings.Contains(err.Error(), "dup.csv") {
			t.Errorf("an entity twice: want an error naming it and the payload, got %v", err)
		}
		// Load it once cleanly so that the second round is staged.
		b.stream(t, spec, date, detailCSV(1500, 0, false), 1000)
	}
	_ = time.Now
}

// TestLoadStreamDuration: a streamed payload's fetch record says how long
// the fetch and its load took, from Stream.Started to the end of the load
// (the download and the load are one stream: the time of either alone is
// not to be had).
func TestLoadStreamDuration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := detailSpec(t)
	f := &Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "test.csv", AskedDate: day("2026-11-18")}
	started := time.Now().Add(-2 * time.Second)
	if _, _, err := b.db.LoadStream(context.Background(), f, Stream{Body: strings.NewReader(detailCSV(10, 0, false)), Format: report.CSV,
		Parse: transform.Options{Source: "test.csv", Date: day("2026-11-18")}, Started: started}); err != nil {
		t.Fatal(err)
	}
	if n := b.count(t, `SELECT duration_ms FROM report_fetches`); n < 2000 || n > 60_000 {
		t.Errorf("duration_ms %d, want the time since Started (2 s and a little)", n)
	}
}

// endlessRows is a detail CSV body that never ends; it calls cancel once
// it has given after bytes.
type endlessRows struct {
	head   string
	i, n   int
	after  int
	cancel func()
	buf    []byte
}

func (e *endlessRows) Read(p []byte) (int, error) {
	if len(e.buf) == 0 {
		if e.head != "" {
			e.buf, e.head = []byte(e.head), ""
		} else {
			e.buf = fmt.Appendf(nil, "2026-11-20,6b1d0000-0000-4000-8000-%012d,user%07d@contoso.com,2026-11-19,False,,TEAMS,1,0,1,1,No,1\r\n", e.i, e.i)
			e.i++
		}
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	if e.n += n; e.n >= e.after && e.cancel != nil {
		e.cancel()
		e.cancel = nil
	}
	return n, nil
}

// TestLoadStreamLoaderFails: when Postgres fails mid-payload (here the
// run's context ends while rows are still arriving, from a body that never
// ends), the reader of the body stops too, LoadStream returns the error and
// nothing lands.
func TestLoadStreamLoaderFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := detailSpec(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := &endlessRows{head: detailHeader, after: 400 << 10, cancel: cancel}
	_, _, err := b.db.LoadStream(ctx, &Fetch{RunID: b.run, TenantID: "t1", Report: spec, Source: "endless.csv"},
		Stream{Body: body, Format: report.CSV, Parse: transform.Options{Source: "endless.csv", Date: day("2026-11-18"), BatchRows: 500}})
	// The loader's error, whichever way pgx words a cancelled COPY (the
	// context's error, or the connection it closed), never the reader's
	// "load stopped".
	if err == nil || errors.Is(err, errStopped) || !strings.Contains(err.Error(), "copy rows") && !errors.Is(err, context.Canceled) {
		t.Fatalf("want the loader's error, got %v", err)
	}
	for _, table := range []string{"teams_user_activity_user_detail", "payload_chunks", "payloads", "report_fetches"} {
		if n := b.count(t, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d rows in %s after a failed load", n, table)
		}
	}
}

// TestLoadStreamSamePayloadAtOnce: two tenants load byte-identical payloads
// (a header-only file is the same for every tenant and day) at the same
// time. The second finds no stored payload, stores its chunks, and its
// insert of the payload waits on the first's; when the first commits, the
// second loads too, its own chunks dropped (else their foreign key to a
// payload row that is not theirs fails at commit).
func TestLoadStreamSamePayloadAtOnce(t *testing.T) {
	b := setup(t)
	spec := detailSpec(t)
	ctx := context.Background()
	body := detailCSV(3, 0, false)
	sum := sha256.Sum256([]byte(body))
	sha := hex.EncodeToString(sum[:])

	// The first load, between its insert of the payload and its commit.
	first, err := b.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	var pid uint32
	if err := first.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Exec(ctx, `INSERT INTO payloads (sha256, body, bytes, format) VALUES ($1, $2, $3, 'csv')`, sha, []byte(body), len(body)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f := &Fetch{RunID: b.run, TenantID: "t2", Report: spec, Source: "same.csv", AskedDate: day("2026-11-18")}
		_, _, err := b.db.LoadStream(ctx, f, Stream{Body: strings.NewReader(body), Format: report.CSV,
			Parse: transform.Options{Source: "same.csv", Date: day("2026-11-18")}})
		done <- err
	}()
	// Wait (a poll with a deadline) until the second load waits on the first.
	for deadline := time.Now().Add(30 * time.Second); ; {
		var waiting bool
		if err := b.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid)))`, int32(pid)).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the second load ended (%v) without waiting for the first", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second load never waited on the first's payload")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the second load failed: %v", err)
	}
	if n := b.count(t, `SELECT count(*) FROM payload_chunks`); n != 0 {
		t.Errorf("%d chunks kept of a payload stored by another load", n)
	}
	if n := b.count(t, `SELECT count(*) FROM teams_user_activity_user_detail WHERE tenant_id = 't2'`); n != 3 {
		t.Errorf("%d rows of the second load, want 3", n)
	}
}
