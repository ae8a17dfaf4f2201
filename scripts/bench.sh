#!/bin/sh
# bench.sh: the figures of issue 9 and the performance section of README,
# on data the project makes (kept under $BENCHDATA between runs; `make clean`
# removes it). Run by `make bench` after `make build`.
#
#  1. Imports, for each size of $SIZES and each row order of $ORDERS (demo
#     --order): orders, reviews, returns and chats into a fresh database,
#     rows/s and peak RSS of each process, beside the sqlite3 shell's .import
#     of the same files into tables with the store's keys and indexes; the
#     orders again into the same database (every order stored: a
#     re-import), and into a file another process keeps open (as serve
#     would: the import then takes turns with it). In the mixed order, the
#     daily import too: each kind's rows of one day into a store holding
#     the days before (and on PostgreSQL, with SHOPWATCH_BENCH_POSTGRES),
#     then the evaluation of every shop for that day.
#  2. Short commands on 1,000 shops and ~10M order lines: the whole-process
#     median of $RUNS runs of metrics --json, breakdown and ask, beside the
#     sqlite3 shell answering the same NRR with hand-written SQL on an
#     indexed copy.
#
# Environment: BIN (bin/shopwatch), BENCHDATA (bench-data), SIZES
# ("1m:100 5m:500": name:shops, 60 days of 130 orders per shop and day),
# ORDERS ("mixed shop date"), RUNS (15), SKIP_IMPORTS=1 runs part 2 only,
# SKIP_SHORT=1 part 1 only, SHOPWATCH_BENCH_POSTGRES=DSN adds PostgreSQL's
# orders import, the orders again, the chats twice and the orders into a
# table of others to part 1 (fresh databases made on that server with psql).
set -eu

BIN=${BIN:-bin/shopwatch}
DATA=${BENCHDATA:-bench-data}
SIZES=${SIZES:-"1m:100 5m:500"}
ORDERS=${ORDERS:-"mixed shop date"}
RUNS=${RUNS:-15}
END=2026-11-20

if command -v sqlite3 >/dev/null; then
	yardstick=1
else
	yardstick=
	echo "sqlite3 is not installed: no yardstick figures (install it with: apt-get install sqlite3)"
fi
if [ ! -x /usr/bin/time ]; then
	echo "GNU time (/usr/bin/time) is required for peak RSS: apt-get install time" >&2
	exit 1
fi

# demo DIR SHOPS ORDER: the data set, made once.
demo() {
	[ -f "$1/orders.csv" ] || "$BIN" demo "$1" --shops "$2" --days 60 --orders-per-day 130 --seed 7 --end $END --order "$3" >/dev/null
}

# lines FILE: data rows of a CSV file (no quoted line breaks in demo data).
lines() { echo $(($(wc -l <"$1") - 1)); }

now() { date +%s.%N; }

# rate ROWS START END LABEL
rate() { awk -v n="$1" -v a="$2" -v b="$3" -v l="$4" 'BEGIN { printf "   %-44s %8.0f rows/s in %6.2f s\n", l, n/(b-a), b-a }'; }

# The store keeps one row per order (its lines' products in one column) under
# PRIMARY KEY (order_id) and indexes (shop, delivered_day, created_day,
# products). The file has one row per order line: the yardstick's key is the
# line's (order_id, product_id) and its index the same columns by name.
YARD_ORDERS='CREATE TABLE orders (order_id TEXT, shop_id TEXT, product_id TEXT, created_at TEXT, product_name TEXT, delivered_at TEXT, status TEXT, PRIMARY KEY (order_id, product_id)) WITHOUT ROWID;
CREATE INDEX orders_shop_delivered ON orders (shop_id, delivered_at, created_at, product_id);'
YARD_REVIEWS='CREATE TABLE reviews (review_id TEXT PRIMARY KEY, order_id TEXT, shop_id TEXT, product_id TEXT, rating INTEGER, created_at TEXT, text TEXT, tags TEXT) WITHOUT ROWID;
CREATE INDEX reviews_shop_created ON reviews (shop_id, created_at, rating, order_id);'
YARD_RETURNS='CREATE TABLE returns (return_id TEXT PRIMARY KEY, order_id TEXT, shop_id TEXT, product_id TEXT, created_at TEXT, reason TEXT, type TEXT, status TEXT) WITHOUT ROWID;
CREATE INDEX returns_shop_created ON returns (shop_id, created_at, order_id, status);'
# Chat messages: the store's key (message_id) and its index on the
# conversation (conversation_id, sent_at, sender, shop).
YARD_CHATS='CREATE TABLE chat_messages (message_id TEXT PRIMARY KEY, conversation_id TEXT, shop_id TEXT, sender TEXT, sent_at TEXT, text TEXT) WITHOUT ROWID;
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, sent_at, sender, shop_id);'


