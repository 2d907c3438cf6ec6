#!/usr/bin/env bash
# Calls-per-second benchmark, gatewayd vs Kamailio under the same SIPp load (see caps.py).
#
#   tests/bench/calls/run_caps.sh [--systems kamailio,gatewayd] [--rates 50,100,...]
#                                 [--step-seconds 15] [--refine 2] [--smoke] [--keep] ...
#
# Needs the Debian packages kamailio and sip-tester, and gatewayd + tlibctl built in
# $AREC_BUILD_DIR (default build/ in the repo; tests/stack brings the gatewayd side up).
# Prints one table: highest CPS with < 0.1% failed calls, CPU ms and KiB per call, and
# the gatewayd/Kamailio ratio. `--help` lists every option.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
: "${AREC_BUILD_DIR:=$REPO/build}"
export AREC_BUILD_DIR
# Thousands of calls in flight: SIPp and gatewayd (started from here) need descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/bin/python3 "$HERE/caps.py" "$@"
