package graphsim

import "maps"

// The SharePoint reports (report/sharepoint.go), as CATALOGUE.md has them
// (the documented and observed header lines agree).
func init() {
	maps.Copy(catalogue, map[string]string{
		"getSharePointActivityFileCounts":  "Report Refresh Date,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period",
		"getSharePointActivityPages":       "Report Refresh Date,Visited Page Count,Report Date,Report Period",
		"getSharePointActivityUserCounts":  "Report Refresh Date,Visited Page,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period",
		"getSharePointSiteUsageFileCounts": "Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		"getSharePointSiteUsagePages":      "Report Refresh Date,Site Type,Page View Count,Report Date,Report Period",
		"getSharePointSiteUsageSiteCounts": "Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		"getSharePointSiteUsageStorage":    "Report Refresh Date,Site Type,Storage Used (Byte),Report Date,Report Period",
	})
}
