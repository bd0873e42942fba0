package graphsim

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/m365ingest/ingest/internal/jwtclaim"
	"github.com/m365ingest/ingest/report"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Token is the bearer token API calls must carry; "" means "sim-token".
	// When it is a JWT, its tid claim seeds the data (no signature check).
	Token string
	// Now is the simulator's clock; nil means time.Now. It sets the refresh
	// date, the expiry of download links and Request.Time.
	Now func() time.Time
	// Latency is how many days the refresh date trails today (UTC); 0 means
	// 2. It must not be negative.
	Latency int
	// Logger receives one debug record per request; nil discards them.
	Logger *slog.Logger

	// Faults are injected into the report calls they match (see Fault and
	// FaultHeader).
	Faults []Fault
	// RetryAfter is the wait a 429 fault asks for, in whole seconds; 0 means
	// one second.
	RetryAfter time.Duration
	// SameHostDownloads serves download links from the API's own host and
	// port, so that a client cannot tell the download host by its address.
	SameHostDownloads bool
	// PageSize splits beta JSON answers into pages of this many rows linked
	// by @odata.nextLink; 0 means one page.
	PageSize int
	// AllowNonLoopback lets Start listen on addresses that are not loopback,
	// such as "0.0.0.0:8765" inside a container. Without it they are refused
	// with ErrNotLoopback: the simulator's token is well known. On a wildcard
	// address the URLs handed out still name loopback (see Start).
	AllowNonLoopback bool
	// RetiredSkype answers the Skype for Business reports as Microsoft 365
	// does since Skype for Business Online retired (2021), in every cloud
	// but the one operated by 21Vianet: a valid file without rows (the
	// header line alone; beta JSON an empty value array). The other reports
	// are served as always.
	RetiredSkype bool
	// RequestDelay is added before every answer, of the API and of the
	// download host alike: a network's round trip and Graph's own time, for
	// measuring a run at scale. 0 means none.
	RequestDelay time.Duration

	// Users is how many users the simulated tenant has, each a row of the
	// per-user detail reports (report.DetailReports); 0 means DefaultUsers
	// (50). Groups and SharePoint sites number one per 10 users, teams one
	// per 20. A day's file of a million users is about 100 MB, generated as
	// it is sent.
	Users int
	// Concealed starts the tenant with "display concealed names" on: the
	// detail reports write names as MD5 hashes and ids as the nil GUID.
	// Real tenants have it on by default (since 2021); the simulator starts
	// with it off, so that its data reads plainly. PATCH
	// /{version}/admin/reportSettings changes it at run time.
	Concealed bool
	// NoReportSettings answers /admin/reportSettings with 403
	// Authorization_RequestDenied, as Graph does for a token without
	// ReportSettings.Read.All.
	NoReportSettings bool
}

// ErrNotLoopback is Start's error for an address that is not loopback when
// Options.AllowNonLoopback is not set.
var ErrNotLoopback = errors.New("is not loopback")

// linkLifetime is how long a download link stays valid on the sim clock.
const linkLifetime = 5 * time.Minute

// Server is a running simulator: the Graph API on one loopback listener and
// the download host on another. Its methods are safe for concurrent use.
type Server struct {
	token   string
	seed    string
	now     func() time.Time
	latency int
	log     *slog.Logger

	apiURL, dlURL string
	api, dl       *http.Server
	serving       sync.WaitGroup

	retryAfter time.Duration
	pageSize   int

	mu      sync.Mutex
	links   map[string]link // download id -> payload
	seen    []Request       // every request the download host saw
	apiSeen []Request       // every request the API saw
	faults  []*pendingFault
	retired bool          // Options.RetiredSkype
	delay   time.Duration // Options.RequestDelay

	users      int         // Options.Users
	concealed  atomic.Bool // the tenant's displayConcealedNames
	noSettings bool        // Options.NoReportSettings
}

// link is one preauthenticated download: a body, or a detail file that is
// generated as it is sent.
type link struct {
	sig      string
	expires  time.Time
	body     []byte
	file     *DetailFile
	etag     string
	truncate bool // FaultTruncate: spoil the next download
}

