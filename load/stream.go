package load

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/m365ingest/ingest/report"
	"github.com/m365ingest/ingest/transform"
)

// Stream is a payload read as it arrives, for LoadStream.
type Stream struct {
	Body        io.Reader
	ContentType string
	Format      report.Format
	// Parse tells transform what it reads (Source, Date, Period,
	// Concealment, Now); its Batch is LoadStream's.
	Parse transform.Options
	// Started is when the fetch began: the fetch's duration_ms runs from it
	// to the end of the load, which a streamed payload cannot tell apart
	// from its download. Zero keeps Fetch.Duration as it is.
	Started time.Time
}

// chunkBytes is how much compressed payload LoadStream gathers before it
// writes a payload_chunks row: small, since the buffer it fills and the
// copy handed to the loader are part of the load's memory.
const chunkBytes = 256 << 10

// LoadStream loads a payload of a detail report (report.Detail) as it
// reads it, in one transaction, in memory bounded whatever its size: the
// body is hashed and stored gzip-compressed as it streams (payload_chunks),
// parsed a batch of rows at a time (transform.Options.Batch), and each
// batch copied (COPY) straight into the report's table while the tenant
// has no row of the payload's day there, else into the staging table that
// the upsert merges from at the end, as Upsert's statement does (the same
// rule, row_history, counts). The fetch is recorded with the payload's
// concealment and whether it changed since the last payload loaded of the
// tenant's report; the run lock is checked before commit. Either all of it
// commits or none of it does.
//
// f.Payload is set to what was stored (sha256, size) when it returns,
// whether or not the load succeeded, so that a failure can be recorded
// with the payload's size; nothing of a failed load is kept.
func (db *DB) LoadStream(ctx context.Context, f *Fetch, s Stream) (Counts, *transform.Result, error) {
	if f.Report.Detail == nil {
		return Counts{}, nil, fmt.Errorf("load %s: streaming is for detail reports", f.Report.Name)
	}
	var c Counts
	var res *transform.Result
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		lock := db.run.lock.Load()
		if lock != nil && lock.lost.Load() {
			return lock.lostError()
		}
		l := &streamLoad{tx: tx, f: f, st: stagingFor(f.Report), sp: &span{}, started: s.Started}
		var err error
		if res, err = l.run(ctx, db, s); err != nil {
			return err
		}
		held, err := l.finish(ctx, lock, res, &c)
		if err != nil {
			return err
		}
		if !held {
			lock.lost.Store(true)
			return lock.lostError()
		}
		return nil
	})
	if err != nil {
		var te *transform.Error
		if errors.As(err, &te) {
			return Counts{}, nil, err
		}
		return Counts{}, nil, fmt.Errorf("load %s: %s: %w", f.Report.Name, f.Source, explain(duplicateEntity(f.Report, err)))
	}
	return c, res, nil
}

// streamLoad is the state of one LoadStream.
type streamLoad struct {
	tx pgx.Tx
	f  *Fetch
	st *staging
	sp *span
	// started is Stream.Started.
	started time.Time

	streamID int64
	seq      int // of the next payload_chunks row

	// direct: rows go straight into the table (copyDirect's rule), for
	// days from lo to hi, checked; staged: rows go into the staging table.
	direct, staged bool
	lo, hi         time.Time
	copied         int
}

// hashCount hashes and counts what is written to it.
type hashCount struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (h *hashCount) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	return h.h.Write(p)
}

