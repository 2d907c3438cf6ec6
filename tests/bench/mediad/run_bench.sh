#!/usr/bin/env bash
# mediad benchmark driver: starts mediad (and rtpengine), runs md_bench, prints the figures.
# Runs md_bench: N recorded calls for S seconds through a fresh mediad, then the same
# streams through a bare recvmmsg/sendmmsg relay and through rtpengine (userspace,
# when /usr/bin/rtpengine exists); prints loss, latency, CPU per packet and ratios.
# The plain run also prints memory per call (mediad's --stats-file: its own state against
# the heap; docs/mediad.md "Memory per call"; md_bench --idle S adds the steady state).
# Then the same calls again with a compliance tone on every packet and with a local WAV
# per call, and prints their CPU per packet against the plain run.
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
mkdir -p "$tmp/local"
"$build/mediad/mediad" --sip 127.0.0.1:0 --rtp-ports 20000-29999 --log-level warn \
    --ports-file "$tmp/ports" --local-dir "$tmp/local" --stats-file "$tmp/stats" \
    >"$tmp/mediad.log" 2>&1 &
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
"$bench" --mediad "127.0.0.1:$port" --pid "$pid" --calls "$calls" --seconds "$secs" "${ng_args[@]}" \
    --stats-file "$tmp/stats" | tee "$tmp/plain.txt"
# The same mediad, the same calls, with a compliance tone sounding on every packet (a
# 10 s WAV: decode + mix + encode per packet and bridge direction), then with a local
# stereo WAV per call (ring + writer thread). Tone runs: the bridged latency figure is
# meaningless there (the tone overwrites the send time carried in the payload).
sox -n -r 8000 -c 1 -e signed-integer -b 16 "$tmp/tone.wav" synth 10 sine 1400 vol 0.3
"$bench" --mediad "127.0.0.1:$port" --pid "$pid" --calls "$calls" --seconds "$secs" --anchors 0 \
    --label tones --params "audiosrc=$tmp/tone.wav;tonesilenceduration=1500" | tee "$tmp/tones.txt"
"$bench" --mediad "127.0.0.1:$port" --pid "$pid" --calls "$calls" --seconds "$secs" \
    --anchors 0 --label localwav --params "localrecord=true" | tee "$tmp/localwav.txt"
# SRTP on both sides: the parties speak RTP/SAVP, the recorder session is RTP/SAVP with
# fresh keys, so each packet is decrypted once and encrypted twice (bridge + recorder).
# mediad's crypto kernel follows AREC_SRTP_KERNEL (default openssl, or stock);
# run_srtp_bench.sh compares the kernels in one run (~2x plain with openssl, 3.6-5.9x stock).
"$bench" --mediad "127.0.0.1:$port" --pid "$pid" --calls "$calls" --seconds "$secs" \
    --anchors 0 --label srtp --srtp 1 --params "srtp=true" | tee "$tmp/srtp.txt"
ns() { sed -n "s/^$1: cpu=[0-9.]*s  \([0-9]*\) ns.*/\1/p" "$2"; }
plain="$(ns mediad "$tmp/plain.txt")"
for k in tones localwav srtp; do
    v="$(ns "$k" "$tmp/$k.txt" 2>/dev/null || true)"
    [ -n "$v" ] && [ -n "$plain" ] && [ "$plain" -gt 0 ] &&
        awk -v k="$k" -v v="$v" -v p="$plain" \
            'BEGIN { printf "ratio:  %s/plain mediad CPU per packet = %.2f (%d vs %d ns)\n", k, v / p, v, p }'
done
