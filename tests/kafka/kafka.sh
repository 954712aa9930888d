#!/usr/bin/env bash
# A real Apache Kafka 4 cluster (KRaft, combined broker+controller nodes, no ZooKeeper) on
# loopback, for dyad's `kafka` tests. Jars come from fetch-kafka.sh; state lives in
# tests/kafka/.kafka/run/ (node-N/ holds server.properties, data/, server.log, stdout.log, pid).
#
# Usage: kafka.sh COMMAND [ARGS]
#   start [--nodes 1|3] [--base-port N] [--set key=value]... [--timeout S]
#                    Formats fresh storage and starts the nodes; waits until every broker serves,
#                    then prints the bootstrap servers (e.g. 127.0.0.1:19092) on stdout, alone.
#                    If the same cluster is already running, prints them again and starts any
#                    stopped node. Node N's broker listens on base-port+N-1 (default 19092...),
#                    its controller on base-port+100+N-1 (19192...). --set adds a broker setting.
#   stop             Stops every node (SIGTERM, then SIGKILL after DYAD_KAFKA_STOP_TIMEOUT s).
#   status           One line per node; exits 0 only when every node is running.
#   bootstrap        Prints the bootstrap servers of the cluster last started.
#   stop-node N      Stops node N cleanly (SIGTERM, then SIGKILL after the timeout).
#   kill-node N      Kills node N at once (SIGKILL), as a crash would.
#   start-node N     Starts node N again on its existing data and waits until it serves.
#   logs N           Prints the path of node N's server log.
#   topics ARGS...   Kafka's kafka-topics tool on this cluster, e.g. topics --describe --topic T
#   groups ARGS...   Kafka's kafka-consumer-groups tool, e.g. groups --describe --group G
#   quorum ARGS...   Kafka's kafka-metadata-quorum tool, e.g. quorum describe --status
#
# Environment: DYAD_KAFKA_DIR (default tests/kafka/.kafka), DYAD_KAFKA_HEAP (512m),
# DYAD_KAFKA_JVM_OPTS (extra JVM flags), DYAD_KAFKA_START_TIMEOUT (120 s),
# DYAD_KAFKA_STOP_TIMEOUT (30 s), JAVA_HOME.
# Diagnostics go to stderr; stdout carries only the bootstrap servers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CLUSTER_ENV="$KAFKA_RUN_DIR/cluster.env"
START_TIMEOUT="${DYAD_KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${DYAD_KAFKA_STOP_TIMEOUT:-30}"
READY_MARKER='Kafka Server started'

usage() {
  sed -n '/^# Usage:/,/^# Diagnostics/s/^# \{0,1\}//p' "$0" >&2
  exit "${1:-2}"
}

node_dir() { echo "$KAFKA_RUN_DIR/node-$1"; }
broker_port() { echo $((BASE_PORT + $1 - 1)); }
controller_port() { echo $((BASE_PORT + 100 + $1 - 1)); }

bootstrap_servers() {
  local i out=""
  for ((i = 1; i <= NODES; i++)); do out+="${out:+,}127.0.0.1:$(broker_port "$i")"; done
  echo "$out"
}

load_cluster() {
  [[ -f "$CLUSTER_ENV" ]] || kafka_die "no cluster has been started here ($CLUSTER_ENV missing); run: $0 start"
  # shellcheck source=/dev/null
  source "$CLUSTER_ENV"
}

check_node_arg() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= NODES)) ||
    kafka_die "node must be a number from 1 to $NODES, got '${1:-}'"
}

# Prints the pid of node $1 when it is running (and is really that node's java), else nothing.
node_pid() {
  local dir pid
  dir="$(node_dir "$1")"
  [[ -f "$dir/pid" ]] || return 0
  pid="$(<"$dir/pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if pid_alive "$pid" &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/server.properties"; then
    echo "$pid"
  fi
}

