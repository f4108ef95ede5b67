# One command per verb. `make run` and `make test` are the two set-up commands of the README;
# each installs what it needs on a fresh machine.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: run test test-go vet fmt-check bench fuzz lambda tools

## run: the whole twin on http://localhost:8000 (API + chat page, offline responder, memory on disk)
run: frontend-build
	$(GO) run ./app/cmd/twin

## test: everything CI runs
test: vet fmt-check test-go test-frontend

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l app infra dashboards 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test-go:
	$(GO) test -count=1 ./...

## bench: Go benchmarks (figures go to docs/benchmarks.md)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./app/...

## fuzz: every fuzz target for a bounded time each
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./app/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# ---- frontend (owned by the frontend work; placeholders until frontend/ exists) ----
.PHONY: frontend-build test-frontend
frontend-build:
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund && npm run build; else echo "frontend/ not present yet: serving the API only"; fi

test-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund && npm test; fi