// Request is a request the download host saw.
type Request struct {
	Method string
	Path   string // URL path, without the query
	// Query is an API request's query string; it is never kept for a
	// download request, where it holds the link's signature.
	Query  string
	Header http.Header
	Time   time.Time // on the simulator's clock
}

// Start listens on apiAddr for the Graph API and on dlAddr for the download
// host, and serves until Close. Both must be loopback addresses such as
// "127.0.0.1:0" unless Options.AllowNonLoopback; "" means "127.0.0.1:0".
// A wildcard address ("0.0.0.0:8765", ":8765") also accepts loopback
// connections, so URL and the download links name 127.0.0.1 and localhost
// with its port: reachable in the same network namespace (a container's
// sidecar) or through a port published on the same number.
func Start(apiAddr, dlAddr string, opts Options) (*Server, error) {
	if opts.Latency < 0 {
		return nil, fmt.Errorf("graphsim: Options.Latency %d is negative", opts.Latency)
	}
	if opts.RetryAfter < 0 || opts.PageSize < 0 || opts.RequestDelay < 0 {
		return nil, fmt.Errorf("graphsim: Options.RetryAfter %v or PageSize %d is negative", opts.RetryAfter, opts.PageSize)
	}
	if opts.Users < 0 {
		return nil, fmt.Errorf("graphsim: Options.Users %d is negative", opts.Users)
	}
	faults, err := newPending(opts.Faults)
	if err != nil {
		return nil, err
	}
	s := &Server{
		token:      cmp.Or(opts.Token, "sim-token"),
		now:        opts.Now,
		latency:    cmp.Or(opts.Latency, 2),
		log:        cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		links:      map[string]link{},
		retryAfter: max(cmp.Or(opts.RetryAfter, time.Second), time.Second),
		pageSize:   opts.PageSize,
		retired:    opts.RetiredSkype,
		delay:      opts.RequestDelay,
		faults:     faults,
		users:      cmp.Or(opts.Users, DefaultUsers),
		noSettings: opts.NoReportSettings,
	}
	s.concealed.Store(opts.Concealed)
	s.seed, _ = jwtclaim.Tenant(s.token)
	if s.now == nil {
		s.now = time.Now
	}

	apiLn, err := listen("API", apiAddr, opts.AllowNonLoopback)
	if err != nil {
		return nil, err
	}
	dlLn, err := listen("download", dlAddr, opts.AllowNonLoopback)
	if err != nil {
		apiLn.Close()
		return nil, err
	}
	s.apiURL = "http://" + reachable(apiLn.Addr().(*net.TCPAddr)).String()
	s.dlURL = "http://" + downloadHost(reachable(dlLn.Addr().(*net.TCPAddr)))
	if opts.SameHostDownloads {
		s.dlURL = s.apiURL
	}

	api := http.NewServeMux()
	api.HandleFunc("/{version}/reports/{call}", s.serveReport)
	api.HandleFunc("/{version}/copilot/reports/{call}", s.serveReport)
	api.HandleFunc("/{version}/admin/reportSettings", s.serveReportSettings)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		graphError(w, http.StatusNotFound, "ResourceNotFound", "Resource not found for the segment '"+r.URL.Path+"'.")
	})
	dl := http.NewServeMux()
	dl.HandleFunc("GET /data/download/{id}", s.serveDownload)
	dl.HandleFunc("/", http.NotFound)

	apiHost := http.NewServeMux()
	apiHost.Handle("/", s.recordAPI(s.authenticate(api)))
	if opts.SameHostDownloads {
		apiHost.Handle("/data/download/", s.record(dl))
	}
	s.api = s.httpServer("api", apiHost)
	s.dl = s.httpServer("download", s.record(dl))
	s.serve(s.api, apiLn)
	s.serve(s.dl, dlLn)
	return s, nil
}

// URL is the API's base URL, "http://127.0.0.1:port", without a trailing
// slash or an API version.
func (s *Server) URL() string { return s.apiURL }

