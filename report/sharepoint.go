package report

// sharepoint: SharePoint activity and site usage. Tables in migrations/00010_sharepoint.sql.
var sharepoint = []*Spec{}
