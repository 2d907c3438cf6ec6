# Stack component: a private PostgreSQL cluster (unless PGURL is already set) for gatewayd.
# Sourced by tests/stack (and by tests that need only a database); defines postgres_up DIR,
# postgres_down DIR, postgres_status DIR. The cluster lives in DIR/pg: loopback only, its
# unix socket in DIR/pg, a free port, trust authentication, database "arec".
# DIR/stack.env gains PGURL=postgresql://postgres@127.0.0.1:PORT/arec.

PG_BINDIR="${PG_BINDIR:-}"

postgres_bindir() {
    local d
    if [ -n "$PG_BINDIR" ]; then echo "$PG_BINDIR"; return 0; fi
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && PG_BINDIR="$d"
    done
    [ -n "$PG_BINDIR" ] || { echo "stack: PostgreSQL server binaries (initdb) not found" >&2; return 1; }
    echo "$PG_BINDIR"
}

# Run a server program as the postgres user when we are root (initdb refuses root).
postgres_as() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Used standalone (without tests/stack) these helpers may be missing.
if ! declare -F stack_setenv >/dev/null; then
    stack_setenv() {
        local f="$1/stack.env"
        touch "$f"
        grep -v "^${2}=" "$f" >"$f.tmp" || true
        printf '%s=%q\n' "$2" "$3" >>"$f.tmp"
        mv "$f.tmp" "$f"
    }
fi

# The data directory: DIR/pg, or (when root and postgres cannot reach DIR) a directory
# under /tmp that DIR/pg.datadir names.
postgres_datadir() {
    local dir="$1"
    if [ -f "$dir/pg.datadir" ]; then cat "$dir/pg.datadir"; else echo "$dir/pg"; fi
}

postgres_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

postgres_up() {
    local dir="$1" bin data port try sock log
    if [ -n "${PGURL:-}" ]; then
        echo "stack: using the existing database PGURL=$PGURL"
        stack_setenv "$dir" PGURL "$PGURL"
        echo external >"$dir/pg.mode"
        export STACK_PGURL="$PGURL"
        return 0
    fi
    bin="$(postgres_bindir)" || return 1
    data="$dir/pg"
    mkdir -p "$data"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$data"
        chmod 700 "$data"
        if ! runuser -u postgres -- test -w "$data"; then
            rmdir "$data"
            data="$(mktemp -d -p /tmp)/pg" # reachable by postgres
            mkdir -m 700 "$data"
            chown postgres: "$data" "$(dirname "$data")"
            echo "$data" >"$dir/pg.datadir"
        fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        postgres_as "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$dir/postgres.initdb.log" 2>&1 || {
            echo "stack: initdb failed:" >&2
            tail -n 20 "$dir/postgres.initdb.log" >&2
            return 1
        }
    fi
    # A unix socket path must fit in sun_path (107 bytes); use none when DIR is deeper.
    sock="$data"
    [ ${#sock} -gt 90 ] && sock=""
    # The server log sits next to the data directory (postgres must write it).
    log="$(dirname "$data")/postgres.log"
    : >"$log"
    [ "$(id -u)" = 0 ] && chown postgres: "$log"
    [ "$log" = "$dir/postgres.log" ] || ln -sf "$log" "$dir/postgres.log"
    # PostgreSQL cannot bind port 0: try free-looking ports until one starts.
    for try in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        postgres_port_free "$port" || continue
        {
            echo "# Written by tests/stack.d/10-postgres.sh"
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $port"
            echo "unix_socket_directories = '$sock'"
            echo "fsync = on"
            echo "max_connections = 50"
            echo "shared_buffers = 16MB"
        } >"$data/postgresql.auto.conf"
        [ "$(id -u)" = 0 ] && chown postgres: "$data/postgresql.auto.conf"
        if postgres_as "$bin/pg_ctl" -D "$data" -l "$log" -w -t "${STACK_TIMEOUT:-20}" \
            start >>"$dir/postgres.ctl.log" 2>&1; then
            break
        fi
        port=""
        grep -q 'could not bind\|Address already in use' "$log" || {
            echo "stack: postgres failed to start:" >&2
            tail -n 20 "$log" >&2
            return 1
        }
    done
    [ -n "$port" ] || { echo "stack: no free port for postgres" >&2; return 1; }
    "$bin/pg_isready" -h 127.0.0.1 -p "$port" -t "${STACK_TIMEOUT:-20}" >/dev/null || {
        echo "stack: postgres on port $port is not ready" >&2
        return 1
    }
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'arec'" | grep -q 1; then
        "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc 'CREATE DATABASE arec' ||
            return 1
    fi
    echo local >"$dir/pg.mode"
    echo "$port" >"$dir/pg.port"
    stack_setenv "$dir" PGURL "postgresql://postgres@127.0.0.1:$port/arec"
    # Later components (20-gatewayd.sh) put it in their configuration.
    export STACK_PGURL="postgresql://postgres@127.0.0.1:$port/arec"
    stack_setenv "$dir" PG_DATADIR "$data"
    echo "stack: postgres on 127.0.0.1:$port (data in $data)"
}

postgres_down() {
    local dir="$1" bin data
    [ "$(cat "$dir/pg.mode" 2>/dev/null)" = local ] || return 0
    bin="$(postgres_bindir)" || return 1
    data="$(postgres_datadir "$dir")"
    if [ -f "$data/postmaster.pid" ]; then
        postgres_as "$bin/pg_ctl" -D "$data" -m fast -w -t 20 stop >>"$dir/postgres.ctl.log" 2>&1 ||
            return 1
    fi
    # A cluster made under /tmp for lack of access to DIR is not kept.
    if [ -f "$dir/pg.datadir" ]; then
        rm -rf "$(dirname "$data")"
        rm -f "$dir/pg.datadir" "$dir/postgres.log"
    fi
    rm -f "$dir/pg.mode"
}

postgres_status() {
    local dir="$1" port
    port="$(cat "$dir/pg.port" 2>/dev/null || true)"
    if [ "$(cat "$dir/pg.mode" 2>/dev/null)" = external ]; then
        echo "postgres: external ($PGURL)"
    elif [ -n "$port" ] && "$(postgres_bindir)/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        echo "postgres: running on 127.0.0.1:$port"
    else
        echo "postgres: not running"
        return 1
    fi
}
