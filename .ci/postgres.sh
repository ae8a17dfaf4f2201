#!/usr/bin/env bash
# postgres.sh start DIR | stop DIR
#
# A throwaway PostgreSQL server for the tests: Debian's `postgresql` package
# (installed when missing and we may), a cluster in DIR owned by a non-root
# user, listening on 127.0.0.1 on a free port and on a unix socket in DIR.
# `start` prints the DSN to give the tests as SHOPWATCH_TEST_POSTGRES; the
# role it names may create databases, so each test can have its own.
# Any failure exits non-zero: CI must not go on without its server.
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return; }
	done
	return 1
}

# as runs a command as the cluster's owner: ourselves, or "postgres" when
# we are root (initdb refuses to run as root).
as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $cmd in
start)
	if ! bin=$(bindir); then
		if [ "$(id -u)" != 0 ]; then
			echo "postgres.sh: PostgreSQL is not installed; run: sudo apt-get install -y postgresql" >&2
			exit 1
		fi
		echo "postgres.sh: installing Debian's postgresql package" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq postgresql >&2
		bin=$(bindir)
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
		as test -x "$dir" || { echo "postgres.sh: user postgres cannot reach $dir (make its parents searchable)" >&2; exit 1; }
	fi
	# A free loopback port: nothing answers on it.
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	done
	as "$bin/initdb" -D "$dir/data" -U shopwatch --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	# Settings for a disposable test server: no durability, many connections.
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 ||
		{ cat "$dir/server.log" >&2; exit 1; }
	echo "postgres://shopwatch@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	if bin=$(bindir) && [ -d "$dir/data" ]; then
		as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: postgres.sh start|stop DIR" >&2
	exit 2
	;;
esac
