#!/usr/bin/env bash
# load-samples.sh: load every counts sample of ../shared/samples (the real
# exported files that SOURCES.md lists) whose report is in the spec table
# into a schema of its own, with bin/ingest load-file --partial (the samples
# are excerpts: one row of a week), and say which loaded. A hand check of
# the parser against real files, not a test: the samples stay out of the
# repository.
#
#   make build && scripts/load-samples.sh [SCHEMA]   # default: samples
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
samples=../shared/samples
schema=${1:-samples}
tenant=3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51
[ -f "$samples/SOURCES.md" ] || { echo "load-samples: no $samples/SOURCES.md" >&2; exit 2; }
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL
known=$(bin/ingest reports --json)
ok=0 failed=0 skipped=0
# The table rows of SOURCES.md: | `file` | function | ...
while IFS=$'\t' read -r file function; do
	case $function in
	*Detail | *detail) skipped=$((skipped + 1)); continue ;;
	esac
	if ! grep -qi "\"function\": \"$function\"" <<<"$known"; then
		skipped=$((skipped + 1))
		continue
	fi
	if out=$(bin/ingest load-file --schema "$schema" --report "$function" --tenant-id "$tenant" --partial "$samples/$file" 2>&1); then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
		printf 'load-samples: %s (%s): %s\n' "$file" "$function" "$(printf '%s\n' "$out" | tail -n 1)"
	fi
done < <(sed -nE 's/^\| `([^`]+)` \| ([A-Za-z0-9]+) \|.*/\1\t\2/p' "$samples/SOURCES.md")
echo "load-samples: $ok loaded, $failed failed, $skipped not counts reports of the spec (detail reports, or none); schema $schema"
[ "$failed" = 0 ]
