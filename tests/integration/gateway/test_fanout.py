"""User events fan out to every TCP and WebSocket client registered on the DN, in order."""
import json

from gwtest import WSClient


def test_user_event_fanout_tcp_and_ws(stack):
    watchers = [stack.watch("5011") for _ in range(3)]
    other = stack.watch("5012")
    ws = WSClient(stack.ws_url)
    ws.register()
    ws.register_dn("5011")

    markers = [stack.user_event("5011") for _ in range(5)]

    for w in watchers:
        got = [w.expect_marker(mk) for mk in markers]
        assert all(got), w.seen
        seqs = [m["EventSequenceNumber"] for m in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
        for m in got:
            assert m["ThisDN"] == "5011" and isinstance(m["TimeStamp"], int), m
    got = [ws.expect_marker(mk) for mk in markers]
    assert all(got)
    seqs = [m["EventSequenceNumber"] for m in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert all("TimeStamp" in m for m in got)

    # A client on another DN sees none of them, only its own event.
    own = stack.user_event("5012")
    assert other.expect_marker(own)
    assert not [m for m in other.seen if m.get("message") == "EventUserEvent"
                and m["UserData"]["marker"] in markers]

    for w in watchers + [other]:
        assert w.stop() == 0
    ws.close()


def test_send_event_from_ws_reaches_tcp(stack):
    w = stack.watch("5013")
    ws = WSClient(stack.ws_url)
    ws.register()
    ack = ws.request({"message": "RequestSendEvent", "ThisDN": "5013",
                      "UserData": {"marker": "from-ws", "n": 7}})
    assert ack["message"] == "EventACK", ack
    m = w.expect_marker("from-ws")
    assert m is not None, w.seen
    # KV types survive both codecs: the int stays an int.
    assert m["UserData"]["n"] == 7 and json.dumps(m)
    ws.close()
    assert w.stop() == 0
