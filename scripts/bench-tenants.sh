#!/usr/bin/env bash
# bench-tenants.sh: a run over many tenants at scale, against graph-sim
# with a delay before every answer (a network's and Graph's time): its
# wall time against the floor of requests x delay / concurrency, and its
# peak RSS. Loads into a schema of its own, dropped afterwards.
#
#   make build && scripts/bench-tenants.sh [TENANTS] [DELAY] [TENANT_CONCURRENCY] [CONCURRENCY]
#   (defaults: 200 tenants, 100ms, 8 tenants at once, 4 reports each)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tenants=${1:-200} delay=${2:-100ms} tc=${3:-8} rc=${4:-4}
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL
dir=$(mktemp -d)
schema=bench_tenants_$$
cleanup() {
	[ -n "${sim:-}" ] && kill "$sim" 2>/dev/null || true
	psql "$DATABASE_URL" -qX -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
bin/ingest graph-sim --addr 127.0.0.1:0 --request-delay "$delay" --token sim-token --url-file "$dir/url" --log-level error >/dev/null 2>&1 &
sim=$!
for _ in $(seq 1 100); do [ -s "$dir/url" ] && break; sleep 0.1; done
printf 'sim-token' >"$dir/token"
{
	echo "tenants:"
	for i in $(seq 1 "$tenants"); do
		printf '  - tenant_id: 5b6f3c2e-0d1a-4c7e-9f00-%012x\n    auth: token\n    access_token_file: %s\n' "$i" "$dir/token"
	done
} >"$dir/tenants.yaml"
/usr/bin/time -f '%e %M' -o "$dir/time" bin/ingest run --graph-url "$(cat "$dir/url")" --tenants-file "$dir/tenants.yaml" \
	--tenant-concurrency "$tc" --concurrency "$rc" --schema "$schema" --log-level error >"$dir/out" 2>"$dir/err" || {
	echo "bench-tenants: the run failed:"; tail -5 "$dir/err"; exit 1; }
read -r wall rss <"$dir/time"
requests=$(psql "$DATABASE_URL" -qAtX -c "SELECT count(*) FROM $schema.fetch_attempts")
fetches=$(psql "$DATABASE_URL" -qAtX -c "SELECT count(*) || ' fetches, ' || count(*) FILTER (WHERE outcome = 'loaded') || ' loaded' FROM $schema.report_fetches")
secs=$(awk -v d="$delay" 'BEGIN { if (d ~ /ms$/) { sub(/ms$/, "", d); print d / 1000 } else { sub(/s$/, "", d); print d } }')
floor=$(awk -v n="$requests" -v s="$secs" -v c="$((tc * rc))" 'BEGIN { printf "%.1f", n * s / c }')
echo "bench-tenants: $tenants tenants, $fetches, $requests requests, delay $delay, $((tc * rc)) at once"
echo "bench-tenants: wall ${wall}s, floor (requests x delay / concurrency) ${floor}s, ratio $(awk -v w="$wall" -v f="$floor" 'BEGIN { printf "%.2f", w / f }'), peak RSS $((rss / 1024)) MiB"
