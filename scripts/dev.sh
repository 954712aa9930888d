#!/usr/bin/env bash
# dyad's front door on a Debian 12 machine. Every command first installs what is missing (apt, as
# root or with sudo) and builds; then:
#
#   ./scripts/dev.sh demo    run the pipeline on the embedded broker over the example articles and
#                            print the Pakistan–US relation and the other dyads found
#   ./scripts/dev.sh test    run every test: unit, integration, e2e, and kafka (a real 3-node Apache
#                            Kafka cluster in KRaft mode is fetched and started unless
#                            DYAD_TEST_KAFKA_BROKERS points at one)
#   ./scripts/dev.sh build   only set up and build
#   ./scripts/dev.sh fuzz [SECONDS]
#                            build the coder's libFuzzer target with clang (build/fuzz, ASan+UBSan)
#                            and run it for SECONDS (default 60) on a copy of fuzz/corpus/coder;
#                            crashes are written to build/fuzz/artifacts/
#
# Environment: DYAD_PRESET (dev | release | asan; default dev), DYAD_JOBS (build parallelism).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PRESET=${DYAD_PRESET:-dev}
BUILD="$ROOT/build/$PRESET"

BUILD_PACKAGES=(build-essential cmake ninja-build pkg-config git librdkafka-dev libprotobuf-dev
  protobuf-compiler libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libspdlog-dev libfmt-dev
  libabsl-dev libgtest-dev libgmock-dev librocksdb-dev libcli11-dev nlohmann-json3-dev libssl-dev)
# A real Kafka broker for the `kafka` tests: Java 17 runs it, Maven fetches its jars. PyYAML for
# tests/deploy.
TEST_PACKAGES=(openjdk-17-jre-headless maven python3-yaml)
# libFuzzer and the sanitizer runtimes for `fuzz`.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  install_packages "${BUILD_PACKAGES[@]}"
  log "configuring ($PRESET)"
  cmake --preset "$PRESET" >/dev/null
  log "building ($PRESET)"
  local started=$SECONDS
  cmake --build "$BUILD" ${DYAD_JOBS:+-j "$DYAD_JOBS"}
  log "built in $((SECONDS - started)) s"
}

demo() {
  build
  log "running the pipeline on the embedded broker over the example articles"
  "$BUILD/services/cli/dyad" demo
}

run_tests() {
  install_packages "${TEST_PACKAGES[@]}"
  build
  # grpcurl and Python grpcio for the client tests (tests/clients), ghz for bench/query.
  tests/clients/install-tools.sh "$BUILD"
  local started_broker=0
  if [ -z "${DYAD_TEST_KAFKA_BROKERS:-}" ]; then
    log "fetching and starting a real Apache Kafka broker (KRaft) for the kafka tests"
    tests/kafka/fetch-kafka.sh
    # Three nodes (replication factor 3, min.insync.replicas 2): the fault tests stop and kill
    # nodes of this cluster.
    DYAD_TEST_KAFKA_BROKERS=$(tests/kafka/kafka.sh start --nodes 3)
    export DYAD_TEST_KAFKA_BROKERS
    started_broker=1
    trap 'tests/kafka/kafka.sh stop >/dev/null 2>&1 || true' EXIT
  fi
  log "running every test (Kafka at $DYAD_TEST_KAFKA_BROKERS)"
  local status=0
  # ctest's summary is the last thing printed: CI reads it.
  ctest --test-dir "$BUILD" --output-on-failure -j 2 || status=$?
  if [ "$started_broker" -eq 1 ]; then tests/kafka/kafka.sh stop >/dev/null 2>&1 || true; fi
  return "$status"
}

fuzz() {
  local seconds=${1:-60}
  install_packages "${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
  local dir="$ROOT/build/fuzz"
  log "configuring $dir (clang, DYAD_FUZZ=ON, ASan+UBSan)"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDYAD_FUZZ=ON -DDYAD_SANITIZE=ON -DDYAD_BUILD_TESTS=OFF >/dev/null
  log "building dyad-fuzz-coder"
  cmake --build "$dir" --target dyad-fuzz-coder ${DYAD_JOBS:+-j "$DYAD_JOBS"}
  # libFuzzer adds what it finds to the first corpus dir: work on a copy, keep the seeds clean.
  rm -rf "$dir/corpus" && mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$ROOT"/fuzz/corpus/coder/* "$dir/corpus/"
  log "fuzzing for $seconds s (new inputs in $dir/corpus, crashes in $dir/artifacts)"
  "$dir/fuzz/dyad-fuzz-coder" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus"
}

case "${1:-}" in
  demo) demo ;;
  test) run_tests ;;
  build) build ;;
  fuzz) fuzz "${2:-60}" ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
