"""least-used recorder pool: a busy recorder gets no new session while others are idle."""
from pooltest import (Call, member_metric, recorded_call, recorder_uris, wait_for, is_ud)

STACK_OPTS = ("--recorders", "3", "--pool-scheme", "least-used",
              "--gateway-opt", "register-rate-limit=100000")
EXTRA_CONFIG = "[dn 6001]\ntype = Extension\nrecord = true\n"


def test_hundred_idle_calls_spread_evenly(stack):
    uris = recorder_uris(stack, 3)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("5010")
    try:
        for _ in range(100):
            recorded_call(stack, w)
    finally:
        w.stop()
    picks = [member_metric(stack, "picks_total", u) for u in uris]
    print("least-used picks per recorder over 100 sequential calls:", picks)
    assert sorted(picks) == [33, 33, 34], picks  # all idle: ties rotate
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "ports released")


def test_busy_member_is_avoided_and_counts_return_to_zero(stack):
    uris = recorder_uris(stack, 3)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("6001", "5010")
    held = Call(stack, callee="6001", caller="5002")
    try:
        assert w.expect(lambda m: is_ud(m, "6001", "On"), 20) is not None
        busy = [u for u in uris if member_metric(stack, "ports_in_use", u) == 2]
        assert len(busy) == 1, [member_metric(stack, "ports_in_use", u) for u in uris]
        before = {u: member_metric(stack, "picks_total", u) for u in uris}
        for _ in range(20):
            recorded_call(stack, w)
        after = {u: member_metric(stack, "picks_total", u) for u in uris}
        got = {u: after[u] - before[u] for u in uris}
        print("least-used picks with one busy recorder:", got)
        assert got[busy[0]] == 0, got
        assert sum(got.values()) == 20 and all(v == 10 for u, v in got.items() if u != busy[0])
        held.hangup()
        assert w.expect(lambda m: is_ud(m, "6001", "Off"), 20) is not None
    finally:
        held.close()
        w.stop()
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "ports released")
