package report

// onedrive: OneDrive activity and usage. Tables in migrations/00009_onedrive.sql.
var onedrive = []*Spec{}
