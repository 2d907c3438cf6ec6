#!/usr/bin/env bash
# mediad benchmark driver: starts mediad (and rtpengine), runs md_bench, prints the figures.
# Runs md_bench: N recorded calls for S seconds through a fresh mediad, then the same
# streams through a bare recvmmsg/sendmmsg relay and through rtpengine (userspace,
# when /usr/bin/rtpengine exists); prints loss, latency, CPU per packet and ratios.
#   tests/bench/mediad/run_bench.sh [CALLS] [SECONDS]   (AREC_BUILD_DIR = build tree)
set -euo pipefail
calls="${1:-200}"
secs="${2:-5}"
build="${AREC_BUILD_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/build}"
tmp="$(mktemp -d)"
pid=""
ngpid=""
cleanup() {
    for p in $pid $ngpid; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
wait_file() { # bounded wait for a readiness file
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "run_bench: timed out waiting for $1" >&2
    return 1
}
"$build/mediad/mediad" --sip 127.0.0.1:0 --rtp-ports 20000-29999 --log-level warn \
    --ports-file "$tmp/ports" >"$tmp/mediad.log" 2>&1 &
pid=$!
wait_file "$tmp/ports" '^SIP_PORT='
port="$(sed -n 's/^SIP_PORT=//p' "$tmp/ports")"
ng_args=()
if [ -x /usr/bin/rtpengine ]; then
    ngport=$((40000 + RANDOM % 10000))
    /usr/bin/rtpengine --table=-1 --no-fallback --interface=127.0.0.1 \
        --listen-ng="127.0.0.1:$ngport" --foreground --log-stderr --log-level=6 \
        --port-min=50000 --port-max=59999 --num-threads=1 >"$tmp/rtpengine.log" 2>&1 &
    ngpid=$!
    wait_file "$tmp/rtpengine.log" 'Startup complete'
    ng_args=(--rtpengine "127.0.0.1:$ngport" --rtpengine-pid "$ngpid")
fi
bench="$build/tests/bench/mediad/md_bench"
[ -x "$bench" ] || bench="$build/bench_mediad/md_bench"
"$bench" --mediad "127.0.0.1:$port" --pid "$pid" --calls "$calls" --seconds "$secs" "${ng_args[@]}"
