"""sip-stack-thread: the SIP stack runs in its own named thread exactly when configured
(the default, or AREC_GW_OPTS as the calls_st_ tests set it), and a call goes through."""
import os
import re
import urllib.request
from pathlib import Path

from callstest import wait_event


def expect_threaded():
    """The mode this run asks for: AREC_GW_OPTS may say, else the default (true)."""
    for opt in os.environ.get("AREC_GW_OPTS", "").split():
        key, _, value = opt.partition("=")
        if key.strip() == "sip-stack-thread":
            return value.strip().lower() in ("1", "true", "yes", "on")
    return True


def thread_names(pid):
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except OSError:
            pass  # a thread that ended meanwhile
    return names


def test_stack_thread_matches_config(stack, calls):
    names = thread_names(int(stack.env["GATEWAY_PID"]))
    if expect_threaded():
        assert names.count("gw-sip-stack") == 1, names
    else:
        assert "gw-sip-stack" not in names, names
    w = stack.watch("5001", "5002")
    try:
        phone = calls.phone("5002", "uas_answer.xml")
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5002", "5001", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventEstablished")
        wait_event(w, "5002", "EventReleased")
    finally:
        w.stop()


def expect_batch_io():
    """sip-batch-io applies with the stack thread unless AREC_GW_OPTS turns it off."""
    for opt in os.environ.get("AREC_GW_OPTS", "").split():
        key, _, value = opt.partition("=")
        if key.strip() == "sip-batch-io":
            return expect_threaded() and value.strip().lower() in ("1", "true", "yes", "on")
    return expect_threaded()


def batch_counters(stack):
    req = urllib.request.Request(stack.env["HTTP_URL"] + "metrics", headers={
        "Authorization": "Bearer " + stack.env["STATUS_TOKEN"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for m in re.finditer(r'^gatewayd_sip_udp_batch_(calls|datagrams)_total\{dir="(\w+)"\} (\d+)$',
                         text, re.M):
        out[m.group(1) + "_" + m.group(2)] = int(m.group(3))
    assert len(out) == 5, text
    return out


def test_batch_io_carries_calls(stack, calls):
    """Ten calls (SIPp at its default 10 calls/s) through the stack thread's recvmmsg/sendmmsg batches (gw_sipio.c):
    every call completes with both parties' events, and the counters show that the
    datagrams went through the batches (or, with the batches off, that none did)."""
    before = batch_counters(stack)
    w = stack.watch("5001", "5003")
    try:
        phone = calls.phone("5003", "uas_answer.xml", m=10)
        wait_event(w, "5003", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5003", "5001", d=300, m=10)
        uac.ok()
        phone.ok()
        for _ in range(10):
            wait_event(w, "5001", "EventReleased")
            wait_event(w, "5003", "EventReleased")
    finally:
        w.stop()
    after = batch_counters(stack)
    moved = {k: after[k] - before[k] for k in after}
    assert moved["datagrams_refused"] == 0, moved
    if expect_batch_io():
        # 10 calls: INVITE, ACK, BYE and the answers on both legs, some 120 datagrams.
        assert moved["datagrams_recv"] >= 60 and moved["datagrams_send"] >= 60, moved
        assert 0 < moved["calls_recv"] <= moved["datagrams_recv"], moved
        assert 0 < moved["calls_send"] <= moved["datagrams_send"], moved
    else:
        assert moved["datagrams_recv"] == 0 and moved["datagrams_send"] == 0, moved
