#!/usr/bin/env bash
# `npm start`: provisions Temporal and MariaDB (or uses TEMPORAL_ADDRESS / DATABASE_URL), migrates, starts the
# inference the fleet needs (default: cofi's CPU Whisper node for real speech, the LLM stages simulated; the
# simulator alone when the CPU node cannot be installed), then the worker and the API until Ctrl-C, and stops
# everything it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COFI_ROOT"
[ -f .env ] && { set -a; source .env; set +a; }

bash ops/node.sh
ensure_apt ffmpeg ffmpeg
started=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping..."
  # Each process runs in a group of its own (setsid): the group goes, with everything it started.
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && { kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; }; done
  wait 2>/dev/null || true
  for svc in "${started[@]:-}"; do [ -n "$svc" ] && bash "ops/$svc.sh" stop || true; done
}
pids=()
trap cleanup INT TERM EXIT

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  port_open "$TEMPORAL_PORT" || started+=(temporal)
  bash ops/temporal.sh start
  export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" TEMPORAL_UI_URL="http://127.0.0.1:$TEMPORAL_UI_PORT"
fi
if [ -z "${DATABASE_URL:-}" ]; then
  port_open "$MARIADB_PORT" || started+=(mariadb)
  bash ops/mariadb.sh start
  export DATABASE_URL="mysql://cofi:cofi@127.0.0.1:$MARIADB_PORT/cofi"
fi
export AUDIO_DIR="${AUDIO_DIR:-$COFI_DATA_DIR/audio}"

# --- Inference: which fleet (COFI_FLEET: simulated, cpu, cpu+llm, or a fleet of your own) -----------------
start_node() {
  local svc=$1 port=$2
  port_open "$port" || started+=("$svc")
  bash "ops/$svc.sh" start
}
if [ -z "${COFI_FLEET:-}" ]; then
  # The embedded default: real speech where this machine can run it.
  if start_node whisper "$CPU_NODE_PORT"; then
    export COFI_FLEET=cpu
  else
    say "WARNING: the CPU Whisper node could not be installed or started (the line above says why): falling back to the SIMULATOR, whose transcripts are made up (COFI_FLEET=simulated)"
    export COFI_FLEET=simulated
  fi
elif [ "$COFI_FLEET" = cpu ] || [ "$COFI_FLEET" = "cpu+llm" ]; then
  start_node whisper "$CPU_NODE_PORT"
fi
if [ "$COFI_FLEET" = "cpu+llm" ]; then
  start_node llm "$LLM_NODE_PORT"
  export COFI_SIMULATOR=0  # nothing left to simulate
fi
case "$COFI_FLEET" in
  cpu) say "fleet: cpu — LID and STT on the CPU Whisper node (real speech); LLM1 and LLM2 SIMULATED (answers are made up; see README: Inference)" ;;
  cpu+llm) say "fleet: cpu+llm — LID and STT on the CPU Whisper node, LLM1 and LLM2 on the CPU LLM node (a small model: demo-grade answers)" ;;
  simulated) say "fleet: simulated — every GPU node and the LLM are the SIMULATOR (transcripts of unknown audio are made up)" ;;
  *) say "fleet: your COFI_FLEET" ;;
esac
export COFI_FLEET
# ------------------------------------------------------------------------------------------------------------

npx tsx drizzle/cli.ts
if [ "${COFI_SIMULATOR:-1}" != "0" ] && [ "${COFI_SIMULATOR:-1}" != "false" ]; then
  setsid node --import tsx simulator/main.ts & pids+=($!)
fi
setsid node --max-old-space-size="$WORKER_HEAP_MB" --import tsx worker/main.ts & pids+=($!)
setsid node --import tsx api/main.ts & pids+=($!)

say "API:             http://${API_HOST:-127.0.0.1}:${API_PORT:-5064}  (health: /health)"
say "Temporal Web UI: ${TEMPORAL_UI_URL:-http://127.0.0.1:$TEMPORAL_UI_PORT}"
say "Ctrl-C stops everything started here."
# Any one process exiting brings the rest down: a half-running stack helps nobody.
wait -n "${pids[@]}" || true
