# shellcheck shell=bash
# Shared by fetch-kafka.sh and kafka.sh (sourced, not run).
# KAFKA_TEST_DIR: this folder. KAFKA_HOME_DIR: jars and run state (gitignored).

KAFKA_TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_HOME_DIR="${DYAD_KAFKA_DIR:-$KAFKA_TEST_DIR/.kafka}"
KAFKA_LIB_DIR="$KAFKA_HOME_DIR/lib"
KAFKA_RUN_DIR="$KAFKA_HOME_DIR/run"

kafka_log() { printf '%s\n' "$(basename "$0"): $*" >&2; }
kafka_die() {
  kafka_log "error: $*"
  exit 1
}

# Sets JAVA_BIN to a java of version 17 or newer, or exits with what to install.
kafka_require_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA_BIN="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA_BIN="$(command -v java)"
  else
    kafka_die "java not found; Kafka 4 needs Java 17 or newer (Debian: apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME)"
  fi
  local version major
  version="$("$JAVA_BIN" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${version%%.*}"
  if [[ "$major" == 1 ]]; then major="$(cut -d. -f2 <<<"$version")"; fi
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 17)); then
    kafka_die "$JAVA_BIN is Java '${version:-unknown}'; Kafka 4 needs Java 17 or newer (apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME)"
  fi
}

# True when the jars fetched by fetch-kafka.sh are present and match pom.xml.
kafka_lib_complete() {
  [[ -f "$KAFKA_LIB_DIR/.complete" ]] &&
    [[ "$(cat "$KAFKA_LIB_DIR/.complete")" == "$(kafka_pom_hash)" ]] &&
    compgen -G "$KAFKA_LIB_DIR/kafka_2.13-*.jar" >/dev/null
}

kafka_pom_hash() { sha256sum "$KAFKA_TEST_DIR/pom.xml" | cut -d' ' -f1; }
