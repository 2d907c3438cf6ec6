#!/usr/bin/env python3
"""Conference recording benchmark: mediad CPU per recorded call as a two-party call
(anchor) and as a three-party conference mixed for the recorder (the seed's shape).
Prints figures only (never asserts timings).

    AREC_BUILD_DIR=build tests/bench/recording/bench_confrec.py [--calls N] [--seconds S]

Phase 1 places N calls (50(k+1) -> 50(k+11), real SIP phones from
tests/integration/recording/recua.py sending PCMU) and records each with GSIP_RECORD_START;
mediad's CPU time (/proc/<pid>/stat) is sampled over S seconds. Phase 2 adds a third phone
(50(k+16)) to each call with RequestSingleStepConference: mediad now mixes every call for
its three parties and for the recorder's mixed line, and CPU is sampled again. The load
average is printed next to each figure (the machine is shared).
"""
import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "integration" / "recording"))
sys.path.insert(0, str(HERE.parents[1] / "integration" / "gateway"))
import recua  # noqa: E402
from gwtest import Stack, WSClient  # noqa: E402


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def wait(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise TimeoutError(what)


def sample(pid, seconds, ncalls, label):
    c0, t0 = cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_s(pid), time.monotonic()
    per = (c1 - c0) / (t1 - t0) / ncalls * 1000
    print("%-44s mediad CPU %6.2f ms/s per call (%d calls, %.1f s), load %.2f %.2f %.2f"
          % (label, per, ncalls, t1 - t0, *os.getloadavg()))
    return per


def established(ws, dns):
    seen = {}
    while set(dns) - set(seen):
        m = ws.expect(lambda m: m.get("message") == "EventEstablished"
                      and m.get("ThisDN") in dns and m.get("ThisDN") not in seen, 15)
        assert m is not None, "EventEstablished missing for %s" % (set(dns) - set(seen))
        seen[m["ThisDN"]] = m["ConnID"]
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=3, help="concurrent calls (<= 5)")
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    n = max(1, min(5, a.calls))
    st = Stack().up()
    phones = []
    try:
        pid = int(st.env["MEDIAD_PID"])
        gw = tuple(st.env["SIP_ADDR"].split(":"))
        gw = (gw[0], int(gw[1]))
        ws = WSClient(st.env["WS_URL"])
        ws.register()
        cust = ["50%02d" % (k + 1) for k in range(n)]
        agent = ["50%02d" % (k + 11) for k in range(n)]
        sup = ["50%02d" % (k + 16) for k in range(n)]
        for dn in cust + agent + sup:
            ws.register_dn(dn)
        for k in range(n):
            b = recua.Phone(agent[k], gw, 1000)
            s = recua.Phone(sup[k], gw, 1700)
            assert b.register() == 200 and s.register() == 200
            c = recua.Phone(cust[k], gw, 440)
            c.call(agent[k])
            phones += [c, b, s]
        for c in phones[0::3]:
            assert c.wait_answered() == 200
        conn = established(ws, agent)
        for k in range(n):
            r = ws.request({"message": "RequestPrivateService", "ThisDN": agent[k],
                            "PrivateMsgID": 3013, "ConnID": conn[agent[k]],
                            "Extensions": {"id": "bench-conf-%d-%d" % (os.getpid(), k)}})
            assert r and r["message"] == "EventACK", r
        for k in range(n):
            ws.expect(lambda m, k=k: m.get("message") == "EventAttachedDataChanged"
                      and (m.get("UserData") or {}).get("GSIP_RECORD") == "On"
                      and m.get("ThisDN") == agent[k], 15)
        base = [c.rx_packets for c in phones[0::3]]
        wait(lambda: all(c.rx_packets > b0 + 50 for c, b0 in zip(phones[0::3], base)), 15,
             "audio")
        two = sample(pid, a.seconds, n, "recorded two-party calls (anchor):")
        for k in range(n):
            r = ws.request({"message": "RequestSingleStepConference", "ThisDN": agent[k],
                            "ConnID": conn[agent[k]], "OtherDN": sup[k]})
            assert r and r["message"] == "EventPartyAdded", r
        wait(lambda: all(s.dialog for s in phones[2::3]), 20, "supervisors answered")
        base = [s.rx_packets for s in phones[2::3]]
        wait(lambda: all(s.rx_packets > b0 + 50 for s, b0 in zip(phones[2::3], base)), 20,
             "audio at the supervisors")
        three = sample(pid, a.seconds, n, "recorded conferences, 3 parties mixed:")
        print("conference / anchor: %.2fx" % (three / two if two > 0 else float("nan")))
        for c in phones[0::3]:
            c.hangup()
        ws.close()
    finally:
        for p in phones:
            p.close()
        st.down()
        st.cleanup()


if __name__ == "__main__":
    main()
