"""Pool test helpers: recorded calls, /metrics and status-page pool rows, recorder counts."""
import glob
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
from rectest import Call, Stack, wait_for, wait_ud  # noqa: E402,F401
from gwtest import WSClient  # noqa: E402,F401


def metrics(stack):
    url = stack.env["HTTP_URL"] + "metrics?token=" + stack.env["STATUS_TOKEN"]
    return urllib.request.urlopen(url, timeout=10).read().decode()


def member_metric(stack, name, uri):
    """Value of gatewayd_pool_<name>{...uri="uri"} (None when absent)."""
    rx = r'^gatewayd_pool_%s\{[^}]*uri="%s"\} (\d+)$' % (name, re.escape(uri))
    m = re.search(rx, metrics(stack), re.M)
    return int(m.group(1)) if m else None


def recorder_uris(stack, n):
    out = ["sip:" + stack.env["RECORDER_SIP_ADDR"]]
    out += ["sip:" + stack.env[f"RECORDER{i}_SIP_ADDR"] for i in range(2, n + 1)]
    return out


def recorder_dirs(stack, n):
    return [stack.env["RECORDER_DIR"]] + [stack.env[f"RECORDER{i}_DIR"] for i in range(2, n + 1)]


def sessions(d):
    """Recording sessions (sidecars) a recorder wrote into folder d."""
    out = []
    for f in glob.glob(os.path.join(d, "*.json")):
        try:
            out.append(json.load(open(f)))
        except (OSError, ValueError):
            continue
    return out


def recorded_call(stack, w, callee="5010", caller="5001", talk=False):
    """One full-time recorded call: answered, GSIP_RECORD On, hung up, GSIP_RECORD Off.
    w watches callee and nothing else consumes it. Returns the record id (GSIP_REC_FN)."""
    c = Call(stack, callee=callee, caller=caller)
    try:
        m = w.expect(lambda x: is_ud(x, callee, "On"), 20)
        assert m is not None, "GSIP_RECORD On never seen on %s" % callee
        if talk:
            c.talk()
        c.hangup()
        off = w.expect(lambda x: is_ud(x, callee, "Off"), 20)
        assert off is not None, "GSIP_RECORD Off never seen on %s" % callee
        return m["UserData"]["GSIP_REC_FN"]
    finally:
        c.close()


def is_ud(m, dn, value):
    return (m.get("message") == "EventAttachedDataChanged" and m.get("ThisDN") == dn
            and (m.get("UserData") or {}).get("GSIP_RECORD") == value)


def status_snapshot(stack):
    ws = WSClient(stack.env["HTTP_URL"].replace("http://", "ws://") + "status")
    try:
        ws.send({"message": "Authenticate", "token": stack.env["STATUS_TOKEN"]})
        snap = ws.expect(lambda m: m.get("type") == "snapshot", 10)
        assert snap is not None, "no status snapshot"
        return snap
    finally:
        ws.close()


def pool_member_row(snap, uri):
    for p in snap.get("pools") or []:
        for m in p.get("members") or []:
            if m.get("uri") == uri:
                return p, m
    return None, None
