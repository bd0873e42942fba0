package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/m365ingest/ingest/internal/text"
	"github.com/m365ingest/ingest/load"
	"github.com/m365ingest/ingest/report"
)

// Replay is what replay reloads: the stored payloads of Reports (short
// names; none: every report) fetched on or after Since (zero: ever), only
// those whose sha256 starts with one of Only (when given; then also those
// that never loaded), and none whose sha256 starts with one of Skip. Only
// and Skip are sha256 prefixes of 8 to 64 lower-case hex digits, already
// checked.
type Replay struct {
	Reports    []string
	Since      time.Time
	Only, Skip []string
}

// SelectionError is a replay selection that the stored payloads do not
// bear out: a sha256 prefix that matches none of them, or more than one,
// or a payload --sha256 names that the other flags leave out. A mistake on
// the command line, not a failure of the payloads.
type SelectionError struct{ err error }

func (e *SelectionError) Error() string { return e.err.Error() }
func (e *SelectionError) Unwrap() error { return e.err }

func selectionf(format string, args ...any) error {
	return &SelectionError{fmt.Errorf(format, args...)}
}

// The flags a replay's selection comes from, as its messages name them.
const (
	onlyFlag = "--sha256 (INGEST_REPLAY_SHA256)"
	skipFlag = "--skip-sha256 (INGEST_REPLAY_SKIP_SHA256)"
)

// ReplayWork is the work of a run that replays stored payloads: one at a
// time, a payload an item, in the order StoredPayloads gives. The prefixes
// are resolved to whole sha256s first, each to exactly one stored payload
// (else a *SelectionError). By default a payload that never loaded stays
// out, with a warning: it is kept as evidence of what Graph sent, and
// would fail every replay; Only names it to replay it. The summary lists
// the payloads that failed and those left out.
func (r *Run) ReplayWork(ctx context.Context, rp Replay) (*Work, error) {
	log := r.Log
	filter := load.StoredFilter{Reports: rp.Reports, Since: rp.Since}
	var err error
	if filter.SHA256, err = r.resolvePrefixes(ctx, onlyFlag, rp.Only); err != nil {
		return nil, err
	}
	if filter.Skip, err = r.resolvePrefixes(ctx, skipFlag, rp.Skip); err != nil {
		return nil, err
	}
	all, err := r.Store.StoredPayloads(ctx, filter)
	if err != nil {
		return nil, err
	}
	selection := rp.selection()
	for i, sha := range filter.SHA256 {
		if !slices.ContainsFunc(all, func(s load.Stored) bool { return s.SHA256 == sha }) {
			return nil, selectionf("%s %s: payload %s is not selected by %s", onlyFlag, rp.Only[i], shortSHA(sha), selection)
		}
	}
	var stored, leftOut []load.Stored
	for _, s := range all {
		if s.Loaded || len(filter.SHA256) > 0 {
			stored = append(stored, s)
		} else {
			leftOut = append(leftOut, s)
			log.Warn("payload left out: it never loaded; replay it with --sha256", "sha256", s.SHA256, "report", s.Report,
				"period", s.Period, "source", s.Source, "tenant", s.TenantID)
		}
	}
	if len(stored) == 0 {
		out := r.stdout
		if out == nil {
			out = io.Discard
		}
		if selection == "" {
			fmt.Fprintln(out, "no stored payloads to replay")
		} else {
			fmt.Fprintf(out, "no stored payloads match %s\n", selection)
		}
	}
	log.Info("replay started", "payloads", len(stored), "left_out", len(leftOut))
	causes := make([]error, len(stored))
	return &Work{N: len(stored), Workers: 1, Log: log, Item: func(i int) Result {
		res := r.ReplayOne(ctx, log, stored[i])
		if res.Err != nil {
			causes[i] = res.Err
			res.Err = fmt.Errorf("payload %s: %w", shortSHA(stored[i].SHA256), res.Err)
		}
		return res
	}, Summary: func(w io.Writer) {
		var bad []load.Stored
		var why []error
		for i, e := range causes {
			if e != nil {
				bad, why = append(bad, stored[i]), append(why, e)
			}
		}
		printPayloads(w, "Failed payloads (replay one alone with --sha256 PREFIX, leave one out with --skip-sha256 PREFIX):", bad, why)
		printPayloads(w, "Left out, never loaded (replay one with --sha256 PREFIX):", leftOut, nil)
	}}, nil
}

