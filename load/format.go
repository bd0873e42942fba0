package load

import (
	"fmt"

	"github.com/m365ingest/ingest/report"
)

// The format columns (payloads, report_etags, fetch_attempts) hold a
// report.Format as its String, csv or json (their CHECK). A query passes
// f.String() and scans with formatColumn.

// formatColumn scans a format column into *f.
type formatColumn struct{ f *report.Format }

func (c formatColumn) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("format column: got %T, want text", src)
	}
	f, err := report.ParseFormat(s)
	*c.f = f
	return err
}
