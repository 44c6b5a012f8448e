#!/usr/bin/env bash
# Finds (or builds) the Temporal CLI and starts `temporal server start-dev` with its state under .data/.
# Usage: ops/temporal.sh start|stop|path. Idempotent: a running dev server is reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

state_dir="$COFI_DATA_DIR/temporal"
pid_file="$state_dir/server.pid"

find_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    [ -x "$TEMPORAL_CLI_PATH" ] || die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file"
    echo "$TEMPORAL_CLI_PATH"; return
  fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  local cached="$COFI_CACHE_DIR/bin/temporal"
  if [ -x "$cached" ]; then echo "$cached"; return; fi
  command -v go >/dev/null 2>&1 \
    || die "the Temporal CLI is missing: install Go >= 1.25 (to build it) or put 'temporal' on PATH / set TEMPORAL_CLI_PATH"
  mkdir -p "$COFI_CACHE_DIR/bin"
  # Later tags carry a `replace` directive in go.mod that `go install` refuses.
  say "building the Temporal CLI $TEMPORAL_CLI_VERSION with 'go install' (first run only; takes several minutes)..."
  GOBIN="$COFI_CACHE_DIR/bin" GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2 \
    || die "building the Temporal CLI failed (see the go output above)"
  echo "$cached"
}

healthy() { "$cli" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING; }

start() {
  cli=$(find_cli)
  if port_open "$TEMPORAL_PORT"; then
    wait_for 30 "Temporal on :$TEMPORAL_PORT (already running)" healthy \
      || die "port $TEMPORAL_PORT is taken by something that is not a Temporal server"
    return
  fi
  mkdir -p "$state_dir"
  say "starting Temporal dev server on :$TEMPORAL_PORT (Web UI on :$TEMPORAL_UI_PORT)"
  # setsid: its own process group, so `stop` can end it and everything it spawned.
  setsid "$cli" server start-dev \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$state_dir/temporal.db" \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=off \
    --namespace default --namespace cofi-test \
    --search-attribute CofiBatchId=Int --search-attribute CofiCallId=Int --search-attribute CofiProcessId=Int \
    --search-attribute CofiAudioName=Keyword --search-attribute CofiKind=Keyword \
    --log-level warn \
    >"$state_dir/server.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_for 90 "Temporal" healthy || { tail -n 20 "$state_dir/server.log" >&2; die "Temporal did not come up (log: $state_dir/server.log)"; }
}

stop() { stop_group "$pid_file" "Temporal"; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  path) find_cli ;;
  *) die "usage: ops/temporal.sh start|stop|path" ;;
esac