# timed DIR DB KIND FILE LABEL: a shopwatch import of FILE into DB (a file
# or a DSN) as a whole process, its rows/s and peak RSS; sets timed_at to
# its start and end.
timed() {
	n=$(lines "$4")
	a=$(now)
	/usr/bin/time -o "$1/time.txt" -f "%M" "$BIN" --db "$2" --config "$1/shopwatch.yaml" import "$3" "$4" >/dev/null
	b=$(now)
	rate "$n" "$a" "$b" "$5" | tr -d '\n'
	echo "   peak RSS $(($(tail -1 "$1/time.txt") / 1024)) MB"
	rm -f "$1/time.txt"
	timed_at="$a $b"
}

# yard DIR KIND SCHEMA [TABLE]: the sqlite3 shell's .import of DIR's KIND
# file into a fresh table (KIND unless TABLE is given) with the store's key
# and index.
yard() {
	rm -f "$1/yardstick.db"
	sqlite3 "$1/yardstick.db" "$3"
	n=$(lines "$1/$2.csv")
	a=$(now)
	sqlite3 "$1/yardstick.db" -cmd '.mode csv' ".import --skip 1 $1/$2.csv ${4:-$2}"
	b=$(now)
	rate "$n" "$a" "$b" "sqlite3 .import $2, same keys ($n)"
	rm -f "$1/yardstick.db"
}

# time_ids DIR: the chats of DIR (in time order) with message ids issued in
# time order, as snowflake-style ids are (TikTok's ids look like them; its
# API documents no order), and the rows then mixed (by a
# seeded random key): conversations interleave in id order, which is the
# order the import writes in. Imported into a fresh file.
time_ids() {
	f="$1/chats-time-ids.csv"
	if [ ! -f "$f" ]; then
		# (mawk's sub() took minutes on this file.)
		LC_ALL=C awk 'NR == 1 { print; next } { printf "76%017d%s\n", NR, substr($0, index($0, ",")) }' "$1/chats.csv" >"$f.tmp"
		{
			head -1 "$f.tmp"
			tail -n +2 "$f.tmp" | awk 'BEGIN { srand(7) } { printf "%.9f\t%s\n", rand(), $0 }' | sort -k1,1 | cut -f2-
		} >"$f"
		rm -f "$f.tmp"
	fi
	rm -f "$1"/import.db*
	timed "$1" "$1/import.db" chats "$f" "shopwatch import chats, ids in time order"
	rm -f "$1"/import.db*
}

# beside DIR: the SQLite orders import of DIR again, into a fresh file that
# another process (the sqlite3 shell, as serve would) keeps open: the
# import then leaves the lock free between its transactions (store/chunk.go).
# Sets beside_orders to its start and end.
beside_orders() {
	beside_orders=
	[ -n "$yardstick" ] || return 0
	rm -f "$1"/beside.db* "$1/hold"
	"$BIN" --db "$1/beside.db" --config "$1/shopwatch.yaml" metrics >/dev/null 2>&1
	mkfifo "$1/hold"
	sqlite3 -cmd 'SELECT count(*) FROM shops;' "$1/beside.db" <"$1/hold" >/dev/null &
	held=$!
	exec 9>"$1/hold"
	timed "$1" "$1/beside.db" orders "$1/orders.csv" "shopwatch import orders, file kept open"
	exec 9>&-
	wait $held
	beside_orders=$timed_at
	rm -f "$1"/beside.db* "$1/hold"
}

# ratio LABEL START END START2 END2: how many times faster the run from
# START to END was than the one from START2 to END2.
ratio() {
	awk -v l="$1" -v a="$2" -v b="$3" -v c="$4" -v d="$5" 'BEGIN { printf "   %-44s %8.2fx the SQLite import'"'"'s rate\n", l, (d-c)/(b-a) }'
}

