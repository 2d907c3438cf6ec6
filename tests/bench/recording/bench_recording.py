#!/usr/bin/env python3
"""Recording benchmark: start latency (request -> first RTP at the recorder) and EventACK
latency of RequestPrivateService, on calls recorded through one mediad to the reference
recorder. Prints figures only (never asserts timings).

    AREC_BUILD_DIR=build tests/bench/recording/bench_recording.py [--rounds N] [--pairs P]

Each round places P calls at once (5001..500P -> 5011..501P, real SIP phones from
tests/integration/recording/recua.py sending PCMU), sends GSIP_RECORD_START for each
over one WebSocket T-Lib session, then STOP, then hangs up. A call's start latency is
the recorder's first packet time (its JSON sidecar) minus the time the request was
sent; the ACK latency is the request -> EventACK round trip seen by the client.
"""
import argparse
import datetime
import glob
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "integration" / "recording"))
sys.path.insert(0, str(HERE.parents[1] / "integration" / "gateway"))
import recua  # noqa: E402
from gwtest import Stack, WSClient  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def iso_to_epoch(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def wait(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise TimeoutError(what)


def first_packet(rec_dir, rid):
    for f in glob.glob(os.path.join(rec_dir, rid + ".json")):
        try:
            j = json.load(open(f))
        except (OSError, ValueError):
            continue
        if j.get("state") != "ended":
            continue
        firsts = [s.get("first_packet") for s in j.get("streams", []) if s.get("first_packet")]
        if firsts:
            return min(iso_to_epoch(x) for x in firsts)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--pairs", type=int, default=9, help="concurrent calls per round (<= 9)")
    a = ap.parse_args()
    pairs = max(1, min(9, a.pairs))
    st = Stack().up()
    ack_ms, start_ms = [], []
    t0 = time.monotonic()
    calls_done = 0
    try:
        gw = tuple(st.env["SIP_ADDR"].split(":"))
        gw = (gw[0], int(gw[1]))
        rec_dir = st.env["RECORDER_DIR"]
        ws = WSClient(st.env["WS_URL"])
        ws.register()
        for k in range(pairs):
            ws.register_dn("50%02d" % (k + 1))
        for rnd in range(a.rounds):
            calls = []
            for k in range(pairs):
                b = recua.Phone("50%02d" % (k + 11), gw, 1000)
                assert b.register() == 200
                c = recua.Phone("50%02d" % (k + 1), gw, 440)
                c.call(b.dn)
                calls.append((c, b))
            for c, b in calls:
                assert c.wait_answered() == 200
            est = {}
            want = {c.dn for c, b in calls}
            while want - set(est):
                m = ws.expect(lambda m: m.get("message") == "EventEstablished"
                              and m.get("ThisDN") in want, 10)
                assert m is not None, "EventEstablished missing for %s" % (want - set(est))
                est[m["ThisDN"]] = m
            ids = []
            for k, (c, b) in enumerate(calls):
                ev = est[c.dn]
                rid = "bench-%d-%d-%d" % (os.getpid(), rnd, k)
                sent = time.time()
                t = time.monotonic()
                r = ws.request({"message": "RequestPrivateService", "ThisDN": c.dn,
                                "PrivateMsgID": 3013, "ConnID": ev["ConnID"],
                                "Extensions": {"id": rid}})
                ack_ms.append((time.monotonic() - t) * 1000)
                assert r and r["message"] == "EventACK", r
                ids.append((rid, sent, ev["ConnID"], c.dn))
            # let every recording carry some audio, then stop them
            wait(lambda: all(c.rx_packets > 50 for c, b in calls), 15, "audio")
            for rid, sent, cid, dn in ids:
                t = time.monotonic()
                r = ws.request({"message": "RequestPrivateService", "ThisDN": dn,
                                "PrivateMsgID": 3014, "ConnID": cid})
                ack_ms.append((time.monotonic() - t) * 1000)
            # the sidecar is complete once the recorder session ended
            for rid, sent, cid, dn in ids:
                fp = wait(lambda: first_packet(rec_dir, rid), 15, "first packet of " + rid)
                start_ms.append((fp - sent) * 1000)
            for c, b in calls:
                c.hangup()
            for c, b in calls:
                b.wait(lambda e: e[0] == "bye", 10, "BYE")
                c.close()
                b.close()
            calls_done += len(calls)
        ws.close()
    finally:
        st.down()
        st.cleanup()
    el = time.monotonic() - t0
    print("recorded calls: %d in %.1f s (%.1f calls/s, %d at once)"
          % (calls_done, el, calls_done / el, pairs))
    print("recording start latency (START sent -> first RTP at the recorder): "
          "p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)"
          % (pct(start_ms, 50), pct(start_ms, 99), max(start_ms), len(start_ms)))
    print("EventACK latency for RequestPrivateService START/STOP (WebSocket round trip): "
          "p50 %.2f ms, p99 %.2f ms (n=%d)" % (pct(ack_ms, 50), pct(ack_ms, 99), len(ack_ms)))


if __name__ == "__main__":
    main()
