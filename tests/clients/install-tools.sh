#!/usr/bin/env bash
# Installs the tools the client tests (tests/clients) and the benchmarks use, idempotently:
#
#   tests/clients/install-tools.sh BUILD_DIR
#
#   BUILD_DIR/tools/bin/grpcurl   fullstorydev/grpcurl, `go install` from the Go module proxy
#   BUILD_DIR/tools/bin/ghz       bojand/ghz (gRPC load generator, bench/), likewise
#   BUILD_DIR/clients-venv        a Python venv with grpcio and grpcio-tools from PyPI
#
# Needs Debian packages golang-go (Go 1.19 on Debian 12: the versions below build with it; a newer
# go on PATH is used as it is, with GOTOOLCHAIN=local so it never fetches another toolchain),
# python3-venv and openssl (the TLS tests make certificates with it); they are installed with apt
# when missing (as root, or with sudo). A tool already installed at the pinned version is left
# alone; run again after changing a version below.
set -euo pipefail

GRPCURL_VERSION=v1.8.9   # go.mod: go 1.18; v1.9.x needs Go >= 1.21
GHZ_VERSION=v0.117.0     # go.mod: go 1.18; v0.120.0 does not build with Go 1.19 (a dependency needs 1.20)
GRPCIO_VERSION=1.85.1    # grpcio and grpcio-tools (protoc for the stubs) move together
PROTOBUF_VERSION=7.36.2  # what grpcio-tools 1.85.1 resolves to; pinned for repeatable stubs

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR   (e.g. build/dev)" >&2
  exit 2
fi
mkdir -p "$1"
BUILD=$(cd "$1" && pwd)
TOOLS="$BUILD/tools/bin"
VENV="$BUILD/clients-venv"

log() { printf '==> %s\n' "$*" >&2; }

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
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# The go command: one on PATH, else Debian's.
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
    return
  fi
  install_packages golang-go ca-certificates
  if [ -x /usr/bin/go ]; then echo /usr/bin/go; else ls /usr/lib/go-*/bin/go | tail -1; fi
}

# go_tool NAME MODULE/cmd/NAME VERSION: installs BUILD/tools/bin/NAME unless it is that version.
go_tool() {
  local name=$1 package=$2 version=$3 go
  local module=${package%/cmd/*}
  if [ -x "$TOOLS/$name" ]; then
    go=$(find_go)
    if "$go" version -m "$TOOLS/$name" 2>/dev/null | grep -qE "^\s+mod\s+$module\s+$version(\s|$)"; then
      log "$name $version is installed"
      return
    fi
  fi
  go=$(find_go)
  log "building $name $version with $("$go" version) (Go module proxy)"
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" GOTOOLCHAIN=local GOFLAGS= "$go" install "$package@$version"
}

install_packages python3-venv openssl
go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
go_tool ghz github.com/bojand/ghz/cmd/ghz "$GHZ_VERSION"

want="grpcio==$GRPCIO_VERSION grpcio-tools==$GRPCIO_VERSION protobuf==$PROTOBUF_VERSION"
if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/python" -m pip freeze 2>/dev/null |
    grep -E '^(grpcio|grpcio-tools|protobuf)==' | sort | tr '\n' ' ')" = "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ')" ]; then
  log "python venv $VENV has $want"
else
  log "python venv $VENV: $want (PyPI)"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check $want
fi
log "client tools ready: $TOOLS/grpcurl, $TOOLS/ghz, $VENV"
