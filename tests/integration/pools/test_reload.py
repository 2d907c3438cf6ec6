"""SIGHUP pool change without dropping calls: kept, removed (draining) and added members."""
import os
import re
import signal
from pathlib import Path

from pooltest import Call, is_ud, member_metric, recorded_call, recorder_uris, wait_for

STACK_OPTS = ("--recorders", "3", "--pool-scheme", "none",
              "--gateway-opt", "recording-dest=pool:r",
              "--gateway-opt", "register-rate-limit=100000")
EXTRA_CONFIG = """[pool r]
kind = recorder
interval = 1
member = sip:@RECORDER_SIP_ADDR@ ports=10
member = sip:@RECORDER2_SIP_ADDR@ ports=10

[dn 6001-6002]
type = Extension
record = true
"""


def test_sighup_changes_pool_and_keeps_calls(stack):
    u = recorder_uris(stack, 3)
    wait_for(lambda: all(member_metric(stack, "member_up", x) == 1 for x in u[:2]), 20,
             "recorders in service")
    w = stack.watch("6001", "6002", "5010")
    a = Call(stack, callee="6001", caller="5001")
    b = None
    try:
        assert w.expect(lambda m: is_ud(m, "6001", "On"), 20) is not None
        b = Call(stack, callee="6002", caller="5002")
        assert w.expect(lambda m: is_ud(m, "6002", "On"), 20) is not None
        assert [member_metric(stack, "ports_in_use", x) for x in u[:2]] == [2, 2]
        # new pool: recorder 1 removed, recorder 2 kept (bigger), recorder 3 added
        conf = Path(stack.dir) / "gatewayd.conf"
        text = conf.read_text()
        text = re.sub(r"member = %s ports=10\n" % re.escape(u[0]), "", text)
        text = text.replace("member = %s ports=10\n" % u[1],
                            "member = %s ports=20\nmember = %s ports=10\n" % (u[1], u[2]))
        conf.write_text(text)
        os.kill(int(stack.env["GATEWAY_PID"]), signal.SIGHUP)
        assert stack.wait_log(r"configuration reloaded", 10)
        assert stack.wait_log(
            r"recorder %s \(%s\) removed from its pool: draining 2" % (u[0][4:], u[0]), 5)
        wait_for(lambda: member_metric(stack, "ports_capacity", u[1]) == 20, 10, "reloaded")
        assert member_metric(stack, "ports_in_use", u[0]) is None  # no longer a member
        assert member_metric(stack, "ports_in_use", u[1]) == 2  # kept with its call
        assert member_metric(stack, "ports_in_use", u[2]) == 0
        # both calls go on: media flows and no GSIP_RECORD change
        a.talk()
        b.talk()
        assert not [m for m in w.seen if is_ud(m, "6001", "Off") or is_ud(m, "6002", "Off")]
        # new recordings: only the members of the new pool
        before = [member_metric(stack, "picks_total", x) for x in u[1:]]
        for _ in range(4):
            recorded_call(stack, w)
        after = [member_metric(stack, "picks_total", x) for x in u[1:]]
        assert [x - y for x, y in zip(after, before)] == [2, 2], (before, after)
        a.hangup()
        b.hangup()
        assert w.expect(lambda m: is_ud(m, "6001", "Off"), 20) is not None
        assert w.expect(lambda m: is_ud(m, "6002", "Off"), 20) is not None
        assert stack.wait_log(r"recorder %s \(%s\) drained" % (u[0][4:], u[0]), 5)
        wait_for(lambda: [member_metric(stack, "ports_in_use", x) for x in u[1:]] == [0, 0], 10,
                 "ports released")
    finally:
        a.close()
        if b:
            b.close()
        w.stop()
