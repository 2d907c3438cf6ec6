#!/usr/bin/env python3
"""Failover benchmark: ms of media not recorded when a recorder or a mediad is killed (-9)
mid-call, p50/p99 over N trials each. Prints figures only (never asserts timings).

    AREC_BUILD_DIR=build tests/bench/failover/bench_failover.py [--trials 20]
                                        [--only recorder|mediad]

One stack with two extra recorders in [pool recs] and two extra mediads in [pool mds]
(OPTIONS every 1 s, out of service after 1 miss; mediad keepalive OPTIONS to recorders
every 1 s, its default). Each trial places one full-time recorded call (5001 -> 5010,
real SIP phones sending PCMU), waits for the recording, kills the recorder (or the mediad)
that carries it, waits until the call is recorded again, hangs up, restarts the killed
process on its SIP port and waits until gatewayd has it back in service.

Figures per kind:
  lost   kill -> first packet of the new session at the recorder (its JSON sidecar):
         the media that reached no recorder (what the issue calls the failover gap);
  mediad recorder kind only: mediad's own report (msml.recorder.failover): gap-ms (last
         RTP sent to the old recorder -> first to the new one) and gap-max-ms (from the old
         recorder's last sign of life).
"""
import argparse
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "integration" / "failover"))
import fotest  # noqa: E402
from fotest import Call, first_packet, holder, kill9, sidecars, wait_for  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def in_service_count(st, uri):
    return st.log().count(f"({uri}) in service")


def wait_back(st, d, before):
    wait_for(lambda: in_service_count(st, d.uri) > before, 20, f"{d.name} back in service")


def mediad_of_call(st, mds):
    hits = re.findall(r"INVITE sip:msml=\w+@127\.0\.0\.1:(\d+)", st.log())
    port = int(hits[-1]) if hits else None
    return next((m for m in mds if m.port == port), None)


def new_session_first(recs, rid, t_kill):
    for r in recs:
        for j in sidecars(r, rid):
            fp = first_packet(j) if j.get("state") == "ended" else None
            if fp and fp > t_kill:
                return fp
    return None


def pump(w):
    """Everything the watcher has received so far (expect() moves it into .seen)."""
    w.expect(lambda m: False, 0.02)
    return w.seen


def trial(f, kind, w):
    st = f.stack
    seen = len(pump(w))
    c = Call(st)
    try:
        on = wait_for(lambda: next((m for m in pump(w)[seen:]
                                    if m.get("message") == "EventAttachedDataChanged"
                                    and (m.get("UserData") or {}).get("GSIP_RECORD") == "On"),
                                   None), 15, "recording On")
        rid = on["UserData"]["GSIP_REC_FN"]
        victim = (wait_for(lambda: holder(f.recs, rid), 15, "recorder") if kind == "recorder"
                  else wait_for(lambda: mediad_of_call(st, f.mds), 15, "mediad"))
        c.talk(25)
        # Kill at a random phase of the keepalive / monitor periods (1 s): without this the
        # trials repeat the same phase and the figures show one point, not the spread.
        time.sleep(random.uniform(0, 1.0))
        before = in_service_count(st, victim.uri)
        t_kill = time.time()
        kill9(victim)
        key = "gap-ms" if kind == "recorder" else None
        info = wait_for(lambda: next(
            (m for m in pump(w)[seen:] if m.get("message") == "EventPrivateInfo"
             and (key in (m.get("Extensions") or {}) if key else
                  "mediad failover" in (m.get("Extensions") or {}).get("reason", ""))), None),
            20, "failover report")
        c.talk(25, timeout=20)
        c.hangup()
        fp = wait_for(lambda: new_session_first(f.recs, rid, t_kill), 15, "new session")
        ext = info["Extensions"]
        res = {"lost": (fp - t_kill) * 1000}
        if kind == "recorder":
            res["gap"] = float(ext["gap-ms"])
            m = re.search(r"at most (\d+) ms", ext.get("reason", ""))
            res["gapmax"] = float(m.group(1)) if m else float("nan")
    finally:
        c.close()
    i = (f.recs if kind == "recorder" else f.mds).index(victim)
    d = fotest.restart(f.tmp, victim)
    (f.recs if kind == "recorder" else f.mds)[i] = d
    wait_back(st, d, before)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--only", choices=("recorder", "mediad"))
    a = ap.parse_args()
    f = fotest.bring_up(recorders=[(), ()], mediads=[(), ()])
    w = f.stack.watch("5001", "5010")
    try:
        for kind in ("recorder", "mediad"):
            if a.only and kind != a.only:
                continue
            rows = []
            for n in range(a.trials):
                r = trial(f, kind, w)
                rows.append(r)
                print(f"{kind} trial {n + 1}: " +
                      ", ".join(f"{k} {v:.0f} ms" for k, v in r.items()), flush=True)
            for k in rows[0]:
                xs = [r[k] for r in rows]
                print(f"== {kind} failure, {k}: p50 {pct(xs, 50):.0f} ms, p99 {pct(xs, 99):.0f} ms,"
                      f" max {max(xs):.0f} ms over {len(xs)} trials", flush=True)
    finally:
        w.stop()
        fotest.bring_down(f)


if __name__ == "__main__":
    main()
