#!/usr/bin/env bash
# demo.sh (make demo): the main job end to end on this machine. Starts the
# built-in Graph simulator, backfills its reports into Postgres with
# bin/ingest, and prints the newest 7 days of m365.skype_organizer_daily.
# Expects bin/ingest to be built (make demo does that first).
#
#   scripts/demo.sh          # the whole demo
#   scripts/demo.sh --show   # only the last step: print what $DATABASE_URL holds
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tenant=3f2d8c1e-5b7a-4e60-9d14-2a6c0b9e7d51
token=demo-token
urlfile=.cache/graph-sim.url
simlog=.cache/graph-sim.log

# show: print the newest 7 days of the daily view with psql (the machine's, a
# server bindir's, or the one inside the docker compose db container) as two
# tables that fit an 80-column terminal, never through a pager, and a
# checksum of the report tables.
show() {
	# The schema bin/ingest loaded: INGEST_SCHEMA, as for bin/ingest, else m365.
	local name=${INGEST_SCHEMA:-m365}
	local schema="\"${name//\"/\"\"}\""
	local view="$schema.skype_organizer_daily"
	local last="from $view where tenant_id = '$tenant' order by report_date desc limit 7"
	local organizers="select report_date as date, im_organizers as im,
	  audio_video_organizers as \"a/v\", app_sharing_organizers as sharing,
	  web_organizers as web, dial_in_out_3rd_party_organizers as \"dial 3rd party\",
	  dial_in_out_microsoft_organizers as \"dial Microsoft\" $last"
	local minutes="select report_date as date, audio_video_minutes as \"a/v\",
	  dial_in_microsoft_minutes as \"dial-in Microsoft\",
	  dial_out_microsoft_minutes as \"dial-out Microsoft\",
	  report_refresh_date as refreshed $last"
	# The checksum covers every row and column of both tables, bookkeeping
	# included: a second `make demo` prints the same one (loads are idempotent).
	local checksum="select md5(string_agg(t, '|' order by t)) from (
	  select u::text as t from $schema.skype_organizer_activity_user_counts u
	  union all select m::text from $schema.skype_organizer_activity_minute_counts m) x"
	# -X: no ~/.psqlrc; pager=off: a terminal shorter than the tables must not
	# stop the demo at a pager (PAGER, PSQL_PAGER).
	local opts=(-X -q -P pager=off)
	local psql
	psql=$(command -v psql || printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V -r | head -n 1)
	local run
	if [ -x "$psql" ]; then
		run=("$psql" "$DATABASE_URL")
	elif docker compose ps --status running db 2>/dev/null | grep -q db; then
		run=(docker compose exec -T db psql -U postgres -d postgres)
	else
		echo "demo: loaded; no psql to show it (apt-get install postgresql-client), try: bin/ingest status" >&2
		return 0
	fi
	echo "demo: the newest 7 days of $name.skype_organizer_daily"
	echo "demo: tenant $tenant, a selection of its columns"
	"${run[@]}" "${opts[@]}" -P "title=unique organizers per activity" -c "$organizers"
	"${run[@]}" "${opts[@]}" -P "title=conference minutes" -c "$minutes"
	echo "demo: checksum of the report tables: $("${run[@]}" "${opts[@]}" -At -c "$checksum")"
}

if [ "${1:-}" = --show ]; then
	: "${DATABASE_URL:?demo.sh --show: set DATABASE_URL}"
	show
	exit 0
fi

# mask URL: the password (user:PASSWORD@ or password=...) replaced by xxxxx.
mask() {
	printf '%s' "$1" | sed -E \
		-e 's#^([A-Za-z][A-Za-z0-9+.-]*://[^:/?@]*):[^@/?]*@#\1:xxxxx@#' \
		-e 's#([?&[:space:]]password=)[^&[:space:]]*#\1xxxxx#g'
}

asked=${DATABASE_URL:-$(scripts/ensure-postgres.sh --default-url)}
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL

# fallback_note: when ensure-postgres.sh fell back to a Postgres of its own,
# say which and how to reach it next (bin/ingest status, psql, make test).
# The docker compose db's password is printed as the variable it comes from.
fallback_note() {
	[ "$DATABASE_URL" != "$asked" ] || return 0
	local what="the docker compose db service (docker compose stop db stops it)"
	if [ -s .cache/pg/port ] && [[ $DATABASE_URL == *":$(cat .cache/pg/port)/"* ]]; then
		what="a throwaway cluster in .cache/pg (scripts/stop-postgres.sh stops it)"
	fi
	local url
	# shellcheck disable=SC2016 # the variable is for the reader's shell
	url=$(printf '%s' "$DATABASE_URL" |
		sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://[^:/?@]*):[^@/?]*@#\1:${POSTGRES_PASSWORD:-ingest}@#')
	echo "demo: no Postgres answered at $(mask "$asked"),"
	echo "demo: so this used $what."
	echo "demo: to use it next (bin/ingest status, psql \"\$DATABASE_URL\", make test):"
	echo "  export DATABASE_URL=\"$url\""
}

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


show
fallback_note
