#!/usr/bin/env bash
# A production-like Temporal cluster on one host: temporal-server built from the Go module proxy, persistence and
# visibility on a private PostgreSQL, frontend/history/matching/worker as four processes (see docs/cluster.md).
# Usage: ops/cluster.sh install|start|stop|status|address|config|kill SERVICE|start-service SERVICE|reset
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$COFI_DATA_DIR/cluster"
config_dir="$dir/config"
pg_dir="$dir/pg"
pg_data="$pg_dir/data"
pg_pid_file="$dir/postgres.pid"
# A unix socket path may not exceed 107 bytes; fall back to /tmp for deep checkouts (as ops/mariadb.sh does).
pg_sock_dir="$pg_dir/run"
[ ${#pg_sock_dir} -lt 90 ] || pg_sock_dir="/tmp/cofi-pg-$(printf '%s' "$pg_dir" | md5sum | cut -c1-12)"
server_bin="$COFI_CACHE_DIR/bin/temporal-server-$TEMPORAL_SERVER_VERSION"
sql_tool_bin="$COFI_CACHE_DIR/bin/temporal-sql-tool-$TEMPORAL_SERVER_VERSION"
services=(frontend history matching worker)
# Fixed when the cluster's database is created: a different count later is ignored (the stored one wins).
history_shards=4
namespaces=(default cofi-test)
# The same list ops/temporal.sh gives the dev server.
search_attributes=(CofiBatchId=Int CofiCallId=Int CofiProcessId=Int CofiAudioName=Keyword CofiKind=Keyword)

# Ports, all on 127.0.0.1, derived from the frontend's gRPC port.
port_of() {
  case $1 in
    frontend) echo "$CLUSTER_PORT" ;; history) echo $((CLUSTER_PORT + 1)) ;;
    matching) echo $((CLUSTER_PORT + 2)) ;; worker) echo $((CLUSTER_PORT + 3)) ;;
    frontend-http) echo $((CLUSTER_PORT + 4)) ;;
    frontend-membership) echo $((CLUSTER_PORT + 10)) ;; history-membership) echo $((CLUSTER_PORT + 11)) ;;
    matching-membership) echo $((CLUSTER_PORT + 12)) ;; worker-membership) echo $((CLUSTER_PORT + 13)) ;;
  esac
}

valid_service() {
  local s
  for s in "${services[@]}"; do [ "$s" = "${1:-}" ] && return 0; done
  die "unknown service '${1:-}': one of ${services[*]}"
}

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  [ -x /usr/local/go/bin/go ] && { echo /usr/local/go/bin/go; return; }
  die "Go is missing: install Go >= 1.25 to build temporal-server $TEMPORAL_SERVER_VERSION (or put temporal-server-$TEMPORAL_SERVER_VERSION and temporal-sql-tool-$TEMPORAL_SERVER_VERSION in $COFI_CACHE_DIR/bin)"
}

# Builds temporal-server and temporal-sql-tool once; the version is in their names, so a bump rebuilds.
install() {
  [ -x "$server_bin" ] && [ -x "$sql_tool_bin" ] && return
  local go; go=$(find_go)
  local tmp; tmp=$(mktemp -d "$COFI_CACHE_DIR/.build-XXXXXX" 2>/dev/null || { mkdir -p "$COFI_CACHE_DIR" && mktemp -d "$COFI_CACHE_DIR/.build-XXXXXX"; })
  say "building temporal-server and temporal-sql-tool $TEMPORAL_SERVER_VERSION with 'go install' (first run only; takes several minutes)..."
  local started=$SECONDS
  GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -buildvcs=false" "$go" install \
    "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >&2 \
    || { rm -rf "$tmp"; die "building temporal-server failed (see the go output above)"; }
  mkdir -p "$COFI_CACHE_DIR/bin"
  mv "$tmp/server" "$server_bin" && mv "$tmp/sql" "$sql_tool_bin" && rm -rf "$tmp"
  say "built temporal-server $TEMPORAL_SERVER_VERSION in $((SECONDS - started)) s"
}

# PostgreSQL from Debian's packages: its binaries live in /usr/lib/postgresql/<major>/bin, off PATH.
pg_bin=""
find_postgres() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do PATH="$PATH:$d"; done
  if ! command -v initdb >/dev/null 2>&1; then
    ensure_apt initdb postgresql
    # Debian starts a system-wide server on install (port 5432); cofi runs its own instance.
    service postgresql stop >/dev/null 2>&1 || true
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do PATH="$PATH:$d"; done
    command -v initdb >/dev/null 2>&1 || die "initdb is still missing after installing postgresql"
  fi
  pg_bin=$(dirname "$(readlink -f "$(command -v initdb)")")
  [ -x "$pg_bin/postgres" ] || die "PostgreSQL's server is missing next to $pg_bin/initdb: install the Debian package postgresql"
}

