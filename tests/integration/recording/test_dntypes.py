"""Full-time recording on Trunk Group and Voice Treatment Port DNs (the seed's DN table:
"Trunk Group DN to record GVP interaction", "Voice Treatment Port DN to record GVP
interaction"): record = true on them records the calls they take part in."""
import os
import socket
import tempfile

from rectest import (TONE_A, TONE_B, dominant, gw_addr, read_wav, recua, wait_for,
                     wait_recording_done, wait_ud)

# The GVP side of each DN (the trunk group's far end, the IVR port) is a phone on a port
# known before the stack starts: the DN's static `contact` names it (such ports do not
# register: only Extension and ACD Position DNs do, docs/sip.md).
_socks = {}
for _dn in ("6100", "6200", "6300"):
    _socks[_dn] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    _socks[_dn].bind(("127.0.0.1", 0))


def _contact(dn):
    return "contact = sip:127.0.0.1:%d\n" % _socks[dn].getsockname()[1]

_extra = tempfile.NamedTemporaryFile("w", prefix="dntypes-", suffix=".conf", delete=False)
_extra.write("[dn 6100]\ntype = Trunk Group\n" + _contact("6100") + "record = true\n\n"
             "[dn 6200]\ntype = Voice Treatment Port\n" + _contact("6200") + "record = true\n\n"
             "[dn 6300]\ntype = Voice Treatment Port\n" + _contact("6300"))
_extra.close()
STACK_GATEWAY_EXTRA = _extra.name


def teardown_module(_):
    os.unlink(STACK_GATEWAY_EXTRA)
    for s in _socks.values():
        s.close()


class GvpPhone(recua.Phone):
    """The GVP side of a DN: answers on the port the DN's contact names."""

    def _open_sip(self):
        return _socks[self.dn]


def recorded_call(stack, callee, phone):
    """5001 calls callee (answered by phone): the recording's sidecar and WAV channels."""
    w = stack.watch("5001")
    a = recua.Phone("5001", gw_addr(stack), TONE_A)
    try:
        a.call(callee)
        assert a.wait_answered() == 200
        on = wait_ud(w, "5001", "GSIP_RECORD", "On")
        base = a.rx_packets
        wait_for(lambda: a.rx_packets > base + 100, what="audio through mediad")
        a.hangup()
        phone.wait(lambda e: e[0] == "bye", what="BYE at " + callee)
        wait_ud(w, "5001", "GSIP_RECORD", "Off")
        side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        ch, chans = read_wav(stack.env["RECORDER_DIR"] + "/" + side["wav"]["file"])
        mid = len(chans[0]) // 2
        return side, [dominant(c[mid - 4000:mid + 4000]) for c in chans]
    finally:
        a.close()
        w.stop()


def test_trunk_group_dn_with_record_true_is_recorded(stack):
    gvp = GvpPhone("6100", gw_addr(stack), TONE_B)
    try:
        side, tones = recorded_call(stack, "6100", gvp)
        assert side["params"]["recordDN"] == "6100" and side["params"]["otherDN"] == "5001"
        assert tones == [TONE_B, TONE_A]
    finally:
        gvp.close()


def test_voice_treatment_port_dn_with_record_true_is_recorded(stack):
    port = GvpPhone("6200", gw_addr(stack), TONE_B)
    try:
        side, tones = recorded_call(stack, "6200", port)
        assert side["params"]["recordDN"] == "6200" and side["params"]["otherDN"] == "5001"
        assert tones == [TONE_B, TONE_A]
    finally:
        port.close()


def test_voice_treatment_port_without_record_is_not_recorded(stack):
    w = stack.watch("5001", "6300")
    port = GvpPhone("6300", gw_addr(stack), TONE_B)
    a = recua.Phone("5001", gw_addr(stack), TONE_A)
    try:
        a.call("6300")
        assert a.wait_answered() == 200
        base = a.rx_packets
        wait_for(lambda: a.rx_packets > base + 50, what="audio")
        a.hangup()
        port.wait(lambda e: e[0] == "bye", what="BYE at 6300")
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "6300", 10)
        assert not [m for m in w.seen if "GSIP_RECORD" in (m.get("UserData") or {})]
        assert a.reinvites == 0 and port.reinvites == 0
    finally:
        a.close()
        port.close()
        w.stop()
