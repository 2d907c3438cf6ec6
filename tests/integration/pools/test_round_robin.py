"""Round-robin recorder pool: 100 recorded calls spread evenly over 3 recorders, ports exact."""
from pooltest import member_metric, recorded_call, recorder_dirs, recorder_uris, sessions, wait_for

STACK_OPTS = ("--recorders", "3", "--pool-scheme", "round-robin",
             "--gateway-opt", "register-rate-limit=100000")
CALLS = 100


def test_hundred_calls_round_robin(stack):
    uris = recorder_uris(stack, 3)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("5010")
    try:
        ids = [recorded_call(stack, w) for _ in range(CALLS)]
    finally:
        w.stop()
    assert len(set(ids)) == CALLS
    picks = [member_metric(stack, "picks_total", u) for u in uris]
    print("round-robin picks per recorder:", picks)
    assert sum(picks) == CALLS, picks
    assert sorted(picks) == [33, 33, 34], picks
    # every member got the sessions it was picked for (the recorder saw the INVITE)
    dirs = recorder_dirs(stack, 3)
    wait_for(lambda: [len(sessions(d)) for d in dirs] == picks, 30, "sessions on the recorders")
    # ports in use back to 0 everywhere once every call ended
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "ports released")
