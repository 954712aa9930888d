#!/usr/bin/env bash
# The end-to-end benchmark (issue 6): dyad-ingest → dyad-extractor → dyad-query, the real
# binaries, on the embedded broker and on a real Kafka broker; then each stage scaled on its own.
# Writes bench/RESULTS.md (the machine, this command, the numbers).
#
#   bench/e2e/run.sh            # ~25 min: 100,000 articles on a real broker, 20,000 on the
#                               # embedded one, then the scaling runs
#   QUICK=1 bench/e2e/run.sh    # a few minutes: 3,000 articles, short windows
#
# Environment (all optional):
#   DYAD_BENCH_BUILD    build directory (default build/release; made with `cmake --preset release`
#                       when missing); DYAD_BENCH_NO_BUILD=1 uses the binaries as they are
#   QUICK=1             small sizes (ARTICLES and EMBEDDED_ARTICLES 3000, LATENCY_SECONDS 10, SCALE_SECONDS 12)
#   ARTICLES            articles of the saturation phase on the real broker (100000)
#   EMBEDDED_ARTICLES   the same on the embedded broker (20000: it is not what the targets are
#                       about, and the whole run stays under 30 min)
#   LATENCY_RATE        offered load of the latency phase, articles/s (100)
#   LATENCY_SECONDS     length of the latency phase (30)
#   WARMUP_SECONDS      unmeasured articles at LATENCY_RATE before it, waited for (5)
#   CONCURRENCY         Publish calls in flight in the saturation phase (32)
#   SCALE_SECONDS       measuring window of each scaling run (30)
#   EXTRACTOR_REPLICAS  replica counts of the extractor scaling runs ("1 2 4")
#   QUERY_REPLICAS      replica counts of the query scaling runs ("1 2")
#   RUNS                which brokers ("embedded kafka"; "embedded" alone needs no Java)
#   KAFKA_BROKERS       a running Kafka to use (e.g. the 3-node test cluster
#                       127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094); default: start a
#                       single node of our own with tests/kafka/kafka.sh in $BUILD/bench/e2e/kafka
#                       on KAFKA_BASE_PORT (29092), stopped at the end
#   REPLICATION_FACTOR  of the benchmark's topics on the real broker (1)
#   PARTITIONS          of every topic (6)
#   INGEST_ARGS, EXTRACTOR_ARGS, QUERY_ARGS   extra flags for the services
#   RESULTS_MD          where the summary goes (default bench/RESULTS.md; QUICK=1: only into
#                       the results directory unless RESULTS_MD is given)
#
# Per broker: a fresh dyad-query (own state directory), one dyad-extractor (exactly-once on the
# real broker, at-least-once on the embedded one, which has no transactional offsets) and
# dyad-ingest, on topics named for this run. `dyad-bench-e2e monitor` samples every second:
# articles and events in their topics, the extractor group's lag, the mentions dyad-query
# applied (a WatchEvents stream), CPU and RSS of every process. Then `dyad-bench-e2e load`:
#   1. latency: LATENCY_RATE articles/s for LATENCY_SECONDS (open loop), each article timed from
#      its Publish returning to its first mention on dyad-query's WatchEvents;
#   2. saturation: ARTICLES more articles, CONCURRENCY Publish calls in flight, same timing.
# Scaling (on the articles the pipeline run left in the topic): 1, 2, 4 extractor replicas in a
# new group (each its own --transactional-id and events topic), articles/s over SCALE_SECONDS
# from the group's committed offsets; 1 and 2 dyad-query replicas replaying the events topic
# (time to "caught up"), then GetRelation calls/s against them (dyad-bench-query load).
# Results: $BUILD/bench/e2e/results/<UTC time>/ (logs, CSV timelines, RESULTS.md) and RESULTS_MD.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# The exact command, with the variables the caller set, for RESULTS.md.
COMMAND=""
for v in DYAD_BENCH_BUILD QUICK ARTICLES EMBEDDED_ARTICLES LATENCY_RATE LATENCY_SECONDS CONCURRENCY SCALE_SECONDS \
  READ_SECONDS EXTRACTOR_REPLICAS QUERY_REPLICAS RUNS KAFKA_BROKERS KAFKA_BASE_PORT \
  REPLICATION_FACTOR PARTITIONS INGEST_ARGS EXTRACTOR_ARGS QUERY_ARGS; do
  if [ -n "${!v:-}" ]; then COMMAND+="$v=$(printf '%q' "${!v}") "; fi
