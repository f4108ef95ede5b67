#!/usr/bin/env bash
# Side by side on one machine, in one sitting (docs/benchmarks.md, "Hot path"):
#   tools/sidebyside/run.sh [RUNS]
# alternates, RUNS times (default 3), 10 s of `wrk -t2 -c16` with a new session per request (each
# connection sending its next request as soon as the reply is in, or THINK_MS milliseconds later:
# the same offered load for every server, for comparing latencies at one load) against
#   - the Course twin, when PEER_SERVER names its server.py (how to get it: docs/benchmarks.md;
#     it is not in this repository), run by peer/run.py with its Bedrock call replaced by an
#     instant reply and peer/context.py giving it PEER_PERSONA (default me.txt);
#   - the floor: a Go server that only creates one file per request (main.go);
#   - ours: the twin built from this checkout, offline responder at full speed, info logs, OTLP
#     tracing to a local sink; and, when BEFORE names another twin binary (an older build), that
#     one too, the same way.
# Each server gets a new, empty folder, and starts after `sync` has written back what the one
# before it left (tens of thousands of new files). Nothing is deleted while measuring: on ext4 without a
# journal every file created skips the inodes freed in the last 30 s (ADR 0032), so deleting the
# previous run's files would slow the next one. Folders are left under $OUT (printed at the end).
# The root file system's history still moves the figures (inodes freed minutes ago, a cold cache);
# for repeatable ones put OUT on a freshly made file system, one per run (docs/benchmarks.md).
set -euo pipefail
RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$(mktemp -d /tmp/sidebyside.XXXXXX)}
PERSONA=${PEER_PERSONA:-$ROOT/me.txt}
command -v wrk >/dev/null || { echo "sidebyside: needs wrk (apt-get install -y wrk)" >&2; exit 2; }
go build -o "$OUT/twin" "$ROOT/app/cmd/twin"
go build -o "$OUT/sidebyside" "$ROOT/tools/sidebyside"
"$OUT/sidebyside" -otlp 127.0.0.1:4318 & SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT

load() { # name url — after writing back what the previous server left, so it does not compete
  sync
  printf '%-12s ' "$1"
  wrk -t2 -c16 -d10s --latency -s "$ROOT/tools/sidebyside/post.lua" "$2" |
    awk '/^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{rps=$2} /Non-2xx/{bad=$NF}
         END{printf "%8.0f req/s  p50 %-9s p99 %-9s%s\n", rps, p50, p99, bad ? "  NON-2xx " bad : ""}'
}
serve() { # name dir cmd... — start, wait for the port, load, stop
  local name=$1 url=$2; shift 2
  "$@" & local pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "${url%/*}" 2>/dev/null && break; sleep 0.1; done
  load "$name" "$url"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for i in $(seq "$RUNS"); do
  echo "run $i"
  mkdir -p "$OUT/$i/peer" "$OUT/$i/floor"
  if [ -n "${PEER_SERVER:-}" ]; then
    mkdir -p "$OUT/peer-kit"
    cp "$PEER_SERVER" "$OUT/peer-kit/server.py"
    cp "$ROOT/tools/sidebyside/peer/run.py" "$ROOT/tools/sidebyside/peer/context.py" "$OUT/peer-kit/"
    (cd "$OUT/peer-kit" && PEER_PERSONA=$PERSONA MEMORY_DIR=$OUT/$i/peer PORT=8100 exec /usr/bin/python3 run.py >/dev/null 2>&1) &
    PEER=$!; sleep 2; load "Course twin" http://127.0.0.1:8100/chat; kill $PEER; wait $PEER 2>/dev/null || true
  fi
  serve floor http://127.0.0.1:8200/api/chat "$OUT/sidebyside" -floor "$OUT/$i/floor"
  twins=("ours=$OUT/twin")
  [ -n "${BEFORE:-}" ] && twins+=("before=$BEFORE")
  for t in "${twins[@]}"; do
    mkdir -p "$OUT/$i/${t%%=*}"
    (cd "$ROOT" && PERSONA_FILE=$PERSONA DATA_DIR=$OUT/$i/${t%%=*} PORT=8000 OFFLINE_TOKEN_DELAY_MS=0 \
      RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=info OTEL_TRACES_EXPORTER=otlp \
      OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 exec "${t#*=}" >"$OUT/$i/${t%%=*}.log" 2>&1) &
    OURS=$!; sleep 1.5; load "${t%%=*}" http://127.0.0.1:8000/api/chat; kill $OURS; wait $OURS 2>/dev/null || true
  done
  # A build that renames a new file over the old one frees an inode per write; let the 30 s in
  # which those slow every create pass before the next server starts.
  [ -n "${BEFORE:-}" ] && sleep 31
done
echo "folders and logs: $OUT"
