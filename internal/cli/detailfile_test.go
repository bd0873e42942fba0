package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadFileDetailShapes loads detail files shaped as the real exports
// are (../shared/samples: the CLI for Microsoft 365's example responses),
// with values of our own: a Teams user activity row as a concealing tenant
// writes it (the nil GUID for User Id, 32 hex digits for the name, ISO 8601
// durations, Yes/No, a '+' list) and a SharePoint site row as a tenant that
// shows names writes it (a Site Id, a URL). Each lands with the values of
// its file, keyed by the right entity, concealment recorded.
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
	if err := os.WriteFile(sites, []byte("Report Refresh Date,Site Id,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Page View Count,Visited Page Count,Storage Used (Byte),Storage Allocated (Byte),Root Web Template,Owner Principal Name,Report Period\n"+
		"2026-11-20,5f0c2a9e-1b7d-4c3e-9a8f-2d6b1e4c7a90,https://fabrikam.sharepoint.com/sites/Harbour,Harbour Owners,False,2026-08-02,41,3,17,9,88123456,27487790694400,Group,harbour@fabrikam.onmicrosoft.com,30\n"), 0o644); err != nil {
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
	if got := b.scalar(t, `SELECT string_agg(report || '=' || concealed, ',' ORDER BY report) FROM S.report_fetches`); got != "sharepoint-site-usage-detail=false,teams-user-activity-user-detail=true" {
		t.Errorf("fetches' concealment = %s", got)
	}
}
