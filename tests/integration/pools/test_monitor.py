"""Pool monitor: out of / back in service (events, log, metrics, page), garbage answers."""
import os
import signal
import socket
import threading

import re

from pooltest import (Call, is_ud, member_metric, metrics, pool_member_row, recorded_call,
                      recorder_uris, status_snapshot, wait_for)

# A "recorder" that answers every datagram with garbage (not SIP, then a broken status line).
_junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
_junk.bind(("127.0.0.1", 0))
JUNK_URI = "sip:127.0.0.1:%d" % _junk.getsockname()[1]
_junk_hits = [0]


def _junk_loop():
    replies = [b"\x00\xff garbage \r\n\r\n", b"SIP/2.0 2OO OK\r\nVia: nonsense\r\n\r\n",
               b"SIP/2.0 200\r\n\r\n" + os.urandom(64)]
    while True:
        try:
            _, peer = _junk.recvfrom(65535)
        except OSError:
            return
        _junk.sendto(replies[_junk_hits[0] % len(replies)], peer)
        _junk_hits[0] += 1


threading.Thread(target=_junk_loop, daemon=True).start()

STACK_OPTS = ("--recorders", "2", "--mediads", "2",
              "--gateway-opt", "register-rate-limit=100000")
EXTRA_CONFIG = """[pool junk]
kind = recorder
interval = 1
misses = 2
member = %s dn=junk-rec
""" % JUNK_URI


def test_members_in_service_on_page_and_metrics(stack):
    uris = recorder_uris(stack, 2)
    mds = ["sip:" + stack.env["MEDIAD_SIP_ADDR"], "sip:" + stack.env["MEDIAD2_SIP_ADDR"]]
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris + mds), 20,
             "members in service")
    snap = status_snapshot(stack)
    pool, row = pool_member_row(snap, uris[1])
    assert pool["name"] == "recorders" and pool["kind"] == "recorder", pool
    assert row["state"] == "In service" and row["portsInUse"] == 0, row
    assert row["portsCapacity"] == 200, row


def test_stopped_recorder_out_of_service_skipped_and_back(stack):
    uris = recorder_uris(stack, 2)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    pid = int(stack.env["RECORDER2_PID"])
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: member_metric(stack, "member_up", uris[1]) == 0, 20, "recorder2 down")
        assert stack.wait_log(
            r"recorder %s \(%s\) out of service: no answer" % (uris[1][4:], uris[1]), 5)
        _, row = pool_member_row(status_snapshot(stack), uris[1])
        assert row["state"] == "Out of service", row
        before = [member_metric(stack, "picks_total", u) for u in uris]
        w = stack.watch("5010")
        try:
            for _ in range(6):
                recorded_call(stack, w)
        finally:
            w.stop()
        after = [member_metric(stack, "picks_total", u) for u in uris]
        assert after[0] - before[0] == 6 and after[1] == before[1], (before, after)
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: member_metric(stack, "member_up", uris[1]) == 1, 20, "recorder2 back")
    assert stack.wait_log(r"recorder %s \(%s\) in service" % (uris[1][4:], uris[1]), 5)


def test_stopped_mediad_member_publishes_dn_events(stack):
    md = "sip:" + stack.env["MEDIAD_SIP_ADDR"]
    wait_for(lambda: member_metric(stack, "member_up", md) == 1, 20, "mediad up")
    w = stack.watch("msml")
    pid = int(stack.env["MEDIAD_PID"])
    os.kill(pid, signal.SIGSTOP)
    try:
        oos = w.expect(lambda m: m.get("message") == "EventDNOutOfService", 20)
        assert oos is not None and oos.get("ThisDN") == "msml", w.seen[-5:]
        assert member_metric(stack, "member_up", md) == 0
        # recordings now go through the other mediad
        md2 = "sip:" + stack.env["MEDIAD2_SIP_ADDR"]
        before = member_metric(stack, "picks_total", md2)
        rw = stack.watch("5010")
        try:
            recorded_call(stack, rw)
        finally:
            rw.stop()
        assert member_metric(stack, "picks_total", md2) == before + 1
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        back = w.expect(lambda m: m.get("message") == "EventDNBackInService", 20)
        assert back is not None and back.get("ThisDN") == "msml", w.seen[-5:]
    finally:
        w.stop()


def test_garbage_answers_are_misses(stack):
    wait_for(lambda: _junk_hits[0] >= 3, 20, "OPTIONS reached the junk responder")
    wait_for(lambda: member_metric(stack, "member_up", JUNK_URI) == 0, 20, "junk member down")
    assert stack.wait_log(r"recorder junk-rec \(%s\) out of service" % JUNK_URI, 5)
    # gatewayd goes on serving (the junk never reached a parser that could crash it)
    rc, msgs, err = stack.request({"message": "RequestQueryServer"})
    assert rc == 0, (msgs, err)
    assert stack.alive()


def mediad_metric(stack, name, uri):
    rx = r'^gatewayd_mediad_%s\{[^}]*uri="%s"\} (\d+)$' % (name, re.escape(uri))
    m = re.search(rx, metrics(stack), re.M)
    return int(m.group(1)) if m else None


def test_mediad_counters_relayed_from_options(stack):
    mds = ["sip:" + stack.env["MEDIAD_SIP_ADDR"], "sip:" + stack.env["MEDIAD2_SIP_ADDR"]]
    wait_for(lambda: all(mediad_metric(stack, "sessions", u) == 0 for u in mds), 20,
             "mediad counters on /metrics")
    # recorders answer OPTIONS without a body: nothing relayed for them
    assert mediad_metric(stack, "sessions", recorder_uris(stack, 1)[0]) is None
    w = stack.watch("5010")
    c = Call(stack)
    try:
        assert w.expect(lambda m: is_ud(m, "5010", "On"), 20) is not None
        c.talk()
        wait_for(lambda: any((mediad_metric(stack, "packets_in", u) or 0) > 50 and
                             mediad_metric(stack, "sessions", u) == 1 and
                             mediad_metric(stack, "recordings", u) == 1 for u in mds), 20,
                 "packets of the call in progress relayed")
        _, row = pool_member_row(status_snapshot(stack), mds[0])
        assert row["stats"] is None or "packetsIn" in row["stats"], row
        c.hangup()
        assert w.expect(lambda m: is_ud(m, "5010", "Off"), 20) is not None
    finally:
        c.close()
        w.stop()
    wait_for(lambda: all(mediad_metric(stack, "sessions", u) == 0 for u in mds), 20,
             "sessions back to 0")
