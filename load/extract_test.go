package load

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/m365ingest/ingest/report"
)

func TestETagStore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if e, err := b.db.ETag(ctx, "t1", "r", "D7"); err != nil || e != nil {
		t.Fatalf("empty store: %v, %v", e, err)
	}
	for _, tag := range []string{`"a"`, `"b"`} {
		if err := b.db.SaveETag(ctx, b.run, "t1", "r", "D7", StoredETag{ETag: tag, Format: report.CSV}); err != nil {
			t.Fatal(err)
		}
	}
	if e, err := b.db.ETag(ctx, "t1", "r", "D7"); err != nil || e == nil || e.ETag != `"b"` || e.Format != report.CSV {
		t.Fatalf("ETag = %+v, %v; want the last saved", e, err)
	}
	for _, other := range [][3]string{{"t2", "r", "D7"}, {"t1", "s", "D7"}, {"t1", "r", "D30"}} {
		if e, _ := b.db.ETag(ctx, other[0], other[1], other[2]); e != nil {
			t.Errorf("%v has the ETag of (t1, r, D7)", other)
		}
	}
}

func TestAttemptsAndBudget(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	of := AttemptsOf{RunID: b.run, TenantID: "t1", Report: "r", Period: "D7", Format: report.CSV}
	err := b.db.RecordAttempts(ctx, of, []Attempt{
		{Phase: "graph", URL: "https://graph/x", SentAt: now.Add(-20 * time.Minute), Status: 429, Wait: 3 * time.Second},
		{Phase: "graph", URL: "https://graph/x", SentAt: now.Add(-time.Minute), Status: 302},
		{Phase: "download", URL: "https://dl/y?REDACTED", SentAt: now.Add(-time.Minute), Error: "connect postgres://u:hunter2@h/db"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var seq, waits, nulls int
	var errText string
	if err := b.db.Pool.QueryRow(ctx, `SELECT sum(seq), sum(wait_ms), count(*) FILTER (WHERE http_status IS NULL), max(error) FROM fetch_attempts`).Scan(&seq, &waits, &nulls, &errText); err != nil {
		t.Fatal(err)
	}
	if seq != 6 || waits != 3000 || nulls != 1 || strings.Contains(errText, "hunter2") {
		t.Errorf("seq sum %d, waits %d, null statuses %d, error %q", seq, waits, nulls, errText)
	}
	recent, err := b.db.RecentGraphRequests(ctx, "t1", now.Add(-10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := recent[report.BudgetKey{Report: "r", Format: report.CSV}]; len(recent) != 1 || len(got) != 1 || !got[0].Equal(now.Add(-time.Minute)) {
		t.Errorf("recent = %v; want the one Graph request of the last 10 minutes", recent)
	}
}

func TestStorePayloadBeforeLoad(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	p := &Payload{SHA256: strings.Repeat("ab", 32), Body: []byte("x,y\n"), ContentType: "text/csv", Format: report.CSV}
	for range 2 {
		if err := b.db.StorePayload(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	body, ct, err := b.db.PayloadBody(ctx, p.SHA256)
	if err != nil || string(body) != "x,y\n" || ct != "text/csv" {
		t.Fatalf("PayloadBody = %q %q %v", body, ct, err)
	}
}
