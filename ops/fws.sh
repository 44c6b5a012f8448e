#!/usr/bin/env bash
# Installs and runs faster-whisper-server 0.0.3, a third-party OpenAI-compatible STT server, on the local
# Whisper base model (offline): the server cofi's clients are proven against (test/inference/thirdParty.test.ts).
# Usage: ops/fws.sh install|start|stop|status. Idempotent: a running server is reused, an installed venv kept.
# Env: FWS_PORT (9211), FWS_MODEL (the model name the server answers to, whisper-base), FWS_THREADS (cores),
# FWS_MODEL_DIR (a CTranslate2 model directory; default: the one `ops/whisper.sh model-dir` prints),
# FWS_STATE_DIR (pid file, log and server config; .data/fws), FWS_PYTHON (python3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FWS_PORT="${FWS_PORT:-9211}"
FWS_MODEL="${FWS_MODEL:-whisper-base}"
FWS_THREADS="${FWS_THREADS:-$(nproc 2>/dev/null || echo 2)}"
FWS_PYTHON="${FWS_PYTHON:-python3}"
state_dir="${FWS_STATE_DIR:-$COFI_DATA_DIR/fws}"
pid_file="$state_dir/server.pid"
requirements="$COFI_ROOT/nodes/faster-whisper-server/requirements.txt"
# The venv is named by its pinned requirements: a change of pins makes a new venv, never a mixed one.
venv="$COFI_CACHE_DIR/venv/fws-$(sha256sum "$requirements" | cut -c1-12)"
marker="$venv/.cofi-installed"

install() {
  [ -f "$marker" ] && return 0
  command -v "$FWS_PYTHON" >/dev/null 2>&1 \
    || die "$FWS_PYTHON is missing: install Python >= 3.11 with venv and pip (Debian: apt-get install python3 python3-venv python3-pip)"
  "$FWS_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "faster-whisper-server's pinned packages need Python >= 3.11, $FWS_PYTHON is $("$FWS_PYTHON" -V 2>&1)"
  say "installing faster-whisper-server into $venv (first run only; about 145 MB of wheels)..."
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$FWS_PYTHON" -m venv "$venv" >&2 \
    || die "cannot create a Python venv: install the venv module (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --progress-bar off -r "$requirements" >&2 \
    || die "pip install -r nodes/faster-whisper-server/requirements.txt failed (see pip's output above)"
  touch "$marker"
  say "faster-whisper-server installed"
}

model_dir() {
  if [ -n "${FWS_MODEL_DIR:-}" ]; then
    echo "$FWS_MODEL_DIR"
  else
    [ -f "$COFI_ROOT/ops/whisper.sh" ] || die "no Whisper model: set FWS_MODEL_DIR to a CTranslate2 model directory"
    bash "$COFI_ROOT/ops/whisper.sh" model-dir
  fi
}

healthy() { "$venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "http://127.0.0.1:$FWS_PORT/health"; }

start() {
  install
  if port_open "$FWS_PORT"; then
    wait_for 10 "faster-whisper-server on :$FWS_PORT (already running)" healthy \
      || die "port $FWS_PORT is taken by something that is not faster-whisper-server"
    return
  fi
  local dir; dir=$(model_dir)
  [ -f "$dir/model.bin" ] || die "$dir holds no model.bin: not a CTranslate2 Whisper model directory"
  mkdir -p "$state_dir"
  # Multi-model config mode: the only way 0.0.3 takes load options (int8 on CPU, threads) and a model name.
  cat >"$state_dir/config.yaml" <<EOF
model_options:
  device: cpu
  compute_type: int8
  cpu_threads: $FWS_THREADS
models:
  - name: "$FWS_MODEL"
    path: "$dir"
EOF
  say "starting faster-whisper-server on :$FWS_PORT (model \"$FWS_MODEL\" from $dir)"
  # setsid: its own process group, so `stop` can end it and everything it spawned.
  HF_HUB_OFFLINE=1 setsid "$venv/bin/faster-whisper-server" --config "$state_dir/config.yaml" \
    --host 127.0.0.1 --port "$FWS_PORT" --log-level info \
    >"$state_dir/server.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_for 60 "faster-whisper-server" healthy \
    || { tail -n 20 "$state_dir/server.log" >&2; die "faster-whisper-server did not come up (log: $state_dir/server.log)"; }
}

stop() { stop_group "$pid_file" "faster-whisper-server"; }

status() {
  if pid_alive "$pid_file" && healthy 2>/dev/null; then
    echo "running on :$FWS_PORT (pid $(cat "$pid_file"), venv $venv)"
  else
    echo "not running (venv $venv$([ -f "$marker" ] || echo ', not installed'))"; return 1
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: ops/fws.sh install|start|stop|status" ;;
esac
