#!/usr/bin/env bash
# Starts a private MariaDB instance with its data under .data/mysql, on its own port and socket.
# Usage: ops/mariadb.sh start|stop. Not used when DATABASE_URL is set. Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$COFI_DATA_DIR/mysql"
data="$dir/data"
pid_file="$dir/mariadbd.pid"
# A unix socket path may not exceed 107 bytes; fall back to /tmp for deep checkouts.
sock="$dir/mariadbd.sock"
[ ${#sock} -lt 100 ] || sock="/tmp/cofi-mariadb-$(printf '%s' "$dir" | md5sum | cut -c1-12).sock"

ensure_installed() {
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing mariadb-server from Debian's packages..."
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2 \
      || die "apt-get install mariadb-server failed"
    # Debian starts a system-wide server on install; cofi runs its own instance.
    service mariadb stop >/dev/null 2>&1 || true
  else
    die "MariaDB is missing: run 'sudo apt-get install -y mariadb-server' (or set DATABASE_URL)"
  fi
}

client() { mariadb --no-defaults --socket="$sock" -uroot "$@"; }

start() {
  ensure_installed
  PATH="$PATH:/usr/sbin"
  if pid_alive "$pid_file" && client -e 'select 1' >/dev/null 2>&1; then
    say "MariaDB on :$MARIADB_PORT (already running)"; return
  fi
  if port_open "$MARIADB_PORT"; then
    # Another checkout's instance (e.g. `npm start` in a second clone) serves cofi as well: reuse it.
    mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$MARIADB_PORT" -ucofi -pcofi -e 'select 1' >/dev/null 2>&1 \
      && { say "MariaDB on :$MARIADB_PORT (already running, started from elsewhere)"; return; }
    die "port $MARIADB_PORT is taken by another program; set MARIADB_PORT"
  fi
  mkdir -p "$dir"
  if [ ! -d "$data/mysql" ]; then
    say "initialising a private MariaDB data directory in $data"
    mariadb-install-db --no-defaults --datadir="$data" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
      || { tail -n 20 "$dir/install.log" >&2; die "mariadb-install-db failed"; }
  fi
  say "starting MariaDB on 127.0.0.1:$MARIADB_PORT"
  setsid mariadbd --no-defaults --datadir="$data" --user="$(id -un)" \
    --bind-address=127.0.0.1 --port="$MARIADB_PORT" --socket="$sock" --pid-file="$pid_file" \
    --log-error="$dir/error.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
    </dev/null >/dev/null 2>&1 &
  wait_for 60 "MariaDB" client -e 'select 1' || { tail -n 20 "$dir/error.log" >&2; die "MariaDB did not come up (log: $dir/error.log)"; }
  # The app connects over TCP as 'cofi'; the databases are created by the migration runner.
  client -e "CREATE USER IF NOT EXISTS 'cofi'@'127.0.0.1' IDENTIFIED BY 'cofi';
             GRANT ALL PRIVILEGES ON *.* TO 'cofi'@'127.0.0.1'; FLUSH PRIVILEGES;"
}

stop() {
  if pid_alive "$pid_file"; then
    local pid; pid=$(cat "$pid_file")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    say "MariaDB stopped"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: ops/mariadb.sh start|stop" ;;
esac
