# shopwatch — see README.md.
GO        ?= go
BIN       := bin/shopwatch
DEMO      := demo-data
DB        ?= shopwatch.db
BENCHDATA := bench-data

.PHONY: run test fmt bench lint build clean fuzz

build:
	$(GO) build -o $(BIN) ./cmd/shopwatch

# run: demo data (made once), imported into $(DB), then every shop's metrics and
# the alerts of the daily evaluation (to stdout without SLACK_BOT_TOKEN; a date
# already evaluated posts nothing twice).
run: build
	@test -f $(DEMO)/shopwatch.yaml || ./$(BIN) demo $(DEMO)
	@if [ ! -f $(DB) ]; then \
		for kind in orders reviews returns chats; do \
			./$(BIN) --db $(DB) --config $(DEMO)/shopwatch.yaml import $$kind $(DEMO)/$$kind.csv || exit 1; \
		done; \
	fi
	./$(BIN) --db $(DB) --config $(DEMO)/shopwatch.yaml metrics
	./$(BIN) --db $(DB) --config $(DEMO)/shopwatch.yaml evaluate

# test: every suite on SQLite, then the store, monitor and bot suites again
# on PostgreSQL when SHOPWATCH_TEST_POSTGRES names a server (.ci/run starts
# one; see README, Development). Tests that compare the backends, or that
# are PostgreSQL's own, run in the first pass.
test: fmt
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	@if [ -n "$$SHOPWATCH_TEST_POSTGRES" ]; then \
		echo "== the store, monitor and bot suites on PostgreSQL"; \
		SHOPWATCH_TEST_BACKEND=postgres $(GO) test -race -count=1 ./store/... ./monitor/... ./bot/...; \
	else \
		echo "SHOPWATCH_TEST_POSTGRES not set: PostgreSQL tests skipped; see README"; \
	fi

# fuzz: each fuzz target for $(FUZZTIME): the CSV import (store), the config
# parser (rules), the slash-command text and the interaction payloads (bot),
# and the TikTok webhook body (ingest/tiktok, ingest/tiktoksync). Their
# seeds under PKG/testdata/fuzz/ also run in `make test`. A crasher is
# written to PKG/testdata/fuzz/TARGET/; keep it there as a seed once it is
# fixed. FUZZFLAGS adds go test flags, such as -parallel 1 on a busy machine.
FUZZTIME    ?= 30s
FUZZFLAGS   ?=
FUZZTARGETS := store:FuzzBoundedReader store:FuzzImportOrders store:FuzzImportReviews store:FuzzImportReturns store:FuzzImportChats \
	rules:FuzzParseConfig bot:FuzzSlashCommand bot:FuzzInteraction \
	ingest/tiktok:FuzzParseNotification ingest/tiktoksync:FuzzWebhook
fuzz:
	@for pt in $(FUZZTARGETS); do \
		pkg=$${pt%%:*}; t=$${pt##*:}; \
		echo "== $$t ($$pkg) for $(FUZZTIME)"; \
		$(GO) test ./$$pkg/ -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) || exit 1; \
	done

fmt:
	@out=$$(gofmt -l cmd bot monitor ingest rules store templates); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

# bench: the figures of the performance targets, on data the project makes
# (kept under $(BENCHDATA) between runs; `make clean` removes it):
#  1. import of 1,000,000 and 5,000,000 order lines into a fresh SQLite file,
#     rate and peak RSS, beside sqlite3's own .import of the same file;
#  2. one shop's metrics (median), one shop's 14-day breakdown of each
#     metric (uncached), and every shop's metrics (the daily job) with
#     1,000 shops and ~10 million order lines;
#  3. /shopwatch answer latency over HTTP with signed requests, 20 clients.
BENCH_END := 2026-11-20
bench: build
	@mkdir -p $(BENCHDATA)
	@for n in 1m:100 5m:500; do \
		name=$${n%%:*}; shops=$${n##*:}; dir=$(BENCHDATA)/$$name; \
		test -f $$dir/orders.csv || ./$(BIN) demo $$dir --shops $$shops --days 60 --orders-per-day 130 --seed 7 --end $(BENCH_END) >/dev/null; \
		lines=$$(($$(wc -l < $$dir/orders.csv) - 1)); \
		rm -f $$dir/import.db*; \
		echo "== import $$lines order lines ($$name) into a fresh SQLite file"; \
		/usr/bin/time -f "   peak RSS %M KB, %e s wall" ./$(BIN) --db $$dir/import.db --config $$dir/shopwatch.yaml import orders $$dir/orders.csv | tail -1; \
		if command -v sqlite3 >/dev/null; then \
			rm -f $$dir/yardstick.db; start=$$(date +%s.%N); \
			sqlite3 $$dir/yardstick.db -cmd '.mode csv' ".import $$dir/orders.csv orders"; \
			end=$$(date +%s.%N); \
			awk -v n=$$lines -v a=$$start -v b=$$end 'BEGIN { printf "   sqlite3 .import (one table, no keys or indexes, no validation): %.0f rows/s in %.1f s\n", n/(b-a), b-a }'; \
			rm -f $$dir/yardstick.db; \
		else echo "   (sqlite3 not installed: no yardstick)"; fi; \
		rm -f $$dir/import.db*; \
	done
	@dir=$(BENCHDATA)/10m; \
	test -f $$dir/orders.csv || ./$(BIN) demo $$dir --shops 1000 --days 60 --orders-per-day 130 --seed 7 --end $(BENCH_END) >/dev/null; \
	if [ ! -f $$dir/metrics.db ]; then \
		echo "== building the 1,000-shop database (once)"; \
		for kind in orders reviews returns chats; do \
			./$(BIN) --db $$dir/metrics.db.tmp --config $$dir/shopwatch.yaml import $$kind $$dir/$$kind.csv | tail -1 || exit 1; \
		done; \
		mv $$dir/metrics.db.tmp $$dir/metrics.db; rm -f $$dir/metrics.db.tmp-*; \
	fi; \
	echo "== metrics on $$(($$(wc -l < $$dir/orders.csv) - 1)) order lines, 1,000 shops"; \
	SHOPWATCH_BENCH_DB=$(CURDIR)/$$dir/metrics.db SHOPWATCH_BENCH_CONFIG=$(CURDIR)/$$dir/shopwatch.yaml SHOPWATCH_BENCH_DATE=$(BENCH_END) \
		sh -c "$(GO) test -run '^$$' -bench 'Report$$|Breakdown' -benchtime 1000x ./store/ && $(GO) test -run '^$$' -bench 'Reports$$' -benchtime 5x ./store/" | grep Benchmark; \
	echo "== /shopwatch over HTTP, signed, 20 clients, same database"; \
	SHOPWATCH_BENCH_DB=$(CURDIR)/$$dir/metrics.db SHOPWATCH_BENCH_CONFIG=$(CURDIR)/$$dir/shopwatch.yaml SHOPWATCH_BENCH_DATE=$(BENCH_END) \
		$(GO) test -run '^$$' -bench SlashCommands -benchtime 6000x ./bot/ | grep Benchmark
	@echo "== import benchmark (synthetic stream, 200,000 lines)"
	@$(GO) test -run '^$$' -bench 'ImportOrders' -benchtime 3x ./store/ | grep Benchmark

lint: fmt
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed: skipped"; fi

clean:
	rm -rf bin $(DEMO) $(BENCHDATA) $(DB) $(DB)-wal $(DB)-shm
