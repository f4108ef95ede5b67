# One command per verb. `make run` and `make test` are the two set-up commands of the README;
# each installs what it needs on a fresh machine.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: run test help lint clean check-size test-go vet fmt-check actionlint bench fuzz

## run: the whole twin on http://localhost:8000 (API + chat page, offline responder, memory on disk)
run: frontend-build
	$(GO) run ./app/cmd/twin

# ---- one binary ----
# `build` copies the exported page and the example persona into app/embedded (git-ignored) and
# builds with the tag "embed": the binary serves the whole twin from an empty folder, while
# FRONTEND_DIR and PERSONA_FILE on disk still win when present.
.PHONY: build embed-assets build-check dist
BUILD_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
BUILD_LDFLAGS = -s -w -X github.com/digitaltwin/twin/app/config.version=$(BUILD_VERSION)
DIST_TARGETS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64

## build: build/twin, one binary with the chat page and the example persona inside it
build: embed-assets
	$(GO) build -tags embed -trimpath -ldflags "$(BUILD_LDFLAGS)" -o build/twin ./app/cmd/twin

## embed-assets: copy the exported page and the example persona into app/embedded for the embed build
embed-assets: frontend-build
	rm -rf app/embedded/site && cp -R frontend/out app/embedded/site && cp me.txt app/embedded/me.txt

## build-check: build/twin started in an empty folder serves the page, the persona and a chat turn
build-check: build
	TWIN_BIN=$(CURDIR)/build/twin $(GO) test -count=1 -run '^TestEmbeddedBinary$$' ./app/cmd/twin

## dist: release archives (linux, darwin × amd64, arm64) with SHA256SUMS in build/dist
dist: embed-assets
	rm -rf build/dist && mkdir -p build/dist
	set -e; for t in $(DIST_TARGETS); do os=$${t%/*}; arch=$${t#*/}; name=twin_$(BUILD_VERSION)_$${os}_$${arch}; \
	  mkdir -p build/dist/$$name; cp LICENSE README.md me.txt build/dist/$$name/; \
	  GOOS=$$os GOARCH=$$arch $(GO) build -tags embed -trimpath -ldflags "$(BUILD_LDFLAGS)" -o build/dist/$$name/twin ./app/cmd/twin; \
	  tar -C build/dist -czf build/dist/$$name.tar.gz $$name; rm -rf build/dist/$$name; \
	done
	cd build/dist && sha256sum *.tar.gz > SHA256SUMS && cat SHA256SUMS

## test: everything CI runs: vet, gofmt, the real servers the integration tests need, every Go test
## (app, infra under Pulumi mocks, dashboards), short fuzzing, and the frontend (unit + e2e in Chromium)
test: vet fmt-check lint check-size actionlint tools-aws test-go eval fuzz-short test-frontend build-check

## help: this list: every target and what it does
help:
	@awk '/^## [a-z0-9-]+: / { sub(/^## /, ""); i = index($$0, ": "); printf "  %-18s %s\n", substr($$0, 1, i - 1), substr($$0, i + 2) }' $(MAKEFILE_LIST)

## lint: staticcheck (pinned, run with go run) over every Go package
STATICCHECK_VERSION := v0.8.2
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## check-size: no product Go file over 400 lines (tests aside): split it by concern instead
MAX_GO_LINES := 400
check-size:
	@over=$$(git ls-files '*.go' ':!:*_test.go' | xargs wc -l | awk '$$2 != "total" && $$1 > $(MAX_GO_LINES)'); \
	  if [ -n "$$over" ]; then echo "Go files over $(MAX_GO_LINES) lines:"; echo "$$over"; exit 1; fi

## clean: remove what the build targets wrote (build/, the embedded copies, the frontend's export and Next cache)
clean:
	rm -rf build app/embedded/site app/embedded/me.txt frontend/out frontend/.next

## vet: go vet over every package
vet:
	$(GO) vet ./...

