"""Registrar: digest authentication when the source is not trusted, expiry ->
EventDNOutOfService, unregister, unknown / wrong-type DNs, and a registration flood."""
import hashlib
import re
import tempfile
from pathlib import Path

import sipraw
from callstest import dump, free_port, names, sequences, wait_event

STATIC_PORT = free_port()  # where the static-contact phone 5007 listens
CONF = Path(tempfile.mkdtemp(prefix="arec-reg-")) / "gatewayd.conf"
CONF.write_text("""[gateway]
site = regtest
tlib-listen = 127.0.0.1:0
ws-listen = 127.0.0.1:0
sip-listen = 127.0.0.1:0
# Loopback is NOT trusted here: DNs with a password must authenticate.
trusted-networks = 10.255.255.0/24
register-rate-limit = 5

[dn 5001-5005]
type = Extension
password = secret

[dn 5006]
type = Extension

# A phone that never registers: reached through its static contact.
[dn 5007]
type = Extension
contact = sip:127.0.0.1:""" + str(STATIC_PORT) + """

[dn trunk-in]
type = Trunk
contact = sip:127.0.0.1:5070

[application demo]
password = demo
dns = *
""")
STACK_OPTS = ("--gateway-config", str(CONF))


def addr(stack):
    host, _, port = stack.env["SIP_ADDR"].rpartition(":")
    return host, int(port)


def register(stack, u, dn, expires=60, auth=None, call_id=None, cseq=1):
    host, port = addr(stack)
    headers = [("Expires", str(expires))]
    if auth:
        headers.append(("Authorization", auth))
    u.send(sipraw.request("REGISTER", f"sip:{host}:{port}", host=host, port=port,
                          local_port=u.port, to_user=dn, from_user=dn, headers=headers,
                          call_id=call_id, cseq=cseq), (host, port))
    r = u.final(5)
    assert r is not None, "no answer to REGISTER"
    return r


def digest(challenge, dn, password, uri):
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    ha1 = hashlib.md5(f"{dn}:{params['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
    nc, cnonce = "00000001", "0a4f113b"
    resp = hashlib.md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{dn}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm=MD5, qop=auth, nc={nc}, '
            f'cnonce="{cnonce}"')


def test_digest_auth(stack):
    host, port = addr(stack)
    uri = f"sip:{host}:{port}"
    w = stack.watch("5001")
    u = sipraw.Udp()
    try:
        r = register(stack, u, "5001", call_id="reg-5001")
        assert sipraw.status_of(r) == 401, r
        chal = sipraw.header(r, "WWW-Authenticate")
        assert 'realm="regtest"' in chal and "qop" in chal, chal
        bad = register(stack, u, "5001", auth=digest(chal, "5001", "wrong", uri),
                       call_id="reg-5001", cseq=2)
        assert sipraw.status_of(bad) == 401, bad
        ok = register(stack, u, "5001", auth=digest(chal, "5001", "secret", uri),
                      call_id="reg-5001", cseq=3)
        assert sipraw.status_of(ok) == 200, ok
        assert "expires=60" in sipraw.header(ok, "Contact")
        wait_event(w, "5001", "EventDNBackInService")
        # A forged nonce is refused as well.
        forged = digest(chal.replace(re.search(r'nonce="([^"]+)"', chal).group(1), "1.abc"),
                        "5001", "secret", uri)
        r = register(stack, u, "5001", auth=forged, call_id="reg-5001", cseq=4)
        assert sipraw.status_of(r) == 401, r
        # Unregister (authenticated): EventDNOutOfService.
        ok = register(stack, u, "5001", expires=0, auth=digest(chal, "5001", "secret", uri),
                      call_id="reg-5001", cseq=5)
        assert sipraw.status_of(ok) == 200, ok
        wait_event(w, "5001", "EventDNOutOfService")
    finally:
        u.close()
        w.stop()


def test_no_password_registers_without_auth(stack):
    u = sipraw.Udp()
    r = register(stack, u, "5006", expires=0)
    u.close()
    assert sipraw.status_of(r) == 200, r


def test_expiry_puts_dn_out_of_service(stack):
    w = stack.watch("5006")
    u = sipraw.Udp()
    try:
        assert sipraw.status_of(register(stack, u, "5006", expires=1)) == 200
        wait_event(w, "5006", "EventDNBackInService")
        # No refresh: the binding expires after 1 s and the DN goes out of service.
        wait_event(w, "5006", "EventDNOutOfService", timeout=10)
        assert stack.wait_log(r"registration of 5006 .* expired", 5)
    finally:
        u.close()
        w.stop()


def test_unknown_and_wrong_type_dns(stack):
    u = sipraw.Udp()
    try:
        assert sipraw.status_of(register(stack, u, "4999")) == 404
        assert sipraw.status_of(register(stack, u, "trunk-in")) == 403
    finally:
        u.close()


def test_static_contact_and_untrusted_caller(stack, calls):
    """5007 has a static contact; the caller (From 5006, loopback not trusted here, 5006
    not registered) is not taken for 5006: the call comes in on the inbound trunk."""
    w = stack.watch("5006", "5007")
    try:
        phone = calls.sipp("uas_answer.xml", "5007", port=STATIC_PORT)
        uac = calls.call("uac_call.xml", "5007", "5006", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5007", "EventReleased")
        seqs = sequences(w, stack, ["5006", "5007"])
        assert names(seqs["5006"]) == [], dump(seqs)
        assert names(seqs["5007"]) == ["EventRinging", "EventEstablished", "EventReleased"], \
            dump(seqs)
        ringing = seqs["5007"][0]
        assert ringing["CallType"] == 2 and ringing["ANI"] == "5006", ringing
        assert stack.wait_log(r"leg 5007: INVITE sip:5007@127\.0\.0\.1:%d" % STATIC_PORT, 1)
    finally:
        w.stop()


def test_registration_flood_is_rate_limited(stack):
    """Run last: the source is throttled for a few seconds afterwards."""
    u = sipraw.Udp()
    codes = {}
    retry_after = None
    try:
        for i in range(60):
            r = register(stack, u, "5006", expires=0, call_id=f"flood-{i}")
            st = sipraw.status_of(r)
            codes[st] = codes.get(st, 0) + 1
            if st == 503:
                retry_after = sipraw.header(r, "Retry-After")
    finally:
        u.close()
    assert codes.get(503, 0) > 0 and codes.get(200, 0) > 0, codes
    assert codes[200] <= 20, codes  # burst of 2 s at 5/s plus what refilled meanwhile
    assert retry_after and int(retry_after.split()[0]) > 0, retry_after
    assert stack.wait_log(r"REGISTER flood from 127\.0\.0\.1", 5)
    assert stack.alive()
