package report

// DetailReports are the per-entity ...Detail reports (see Detail), built
// from their header lines as Microsoft documents or real files show them
// (docs/detail-reports.md gives the evidence for each). Tables in
// migrations/00016_detail.sql.
var DetailReports = []*Spec{
	// Observed header (the CLI for Microsoft 365's example, 2023-01-24) =
	// documented (docs-contrib v1.0), 13 columns. The 2021 docs had 11,
	// without the two meeting columns, so those are optional. No user id:
	// the entity is the UPN.
	detailHeader("getEmailActivityUserDetail", "Email activity per user: emails sent, received and read, meetings created and interacted with", true,
		"Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period",
		optional("Meeting Created Count", "Meeting Interacted Count")),
	// Observed header (2023-01-25) = documented, 16 columns. The app columns
	// hold the versions of the app the user used (ProPlus, Undetermined...),
	// not counts: beta JSON has string arrays, a CSV cell one value (the
	// separator of several is unseen; '+' as for the other lists).
	detailHeader("getEmailAppUsageUserDetail", "Email app usage per user: the versions of each mail app used", true,
		"Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Mail For Mac,Outlook For Mac,Outlook For Windows,Outlook For Mobile,Other For Mobile,Outlook For Web,POP3 App,IMAP4 App,SMTP App,Report Period",
		typed(List, "Mail For Mac", "Outlook For Mac", "Outlook For Windows", "Outlook For Mobile", "Other For Mobile", "Outlook For Web", "POP3 App", "IMAP4 App", "SMTP App")),
	// Observed header (2023-01-24), 17 columns = the docs-contrib bullets
	// and beta example; the v1.0 example line (15) lacks Deleted Item Quota
	// and Has Archive, so those are optional. period= only (no date=
	// builder in the SDK). Beta JSON names the quota deletedItemQuota, with
	// no InBytes.
	detailHeader("getMailboxUsageDetail", "Mailbox usage per mailbox: items, storage used, quotas, deleted items and archive", false,
		"Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Deleted Item Quota (Byte),Has Archive,Report Period",
		optional("Deleted Item Quota (Byte)", "Has Archive"),
		aliased("Deleted Item Quota (Byte)", "deletedItemQuota")),
	// Observed header (2022-10-25) = documented, 11 columns: no Report
	// Period and no Report Date, and the function takes neither period nor
	// date (Spec.NoPeriod: Path writes getOffice365ActivationsUserDetail()).
	// A row per user and product type, so Product Type is in the key; beta
	// JSON nests a user's products in userActivationCounts. The device
	// columns are activations (counts), in another order than
	// getOffice365ActivationCounts'.
	detailHeader("getOffice365ActivationsUserDetail", "Microsoft 365 activations per user and product type: activated devices per platform, as of the refresh date", false,
		"Report Refresh Date,User Principal Name,Display Name,Product Type,Last Activated Date,Windows,Mac,Windows 10 Mobile,iOS,Android,Activated On Shared Computer",
		periodless(),
		dim("Product Type", "MICROSOFT 365 APPS FOR ENTERPRISE", "MICROSOFT 365 APPS FOR BUSINESS", "PROJECT", "VISIO"),
		nested("userActivationCounts")),
	// Observed header (2022-10-23) = documented, 24 columns, with no Report
	// Period though the function takes the period: the request's is used
	// (detail specs have Report Period optional). The sample's data row has
	// 26 fields for 24 headers (hand-edited CLI docs): header only.
	detailHeader("getOffice365ActiveUserDetail", "Microsoft 365 active users per user: licences, and last activity and licence dates per service", true,
		"Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Has Exchange License,Has OneDrive License,Has SharePoint License,Has Skype For Business License,Has Yammer License,Has Teams License,Exchange Last Activity Date,OneDrive Last Activity Date,SharePoint Last Activity Date,Skype For Business Last Activity Date,Yammer Last Activity Date,Teams Last Activity Date,Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,Skype For Business License Assign Date,Yammer License Assign Date,Teams License Assign Date,Assigned Products"),
	// Observed header (2023-05-31), 19 columns, with External Member Count
	// and Group Id. The docs write Guest Count (an alias) and the
	// catalogue's docs-contrib line lacks Group Id, so it is optional.
	// Group Id is the nil GUID when names are concealed: the entity is then
	// the Group Display Name.
	detailHeader("getOffice365GroupsActivityDetail", "Microsoft 365 groups activity per group: members, guests, email, files, Yammer messages and storage", true,
		"Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,Group Type,Member Count,External Member Count,Exchange Received Email Count,SharePoint Active File Count,Yammer Posted Message Count,Yammer Read Message Count,Yammer Liked Message Count,Exchange Mailbox Total Item Count,Exchange Mailbox Storage Used (Byte),SharePoint Total File Count,SharePoint Site Storage Used (Byte),Group Id,Report Period",
		aliased("External Member Count", "Guest Count"),
		optional("Group Id")),
	// Observed header (2023-05-20) = documented, 11 columns.
	detailHeader("getOneDriveActivityUserDetail", "OneDrive activity per user: files viewed or edited, synced, and shared internally and externally", true,
		"Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Assigned Products,Report Period"),
	// Observed header (2023-05-20) = documented, 11 columns. No site id: the
	// entity is the Site URL (a hash when concealed, still one per
	// OneDrive). The beta resource type names the sizes storageUsedInByte
	// and storageAllocatedInByte (the API example ...InBytes): aliases.
	detailHeader("getOneDriveUsageAccountDetail", "OneDrive usage per account: files, active files, storage used and allocated", true,
		"Report Refresh Date,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Storage Used (Byte),Storage Allocated (Byte),Owner Principal Name,Report Period",
		entity("Site URL"),
		aliased("Storage Used (Byte)", "storageUsedInByte"),
		aliased("Storage Allocated (Byte)", "storageAllocatedInByte")),
	// Observed header (2022-11-26) = documented, 12 columns.
	detailHeader("getSharePointActivityUserDetail", "SharePoint activity per user: files viewed or edited, synced, shared internally and externally, pages visited", true,
		"Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Visited Page Count,Assigned Products,Report Period"),
	// Observed header (2022-11-26) = documented v1.0, 15 columns; the older
	// beta page lacks Owner Principal Name, so it is optional. Site Id is
	// the nil GUID when names are concealed: the entity is then the Site
	// URL.
	detailHeader("getSharePointSiteUsageDetail", "SharePoint site usage per site: files, active files, page views, visited pages, storage used and allocated", true,
		"Report Refresh Date,Site Id,Site URL,Owner Display Name,Is Deleted,Last Activity Date,File Count,Active File Count,Page View Count,Visited Page Count,Storage Used (Byte),Storage Allocated (Byte),Root Web Template,Owner Principal Name,Report Period",
		optional("Owner Principal Name")),
	// Observed header (2022-10-24), 16 columns, "Used  Chrome OS" with two
	// spaces as real output writes it (Normalize drops spaces, so the beta
	// docs' "Used Chrome OS" matches). The v1.0 docs (12) lack User Id,
	// Used Chrome OS, Used Linux and Is Licensed: optional. User Id is the
	// nil GUID when names are concealed: the entity is then the UPN.
	detailHeader("getTeamsDeviceUsageUserDetail", "Teams device usage per user: the kinds of device used", true,
		"Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Used Web,Used Windows Phone,Used iOS,Used Mac,Used Android Phone,Used Windows,Used  Chrome OS,Used Linux,Is Licensed,Report Period",
		optional("User Id", "Used  Chrome OS", "Used Linux", "Is Licensed")),
	// Observed header (the CLI for Microsoft 365's example, 2022-10-28): the
	// 2021 docs had 12 columns, so every later one is optional. User Id is
	// the nil GUID when names are concealed: the entity is then the UPN.
	detailHeader("getTeamsUserActivityUserDetail", "Teams user activity per user: messages, calls, meetings and their durations", true,
		"Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Meetings Organized Count,Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration,Video Duration,Screen Share Duration,Audio Duration In Seconds,Video Duration In Seconds,Screen Share Duration In Seconds,Has Other Action,Urgent Messages,Post Messages,Tenant Display Name,Shared Channel Tenant Display Names,Reply Messages,Is Licensed,Report Period",
		optional("User Id", "Tenant Display Name", "Shared Channel Tenant Display Names", "Post Messages", "Reply Messages", "Urgent Messages",
			"Meetings Organized Count", "Meetings Attended Count", "Ad Hoc Meetings Organized Count", "Ad Hoc Meetings Attended Count",
			"Scheduled One-time Meetings Organized Count", "Scheduled One-time Meetings Attended Count",
			"Scheduled Recurring Meetings Organized Count", "Scheduled Recurring Meetings Attended Count",
			"Audio Duration", "Video Duration", "Screen Share Duration",
			"Audio Duration In Seconds", "Video Duration In Seconds", "Screen Share Duration In Seconds", "Is Licensed")),
	// Documented header (docs-contrib v1.0 example; no real file), 18
	// columns, Report Period 6th. date= is likely (the SDKs have a date
	// builder; the docs contradict themselves). The entity is the Team Id,
	// else the Team Name. Beta JSON nests the metrics in details.
	detailHeader("getTeamsTeamActivityDetail", "Teams team activity per team: active users, channels and guests, reactions, meetings, messages and mentions", true,
		"Report Refresh Date,Team Name,Team Id,Team Type,Last Activity Date,Report Period,Active Users,Active Channels,Guests,Reactions,Meetings Organized,Post Messages,Reply Messages,Channel Messages,Urgent Messages,Mentions,Active Shared Channels,Active External Users",
		nested("details")),
	// Observed header (2022-11-09) = documented, 11 columns. User State and
	// State Change Date stand for Is Deleted and Deleted Date.
	detailHeader("getYammerActivityUserDetail", "Viva Engage (Yammer) activity per user: messages posted, read and liked", true,
		"Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period"),
	// Observed header (2022-11-09) = documented, 13 columns.
	detailHeader("getYammerDeviceUsageUserDetail", "Viva Engage (Yammer) device usage per user: the kinds of device used", true,
		"Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,Used Web,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,Used Others,Report Period"),
	// Observed header (2022-11-10) = documented, 12 columns. No group id:
	// the entity is the Group Display Name.
	detailHeader("getYammerGroupsActivityDetail", "Viva Engage (Yammer) groups activity per group: members, and messages posted, read and liked", true,
		"Report Refresh Date,Group Display Name,Is Deleted,Owner Principal Name,Last Activity Date,Group Type,Office 365 Connected,Member Count,Posted Count,Read Count,Liked Count,Report Period"),
	// Documented header (docs-contrib v1.0; no real file), 39 columns,
	// Report Period 5th. Every platform and app column says whether the
	// user used it in the period (JSON true/false; the CSV spelling is
	// unseen, both True/False and Yes/No parse). JSON, on v1.0 too, nests
	// them in details.
	detailHeader("getM365AppUserDetail", "Microsoft 365 apps usage per user: the platforms and apps used", true,
		"Report Refresh Date,User Principal Name,Last Activation Date,Last Activity Date,Report Period,Windows,Mac,Mobile,Web,Outlook,Word,Excel,PowerPoint,OneNote,Teams,Outlook (Windows),Word (Windows),Excel (Windows),PowerPoint (Windows),OneNote (Windows),Teams (Windows),Outlook (Mac),Word (Mac),Excel (Mac),PowerPoint (Mac),OneNote (Mac),Teams (Mac),Outlook (Mobile),Word (Mobile),Excel (Mobile),PowerPoint (Mobile),OneNote (Mobile),Teams (Mobile),Outlook (Web),Word (Web),Excel (Web),PowerPoint (Web),OneNote (Web),Teams (Web)",
		typed(Bool, "Windows", "Mac", "Mobile", "Web", "Outlook", "Word", "Excel", "PowerPoint", "OneNote", "Teams",
			"Outlook (Windows)", "Word (Windows)", "Excel (Windows)", "PowerPoint (Windows)", "OneNote (Windows)", "Teams (Windows)",
			"Outlook (Mac)", "Word (Mac)", "Excel (Mac)", "PowerPoint (Mac)", "OneNote (Mac)", "Teams (Mac)",
			"Outlook (Mobile)", "Word (Mobile)", "Excel (Mobile)", "PowerPoint (Mobile)", "OneNote (Mobile)", "Teams (Mobile)",
			"Outlook (Web)", "Word (Web)", "Excel (Web)", "PowerPoint (Web)", "OneNote (Web)", "Teams (Web)"),
		nested("details")),
	// Documented header (docs-contrib beta; no real file), 13 columns,
	// Report Period 2nd. period= only. Served under /copilot/reports on
	// v1.0 and beta, as the other Copilot reports (Versions nil); only
	// users with a Copilot licence appear. JSON nests the period in
	// copilotActivityUserDetailsByPeriod.
	detailHeader("getMicrosoft365CopilotUsageUserDetail", "Microsoft 365 Copilot usage per user: last activity in Copilot, per app", false,
		"Report Refresh Date,Report Period,User Principal Name,Display Name,Last Activity Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop Copilot Last Activity Date,Copilot Chat Last Activity Date",
		rooted("/copilot/reports"), nested("copilotActivityUserDetailsByPeriod")),
	// Observed header (2023-01-25) = documented (2021 docs), 35 columns.
	// The Minutes columns are numbers of minutes (counts, not durations).
	// Beta JSON adds "Cloud" to the three Dial-in/out Microsoft columns, and
	// the docs also spell 3rd Party "third Party": aliases.
	detailHeader("getSkypeForBusinessActivityUserDetail", "Skype for Business activity per user: peer-to-peer sessions and conferences organized and participated in, by kind", true,
		"Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Total Peer-to-peer Session Count,Total Organized Conference Count,Total Participated Conference Count,Peer-to-peer Last Activity Date,Organized Conference Last Activity Date,Participated Conference Last Activity Date,Peer-to-peer IM Count,Peer-to-peer Audio Count,Peer-to-peer Audio Minutes,Peer-to-peer Video Count,Peer-to-peer Video Minutes,Peer-to-peer App Sharing Count,Peer-to-peer File Transfer Count,Organized Conference IM Count,Organized Conference Audio/Video Count,Organized Conference Audio/Video Minutes,Organized Conference App Sharing Count,Organized Conference Web Count,Organized Conference Dial-in/out 3rd Party Count,Organized Conference Dial-in/out Microsoft Count,Organized Conference Dial-in Microsoft Minutes,Organized Conference Dial-out Microsoft Minutes,Participated Conference IM Count,Participated Conference Audio/Video Count,Participated Conference Audio/Video Minutes,Participated Conference App Sharing Count,Participated Conference Web Count,Participated Conference Dial-in/out 3rd Party Count,Assigned Products,Report Period",
		aliased("Organized Conference Dial-in/out 3rd Party Count", "Organized Conference Dial-in/out third Party Count"),
		aliased("Participated Conference Dial-in/out 3rd Party Count", "Participated Conference Dial-in/out third Party Count"),
		aliased("Organized Conference Dial-in/out Microsoft Count", "organizedConferenceCloudDialInOutMicrosoftCount"),
		aliased("Organized Conference Dial-in Microsoft Minutes", "organizedConferenceCloudDialInMicrosoftMinutes"),
		aliased("Organized Conference Dial-out Microsoft Minutes", "organizedConferenceCloudDialOutMicrosoftMinutes"),
		alsoNamed("activity-user-detail")),
	// Documented header (2021 docs; no data sample), 9 columns, no Is
	// Deleted. The Used columns are booleans (JSON true/false).
	detailHeader("getSkypeForBusinessDeviceUsageUserDetail", "Skype for Business device usage per user: the kinds of device used", true,
		"Report Refresh Date,User Principal Name,Last Activity Date,Used Windows,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,Report Period",
		alsoNamed("device-usage-user-detail")),
}

// periodless marks a function that takes no period (the activations):
// Spec.NoPeriod, so that Path writes {function}().
func periodless() option { return func(s *Spec) { s.NoPeriod = true } }

// alsoNamed gives a report other short names (Spec.Aliases): the Skype
// reports keep theirs without skype-.
func alsoNamed(names ...string) option {
	return func(s *Spec) { s.Aliases = append(s.Aliases, names...) }
}