done
COMMAND+="bench/e2e/run.sh"
BUILD=${DYAD_BENCH_BUILD:-$ROOT/build/release}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ARTICLES=${ARTICLES:-3000}
  EMBEDDED_ARTICLES=${EMBEDDED_ARTICLES:-$ARTICLES}
  LATENCY_SECONDS=${LATENCY_SECONDS:-10}
  SCALE_SECONDS=${SCALE_SECONDS:-12}
  READ_SECONDS=${READ_SECONDS:-5}
else
  ARTICLES=${ARTICLES:-100000}
  EMBEDDED_ARTICLES=${EMBEDDED_ARTICLES:-20000}
  LATENCY_SECONDS=${LATENCY_SECONDS:-30}
  SCALE_SECONDS=${SCALE_SECONDS:-30}
  READ_SECONDS=${READ_SECONDS:-10}
fi
LATENCY_RATE=${LATENCY_RATE:-100}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
CONCURRENCY=${CONCURRENCY:-32}
EXTRACTOR_REPLICAS=${EXTRACTOR_REPLICAS:-1 2 4}
QUERY_REPLICAS=${QUERY_REPLICAS:-1 2}
RUNS=${RUNS:-embedded kafka}
KAFKA_BASE_PORT=${KAFKA_BASE_PORT:-29092}
REPLICATION_FACTOR=${REPLICATION_FACTOR:-1}
PARTITIONS=${PARTITIONS:-6}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BUILD/bench/e2e/results/$STAMP

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
  log "building the services and the helpers in $BUILD"
  cmake --build "$BUILD" --target dyad-ingest dyad-extractor dyad-query dyad-bench-e2e \
    dyad-bench-query >/dev/null
fi
INGEST_BIN=$BUILD/services/ingest/dyad-ingest
EXTRACTOR_BIN=$BUILD/services/extractor/dyad-extractor
QUERY_BIN=$BUILD/services/query/dyad-query
E2E_BIN=$BUILD/bench/e2e/dyad-bench-e2e
READ_BIN=$BUILD/bench/query/dyad-bench-query

