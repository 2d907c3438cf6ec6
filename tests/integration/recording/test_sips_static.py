"""SIPS per DN: a DN whose static contact is `;transport=tls` (a PBX or phone at a fixed
address, here baresip's TLS listener) is called over TLS, certificate checked."""
import os
import re
import shutil
import tempfile

import pytest

from arectest.stack import finish
from rectest import TONE_A, recua, wait_event
from sipstest import make_pki, start_with_env, tls_baresip


@pytest.fixture(scope="module")
def env():
    tmp = tempfile.mkdtemp(prefix="arec-sips-pki-")
    pki = make_pki(tmp)
    # baresip first: its TLS port (sip_listen + 1) goes into the DN's static contact
    b = tls_baresip("6000", "127.0.0.1", pki, register=False)
    if b is None:
        pytest.skip("baresip (baresip-core) not installed")
    tls_port = b.sip_port + 1
    conf = open(os.path.join(tmp, "gatewayd.conf"), "w")
    conf.write(f"""[gateway]
site = sips-static
tlib-listen = 127.0.0.1:0
ws-listen = 127.0.0.1:0
sip-listen = 127.0.0.1:0
sips-listen = 127.0.0.1:0
sip-tls-cert-dir = {pki["good"]}
sip-tls-verify = out
trusted-networks = 127.0.0.0/8

[dn 5001]
type = Extension

[dn 6000]
type = Extension
contact = sip:127.0.0.1:{tls_port};transport=tls

[application demo]
password = demo
dns = *
""")
    conf.close()
    try:
        s = start_with_env(["--gateway-config", conf.name], {})
        try:
            yield s, b, tls_port
        finally:
            finish(s)
    finally:
        b.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_static_tls_contact_called_over_tls(env):
    stack, b, tls_port = env
    w = stack.watch("5001", "6000")
    h, p = stack.env["SIP_ADDR"].split(":")
    a = recua.Phone("5001", (h, int(p)), TONE_A)  # a UDP phone calls the TLS DN
    try:
        a.call("6000")
        b.expect("CALL_ESTABLISHED")
        assert a.wait_answered(15) == 200
        assert stack.wait_log(r"leg 6000: INVITE sip:6000@127\.0\.0\.1:%d;transport=tls"
                              % tls_port)
        wait_event(w, "6000", "EventEstablished")
        # the caller's dialog stays UDP: its target is not the TLS contact
        assert not re.search("transport=tls|^sips:", a.dialog["target"]), a.dialog
        a.hangup()
        b.expect("CALL_CLOSED")
        wait_event(w, "6000", "EventReleased")
    finally:
        a.close()
        w.stop()
