# Shared shell helpers for the provisioning scripts: paths, ports, logging, waiting.
# Sourced, never run. Every value can be overridden from the environment (see .env.example).

COFI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COFI_DATA_DIR="${COFI_DATA_DIR:-$COFI_ROOT/.data}"
# Binaries we build are kept outside the clone so that a fresh clone on the same machine reuses them.
COFI_CACHE_DIR="${COFI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cofi}"
TEMPORAL_CLI_VERSION="v1.5.1"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
MARIADB_PORT="${MARIADB_PORT:-3307}"
# The production-like Temporal cluster (ops/cluster.sh, docs/cluster.md): the server version it builds, its
# frontend's gRPC port (the other services' ports follow it: +1..+4 and +10..+13), its PostgreSQL's port, and
# its services' log level (info shows shard moves and membership changes).
TEMPORAL_SERVER_VERSION="v1.29.1"
CLUSTER_PORT="${CLUSTER_PORT:-7243}"
CLUSTER_PG_PORT="${CLUSTER_PG_PORT:-5433}"
CLUSTER_LOG_LEVEL="${CLUSTER_LOG_LEVEL:-warn}"
# The worker's V8 heap limit (MiB, per isolate: its main thread and its workflow thread). V8 grows a heap far
# past what it holds when allowed to; 256 bounds the worker near 400 MiB even with a window of 1000 calls.
WORKER_HEAP_MB="${WORKER_HEAP_MB:-256}"
# The CPU Whisper node (ops/whisper.sh): its port, CTranslate2 threads, transcriptions run at once (more wait
# in order), and the model id it announces and accepts (`whisper-1` is accepted as well).
CPU_NODE_PORT="${CPU_NODE_PORT:-9201}"
CPU_NODE_THREADS="${CPU_NODE_THREADS:-$(nproc 2>/dev/null || echo 2)}"
CPU_NODE_CAPACITY="${CPU_NODE_CAPACITY:-1}"
CPU_NODE_MODEL="${CPU_NODE_MODEL:-whisper-base}"
# The CPU LLM node (ops/llm.sh): its port, llama.cpp threads per generation (1: on a shared 2-core machine two
# threads spin-wait on each other and ran 13x slower), generations run at once (others wait), and the model id
# it announces on /v1/models and in every answer.
LLM_NODE_PORT="${LLM_NODE_PORT:-9210}"
LLM_NODE_THREADS="${LLM_NODE_THREADS:-1}"
LLM_NODE_CAPACITY="${LLM_NODE_CAPACITY:-1}"
LLM_NODE_MODEL="${LLM_NODE_MODEL:-gemma-3-270m}"

say() { printf '[cofi] %s\n' "$*" >&2; }
die() { printf '[cofi] error: %s\n' "$*" >&2; exit 1; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.3
  done
  say "$what is up"
}

# pid_alive FILE: the process whose pid FILE holds is running.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_group PID_FILE NAME: ends the process group a `setsid` start left in PID_FILE (TERM, up to 10 s, then
# KILL), says so, and removes the file. Nothing running: nothing to do.
stop_group() {
  local pid_file=$1 name=$2
  if pid_alive "$pid_file"; then
    local pid; pid=$(cat "$pid_file")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    say "$name stopped"
  fi
  rm -f "$pid_file"
}

# port_open PORT: something listens on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ensure_apt COMMAND PACKAGE: installs a Debian package when its command is missing (as root), else says how.
ensure_apt() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkg from Debian's packages..."
    { [ -n "${COFI_APT_UPDATED:-}" ] || apt-get update -qq; } >&2 && export COFI_APT_UPDATED=1 \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2 \
      || die "apt-get install $pkg failed"
  else
    die "$cmd is missing: run 'sudo apt-get install -y $pkg'"
  fi
}