// ReplayOne re-transforms and reloads one stored payload.
func (r *Run) ReplayOne(ctx context.Context, log *slog.Logger, s load.Stored) Result {
	start := time.Now()
	spec, err := report.Lookup(s.Report)
	f := load.Fetch{RunID: r.ID, TenantID: s.TenantID, Report: spec, Period: s.Period, Source: s.Source, AskedDate: s.AskedDate}
	if err != nil {
		return Result{Report: s.Report, Source: s.Source, Outcome: "failed", Err: err}
	}
	body, ct, err := r.Store.PayloadBody(ctx, s.SHA256)
	if err != nil {
		return r.Failed(ctx, log, f, err)
	}
	f.FetchedAt = time.Now().UTC()
	f.Payload = &load.Payload{SHA256: s.SHA256, Body: body, ContentType: ct, Format: s.Format}
	_, days, _ := report.ValidPeriod(s.Period)
	// A payload from Graph (with the period it was asked for) must cover
	// its period, as when it was fetched; a file's was checked when it was
	// loaded, or waived with load-file --partial, and is not asked again.
	return r.parseAndLoad(ctx, log.With("report", spec.Name, "sha256", s.SHA256), f, s.Format, days, start, s.Period != "")
}

// resolvePrefixes turns sha256 prefixes into the stored payloads' sha256s,
// one for each prefix, in order: a prefix that matches none, or more than
// one, is a *SelectionError naming flag and the prefix.
func (r *Run) resolvePrefixes(ctx context.Context, flag string, prefixes []string) ([]string, error) {
	var out []string
	for _, p := range prefixes {
		shas, err := r.Store.PayloadsWithPrefix(ctx, p, 3)
		if err != nil {
			return nil, err
		}
		switch len(shas) {
		case 0:
			return nil, selectionf("%s %s: no stored payload's sha256 starts so", flag, p)
		case 1:
			out = append(out, shas[0])
		default:
			for i := range shas {
				shas[i] = shortSHA(shas[i])
			}
			more := ""
			if len(shas) > 2 {
				shas, more = shas[:2], ", …"
			}
			return nil, selectionf("%s %s is ambiguous: it starts %s%s; give more digits", flag, p, strings.Join(shas, ", "), more)
		}
	}
	return out, nil
}

// selection is the selection as the command line gives it, for messages:
// "" when nothing narrows it.
func (rp Replay) selection() string {
	var parts []string
	if len(rp.Reports) > 0 {
		parts = append(parts, "--report "+strings.Join(rp.Reports, ","))
	}
	if !rp.Since.IsZero() {
		parts = append(parts, "--since "+rp.Since.Format(time.DateOnly))
	}
	for _, p := range rp.Only {
		parts = append(parts, "--sha256 "+p)
	}
	for _, p := range rp.Skip {
		parts = append(parts, "--skip-sha256 "+p)
	}
	return strings.Join(parts, " ")
}

// shortSHA is how a payload is named to people: its sha256's first 12 hex
// digits, enough to give back to --sha256.
func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// printPayloads lists payloads under title, one a line: sha256 prefix,
// report, period, source (a file name, or the Graph URL, which holds no
// secret) and, when causes is given, why it failed. Nothing is printed
// when ps is empty.
func printPayloads(w io.Writer, title string, ps []load.Stored, causes []error) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(w, "\n"+title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, s := range ps {
		period := s.Period
		if period == "" {
			period = "-"
		}
		line := "  " + shortSHA(s.SHA256) + "\t" + s.Report + "\t" + period + "\t" + printable(s.Source)
		if causes != nil {
			line += "\t" + text.Cut(text.OneLine(causes[i].Error()), 160)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// printable is s, quoted when it holds a character that is not printable
// (a file name with a newline or an escape sequence).
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
