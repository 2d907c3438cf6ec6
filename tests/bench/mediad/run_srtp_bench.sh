#!/usr/bin/env bash
# SRTP against the plain relay, per crypto kernel: a fresh mediad per kernel, plain then SRTP.
# For each kernel (libsrtp2 with ar_srtp's OpenSSL kernel, libsrtp2's stock NSS kernel, and
# the libre backend when a build of it is given) this starts mediad with
# AREC_SRTP_KERNEL set, runs md_bench's plain recorded calls (the anchor, same mediad,
# same run) and then the same calls with SRTP on both sides (parties RTP/SAVP, recorder
# RTP/SAVP with fresh keys: one unprotect and two protects per received packet), and
# prints mediad's CPU per received packet, the SRTP/plain ratio and the load average.
#   tests/bench/mediad/run_srtp_bench.sh [CALLS] [SECONDS] [ROUNDS]
#   AREC_BUILD_DIR = build tree (default build/); AREC_LIBRE_BUILD_DIR = a tree built with
#   -DAREC_SRTP_BACKEND=libre, to add the libre backend; AREC_BASE_BUILD_DIR = another
#   tree (e.g. the code before a change) run with the OpenSSL kernel right before ours in
#   every round, for an A/B comparison under the same load; AREC_SRTP_KERNELS = the
#   libsrtp2 kernels to run (default "openssl stock"; "openssl" skips the slow stock one).
#   Figures: docs/mediad.md "SRTP against the plain relay".
set -euo pipefail
calls="${1:-100}"
secs="${2:-5}"
rounds="${3:-1}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
build="${AREC_BUILD_DIR:-$root/build}"
tmp="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
wait_file() { # bounded wait for a readiness file
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "run_srtp_bench: timed out waiting for $1" >&2
    return 1
}
ns() { sed -n "s/^$1: cpu=[0-9.]*s  \([0-9]*\) ns.*/\1/p" "$2"; }
cpc() { sed -n "s/^$1: recorded calls per core \([0-9]*\).*/\1/p" "$2"; }
loss() { sed -n "s/^$1: loss bridged=\([0-9.]*\)% replicated=\([0-9.]*\)%.*/\1% \/ \2%/p" "$2"; }

# run NAME BUILD KERNEL: one mediad, the plain anchor, then SRTP; one result line.
run() {
    local name="$1" tree="$2" kernel="$3" out="$tmp/$1"
    rm -rf "$out"
    mkdir -p "$out"
    # A random port range: other mediads (tests, other benchmarks) may share the machine.
    local lo=$((20000 + RANDOM % 8 * 5000))
    AREC_SRTP_KERNEL="$kernel" "$tree/mediad/mediad" --sip 127.0.0.1:0 --rtp-ports "$lo-$((lo + 4999))" \
        --log-level warn --ports-file "$out/ports" >"$out/mediad.log" 2>&1 &
    pid=$!
    wait_file "$out/ports" '^SIP_PORT='
    local port
    port="$(sed -n 's/^SIP_PORT=//p' "$out/ports")"
    local bench="$tree/tests/bench/mediad/md_bench"
    if ! AREC_SRTP_KERNEL="$kernel" "$bench" --mediad "127.0.0.1:$port" --pid "$pid" \
        --calls "$calls" --seconds "$secs" --anchors 0 --label plain >"$out/plain.txt" ||
        ! AREC_SRTP_KERNEL="$kernel" "$bench" --mediad "127.0.0.1:$port" --pid "$pid" \
            --calls "$calls" --seconds "$secs" --anchors 0 --label srtp --srtp 1 \
            --params "srtp=true" >"$out/srtp.txt"; then
        echo "run_srtp_bench: $name: md_bench failed; mediad log tail:" >&2
        tail -n 5 "$out/mediad.log" >&2
        return 1
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    local p s
    p="$(ns plain "$out/plain.txt")"
    s="$(ns srtp "$out/srtp.txt")"
    if [ -z "$p" ] || [ -z "$s" ]; then
        echo "run_srtp_bench: $name: no CPU figure" >&2
        cat "$out/plain.txt" "$out/srtp.txt" >&2
        return 1
    fi
    awk -v n="$name" -v p="$p" -v s="$s" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" \
        -v lp="$(loss plain "$out/plain.txt")" -v ls="$(loss srtp "$out/srtp.txt")" \
        -v cp="$(cpc plain "$out/plain.txt")" -v cs="$(cpc srtp "$out/srtp.txt")" \
        'BEGIN { printf "%-18s plain %6d ns  srtp %6d ns  srtp/plain %.2f  calls/core plain %s, srtp %s  loss plain %s, srtp %s  load %s\n", n, p, s, s / p, cp, cs, lp, ls, l }'
}

echo "mediad SRTP cost: $calls recorded calls x ${secs}s, CPU per received packet (each bridged + replicated)"
for r in $(seq "$rounds"); do
    if [ -n "${AREC_BASE_BUILD_DIR:-}" ]; then
        run "base+openssl" "$AREC_BASE_BUILD_DIR" openssl
    fi
    for k in ${AREC_SRTP_KERNELS:-openssl stock}; do
        run "libsrtp2+$k" "$build" "$k"
    done
    if [ -n "${AREC_LIBRE_BUILD_DIR:-}" ]; then
        run "libre" "$AREC_LIBRE_BUILD_DIR" openssl
    fi
done
