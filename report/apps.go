package report

// apps: Microsoft 365 apps usage and Microsoft 365 Copilot usage. Tables in migrations/00013_apps.sql.
var apps = []*Spec{}
