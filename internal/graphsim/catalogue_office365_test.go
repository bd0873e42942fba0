package graphsim

import "maps"

// The Microsoft 365 activations, active users / services and groups activity
// reports (report/office365.go), as CATALOGUE.md has them (the documented
// lines; real output shows the same).
func init() {
	maps.Copy(catalogue, map[string]string{
		"getOffice365ActivationCounts":          "Report Refresh Date,Product Type,Windows,Mac,Android,iOS,Windows 10 Mobile",
		"getOffice365ActivationsUserCounts":     "Report Refresh Date,Product Type,Assigned,Activated,Shared Computer Activation",
		"getOffice365ActiveUserCounts":          "Report Refresh Date,Office 365,Exchange,OneDrive,SharePoint,Skype For Business,Yammer,Teams,Report Date,Report Period",
		"getOffice365ServicesUserCounts":        "Report Refresh Date,Exchange Active,Exchange Inactive,OneDrive Active,OneDrive Inactive,SharePoint Active,SharePoint Inactive,Skype For Business Active,Skype For Business Inactive,Yammer Active,Yammer Inactive,Teams Active,Teams Inactive,Office 365 Active,Office 365 Inactive,Report Period",
		"getOffice365GroupsActivityCounts":      "Report Refresh Date,Exchange Emails Received,Yammer Messages Posted,Yammer Messages Read,Yammer Messages Liked,Report Date,Report Period",
		"getOffice365GroupsActivityFileCounts":  "Report Refresh Date,Total,Active,Report Date,Report Period",
		"getOffice365GroupsActivityGroupCounts": "Report Refresh Date,Total,Active,Report Date,Report Period",
		"getOffice365GroupsActivityStorage":     "Report Refresh Date,Mailbox Storage Used (Byte),Site Storage Used (Byte),Report Date,Report Period",
	})
}
