package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFileDetailShapes loads detail files shaped as the real exports
// are (../shared/samples: the CLI for Microsoft 365's example responses),
// with values of our own: a Teams user activity row as a concealing tenant
// writes it (the nil GUID for User Id, 32 hex digits for the name, ISO 8601
// durations, Yes/No, a '+' list) and a SharePoint site row as a tenant that
// shows names writes it (a Site Id, a URL, and a column we do not know).
// Each lands with the values of its file, keyed by the right entity,
// concealment and the unknown column recorded.
func TestLoadFileDetailShapes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	teams := filepath.Join(dir, "teams.csv")
	if err := os.WriteFile(teams, []byte("\uFEFFReport Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Meetings Organized Count,Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Audio Duration In Seconds,Video Duration In Seconds,Screen Share Duration In Seconds,Has Other Action,Urgent Messages,Post Messages,Tenant Display Name,Shared Channel Tenant Display Names,Reply Messages,Is Licensed,Report Period\r\n"+
		"2026-11-20,00000000-0000-0000-0000-000000000000,0A1B2C3D4E5F60718293A4B5C6D7E8F9,2026-11-18,False,,OFFICE 365 E3+MICROSOFT TEAMS ROOMS,12,7,3,2,1,1,0,0,1,1,0,0,PT1H2M3S,PT5M,PT0S,3723,300,0,Yes,1,4,FABRIKAM,,6,Yes,7\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sites := filepath.Join(dir, "sites.csv")
	if err := os.WriteFile(sites, []byte("Report Refresh Date,Site Id,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Page View Count,Visited Page Count,Storage Used (Byte),Storage Allocated (Byte),Root Web Template,Owner Principal Name,Report Period,Sensitivity Label\n"+
		"2026-11-20,5f0c2a9e-1b7d-4c3e-9a8f-2d6b1e4c7a90,https://fabrikam.sharepoint.com/sites/Harbour,Harbour Owners,False,2026-08-02,41,3,17,9,88123456,27487790694400,Group,harbour@fabrikam.onmicrosoft.com,30,General\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ report, path string }{{"teams-user-activity-user-detail", teams}, {"sharepoint-site-usage-detail", sites}} {
		if code, stdout, stderr := b.ingest(t, "load-file", "--report", f.report, "--tenant-id", tenant, f.path); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", f.report, code, stdout, stderr)
		}
	}
	if got := b.scalar(t, `SELECT format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', report_date, report_period, entity_key, concealed, user_id IS NULL,
		last_activity_date, assigned_products, team_chat_message_count, audio_duration, video_duration, has_other_action, is_licensed, tenant_display_name)
		FROM S.teams_user_activity_user_detail`); got != "2026-11-20|7|0A1B2C3D4E5F60718293A4B5C6D7E8F9|t|t|2026-11-18|{\"OFFICE 365 E3\",\"MICROSOFT TEAMS ROOMS\"}|12|01:02:03|00:05:00|t|t|FABRIKAM" {
		t.Errorf("teams row = %s", got)
	}
	if got := b.scalar(t, `SELECT format('%s|%s|%s|%s|%s|%s|%s|%s|%s', report_date, report_period, entity_key, concealed, site_url,
		last_activity_date, storage_used_byte, storage_allocated_byte, owner_principal_name)
		FROM S.sharepoint_site_usage_detail`); got != "2026-11-20|30|5f0c2a9e-1b7d-4c3e-9a8f-2d6b1e4c7a90|f|https://fabrikam.sharepoint.com/sites/Harbour|2026-08-02|88123456|27487790694400|harbour@fabrikam.onmicrosoft.com" {
		t.Errorf("site row = %s", got)
	}
	if got := b.scalar(t, `SELECT string_agg(report || '=' || concealed || coalesce(' ' || unknown_columns::text, ''), ',' ORDER BY report) FROM S.report_fetches`); got != "sharepoint-site-usage-detail=false {\"Sensitivity Label\"},teams-user-activity-user-detail=true" {
		t.Errorf("fetches' concealment and unknown columns = %s", got)
	}
}

// TestLoadFilePseudonymizeWithholdsValues: under --pseudonymize, a file
// refused for a bad value does not quote it: a display name with a comma,
// unquoted, shifts the columns after it, and the value refused is then a
// piece of the name.
func TestLoadFilePseudonymizeWithholdsValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := t.TempDir()
	key, path := filepath.Join(dir, "key"), filepath.Join(dir, "mailboxes.csv")
	if err := os.WriteFile(key, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Report Period\n"+
		"2026-11-20,zqx@contoso.com,Zqxleak, Dave,False,2023-01-18,2026-11-19,191,5719031,105226698752,106300440576,107374182400,25,582157,32212254720,False,7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := b.ingest(t, "load-file", "--report", "mailbox-usage-detail", "--tenant-id", tenant,
		"--pseudonymize", "--pseudonymize-key-file", key, path)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	stored := b.scalar(t, `SELECT coalesce(string_agg(error, ' '), '') FROM S.report_fetches`) + b.scalar(t, `SELECT coalesce(string_agg(error, ' '), '') FROM S.ingest_runs`)
	for where, text := range map[string]string{"stdout": stdout, "stderr": stderr, "the warehouse": stored} {
		if strings.Contains(strings.ToLower(text), "dave") || strings.Contains(strings.ToLower(text), "zqx") {
			t.Errorf("%s holds a piece of a name:\n%s", where, text)
		}
	}
	if !strings.Contains(stderr, "withheld under --pseudonymize") {
		t.Errorf("the error should say the value is withheld:\n%s", lastLines(stderr, 2))
	}
}

// TestLoadFileDetailLimit: a detail file is read as it loads, never whole,
// and one larger than --max-payload-bytes is refused all the same, with
// nothing of it kept.
func TestLoadFileDetailLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	path := filepath.Join(t.TempDir(), "sites.csv")
	body := "Report Refresh Date,Site Id,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Page View Count,Visited Page Count,Storage Used (Byte),Storage Allocated (Byte),Root Web Template,Owner Principal Name,Report Period\n"
	for i := range 50 {
		body += fmt.Sprintf("2026-11-20,5f0c2a9e-1b7d-4c3e-9a8f-%012d,https://f.sharepoint.com/sites/s%d,Owners,False,,1,0,0,0,1,2,Group,o@f.com,30\n", i, i)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := b.ingest(t, "load-file", "--report", "sharepoint-site-usage-detail", "--tenant-id", tenant, "--max-payload-bytes", "2000", path)
	if code != ExitFailed || !strings.Contains(lastLines(stderr, 1), "larger than the limit of 2000 bytes (--max-payload-bytes)") {
		t.Fatalf("exit %d, want 1 and the limit named\n%s\n%s", code, stdout, lastLines(stderr, 2))
	}
	if n := b.scalar(t, `SELECT (SELECT count(*) FROM S.sharepoint_site_usage_detail) + (SELECT count(*) FROM S.payloads) + (SELECT count(*) FROM S.payload_chunks)`); n != "0" {
		t.Errorf("%s rows, payloads or chunks kept of a file over the limit", n)
	}
	if code, stdout, stderr := b.ingest(t, "load-file", "--report", "sharepoint-site-usage-detail", "--tenant-id", tenant, path); code != ExitOK ||
		b.scalar(t, `SELECT count(*) FROM S.sharepoint_site_usage_detail`) != "50" {
		t.Errorf("within the limit: exit %d\n%s\n%s", code, stdout, lastLines(stderr, 2))
	}
}
