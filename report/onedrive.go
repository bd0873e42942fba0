package report

// onedrive: OneDrive activity and usage. Tables in migrations/00009_onedrive.sql.
//
// The documented header lines and the real files (the CLI for Microsoft
// 365's examples) agree for all five reports, so no column is optional.
var onedrive = []*Spec{
	fromHeader("getOneDriveActivityFileCounts", "OneDrive activity: files viewed or edited, synced, and shared internally and externally, per day", Sum,
		"Report Refresh Date,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period"),
	fromHeader("getOneDriveActivityUserCounts", "OneDrive activity: unique users who viewed or edited, synced, or shared files internally and externally, per day", Users,
		"Report Refresh Date,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period"),
	// Total accounts is a stock (Level); Active accounts are daily distinct
	// accounts (Users). Site Type: the real file shows only "All".
	fromHeader("getOneDriveUsageAccountCounts", "OneDrive usage: OneDrive accounts in all and active accounts per site type per day", Level,
		"Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		dim("Site Type", "All"),
		aggregates(Users, "Active")),
	// Total files is a stock (Level); Active files are the files active that
	// day (Users: averaged over a week, never summed). Site Type: the real
	// file shows only "All".
	fromHeader("getOneDriveUsageFileCounts", "OneDrive usage: files in all and active files across OneDrive accounts per site type per day", Level,
		"Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		dim("Site Type", "All"),
		aggregates(Users, "Active")),
	// Site Type: the real file shows "OneDrive" here, not "All".
	fromHeader("getOneDriveUsageStorage", "OneDrive usage: storage used across OneDrive accounts per site type per day", Level,
		"Report Refresh Date,Site Type,Storage Used (Byte),Report Date,Report Period",
		dim("Site Type", "OneDrive")),
}
