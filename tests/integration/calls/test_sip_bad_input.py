"""Malformed SIP gets the right error and no crash: missing headers, bad SDP, a 64 KiB
header, an INVITE looping back to the gateway, a BYE for an unknown dialog."""
import pytest

import sipraw
from callstest import wait_event


def sip_addr(stack):
    host, _, port = stack.env["SIP_ADDR"].rpartition(":")
    return host, int(port)


def invite(stack, u, to="5002", **kw):
    host, port = sip_addr(stack)
    return sipraw.request("INVITE", f"sip:{to}@{host}:{port}", host=host, port=port,
                          local_port=u.port, to_user=to, **kw)


def send_final(stack, data):
    u = sipraw.Udp()
    try:
        u.send(data, sip_addr(stack))
        r = u.final(5)
        assert r is not None, "no final response"
        return r
    finally:
        u.close()


@pytest.mark.parametrize("missing", ["Call-ID", "From", "To", "CSeq", "Via"])
def test_missing_mandatory_header_is_400(stack, missing):
    u = sipraw.Udp()
    try:
        u.send(invite(stack, u, omit=(missing,), body=sipraw.SDP), sip_addr(stack))
        r = u.final(3)
        if missing == "Via":
            # Without a Via there is nowhere to send a response: dropped, and no crash.
            assert r is None, r
        else:
            assert sipraw.status_of(r) == 400, r
    finally:
        u.close()
    assert stack.alive()


def test_missing_contact_is_400(stack):
    u = sipraw.Udp()
    r = send_final(stack, invite(stack, u, omit=("Contact",), body=sipraw.SDP))
    u.close()
    assert sipraw.status_of(r) == 400, r
    assert "Contact" in sipraw.header(r, "Warning")


@pytest.mark.parametrize("body,why", [
    ("v=0\r\nthis is not sdp\r\n", "malformed SDP"),
    ("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
     "no connection address"),
    ("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
     "m=audio 99999 RTP/AVP 0\r\n", "port out of range"),
])
def test_bad_sdp_is_488(stack, body, why):
    u = sipraw.Udp()
    r = send_final(stack, invite(stack, u, body=body))
    u.close()
    assert sipraw.status_of(r) == 488, r
    assert why in sipraw.header(r, "Warning"), r


def test_body_not_sdp_is_415(stack):
    u = sipraw.Udp()
    r = send_final(stack, invite(stack, u, body="hello", content_type="text/plain"))
    u.close()
    assert sipraw.status_of(r) == 415, r


def test_64k_header_over_tcp_is_513(stack):
    host, port = sip_addr(stack)
    t = sipraw.Tcp((host, port))
    try:
        t.send(sipraw.request("INVITE", f"sip:5002@{host}:{port}", host=host, port=port,
                              local_port=t.port, transport="TCP", body=sipraw.SDP,
                              headers=[("X-Big", "a" * 65536)]))
        r = t.final(5)
        assert r and sipraw.status_of(r) == 513, r
    finally:
        t.close()
    # The transport is still fine for the next request.
    t = sipraw.Tcp((host, port))
    try:
        t.send(sipraw.request("OPTIONS", f"sip:{host}:{port}", host=host, port=port,
                              local_port=t.port, transport="TCP"))
        r = t.final(5)
        assert r and sipraw.status_of(r) == 200, r
    finally:
        t.close()


def test_large_udp_register_is_513(stack):
    u = sipraw.Udp()
    host, port = sip_addr(stack)
    r = send_final(stack, sipraw.request("REGISTER", f"sip:{host}:{port}", host=host, port=port,
                                         local_port=u.port, to_user="5019", from_user="5019",
                                         headers=[("X-Big", "b" * 60000)]))
    u.close()
    assert sipraw.status_of(r) == 513, r


def test_max_forwards_zero_is_483(stack):
    u = sipraw.Udp()
    r = send_final(stack, invite(stack, u, headers=[("Max-Forwards", "0")], body=sipraw.SDP))
    u.close()
    assert sipraw.status_of(r) == 483, r


def test_invite_loop_to_itself_is_482(stack):
    """5018 registers the gateway's own address as its contact: calling it loops."""
    host, port = sip_addr(stack)
    w = stack.watch("5018")
    u = sipraw.Udp()
    try:
        reg = sipraw.request("REGISTER", f"sip:{host}:{port}", host=host, port=port,
                             local_port=u.port, to_user="5018", from_user="5018",
                             headers=[("Expires", "60")])
        reg = reg.replace(f"<sip:5018@127.0.0.1:{u.port};transport=udp>".encode(),
                          f"<sip:5018@{host}:{port}>".encode())
        u.send(reg, (host, port))
        assert sipraw.status_of(u.final(5)) == 200
        wait_event(w, "5018", "EventDNBackInService")
        u.send(invite(stack, u, to="5018", body=sipraw.SDP), (host, port))
        r = u.final(10)
        assert r is not None and sipraw.status_of(r) >= 400, r
        assert stack.wait_log(r"refused: 482 INVITE came back to this gateway", 5)
        # Unregister so the DN does not point at the gateway any more.
        u.send(reg.replace(b"Expires: 60", b"Expires: 0"), (host, port))
        assert sipraw.status_of(u.final(5)) == 200
    finally:
        u.close()
        w.stop()


def test_bye_for_unknown_dialog_is_481(stack):
    u = sipraw.Udp()
    host, port = sip_addr(stack)
    r = send_final(stack, sipraw.request("BYE", f"sip:5002@{host}:{port}", host=host, port=port,
                                         local_port=u.port, to_tag="nosuchtag"))
    u.close()
    assert sipraw.status_of(r) == 481, r


def test_cancel_for_unknown_transaction_is_481(stack):
    u = sipraw.Udp()
    host, port = sip_addr(stack)
    r = send_final(stack, sipraw.request("CANCEL", f"sip:5002@{host}:{port}", host=host,
                                         port=port, local_port=u.port))
    u.close()
    assert sipraw.status_of(r) == 481, r


def test_options_answered(stack):
    u = sipraw.Udp()
    host, port = sip_addr(stack)
    r = send_final(stack, sipraw.request("OPTIONS", f"sip:{host}:{port}", host=host, port=port,
                                         local_port=u.port))
    u.close()
    assert sipraw.status_of(r) == 200, r
    assert "INVITE" in sipraw.header(r, "Allow")


def test_garbage_datagram_is_ignored(stack):
    u = sipraw.Udp()
    u.send(b"\x00\xff garbage " * 50, sip_addr(stack))
    u.close()
    test_options_answered(stack)


@pytest.mark.parametrize("method", ["MESSAGE", "SUBSCRIBE", "REFER", "PUBLISH", "FOOBAR"])
def test_unsupported_requests_get_a_final_answer(stack, method):
    """Methods the gateway does not serve are answered (405 / 489 / 501...), not dropped."""
    u = sipraw.Udp()
    host, port = sip_addr(stack)
    headers = [("Event", "presence")] if method in ("SUBSCRIBE", "PUBLISH") else []
    if method == "REFER":
        headers.append(("Refer-To", f"<sip:5003@{host}>"))
    r = send_final(stack, sipraw.request(method, f"sip:5002@{host}:{port}", host=host, port=port,
                                         local_port=u.port, headers=headers))
    u.close()
    assert sipraw.status_of(r) >= 400, r
    test_options_answered(stack)
