#!/usr/bin/env bash
# Runs the T-Lib fan-out benchmark against a fresh stack and prints the figures.
#
#   tests/bench/gateway/run_fanout.sh [--smoke] [bench_fanout options...]
#
# Default: 1,000 TCP clients on 100 DNs (10 per DN), 5 s per phase: throughput with 2
# senders keeping 64 requests in flight each, then latency with 1 sender and 4 in
# flight. --smoke: 20 clients on 2 DNs for 1 s (CTest runs this so the
# benchmark keeps building and working). Extra options go to bench_fanout.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
: "${AREC_BUILD_DIR:=$REPO/build}"
export AREC_BUILD_DIR
BENCH="$AREC_BUILD_DIR/tests/bench/gateway/bench_fanout"
[ -x "$BENCH" ] || { echo "run_fanout: $BENCH not built" >&2; exit 1; }

smoke=0
if [ "${1:-}" = "--smoke" ]; then
    smoke=1
    shift
fi

# 1,000 clients need more descriptors than the usual 1024, in gatewayd (started below,
# inherits this limit) and in bench_fanout.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

dir="$(mktemp -d)"
cleanup() {
    local rc=$?
    "$REPO/tests/stack" down "$dir" >/dev/null || rc=1
    if [ $rc -eq 0 ] && [ -z "${AREC_KEEP_STACK:-}" ]; then
        rm -rf "$dir"
    else
        echo "run_fanout: stack logs kept in $dir" >&2
    fi
    exit $rc
}
trap cleanup EXIT

if [ $smoke = 1 ]; then
    "$REPO/tests/stack" up "$dir" >"$dir/stack-up.log"
    args=(--clients 20 --dns 2 --dn-base 5001 --senders 1 --window 8 --duration 1)
else
    # 100 DNs and a client queue large enough that no fast client is dropped.
    cat >"$dir/bench-gatewayd.conf" <<CONF
# Written by run_fanout.sh: the benchmark's gatewayd configuration.
[gateway]
site = bench
tlib-listen = 127.0.0.1:0
ws-listen = 127.0.0.1:0
frame-timeout = 5
client-queue-limit = 16777216
web-root = $REPO/web

[dn 6000-6099]
type = Extension

[application demo]
password = demo
dns = *
CONF
    "$REPO/tests/stack" up "$dir" --gateway-config "$dir/bench-gatewayd.conf" >"$dir/stack-up.log"
    args=(--clients 1000 --dns 100 --dn-base 6000 --senders 2 --window 64 --duration 5)
fi
# shellcheck source=/dev/null
. "$dir/stack.env"
echo "run_fanout: gatewayd $GATEWAY_PID at $TLIB_ADDR ($(nproc) CPUs)"
if [ $smoke = 1 ]; then
    "$BENCH" -a "$TLIB_ADDR" -u "$TLIB_APP" -p "$TLIB_PASSWORD" "${args[@]}" "$@"
    exit 0
fi
echo "== throughput: 2 senders x 64 requests in flight"
"$BENCH" -a "$TLIB_ADDR" -u "$TLIB_APP" -p "$TLIB_PASSWORD" "${args[@]}" "$@"
echo "== latency at moderate load: 1 sender x 4 requests in flight"
"$BENCH" -a "$TLIB_ADDR" -u "$TLIB_APP" -p "$TLIB_PASSWORD" "${args[@]}" --senders 1 --window 4 "$@"
