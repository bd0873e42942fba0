package report

// teams: Teams device usage, user activity and team activity. Tables in migrations/00011_teams.sql.
//
// Left out: the ...Detail reports (keyed by user or team, not by date); the
// beta-only Total and DistributionTotal functions and
// getTeamsUserActivityDistributionUserCounts, which CATALOGUE.md calls
// probably retired. getTeamsTeamCounts, whose header has a Report Date but
// no Report Period, is a dated report without a period column
// (Spec.NoPeriodColumn).
var teams = []*Spec{
	// The 2021 docs lacked Chrome OS and Linux; docs-contrib and real output
	// (the CLI for Microsoft 365's example) have them.
	fromHeader("getTeamsDeviceUsageUserCounts", "Teams device usage: unique users per device type per day", Users,
		"Report Refresh Date,Web,Windows Phone,Android Phone,iOS,Mac,Windows,Chrome OS,Linux,Report Date,Report Period",
		optional("Chrome OS", "Linux")),
	// Observed line: docs-contrib lacks Chrome OS and Linux, real output has
	// them. A distribution: unique users per device over the whole period.
	fromHeader("getTeamsDeviceUsageDistributionUserCounts", "Teams device usage: unique users per device type over the whole period (one row per refresh date and period)", Users,
		"Report Refresh Date,Web,Windows Phone,Android Phone,iOS,Mac,Windows,Chrome OS,Linux,Report Period",
		optional("Chrome OS", "Linux")),
	// Observed line. docs-contrib spells the meeting columns "Meetings
	// Organized" and "Meetings Attended" (aliases here) and orders the
	// columns differently; the 2021 docs had only the four message, call and
	// meeting columns, so every later column is optional. The three
	// durations are ISO 8601 (PT1H2M3S), summed like the counts.
	fromHeader("getTeamsUserActivityCounts", "Teams user activity: chat, channel post and reply messages, calls, meetings and audio, video and screen-share time per day", Sum,
		"Report Refresh Date,Report Date,Team Chat Messages,Private Chat Messages,Calls,Meetings,Meetings Organized Count,Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Post Messages,Reply Messages,Report Period",
		aliased("Meetings Organized Count", "Meetings Organized"),
		aliased("Meetings Attended Count", "Meetings Attended"),
		typed(Duration, "Audio Duration", "Video Duration", "Screen Share Duration"),
		optional("Meetings Organized Count", "Meetings Attended Count", "Audio Duration", "Video Duration", "Screen Share Duration", "Post Messages", "Reply Messages")),
	fromHeader("getTeamsUserActivityUserCounts", "Teams user activity: unique users who chatted, called, met or did other actions per day", Users,
		"Report Refresh Date,Report Date,Team Chat Messages,Private Chat Messages,Calls,Meetings,Other Actions,Report Period"),
	// Report Period comes before Report Date. The active users, channels,
	// external users and shared channels and the guests are distinct counts
	// per day (Users); messages, reactions, meetings organized and mentions
	// add up (Sum).
	fromHeader("getTeamsTeamActivityCounts", "Teams team activity: active users, channels and guests, and messages, reactions, meetings and mentions in teams per day", Sum,
		"Report Refresh Date,Report Period,Report Date,Active Users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Channel Messages,Active Shared Channels,Active External Users,Reply Messages,Urgent Messages,Mentions",
		aggregates(Users, "Active Users", "Active Channels", "Guests", "Active Shared Channels", "Active External Users")),
	// A distribution (no Report Date): the number of teams per activity over
	// the whole period, distinct teams (Users) in every column.
	fromHeader("getTeamsTeamActivityDistributionCounts", "Teams team activity: teams per activity type over the whole period (one row per refresh date and period)", Users,
		"Report Refresh Date,Report Period,Active Users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Channel Messages,Active Shared Channels,Active External Users,Reply Messages,Urgent Messages,Mentions"),
	// No Report Period in the payload, though the function takes the period
	// (Spec.NoPeriodColumn). The numbers of teams are stocks (Level), the
	// active ones distinct teams of the day (Users).
	fromHeader("getTeamsTeamCounts", "Teams team counts: public and private teams, and the active ones, per day", Level,
		"Report Refresh Date,Report Date,Public Teams,Active Public Teams,Private Teams,Active Private Teams",
		aggregates(Users, "Active Public Teams", "Active Private Teams")),
}
