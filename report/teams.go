package report

// teams: Teams device usage, user activity and team activity. Tables in migrations/00011_teams.sql.
var teams = []*Spec{}