func (l *streamLoad) run(ctx context.Context, db *DB, s Stream) (*transform.Result, error) {
	tl := db.tenantLock(*l.f)
	if _, err := l.tx.Exec(ctx, tenantLockSQL, tl[0], tl[1]); err != nil {
		return nil, fmt.Errorf("wait for other loads of tenant %s: %w", l.f.TenantID, err)
	}
	if err := l.tx.QueryRow(ctx, `SELECT nextval('payload_stream_seq')`).Scan(&l.streamID); err != nil {
		return nil, fmt.Errorf("store payload: %w", err)
	}
	// Two goroutines, so that Postgres copies a batch while the next is
	// read, hashed, compressed and parsed: the producer (below) reads the
	// body and hands over, in order, the compressed payload a chunk at a
	// time and the rows a batch at a time, each batch copied out of the
	// parser's buffers into one of stagedBatches buffers of its own; this
	// goroutine, which owns the transaction, writes them. Memory stays
	// bounded by those buffers whatever the payload's size.
	hash := hashCount{h: sha256.New()}
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	body := io.TeeReader(s.Body, io.MultiWriter(&hash, gz))
	opts := s.Parse
	opts.Format = s.Format
	opts.BatchRows = cmp.Or(opts.BatchRows, streamBatchRows)
	width := len(l.f.Report.Dims) + len(l.f.Report.Metrics)
	pp := newStreamPipe(stagedBatches, opts.BatchRows, width)
	// chunk hands over the compressed payload gathered so far, once there
	// is a chunk's worth of it (or, at the end, all of it).
	chunk := func(all bool) error {
		if buf.Len() == 0 || !all && buf.Len() < chunkBytes {
			return nil
		}
		data := bytes.Clone(buf.Bytes())
		buf.Reset()
		return pp.put(streamItem{chunk: data})
	}
	opts.Batch = func(rows []transform.Row) error {
		if err := chunk(false); err != nil {
			return err
		}
		return pp.putRows(rows)
	}
	var res *transform.Result
	var perr error
	go func() {
		defer close(pp.items)
		if res, perr = transform.Parse(l.f.Report, body, opts); perr != nil {
			return
		}
		// The parser may stop before the end (trailing blank lines):
		// store all.
		if _, err := io.Copy(io.Discard, body); err != nil {
			perr = fmt.Errorf("read %s: %w", l.f.Source, err)
			return
		}
		if perr = gz.Close(); perr != nil {
			return
		}
		perr = chunk(true)
	}()
	var lerr error
	for it := range pp.items {
		if lerr != nil {
			continue // draining: the producer is stopping
		}
		if it.batch != nil {
			lerr = l.batch(ctx, it.batch.rows)
			pp.free <- it.batch
		} else {
			lerr = l.writeChunk(ctx, it.chunk)
		}
		if lerr != nil {
			close(pp.stop)
		}
	}
	// items is closed: the producer is done, res and perr are set.
	if lerr != nil {
		return nil, lerr
	}
	if perr != nil {
		return nil, perr
	}
	l.f.Payload = &Payload{SHA256: hex.EncodeToString(hash.h.Sum(nil)), ContentType: s.ContentType, Format: s.Format,
		Size: hash.n, StreamID: l.streamID}
	return res, nil
}

// streamBatchRows is how many rows LoadStream copies at a time unless
// told otherwise: few enough that the batches in flight (the parser's and
// stagedBatches) weigh a few MB, whatever the payload's size, and enough
// that COPY's per-statement cost stays small (under 500 statements for a
// million rows).
const streamBatchRows = 2048

// stagedBatches is how many batches of rows may be between the parser and
// Postgres: one being copied while the next is filled.
const stagedBatches = 2

// streamItem is what LoadStream's producer hands over: a chunk of the
// compressed payload or a batch of rows.
type streamItem struct {
	chunk []byte
	batch *ownedBatch
}

// ownedBatch is a batch of rows in buffers of its own, not the parser's.
type ownedBatch struct {
	rows []transform.Row
	slab []transform.Value
}

// streamPipe carries a streamed payload from the producer to the loader:
// items in order; free, the batch buffers not in use; stop, closed by the
// loader when it fails, so that the producer stops.
type streamPipe struct {
	items chan streamItem
	free  chan *ownedBatch
	stop  chan struct{}
}

func newStreamPipe(n, batchRows, width int) *streamPipe {
	p := &streamPipe{items: make(chan streamItem, n), free: make(chan *ownedBatch, n), stop: make(chan struct{})}
	for range n {
		p.free <- &ownedBatch{rows: make([]transform.Row, 0, batchRows), slab: make([]transform.Value, batchRows*width)}
	}
	return p
}

// errStopped is what the producer's Batch returns once the loader failed;
// the loader's error is the one reported.
var errStopped = errors.New("load stopped")

func (p *streamPipe) put(it streamItem) error {
	select {
	case p.items <- it:
		return nil
	case <-p.stop:
		return errStopped
	}
}

// putRows copies rows into a free batch buffer and hands it over.
func (p *streamPipe) putRows(rows []transform.Row) error {
	var b *ownedBatch
	select {
	case b = <-p.free:
	case <-p.stop:
		return errStopped
	}
	b.rows = b.rows[:0]
	off := 0
	for _, r := range rows {
		if off+len(r.Values) > len(b.slab) {
			// More values than a batch of the spec's width (not expected):
			// a larger slab; the rows copied so far keep the old one.
			b.slab, off = make([]transform.Value, max(2*len(b.slab), len(r.Values))), 0
		}
		n := copy(b.slab[off:off+len(r.Values)], r.Values)
		r.Values = b.slab[off : off+n : off+n]
		off += n
		b.rows = append(b.rows, r)
	}
	return p.put(streamItem{batch: b})
}

