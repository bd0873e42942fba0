package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/m365ingest/ingest/report"
)

// settingsSpec stands for GET /admin/reportSettings in errors, logs and the
// request budget.
var settingsSpec = &report.Spec{Name: "report-settings", Function: "reportSettings"}

// ReportSettings reads the tenant's report settings (GET
// /{version}/admin/reportSettings) and says whether names are concealed in
// its reports (displayConcealedNames). It needs the permission
// ReportSettings.Read.All, which Reports.Read.All does not give: without
// it Graph answers 403, and the error says so (Forbidden reports it).
func (c *Client) ReportSettings(ctx context.Context) (concealed bool, err error) {
	if c.Tokens == nil {
		return false, errors.New("extract: no token source")
	}
	if err := CheckGraphURL(c.GraphURL); err != nil {
		return false, &Error{Report: settingsSpec.Name, URL: RedactURL(c.GraphURL), Err: fmt.Errorf("refusing to send the token: %w", err)}
	}
	clock := c.clock()
	req := Request{Report: settingsSpec, Format: report.JSON}
	f := &fetch{
		c: c, req: req, clock: clock, rt: c.transport(), lim: c.limiter(),
		log:      c.logger().With("report", settingsSpec.Name),
		deadline: clock.Now().Add(cmpOr(c.MaxWait, DefaultMaxWait)),
		tries:    cmpOr(c.MaxAttempts, DefaultMaxAttempts),
		key:      report.BudgetKey{Report: settingsSpec.Name, Format: report.JSON},
	}
	u := strings.TrimRight(c.GraphURL, "/") + "/" + c.APIVersion + "/admin/reportSettings"
	p, err := f.graph(ctx, u, u, "")
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			fe = &Error{URL: u, Err: err}
		}
		fe.Report, fe.Attempts = settingsSpec.Name, f.attempts
		if fe.Status == http.StatusForbidden {
			fe.Hint = "reading the report settings needs the application permission ReportSettings.Read.All"
		}
		f.scrubError(fe)
		return false, fe
	}
	// The docs show the object bare and wrapped in "value".
	var s struct {
		Concealed *bool `json:"displayConcealedNames"`
		Value     *struct {
			Concealed *bool `json:"displayConcealedNames"`
		} `json:"value"`
	}
	if err := json.Unmarshal(p.Body, &s); err != nil {
		return false, &Error{Report: settingsSpec.Name, URL: u, Status: p.Status, Err: fmt.Errorf("report settings: %w", err)}
	}
	switch {
	case s.Concealed != nil:
		return *s.Concealed, nil
	case s.Value != nil && s.Value.Concealed != nil:
		return *s.Value.Concealed, nil
	}
	return false, &Error{Report: settingsSpec.Name, URL: u, Status: p.Status, Err: errors.New("report settings without displayConcealedNames")}
}

// Forbidden reports whether err is a 403 from Graph: the token lacks a
// permission.
func Forbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusForbidden
}
