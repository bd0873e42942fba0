package transform

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
)

// The coverage rule (Options.RequireFullPeriod). A payload of a dated
// report (not report.Spec.Snapshot) that has rows must cover the period it
// claims, n days:
//
//   - n is the Report Period that every row carries; when the rows
//     disagree, the requested Options.Period; when there is none either (a
//     file whose rows disagree), the check cannot apply and a warning says
//     so;
//   - the n days are those ending at the payload's newest Report Date, so
//     data trailing the refresh date (Graph's documented 24–72 hour or
//     longer latency) is no gap;
//   - every one of those n days has a row, and no row is older than them.
//
// Graph writes one row per date of the period, every row with the same
// period, so a whole payload passes; a body cut after some rows (a
// connection closed early, a Content-Length shorter than the body) does not,
// whatever the order of its rows. A header-only payload (0 rows: Graph's
// answer for a workload without data) passes.

// maxMissingListed is how many missing days a coverage error names.
const maxMissingListed = 5

// checkCoverage applies the coverage rule to the rows parsed.
func (b *rowBuilder) checkCoverage(rows []Row) error {
	if !b.spec.Dated() || len(rows) == 0 {
		return nil
	}
	if b.dims == 0 {
		return b.covers(rows, "")
	}
	// A report with dimensions (Site Type) has a row per day for each of
	// them: each must cover the period.
	var order []string
	groups := map[string][]Row{}
	for _, r := range rows {
		k := dimsKey(0, r.Values[:b.dims])
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		g := groups[k]
		if err := b.covers(g, b.dimsText(g[0].Values)+": "); err != nil {
			return err
		}
	}
	return nil
}

// covers applies the coverage rule to rows of one key but for the date (of
// is what the rest of the key is, for the error, or "").
func (b *rowBuilder) covers(rows []Row, of string) error {
	n := rows[0].Period
	for _, r := range rows[1:] {
		if r.Period != n {
			n = -1
			break
		}
	}
	why := "rows disagree on Report Period"
	if !b.spec.HasPeriodColumn() {
		n, why = -1, "the report has no Report Period"
	}
	if n < 0 {
		n = b.opts.Period
	}
	if n <= 0 {
		b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(
			"report %s: %s: %s and none was requested: the days the payload covers are not checked", b.spec.Name, b.opts.Source, why))
		return nil
	}
	dayNos := make([]int64, len(rows))
	for i, r := range rows {
		dayNos[i] = days(r.ReportDate)
	}
	slices.Sort(dayNos) // unique: finish refused duplicates
	newest := dayNos[len(dayNos)-1]
	first := newest - int64(n) + 1
	older := 0
	for older < len(dayNos) && dayNos[older] < first {
		older++
	}
	in := dayNos[older:]
	fail := func(reason string) error {
		return &Error{Report: b.spec.Name, Source: b.opts.Source, Reason: of + reason, json: b.opts.Format == report.JSON}
	}
	if len(in) < n {
		// Missing days: contiguous at the old end (a cut body, newest rows
		// first) reads as a range, holes are listed.
		if in[0]-first == int64(n-len(in)) && in[len(in)-1]-in[0] == int64(len(in)-1) {
			return fail(fmt.Sprintf("D%d payload covers %d of %d days (%s..%s); the body may have been cut",
				n, len(in), n, dayText(in[0]), dayText(newest)))
		}
		var missing []string
		j := 0
		for d := first; d <= newest; d++ {
			if j < len(in) && in[j] == d {
				j++
				continue
			}
			missing = append(missing, dayText(d))
		}
		list := strings.Join(missing[:min(len(missing), maxMissingListed)], ", ")
		if len(missing) > maxMissingListed {
			list += fmt.Sprintf(" and %d more", len(missing)-maxMissingListed)
		}
		return fail(fmt.Sprintf("D%d payload covers %d of %d days (%s..%s, missing %s); the body may have been cut",
			n, len(in), n, dayText(first), dayText(newest), list))
	}
	if older > 0 {
		rows := "rows"
		if older == 1 {
			rows = "row"
		}
		return fail(fmt.Sprintf("D%d payload has %d %s before its %d days %s..%s (oldest %s): not one period",
			n, older, rows, n, dayText(first), dayText(newest), dayText(dayNos[0])))
	}
	return nil
}

func dayText(d int64) string { return time.Unix(d*86400, 0).UTC().Format(time.DateOnly) }