# PostgreSQL refuses to run as root: as root, it runs as the 'postgres' user the Debian package creates.
as_pg=()
pg_user_setup() {
  [ "$(id -u)" = 0 ] || return 0
  id postgres >/dev/null 2>&1 || die "running as root, PostgreSQL needs the 'postgres' user: install the Debian package postgresql"
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  mkdir -p "$pg_dir"
  chown postgres: "$pg_dir"
  "${as_pg[@]}" test -w "$pg_dir" \
    || die "user postgres cannot reach $pg_dir (a parent directory is private): set COFI_DATA_DIR to a world-traversable path"
}

psql_q() { "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$CLUSTER_PG_PORT" -U temporal -d postgres -tA "$@"; }
pg_up() { psql_q -c 'select 1' | grep -q 1; }

start_postgres() {
  find_postgres
  if pid_alive "$pg_pid_file" && pg_up; then say "PostgreSQL on :$CLUSTER_PG_PORT (already running)"; return; fi
  port_open "$CLUSTER_PG_PORT" && die "port $CLUSTER_PG_PORT is taken by another program; set CLUSTER_PG_PORT"
  mkdir -p "$pg_dir"
  pg_user_setup
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    say "initialising the cluster's PostgreSQL data directory in $pg_data"
    # trust: only this host's users can connect (listen on 127.0.0.1 and a private socket); superuser 'temporal'.
    "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -U temporal --auth=trust -E UTF8 --locale=C >"$pg_dir/initdb.log" 2>&1 \
      || { tail -n 20 "$pg_dir/initdb.log" >&2; die "initdb failed (log: $pg_dir/initdb.log)"; }
  fi
  mkdir -p "$pg_sock_dir"
  [ ${#as_pg[@]} -eq 0 ] || chown postgres: "$pg_sock_dir"
  say "starting PostgreSQL on 127.0.0.1:$CLUSTER_PG_PORT"
  # Four services with up to 20+10 connections each (see persistence in the config) need more than 100.
  setsid "${as_pg[@]}" "$pg_bin/postgres" -D "$pg_data" -p "$CLUSTER_PG_PORT" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$pg_sock_dir" -c max_connections=200 \
    >>"$pg_dir/postgres.log" 2>&1 </dev/null &
  echo $! >"$pg_pid_file"
  wait_for 60 "PostgreSQL" pg_up || { tail -n 20 "$pg_dir/postgres.log" >&2; die "PostgreSQL did not come up (log: $pg_dir/postgres.log)"; }
}

stop_postgres() {
  # SIGINT is PostgreSQL's fast shutdown (ends sessions, checkpoints); stop_group's TERM would wait for clients.
  if pid_alive "$pg_pid_file"; then
    local pid; pid=$(cat "$pg_pid_file")
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null || say "PostgreSQL stopped"
  fi
  stop_group "$pg_pid_file" "PostgreSQL"
}

sql_tool() {
  "$sql_tool_bin" --plugin postgres12 --ep 127.0.0.1 -p "$CLUSTER_PG_PORT" -u temporal "$@" >>"$dir/schema.log" 2>&1 \
    || { tail -n 20 "$dir/schema.log" >&2; die "temporal-sql-tool $* failed (log: $dir/schema.log)"; }
}

# Creates the two databases and brings their schema to this server version; a second run changes nothing.
setup_schema() {
  local db schema
  for db in temporal temporal_visibility; do
    schema=postgresql/v12/temporal
    [ "$db" = temporal_visibility ] && schema=postgresql/v12/visibility
    if [ -z "$(psql_q -c "select 1 from pg_database where datname = '$db'")" ]; then
      say "creating database $db and its schema"
      sql_tool --db "$db" create
    fi
    [ -n "$(psql_q -d "$db" -c "select 1 from pg_tables where tablename = 'schema_version'")" ] \
      || sql_tool --db "$db" setup-schema -v 0.0
    # The schema is embedded in the tool, so it always matches the server built with it.
    sql_tool --db "$db" update-schema --schema-name "$schema"
  done
}

# Writes the server's static config and its dynamic config; prints nothing.
write_config() {
  mkdir -p "$config_dir"
  local store s
  {
    cat <<EOF
# Generated by ops/cluster.sh: edits are overwritten at the next start.
log:
  stdout: true
  level: $CLUSTER_LOG_LEVEL
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: $history_shards
  datastores:
EOF
    for store in default visibility; do
      local db=temporal conns=20
      [ "$store" = visibility ] && db=temporal_visibility conns=10
      cat <<EOF
    postgres-$store:
      sql:
        pluginName: postgres12_pgx
        databaseName: $db
        connectAddr: 127.0.0.1:$CLUSTER_PG_PORT
        connectProtocol: tcp
        user: temporal
        password: ""
        maxConns: $conns
        maxIdleConns: $conns
        maxConnLifetime: 1h
EOF
    done
    cat <<EOF
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
EOF
    for s in "${services[@]}"; do
      cat <<EOF
  $s:
    rpc:
      grpcPort: $(port_of "$s")
      membershipPort: $(port_of "$s-membership")
      bindOnLocalHost: true
EOF
      [ "$s" = frontend ] && echo "      httpPort: $(port_of frontend-http)"
    done
    cat <<EOF
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:$CLUSTER_PORT
      httpAddress: 127.0.0.1:$(port_of frontend-http)
dcRedirectionPolicy:
  policy: noop
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
dynamicConfigClient:
  filepath: $config_dir/dynamicconfig.yaml
  pollInterval: 10s
EOF
  } >"$config_dir/development.yaml"
  cat >"$config_dir/dynamicconfig.yaml" <<'EOF'
# Generated by ops/cluster.sh. Read every 10 s by each service: a key added here takes effect without a restart.
# Empty on purpose: the cluster runs on Temporal's production defaults, which is what it is for. The dev server's
# system.forceSearchAttributesCacheRefreshOnRead is not needed: on SQL visibility a search attribute is an alias
# stored with the namespace, usable as soon as `ops/cluster.sh start` has registered it (checked by starting a
# workflow with CofiBatchId right after a cold start and finding it by a visibility query).
{}
EOF
}

service_pid_file() { echo "$dir/$1.pid"; }
# The worker service serves no gRPC (it is a client of the frontend); its membership port says it joined.
service_up() {
  if [ "$1" = worker ]; then port_open "$(port_of worker-membership)"; else port_open "$(port_of "$1")"; fi
}

start_service() {
  local s=$1 pid_file; pid_file=$(service_pid_file "$1")
  if pid_alive "$pid_file"; then return; fi
  service_up "$s" && die "temporal $s's port is taken by another program; set CLUSTER_PORT"
  # setsid: its own process group, so `stop` and `kill` end it and nothing else.
  setsid "$server_bin" --root / --config "$config_dir" --env development --allow-no-auth start --service "$s" \
    >>"$dir/$s.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
}

# Up when its port answers; a process that exits (bad config, no database) fails at once with its log.
wait_service() {
  local s=$1 deadline=$((SECONDS + 90)) pid_file; pid_file=$(service_pid_file "$1")
  until service_up "$s"; do
    if ! pid_alive "$pid_file" || [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 5 "$dir/$s.log" | cut -c1-600 >&2
      die "temporal $s did not come up (log: $dir/$s.log)"
    fi
    sleep 0.3
  done
  say "temporal $s is up"
}

cli() { "$temporal_cli" "$@" --address "127.0.0.1:$CLUSTER_PORT"; }
healthy() { cli operator cluster health 2>/dev/null | grep -q SERVING; }
# History answers for its shards: describing an absent workflow reaches the shard its id hashes to and says
# "not found" rather than timing out while history is down or the shard is still moving. 24 ids miss one of the
# 4 shards with a chance of about 1 in 250 per new cluster (the hash includes the namespace's random id).
shards_serving() {
  local i
  for i in $(seq 1 16); do
    # (the describe fails either way: its message says which)
    grep -q 'not found' <<<"$(cli workflow describe --namespace "${namespaces[1]}" \
      --workflow-id "cofi-cluster-probe-$i" --command-timeout 3s 2>&1)" || return 1
  done
}

# Namespaces and search attributes; both calls are skipped when what they would add is there.
register() {
  local ns sa listed
  for ns in "${namespaces[@]}"; do
    cli operator namespace describe --namespace "$ns" >/dev/null 2>&1 \
      || cli operator namespace create --namespace "$ns" --retention 72h >/dev/null \
      || die "creating namespace $ns failed"
    wait_for 30 "namespace $ns" cli operator namespace describe --namespace "$ns" \
      || die "namespace $ns is not visible after creating it"
    listed=$(cli operator search-attribute list --namespace "$ns" 2>/dev/null || true)
    local names=() types=()
    for sa in "${search_attributes[@]}"; do
      grep -qw "${sa%%=*}" <<<"$listed" || { names+=(--name "${sa%%=*}"); types+=(--type "${sa#*=}"); }
    done
    [ ${#names[@]} -eq 0 ] && continue
    # The frontend learns of a new namespace from its registry a few seconds late: retry until it accepts.
    local ok=""
    for _ in $(seq 1 30); do
      cli operator search-attribute create --namespace "$ns" "${names[@]}" "${types[@]}" >/dev/null 2>&1 && { ok=1; break; }
      sleep 1
    done
    [ -n "$ok" ] || die "registering search attributes on $ns failed"
    say "search attributes registered on $ns"
  done
}

start() {
  install
  temporal_cli=$(bash "$COFI_ROOT/ops/temporal.sh" path)
  mkdir -p "$dir"
  start_postgres
  setup_schema
  write_config
  local s
  # The first service to start on a new database writes the cluster's metadata; two at once race for it and
  # the loser exits, so a new cluster starts history alone first.
  if [ -z "$(psql_q -d temporal -c 'select 1 from cluster_metadata_info limit 1')" ]; then
    start_service history; wait_service history
  fi
  for s in "${services[@]}"; do start_service "$s"; done
  for s in "${services[@]}"; do wait_service "$s"; done
  wait_for 90 "Temporal cluster on 127.0.0.1:$CLUSTER_PORT" healthy \
    || { tail -n 20 "$dir/frontend.log" >&2; die "the cluster's frontend is not serving (log: $dir/frontend.log)"; }
  register
  wait_for 60 "history (all $history_shards shards)" shards_serving || die "history does not serve its shards (log: $dir/history.log)"
}

stop() {
  local s
  for s in frontend worker matching history; do stop_group "$(service_pid_file "$s")" "temporal $s"; done
  stop_postgres
}

status() {
  local s pid_file state
  for s in "${services[@]}"; do
    pid_file=$(service_pid_file "$s"); state=down
    local port; port=$(port_of "$s"); [ "$s" = worker ] && port=$(port_of worker-membership)
    pid_alive "$pid_file" && state="up (pid $(cat "$pid_file"), :$port)"
    printf '%-10s %s\n' "$s" "$state"
  done
  state=down
  pid_alive "$pg_pid_file" && state="up (pid $(cat "$pg_pid_file"), :$CLUSTER_PG_PORT)"
  printf '%-10s %s\n' postgres "$state"
}

kill_service() {
  valid_service "${1:-}"
  local pid_file; pid_file=$(service_pid_file "$1")
  pid_alive "$pid_file" || { say "temporal $1 is not running"; return; }
  kill -KILL -- "-$(cat "$pid_file")" 2>/dev/null || kill -KILL "$(cat "$pid_file")"
  # Gone means its port is free again: start-service right after must not find it taken.
  for _ in $(seq 1 50); do pid_alive "$pid_file" || service_up "$1" || break; sleep 0.1; done
  rm -f "$pid_file"
  say "temporal $1 killed"
}

restart_service() {
  valid_service "${1:-}"
  [ -x "$server_bin" ] || die "temporal-server is not built: run ops/cluster.sh start first"
  pid_alive "$pg_pid_file" || die "the cluster's PostgreSQL is not running: run ops/cluster.sh start"
  start_service "$1"
  wait_service "$1"
  temporal_cli=$(bash "$COFI_ROOT/ops/temporal.sh" path)
  wait_for 90 "Temporal cluster on 127.0.0.1:$CLUSTER_PORT" healthy || die "the cluster's frontend is not serving (log: $dir/frontend.log)"
  wait_for 60 "history (all $history_shards shards)" shards_serving || die "history does not serve its shards (log: $dir/history.log)"
}

reset() {
  stop
  rm -rf "$dir"
  say "cluster data removed ($dir)"
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  address) echo "127.0.0.1:$CLUSTER_PORT" ;;
  config) write_config; echo "$config_dir" ;;
  kill) kill_service "${2:-}" ;;
  start-service) restart_service "${2:-}" ;;
  reset) reset ;;
  *) die "usage: ops/cluster.sh install|start|stop|status|address|config|kill SERVICE|start-service SERVICE|reset" ;;
esac
