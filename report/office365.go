package report

// office365: Microsoft 365 activations, active users and services, and Microsoft 365 groups activity. Tables in migrations/00008_office365.sql.
var office365 = []*Spec{}
