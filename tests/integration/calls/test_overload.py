"""Load shedding: past max-calls / max-call-rate / max-register-rate new INVITEs and
REGISTERs get 503 + Retry-After, calls in progress go on, /metrics counts what was shed."""
import re
import urllib.request

import sipraw
from callstest import wait_event, wait_for

STACK_OPTS = ("--gateway-opt", "no-answer-timeout=6", "--gateway-opt", "max-calls=2",
              "--gateway-opt", "max-call-rate=3", "--gateway-opt", "max-register-rate=3",
              "--gateway-opt", "overload-retry-after=7")


def addr(stack):
    host, _, port = stack.env["SIP_ADDR"].rpartition(":")
    return host, int(port)


def shed_total(stack, reason):
    req = urllib.request.Request(stack.env["HTTP_URL"] + "metrics", headers={
        "Authorization": "Bearer " + stack.env["STATUS_TOKEN"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'^gatewayd_sip_shed_total\{reason="%s"\} (\d+)$' % reason, text, re.M)
    assert m, text
    return int(m.group(1))


def invite(stack, u, from_dn, to_dn):
    host, port = addr(stack)
    u.send(sipraw.request("INVITE", f"sip:{to_dn}@{host}:{port}", host=host, port=port,
                          local_port=u.port, from_user=from_dn, to_user=to_dn,
                          body=sipraw.SDP), (host, port))
    r = u.final(10)
    assert r is not None, "no final answer to INVITE"
    return r


def burst(stack, method, n, to_dn):
    """n requests sent back to back from one socket; the list of final answers."""
    host, port = addr(stack)
    u = sipraw.Udp()
    try:
        for i in range(n):
            u.send(sipraw.request(method, f"sip:{to_dn}@{host}:{port}" if method == "INVITE"
                                  else f"sip:{host}:{port}", host=host, port=port,
                                  local_port=u.port, from_user="5012", to_user=to_dn,
                                  headers=[("Expires", "0")] if method == "REGISTER" else [],
                                  body=sipraw.SDP if method == "INVITE" else None), (host, port))
        out = []
        for i in range(n):
            r = u.final(10)
            assert r is not None, f"{len(out)} answers to {n} {method}s: {out}"
            out.append(r)
        return out
    finally:
        u.close()


def test_max_calls(stack, calls):
    w = stack.watch("5002", "5003")
    u = sipraw.Udp()
    try:
        before = shed_total(stack, "max_calls")
        p1 = calls.phone("5002", "uas_ring.xml")
        p2 = calls.phone("5003", "uas_ring.xml")
        c1 = calls.call("uac_noanswer.xml", "5002", "5001")
        wait_event(w, "5002", "EventRinging")
        c2 = calls.call("uac_noanswer.xml", "5003", "5004")
        wait_event(w, "5003", "EventRinging")
        # Two calls in progress: the third INVITE is shed before any state exists.
        r = invite(stack, u, "5005", "5006")
        assert sipraw.status_of(r) == 503, r
        assert sipraw.header(r, "Retry-After") == "7", r
        assert "max-calls" in (sipraw.header(r, "Warning") or ""), r
        assert shed_total(stack, "max_calls") == before + 1
        # The calls in progress are untouched: they end by the no-answer timeout.
        c1.ok()
        c2.ok()
        p1.ok()
        p2.ok()
        wait_event(w, "5002", "EventReleased")
        wait_event(w, "5003", "EventReleased")
        # Below the limit again once both calls are gone (the call goes after its last
        # leg's final answer): the next INVITE is routed (5006 is not registered: 480).
        got = []
        wait_for(lambda: got.append(sipraw.status_of(invite(stack, u, "5005", "5006")))
                 or got[-1] == 480, 15, "an INVITE routed again", step=0.4)
    finally:
        u.close()
        w.stop()


def test_max_call_rate(stack):
    before = shed_total(stack, "call_rate")
    answers = burst(stack, "INVITE", 12, "5019")
    st = [sipraw.status_of(r) for r in answers]
    shed = [r for r in answers if sipraw.status_of(r) == 503]
    # 3 a second with a 3-call burst: 12 back to back cannot all pass, whatever the load.
    assert len(shed) >= 4, st
    assert all("max-call-rate" in (sipraw.header(r, "Warning") or "") for r in shed), shed
    assert all(sipraw.header(r, "Retry-After") == "7" for r in shed)
    assert set(st) - {503} == {480}, st
    assert shed_total(stack, "call_rate") == before + len(shed)
    assert stack.wait_log(r"INVITE refused 503: overload: max-call-rate exceeded")


def test_max_register_rate(stack):
    before = shed_total(stack, "register_rate")
    answers = burst(stack, "REGISTER", 12, "5018")
    st = [sipraw.status_of(r) for r in answers]
    shed = [r for r in answers if "max-register-rate" in (sipraw.header(r, "Warning") or "")]
    assert len(shed) >= 4, st
    assert all(sipraw.status_of(r) == 503 for r in shed)
    assert set(st) == {200, 503}, st
    assert shed_total(stack, "register_rate") == before + len(shed)
