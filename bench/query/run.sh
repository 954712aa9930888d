#!/usr/bin/env bash
# GetRelation of the real dyad-query binary under ghz: one year of daily buckets for a heavy dyad,
# with the state of 200 countries x 2 years loaded. Prints the numbers bench/README.md records.
#
#   bench/query/run.sh                 # build (release), generate the state once, serve, measure
#
# Environment (all optional):
#   DYAD_BENCH_BUILD    build directory (default build/release; made with `cmake --preset
#                       release` when missing)
#   DYAD_BENCH_STATE    the state directory (default $BUILD/bench/query/state): generated when
#                       missing, reused otherwise (delete it after changing the generator)
#   DYAD_BENCH_NO_BUILD=1  use the binaries as they are
#   DURATION (20s, whole seconds), CONCURRENCY (50), CONNECTIONS (4), RATE (5000), DYAD (USA CHN), FROM/TO
#   (2025-01-01 / 2025-12-31), BUCKET (day; week, month, year), DETAIL (full; counts: the
#   buckets' numbers only, RELATION_DETAIL_COUNTS), GENERATE_ARGS (extra flags for `dyad-bench-query generate`),
#   QUERY_ARGS (extra dyad-query flags, e.g. "--relation-cache-mb 0" to build every answer),
#   SERVER_CPUS / CLIENT_CPUS (taskset CPU lists to pin dyad-query and ghz; default: unpinned)
#   DYAD_BENCH_KEEP=1   leave dyad-query and the broker running (their pids are printed), and
#   DYAD_BENCH_SERVER=HOST:PORT DYAD_BENCH_SERVER_PID=PID  measure that server instead of starting
#                       one: for more requests (DYAD, BUCKET) without loading the state again
#
# Steps: build dyad-query and dyad-bench-query; install ghz (Go module proxy, pinned below, into
# $BUILD/tools/bin like tests/clients/install-tools.sh); generate the state; start an embedded
# broker (`dyad-bench-query broker`: an empty events topic) and dyad-query on that state; probe
# one call; then ghz with the .proto files: (a) closed loop, CONCURRENCY calls in flight, no rate
# limit, for DURATION; (b) open loop at RATE calls/s for DURATION. Percentiles are computed here
# from ghz's per-call details (ghz's own list stops at p99). Then the same two runs with
# `dyad-bench-query load`, a C++ client, to tell the service's cost from ghz's. Results go to
# stdout and to $BUILD/bench/query/results/<UTC time>/ (ghz JSON, summary).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${DYAD_BENCH_BUILD:-$ROOT/build/release}
STATE=${DYAD_BENCH_STATE:-$BUILD/bench/query/state}
GHZ_VERSION=v0.117.0  # the version tests/clients/install-tools.sh pins (builds with Go 1.19)
DURATION=${DURATION:-20s}
CONCURRENCY=${CONCURRENCY:-50}
CONNECTIONS=${CONNECTIONS:-4}
RATE=${RATE:-5000}
read -r SOURCE TARGET <<<"${DYAD:-USA CHN}"
FROM=${FROM:-2025-01-01}
TO=${TO:-2025-12-31}
BUCKET=${BUCKET:-day}
DETAIL=${DETAIL:-full}

log() { printf '==> %s\n' "$*" >&2; }

# --- build ----------------------------------------------------------------------------------
if [ "${DYAD_BENCH_NO_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    if [ "$BUILD" = "$ROOT/build/release" ]; then
      (cd "$ROOT" && cmake --preset release >/dev/null)
    else
      cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
  fi
  grep -q 'CMAKE_BUILD_TYPE:STRING=\(RelWithDebInfo\|Release\)' "$BUILD/CMakeCache.txt" ||
    { echo "run.sh: $BUILD is not an optimised build; use the release preset" >&2; exit 1; }
  log "building dyad-query and dyad-bench-query in $BUILD"
  cmake --build "$BUILD" --target dyad-query dyad-bench-query >/dev/null
fi
QUERY_BIN=$BUILD/services/query/dyad-query
BENCH_BIN=$BUILD/bench/query/dyad-bench-query

# --- ghz --------------------------------------------------------------------------------------
GHZ=$BUILD/tools/bin/ghz
find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  elif [ -x /usr/bin/go ]; then echo /usr/bin/go
  else echo "run.sh: no go command; install golang-go (Debian) to build ghz" >&2; exit 1
  fi
}
GO=$(find_go)
if ! { [ -x "$GHZ" ] && "$GO" version -m "$GHZ" 2>/dev/null |
    grep -qE "^\s+mod\s+github.com/bojand/ghz\s+$GHZ_VERSION(\s|$)"; }; then
  log "installing ghz $GHZ_VERSION into $BUILD/tools/bin (Go module proxy)"
  mkdir -p "$BUILD/tools/bin"
  GOBIN="$BUILD/tools/bin" GOTOOLCHAIN=local GOFLAGS='' "$GO" install \
    "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi

# --- state ------------------------------------------------------------------------------------
if [ ! -d "$STATE" ]; then
  log "generating the state in $STATE (once; minutes)"
  mkdir -p "$(dirname "$STATE")"
  # shellcheck disable=SC2086
  "$BENCH_BIN" generate --state-dir "$STATE" ${GENERATE_ARGS:-} | tee "$STATE.txt"
fi

# --- serve ------------------------------------------------------------------------------------
OUT=$BUILD/bench/query/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
PIDS=()
cleanup() {  # dyad-query first, then the broker it reads from
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT

# Waits until FILE has a line matching PATTERN (or the process PID exited), prints the line.
wait_line() {
  local file=$1 pattern=$2 pid=$3 seconds=$4
  for _ in $(seq 1 $((seconds * 10))); do
    if grep -m1 -E "$pattern" "$file" 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: process $pid exited; see $file" >&2; return 1; }
    sleep 0.1
  done
  echo "run.sh: no '$pattern' in $file after ${seconds}s" >&2
  return 1
}

pin() { if [ -n "${1:-}" ]; then echo "taskset -c $1"; fi; }

if [ -n "${DYAD_BENCH_SERVER:-}" ]; then
  # A dyad-query started earlier (e.g. by a previous run with DYAD_BENCH_KEEP=1): measure it as it
  # is. DYAD_BENCH_SERVER_PID gives its pid for the CPU accounting.
  ADDRESS=$DYAD_BENCH_SERVER
  QUERY_PID=${DYAD_BENCH_SERVER_PID:?give DYAD_BENCH_SERVER_PID with DYAD_BENCH_SERVER}
else
  "$BENCH_BIN" broker >"$OUT/broker.log" 2>&1 &
  PIDS+=($!)
  BROKERS=$(wait_line "$OUT/broker.log" 'listening on' "${PIDS[-1]}" 30 | awk '{print $NF}')

  log "starting dyad-query on $STATE (loading it takes a while)"
  LOAD_START=$(date +%s.%N)
  # shellcheck disable=SC2046
  $(pin "${SERVER_CPUS:-}") "$QUERY_BIN" --brokers "$BROKERS" --state-dir "$STATE" \
    --listen 127.0.0.1:0 --log-level warn ${QUERY_ARGS:-} >"$OUT/query.log" 2>&1 &
  PIDS+=($!)
  QUERY_PID=${PIDS[-1]}
  ADDRESS=$(wait_line "$OUT/query.log" 'dyad-query listening on' "$QUERY_PID" 1800 | awk '{print $NF}')
  LOAD_END=$(date +%s.%N)
  wait_line "$OUT/query.log" 'dyad-query caught up' "$QUERY_PID" 300 >/dev/null
  RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$QUERY_PID/status")
  log "dyad-query at $ADDRESS: listening after $(awk "BEGIN {printf \"%.1f\", $LOAD_END - $LOAD_START}") s, RSS $((RSS_KB / 1024)) MB"
  if [ "${DYAD_BENCH_KEEP:-0}" = 1 ]; then
    log "keeping dyad-query (pid $QUERY_PID) and the broker running: DYAD_BENCH_SERVER=$ADDRESS DYAD_BENCH_SERVER_PID=$QUERY_PID"
    PIDS=()
  fi
fi

"$BENCH_BIN" probe --server "$ADDRESS" --source "$SOURCE" --target "$TARGET" --from "$FROM" \
  --to "$TO" --bucket "$BUCKET" --detail "$DETAIL" | tee "$OUT/probe.txt"

REQUEST=$(printf '{"source":"%s","target":"%s","from":"%s","to":"%s","bucket":"BUCKET_%s","detail":"RELATION_DETAIL_%s"}' \
  "$SOURCE" "$TARGET" "$FROM" "$TO" "$(tr '[:lower:]' '[:upper:]' <<<"$BUCKET")" \
  "$(tr '[:lower:]' '[:upper:]' <<<"$DETAIL")")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$QUERY_PID/stat"; }
CLK_TCK=$(getconf CLK_TCK)

# ghz NAME ARGS...: one run; JSON to $OUT/NAME.json; one summary line to stdout.
run_ghz() {
  local name=$1
  shift
  local before after
  before=$(cpu_ticks)
  # shellcheck disable=SC2046
  $(pin "${CLIENT_CPUS:-}") "$GHZ" --insecure \
    --proto "$ROOT/proto/dyad/v1/relations_service.proto" --import-paths "$ROOT/proto" \
    --call dyad.v1.RelationsService.GetRelation -d "$REQUEST" \
    --connections "$CONNECTIONS" -z "$DURATION" "$@" -O json -o "$OUT/$name.json" "$ADDRESS"
  after=$(cpu_ticks)
  python3 - "$OUT/$name.json" "$name" "$((after - before))" "$CLK_TCK" <<'EOF'
import json, math, sys
path, name, ticks, clk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
report = json.load(open(path))
details = report.get("details") or []
ok = sorted(d["latency"] for d in details if d.get("status") == "OK")
def pct(p):
    if not ok: return float("nan")
    return ok[max(0, math.ceil(p / 100.0 * len(ok)) - 1)] / 1e6  # nearest rank
total_s = report["total"] / 1e9
# ghz cancels the calls in flight when the duration ends; they are not the server's errors.
at_end = ("use of closed network connection", "context canceled", "the client connection is closing")
errors = sum(1 for d in details if d.get("status") != "OK" and not any(m in d.get("error", "") for m in at_end))
cut = sum(1 for d in details if d.get("status") != "OK") - errors
cpu = ticks / clk
print(f"{name}: {report['count']} calls in {total_s:.1f} s = {report['rps']:.0f} calls/s; "
      f"p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, p99.9 {pct(99.9):.2f} ms, max "
      f"{(ok[-1] / 1e6 if ok else float('nan')):.1f} ms; errors {errors} (+{cut} cut off at the end); "
      f"dyad-query CPU "
      f"{cpu:.1f} s = {1000 * cpu / max(1, report['count']):.3f} ms per call")
EOF
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- libs services proto bench || echo ' (+ local changes)')"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
  echo "state: $(head -c 600 "$STATE.txt" 2>/dev/null | sed -n 2p | sed 's/^ *//')"
  echo "request: GetRelation $REQUEST; ghz $GHZ_VERSION, $CONNECTIONS connections"
  cat "$OUT/probe.txt"
  run_ghz max-throughput -c "$CONCURRENCY"
  run_ghz fixed-rate -c "$CONCURRENCY" -r "$RATE"
  # The same two runs with a C++ client (generated stubs, callback API, every response parsed):
  # what the service does when the client costs less than ghz.
  run_load() {
    local name=$1 before after
    shift
    before=$(cpu_ticks)
    # shellcheck disable=SC2046
    $(pin "${CLIENT_CPUS:-}") "$BENCH_BIN" load --server "$ADDRESS" --source "$SOURCE" \
      --target "$TARGET" --from "$FROM" --to "$TO" --bucket "$BUCKET" --detail "$DETAIL" \
      --connections "$CONNECTIONS" \
      --seconds "${DURATION%s}" "$@" | sed "s/^/$name (C++ client), /" | tr -d '\n'
    after=$(cpu_ticks)
    awk -v t="$((after - before))" -v hz="$CLK_TCK" 'BEGIN {printf "; dyad-query CPU %.1f s\n", t / hz}'
  }
  run_load max-throughput --concurrency "$CONCURRENCY" || true
  run_load fixed-rate --concurrency "$CONCURRENCY" --rate "$RATE" || true
} | tee "$OUT/summary.txt"
log "results in $OUT"