mkdir -p "$OUT"
PIDS=()  # the services of the current step, stopped by cleanup on failure
EMBEDDED_PID=
KAFKA_OWN=0
KAFKA_DIR=$BUILD/bench/e2e/kafka
stop_pid() {  # SIGTERM, wait up to 30 s, then SIGKILL
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {  # last started first: ingest, extractor, query, then the broker
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  PIDS=()
  if [ -n "$EMBEDDED_PID" ]; then stop_pid "$EMBEDDED_PID"; fi
  if [ "$KAFKA_OWN" = 1 ]; then
    DYAD_KAFKA_DIR=$KAFKA_DIR "$ROOT/tests/kafka/kafka.sh" stop >/dev/null 2>&1 || true
    KAFKA_OWN=0
  fi
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
now() { date +%s.%N; }

# --- corpus -----------------------------------------------------------------------------------
LATENCY_COUNT=$((LATENCY_RATE * LATENCY_SECONDS))
WARMUP_COUNT=$((LATENCY_RATE * WARMUP_SECONDS))
MOST=$((ARTICLES > EMBEDDED_ARTICLES ? ARTICLES : EMBEDDED_ARTICLES))
TOTAL=$((WARMUP_COUNT + LATENCY_COUNT + MOST))
CORPUS=$BUILD/bench/e2e/corpus-$TOTAL.jsonl
if [ ! -s "$CORPUS" ] || [ ! -s "$CORPUS.txt" ]; then
  log "writing the corpus: $TOTAL articles replayed from the VOA articles"
  "$E2E_BIN" corpus --count "$TOTAL" --out "$CORPUS" >"$CORPUS.txt"
fi
cat "$CORPUS.txt"
cp "$CORPUS.txt" "$OUT/corpus.txt"

MACHINE="$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- libs services proto bench || echo ' (+ local changes)')"
  echo "machine=$MACHINE"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command=$COMMAND"
} >"$OUT/meta.txt"

# --- one broker: the pipeline, the latency and saturation phases ----------------------------
# run_pipeline NAME BROKERS DELIVERY BROKER_PID SATURATION_ARTICLES
run_pipeline() {
  local name=$1 brokers=$2 delivery=$3 broker_pid=$4 articles=$5
  local dir=$OUT/$name
  mkdir -p "$dir"
  local prefix=bench.$STAMP.$name
  local articles_topic=$prefix.articles events_topic=$prefix.events dlq_topic=$prefix.dlq
  local group=$prefix.extractor
  local kafka_args=(--partitions "$PARTITIONS" --replication-factor "$REPLICATION_FACTOR")
  local extractor_extra=()
  # The embedded broker: at-least-once offsets are committed by the consumer; commit every
  # second (not every 5 s) so the lag the monitor reads is current.
  if [ "$delivery" = at-least-once ]; then
    extractor_extra=(--kafka-config auto.commit.interval.ms=1000)
  fi
  log "[$name] starting dyad-query, dyad-extractor, dyad-ingest on $brokers"
  # shellcheck disable=SC2086
  "$QUERY_BIN" --brokers "$brokers" --events-topic "$events_topic" --state-dir "$dir/query-state" \
    --listen 127.0.0.1:0 "${kafka_args[@]}" --log-level info ${QUERY_ARGS:-} >"$dir/query.log" 2>&1 &
  PIDS+=($!)
  local query_pid=$!
  local query_addr
  query_addr=$(wait_line "$dir/query.log" 'dyad-query listening on' "$query_pid" 120 | awk '{print $NF}')
  wait_line "$dir/query.log" 'dyad-query caught up' "$query_pid" 120 >/dev/null
  # shellcheck disable=SC2086
  "$EXTRACTOR_BIN" --brokers "$brokers" --group "$group" --articles-topic "$articles_topic" \
    --events-topic "$events_topic" --dlq-topic "$dlq_topic" --delivery "$delivery" \
    --transactional-id "$group-0" "${kafka_args[@]}" "${extractor_extra[@]}" \
    ${EXTRACTOR_ARGS:-} >"$dir/extractor.log" 2>&1 &
  PIDS+=($!)
  local extractor_pid=$!
  wait_line "$dir/extractor.log" 'dyad-extractor ready' "$extractor_pid" 120 >/dev/null
  # shellcheck disable=SC2086
  "$INGEST_BIN" --brokers "$brokers" --articles-topic "$articles_topic" --listen 127.0.0.1:0 \
    "${kafka_args[@]}" ${INGEST_ARGS:-} >"$dir/ingest.log" 2>&1 &
  PIDS+=($!)
  local ingest_pid=$!
  local ingest_addr
  ingest_addr=$(wait_line "$dir/ingest.log" 'dyad-ingest listening on' "$ingest_pid" 120 | awk '{print $NF}')

  "$E2E_BIN" monitor --brokers "$brokers" --articles-topic "$articles_topic" \
    --events-topic "$events_topic" --group "$group" --query "$query_addr" \
    --pid "ingest=$ingest_pid" --pid "extractor=$extractor_pid" --pid "query=$query_pid" \
    --pid "broker=$broker_pid" --out "$dir/timeline.csv" >"$dir/monitor.log" 2>&1 &
  local monitor_pid=$!
  wait_line "$dir/monitor.log" 'monitor sampling' "$monitor_pid" 60 >/dev/null

  log "[$name] warm-up: $LATENCY_RATE articles/s for $WARMUP_SECONDS s (not measured)"
  if [ "$WARMUP_COUNT" -gt 0 ]; then
    "$E2E_BIN" load --ingest "$ingest_addr" --watch "$query_addr" --corpus "$CORPUS" \
      --count "$WARMUP_COUNT" --rate "$LATENCY_RATE" --label "$name-warmup" >"$dir/warmup.txt" || true
  fi
  log "[$name] latency: $LATENCY_RATE articles/s for $LATENCY_SECONDS s"
  local t0 t1 t2
  t0=$(now)
  "$E2E_BIN" load --ingest "$ingest_addr" --watch "$query_addr" --corpus "$CORPUS" \
    --skip "$WARMUP_COUNT" --count "$LATENCY_COUNT" --rate "$LATENCY_RATE" --label "$name-latency" \
    --out "$dir/latency.csv" | tee "$dir/latency.txt" >&2 || true
  t1=$(now)
  log "[$name] saturation: $articles articles, $CONCURRENCY Publish calls in flight"
  "$E2E_BIN" load --ingest "$ingest_addr" --watch "$query_addr" --corpus "$CORPUS" \
    --skip "$((WARMUP_COUNT + LATENCY_COUNT))" --count "$articles" --concurrency "$CONCURRENCY" \
    --label "$name-saturation" --out "$dir/saturation.csv" | tee "$dir/saturation.txt" >&2 || true
  t2=$(now)
  sleep 2
  kill -TERM "$monitor_pid" 2>/dev/null || true
  wait "$monitor_pid" 2>/dev/null || true
  printf 'latency_start=%s\nsaturation_start=%s\nsaturation_end=%s\nquery_addr=%s\nbrokers=%s\narticles_topic=%s\nevents_topic=%s\nquery_pid=%s\n' \
    "$t0" "$t1" "$t2" "$query_addr" "$brokers" "$articles_topic" "$events_topic" "$query_pid" \
    >"$dir/phases.txt"
  # Stop ingest and the extractor (their summary lines go to the logs), keep nothing running.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  PIDS=()

  scale_extractors "$name" "$brokers" "$delivery" "$articles_topic" "$broker_pid"
  scale_queries "$name" "$brokers" "$events_topic"
}

# scale_extractors NAME BROKERS DELIVERY ARTICLES_TOPIC BROKER_PID: R replicas in a new group.
scale_extractors() {
  local name=$1 brokers=$2 delivery=$3 articles_topic=$4 broker_pid=$5
  local extractor_extra=()
  if [ "$delivery" = at-least-once ]; then
    extractor_extra=(--kafka-config auto.commit.interval.ms=1000)
  fi
  for r in $EXTRACTOR_REPLICAS; do
    local dir=$OUT/$name/extractors-$r
    mkdir -p "$dir"
    local group=bench.$STAMP.$name.scale-$r
    local events_topic=$group.events
    log "[$name] $r extractor replica(s) in group $group for $SCALE_SECONDS s"
    local pids=() monitor_pids=()
    for ((i = 0; i < r; i++)); do
      # shellcheck disable=SC2086
      "$EXTRACTOR_BIN" --brokers "$brokers" --group "$group" --articles-topic "$articles_topic" \
        --events-topic "$events_topic" --dlq-topic "$group.dlq" --delivery "$delivery" \
        --transactional-id "$group-$i" --partitions "$PARTITIONS" \
        --replication-factor "$REPLICATION_FACTOR" "${extractor_extra[@]}" ${EXTRACTOR_ARGS:-} \
        >"$dir/extractor-$i.log" 2>&1 &
      pids+=($!)
      PIDS+=($!)
      monitor_pids+=(--pid "extractor$i=$!")
    done
    "$E2E_BIN" monitor --brokers "$brokers" --articles-topic "$articles_topic" \
      --events-topic "$events_topic" --group "$group" "${monitor_pids[@]}" \
      --pid "broker=$broker_pid" --seconds "$((SCALE_SECONDS + 10))" \
      --out "$dir/timeline.csv" >"$dir/monitor.log" 2>&1 || true
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    PIDS=()
  done
}

# scale_queries NAME BROKERS EVENTS_TOPIC: Q dyad-query replicas replay the events topic, then
# serve GetRelation.
scale_queries() {
  local name=$1 brokers=$2 events_topic=$3
  local pair
  pair=$(grep -o 'top_pair=[^ ]*' "$OUT/$name/saturation.txt" | cut -d= -f2 | tr '>' ' ')
  [ -n "$pair" ] && [ "$pair" != - ] || pair="USA IRQ"
  read -r source target <<<"$pair"
  for q in $QUERY_REPLICAS; do
    local dir=$OUT/$name/queries-$q
    mkdir -p "$dir"
    log "[$name] $q dyad-query replica(s) replaying $events_topic"
    local pids=() addrs=()
    local start
    start=$(now)
    for ((i = 0; i < q; i++)); do
      # shellcheck disable=SC2086
      "$QUERY_BIN" --brokers "$brokers" --events-topic "$events_topic" \
        --state-dir "$dir/state-$i" --listen 127.0.0.1:0 --log-level info ${QUERY_ARGS:-} \
        >"$dir/query-$i.log" 2>&1 &
      pids+=($!)
      PIDS+=($!)
    done
    for ((i = 0; i < q; i++)); do
      addrs+=("$(wait_line "$dir/query-$i.log" 'dyad-query listening on' "${pids[i]}" 600 | awk '{print $NF}')")
    done
    for ((i = 0; i < q; i++)); do
      wait_line "$dir/query-$i.log" 'dyad-query caught up' "${pids[i]}" 1800 >/dev/null || true
      echo "replica $i caught_up_at=$(now) rss_mb=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/${pids[i]}/status")" >>"$dir/caught-up.txt"
    done
    echo "start=$start" >>"$dir/caught-up.txt"
    # Reads: GetRelation of the heaviest pair, by month over 2025, closed loop on every replica.
    local read_pids=()
    for ((i = 0; i < q; i++)); do
      "$READ_BIN" load --server "${addrs[i]}" --source "$source" --target "$target" \
        --from 2025-01-01 --to 2025-12-31 --bucket month --concurrency 16 --connections 2 \
        --seconds "$READ_SECONDS" >"$dir/read-$i.txt" 2>&1 &
      read_pids+=($!)
    done
    for pid in "${read_pids[@]}"; do wait "$pid" || true; done
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    PIDS=()
  done
}

