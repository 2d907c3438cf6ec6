"""Bad input over TCP and WebSocket: specific EventErrors or a logged close; others unaffected."""
import random
import struct

import pytest

from gwtest import (A_ERROR_CODE, A_REFERENCE_ID, RawTcp, RawWS, WSClient, encode, frame,
                    int_attr)

FRAME_MAGIC, FRAME_TOO_LARGE, FRAME_TIMEOUT = 101, 102, 104
UNKNOWN_MESSAGE, WRONG_TYPE, BAD_JSON = 105, 107, 110
NOT_REGISTERED, DN_NOT_ALLOWED = 201, 204
GSIP_RECORD_START = 3013

REGISTER = {"message": "RequestRegisterClient", "ApplicationName": "demo",
            "ApplicationPassword": "demo", "ProtocolVersion": 1, "ReferenceID": 1}


@pytest.fixture(scope="module")
def bystanders(stack):
    """A TCP and a WebSocket client registered on 5001 for the whole file."""
    w = stack.watch("5001")
    ws = WSClient(stack.ws_url)
    ws.register()
    ws.register_dn("5001")
    yield w, ws
    ws.close()
    w.stop()


def assert_unaffected(stack, bystanders):
    """gatewayd is up and both bystanders get a fresh event."""
    assert stack.alive(), stack.log()[-3000:]
    marker = stack.user_event("5001")
    w, ws = bystanders
    assert w.expect_marker(marker), "TCP bystander missed the event"
    assert ws.expect_marker(marker), "WebSocket bystander missed the event"


@pytest.fixture
def check_unaffected(stack, bystanders):
    """Runs the bystander check after each case."""
    yield
    assert_unaffected(stack, bystanders)


def errors(msgs):
    return [m for m in msgs if m.get("message") == "EventError"]


# ---------------------------------------------------------------- TCP (binary frames)


def test_tcp_random_bytes(stack, check_unaffected):
    rnd = random.Random(2)
    data = b"\x00" + bytes(rnd.getrandbits(8) for _ in range(4096))
    rc, msgs, err = stack.raw_tcp(data)
    assert rc == 0 and "closed by server" in err, err
    assert errors(msgs) and errors(msgs)[0]["ErrorCode"] == FRAME_MAGIC, msgs
    assert stack.wait_log(r"dropping client .*FRAME_MAGIC"), "no log line for the close"


def test_tcp_header_announcing_4gib(stack, check_unaffected):
    data = b"TL" + bytes([1, 0]) + struct.pack(">I", 0xFFFFFFFF) + b"\0" * 64
    rc, msgs, err = stack.raw_tcp(data)
    assert rc == 0 and "closed by server" in err, err
    assert errors(msgs) and errors(msgs)[0]["ErrorCode"] == FRAME_TOO_LARGE, msgs
    assert stack.wait_log(r"dropping client .*FRAME_TOO_LARGE"), "no log line for the close"


