package graphsim

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/m365ingest/ingest/report"
)

// checkDate reads a date= argument: the report must take a date, and the
// day must be one of the report.DateWindow days ending at the refresh date.
// It answers 400 and returns false otherwise.
func (s *Server) checkDate(w http.ResponseWriter, spec *report.Spec, value string) (time.Time, bool) {
	if spec.Detail == nil || !spec.Detail.ByDate {
		graphError(w, http.StatusBadRequest, "BadRequest", "The function '"+spec.Function+"' does not take a date: call it with period='D7', 'D30', 'D90' or 'D180'.")
		return time.Time{}, false
	}
	day, err := time.Parse(time.DateOnly, value)
	if err != nil {
		graphError(w, http.StatusBadRequest, "InvalidArgument", "Invalid date value specified: "+value+". Use the format YYYY-MM-DD.")
		return time.Time{}, false
	}
	newest := s.refreshDate()
	switch {
	case day.Before(newest.AddDate(0, 0, 1-report.DateWindow)):
		// Graph's own words (microsoft-graph-docs #8946).
		graphError(w, http.StatusBadRequest, "InvalidArgument", "Invalid date value specified: "+value+". Only support data for the past "+strconv.Itoa(report.DateWindow)+" days.")
		return time.Time{}, false
	case day.After(newest):
		graphError(w, http.StatusBadRequest, "InvalidArgument", "Invalid date value specified: "+value+". The newest data is of "+newest.Format(time.DateOnly)+".")
		return time.Time{}, false
	}
	return day, true
}

