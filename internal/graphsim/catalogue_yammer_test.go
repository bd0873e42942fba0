package graphsim

import "maps"

// The Viva Engage (Yammer) reports (report/yammer.go), as CATALOGUE.md has them.
func init() {
	maps.Copy(catalogue, map[string]string{
		"getYammerActivityCounts":                    "Report Refresh Date,Liked,Posted,Read,Report Date,Report Period",
		"getYammerActivityUserCounts":                "Report Refresh Date,Liked,Posted,Read,Report Date,Report Period",
		"getYammerDeviceUsageDistributionUserCounts": "Report Refresh Date,Web,Windows Phone,Android Phone,iPhone,iPad,Other,Report Period",
		"getYammerDeviceUsageUserCounts":             "Report Refresh Date,Web,Windows Phone,Android Phone,iPhone,iPad,Other,Report Date,Report Period",
		"getYammerGroupsActivityCounts":              "Report Refresh Date,Liked,Posted,Read,Report Date,Report Period",
		"getYammerGroupsActivityGroupCounts":         "Report Refresh Date,Total,Active,Report Date,Report Period",
	})
}