# pg_dsn DB: the DSN of database DB on $SHOPWATCH_BENCH_POSTGRES's server.
pg_dsn() { echo "$SHOPWATCH_BENCH_POSTGRES" | sed -E "s#^(postgres(ql)?://[^/?]*)/?[^?]*#\1/$1#"; }

# pg_imports DIR SQLITE_START SQLITE_END AGAIN_START AGAIN_END [BESIDE_START
# BESIDE_END]: the orders import of DIR into a fresh database on the
# PostgreSQL server of $SHOPWATCH_BENCH_POSTGRES (a postgres:// DSN whose
# role may create databases), then the same orders again (a re-import),
# beside the SQLite ones; then its chats, twice; then the orders into a
# fresh database that holds one other order (new orders, not a first load).
pg_imports() {
	if [ -z "${SHOPWATCH_BENCH_POSTGRES:-}" ]; then
		[ -n "${pg_said:-}" ] || echo "   (no PostgreSQL import: set SHOPWATCH_BENCH_POSTGRES to a server's DSN)"
		pg_said=1
		return
	fi
	if ! command -v psql >/dev/null; then
		echo "   (no PostgreSQL import: psql is not installed)"
		return
	fi
	db=shopwatch_bench_$$
	pg=$(pg_dsn $db)
	psql -q "$SHOPWATCH_BENCH_POSTGRES" -c "CREATE DATABASE $db"
	"$BIN" --db "$pg" --config "$1/shopwatch.yaml" metrics >/dev/null 2>&1 # the schema, as for SQLite
	timed "$1" "$pg" orders "$1/orders.csv" "PostgreSQL: shopwatch import orders ($(lines "$1/orders.csv"))"
	ratio "PostgreSQL / SQLite, orders" $timed_at "$2" "$3"
	[ -z "${6:-}" ] || ratio "PostgreSQL / SQLite with the file kept open" $timed_at "$6" "$7"
	timed "$1" "$pg" orders "$1/orders.csv" "PostgreSQL: the same orders again"
	ratio "PostgreSQL / SQLite, orders again" $timed_at "$4" "$5"
	timed "$1" "$pg" chats "$1/chats.csv" "PostgreSQL: shopwatch import chats ($(lines "$1/chats.csv"))"
	timed "$1" "$pg" chats "$1/chats.csv" "PostgreSQL: the same chats again"
	# The orders into a table holding one other order: new orders, but not
	# a first load (the indexes stay).
	psql -q "$SHOPWATCH_BENCH_POSTGRES" -c "DROP DATABASE $db" -c "CREATE DATABASE $db"
	{
		head -1 "$1/orders.csv"
		echo "bench-other,$(sed -n 2p "$1/orders.csv" | cut -d, -f2-)"
	} >"$1/other.csv"
	"$BIN" --db "$pg" --config "$1/shopwatch.yaml" import orders "$1/other.csv" >/dev/null
	rm -f "$1/other.csv"
	timed "$1" "$pg" orders "$1/orders.csv" "PostgreSQL: the orders, into a table of others"
	ratio "PostgreSQL / SQLite, orders into others" $timed_at "$2" "$3"
	psql -q "$SHOPWATCH_BENCH_POSTGRES" -c "DROP DATABASE $db"
}

# evaluated DIR DB LABEL: the daily evaluation of every shop of DIR for
# $day, as a whole process, after the one of the day before (untimed: the
# first evaluation of a store raises every alert at once, later ones the
# changes); no Slack token, so the alerts stay in the outbox.
evaluated() {
	for d in "$(date -u -d "$day -1 day" +%F)" "$day"; do
		a=$(now)
		env -u SLACK_BOT_TOKEN "$BIN" --db "$2" --config "$1/shopwatch.yaml" evaluate --date "$d" >/dev/null 2>"$1/evaluate.err" ||
			{ cat "$1/evaluate.err" >&2; exit 1; }
		b=$(now)
	done
	rm -f "$1/evaluate.err"
	awk -v l="$3" -v n="$(grep -c '^  *- id:' "$1/shopwatch.yaml")" -v a="$a" -v b="$b" 'BEGIN { printf "   %-44s %8d shops  in %6.2f s\n", l, n, b-a }'
}

