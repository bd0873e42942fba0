// Package graphsim simulates the Microsoft Graph usage-report API on loopback
// (beyond it only with Options.AllowNonLoopback), for demos and tests. It serves every report in report.All with
// deterministic data and behaves the way Graph does in the places a client
// can get wrong:
//
//   - GET {URL}/{v1.0|beta}/reports/{function}(period='D7') needs
//     "Authorization: Bearer <token>" (401 InvalidAuthenticationToken
//     otherwise). The function may be namespace-qualified
//     (microsoft.graph.getX) and is matched case-insensitively; the period is
//     one of D7, D30, D90, D180. Errors carry Graph's JSON error body
//     {"error":{"code":...,"message":...}}.
//   - CSV, the default (or $format=text/csv), is not in the response: the
//     API answers 302 Found with a Location on a second listener, the
//     download host, carrying a random signature. The link is preauthenticated
//     (the download host never looks at Authorization), lives five minutes of
//     the simulator's clock, and serves application/octet-stream CSV with a
//     UTF-8 byte-order mark, CRLF line ends and an ETag.
//   - On beta, $format=application/json answers 200 with the
//     {"@odata.context":...,"value":[...]} body directly. v1.0 has no JSON
//     and answers 400.
//
// The download host records every request it sees, headers included
// (DownloadRequests), so a test can prove that a client never sent its bearer
// token there. The download URL names the host "localhost" while the API is
// addressed by IP, so, as with graph.microsoft.com and reports.office.com,
// the redirect crosses hosts: Go's http.Client drops Authorization when it
// follows it, and a transport that injects the token on every hop is caught.
//
// Data comes from Generate: a pure function of (seed, report, column, report
// date), so the same date has the same values whatever the period or the
// refresh date. The server seeds it with the tid claim of the configured token
// when that token is a JWT, so two simulated tenants differ. The refresh date
// is today (UTC, by Options.Now) less Options.Latency days; a period of n days
// has one row per report date, newest first, ending at the refresh date, but
// for a snapshot report (the device usage distribution), which has one row
// for the period and no report date. Columns come in the documented order
// (report.Spec.HeaderColumns) with the documented JSON names.
//
// Every response carries an ETag (the 302, the download and the JSON answer);
// a request whose If-None-Match matches it gets 304 Not Modified. With
// Options.PageSize, JSON answers come in pages linked by @odata.nextLink
// ($skiptoken). With Options.SameHostDownloads, download links point at the
// API's own host and port.
//
// Faults are injected on purpose, so that each way Graph misbehaves has a
// test: Options.Faults (the graph-sim command's --fault
// KIND[@REPORT][:TIMES]) hits the report calls it matches, and a request
// header "X-Graphsim-Fault: KIND" hits that one request. A report call gets
// at most one configured fault, answering faults before link faults. The
// kinds: 429 (Retry-After in seconds), 429-date (Retry-After as an HTTP
// date), 503, 504, 401, 403, reset (the connection dropped mid-status-line),
// truncate (the download sends its full Content-Length, half the body, and
// drops the connection) and expire (the download link handed out has
// already expired). APIRequests and DownloadRequests show what was asked.
//
// Request logs go to Options.Logger at debug level. They never include the
// Authorization header or the download URL's query string.
package graphsim
