package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
)

// FaultKind names a way the simulator misbehaves on purpose, so that a
// client's handling of each can be tested.
type FaultKind string

// The faults. API faults answer a report call; download faults spoil the
// download link that the report call hands out.
const (
	// Fault429 answers 429 Too Many Requests with Retry-After in seconds.
	Fault429 FaultKind = "429"
	// Fault429Date answers 429 with Retry-After as an HTTP date.
	Fault429Date FaultKind = "429-date"
	// Fault503 answers 503 Service Unavailable without Retry-After.
	Fault503 FaultKind = "503"
	// Fault504 answers 504 Gateway Timeout without Retry-After.
	Fault504 FaultKind = "504"
	// Fault401 answers 401 InvalidAuthenticationToken whatever the token.
	Fault401 FaultKind = "401"
	// Fault403 answers 403 Authorization_RequestDenied, as Graph does for an
	// app without Reports.Read.All.
	Fault403 FaultKind = "403"
	// FaultReset drops the connection in the middle of the status line.
	FaultReset FaultKind = "reset"
	// FaultTruncate makes the download send its full Content-Length, half the
	// body, and drop the connection (once per link).
	FaultTruncate FaultKind = "truncate"
	// FaultExpire hands out a download link that has already expired (the
	// download host answers 404).
	FaultExpire FaultKind = "expire"
)

// FaultKinds lists every fault, for usage texts.
var FaultKinds = []FaultKind{Fault429, Fault429Date, Fault503, Fault504, Fault401, Fault403, FaultReset, FaultTruncate, FaultExpire}

// FaultHeader on a request injects the faults it names (comma-separated
// kinds) into that request alone: on a report call any kind, on a download
// request "truncate". It needs no Options.
const FaultHeader = "X-Graphsim-Fault"

// Fault is a misbehaviour injected into the report calls it matches.
type Fault struct {
	Kind FaultKind
	// Report limits the fault to one report: its short name or Graph
	// function, case-insensitively. "" matches every report.
	Report string
	// Times is how many matching report calls it hits: 0 means once, a
	// negative number every one.
	Times int
}

// ParseFault reads KIND[@REPORT][:TIMES], where TIMES is a count or "all":
// "429", "truncate@skype-organizer-activity-user-counts", "503:3", "401:all".
func ParseFault(s string) (Fault, error) {
	var f Fault
	rest := strings.TrimSpace(s)
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		times := rest[i+1:]
		rest = rest[:i]
		if times == "all" {
			f.Times = -1
		} else if n, err := strconv.Atoi(times); err == nil && n > 0 {
			f.Times = n
		} else {
			return Fault{}, fmt.Errorf("fault %q: times %q is not a positive count or \"all\"", s, times)
		}
	}
	kind, rep, _ := strings.Cut(rest, "@")
	f.Kind, f.Report = FaultKind(strings.ToLower(kind)), rep
	if !validKind(f.Kind) {
		return Fault{}, fmt.Errorf("fault %q: unknown kind %q (want one of %s)", s, kind, kindList())
	}
	if rep != "" {
		if _, err := report.Lookup(rep); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", s, err)
		}
	}
	return f, nil
}

func (f Fault) String() string {
	s := string(f.Kind)
	if f.Report != "" {
		s += "@" + f.Report
	}
	switch {
	case f.Times < 0:
		s += ":all"
	case f.Times > 1:
		s += ":" + strconv.Itoa(f.Times)
	}
	return s
}

func validKind(k FaultKind) bool {
	for _, v := range FaultKinds {
		if k == v {
			return true
		}
	}
	return false
}

