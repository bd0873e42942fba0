package report

// apps: Microsoft 365 apps usage and Microsoft 365 Copilot usage. Tables in migrations/00013_apps.sql.
var apps = []*Spec{
	// Report Period comes before Report Date (docs-contrib v1.0; no observed
	// line). The JSON nests the days in "userCounts" (Spec.NestedJSON).
	fromHeader("getM365AppPlatformUserCounts", "Microsoft 365 apps usage: unique users per platform (Windows, Mac, mobile, web) per day", Users,
		"Report Refresh Date,Report Period,Report Date,Windows,Mac,Mobile,Web",
		nested("userCounts")),
	// As above: Report Period before Report Date, days nested in "userCounts"
	// in JSON.
	fromHeader("getM365AppUserCounts", "Microsoft 365 apps usage: unique users per app (Outlook, Word, Excel, PowerPoint, OneNote, Teams) per day", Users,
		"Report Refresh Date,Report Period,Report Date,Outlook,Word,Excel,PowerPoint,OneNote,Teams",
		nested("userCounts")),
	// A snapshot (no Report Date): one row per refresh date and period. The
	// documented header has "Microsoft Teams Active Users  " with two
	// trailing spaces; it is kept as documented (graph-sim serves it so),
	// while Snake trims it to microsoft_teams_active_users and Normalize
	// drops spaces, so a clean "Microsoft Teams Active Users" header (and
	// the JSON microsoftTeamsActiveUsers) matches it without an alias.
	// "Enabled Users" are the users licensed for Copilot, a stock like the
	// activations' Assigned: Level, not Users. Served under /copilot/reports
	// (v1.0 and beta); beta JSON nests the values in "adoptionByProduct",
	// the period included.
	fromHeader("getMicrosoft365CopilotUserCountSummary", "Microsoft 365 Copilot usage: users enabled for and active in Copilot, per app, over the whole period (one row per refresh date and period)", Users,
		"Report Refresh Date,Report Period,Any App Enabled Users,Any App Active Users,Microsoft Teams Enabled Users,Microsoft Teams Active Users  ,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users",
		rooted("/copilot/reports"), nested("adoptionByProduct"),
		aggregates(Level, "Any App Enabled Users", "Microsoft Teams Enabled Users", "Word Enabled Users", "PowerPoint Enabled Users",
			"Outlook Enabled Users", "Excel Enabled Users", "OneNote Enabled Users", "Loop Enabled Users", "Copilot Chat Enabled Users")),
	// Report Period before Report Date. Active users are daily distinct
	// users (Users); Enabled Users a stock of licensed users (Level), as in
	// the summary. Served under /copilot/reports; beta JSON nests the days in
	// "adoptionByDate".
	fromHeader("getMicrosoft365CopilotUserCountTrend", "Microsoft 365 Copilot usage: users enabled for and active in Copilot, per app, per day", Users,
		"Report Refresh Date,Report Period,Report Date,Any App Enabled Users,Any App Active Users,Microsoft Teams Enabled Users,Microsoft Teams Active Users,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users",
		rooted("/copilot/reports"), nested("adoptionByDate"),
		aggregates(Level, "Any App Enabled Users", "Microsoft Teams Enabled Users", "Word Enabled Users", "PowerPoint Enabled Users",
			"Outlook Enabled Users", "Excel Enabled Users", "OneNote Enabled Users", "Loop Enabled Users", "Copilot Chat Enabled Users")),
}
