package graphsim

import "maps"

// The Exchange reports (report/exchange.go), as CATALOGUE.md has them.
func init() {
	maps.Copy(catalogue, map[string]string{
		// Observed (the docs lack the two meeting columns).
		"getEmailActivityCounts":                  "Report Refresh Date,Send,Receive,Read,Meeting Created,Meeting Interacted,Report Date,Report Period",
		"getEmailActivityUserCounts":              "Report Refresh Date,Send,Receive,Read,Meeting Created,Meeting Interacted,Report Date,Report Period",
		"getEmailAppUsageAppsUserCounts":          "Report Refresh Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Period",
		"getEmailAppUsageUserCounts":              "Report Refresh Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Date,Report Period",
		"getEmailAppUsageVersionsUserCounts":      "Report Refresh Date,Outlook 2016,Outlook 2013,Outlook 2010,Outlook 2007,Undetermined,Report Period,Outlook M365,Outlook 2019",
		"getMailboxUsageMailboxCounts":            "Report Refresh Date,Total,Active,Report Date,Report Period",
		"getMailboxUsageQuotaStatusMailboxCounts": "Report Refresh Date,Under Limit,Warning Issued,Send Prohibited,Send/Receive Prohibited,Indeterminate,Report Date,Report Period",
		"getMailboxUsageStorage":                  "Report Refresh Date,Storage Used (Byte),Report Date,Report Period",
	})
}
