"""SIPS on every hop: phones over TLS -> gatewayd -> TLS -> mediad -> TLS -> recorder."""
import pytest

from rectest import (TONE_A, TONE_B, dominant, gw_addr, read_wav, recua, wait_for,
                     wait_recording_done, wait_recording_live, wait_ud)
from recua_tls import TlsPhone
from sipstest import sips_addr, sips_stack, tls_baresip
from tlsharness import TLS_SETUP

# GSIP_RECORD=On comes with mediad's answer to the MSML; the WAV starts only once the
# recorder answered mediad's INVITE, over a TLS connection set up then: under ASan (full
# unwinding on every malloc, see tlsharness.TLS_SETUP) on a loaded machine that took
# longer than the 2 s of audio the tests wait for, leaving a WAV of a few samples. So
# every test waits for the recording to be up (its sidecar) before it counts the audio.


@pytest.fixture(scope="module")
def sstack():
    yield from sips_stack()


def test_tls_phones_recorded_over_tls_end_to_end(sstack):
    stack, pki = sstack
    assert stack.env.get("MEDIAD_SIPS_ADDR") and stack.env.get("RECORDER_SIPS_ADDR"), stack.env
    w = stack.watch("5001", "5010")
    # 5010 (record = true) registers over TLS; 5001 calls it over TLS
    b = TlsPhone("5010", sips_addr(stack), TONE_B, pki["ca"])
    a = TlsPhone("5001", sips_addr(stack), TONE_A, pki["ca"])
    try:
        assert b.register() == 200
        assert stack.wait_log(r"DN 5010 registered at sip:5010@127\.0\.0\.1:%d;transport=tls"
                              % b.port), stack.log()[-3000:]
        a.call("5010")
        assert a.wait_answered(15) == 200
        # the INVITE to 5010 went to its TLS contact (over the phone's own connection)
        assert b.wait(lambda e: e[0] == "invite", 10)
        on = wait_ud(w, "5010", "GSIP_RECORD", "On", timeout=20)
        fn = on["UserData"]["GSIP_REC_FN"]
        # gatewayd -> mediad over TLS (sips: Request-URI from the sips: msml contact)
        assert stack.wait_log(r"INVITE sips:msml=\S+;dn=5010;record"), stack.log()[-3000:]
        wait_for(lambda: a.reinvites >= 1 and b.reinvites >= 1, what="re-INVITEs to mediad")
        wait_recording_live(stack, fn, timeout=TLS_SETUP)
        base = a.rx_from_remote
        wait_for(lambda: a.rx_from_remote > base + 100, what="audio through mediad")
        a.hangup()
        b.wait(lambda e: e[0] == "bye", what="BYE at the callee")
        wait_ud(w, "5010", "GSIP_RECORD", "Off")
        side = wait_recording_done(stack, fn)
        # mediad -> recorder over TLS: the recorder saw a sips: Request-URI
        assert side["params"]["recordDN"] == "5010", side
        assert side["request_uri"].startswith("sips:record="), side
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        assert ch == 2
        mid = len(chans[0]) // 2
        assert dominant(chans[0][mid - 4000:mid + 4000]) == TONE_B
        assert dominant(chans[1][mid - 4000:mid + 4000]) == TONE_A
    finally:
        a.close()
        b.close()
        w.stop()


def test_udp_caller_to_tls_phone_keeps_each_transport(sstack):
    """A UDP phone calls a DN registered over TLS: the leg to the callee goes out over TLS,
    the caller's dialog stays plain SIP over UDP (its Contact is not the TLS one)."""
    stack, pki = sstack
    w = stack.watch("5002", "5010")
    b = TlsPhone("5010", sips_addr(stack), TONE_B, pki["ca"])
    a = recua.Phone("5002", gw_addr(stack), TONE_A)
    try:
        assert b.register() == 200
        a.call("5010")
        assert a.wait_answered(15) == 200
        assert b.wait(lambda e: e[0] == "invite", 10)
        target = a.dialog["target"]
        assert target.startswith("sip:") and "transport=tls" not in target, target
        on = wait_ud(w, "5010", "GSIP_RECORD", "On", timeout=20)
        wait_for(lambda: a.reinvites >= 1 and b.reinvites >= 1, what="re-INVITEs to mediad")
        wait_recording_live(stack, on["UserData"]["GSIP_REC_FN"], timeout=TLS_SETUP)
        base = b.rx_from_remote
        wait_for(lambda: b.rx_from_remote > base + 50, what="audio at the TLS phone")
        a.hangup()
        b.wait(lambda e: e[0] == "bye", what="BYE at the callee")
        side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        assert side["request_uri"].startswith("sips:record="), side
    finally:
        a.close()
        b.close()
        w.stop()


def test_baresip_over_tls_recorded(sstack):
    """A real softphone over TLS: baresip registers as 5010 (recorded) to the SIPS port
    and answers a TLS call by itself; the recording goes over TLS to the recorder."""
    stack, pki = sstack
    b = tls_baresip("5010", stack.env["SIPS_ADDR"], pki)
    if b is None:
        pytest.skip("baresip (baresip-core) not installed")
    w = stack.watch("5001", "5010")
    a = TlsPhone("5001", sips_addr(stack), TONE_B, pki["ca"])
    try:
        assert stack.wait_log(r"DN 5010 registered at sip:5010\S*;transport=tls", 15), b.log()
        a.call("5010")
        b.expect("CALL_ESTABLISHED")
        assert a.wait_answered(15) == 200
        on = wait_ud(w, "5010", "GSIP_RECORD", "On", timeout=20)
        wait_for(lambda: a.reinvites >= 1, what="re-INVITE to mediad")
        wait_recording_live(stack, on["UserData"]["GSIP_REC_FN"], timeout=TLS_SETUP)
        # Counted from mediad's address only: until baresip took its own re-INVITE its
        # audio comes straight to a, and none of it is recorded.
        base = a.rx_from_remote
        wait_for(lambda: a.rx_from_remote > base + 100, what="baresip's audio through mediad")
        a.hangup()
        b.expect("CALL_CLOSED")
        side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        assert side["request_uri"].startswith("sips:record="), side
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        mid = len(chans[0]) // 2
        assert dominant(chans[0][mid - 4000:mid + 4000]) == TONE_A  # baresip's 440 Hz
        assert dominant(chans[1][mid - 4000:mid + 4000]) == TONE_B
    finally:
        a.close()
        b.stop()
        w.stop()
