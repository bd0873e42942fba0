// Package views embeds the analyst-facing views. `ingest migrate` applies the
// files in name order after the migrations, every time, so each file must be
// idempotent (CREATE OR REPLACE VIEW) and may use views of earlier files.
package views

import "embed"

// FS holds the *.sql view definitions.
//
//go:embed *.sql
var FS embed.FS
