#!/usr/bin/env bash
# stop-postgres.sh: stop the throwaway cluster that scripts/ensure-postgres.sh
# runs under .cache/pg/, if it is running. Its data stays (make clean removes
# .cache). Does nothing to a server it did not start.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$root/.cache/pg"
data="$cache/data"

log() { printf 'stop-postgres: %s\n' "$*" >&2; }

if [ ! -f "$data/postmaster.pid" ]; then
	rm -f "$cache/port"
	exit 0
fi

# The pg_ctl of the cluster's own major version (PG_VERSION), else any.
ver=$(cat "$data/PG_VERSION" 2>/dev/null || true)
pg_ctl=''
for c in "/usr/lib/postgresql/$ver/bin/pg_ctl" "$(pg_config --bindir 2>/dev/null || true)/pg_ctl" \
	$(printf '%s\n' /usr/lib/postgresql/*/bin/pg_ctl | sort -V -r); do
	if [ -x "$c" ]; then pg_ctl=$c; break; fi
done
if [ -z "$pg_ctl" ]; then
	log "pg_ctl not found; cannot stop the cluster in $data"
	exit 1
fi

# pg_ctl refuses to run as root: run it as the data directory's owner.
run=()
if [ "$(id -u)" = 0 ]; then
	run=(runuser -u "$(stat -c %U "$data")" --)
fi

if "${run[@]}" "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
	log "stopping the throwaway cluster in $cache"
	"${run[@]}" "$pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
fi
rm -f "$cache/port"
