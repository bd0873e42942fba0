package report

// exchange: email activity, email app usage and mailbox usage (Exchange
// Online). Tables in migrations/00007_exchange.sql.
var exchange = []*Spec{
	// docs-contrib documents only Send, Receive and Read; real output (the CLI
	// for Microsoft 365's example) has the two meeting columns too.
	fromHeader("getEmailActivityCounts", "Email activity: emails sent, received and read, and meetings created and interacted with, per day", Sum,
		"Report Refresh Date,Send,Receive,Read,Meeting Created,Meeting Interacted,Report Date,Report Period",
		optional("Meeting Created", "Meeting Interacted")),
	// The 2021 docs had no meeting columns.
	fromHeader("getEmailActivityUserCounts", "Email activity: unique users who sent, received or read email, or created or interacted with meetings, per day", Users,
		"Report Refresh Date,Send,Receive,Read,Meeting Created,Meeting Interacted,Report Date,Report Period",
		optional("Meeting Created", "Meeting Interacted")),
	fromHeader("getEmailAppUsageAppsUserCounts", "Email app usage: unique users per email app over the period", Users,
		"Report Refresh Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Period"),
	fromHeader("getEmailAppUsageUserCounts", "Email app usage: unique users per email app per day", Users,
		"Report Refresh Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Date,Report Period"),
	// Outlook M365 and Outlook 2019 come after Report Period, and were added
	// to the report later.
	fromHeader("getEmailAppUsageVersionsUserCounts", "Email app usage: unique users per Outlook version over the period", Users,
		"Report Refresh Date,Outlook 2016,Outlook 2013,Outlook 2010,Outlook 2007,Undetermined,Report Period,Outlook M365,Outlook 2019",
		optional("Outlook M365", "Outlook 2019")),
	fromHeader("getMailboxUsageMailboxCounts", "Mailbox usage: mailboxes in all and active mailboxes per day", Level,
		"Report Refresh Date,Total,Active,Report Date,Report Period",
		aggregates(Users, "Active")),
	fromHeader("getMailboxUsageQuotaStatusMailboxCounts", "Mailbox usage: mailboxes per quota status per day", Level,
		"Report Refresh Date,Under Limit,Warning Issued,Send Prohibited,Send/Receive Prohibited,Indeterminate,Report Date,Report Period"),
	fromHeader("getMailboxUsageStorage", "Mailbox usage: storage used by all mailboxes per day", Level,
		"Report Refresh Date,Storage Used (Byte),Report Date,Report Period"),
}
