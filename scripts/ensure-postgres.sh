#!/usr/bin/env bash
# ensure-postgres.sh: print one line on stdout, the URL of a PostgreSQL server
# that answers, for callers to use as DATABASE_URL:
#
#   DATABASE_URL=$(scripts/ensure-postgres.sh)
#   scripts/ensure-postgres.sh --default-url   # only print the default below
#
# Tried in order:
#   1. $DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable);
#   2. a throwaway cluster under .cache/pg/ when PostgreSQL's server binaries
#      are installed (initdb once, started on a free 127.0.0.1 port, reused by
#      later calls; scripts/stop-postgres.sh stops it);
#   3. the `db` service of docker-compose.yml when a Docker engine answers.
# Progress goes to stderr; passwords are masked in everything printed there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$root/.cache/pg"
# The same default as internal/localpg (--database-url's and the tests').
default_url='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
if [ "${1:-}" = --default-url ]; then
	printf '%s\n' "$default_url"
	exit 0
fi
url=${DATABASE_URL:-$default_url}

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }

# mask URL: replace the password (user:PASSWORD@ or password=...) by xxxxx.
mask() {
	printf '%s' "$1" | sed -E \
		-e 's#^([A-Za-z][A-Za-z0-9+.-]*://[^:/?@]*):[^@/?]*@#\1:xxxxx@#' \
		-e 's#([?&[:space:]]password=)[^&[:space:]]*#\1xxxxx#g' \
		-e 's#^(password=)[^&[:space:]]*#\1xxxxx#'
}

# bindir: the newest directory holding initdb and pg_ctl, or nothing.
bindir() {
	local d
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	done
	return 1
}

# tool NAME: a PostgreSQL client program from PATH or a server bindir.
tool() {
	local d
	if command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
		return 0
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/$1" ] && { printf '%s\n' "$d/$1"; return 0; }
	done
	return 1
}

# hostport URL: "host port" of a postgres:// URL (first host), for /dev/tcp.
hostport() {
	local rest hp host port
	rest=${1#*://}
	rest=${rest##*@}
	hp=${rest%%[/?]*}
	hp=${hp%%,*}
	case $hp in
	\[*\]:*) host=${hp%%]:*}; host=${host#[}; port=${hp##*]:} ;;
	\[*\]) host=${hp#[}; host=${host%]}; port=5432 ;;
	*:*) host=${hp%%:*}; port=${hp##*:} ;;
	*) host=$hp; port=5432 ;;
	esac
	printf '%s %s\n' "${host:-127.0.0.1}" "${port:-5432}"
}

