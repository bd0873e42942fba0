package graphsim

import "maps"

// The Microsoft 365 apps and Copilot reports (report/apps.go), as
// CATALOGUE.md has them (docs-contrib; no observed lines).
func init() {
	maps.Copy(catalogue, map[string]string{
		// Report Period before Report Date.
		"getM365AppPlatformUserCounts": "Report Refresh Date,Report Period,Report Date,Windows,Mac,Mobile,Web",
		"getM365AppUserCounts":         "Report Refresh Date,Report Period,Report Date,Outlook,Word,Excel,PowerPoint,OneNote,Teams",
		// No Report Date; "Microsoft Teams Active Users  " has two trailing
		// spaces, as documented.
		"getMicrosoft365CopilotUserCountSummary": "Report Refresh Date,Report Period,Any App Enabled Users,Any App Active Users,Microsoft Teams Enabled Users,Microsoft Teams Active Users  ,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users",
		"getMicrosoft365CopilotUserCountTrend":   "Report Refresh Date,Report Period,Report Date,Any App Enabled Users,Any App Active Users,Microsoft Teams Enabled Users,Microsoft Teams Active Users,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users",
	})
}
