# shopwatch — see README.md.
GO        ?= go
BIN       := bin/shopwatch
DEMO      := demo-data
DB        ?= shopwatch.db
BENCHDATA := bench-data

.PHONY: run test fmt bench lint build clean fuzz

# build: a static binary (no cgo: the SQLite and PostgreSQL drivers are
# pure Go). Without the dynamic loader and libc, a short command's process
# starts about 2.5 ms sooner.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/shopwatch

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

# test: every suite on SQLite (and the tests of the module copies under
# third_party/, which ./... leaves out), then the store, monitor and bot suites again
# on PostgreSQL when SHOPWATCH_TEST_POSTGRES names a server (.ci/run starts
# one; see README, Development). Tests that compare the backends, or that
# are PostgreSQL's own, run in the first pass.
test: fmt
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	cd third_party/inflection && $(GO) test -race -count=1 ./...
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
	@out=$$(gofmt -l cmd bot monitor ingest delivery chart internal rules store templates third_party); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

# bench: the figures of the performance targets (issue 9), on data the
# project makes (kept under $(BENCHDATA) between runs; `make clean` removes it).
# scripts/bench.sh measures, in one run:
#  1. imports of 1M and 5M order lines in three row orders (demo --order
#     mixed|shop|date), each kind's rows/s and peak RSS, beside sqlite3's
#     .import of the same orders file into a table with the same keys;
#  2. metrics --json, breakdown and ask as whole processes (median) with
#     1,000 shops and ~10M order lines, beside the sqlite3 shell's NRR.
# Then, on the same database: one shop's report and 14-day breakdowns
# (uncached), every shop's metrics (the daily job), and /shopwatch answer
# latency over HTTP with signed requests, 20 clients. BENCHFLAGS passes
# SIZES=, ORDERS=, RUNS= or SKIP_IMPORTS=1 to the script.
BENCH_END  := 2026-11-20
BENCHFLAGS ?=
bench: build
	@env BIN=$(BIN) BENCHDATA=$(BENCHDATA) $(BENCHFLAGS) scripts/bench.sh
	@dir=$(BENCHDATA)/10m; \
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
