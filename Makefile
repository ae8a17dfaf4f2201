# shopwatch — see README.md.
GO        ?= go
BIN       := bin/shopwatch
DEMO      := demo-data
DB        ?= shopwatch.db
BENCHDATA := bench-data

.PHONY: run test bench lint build clean

build:
	$(GO) build -o $(BIN) ./cmd/shopwatch

# run: demo data (made once), imported into $(DB), then every shop's metrics.
run: build
	@test -f $(DEMO)/shopwatch.yaml || ./$(BIN) demo $(DEMO)
	@if [ ! -f $(DB) ]; then \
		for kind in orders reviews returns chats; do \
			./$(BIN) --db $(DB) --config $(DEMO)/shopwatch.yaml import $$kind $(DEMO)/$$kind.csv || exit 1; \
		done; \
	fi
	./$(BIN) --db $(DB) --config $(DEMO)/shopwatch.yaml metrics

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# bench: import speed against sqlite3's .import, then metric speed on
# 1,000 shops and ~10 million order lines (made once under $(BENCHDATA)).
bench: build
	./scripts/bench.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed: skipped"; fi

clean:
	rm -rf bin $(DEMO) $(BENCHDATA) $(DB) $(DB)-wal $(DB)-shm