// batch copies a batch of rows.
func (l *streamLoad) batch(ctx context.Context, rows []transform.Row) error {
	lo, hi := rows[0].ReportDate, rows[0].ReportDate
	for i := range rows {
		r := &rows[i]
		l.sp.add(r)
		if r.ReportDate.Before(lo) {
			lo = r.ReportDate
		}
		if r.ReportDate.After(hi) {
			hi = r.ReportDate
		}
	}
	if !l.staged && (!l.direct || lo.Before(l.lo) || hi.After(l.hi)) {
		// A new range of days: straight in while the tenant has none of them.
		lo, hi = minTime(lo, l.lo, l.direct), maxTime(hi, l.hi, l.direct)
		var now time.Time
		var fresh bool
		if err := l.tx.QueryRow(ctx, l.st.fresh, l.f.TenantID, lo, hi).Scan(&now, &fresh); err != nil {
			return fmt.Errorf("look for rows in the payload's range: %w", err)
		}
		switch {
		case fresh:
			l.direct, l.lo, l.hi = true, lo, hi
		case l.direct:
			// Rows went straight in already, and the payload's later rows
			// fall on a day the tenant has: a detail payload has one day.
			return fmt.Errorf("rows of %s and %s in one payload, the latter already loaded: a detail payload describes one day",
				l.lo.Format(time.DateOnly), hi.Format(time.DateOnly))
		default:
			if _, err := l.tx.Exec(ctx, l.st.create+"; SET LOCAL work_mem = '64MB'", pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("create staging table: %w", err)
			}
			l.staged = true
		}
	}
	src := newRowSource(l.f.Report, l.f.TenantID, rows)
	table, cols := l.st.name, dataColumns(l.f.Report)
	if !l.staged {
		table, cols = l.f.Report.Table, append(cols, "loaded_at", "changed_at", "run_id")
		now := time.Now()
		src.extra = []any{now, now, l.f.RunID}
	}
	n, err := l.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	if err != nil {
		return fmt.Errorf("copy rows: %w", err)
	}
	if int(n) != len(rows) {
		return fmt.Errorf("copy rows: copied %d of %d", n, len(rows))
	}
	l.copied += len(rows)
	return nil
}

func minTime(a, b time.Time, useB bool) time.Time {
	if useB && b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time, useB bool) time.Time {
	if useB && b.After(a) {
		return b
	}
	return a
}

// writeChunk writes a chunk of the compressed payload, the next in order.
func (l *streamLoad) writeChunk(ctx context.Context, data []byte) error {
	if _, err := l.tx.Exec(ctx, `INSERT INTO payload_chunks (stream_id, seq, data) VALUES ($1, $2, $3)`, l.streamID, l.seq, data); err != nil {
		return fmt.Errorf("store payload: %w", err)
	}
	l.seq++
	return nil
}

