package report

// yammer: Viva Engage (Yammer) activity, device usage and groups activity. Tables in migrations/00012_yammer.sql.
// The ...Detail reports are left out (keyed by user or group, not by date).
var yammer = []*Spec{
	fromHeader("getYammerActivityCounts", "Viva Engage (Yammer) activity: messages liked, posted and read per day", Sum,
		"Report Refresh Date,Liked,Posted,Read,Report Date,Report Period"),
	fromHeader("getYammerActivityUserCounts", "Viva Engage (Yammer) activity: unique users who liked, posted or read messages per day", Users,
		"Report Refresh Date,Liked,Posted,Read,Report Date,Report Period"),
	// A distribution: unique users per device over the whole period.
	fromHeader("getYammerDeviceUsageDistributionUserCounts", "Viva Engage (Yammer) device usage: unique users per device type over the whole period (one row per refresh date and period)", Users,
		"Report Refresh Date,Web,Windows Phone,Android Phone,iPhone,iPad,Other,Report Period"),
	fromHeader("getYammerDeviceUsageUserCounts", "Viva Engage (Yammer) device usage: unique users per device type per day", Users,
		"Report Refresh Date,Web,Windows Phone,Android Phone,iPhone,iPad,Other,Report Date,Report Period"),
	fromHeader("getYammerGroupsActivityCounts", "Viva Engage (Yammer) groups activity: messages liked, posted and read in groups per day", Sum,
		"Report Refresh Date,Liked,Posted,Read,Report Date,Report Period"),
	// Total is the number of groups at the end of the day (Level); Active
	// the groups active that day (Users).
	fromHeader("getYammerGroupsActivityGroupCounts", "Viva Engage (Yammer) groups activity: groups in all and active groups per day", Level,
		"Report Refresh Date,Total,Active,Report Date,Report Period",
		aggregates(Users, "Active")),
}
