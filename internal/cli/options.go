package cli

import (
	"fmt"
	"math"
	"strconv"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/m365ingest/ingest/report"
)

// numRange is the range a numeric flag accepts, inclusive; a duration's in
// nanoseconds. With zeroIsNone, 0 (meaning no limit) is accepted too.
type numRange struct {
	min, max   int64
	zeroIsNone bool
}

// maxPayloadBytes is the most --max-payload-bytes accepts: a payload is held
// in memory and stored whole in one Postgres bytea, which holds about 1 GB.
const maxPayloadBytes = 1 << 30

// numericRanges is the one rule for numeric flags: every int, int64 and
// duration flag of every command has its range here, by flag name (a flag
// of that name means the same in every command). checkNumbers enforces it;
// TestEveryNumericFlagHasARange fails for a numeric flag missing here.
var numericRanges = map[string]numRange{
	"concurrency":       {min: 1, max: 32},
	"max-attempts":      {min: 1, max: 20},
	"max-payload-bytes": {min: 1, max: maxPayloadBytes},
	"max-retry-wait":    {min: int64(time.Second), max: int64(24 * time.Hour)},
	// Postgres takes lock_timeout in whole milliseconds, 0 meaning forever,
	// and at most 2^31-1 of them.
	"wait-timeout": {min: int64(time.Millisecond), max: int64(math.MaxInt32 * time.Millisecond)},
	// statement_timeout is whole milliseconds too.
	"statement-timeout":  {min: int64(time.Millisecond), max: int64(math.MaxInt32 * time.Millisecond), zeroIsNone: true},
	"run-timeout":        {min: int64(time.Second), max: int64(math.MaxInt32 * time.Millisecond), zeroIsNone: true},
	"request-timeout":    {min: int64(time.Second), max: int64(24 * time.Hour)},
	"tenant-concurrency": {min: 1, max: 64},
	"shards":             {min: 0, max: 10_000},
	// status: days behind today (0: no check)
	"max-lag": {min: 1, max: 3650, zeroIsNone: true},
	// graph-sim
	"latency-days":  {min: 0, max: 365},
	"retry-after":   {min: 0, max: int64(24 * time.Hour)},
	"page-size":     {min: 0, max: 1_000_000},
	"request-delay": {min: 0, max: int64(time.Minute)},
}

// numericValue is a numeric flag's value in c, and whether f is numeric.
func numericValue(c *ucli.Context, f ucli.Flag) (int64, bool) {
	name := f.Names()[0]
	switch f.(type) {
	case *ucli.IntFlag:
		return int64(c.Int(name)), true
	case *ucli.Int64Flag:
		return c.Int64(name), true
	case *ucli.DurationFlag:
		return int64(c.Duration(name)), true
	case *ucli.UintFlag, *ucli.Uint64Flag, *ucli.Float64Flag:
		// None yet: numericDefault reports them, so that a test fails
		// until they get a rule here.
		return 0, true
	}
	return 0, false
}

// numericDefault is a numeric flag's default, and whether f is numeric.
func numericDefault(f ucli.Flag) (int64, bool) {
	switch f := f.(type) {
	case *ucli.IntFlag:
		return int64(f.Value), true
	case *ucli.Int64Flag:
		return f.Value, true
	case *ucli.DurationFlag:
		return int64(f.Value), true
	case *ucli.UintFlag, *ucli.Uint64Flag, *ucli.Float64Flag:
		return math.MinInt64, true
	}
	return 0, false
}

// checkNumbers is every command's Before: each numeric flag of the command
// must be inside its range in numericRanges. The usage error names the flag
// (and the environment variable when the value came from there) and the
// range.
func checkNumbers(c *ucli.Context) error {
	for _, f := range c.Command.Flags {
		v, numeric := numericValue(c, f)
		if !numeric {
			continue
		}
		name := f.Names()[0]
		r, ok := numericRanges[name]
		if !ok {
			return fmt.Errorf("internal error: numeric flag --%s has no range in numericRanges", name)
		}
		if (v >= r.min && v <= r.max) || (v == 0 && r.zeroIsNone) {
			continue
		}
		show := func(n int64) string { return strconv.FormatInt(n, 10) }
		if _, ok := f.(*ucli.DurationFlag); ok {
			show = func(n int64) string { return time.Duration(n).String() }
		}
		where := "--" + name
		if env := fromEnv(c, f); env != "" {
			where = env + " (--" + name + ")"
		}
		none := ""
		if r.zeroIsNone {
			none = "0 (none) or "
		}
		return usagef("invalid %s %s: want %s%s to %s", where, show(v), none, show(r.min), show(r.max))
	}
	return nil
}

// lockWait is how long to wait for the run lock: 0 (do not wait) unless
// --wait (the default of load-file and replay), then --wait-timeout.
func lockWait(c *ucli.Context) time.Duration {
	if !c.Bool("wait") {
		return 0
	}
	// checkNumbers has kept it within what lock_timeout takes.
	return c.Duration("wait-timeout")
}

// selectReports resolves --report (INGEST_REPORT) of run, backfill and
// replay: not given, every report; given but naming none (--report "",
// INGEST_REPORT=' '), a usage error.
func selectReports(c *ucli.Context) ([]*report.Spec, error) {
	specs, err := report.Select(c.StringSlice("report"))
	if err != nil {
		return nil, usagef("--report (INGEST_REPORT): %v", err)
	}
	return specs, nil
}