# True while $1 is a live process (a zombie, dead but not yet reaped by its parent, is not).
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_properties() {
  local i="$1" dir rf min_isr quorum
  dir="$(node_dir "$i")"
  if ((NODES == 1)); then
    rf=1 min_isr=1
    quorum="controller.quorum.bootstrap.servers=127.0.0.1:$(controller_port 1)"
  else
    rf=3 min_isr=2
    local voters="" j
    for ((j = 1; j <= NODES; j++)); do voters+="${voters:+,}$j@127.0.0.1:$(controller_port "$j")"; done
    quorum="controller.quorum.voters=$voters"
  fi
  cat >"$dir/server.properties" <<EOF
# Written by tests/kafka/kafka.sh: node $i of a $NODES-node KRaft test cluster.
process.roles=broker,controller
node.id=$i
$quorum
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i"),CONTROLLER://127.0.0.1:$(controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

# Topics: created explicitly by dyad (EnsureTopic), never on first use.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$min_isr
unclean.leader.election.enable=false

# Internal topics sized for the node count.
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr

# Fast tests: no delay before the first rebalance, small segments, few threads (2-core machines).
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
log.retention.hours=24
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
# A crashed node is fenced (and leaves the ISRs) after 6 s instead of 9.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
replica.lag.time.max.ms=10000
EOF
  if ((${#EXTRA_PROPS[@]})); then
    printf '\n# --set\n' >>"$dir/server.properties"
    printf '%s\n' "${EXTRA_PROPS[@]}" >>"$dir/server.properties"
  fi
}

jvm_cmd() {
  local dir="$1"
  # shellcheck disable=SC2206
  local extra=(${DYAD_KAFKA_JVM_OPTS:-})
  # -XX:TieredStopAtLevel=1 (C1 JIT only): starts markedly faster on a busy 2-core machine
  # (measured 11 s against 14-23 s for one node); a benchmark that wants peak broker throughput
  # sets DYAD_KAFKA_JVM_OPTS=-XX:TieredStopAtLevel=4 (later flags win).
  JVM=("$JAVA_BIN" "-Xmx${DYAD_KAFKA_HEAP:-512m}" -Xms128m -XX:TieredStopAtLevel=1
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$KAFKA_TEST_DIR/log4j2.xml" "-Dkafka.logs.dir=$dir"
    -Dlog4j2.shutdownHookEnabled=false
    "${extra[@]}" -cp "$KAFKA_LIB_DIR/*")
}

format_node() {
  local i="$1" dir args
  dir="$(node_dir "$i")"
  jvm_cmd "$dir"
  args=(format --config "$dir/server.properties" --cluster-id "$CLUSTER_ID")
  ((NODES == 1)) && args+=(--standalone)
  if ! "${JVM[@]}" kafka.tools.StorageTool "${args[@]}" >"$dir/format.log" 2>&1 </dev/null; then
    cat "$dir/format.log" >&2
    return 1
  fi
}

launch_node() {
  local i="$1" dir pid
  dir="$(node_dir "$i")"
  jvm_cmd "$dir"
  # Each start gets fresh logs, so readiness is judged on this start's lines only.
  for f in server.log stdout.log; do [[ -f "$dir/$f" ]] && mv -f "$dir/$f" "$dir/$f.prev"; done
  # setsid: the node leaves our session, so it outlives this script and the caller's terminal.
  (cd "$dir" && exec setsid "${JVM[@]}" kafka.Kafka "$dir/server.properties" \
    >"$dir/stdout.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$dir/pid"
}

# Waits until node $1 logs that it started and its broker port accepts connections.
wait_ready() {
  local i="$1" deadline dir port
  dir="$(node_dir "$i")"
  port="$(broker_port "$i")"
  deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if [[ -z "$(node_pid "$i")" ]]; then
      kafka_log "node $i exited while starting; last lines of its logs:"
      tail -n 20 "$dir/stdout.log" >&2 2>/dev/null || true
      tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
      return 1
    fi
    if grep -qF "$READY_MARKER" "$dir/server.log" 2>/dev/null && port_open "$port"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      kafka_log "node $i not ready after $START_TIMEOUT s; last lines of $dir/server.log:"
      tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

# Extra check when kcat is installed: the cluster's metadata lists every running broker.
check_metadata() {
  command -v kcat >/dev/null 2>&1 || return 0
  local want="$1" got deadline=$((SECONDS + 30))
  while :; do
    got="$(kcat -L -b "$(bootstrap_servers)" -m 5 2>/dev/null | sed -n 's/^ *\([0-9]*\) brokers:.*/\1/p')"
    [[ "$got" == "$want" ]] && return 0
    if ((SECONDS >= deadline)); then
      kafka_log "kcat sees '${got:-no}' brokers in the metadata, want $want"
      return 1
    fi
    sleep 0.5
  done
}

# Stops the given nodes together: SIGTERM to all, wait, SIGKILL whatever is left at the timeout.
# A combined node shuts down cleanly only while a majority of the controllers runs (its broker
# asks the active controller for a controlled shutdown); once the quorum is gone the rest would
# wait minutes, so they get QUORUM_GRACE seconds and then SIGKILL.
QUORUM_GRACE=3
stop_nodes() {
  local i pid deadline pids=() stopping=()
  for i in "$@"; do
    pid="$(node_pid "$i")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid") stopping+=("$i")
    fi
  done
  ((${#pids[@]})) || return 0
  deadline=$((SECONDS + STOP_TIMEOUT))
  local majority=$((NODES / 2 + 1)) lost_since=""
  while :; do
    local alive=0 cluster_alive=0 idx
    for pid in "${pids[@]}"; do pid_alive "$pid" && alive=1; done
    ((alive)) || break
    for ((i = 1; i <= NODES; i++)); do [[ -n "$(node_pid "$i")" ]] && cluster_alive=$((cluster_alive + 1)); done
    local reason=""
    if ((SECONDS >= deadline)); then
      reason="did not stop within $STOP_TIMEOUT s"
    elif ((NODES > 1 && cluster_alive < majority)); then
      [[ -n "$lost_since" ]] || lost_since=$SECONDS
      ((SECONDS - lost_since >= QUORUM_GRACE)) &&
        reason="cannot shut down cleanly: only $cluster_alive of $NODES controllers run (no quorum)"
    fi
    if [[ -n "$reason" ]]; then
      for idx in "${!pids[@]}"; do
        if pid_alive "${pids[$idx]}"; then
          kafka_log "node ${stopping[$idx]} (pid ${pids[$idx]}) $reason; sending SIGKILL"
          kill -KILL "${pids[$idx]}" 2>/dev/null || true
        fi
      done
      for pid in "${pids[@]}"; do
        while pid_alive "$pid"; do sleep 0.1; done
      done
      break
    fi
    sleep 0.2
  done
  for i in "${stopping[@]}"; do rm -f "$(node_dir "$i")/pid"; done
}

cmd_start() {
  local nodes=1 base=19092 n
  EXTRA_PROPS=()
  while (($#)); do
    case "$1" in
      --nodes) nodes="${2:-}"; shift 2 || usage ;;
      --base-port) base="${2:-}"; shift 2 || usage ;;
      --set) EXTRA_PROPS+=("${2:-}"); shift 2 || usage ;;
      --timeout) START_TIMEOUT="${2:-}"; shift 2 || usage ;;
      *) kafka_log "unknown start option '$1'"; usage ;;
    esac
  done
  [[ "$nodes" == 1 || "$nodes" == 3 ]] || kafka_die "--nodes must be 1 or 3, got '$nodes'"
  [[ "$base" =~ ^[0-9]+$ ]] && ((base >= 1024 && base + 100 + nodes <= 65535)) ||
    kafka_die "--base-port must be a port from 1024 to $((65535 - 100 - nodes)), got '$base'"
  [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || kafka_die "--timeout must be whole seconds, got '$START_TIMEOUT'"
  local p
  for p in "${EXTRA_PROPS[@]}"; do
    [[ "$p" =~ ^[A-Za-z0-9._-]+=.*$ ]] || kafka_die "--set wants key=value, got '$p'"
  done

  kafka_require_java
  kafka_lib_complete || kafka_die "Kafka jars missing in $KAFKA_LIB_DIR; run tests/kafka/fetch-kafka.sh first"

  # A cluster already here: reuse it when it is the one asked for.
  if [[ -f "$CLUSTER_ENV" ]]; then
    local want_nodes="$nodes" want_base="$base" running=()
    source "$CLUSTER_ENV"
    for ((n = 1; n <= NODES; n++)); do [[ -n "$(node_pid "$n")" ]] && running+=("$n"); done
    if ((${#running[@]})); then
      if ((NODES != want_nodes || BASE_PORT != want_base)); then
        kafka_die "a $NODES-node cluster on port $BASE_PORT is running (nodes ${running[*]}); run '$0 stop' first"
      fi
      ((${#EXTRA_PROPS[@]})) && kafka_log "cluster already running; --set ignored"
      for ((n = 1; n <= NODES; n++)); do
        if [[ -z "$(node_pid "$n")" ]]; then
          kafka_log "starting stopped node $n"
          launch_node "$n"
        fi
      done
      for ((n = 1; n <= NODES; n++)); do wait_ready "$n" || kafka_die "node $n did not start"; done
      kafka_log "cluster already running"
      bootstrap_servers
      return 0
    fi
    nodes="$want_nodes" base="$want_base"
  fi

  NODES="$nodes" BASE_PORT="$base"
  for ((n = 1; n <= NODES; n++)); do
    for p in "$(broker_port "$n")" "$(controller_port "$n")"; do
      port_open "$p" && kafka_die "port $p on 127.0.0.1 is in use; stop what holds it or pick another --base-port"
    done
  done

  local t0=$SECONDS
  rm -rf "$KAFKA_RUN_DIR"
  mkdir -p "$KAFKA_RUN_DIR"
  # A cluster id is a Kafka Uuid: 16 random bytes, URL-safe base64 without padding. Like
  # Kafka's own Uuid.randomUuid(), never one starting with '-' (tools would take it for an option).
  CLUSTER_ID=-
  while [[ "$CLUSTER_ID" == -* ]]; do
    CLUSTER_ID="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  printf 'NODES=%s\nBASE_PORT=%s\nCLUSTER_ID=%s\n' "$NODES" "$BASE_PORT" "$CLUSTER_ID" >"$CLUSTER_ENV"

  local pids=() failed=0
  for ((n = 1; n <= NODES; n++)); do
    mkdir -p "$(node_dir "$n")/data"
    write_properties "$n"
    format_node "$n" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  ((failed == 0)) || kafka_die "formatting the KRaft storage failed (see above)"
  kafka_log "formatted $NODES node(s), cluster id $CLUSTER_ID ($((SECONDS - t0)) s)"

  for ((n = 1; n <= NODES; n++)); do launch_node "$n"; done
  for ((n = 1; n <= NODES; n++)); do
    if ! wait_ready "$n"; then
      stop_nodes $(seq 1 "$NODES")
      kafka_die "node $n did not start; logs in $(node_dir "$n")"
    fi
  done
  if ! check_metadata "$NODES"; then
    stop_nodes $(seq 1 "$NODES")
    kafka_die "brokers started but the cluster metadata is incomplete; logs in $KAFKA_RUN_DIR"
  fi
  kafka_log "$NODES-node Kafka cluster ready in $((SECONDS - t0)) s; logs in $KAFKA_RUN_DIR/node-*/server.log"
  bootstrap_servers
}

cmd_stop() {
  [[ -f "$CLUSTER_ENV" ]] || { kafka_log "no cluster here; nothing to stop"; return 0; }
  load_cluster
  local t0=$SECONDS
  stop_nodes $(seq 1 "$NODES")
  kafka_log "stopped ($((SECONDS - t0)) s)"
}

cmd_status() {
  load_cluster
  local n pid all=0
  for ((n = 1; n <= NODES; n++)); do
    pid="$(node_pid "$n")"
    if [[ -n "$pid" ]]; then
      echo "node $n: running (pid $pid), broker 127.0.0.1:$(broker_port "$n"), controller 127.0.0.1:$(controller_port "$n")"
    else
      echo "node $n: stopped, broker 127.0.0.1:$(broker_port "$n"), controller 127.0.0.1:$(controller_port "$n")"
      all=1
    fi
  done
  echo "bootstrap: $(bootstrap_servers)"
  return "$all"
}

cmd_start_node() {
  load_cluster
  check_node_arg "${1:-}"
  kafka_require_java
  if [[ -n "$(node_pid "$1")" ]]; then
    kafka_log "node $1 is already running"
    return 0
  fi
  local t0=$SECONDS
  launch_node "$1"
  wait_ready "$1" || kafka_die "node $1 did not start; logs in $(node_dir "$1")"
  kafka_log "node $1 ready in $((SECONDS - t0)) s"
}

cmd_stop_node() {
  load_cluster
  check_node_arg "${1:-}"
  stop_nodes "$1"
  kafka_log "node $1 stopped"
}

cmd_kill_node() {
  load_cluster
  check_node_arg "${1:-}"
  local pid
  pid="$(node_pid "$1")"
  [[ -n "$pid" ]] || { kafka_log "node $1 is not running"; return 0; }
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.1; done
  rm -f "$(node_dir "$1")/pid"
  kafka_log "node $1 killed (pid $pid)"
}

# Runs one of Kafka's command-line tools against this cluster (quiet logging, small heap).
cmd_tool() {
  local class="$1"
  shift
  load_cluster
  kafka_require_java
  kafka_lib_complete || kafka_die "Kafka jars missing in $KAFKA_LIB_DIR; run tests/kafka/fetch-kafka.sh first"
  "$JAVA_BIN" -Xmx256m -XX:TieredStopAtLevel=1 "-Dlog4j2.configurationFile=$KAFKA_TEST_DIR/tools-log4j2.xml" -cp "$KAFKA_LIB_DIR/*" \
    "$class" --bootstrap-server "$(bootstrap_servers)" "$@"
}

command="${1:-}"
(($#)) && shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  bootstrap) load_cluster && bootstrap_servers ;;
  start-node) cmd_start_node "$@" ;;
  stop-node) cmd_stop_node "$@" ;;
  kill-node) cmd_kill_node "$@" ;;
  logs) load_cluster && check_node_arg "${1:-}" && echo "$(node_dir "$1")/server.log" ;;
  topics) cmd_tool org.apache.kafka.tools.TopicCommand "$@" ;;
  groups) cmd_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@" ;;
  quorum) cmd_tool org.apache.kafka.tools.MetadataQuorumCommand "$@" ;;
  -h | --help | help) usage 0 ;;
  *) kafka_log "unknown command '${command}'"; usage ;;
esac