# --- the runs ---------------------------------------------------------------------------------
for run in $RUNS; do
  case $run in
    embedded)
      topics=()
      for t in articles events dlq; do topics+=(--topic "bench.$STAMP.embedded.$t"); done
      for r in $EXTRACTOR_REPLICAS; do
        for t in events dlq; do topics+=(--topic "bench.$STAMP.embedded.scale-$r.$t"); done
      done
      "$E2E_BIN" broker --partitions "$PARTITIONS" "${topics[@]}" >"$OUT/embedded-broker.log" 2>&1 &
      BROKER_PID=$!
      EMBEDDED_PID=$BROKER_PID
      BROKERS=$(wait_line "$OUT/embedded-broker.log" 'listening on' "$BROKER_PID" 30 | awk '{print $NF}')
      run_pipeline embedded "$BROKERS" at-least-once "$BROKER_PID" "$EMBEDDED_ARTICLES"
      stop_pid "$BROKER_PID"
      EMBEDDED_PID=
      ;;
    kafka)
      if [ -n "${KAFKA_BROKERS:-}" ]; then
        BROKERS=$KAFKA_BROKERS
        port=${BROKERS%%,*}
        port=${port##*:}
        BROKER_PID=$(pgrep -f "java.*kafka.Kafka" | while read -r p; do
          grep -q "$port" "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done | head -1 || true)
        BROKER_PID=${BROKER_PID:-0}
      else
        if ! [ -f "$ROOT/tests/kafka/.kafka/lib/.complete" ]; then
          "$ROOT/tests/kafka/fetch-kafka.sh" >&2
        fi
        mkdir -p "$KAFKA_DIR"
        ln -sfn "$ROOT/tests/kafka/.kafka/lib" "$KAFKA_DIR/lib"
        log "starting a single Kafka node (tests/kafka/kafka.sh, port $KAFKA_BASE_PORT, full JIT)"
        BROKERS=$(DYAD_KAFKA_DIR=$KAFKA_DIR DYAD_KAFKA_JVM_OPTS=-XX:TieredStopAtLevel=4 \
          "$ROOT/tests/kafka/kafka.sh" start --nodes 1 --base-port "$KAFKA_BASE_PORT")
        KAFKA_OWN=1
        BROKER_PID=$(cat "$KAFKA_DIR/run/node-1/pid")
      fi
      run_pipeline kafka "$BROKERS" exactly-once "$BROKER_PID" "$ARTICLES"
      if [ "$KAFKA_OWN" = 1 ]; then
        DYAD_KAFKA_DIR=$KAFKA_DIR "$ROOT/tests/kafka/kafka.sh" stop >/dev/null 2>&1 || true
        KAFKA_OWN=0
      fi
      ;;
    *) echo "run.sh: RUNS holds '$run'; use embedded and/or kafka" >&2; exit 2 ;;
  esac
done

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
if [ "$QUICK" = 1 ]; then RESULTS_MD=${RESULTS_MD:-}; else RESULTS_MD=${RESULTS_MD:-$ROOT/bench/RESULTS.md}; fi
python3 "$ROOT/bench/e2e/report.py" "$OUT" "$RUNS" >"$OUT/RESULTS.md"
if [ -n "$RESULTS_MD" ]; then cp "$OUT/RESULTS.md" "$RESULTS_MD"; fi
cat "$OUT/RESULTS.md"
log "results in $OUT${RESULTS_MD:+ and $RESULTS_MD}"
