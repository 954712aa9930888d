#!/usr/bin/env bash
# Resolves the jars of a real Apache Kafka 4 broker (pom.xml) into tests/kafka/.kafka/lib with
# Maven, reusing the local Maven repository (~/.m2). Idempotent: does nothing when the jars for
# the current pom.xml are already there (pass --force to fetch again).
# Needs Java 17+ and Maven 3 (Debian: apt-get install -y openjdk-17-jre-headless maven).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  -h | --help)
    sed -n '2,5s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
  *) kafka_die "unknown argument '$1' (usage: fetch-kafka.sh [--force])" ;;
esac

kafka_require_java
if ((force == 0)) && kafka_lib_complete; then
  kafka_log "Kafka jars already in $KAFKA_LIB_DIR ($(ls "$KAFKA_LIB_DIR"/*.jar | wc -l) jars); nothing to do"
  exit 0
fi
command -v mvn >/dev/null 2>&1 ||
  kafka_die "mvn not found; fetching the Kafka jars needs Maven 3 (Debian: apt-get install -y maven)"

mkdir -p "$KAFKA_HOME_DIR"
staging="$(mktemp -d "$KAFKA_HOME_DIR/lib.tmp.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

kafka_log "resolving Kafka jars with Maven (pom: $KAFKA_TEST_DIR/pom.xml) ..."
start=$SECONDS
# -B: no colours or progress bars (CI logs); -q: errors only.
if ! mvn -B -q -f "$KAFKA_TEST_DIR/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$staging" </dev/null >"$staging.log" 2>&1; then
  cat "$staging.log" >&2
  rm -f "$staging.log"
  kafka_die "mvn dependency:copy-dependencies failed (see above); check that the Maven repository is reachable"
fi
rm -f "$staging.log"
compgen -G "$staging/kafka_2.13-*.jar" >/dev/null || kafka_die "Maven finished but kafka_2.13 is not among the jars"

kafka_pom_hash >"$staging/.complete"
rm -rf "$KAFKA_LIB_DIR"
mv "$staging" "$KAFKA_LIB_DIR"
trap - EXIT
kafka_log "fetched $(ls "$KAFKA_LIB_DIR"/*.jar | wc -l) jars ($(du -sh "$KAFKA_LIB_DIR" | cut -f1)) in $((SECONDS - start)) s: $(basename "$KAFKA_LIB_DIR"/kafka_2.13-*.jar .jar)"
