package report

// yammer: Viva Engage (Yammer) activity, device usage and groups activity. Tables in migrations/00012_yammer.sql.
var yammer = []*Spec{}