## actionlint: lint the GitHub workflows (expressions, contexts, job graph; shell scripts when shellcheck is installed)
ACTIONLINT_VERSION := v1.7.12
actionlint:
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) .github/workflows/*.yml

## fmt-check: fail when a Go file is not gofmt-formatted
fmt-check:
	@out=$$(gofmt -l app infra dashboards tools 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## test-go: every Go test once (app, infra under mocks, dashboards, tools)
test-go: wordnet
	$(GO) test -count=1 ./...

# ---- answers ----
# The offline responder on the evaluation corpus in eval/ (docs/benchmarks.md, "Answers"): each
# persona (name:min-answered:min-abstained) with thresholds a little under its measured figures,
# so a regression fails CI. cv, nonnative, casual and folder are held out: never tune the
# responder on them.
.PHONY: eval
EVAL_SETS := prose:0.93:0.90 notes:0.90:0.85 sections:0.72:0.85 resume:0.86:0.85 learner:0.93:0.85 \
             founder:0.60:0.85 teacher:0.74:0.85 analyst:0.89:0.85 esl:0.92:0.75 speaker:0.73:0.85 \
             expat:0.65:0.50 engineer:0.88:0.85 texter:0.78:0.85 nurse:0.90:0.60 student:0.85:0.95 \
             consultant:0.65:0.85 musician:0.77:0.75 cv:0.90:0.85 nonnative:0.70:0.90 \
             casual:0.70:0.75 folder:0.62:0.70

## eval: `twin eval` with the offline responder on every persona of eval/, against its thresholds
eval:
	@mkdir -p build && $(GO) build -o build/twin ./app/cmd/twin
	@for s in $(EVAL_SETS); do IFS=: read -r name ans abs <<< "$$s"; \
	  out=$$(LLM_PROVIDER=offline build/twin eval -questions eval/$$name/questions.yaml -min-answered $$ans -min-abstained $$abs 2>&1) && rc=0 || rc=$$?; \
	  printf '%-10s %s (min %s, %s)\n' "$$name" "$$(echo "$$out" | grep '^answered')" $$ans $$abs; \
	  if [ $$rc -ne 0 ]; then echo "$$out" | grep -v '^PASS'; exit $$rc; fi; \
	done

# The offline responder's WordNet relations (docs/decisions/0034-wordnet-relations.md):
# tools/wordnetrel makes app/retrieval/wordnet.txt from Debian's wordnet-base, and a test checks
# the committed table is what it makes, so the tests need the data.
.PHONY: wordnet wordnet-table
## wordnet: Debian's WordNet 3.0 data (wordnet-base), which the WordNet table is made from
wordnet:
	@[ -f /usr/share/wordnet/data.noun ] || ($(SUDO) apt-get update && $(SUDO) apt-get install -y wordnet-base)

## wordnet-table: regenerate app/retrieval/wordnet.txt from WordNet (commit the result)
wordnet-table: wordnet
	$(GO) run ./tools/wordnetrel -dir /usr/share/wordnet -o app/retrieval/wordnet.txt

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

# ---- frontend (owned by the frontend work) ----
# The chat page: Next.js static export in frontend/out, served by app/cmd/twin.
.PHONY: frontend-build test-frontend e2e chromium dev frontend-bench screenshots
export NEXT_TELEMETRY_DISABLED := 1
NPM_CI := npm ci --no-audit --no-fund

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && $(NPM_CI)
	@touch $@

## frontend-build: the static export (frontend/out); NEXT_PUBLIC_API_BASE_URL=https://api.example sets a cross-origin API
frontend-build: frontend/node_modules/.package-lock.json
	cd frontend && npm run build

## test-frontend: npm ci, Biome, tsc, Vitest (unit, msw, fast-check), export build, JS budget, e2e
test-frontend:
	cd frontend && $(NPM_CI)
	cd frontend && npm run lint && npm run typecheck && npm run test:unit
	cd frontend && npm run build && node scripts/budget.mjs
	$(MAKE) e2e

## chromium: Debian's Chromium for the browser tests, unless CHROME_PATH names another Chrome
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@[ -n "$$CHROME_PATH" ] || command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

## e2e: Playwright (playwright-core + Debian chromium) against the real Go server, axe-core included
e2e: chromium frontend/node_modules/.package-lock.json
	@test -f frontend/out/index.html || $(MAKE) frontend-build
	$(GO) build -o build/twin ./app/cmd/twin
	cd frontend && TWIN_BIN=$(CURDIR)/build/twin npm run test:e2e

## dev: next dev on :3000 (hot reload) against the Go server on :8000 (CORS allowed for :3000 locally)
dev: frontend/node_modules/.package-lock.json
	@trap 'kill 0' EXIT; \
	CORS_ALLOWED_ORIGINS=http://localhost:3000 $(GO) run ./app/cmd/twin & \
	cd frontend && NEXT_PUBLIC_API_BASE_URL=http://localhost:8000 npm run dev

## frontend-bench: first-load JS budget, Send→first-token time, Lighthouse 12.2.3 mobile (figures in docs/benchmarks.md)
frontend-bench: chromium frontend-build
	$(GO) build -o build/twin ./app/cmd/twin
	cd frontend && node scripts/budget.mjs
	cd frontend && TWIN_BIN=$(CURDIR)/build/twin node scripts/ttft.mjs
	cd frontend && TWIN_BIN=$(CURDIR)/build/twin node scripts/lighthouse.mjs --gzip
	@echo "the Go server as is (it gzips text assets itself)"
	cd frontend && TWIN_BIN=$(CURDIR)/build/twin node scripts/lighthouse.mjs

## screenshots: docs/screenshots/*.png of a real conversation (desktop/mobile, light/dark) and the widget
screenshots: chromium frontend-build
	$(GO) build -o build/twin ./app/cmd/twin
	cd frontend && TWIN_BIN=$(CURDIR)/build/twin node scripts/screenshots.mjs
	cd frontend && TWIN_BIN=$(CURDIR)/build/twin node scripts/widget-screenshots.mjs

# ---- infra ----
.PHONY: test-infra policy-pack smoke
## test-infra: the Pulumi program for staging and prod under mocks, policy checks, policy pack, smoke, workflows
test-infra:
	$(GO) test -count=1 ./infra/...

## policy-pack: build the policy pack binary (pulumi preview --policy-pack infra/policypack builds it too)
policy-pack:
	$(GO) build -o build/policypack/policypack ./infra/policypack

## smoke: check a deployed twin end to end: make smoke URL=https://staging.twin.example.com
smoke:
	$(GO) run ./infra/smoke -url "$(URL)"

# ---- reliability ----
# Load, fault and abuse runs on loopback only, bounded in count and time (docs/reliability.md).
.PHONY: load load-s3 load-faults load-s3-ambiguous load-rate-limited abuse fuzz-short audit-frontend reliability
LOAD ?= $(GO) run ./app/cmd/load

## load: 200 sessions × 10 turns (every 10th shared by 3 workers, half streamed) on the file store; verifies every 200 is stored exactly once, in order
load:
	$(LOAD) -store file -sessions 200 -turns 10 -timeout 90s

## load-s3: the same on the S3 store (gofakes3) with 20 % injected S3 faults (503 SlowDown, 500, latency, dropped connections)
load-s3:
	$(LOAD) -store s3 -s3-fault-rate 0.2 -sessions 200 -turns 10 -timeout 90s

## load-faults: S3 faults and a model failing before (5 %) and during (5 %) the stream
load-faults:
	$(LOAD) -store s3 -s3-fault-rate 0.2 -llm-fail-before 0.05 -llm-fail-during 0.05 -sessions 200 -turns 10 -timeout 90s

## load-s3-ambiguous: adds connections cut after a write took effect (s3store recognises its own applied write: 0 duplicates)
load-s3-ambiguous:
	$(LOAD) -store s3 -s3-fault-rate 0.2 -s3-fault-modes slowdown,internal_error,latency,drop_before,drop_after -sessions 200 -turns 10 -timeout 90s

## load-rate-limited: the load tool against RATE_LIMIT_PER_MINUTE=600: the limit holds (429 + Retry-After), nothing rejected is stored
load-rate-limited:
	$(LOAD) -store file -rate-limit 600 -expect-429 -sessions 100 -turns 10 -timeout 90s

## abuse: rate limit burst, new-session flood, body cap, message limit, slow-loris headers and body (~30 s)
abuse:
	$(LOAD) -abuse -timeout 120s

## fuzz-short: every Fuzz* target for FUZZ_SHORT executions each (a count, not a duration: Go 1.26's fuzz
## coordinator can fail a duration run with "context deadline exceeded" on a busy machine, golang/go#75804); a prerequisite of `test`
FUZZ_SHORT ?= 20000x
fuzz-short:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; grep -rl --include='*_test.go' '^func Fuzz' app | sort | while read -r f; do \
	  dir=./$$(dirname $$f); \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$dir $$fn ($(FUZZ_SHORT))"; \
	    $(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZ_SHORT) $$dir > $$log 2>&1 || { cat $$log; exit 1; }; \
	  done; \
	done

## audit-frontend: npm audit of the frontend's runtime dependencies (high and critical)
audit-frontend:
	cd frontend && npm audit --omit=dev --audit-level=high

## reliability: the whole set
reliability: load load-s3 load-faults abuse fuzz-short

# ---- aws ----
# The Lambda artifact, and the real servers the AWS adapters' integration tests run against
# (versitygw: an S3 gateway that checks SigV4; aws-lambda-rie: the Lambda runtime emulator).
# `make test` should depend on tools-aws so those tests run instead of skipping.
.PHONY: lambda lambda-check tools-aws test-aws
LAMBDA_DIR ?= build/lambda
LAMBDA_GOARCH ?= arm64
LAMBDA_VERSION ?=
VERSITYGW_VERSION := v1.8.0
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOBIN_DIR = $(shell $(GO) env GOPATH)/bin

## lambda: build/lambda/bootstrap.zip for provided.al2023 on arm64 (-tags lambda.norpc, stripped): the same
## reproducible build (tools/lambdabuild) `pulumi up` runs, so the same source gives the same code hash
lambda:
	$(GO) run ./tools/lambdazip -o $(LAMBDA_DIR)/bootstrap.zip -goarch $(LAMBDA_GOARCH) -version "$(LAMBDA_VERSION)"

## lambda-check: run the bootstrap inside bootstrap.zip under the Lambda emulator (arm64 via qemu-user: apt-get install qemu-user)
lambda-check: lambda tools-aws
	LAMBDA_ZIP=$(CURDIR)/$(LAMBDA_DIR)/bootstrap.zip $(GO) test -count=1 -run '^TestArtifactUnderEmulator$$' -v ./app/cmd/lambda

## tools-aws: install versitygw and aws-lambda-rie with `go install` (once; ~5 min cold)
tools-aws:
	@test -x "$(GOBIN_DIR)/versitygw" || command -v versitygw >/dev/null || \
	  $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	@test -x "$(GOBIN_DIR)/aws-lambda-rie" || command -v aws-lambda-rie >/dev/null || \
	  $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## test-aws: the AWS adapters' tests, integration tests included
test-aws: tools-aws
	$(GO) test -count=1 ./app/awsclient/... ./app/memory/s3store/... ./app/persona/s3source/... ./app/secrets/... \
	  ./app/llm/openai/... ./app/llm/bedrock/... ./app/llm/llmtest/... ./app/cmd/lambda/... ./app/wire/... ./tools/...
