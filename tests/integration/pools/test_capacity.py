"""Capacity: a full recorder passes to the next member; none with room -> GSIP_RECORD Off."""
from pooltest import Call, is_ud, member_metric, recorder_uris, wait_for

STACK_OPTS = ("--recorders", "2", "--pool-scheme", "none",
              "--gateway-opt", "recording-dest=pool:small")
# Two ports per recording: each recorder holds exactly one recording.
EXTRA_CONFIG = """[pool small]
kind = recorder
scheme = round-robin
interval = 1
member = sip:@RECORDER_SIP_ADDR@ ports=2
member = sip:@RECORDER2_SIP_ADDR@ ports=2

[dn 6001-6003]
type = Extension
record = true
"""


def test_full_member_then_no_room(stack):
    uris = recorder_uris(stack, 2)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("6001", "6002", "6003")
    calls = []
    try:
        calls.append(Call(stack, callee="6001", caller="5001"))
        assert w.expect(lambda m: is_ud(m, "6001", "On"), 20) is not None
        calls.append(Call(stack, callee="6002", caller="5002"))
        assert w.expect(lambda m: is_ud(m, "6002", "On"), 20) is not None
        assert [member_metric(stack, "ports_in_use", u) for u in uris] == [2, 2]
        assert [member_metric(stack, "ports_capacity", u) for u in uris] == [2, 2]
        # both full: the third recording is refused, the call itself goes on
        calls.append(Call(stack, callee="6003", caller="5003"))
        off = w.expect(lambda m: is_ud(m, "6003", "Off"), 20)
        assert off is not None
        reason = off["UserData"].get("GSIP_RECORD_REASON", "")
        assert "no member available" in reason and "2 without 2 free port(s)" in reason, reason
        calls[2].talk()
        assert stack.wait_log(r"full-time recording for DN 6003 not started: .*small", 5)
        # the second recording ends: round-robin's next turn is the first recorder, which
        # is full, so the pick passes on to the second
        calls[1].hangup()
        assert w.expect(lambda m: is_ud(m, "6002", "Off"), 20) is not None
        wait_for(lambda: [member_metric(stack, "ports_in_use", u) for u in uris] == [2, 0],
                 10, "ports of the ended recording released")
        c = Call(stack, callee="6002", caller="5004")
        calls.append(c)
        assert w.expect(lambda m: is_ud(m, "6002", "On"), 20) is not None
        assert [member_metric(stack, "ports_in_use", u) for u in uris] == [2, 2]
        assert [member_metric(stack, "picks_total", u) for u in uris] == [1, 2]
    finally:
        for c in calls:
            try:
                c.hangup()
            except Exception:
                pass
            c.close()
        w.stop()
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "every port released")