def test_tcp_half_frame_then_silence(stack, check_unaffected):
    full = encode({"message": "RequestQueryServer", "ReferenceID": 5})
    rc, msgs, err = stack.raw_tcp(full[: len(full) // 2], "--timeout", "15")
    # Closed by the frame timeout (2 s in the stack's config), not by our timeout.
    assert rc == 0 and "closed by server" in err, err
    assert [m["ErrorCode"] for m in errors(msgs)] == [FRAME_TIMEOUT], msgs
    assert stack.wait_log(r"dropping client .*(frame timeout|FRAME_TIMEOUT)"), "no log line"


def test_tcp_private_service_record_as_int(stack, check_unaffected):
    rc, msgs, _ = stack.request({"message": "RequestPrivateService", "ThisDN": "5002",
                                 "PrivateMsgID": GSIP_RECORD_START,
                                 "Extensions": {"record": 1}})
    assert rc == 1
    assert msgs[-1]["message"] == "EventError" and msgs[-1]["ErrorCode"] == WRONG_TYPE, msgs


def test_tcp_dn_not_allowed(stack, check_unaffected):
    rc, msgs, _ = stack.request({"message": "RequestRegisterAddress", "ThisDN": "5003"},
                                app="desk5001", password="desk")
    assert rc == 1 and msgs[-1]["ErrorCode"] == DN_NOT_ALLOWED, msgs


def test_tcp_request_before_registration(stack, check_unaffected):
    data = encode({"message": "RequestDistributeUserEvent", "ThisDN": "5001",
                   "UserData": {"marker": "never"}, "ReferenceID": 31})
    rc, msgs, err = stack.raw_tcp(data, "--count", "1")
    assert rc == 0, err
    assert msgs[0]["message"] == "EventError" and msgs[0]["ErrorCode"] == NOT_REGISTERED, msgs
    assert msgs[0]["ReferenceID"] == 31


def test_tcp_unknown_message_number(stack, check_unaffected):
    # The binary analogue of a JSON message with an unknown name: the frame is well formed,
    # so the error is not fatal and the same connection keeps working.
    c = RawTcp(stack)
    c.send(encode(REGISTER))
    assert c.recv_msg()["message"] == "EventServerConnected"
    c.recv_msg()  # EventLinkConnected
    c.send(frame(999, [int_attr(2, 41)]))
    m = c.recv_msg()
    assert m["message"] == "EventError" and m[A_ERROR_CODE] == UNKNOWN_MESSAGE, m
    assert m.get(A_REFERENCE_ID) == 41, m
    c.send(encode({"message": "RequestQueryServer", "ReferenceID": 42}))
    m = c.recv_msg()
    assert m[A_REFERENCE_ID] == 42 and m["message"] != "EventError", m
    c.close()


# ---------------------------------------------------------------- WebSocket (JSON)


def ws_session(stack, register=True):
    ws = WSClient(stack.ws_url)
    if register:
        ws.register()
    return ws


def test_ws_random_bytes_text(stack, check_unaffected):
    ws = ws_session(stack)
    rnd = random.Random(3)
    ws.send("".join(chr(rnd.randrange(33, 127)) for _ in range(2000)))
    m = ws.expect(lambda m: m.get("message") == "EventError", 10)
    assert m and m["ErrorCode"] == BAD_JSON, m
    # Not fatal: the session still answers.
    assert ws.request({"message": "RequestQueryServer"})["message"] == "EventServerInfo"
    ws.close()


def test_ws_random_bytes_binary(stack, check_unaffected):
    ws = ws_session(stack)
    rnd = random.Random(4)
    ws.send(bytes(rnd.getrandbits(8) for _ in range(2000)))
    # A binary frame is not JSON: an EventError or a close, never silence forever.
    try:
        m = ws.expect(lambda m: m.get("message") == "EventError", 10)
        assert m is not None and m["ErrorCode"] in (BAD_JSON, FRAME_MAGIC), m
    except ConnectionError:
        pass
    ws.close()


def test_ws_invalid_json(stack, check_unaffected):
    ws = ws_session(stack)
    ws.send('{"message":"RequestQueryServer","ReferenceID":3,')
    m = ws.expect(lambda m: m.get("message") == "EventError", 10)
    assert m and m["ErrorCode"] == BAD_JSON, m
    ws.close()


def test_ws_unknown_message_name(stack, check_unaffected):
    ws = ws_session(stack)
    m = ws.request({"message": "RequestMakeCoffee", "ReferenceID": 4})
    assert m and m["message"] == "EventError" and m["ErrorCode"] == UNKNOWN_MESSAGE, m
    ws.close()


def test_ws_private_service_record_as_int(stack, check_unaffected):
    ws = ws_session(stack)
    ws.register_dn("5002")
    m = ws.request({"message": "RequestPrivateService", "ThisDN": "5002",
                    "PrivateMsgID": GSIP_RECORD_START, "Extensions": {"record": 1}})
    assert m and m["message"] == "EventError" and m["ErrorCode"] == WRONG_TYPE, m
    ws.close()


def test_ws_dn_not_allowed(stack, check_unaffected):
    ws = WSClient(stack.ws_url)
    ws.register("desk5001", "desk")
    m = ws.request({"message": "RequestRegisterAddress", "ThisDN": "5003"})
    assert m and m["message"] == "EventError" and m["ErrorCode"] == DN_NOT_ALLOWED, m
    ws.close()


def test_ws_request_before_registration(stack, check_unaffected):
    ws = ws_session(stack, register=False)
    m = ws.request({"message": "RequestRegisterAddress", "ThisDN": "5001", "ReferenceID": 9})
    assert m and m["message"] == "EventError" and m["ErrorCode"] == NOT_REGISTERED, m
    ws.close()


def test_ws_header_announcing_4gib(stack, check_unaffected):
    raw = RawWS(stack.ws_url)
    raw.send_frame_header(0x1, 1 << 32)
    # Feed more than any frame may hold; the server must give up on this client.
    chunk = b"x" * 65536
    for _ in range(40):
        if not raw.send(chunk):
            break
    assert raw.wait_closed(15), "gatewayd kept a 4 GiB WebSocket frame open"
    assert stack.wait_log(r"dropping client #\d+ ws .*(larger|too large|FRAME_TOO_LARGE)")
    raw.close()


def test_ws_half_frame_then_silence(stack, bystanders, check_unaffected):
    raw = RawWS(stack.ws_url)
    payload = b'{"message":"RequestQueryServer","ReferenceID":1}'
    raw.send_frame_header(0x1, len(payload))
    raw.send(payload[: len(payload) // 2])
    # The half frame stalls only this connection: others are served while it is pending.
    assert_unaffected(stack, bystanders)
    raw.close()