// DownloadURL is the download host's base URL. When the download listener is
// on 127.0.0.1 its host is "localhost", a different host from URL's, as
// reports.office.com is from graph.microsoft.com.
func (s *Server) DownloadURL() string { return s.dlURL }

// Close stops both listeners and closes open connections.
func (s *Server) Close() error {
	err := errors.Join(s.api.Close(), s.dl.Close())
	s.serving.Wait()
	return err
}

// DownloadRequests returns every request the download host saw, in order.
func (s *Server) DownloadRequests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRequests(s.seen)
}

// APIRequests returns every request the API saw (download requests on the
// API's host with SameHostDownloads excepted), in order.
func (s *Server) APIRequests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRequests(s.apiSeen)
}

// cloneRequests copies recorded requests, headers included, so callers
// cannot race with the handlers that append to them.
func cloneRequests(rs []Request) []Request {
	out := make([]Request, len(rs))
	for i, r := range rs {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// callPattern splits "[microsoft.graph.]getX(args)"; periodPattern reads
// the args.
var (
	callPattern   = regexp.MustCompile(`^(?i:microsoft\.graph\.)?(\w+)\((.*)\)$`)
	barePattern   = regexp.MustCompile(`^\w+$`)
	periodPattern = regexp.MustCompile(`^(?i)\s*period\s*=\s*'([^']*)'\s*$`)
	// datePattern reads date=YYYY-MM-DD, the date bare (an Edm.Date, as the
	// SDKs send it) or quoted (as some of Microsoft's examples have it).
	datePattern = regexp.MustCompile(`^(?i)\s*date\s*=\s*(?:'([^']*)'|([^'\s]*))\s*$`)
)

// serveReport answers GET /{version}/reports/{function}(period='Dn'), and
// under /{version}/copilot/reports the Copilot reports; a function without
// a period (the activations) is called as {function}() or {function}; a
// detail report that takes a date also as {function}(date=YYYY-MM-DD).
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request) {
	version, call := r.PathValue("version"), r.PathValue("call")
	beta := strings.EqualFold(version, "beta")
	if !beta && !strings.EqualFold(version, "v1.0") {
		graphError(w, http.StatusNotFound, "ResourceNotFound", "Unknown API version '"+version+"'.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		graphError(w, http.StatusMethodNotAllowed, "BadRequest", "The HTTP method '"+r.Method+"' is not allowed for this function.")
		return
	}
	m := callPattern.FindStringSubmatch(call)
	if m == nil && barePattern.MatchString(call) {
		m = []string{call, call, ""}
	}
	var spec *report.Spec
	if m != nil {
		spec = function(m[1])
	}
	root := "/reports"
	if strings.HasPrefix(r.URL.Path, "/"+version+"/copilot/") {
		root = "/copilot/reports"
	}
	if spec == nil || cmp.Or(spec.Root, "/reports") != root || !spec.Serves(strings.ToLower(version)) && !spec.Serves(version) {
		graphError(w, http.StatusNotFound, "ResourceNotFound", "Resource not found for the segment '"+call+"'.")
		return
	}
	days := 0
	var date time.Time // a date= call's day
	if spec.NoPeriod {
		if strings.TrimSpace(m[2]) != "" {
			graphError(w, http.StatusBadRequest, "BadRequest", "The function '"+spec.Function+"' takes no parameters.")
			return
		}
	} else if arg := datePattern.FindStringSubmatch(m[2]); arg != nil {
		var ok bool
		if date, ok = s.checkDate(w, spec, arg[1]+arg[2]); !ok {
			return
		}
	} else {
		arg := periodPattern.FindStringSubmatch(m[2])
		if arg == nil {
			msg := "The parameter 'period' is required, as period='D7', 'D30', 'D90' or 'D180'."
			if spec.Detail != nil && spec.Detail.ByDate {
				msg = "The parameter 'period' or 'date' is required, as period='D7', 'D30', 'D90' or 'D180', or date=YYYY-MM-DD within the last " +
					strconv.Itoa(report.DateWindow) + " days."
			}
			graphError(w, http.StatusBadRequest, "BadRequest", msg)
			return
		}
		var err error
		if _, days, err = report.ValidPeriod(arg[1]); err != nil {
			graphError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
	}

	hit := s.takeFaults(r, spec)
	if s.answerFault(w, hit) {
		return
	}
	if spec.Detail != nil {
		s.serveDetail(w, r, beta, hit, &DetailFile{Spec: spec, Seed: s.seed, Users: s.users, Refresh: s.refreshDate(),
			Date: date, Days: days, Concealed: s.concealed.Load(),
			Empty: s.retired && strings.HasPrefix(spec.Function, "getSkypeForBusiness")})
		return
	}

	rows := Generate(spec, s.seed, s.refreshDate(), days)
	if s.retired && strings.HasPrefix(spec.Function, "getSkypeForBusiness") {
		rows = nil
	}
	switch format := r.URL.Query().Get("$format"); {
	case format == "" || strings.EqualFold(format, "text/csv"):
		body := csvBody(spec, rows)
		tag := etag(body)
		if notModified(w, r, tag) {
			return
		}
		s.redirect(w, link{body: body, etag: tag, truncate: hit[FaultTruncate]}, hit[FaultExpire])
	case strings.EqualFold(format, "application/json") && beta:
		tag := etag(jsonBody(spec, rows))
		skip := r.URL.Query().Get("$skiptoken")
		if skip == "" {
			if notModified(w, r, tag) {
				return
			}
		}
		from, err := strconv.Atoi(cmp.Or(skip, "0"))
		if err != nil || from < 0 || from > len(rows) {
			graphError(w, http.StatusBadRequest, "BadRequest", "Invalid $skiptoken.")
			return
		}
		body := jsonPage(spec, rows, from, s.pageSize, s.apiURL+r.URL.EscapedPath())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if hit[FaultTruncate] {
			truncate(w, body)
		}
		w.Write(body)
	case strings.EqualFold(format, "application/json"):
		graphError(w, http.StatusBadRequest, "BadRequest", "$format=application/json is supported on beta only; v1.0 returns text/csv.")
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid $format '"+format+"': use text/csv or, on beta, application/json.")
	}
}

// notModified sets the answer's ETag to tag and, when the request's
// If-None-Match matches it, answers 304 and reports so.
func notModified(w http.ResponseWriter, r *http.Request, tag string) bool {
	w.Header().Set("ETag", tag)
	if matchETag(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// redirect answers 302 to a new preauthenticated link to l (born expired
// when expired is), as Graph answers a CSV report.
func (s *Server) redirect(w http.ResponseWriter, l link, expired bool) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Location", s.newLink(l, expired))
	w.WriteHeader(http.StatusFound)
}

// function finds the report whose Graph function is name, case-insensitively.
func function(name string) *report.Spec {
	for _, spec := range report.All {
		if strings.EqualFold(name, spec.Function) {
			return spec
		}
	}
	return nil
}

// refreshDate is today (UTC, by the sim clock) less the latency.
func (s *Server) refreshDate() time.Time {
	y, m, d := s.now().UTC().Date()
	return time.Date(y, m, d-s.latency, 0, 0, 0, 0, time.UTC)
}

// newLink stores l (its body or file, ETag and truncate) under a fresh id
// and returns its preauthenticated URL; the link's next download is spoilt
// when l.truncate is set, and it is born expired when expired is. Expired
// links are dropped here.
func (s *Server) newLink(l link, expired bool) string {
	id, sig := randomHex(16), randomHex(32)
	now := s.now()
	l.sig, l.expires = sig, now.Add(linkLifetime)
	if expired {
		l.expires = now
	}
	s.mu.Lock()
	for k, old := range s.links {
		if !now.Before(old.expires) {
			delete(s.links, k)
		}
	}
	s.links[id] = l
	s.mu.Unlock()
	return s.dlURL + "/data/download/" + id + "?sig=" + sig + "&se=" + url.QueryEscape(l.expires.UTC().Format(time.RFC3339))
}

// serveDownload answers GET /data/download/{id}?sig=... on the download host.
// It never looks at Authorization: the link is the credential.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	l, ok := s.links[id]
	spoil := ok && l.truncate
	if spoil { // once: the retry of the same link succeeds
		l.truncate = false
		s.links[id] = l
	}
	s.mu.Unlock()
	if !ok || !s.now().Before(l.expires) {
		http.Error(w, "download link not found or expired", http.StatusNotFound)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("sig")), []byte(l.sig)) != 1 {
		http.Error(w, "signature does not match", http.StatusForbidden)
		return
	}
	if notModified(w, r, l.etag) {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	for _, k := range headerFaults(r) {
		spoil = spoil || k == FaultTruncate
	}
	if l.file != nil {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		s.stream(w, spoil, l.file.writeCSV)
		return
	}
	if spoil {
		truncate(w, l.body)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(l.body)))
	w.Write(l.body)
}

// authenticate requires "Authorization: Bearer <token>" on every API call.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		switch {
		case !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm=""`)
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		case subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.token)) != 1:
			w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failed.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// recordAPI appends every request to s.apiSeen before handling it.
func (s *Server) recordAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Time: s.now()}
		s.mu.Lock()
		s.apiSeen = append(s.apiSeen, req)
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// record appends every request to s.seen before handling it.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Time: s.now()}
		s.mu.Lock()
		s.seen = append(s.seen, req)
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// httpServer wraps h with a debug request log. Only the method and the path
// are logged: never headers, never the query (the download signature).
func (s *Server) httpServer(host string, h http.Handler) *http.Server {
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if s.delay > 0 {
			t := time.NewTimer(s.delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.log.Debug("graphsim request", "host", host, "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration_ms", time.Since(start).Milliseconds())
	})
	return &http.Server{
		Handler:           logged,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// serve runs srv on ln in the background until Close.
func (s *Server) serve(srv *http.Server, ln net.Listener) {
	s.serving.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("graphsim: serve", "addr", ln.Addr().String(), "err", err)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush and Hijack (the faults
// use them).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// graphError writes Graph's JSON error body.
func graphError(w http.ResponseWriter, status int, code, message string) {
	type inner struct {
		Date      string `json:"date"`
		RequestID string `json:"request-id"`
	}
	type detail struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError inner  `json:"innerError"`
	}
	body, _ := json.Marshal(struct {
		Error detail `json:"error"`
	}{detail{code, message, inner{time.Now().UTC().Format(time.RFC3339), randomHex(16)}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// listen listens on addr ("" means 127.0.0.1:0). Unless anyAddr, it refuses
// anything but a loopback address, before listening when addr's host is an
// IP or empty: the simulator's token is well known.
func listen(name, addr string, anyAddr bool) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	refused := fmt.Errorf("graphsim: %s address %q %w", name, addr, ErrNotLoopback)
	if !anyAddr {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			if ip := net.ParseIP(host); host == "" || ip != nil && !ip.IsLoopback() {
				return nil, refused
			}
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("graphsim: listen %s on %q: %w", name, addr, err)
	}
	if !anyAddr && !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		ln.Close()
		return nil, refused
	}
	return ln, nil
}

// reachable is the address to hand out for a listener on a: a wildcard
// (0.0.0.0 or ::) becomes 127.0.0.1, which it accepts too (Linux listens on
// both families for ::).
func reachable(a *net.TCPAddr) *net.TCPAddr {
	if a.IP.IsUnspecified() {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: a.Port}
	}
	return a
}

// downloadHost names the download listener "localhost:port" when it is on
// 127.0.0.1, so that the redirect from the API (addressed by IP) crosses
// hosts as it does on Graph.
func downloadHost(a *net.TCPAddr) string {
	if a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		return net.JoinHostPort("localhost", strconv.Itoa(a.Port))
	}
	return a.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
