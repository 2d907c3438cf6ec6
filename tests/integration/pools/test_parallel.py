"""Parallel forking pool: INVITE to every recorder, first 2xx wins, the others cancelled."""
import re

from pooltest import (Call, is_ud, member_metric, recorder_dirs, recorder_uris, sessions,
                      wait_for)

STACK_OPTS = ("--recorders", "3", "--pool-scheme", "parallel",
              "--gateway-opt", "register-rate-limit=100000")
RECORDER_OPTS = "--answer-delay 4000"  # slow: still ringing when another answers
RECORDER2_OPTS = "--reject 486"        # refuses
# the third answers at once: it must win every time


def test_first_answer_wins_and_losers_are_cancelled(stack):
    uris = recorder_uris(stack, 3)
    dirs = recorder_dirs(stack, 3)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("5010")
    for n in range(1, 4):
        c = Call(stack)
        try:
            on = w.expect(lambda m: is_ud(m, "5010", "On"), 20)
            assert on is not None
            rid = on["UserData"]["GSIP_REC_FN"]
            assert stack.wait_log(r"recording %s: %s answered first" % (rid, uris[2]), 10)
            # only the winner holds ports once the fork settled
            wait_for(lambda: [member_metric(stack, "ports_in_use", u) for u in uris] == [0, 0, 2],
                     10, "ports settled on the winner")
            c.talk()
            c.hangup()
            assert w.expect(lambda m: is_ud(m, "5010", "Off"), 20) is not None
        finally:
            c.close()
        # the winner recorded it; the slow one was cancelled before answering
        wait_for(lambda: len([s for s in sessions(dirs[2]) if s.get("state") == "ended"]) == n,
                 20, "the winner's sessions")
        wait_for(lambda: len(sessions(dirs[0])) == n, 20, "the slow recorder's cancelled INVITEs")
        assert all(s.get("end_reason") == "cancelled" for s in sessions(dirs[0])), sessions(dirs[0])
    w.stop()
    assert all(member_metric(stack, "picks_total", u) == 3 for u in uris)
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "ports released")


def test_hundred_calls_all_won_by_the_fast_recorder(stack):
    uris = recorder_uris(stack, 3)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    before = [member_metric(stack, "picks_total", u) for u in uris]
    rx = re.compile(r"%s answered first \(parallel pool\)" % re.escape(uris[2]))
    wins = len(rx.findall(stack.log()))
    w = stack.watch("5010")
    try:
        for i in range(100):
            c = Call(stack)
            try:
                assert w.expect(lambda m: is_ud(m, "5010", "On"), 20) is not None
                # the fork settles when the fast recorder answers: then hang up
                wait_for(lambda: len(rx.findall(stack.log())) == wins + i + 1, 10, "fork won")
                c.hangup()
                assert w.expect(lambda m: is_ud(m, "5010", "Off"), 20) is not None
            finally:
                c.close()
    finally:
        w.stop()
    offered = [member_metric(stack, "picks_total", u) - b for u, b in zip(uris, before)]
    print("parallel over 100 calls: offered to each", offered, "won by the fast recorder 100")
    assert offered == [100] * 3, offered
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "ports released")
