"""Client and DN registration, queries, and tlibctl's exit codes against a real gatewayd."""
import socket

from gwtest import (A_ERROR_CODE, A_REFERENCE_ID, RawTcp, WSClient, encode)

AUTH_FAILED, NOT_REGISTERED, DN_NOT_ALLOWED, UNKNOWN_DN = 202, 201, 204, 205


def test_register_client_ok(stack):
    c = RawTcp(stack)
    c.send(encode({"message": "RequestRegisterClient", "ApplicationName": "demo",
                   "ApplicationPassword": "demo", "ProtocolVersion": 1, "ReferenceID": 11}))
    m = c.recv_msg()
    assert m["message"] == "EventServerConnected" and m[A_REFERENCE_ID] == 11, m
    m = c.recv_msg()
    assert m["message"] == "EventLinkConnected", m
    c.close()


def test_register_client_bad_password(stack):
    rc, msgs, _ = stack.request({"message": "RequestQueryServer"}, password="wrong")
    assert rc == 1
    assert msgs[-1]["message"] == "EventError" and msgs[-1]["ErrorCode"] == AUTH_FAILED, msgs


def test_register_client_bad_password_ws(stack):
    ws = WSClient(stack.ws_url)
    m = ws.request({"message": "RequestRegisterClient", "ApplicationName": "demo",
                    "ApplicationPassword": "nope", "ProtocolVersion": 1})
    assert m["message"] == "EventError" and m["ErrorCode"] == AUTH_FAILED, m
    ws.close()


def test_request_before_registration(stack):
    c = RawTcp(stack)
    c.send(encode({"message": "RequestRegisterAddress", "ThisDN": "5001", "ReferenceID": 21}))
    m = c.recv_msg()
    assert m["message"] == "EventError", m
    assert m[A_ERROR_CODE] == NOT_REGISTERED and m[A_REFERENCE_ID] == 21, m
    # The session is still usable: registering now works.
    c.send(encode({"message": "RequestRegisterClient", "ApplicationName": "demo",
                   "ApplicationPassword": "demo", "ProtocolVersion": 1, "ReferenceID": 22}))
    assert c.recv_msg()["message"] == "EventServerConnected"
    c.close()


def test_register_address_allowed(stack):
    rc, msgs, err = stack.request({"message": "RequestRegisterAddress", "ThisDN": "5001"},
                                  app="desk5001", password="desk")
    assert rc == 0, err
    assert msgs[-1]["message"] == "EventRegistered" and msgs[-1]["ThisDN"] == "5001", msgs
    assert "ReferenceID" in msgs[-1]


def test_register_address_not_allowed(stack):
    rc, msgs, _ = stack.request({"message": "RequestRegisterAddress", "ThisDN": "5002"},
                                app="desk5001", password="desk")
    assert rc == 1
    assert msgs[-1]["message"] == "EventError" and msgs[-1]["ErrorCode"] == DN_NOT_ALLOWED, msgs


def test_register_address_unknown_dn(stack):
    rc, msgs, _ = stack.request({"message": "RequestRegisterAddress", "ThisDN": "9999"})
    assert rc == 1
    assert msgs[-1]["message"] == "EventError" and msgs[-1]["ErrorCode"] == UNKNOWN_DN, msgs


def test_query_server(stack):
    rc, msgs, err = stack.request({"message": "RequestQueryServer", "ReferenceID": 77})
    assert rc == 0, err
    m = msgs[-1]
    assert m["message"] == "EventServerInfo" and m["ReferenceID"] == 77, m
    assert "EventSequenceNumber" in m and "TimeStamp" in m, m


def test_query_address(stack):
    rc, msgs, err = stack.request({"message": "RequestQueryAddress", "ThisDN": "5003"})
    assert rc == 0, err
    m = msgs[-1]
    assert m["message"] == "EventAddressInfo" and m["ThisDN"] == "5003", m


def test_query_address_ws(stack):
    ws = WSClient(stack.ws_url)
    ws.register()
    m = ws.request({"message": "RequestQueryAddress", "ThisDN": "5004"})
    assert m["message"] == "EventAddressInfo" and m["ThisDN"] == "5004", m
    ws.close()


def test_tlibctl_request_exit_codes(stack):
    # 0: EventACK
    rc, msgs, err = stack.request({"message": "RequestDistributeUserEvent", "ThisDN": "5005",
                                   "UserData": {"k": "v"}})
    assert rc == 0 and msgs[-1]["message"] == "EventACK", (msgs, err)
    # 1: EventError (DN the application may not use)
    rc, msgs, _ = stack.request({"message": "RequestDistributeUserEvent", "ThisDN": "5005",
                                 "UserData": {"k": "v"}}, app="desk5001", password="desk")
    assert rc == 1 and msgs[-1]["ErrorCode"] == DN_NOT_ALLOWED, msgs
    # 2: nobody listening
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, msgs, err = stack.request({"message": "RequestQueryServer"}, addr=f"127.0.0.1:{port}")
    assert rc == 2 and msgs == [], err
    # 3: not JSON
    rc, _, _ = stack.tlibctl("request", "{not json")
    assert rc == 3


def test_tlibctl_request_timeout_exit_2(stack):
    # A listener that accepts and never answers: the request times out.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    rc, msgs, err = stack.request({"message": "RequestQueryServer"}, "--timeout", "1",
                                  addr=f"127.0.0.1:{port}")
    srv.close()
    assert rc == 2 and msgs == [], err


def test_tlibctl_watch_count_and_timeout(stack):
    w = stack.watch("5006", "5007", extra=("--count", "2", "--timeout", "20"))
    m1 = stack.user_event("5006")
    m2 = stack.user_event("5007")
    assert w.expect_marker(m1) and w.expect_marker(m2)
    assert w.proc.wait(timeout=20) == 0
    # --count not reached before --timeout: exit 2.
    w = stack.watch("5006", extra=("--count", "5", "--timeout", "1"))
    assert w.proc.wait(timeout=20) == 2
    # --timeout alone is a normal end.
    w = stack.watch("5006", extra=("--timeout", "1"))
    assert w.proc.wait(timeout=20) == 0
    # A DN the application may not use: exit 1 with the EventError printed.
    rc, msgs, _ = stack.tlibctl("watch", "5006", "--timeout", "5", app="desk5001",
                                password="desk")
    assert rc == 1 and msgs[-1]["ErrorCode"] == DN_NOT_ALLOWED, msgs


def test_tlibctl_watch_interrupted_exits_0(stack):
    w = stack.watch("5008")
    assert w.stop() == 0