# answers URL: true when a server accepts connections at URL.
answers() {
	local prog host port
	if prog=$(tool pg_isready); then
		"$prog" -q -t 3 -d "$1" >/dev/null 2>&1
	elif prog=$(tool psql); then
		PGCONNECT_TIMEOUT=3 "$prog" "$1" -qAtX -c 'select 1' >/dev/null 2>&1
	else
		case $1 in *://*) ;; *) return 1 ;; esac
		read -r host port <<<"$(hostport "$1")"
		# shellcheck disable=SC2016 # expanded by the inner bash
		timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
	fi
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() {
	if command -v python3 >/dev/null 2>&1 &&
		python3 -c 'import socket' >/dev/null 2>&1; then
		python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
	else
		# shellcheck disable=SC2016 # expanded by the inner bash
		if timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; then
			return 1
		fi
	fi
}

# --- 1. the given (or default) URL -----------------------------------------
if answers "$url"; then
	printf '%s\n' "$url"
	exit 0
fi

# --- 2. a throwaway cluster under .cache/pg ----------------------------------
if bin=$(bindir); then
	log "nothing answers at $(mask "$url"); using a throwaway cluster"
	mkdir -p "$cache"
	# One caller at a time builds or starts the cluster.
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$root/.cache/pg.lock"
		flock 9
	fi

	data="$cache/data"
	sock="$cache/run"
	# An existing cluster needs the binaries of its own major version.
	if [ -f "$data/PG_VERSION" ]; then
		ver=$(cat "$data/PG_VERSION")
		if [ -x "/usr/lib/postgresql/$ver/bin/pg_ctl" ]; then
			bin="/usr/lib/postgresql/$ver/bin"
		fi
	fi
	pgurl() { printf 'postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$1"; }

	# initdb and postgres refuse to run as root: run them as another user.
	run=()
	if [ "$(id -u)" = 0 ]; then
		owner=postgres
		if ! id -u "$owner" >/dev/null 2>&1; then
			owner=ingest-pg
			if ! id -u "$owner" >/dev/null 2>&1; then
				log "creating system user $owner to own the throwaway cluster"
				useradd --system --no-create-home --shell /usr/sbin/nologin "$owner" >&2
			fi
		fi
		chown -R "$owner" "$cache"
		run=(runuser -u "$owner" --)
		if ! "${run[@]}" test -w "$cache"; then
			log "user $owner cannot write $cache (is a parent directory closed to it?)"
			exit 1
		fi
	fi

	# Reuse a cluster started by an earlier call.
	if [ -s "$cache/port" ]; then
		port=$(cat "$cache/port")
		if answers "$(pgurl "$port")"; then
			log "reusing the throwaway cluster in $cache on port $port"
			pgurl "$port"
			exit 0
		fi
	fi
	# Running but not answering where recorded: stop it and start again.
	if [ -f "$data/postmaster.pid" ] && "${run[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		log "restarting the throwaway cluster in $cache"
		"${run[@]}" "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
	fi

	if [ ! -f "$data/PG_VERSION" ]; then
		log "creating a throwaway cluster in $cache with $bin/initdb"
		rm -rf "$data"
		"${run[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 \
			--locale=C --no-sync >"$cache/initdb.log" 2>&1 || {
			log "initdb failed; its output ($cache/initdb.log):"
			tail -n 20 "$cache/initdb.log" >&2
			exit 1
		}
		# Loopback only; fast and unsafe, which is fine for throwaway data.
		# A unix socket path longer than ~100 bytes is refused: then TCP only.
		sockdir=$sock
		[ "${#sock}" -le 90 ] || sockdir=''
		cat >>"$data/postgresql.conf" <<EOF

# added by scripts/ensure-postgres.sh (throwaway test cluster)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
	fi
	"${run[@]}" mkdir -p "$sock"

	# 55433 is left to the db service of docker-compose.yml.
	port=55432
	while [ "$port" = 55433 ] || ! port_free "$port"; do
		port=$((port + 1))
		if [ "$port" -gt 55631 ]; then
			log "no free TCP port on 127.0.0.1 from 55432 to 55631"
			exit 1
		fi
	done
	log "starting the throwaway cluster on 127.0.0.1:$port (log: $cache/log)"
	# 9>&-: the server must not inherit (and so hold forever) the lock.
	if ! "${run[@]}" "$bin/pg_ctl" -D "$data" -l "$cache/log" -w -t 60 \
		-o "-p $port" start >/dev/null 2>&1 9>&-; then
		log "pg_ctl start failed; the end of $cache/log:"
		tail -n 20 "$cache/log" >&2 || true
		exit 1
	fi
	printf '%s\n' "$port" >"$cache/port"

	psql=$(tool psql || true)
	if [ -n "$psql" ]; then
		have=$("$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtX \
			-c "select 1 from pg_database where datname = 'test'")
		if [ "$have" != 1 ]; then
			"$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtX \
				-c 'create database test' >/dev/null
		fi
	fi
	pgurl "$port"
	exit 0
fi

# --- 3. the db service of docker-compose.yml --------------------------------
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	if docker compose version >/dev/null 2>&1; then
		compose=(docker compose)
	elif command -v docker-compose >/dev/null 2>&1; then
		compose=(docker-compose)
	else
		compose=()
	fi
	if [ "${#compose[@]}" -gt 0 ]; then
		# The password is the one docker-compose.yml gives the db service; one
		# with URL-special characters would need percent-encoding here.
		durl="postgres://postgres:${POSTGRES_PASSWORD:-ingest}@127.0.0.1:55433/postgres?sslmode=disable"
		log "nothing answers at $(mask "$url"); starting the db service of docker-compose.yml"
		(cd "$root" && "${compose[@]}" up -d db) >&2
		for _ in $(seq 1 60); do
			if (cd "$root" && "${compose[@]}" exec -T db pg_isready -q -U postgres) >/dev/null 2>&1 &&
				answers "$durl"; then
				(cd "$root" && "${compose[@]}" exec -T db psql -U postgres -qAtX \
					-c 'create database test') >/dev/null 2>&1 || true
				log "using the docker compose db at $(mask "$durl")"
				printf '%s\n' "$durl"
				exit 0
			fi
			sleep 1
		done
		log "the docker compose db did not answer at $(mask "$durl") within 60 s"
		exit 1
	fi
fi

log_url=$(mask "$url")
printf 'no PostgreSQL found at %s: install PostgreSQL (apt-get install postgresql) or Docker, or set DATABASE_URL\n' "$log_url" >&2
exit 1
