#!/usr/bin/env bash
# Start or stop two replica pairs for the read-replica tests, on their own
# ports and data directories (never the machine's servers on 5432/3306):
#   PostgreSQL primary 127.0.0.1:55432 + hot standby :55433 (streaming)
#   MariaDB    primary 127.0.0.1:33306 + replica     :33307 (GTID)
# With ORM_PAIR=failover, a second set for the failover tests, whose
# replication is synchronous (PostgreSQL synchronous_standby_names, MariaDB
# semi-sync) so that no acknowledged write can be lost when the primary dies:
#   PostgreSQL 127.0.0.1:55442 -> :55443, MariaDB 127.0.0.1:33316 -> :33317
# Usage: scripts/replicas.sh start|stop|status
#        scripts/replicas.sh stop-replica|start-replica pg|mysql   (the replica tests)
#        ORM_PAIR=failover scripts/replicas.sh fresh|kill-primary|promote|destroy pg|mysql
set -euo pipefail
PG_BIN="$(pg_config --bindir)"
case "${ORM_PAIR:-replicas}" in
    failover)
        ROOT="${TMPDIR:-/tmp}/orm-failover"
        PG_PRIMARY=55442
        PG_STANDBY=55443
        MY_PRIMARY=33316
        MY_REPLICA=33317
        SYNC=1
        ;;
    *)
        ROOT="${ORM_REPLICAS_DIR:-${TMPDIR:-/tmp}/orm-replicas}"
        PG_PRIMARY=55432
        PG_STANDBY=55433
        MY_PRIMARY=33306
        MY_REPLICA=33307
        SYNC=0
        ;;
esac
# A copy of the server binary: tools that find "the" mariadbd by its
# executable or name (start-stop-daemon --exec, pgrep -x mariadbd, as the
# machine's own server is managed) must not take these for it.
MYSQLD="$ROOT/mariadbd-orm"

# PostgreSQL refuses to run as root: as root, run it as `postgres`;
# otherwise as the current user.
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    mkdir -p "$ROOT"
    chmod 777 "$ROOT"
    local p="$ROOT/pg-primary" s="$ROOT/pg-standby"
    if ! [ -f "$p/PG_VERSION" ]; then
        as_postgres "$PG_BIN/initdb" -D "$p" -U postgres -A trust >/dev/null
        cat >> "$p/postgresql.conf" <<CONF
port = $PG_PRIMARY
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
CONF
        if [ "$SYNC" = 1 ]; then
            echo "synchronous_standby_names = '*'" >> "$p/postgresql.conf"
        fi
        echo "host replication all 127.0.0.1/32 trust" >> "$p/pg_hba.conf"
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$PG_PRIMARY"; then
        as_postgres "$PG_BIN/pg_ctl" -D "$p" -l "$ROOT/pg-primary.log" -w start >/dev/null
    fi
    if ! [ -f "$s/PG_VERSION" ]; then
        as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres -D "$s" -R -X stream >/dev/null
        sed -i "s/^port = .*/port = $PG_STANDBY/" "$s/postgresql.conf"
        # Promoted, the standby must not wait for a standby of its own.
        sed -i "/^synchronous_standby_names/d" "$s/postgresql.conf"
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$PG_STANDBY"; then
        as_postgres "$PG_BIN/pg_ctl" -D "$s" -l "$ROOT/pg-standby.log" -w start >/dev/null
    fi
}

pg_stop() {
    for d in pg-standby pg-primary; do
        if [ -f "$ROOT/$d/postmaster.pid" ]; then
            as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/$d" -m fast -w stop >/dev/null || true
        fi
    done
}

my_server() { # name port server_id extra...
    local name=$1 port=$2 id=$3
    shift 3
    local dir="$ROOT/$name"
    if mariadb -uroot -h127.0.0.1 -P"$port" -e 'select 1' >/dev/null 2>&1; then
        return 0
    fi
    if ! [ -x "$MYSQLD" ]; then
        mkdir -p "$ROOT"
        cp "$(command -v mariadbd || echo /usr/sbin/mariadbd)" "$MYSQLD"
    fi
    if ! [ -d "$dir/mysql" ]; then
        mkdir -p "$dir"
        mariadb-install-db --no-defaults --datadir="$dir" --user="$(id -un)" --auth-root-authentication-method=normal >/dev/null
    fi
    "$MYSQLD" --no-defaults --datadir="$dir" --port="$port" --bind-address=127.0.0.1 \
        --socket="$ROOT/$name.sock" --pid-file="$ROOT/$name.pid" --user="$(id -un)" \
        --server-id="$id" --log-error="$ROOT/$name.err" --skip-name-resolve \
        --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 "$@" \
        </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 60); do
        if mariadb -uroot -h127.0.0.1 -P"$port" -e 'select 1' >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "MariaDB $name did not start; see $ROOT/$name.err" >&2
    return 1
}

