package report

// sharepoint: SharePoint activity and site usage. Tables in migrations/00010_sharepoint.sql.
//
// The documented header lines and the real files (the CLI for Microsoft
// 365's examples) agree for all seven reports, so no column is optional.
//
// Site Type: the real files show only "All". graph-sim also serves "Team",
// a plausible other site type (the admin center splits SharePoint sites by
// type) that no real file here shows; parsing takes any value.
var sharepoint = []*Spec{
	fromHeader("getSharePointActivityFileCounts", "SharePoint activity: files viewed or edited, synced, and shared internally and externally, per day", Sum,
		"Report Refresh Date,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period"),
	fromHeader("getSharePointActivityPages", "SharePoint activity: pages visited per day", Sum,
		"Report Refresh Date,Visited Page Count,Report Date,Report Period"),
	fromHeader("getSharePointActivityUserCounts", "SharePoint activity: unique users who visited pages, viewed or edited, synced, or shared files, per day", Users,
		"Report Refresh Date,Visited Page,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period"),
	// Total files is a stock (Level); Active files are the files active that
	// day (Users: averaged over a week, never summed).
	fromHeader("getSharePointSiteUsageFileCounts", "SharePoint site usage: files in all and active files across sites per site type per day", Level,
		"Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		dim("Site Type", "All", "Team"),
		aggregates(Users, "Active")),
	// Page views add up over the days (Sum), though the report is per site type.
	fromHeader("getSharePointSiteUsagePages", "SharePoint site usage: page views across sites per site type per day", Sum,
		"Report Refresh Date,Site Type,Page View Count,Report Date,Report Period",
		dim("Site Type", "All", "Team")),
	// Total sites is a stock (Level); Active sites are daily distinct sites
	// (Users).
	fromHeader("getSharePointSiteUsageSiteCounts", "SharePoint site usage: sites in all and active sites per site type per day", Level,
		"Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		dim("Site Type", "All", "Team"),
		aggregates(Users, "Active")),
	fromHeader("getSharePointSiteUsageStorage", "SharePoint site usage: storage used across sites per site type per day", Level,
		"Report Refresh Date,Site Type,Storage Used (Byte),Report Date,Report Period",
		dim("Site Type", "All", "Team")),
}