func kindList() string {
	names := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// pendingFault is a configured fault and how many hits it has left (<0:
// unlimited).
type pendingFault struct {
	Fault
	left int
}

func newPending(faults []Fault) ([]*pendingFault, error) {
	out := make([]*pendingFault, len(faults))
	for i, f := range faults {
		if !validKind(f.Kind) {
			return nil, fmt.Errorf("graphsim: Options.Faults[%d]: unknown kind %q", i, f.Kind)
		}
		if f.Report != "" {
			if _, err := report.Lookup(f.Report); err != nil {
				return nil, fmt.Errorf("graphsim: Options.Faults[%d]: %w", i, err)
			}
		}
		left := f.Times
		if left == 0 {
			left = 1
		}
		out[i] = &pendingFault{Fault: f, left: left}
	}
	return out, nil
}

// takeFaults returns the faults that hit this report call: those named in
// its FaultHeader, else one configured fault that matches spec and has hits
// left, which it uses up. A fault that answers the call (429, 503, 401 …)
// goes before one that spoils the download link (truncate, expire), so that
// a link fault is used only on a call that hands out a link.
func (s *Server) takeFaults(r *http.Request, spec *report.Spec) map[FaultKind]bool {
	hit := map[FaultKind]bool{}
	for _, k := range headerFaults(r) {
		hit[k] = true
	}
	if len(hit) > 0 {
		return hit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, linkFaults := range []bool{false, true} {
		for _, f := range s.faults {
			if f.left == 0 || isLinkFault(f.Kind) != linkFaults {
				continue
			}
			if f.Report != "" {
				if want, _ := report.Lookup(f.Report); want != spec {
					continue
				}
			}
			if f.left > 0 {
				f.left--
			}
			hit[f.Kind] = true
			return hit
		}
	}
	return hit
}

func isLinkFault(k FaultKind) bool { return k == FaultTruncate || k == FaultExpire }

func headerFaults(r *http.Request) []FaultKind {
	var out []FaultKind
	for _, v := range r.Header.Values(FaultHeader) {
		for _, k := range strings.Split(v, ",") {
			if k := FaultKind(strings.ToLower(strings.TrimSpace(k))); validKind(k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// answerFault answers a report call with the first API fault in hit and
// reports whether it did.
func (s *Server) answerFault(w http.ResponseWriter, hit map[FaultKind]bool) bool {
	switch {
	case hit[FaultReset]:
		// Half a status line, then close: a client's transport cannot take
		// it for a stale keep-alive connection and quietly resend.
		if conn, buf, err := http.NewResponseController(w).Hijack(); err == nil {
			buf.WriteString("HTTP/1.1 50")
			buf.Flush()
			conn.Close()
		}
	case hit[Fault401]:
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	case hit[Fault403]:
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	case hit[Fault429]:
		w.Header().Set("Retry-After", strconv.Itoa(int(s.retryAfter.Round(time.Second)/time.Second)))
		graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests; retry after the time in Retry-After.")
	case hit[Fault429Date]:
		w.Header().Set("Retry-After", s.now().Add(s.retryAfter).UTC().Format(http.TimeFormat))
		graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests; retry after the time in Retry-After.")
	case hit[Fault503]:
		graphError(w, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
	case hit[Fault504]:
		graphError(w, http.StatusGatewayTimeout, "UnknownError", "Gateway timeout.")
	default:
		return false
	}
	return true
}

// truncate sends the headers of body, half of it, and drops the connection.
func truncate(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler) // net/http closes the connection without logging
}

// matchETag reports whether an If-None-Match header value matches etag.
func matchETag(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || (v != "" && v == etag) {
			return true
		}
	}
	return false
}

// jsonPage renders rows[from:] up to pageSize rows, with an @odata.nextLink
// to the next page when more remain. nextBase is the request URL without
// its query.
func jsonPage(spec *report.Spec, rows []Row, from, pageSize int, nextBase string) []byte {
	if pageSize <= 0 || from < 0 || from > len(rows) {
		return jsonBody(spec, rows)
	}
	to := min(from+pageSize, len(rows))
	body := jsonBody(spec, rows[from:to])
	if to >= len(rows) {
		return body
	}
	link := nextBase + "?$format=application/json&$skiptoken=" + strconv.Itoa(to)
	enc, _ := json.Marshal(link)
	body = bytes.TrimSuffix(body, []byte("}"))
	return append(append(append(body, `,"@odata.nextLink":`...), enc...), '}')
}
