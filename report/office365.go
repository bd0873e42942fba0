package report

// office365: Microsoft 365 activations, active users and services, and Microsoft 365 groups activity. Tables in migrations/00008_office365.sql.
//
// The documented header lines (docs-contrib) are the ones the CLI for
// Microsoft 365's real output shows for all eight reports, so no column is
// optional.
var office365 = []*Spec{
	// No Report Date and no Report Period: one row per Product Type as of the
	// refresh date. Activations are a stock of devices with Office activated,
	// so Level. Product Type values: MICROSOFT 365 APPS FOR ENTERPRISE is in
	// real output; the others are the other products that take activations.
	fromHeader("getOffice365ActivationCounts", "Microsoft 365 activations: activated devices per platform and product type, as of the refresh date", Level,
		"Report Refresh Date,Product Type,Windows,Mac,Android,iOS,Windows 10 Mobile",
		dim("Product Type", "MICROSOFT 365 APPS FOR ENTERPRISE", "MICROSOFT 365 APPS FOR BUSINESS", "PROJECT", "VISIO")),
	// Same shape; Assigned, Activated and Shared Computer Activation are
	// stocks of users (Level), not daily active users.
	fromHeader("getOffice365ActivationsUserCounts", "Microsoft 365 activations: users assigned and activated per product type, as of the refresh date", Level,
		"Report Refresh Date,Product Type,Assigned,Activated,Shared Computer Activation",
		dim("Product Type", "MICROSOFT 365 APPS FOR ENTERPRISE", "MICROSOFT 365 APPS FOR BUSINESS", "PROJECT", "VISIO")),
	fromHeader("getOffice365ActiveUserCounts", "Microsoft 365 active users: unique active users per service per day", Users,
		"Report Refresh Date,Office 365,Exchange,OneDrive,SharePoint,Skype For Business,Yammer,Teams,Report Date,Report Period"),
	// A snapshot (no Report Date): active and inactive users per service over
	// the period. Inactive users are distinct users too, so the whole report
	// is Users, like the distributions.
	fromHeader("getOffice365ServicesUserCounts", "Microsoft 365 services: active and inactive users per service over the period", Users,
		"Report Refresh Date,Exchange Active,Exchange Inactive,OneDrive Active,OneDrive Inactive,SharePoint Active,SharePoint Inactive,Skype For Business Active,Skype For Business Inactive,Yammer Active,Yammer Inactive,Teams Active,Teams Inactive,Office 365 Active,Office 365 Inactive,Report Period"),
	// Emails received and Yammer messages posted, read and liked in groups
	// add up over the days.
	fromHeader("getOffice365GroupsActivityCounts", "Microsoft 365 groups activity: emails received and Yammer messages posted, read and liked in groups per day", Sum,
		"Report Refresh Date,Exchange Emails Received,Yammer Messages Posted,Yammer Messages Read,Yammer Messages Liked,Report Date,Report Period"),
	// Total files in the groups' sites is a stock (Level); Active files are
	// distinct files active that day, never summed (Users).
	fromHeader("getOffice365GroupsActivityFileCounts", "Microsoft 365 groups activity: files in all and active files in groups' sites per day", Level,
		"Report Refresh Date,Total,Active,Report Date,Report Period",
		aggregates(Users, "Active")),
	// Total groups is a stock (Level); Active groups are daily distinct
	// groups (Users).
	fromHeader("getOffice365GroupsActivityGroupCounts", "Microsoft 365 groups activity: groups in all and active groups per day", Level,
		"Report Refresh Date,Total,Active,Report Date,Report Period",
		aggregates(Users, "Active")),
	fromHeader("getOffice365GroupsActivityStorage", "Microsoft 365 groups activity: storage used by groups' mailboxes and sites per day", Level,
		"Report Refresh Date,Mailbox Storage Used (Byte),Site Storage Used (Byte),Report Date,Report Period"),
}
