package graphsim

import "maps"

// The OneDrive reports (report/onedrive.go), as CATALOGUE.md has them (the
// documented and observed header lines agree).
func init() {
	maps.Copy(catalogue, map[string]string{
		"getOneDriveActivityFileCounts": "Report Refresh Date,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period",
		"getOneDriveActivityUserCounts": "Report Refresh Date,Viewed Or Edited,Synced,Shared Internally,Shared Externally,Report Date,Report Period",
		"getOneDriveUsageAccountCounts": "Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		"getOneDriveUsageFileCounts":    "Report Refresh Date,Site Type,Total,Active,Report Date,Report Period",
		"getOneDriveUsageStorage":       "Report Refresh Date,Site Type,Storage Used (Byte),Report Date,Report Period",
	})
}