# daily DIR: the daily import, as a team runs it, on SQLite and (with
# SHOPWATCH_BENCH_POSTGRES) on PostgreSQL: each kind's rows of one day
# (by their created_at or sent_at, six days before $END) into a store
# that holds those of every day before it.
daily() {
	day=$(date -u -d "$END -6 days" +%F)
	# kind:column of the date
	for kc in orders:4 reviews:6 returns:5 chats:5; do
		LC_ALL=C awk -F, -v c=${kc##*:} -v d=$day -v base="$1/base-${kc%%:*}.csv" -v one="$1/day-${kc%%:*}.csv" \
			'NR == 1 { print > base; print > one; next } { x = substr($c, 1, 10) } x < d { print > base } x == d { print > one }' "$1/${kc%%:*}.csv"
	done
	echo "== the daily import: the rows of $day into a store holding the days before ($(lines "$1/base-orders.csv") order lines)"
	rm -f "$1"/daily.db*
	for kind in orders reviews returns chats; do
		"$BIN" --db "$1/daily.db" --config "$1/shopwatch.yaml" import $kind "$1/base-$kind.csv" >/dev/null
	done
	for kind in orders reviews returns chats; do
		timed "$1" "$1/daily.db" $kind "$1/day-$kind.csv" "shopwatch import $kind of a day ($(lines "$1/day-$kind.csv"))"
	done
	evaluated "$1" "$1/daily.db" "shopwatch evaluate of the day"
	rm -f "$1"/daily.db*
	if [ -n "${SHOPWATCH_BENCH_POSTGRES:-}" ] && command -v psql >/dev/null; then
		db=shopwatch_bench_$$
		pg=$(pg_dsn $db)
		psql -q "$SHOPWATCH_BENCH_POSTGRES" -c "CREATE DATABASE $db"
		for kind in orders reviews returns chats; do
			"$BIN" --db "$pg" --config "$1/shopwatch.yaml" import $kind "$1/base-$kind.csv" >/dev/null
		done
		# A day later, autovacuum has been through the tables the load
		# filled: their statistics and visibility map are made, and the
		# loaded rows' hint bits set.
		psql -q "$pg" -c "VACUUM ANALYZE"
		for kind in orders reviews returns chats; do
			timed "$1" "$pg" $kind "$1/day-$kind.csv" "PostgreSQL: import $kind of a day ($(lines "$1/day-$kind.csv"))"
		done
		evaluated "$1" "$pg" "PostgreSQL: evaluate of the day"
		psql -q "$SHOPWATCH_BENCH_POSTGRES" -c "DROP DATABASE $db"
	fi
	rm -f "$1"/base-*.csv "$1"/day-*.csv
}

if [ -z "${SKIP_IMPORTS:-}" ]; then
	for size in $SIZES; do
		name=${size%%:*}
		shops=${size##*:}
		for order in $ORDERS; do
			dir=$DATA/$name-$order
			demo "$dir" "$shops" "$order"
			echo "== import, $name, $order order: $(lines "$dir/orders.csv") order lines, $shops shops, fresh SQLite file"
			rm -f "$dir"/import.db*
			# The schema made first, as the yardstick's is (yard).
			"$BIN" --db "$dir/import.db" --config "$dir/shopwatch.yaml" metrics >/dev/null 2>&1
			for kind in orders reviews returns chats; do
				timed "$dir" "$dir/import.db" $kind "$dir/$kind.csv" "shopwatch import $kind ($(lines "$dir/$kind.csv"))"
				[ $kind != orders ] || sqlite_orders=$timed_at
			done
			timed "$dir" "$dir/import.db" orders "$dir/orders.csv" "shopwatch import orders again (all stored)"
			sqlite_again=$timed_at
			rm -f "$dir"/import.db*
			[ "$order" != date ] || time_ids "$dir"
			beside_orders "$dir"
			pg_imports "$dir" $sqlite_orders $sqlite_again $beside_orders
			[ "$order" != mixed ] || daily "$dir"
			if [ -n "$yardstick" ]; then
				yard "$dir" orders "$YARD_ORDERS"
				yard "$dir" reviews "$YARD_REVIEWS"
				yard "$dir" returns "$YARD_RETURNS"
				yard "$dir" chats "$YARD_CHATS" chat_messages
				[ "$order" != date ] || yard "$dir" chats-time-ids "$YARD_CHATS" chat_messages
			fi
		done
	done
fi

[ -z "${SKIP_SHORT:-}" ] || exit 0

# Part 2: 1,000 shops, ~10M order lines (default order: the answers do not
# depend on it), imported once.
dir=$DATA/10m
demo "$dir" 1000 ""
if [ ! -f "$dir/metrics.db" ]; then
	echo "== building the 1,000-shop database (once)"
	for kind in orders reviews returns chats; do
		"$BIN" --db "$dir/metrics.db.tmp" --config "$dir/shopwatch.yaml" import $kind "$dir/$kind.csv" | tail -1
	done
	mv "$dir/metrics.db.tmp" "$dir/metrics.db"
	rm -f "$dir"/metrics.db.tmp-*
fi
if [ -n "$yardstick" ] && [ ! -f "$dir/yardstick.db" ]; then
	echo "== building the sqlite3 shell's indexed copy (once)"
	rm -f "$dir/yardstick.db.tmp"
	sqlite3 "$dir/yardstick.db.tmp" "$YARD_ORDERS $YARD_REVIEWS"
	sqlite3 "$dir/yardstick.db.tmp" -cmd '.mode csv' ".import --skip 1 $dir/orders.csv orders" ".import --skip 1 $dir/reviews.csv reviews"
	mv "$dir/yardstick.db.tmp" "$dir/yardstick.db"
fi

command -v bash >/dev/null || {
	echo "bench.sh: the short commands are timed by bash, which is missing (apt-get install bash)" >&2
	exit 1
}

# median LABEL CMD...: the median wall time of $RUNS runs of a process
# (CMD an executable: bash runs it), from its fork to its exit. bash reads
# the clock itself ($EPOCHREALTIME): a `date` process around each run added
# its own start-up, 3-4 ms here, to every figure.
median() {
	label=$1
	shift
	"$@" >/dev/null 2>&1 || true # warm the page cache; ask exits 2 on some answers
	bash -c 'n=$1
	shift
	for ((i = 0; i < n; i++)); do
		a=${EPOCHREALTIME/./}
		"$@" >/dev/null 2>&1
		b=${EPOCHREALTIME/./}
		echo $((b - a))
	done' median "$RUNS" "$@" |
		sort -n | awk -v l="$label" '{ t[NR] = $1 } END { printf "   %-44s median %6.1f ms of %d runs\n", l, t[int((NR + 1) / 2)] / 1000, NR }'
}

shop=$(sed -n 2p "$dir/orders.csv" | cut -d, -f2)
echo "== short commands as whole processes: $(lines "$dir/orders.csv") order lines, 1,000 shops, shop $shop, $END"
median "metrics --shop --date --json" "$BIN" --db "$dir/metrics.db" --config "$dir/shopwatch.yaml" metrics --shop "$shop" --date $END --json
median "breakdown --shop --metric nrr --date" "$BIN" --db "$dir/metrics.db" --config "$dir/shopwatch.yaml" breakdown --shop "$shop" --metric nrr --date $END
median "ask '/shopwatch status SHOP'" "$BIN" --db "$dir/metrics.db" --config "$dir/shopwatch.yaml" ask "/shopwatch status $shop"
if [ -n "$yardstick" ]; then
	# NRR over the 30 local dates ending $END: distinct orders with a review
	# rated <= 2 ÷ distinct orders delivered (the shell cannot classify
	# causes: the logistics exclusion is left out, the reads are the same).
	from=$(date -u -d "$END -29 days" +%F)
	sql="SELECT (SELECT COUNT(DISTINCT order_id) FROM reviews WHERE shop_id = '$shop' AND created_at >= '$from' AND created_at < '${END}Z' AND rating <= 2) * 1.0 /
	(SELECT COUNT(DISTINCT order_id) FROM orders WHERE shop_id = '$shop' AND delivered_at >= '$from' AND delivered_at < '${END}Z');"
	median "sqlite3 shell, the same NRR by hand" sqlite3 "$dir/yardstick.db" "$sql"
fi
