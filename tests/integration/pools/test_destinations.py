"""Destination profile defaults: recording-dest2 duplicates on another member, recmediactl = 2."""
from pooltest import (is_ud, member_metric, recorded_call, recorder_dirs, recorder_uris,
                      sessions, wait_for)

STACK_OPTS = ("--recorders", "2", "--gateway-opt", "recording-dest2=pool:recorders",
              "--gateway-opt", "recmediactl=2", "--gateway-opt", "register-rate-limit=100000")


def test_dest2_default_and_recmediactl(stack):
    uris = recorder_uris(stack, 2)
    dirs = recorder_dirs(stack, 2)
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1 for u in uris), 20,
             "recorders in service")
    w = stack.watch("5010")
    try:
        rid = recorded_call(stack, w, talk=True)
    finally:
        w.stop()
    # each recorder got one copy (dest and dest2 on different members), each copy as two
    # sessions (one per recorded party: recmediactl=2), with different record ids
    wait_for(lambda: [len(sessions(d)) for d in dirs] == [2, 2], 20, "sessions on both")
    ids = [sorted(s["record_id"] for s in sessions(d)) for d in dirs]
    print("record ids per recorder:", ids)
    assert all(len(set(i)) == 2 for i in ids), ids
    assert not set(ids[0]) & set(ids[1]), ids
    assert any(all(x.startswith(rid) for x in i) for i in ids), (rid, ids)
    wait_for(lambda: all(member_metric(stack, "ports_in_use", u) == 0 for u in uris), 10,
             "ports released")
