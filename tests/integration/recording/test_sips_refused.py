"""SIPS: gatewayd refuses mediad's certificate (signed by a CA it does not trust)."""
import pytest

from rectest import Call, ud_changes, wait_for, wait_ud
from sipstest import sips_stack


@pytest.fixture(scope="module")
def sstack():
    # gatewayd's cert dir 'wrongca' trusts only CA 2; mediad and the recorder use CA 1
    yield from sips_stack("wrongca")


def test_refused_mediad_certificate_fails_recording_fast_call_goes_on(sstack):
    stack, _ = sstack
    w = stack.watch("5001", "5010")
    c = Call(stack)  # UDP phones: only the gateway -> mediad hop is TLS
    try:
        # Reported well before the no-answer timer (20 s) and Timer B (32 s) would.
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off", timeout=15)
        assert "503" in off["UserData"]["GSIP_RECORD_REASON"], off["UserData"]
        assert stack.wait_log(r"TLS: peer certificate refused: \d+:.*\(certificate /CN=arec test ca1\)")
        assert stack.wait_log(r"leg sips:msml=\S+: TLS handshake failed .*reported as 503")
        assert stack.wait_log(r"recording \S+ failed: .*503")
        # the call is not left hanging: the parties still talk to each other
        base_a, base_b = c.a.rx_packets, c.b.rx_packets
        wait_for(lambda: c.a.rx_packets > base_a + 50 and c.b.rx_packets > base_b + 50,
                 what="audio after the failure")
        c.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
        assert ud_changes(w, "5010", "GSIP_RECORD")[-1] == "Off"
    finally:
        c.close()
        w.stop()


@pytest.fixture
def mediad_refuses():
    # mediad's cert dir 'wrongca' trusts only CA 2: gatewayd's CA 1 certificate is refused
    yield from sips_stack(None, mediad_dir_key="wrongca")


def test_mediad_refusing_gateway_certificate_fails_recording_fast(mediad_refuses):
    stack, _ = mediad_refuses
    w = stack.watch("5001", "5010")
    c = Call(stack)
    try:
        # mediad ends the handshake: sofia-sip fails the INVITE with 503 itself
        off = wait_ud(w, "5010", "GSIP_RECORD", "Off", timeout=15)
        assert "503" in off["UserData"]["GSIP_RECORD_REASON"], off["UserData"]
        assert stack.wait_log(r"leg sips:msml=\S+: INVITE failed 503")
        base = c.a.rx_packets
        wait_for(lambda: c.a.rx_packets > base + 50, what="audio after the failure")
        c.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
    finally:
        c.close()
        w.stop()
