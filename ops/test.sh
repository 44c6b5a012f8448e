#!/usr/bin/env bash
# `npm test`: typecheck and lint, then unit and integration tests against a real Temporal dev server and a
# real MariaDB (started here when not running, stopped again afterwards). Test data goes to the database
# `cofi_test` and the Temporal namespace `cofi-test`, never to the ones `npm start` uses.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COFI_ROOT"

bash ops/node.sh
# ffmpeg: the daily batch's audio clean-up and LID's leading-seconds clip.
ensure_apt ffmpeg ffmpeg
# promtool: test/api/monitoring.test.ts checks the alert rules and runs their unit tests with it.
ensure_apt promtool prometheus
say "typecheck (tsc --noEmit) and lint (biome)"
npx tsc --noEmit -p .
npx biome check --error-on-warnings . >/dev/null || { npx biome check . ; die "biome found problems (npm run format fixes most)"; }

# --- Browser tests (test/browser/): headless Chromium from Debian ---------------------------------
# Installed here when missing and we run as root; otherwise those tests skip with a loud message.
# Never a downloaded browser (`npx playwright install`): playwright-core drives /usr/bin/chromium.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing chromium for the browser tests (apt-get)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1; }; } \
      || say "WARNING: could not install chromium: the browser tests will be SKIPPED"
  else
    say "WARNING: /usr/bin/chromium is missing (install the Debian package chromium): the browser tests will be SKIPPED"
  fi
fi
# ---------------------------------------------------------------------------------------------------

started=()
cleanup() {
  for svc in "${started[@]:-}"; do [ -n "$svc" ] && bash "ops/$svc.sh" stop || true; done
}
trap cleanup EXIT

if [ -z "${COFI_TEST_TEMPORAL_ADDRESS:-}" ]; then
  port_open "$TEMPORAL_PORT" || started+=(temporal)
  bash ops/temporal.sh start
  export COFI_TEST_TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
fi
if [ -z "${COFI_TEST_DATABASE_URL:-}" ]; then
  port_open "$MARIADB_PORT" || started+=(mariadb)
  bash ops/mariadb.sh start
  export COFI_TEST_DATABASE_URL="mysql://cofi:cofi@127.0.0.1:$MARIADB_PORT/cofi_test"
fi
# The CPU Whisper node (nodes/whisper/): real Whisper base on this machine's CPU, for test/inference/cpuNode.test.ts
# and the real-speech audit (test/integration/realSpeech.test.ts). faster-whisper-server 0.0.3, a third-party
# server on the same model, is installed here so that a failed install shows as one line before the tests;
# test/inference/thirdParty.test.ts starts its own on a free port.
if [ -z "${COFI_TEST_CPU_NODE_URL:-}" ]; then
  port_open "$CPU_NODE_PORT" || started+=(whisper)
  bash ops/whisper.sh start
  export COFI_TEST_CPU_NODE_URL="http://127.0.0.1:$CPU_NODE_PORT"
fi
bash ops/fws.sh install
# The CPU LLM node (nodes/llm/: node-llama-cpp with Gemma 3 270M), the real server behind fleet cpu+llm, for
# test/inference/llmNode.test.ts.
if [ -z "${COFI_TEST_LLM_NODE_URL:-}" ]; then
  port_open "$LLM_NODE_PORT" || started+=(llm)
  bash ops/llm.sh start
  export COFI_TEST_LLM_NODE_URL="http://127.0.0.1:$LLM_NODE_PORT"
fi

# The Temporal cluster (ops/cluster.sh: the server from the Go module proxy, on PostgreSQL) for the small topology
# run (test/topology/small.test.ts), which starts and stops its own on ports of its own. Built here, once per
# machine, so that a failed build shows as one line before the tests.
bash ops/cluster.sh install

# Every run starts from an empty test database (migrations and reference data are loaded by the tests),
# and with nothing left running in the test namespace.
npx tsx test/support/resetDatabase.ts
npx tsx test/support/resetTemporal.ts

mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
say "running ${#files[@]} test files"
# One file at a time: integration files share the Temporal namespace and the test database.
node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}"
