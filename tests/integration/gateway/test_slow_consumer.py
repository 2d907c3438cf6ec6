"""A client that stops reading is dropped after its bounded queue; others keep receiving."""
import struct

from gwtest import RawTcp, WSClient, encode

STACK_OPTS = ("--gateway-opt", "client-queue-limit=262144")

N_EVENTS = 600
PAYLOAD = "p" * 16384
WINDOW = 4


def test_slow_tcp_consumer_is_dropped(stack):
    # The slow client: registers on 5015, then never reads again (tiny receive buffer).
    slow = RawTcp(stack, rcvbuf=4096)
    slow.send(encode({"message": "RequestRegisterClient", "ApplicationName": "demo",
                      "ApplicationPassword": "demo", "ProtocolVersion": 1, "ReferenceID": 1},
                     {"message": "RequestRegisterAddress", "ThisDN": "5015", "ReferenceID": 2}))
    while True:
        m = slow.recv_msg()
        assert m is not None, "slow client: no EventRegistered"
        if m["message"] == "EventRegistered":
            break

    good = stack.watch("5015")
    ws = WSClient(stack.ws_url)
    ws.register()
    ws.register_dn("5015")

    # The sender paces itself (WINDOW requests in flight); only the slow client's queue grows.
    sender = RawTcp(stack)
    sender.send(encode({"message": "RequestRegisterClient", "ApplicationName": "demo",
                        "ApplicationPassword": "demo", "ProtocolVersion": 1,
                        "ReferenceID": 1}))
    # One frame from the product's encoder, then patched: same-length marker, new ReferenceID.
    sentinel = 0x5A5A5A5A5A5A
    template = encode({"message": "RequestDistributeUserEvent", "ThisDN": "5015",
                       "UserData": {"marker": "bulk-000000", "pad": PAYLOAD},
                       "ReferenceID": sentinel})
    assert template.count(struct.pack(">q", sentinel)) == 1
    acks = []
    for start in range(0, N_EVENTS, WINDOW):
        for i in range(start, min(start + WINDOW, N_EVENTS)):
            sender.send(template.replace(b"bulk-000000", f"bulk-{i:06d}".encode())
                        .replace(struct.pack(">q", sentinel), struct.pack(">q", 100 + i)))
        while len(acks) < min(start + WINDOW, N_EVENTS):
            m = sender.recv_msg(timeout=30)
            assert m is not None, f"no EventACK after {len(acks)} requests"
            if m.get(2, 0) >= 100:
                acks.append(m)
        # The readers that keep up get each batch before the next is sent, so their
        # queues stay far below the limit however loaded the machine is.
        for i in range(start, min(start + WINDOW, N_EVENTS)):
            assert good.expect_marker(f"bulk-{i:06d}", timeout=30), f"TCP watcher missed {i}"
            assert ws.expect_marker(f"bulk-{i:06d}", timeout=30), f"WS client missed {i}"
    assert all(m["message"] == "EventACK" for m in acks)

    # The slow client was cut off (its socket reaches end of stream once drained)...
    assert slow.wait_closed(30), "slow client was never dropped"
    port = slow.sock.getsockname()[1]
    assert stack.wait_log(rf"drop\w* client .*:{port}\b.*(queue|limit|not reading)"), \
        "no log line about dropping the slow client"
    # ...while the others got every event (checked batch by batch above) and still do.
    final = stack.user_event("5015")
    assert good.expect_marker(final) and ws.expect_marker(final)
    assert stack.alive()
    assert good.stop() == 0
    ws.close()
    sender.close()
    slow.close()
