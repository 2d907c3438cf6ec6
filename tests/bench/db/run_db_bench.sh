#!/usr/bin/env bash
# Database writer benchmark: prints rows/s and loop / ACK latency figures, with a pgbench
# insert baseline measured on the same server in the same run. Not run by CI.
#
#   tests/bench/db/run_db_bench.sh [SECONDS]      (default 5 s per phase)
#
# 1. writer: gw_db alone on a GLib loop writing tlib_events rows as fast as the server takes
#    them (bounded queue), loop lag of a 1 ms timer measured meanwhile.
# 2. gatewayd with [database]: closed-loop RequestSendEvent (screen-capture) -> EventACK from
#    4 connections; each request makes 2 rows (audit + screen capture). Rows/s counted in
#    the database once the writer has caught up.
# 3. baseline: pgbench, one connection, prepared single-row INSERTs of the same row shape
#    (autocommit: one transaction per row), and the same with 4 connections.
# PGURL set: that server is used (the benchmark creates and drops its own databases).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
: "${AREC_BUILD_DIR:=$REPO/build}"
SECS="${1:-5}"
BENCH="$AREC_BUILD_DIR/tests/bench/db/bench_db"
GATEWAYD="$AREC_BUILD_DIR/gateway/gatewayd"
for b in "$BENCH" "$GATEWAYD"; do
    [ -x "$b" ] || { echo "run_db_bench: $b not built" >&2; exit 1; }
done

dir="$(mktemp -d -p /tmp)"
chmod 755 "$dir"
gw_pid=""
cleanup() {
    if [ -n "$gw_pid" ]; then kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
    bash -c ". '$REPO/tests/stack.d/10-postgres.sh'; postgres_down '$dir'" || true
    rm -rf "$dir"
}
trap cleanup EXIT

bash -c ". '$REPO/tests/stack.d/10-postgres.sh'; postgres_up '$dir'" >/dev/null
PGURL="$(sed -n 's/^PGURL=//p' "$dir/stack.env")"
PGBIN="$(bash -c ". '$REPO/tests/stack.d/10-postgres.sh'; postgres_bindir")"
base="${PGURL%/*}"
for d in bench_writer bench_gw bench_base; do
    psql -X -q "$PGURL" -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
done

echo "== 1. writer alone (${SECS} s)"
"$BENCH" writer "$base/bench_writer" "$dir/writer.journal" "$SECS" | tee "$dir/writer.out"

echo "== 2. gatewayd: T-Lib load while it writes (${SECS} s)"
cat >"$dir/gw.conf" <<CONF
[gateway]
site = bench
tlib-listen = 127.0.0.1:0
ws-listen = 127.0.0.1:0
[database]
dsn = $base/bench_gw
journal = $dir/gw.journal
[dn 5001-5005]
type = Extension
[application demo]
password = demo
dns = *
CONF
"$GATEWAYD" -c "$dir/gw.conf" --migrate >/dev/null
"$GATEWAYD" -c "$dir/gw.conf" --ports-file "$dir/gw.ports" --log-file "$dir/gw.log" &
gw_pid=$!
for _ in $(seq 200); do [ -s "$dir/gw.ports" ] && break; sleep 0.05; done
port="$(sed -n 's/^TLIB_PORT=//p' "$dir/gw.ports")"
count() { psql -X -qtA "$base/bench_gw" -c "SELECT (SELECT count(*) FROM tlib_events) + (SELECT count(*) FROM screen_capture_events)"; }
c0="$(count)"
t0="$(date +%s.%N)"
"$BENCH" tlib "127.0.0.1:$port" "$SECS" 4 | tee "$dir/tlib.out"
# Rows/s: until the writer has caught up with everything the requests produced.
target="$(sed -n 's/.*tlib: \([0-9]*\) Request.*/\1/p' "$dir/tlib.out")"
for _ in $(seq 600); do
    c1="$(count)"
    [ "$((c1 - c0))" -ge "$((2 * target))" ] && break
    sleep 0.05
done
t1="$(date +%s.%N)"
echo "gatewayd: $((c1 - c0)) rows in $(echo "$t1 - $t0" | bc -l | cut -c1-5) s = $(echo "($c1 - $c0) / ($t1 - $t0)" | bc) rows/s (T-Lib driven)"

echo "== 3. baseline: pgbench single-row INSERTs on the same server"
psql -X -q "$base/bench_base" -c "CREATE TABLE base_events (id bigserial PRIMARY KEY, write_id text UNIQUE, at timestamptz, site text, event text, client text, dn text, connid text, detail text)"
cat >"$dir/insert.sql" <<'SQL'
INSERT INTO base_events (write_id, at, site, event, client, dn, connid, detail) VALUES (md5(random()::text), now(), 'bench', 'EventUserEvent', 'bench', '5001', '00000000000000aa', 'bench row');
SQL
for c in 1 4; do
    tps="$("$PGBIN/pgbench" -n -M prepared -c $c -j $c -T "$SECS" -f "$dir/insert.sql" "$base/bench_base" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')"
    echo "pgbench: $c connection(s): ${tps%.*} rows/s"
    echo "RESULT pgbench_c${c}_rows_per_s=${tps%.*}"
done | tee "$dir/base.out"

w="$(sed -n 's/RESULT writer_rows_per_s=\([0-9]*\).*/\1/p' "$dir/writer.out")"
b1="$(sed -n 's/RESULT pgbench_c1_rows_per_s=\([0-9]*\)/\1/p' "$dir/base.out")"
echo "== summary: writer $w rows/s = $(echo "scale=2; $w / $b1" | bc) x the 1-connection pgbench insert baseline ($b1 rows/s)"
