#!/usr/bin/env bash
# demo.sh (make demo): the main job end to end on this machine. Starts the
# built-in Graph simulator, backfills its reports into Postgres with
# bin/ingest, and prints the newest 7 days of m365.skype_organizer_daily.
# Expects bin/ingest to be built (make demo does that first).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tenant=3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51
token=demo-token
urlfile=.cache/graph-sim.url
simlog=.cache/graph-sim.log

DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL

# The simulator runs in the background until this script ends, however it ends.
sim=''
cleanup() {
	if [ -n "$sim" ]; then
		kill "$sim" 2>/dev/null || true
		wait "$sim" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p .cache
rm -f "$urlfile"
bin/ingest graph-sim --addr 127.0.0.1:0 --download-addr 127.0.0.1:0 \
	--token "$token" --url-file "$urlfile" >"$simlog" 2>&1 &
sim=$!

# It writes its API base URL into $urlfile once listening: wait up to 10 s.
for _ in $(seq 1 100); do
	[ -s "$urlfile" ] && break
	if ! kill -0 "$sim" 2>/dev/null; then
		echo "demo: the Graph simulator exited; the end of $simlog:" >&2
		tail -n 20 "$simlog" >&2
		exit 1
	fi
	sleep 0.1
done
if [ ! -s "$urlfile" ]; then
	echo "demo: the Graph simulator wrote no URL to $urlfile within 10 s (log: $simlog)" >&2
	exit 1
fi
graph_url=$(head -n 1 "$urlfile")
echo "demo: Graph simulator at $graph_url (log: $simlog)" >&2

# The token through the environment: on the command line, every local user
# could read it (ingest warns of that).
GRAPH_ACCESS_TOKEN="$token" bin/ingest backfill --graph-url "$graph_url" \
	--tenant-id "$tenant" --database-url "$DATABASE_URL"

# Print the last 7 days with psql: the machine's, a server bindir's, or the one
# inside the docker compose db container.
query='select * from m365.skype_organizer_daily order by report_date desc limit 7'
psql=$(command -v psql || printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V -r | head -n 1)
# The checksum covers every row and column of both tables, bookkeeping
# included: a second `make demo` prints the same one (loads are idempotent).
checksum="select md5(string_agg(t, '|' order by t)) from (
  select u::text as t from m365.skype_organizer_activity_user_counts u
  union all select m::text from m365.skype_organizer_activity_minute_counts m) x"
if [ -x "$psql" ]; then
	"$psql" "$DATABASE_URL" -c "$query"
	echo "demo: checksum of the report tables: $("$psql" "$DATABASE_URL" -Atc "$checksum")"
elif docker compose ps --status running db 2>/dev/null | grep -q db; then
	docker compose exec -T db psql -U postgres -d postgres -c "$query"
else
	echo "demo: loaded; no psql to show it (apt-get install postgresql-client), try: bin/ingest status" >&2
fi