my_start() {
    mkdir -p "$ROOT"
    local slave=()
    if [ "$SYNC" = 1 ]; then
        slave=(--rpl-semi-sync-slave-enabled=1)
    fi
    my_server my-primary "$MY_PRIMARY" 1 --log-bin="$ROOT/my-primary-bin" --binlog-format=ROW
    my_server my-replica "$MY_REPLICA" 2 --read-only --relay-log="$ROOT/my-replica-relay" "${slave[@]}"
    mariadb -uroot -h127.0.0.1 -P"$MY_PRIMARY" -e "CREATE USER IF NOT EXISTS 'repl'@'%'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';"
    local running
    running=$(mariadb -uroot -h127.0.0.1 -P"$MY_REPLICA" -N -e "SHOW SLAVE STATUS" | wc -l)
    if [ "$running" = 0 ]; then
        mariadb -uroot -h127.0.0.1 -P"$MY_REPLICA" -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MY_PRIMARY, MASTER_USER='repl', MASTER_USE_GTID=slave_pos; START SLAVE;"
    else
        mariadb -uroot -h127.0.0.1 -P"$MY_REPLICA" -e "START SLAVE;" || true
    fi
    if [ "$SYNC" = 1 ]; then
        # Semi-sync once the replica is connected (before, a commit would
        # wait out the timeout and fall back to asynchronous).
        mariadb -uroot -h127.0.0.1 -P"$MY_PRIMARY" -e "SET GLOBAL rpl_semi_sync_master_enabled = 1, rpl_semi_sync_master_timeout = 60000"
        for _ in $(seq 1 100); do
            if mariadb -uroot -h127.0.0.1 -P"$MY_PRIMARY" -N -e "SHOW STATUS LIKE 'Rpl_semi_sync_master_status'" | grep -q "ON"; then break; fi
            sleep 0.1
        done
    fi
}

my_stop() {
    for name in my-replica my-primary; do
        if [ -f "$ROOT/$name.pid" ]; then
            kill "$(cat "$ROOT/$name.pid")" 2>/dev/null || true
            for _ in $(seq 1 40); do
                [ -f "$ROOT/$name.pid" ] || break
                sleep 0.25
            done
        fi
    done
}

pg_destroy() {
    pg_stop
    rm -rf "$ROOT/pg-primary" "$ROOT/pg-standby"
}

my_destroy() {
    my_stop
    rm -rf "$ROOT"/my-*
}

# The primary dies at once (no shutdown checkpoint, no goodbye to clients).
kill_primary() {
    case "$1" in
        pg) as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg-primary" -m immediate -w stop >/dev/null ;;
        mysql)
            kill -9 "$(cat "$ROOT/my-primary.pid")" 2>/dev/null || true
            rm -f "$ROOT/my-primary.pid"
            ;;
    esac
}

# The standby takes writes: PostgreSQL's promotion; MariaDB's replica applies
# what it received, stops replicating and leaves read-only mode.
promote() {
    case "$1" in
        pg) as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg-standby" -w promote >/dev/null ;;
        mysql)
            local q=(mariadb -uroot -h127.0.0.1 -P"$MY_REPLICA" -N -e)
            for _ in $(seq 1 100); do
                if "${q[@]}" "SHOW SLAVE STATUS\G" | grep -q "Slave has read all relay log"; then break; fi
                sleep 0.1
            done
            "${q[@]}" "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0;"
            ;;
    esac
}

case "${1:-}" in
    fresh)
        case "${2:-}" in
            pg) pg_destroy; pg_start ;;
            mysql) my_destroy; my_start ;;
        esac
        ;;
    kill-primary) kill_primary "${2:-}" ;;
    promote) promote "${2:-}" ;;
    destroy)
        case "${2:-}" in
            pg) pg_destroy ;;
            mysql) my_destroy ;;
        esac
        ;;
    stop-replica)
        case "${2:-}" in
            pg) as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg-standby" -m immediate -w stop >/dev/null ;;
            mysql)
                kill -9 "$(cat "$ROOT/my-replica.pid")" 2>/dev/null || true
                rm -f "$ROOT/my-replica.pid"
                ;;
        esac
        ;;
    start-replica)
        case "${2:-}" in
            pg) as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg-standby" -l "$ROOT/pg-standby.log" -w start >/dev/null ;;
            mysql)
                my_server my-replica "$MY_REPLICA" 2 --read-only --relay-log="$ROOT/my-replica-relay" >/dev/null 2>&1
                mariadb -uroot -h127.0.0.1 -P"$MY_REPLICA" -e "START SLAVE;" || true
                ;;
        esac
        ;;
    start)
        pg_start
        my_start
        echo "replicas: postgres 127.0.0.1:$PG_PRIMARY -> :$PG_STANDBY, mariadb 127.0.0.1:$MY_PRIMARY -> :$MY_REPLICA ($ROOT)"
        ;;
    stop)
        my_stop
        pg_stop
        ;;
    status)
        pg_isready -h 127.0.0.1 -p "$PG_PRIMARY" && pg_isready -h 127.0.0.1 -p "$PG_STANDBY"
        mariadb -uroot -h127.0.0.1 -P"$MY_REPLICA" -e "SHOW SLAVE STATUS\G" | grep -E "Running|Gtid_IO_Pos|Seconds_Behind"
        ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
