package graphsim

import "maps"

// The Teams reports (report/teams.go), as CATALOGUE.md has them.
func init() {
	maps.Copy(catalogue, map[string]string{
		"getTeamsDeviceUsageUserCounts": "Report Refresh Date,Web,Windows Phone,Android Phone,iOS,Mac,Windows,Chrome OS,Linux,Report Date,Report Period",
		// Observed (the docs lack Chrome OS and Linux).
		"getTeamsDeviceUsageDistributionUserCounts": "Report Refresh Date,Web,Windows Phone,Android Phone,iOS,Mac,Windows,Chrome OS,Linux,Report Period",
		// Observed (the docs spell "Meetings Organized" and order the columns differently).
		"getTeamsUserActivityCounts":             "Report Refresh Date,Report Date,Team Chat Messages,Private Chat Messages,Calls,Meetings,Meetings Organized Count,Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Post Messages,Reply Messages,Report Period",
		"getTeamsUserActivityUserCounts":         "Report Refresh Date,Report Date,Team Chat Messages,Private Chat Messages,Calls,Meetings,Other Actions,Report Period",
		"getTeamsTeamActivityCounts":             "Report Refresh Date,Report Period,Report Date,Active Users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Channel Messages,Active Shared Channels,Active External Users,Reply Messages,Urgent Messages,Mentions",
		"getTeamsTeamActivityDistributionCounts": "Report Refresh Date,Report Period,Active Users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Channel Messages,Active Shared Channels,Active External Users,Reply Messages,Urgent Messages,Mentions",
		"getTeamsTeamCounts":                     "Report Refresh Date,Report Date,Public Teams,Active Public Teams,Private Teams,Active Private Teams",
	})
}