// finish records the fetch: the payload (unless stored before: its chunks
// then go), the concealment and its change, the counts; with staged rows,
// it merges them by the upsert rule first.
func (l *streamLoad) finish(ctx context.Context, lock *RunLock, res *transform.Result, c *Counts) (held bool, err error) {
	f := l.f
	var stored bool
	var last *bool
	err = l.tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM payloads WHERE sha256 = $1),
		(SELECT concealed FROM report_fetches WHERE tenant_id = $2 AND report = $3 AND outcome = 'loaded' AND concealed IS NOT NULL
		 ORDER BY fetched_at DESC, fetch_id DESC LIMIT 1)`, f.Payload.SHA256, f.TenantID, f.Report.Name).Scan(&stored, &last)
	if err != nil {
		return false, fmt.Errorf("look for the payload: %w", err)
	}
	if stored {
		if _, err := l.tx.Exec(ctx, `DELETE FROM payload_chunks WHERE stream_id = $1`, l.streamID); err != nil {
			return false, fmt.Errorf("store payload: %w", err)
		}
		f.Payload.StreamID = 0
	}
	concealed := res.Concealed
	if res.Parsed == 0 {
		f.Concealed = nil // nothing to tell by
	} else {
		f.Concealed = &concealed
		f.ConcealmentChanged = last != nil && *last != concealed
	}
	f.span = l.sp
	f.Unknown = res.Unknown
	c.Parsed = res.Parsed
	if !l.started.IsZero() {
		f.Duration = time.Since(l.started)
	}
	_, fetch := fetchRow(*f, LoadOutcome(res.Parsed), nil, nil, "")
	args := append([]any{f.RunID, f.TenantID}, fetch...)
	if stored {
		args = append(args, payloadRow(nil)...) // kept already
	} else {
		args = append(args, payloadRow(f.Payload)...)
	}
	var pid *int32
	var key *int64
	if lock != nil {
		pid, key = &lock.pid, &lock.key
	}
	args = append(args, pid, key, res.Parsed)
	q := directSQL
	if l.staged {
		if err := l.checkStagedKeys(ctx); err != nil {
			return false, err
		}
		q = l.st.merge
	}
	if err := l.tx.QueryRow(ctx, q, args...).Scan(&c.Restated, &c.Inserted, &c.Updated, &held); err != nil {
		return false, fmt.Errorf("upsert: %w", err)
	}
	c.Unchanged = c.Parsed - c.Inserted - c.Updated
	if !stored {
		// Another load (another tenant's identical payload: a header-only
		// file is the same for every tenant and day) may have stored the
		// payload between the look above and the insert, which then did
		// nothing: its chunks are kept, these go.
		if _, err := l.tx.Exec(ctx, `DELETE FROM payload_chunks c WHERE c.stream_id = $1
			AND NOT EXISTS (SELECT FROM payloads p WHERE p.stream_id = $1)`, l.streamID); err != nil {
			return false, fmt.Errorf("store payload: %w", err)
		}
	}
	return held, nil
}

// checkStagedKeys refuses staged rows of which two have one key: the
// merge would apply either. (Rows copied straight into the table meet its
// primary key instead: see duplicateEntity.)
func (l *streamLoad) checkStagedKeys(ctx context.Context) error {
	key := quoteAll(l.f.Report.Key()[1:])
	q := `SELECT ` + strings.Join(key, "::text, ") + `::text FROM ` + l.st.name + ` GROUP BY ` + strings.Join(key, ", ") + ` HAVING count(*) > 1 LIMIT 1`
	vals := make([]*string, len(key))
	dest := make([]any, len(key))
	for i := range vals {
		dest[i] = &vals[i]
	}
	err := l.tx.QueryRow(ctx, q).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	return fmt.Errorf("two rows for one entity (%s): a payload has one row an entity and day", keyText(l.f.Report.Key()[1:], vals))
}

func keyText(names []string, vals []*string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		v := "NULL"
		if vals[i] != nil {
			v = *vals[i]
		}
		parts[i] = n + " " + v
	}
	return strings.Join(parts, ", ")
}

// duplicateEntity turns the primary key's refusal of a row copied straight
// into a detail table into what it means: the payload has the entity twice.
func duplicateEntity(spec *report.Spec, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && strings.HasSuffix(pe.ConstraintName, "_pkey") {
		detail := strings.TrimPrefix(pe.Detail, "Key ")
		return fmt.Errorf("two rows for one entity and day (%s): a payload has one row an entity and day", strings.TrimSuffix(detail, " already exists."))
	}
	return err
}

// DetailDays are the days of a detail report fetched for a tenant
// (report_fetches.asked_date) since a day and not to be asked again: loaded
// with rows (true), or answered without rows once a later day had rows
// (false).
func (db *DB) DetailDays(ctx context.Context, tenant string, spec *report.Spec, since time.Time) (map[time.Time]bool, error) {
	// An empty answer for a day is final only once a later day had rows
	// when it was asked (a day asked while filling the window); an empty
	// answer while looking for the newest day (the day's data not there
	// yet) is not, and the day is asked again.
	rows, err := db.Pool.Query(ctx, `SELECT f.asked_date, bool_or(f.outcome = 'loaded') FROM report_fetches f
		WHERE f.tenant_id = $1 AND f.report = $2 AND f.asked_date >= $3
		  AND (f.outcome = 'loaded' OR f.outcome = 'empty' AND EXISTS (
		       SELECT FROM report_fetches l WHERE l.tenant_id = f.tenant_id AND l.report = f.report
		         AND l.outcome = 'loaded' AND l.asked_date > f.asked_date AND l.fetch_id < f.fetch_id))
		GROUP BY f.asked_date`, tenant, spec.Name, since)
	if err != nil {
		return nil, fmt.Errorf("days of %s fetched: %w", spec.Name, explain(err))
	}
	out := map[time.Time]bool{}
	var d time.Time
	var loaded bool
	_, err = pgx.ForEachRow(rows, []any{&d, &loaded}, func() error {
		out[d.UTC()] = loaded
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("days of %s fetched: %w", spec.Name, explain(err))
	}
	return out, nil
}