// serveDetail answers a detail report call, as serveReport answers the
// others: CSV by a 302 to a download link, beta JSON directly, in pages of
// s.pageSize. Neither is ever held whole: the ETag is made without the body
// (DetailFile.etag), and the body is written as it is generated.
func (s *Server) serveDetail(w http.ResponseWriter, r *http.Request, beta bool, hit map[FaultKind]bool, f *DetailFile) {
	switch format := r.URL.Query().Get("$format"); {
	case format == "" || strings.EqualFold(format, "text/csv"):
		tag := f.etag("csv")
		if notModified(w, r, tag) {
			return
		}
		s.redirect(w, link{file: f, etag: tag, truncate: hit[FaultTruncate]}, hit[FaultExpire])
	case strings.EqualFold(format, "application/json") && beta:
		skip := r.URL.Query().Get("$skiptoken")
		if skip == "" {
			tag := f.etag("json")
			if notModified(w, r, tag) {
				return
			}
		}
		rows := f.Records()
		from, err := strconv.Atoi(cmp.Or(skip, "0"))
		if err != nil || from < 0 || from > rows {
			graphError(w, http.StatusBadRequest, "BadRequest", "Invalid $skiptoken.")
			return
		}
		to, next := rows, ""
		if s.pageSize > 0 && from+s.pageSize < rows {
			to = from + s.pageSize
			next = s.apiURL + r.URL.EscapedPath() + "?$format=application/json&$skiptoken=" + strconv.Itoa(to)
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		s.stream(w, hit[FaultTruncate], func(bw *bufio.Writer, cut bool) error { return f.writeJSON(bw, from, to, next, cut) })
	case strings.EqualFold(format, "application/json"):
		graphError(w, http.StatusBadRequest, "BadRequest", "$format=application/json is supported on beta only; v1.0 returns text/csv.")
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid $format '"+format+"': use text/csv or, on beta, application/json.")
	}
}

// spoolSize is how much of a streamed answer is held before it is sent: an
// answer that fits goes out with a Content-Length, as the other reports'
// do; a longer one goes out in chunks as it is generated.
const spoolSize = 256 << 10

// errSpilled stops a truncated answer that does not fit in the spool.
var errSpilled = errors.New("answer outgrew the spool")

// spool is the writer under a streamed answer: it holds up to spoolSize
// bytes, then sends the status line and streams (unless hold: then it
// fails with errSpilled).
type spool struct {
	w    http.ResponseWriter
	buf  []byte
	hold bool
	sent bool
}

func (s *spool) Write(p []byte) (int, error) {
	if s.sent {
		return s.w.Write(p)
	}
	if len(s.buf)+len(p) <= spoolSize {
		s.buf = append(s.buf, p...)
		return len(p), nil
	}
	if s.hold {
		return 0, errSpilled
	}
	s.sent = true
	s.w.WriteHeader(http.StatusOK) // no Content-Length: chunked
	if _, err := s.w.Write(s.buf); err != nil {
		return 0, err
	}
	s.buf = nil
	return s.w.Write(p)
}

// stream sends what write generates, through a bufio.Writer. With cut (the
// truncate fault), an answer that fits in the spool is sent with its full
// Content-Length and half its body, as the other reports' downloads are; a
// longer one is sent in chunks for half its rows; then the connection is
// dropped.
func (s *Server) stream(w http.ResponseWriter, cut bool, write func(bw *bufio.Writer, cut bool) error) {
	sp := &spool{w: w, hold: cut, buf: make([]byte, 0, 64<<10)}
	bw := bufio.NewWriterSize(sp, 64<<10)
	err := write(bw, false)
	if err == nil {
		err = bw.Flush()
	}
	switch {
	case cut && err == nil:
		truncate(w, sp.buf) // panics
	case cut:
		sp = &spool{w: w}
		bw.Reset(sp)
		if write(bw, true) == nil {
			bw.Flush()
		}
		if !sp.sent {
			w.WriteHeader(http.StatusOK)
			w.Write(sp.buf)
		}
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // net/http drops the connection without the last chunk
	case err != nil:
		s.log.Debug("graphsim: answer not sent whole", "err", err) // the client went away
		return
	case !sp.sent:
		w.Header().Set("Content-Length", strconv.Itoa(len(sp.buf)))
		w.WriteHeader(http.StatusOK)
		w.Write(sp.buf)
	}
}

// serveReportSettings answers GET and PATCH /{version}/admin/reportSettings:
// the tenant's displayConcealedNames, which decides whether the detail
// reports conceal names. With Options.NoReportSettings both answer 403, as
// for a token without ReportSettings.Read.All (or ReadWrite.All).
func (s *Server) serveReportSettings(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	if !strings.EqualFold(version, "beta") && !strings.EqualFold(version, "v1.0") {
		graphError(w, http.StatusNotFound, "ResourceNotFound", "Unknown API version '"+version+"'.")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPatch:
	default:
		w.Header().Set("Allow", "GET, HEAD, PATCH")
		graphError(w, http.StatusMethodNotAllowed, "BadRequest", "The HTTP method '"+r.Method+"' is not allowed for admin/reportSettings.")
		return
	}
	if s.noSettings {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if r.Method != http.MethodPatch {
		body, _ := json.Marshal(struct {
			Context   string `json:"@odata.context"`
			Concealed bool   `json:"displayConcealedNames"`
		}{"https://graph.microsoft.com/" + strings.ToLower(version) + "/$metadata#admin/reportSettings/$entity", s.concealed.Load()})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
		return
	}
	var props map[string]json.RawMessage
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(raw, &props)
	}
	if err != nil || props == nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "The request body is not a JSON object.")
		return
	}
	var concealed *bool
	for k, v := range props {
		switch {
		case k == "displayConcealedNames":
			if err := json.Unmarshal(v, &concealed); err != nil || concealed == nil {
				graphError(w, http.StatusBadRequest, "BadRequest", "Cannot convert the literal '"+string(v)+"' to the expected type 'Edm.Boolean'.")
				return
			}
		case strings.HasPrefix(k, "@odata."):
		default:
			graphError(w, http.StatusBadRequest, "BadRequest", "Invalid property '"+k+"' for microsoft.graph.adminReportSettings.")
			return
		}
	}
	if concealed != nil {
		s.concealed.Store(*concealed)
		s.log.Debug("graphsim: displayConcealedNames set", "value", *concealed)
	}
	w.WriteHeader(http.StatusNoContent)
}
