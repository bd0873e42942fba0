// Package migrations embeds the goose SQL migrations of the warehouse. They
// use unqualified names: the connection's search_path selects the schema
// (m365 by default, --schema to change).
package migrations

import "embed"

// FS holds the *.sql migrations.
//
//go:embed *.sql
var FS embed.FS
