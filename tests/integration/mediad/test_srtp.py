"""SRTP through mediad: secure/clear parties x secure/clear recorders, rekeying, bad packets."""
import os
import re
import struct

import pytest

from mdharness import (MSML_AUDIT, Dialog, RtpParty, SipUA, msml_create, msml_state,
                       party_sdp, parse_stats, read_wav_ulaw, sdp_media_ports, wait_for,
                       ULAW_DEC)
from srtpharness import (AUTH_FAIL, FakeRecorder, SrtpParty, Srtp, crypto_key, gen_crypto,
                         savp_sdp, sdp_cryptos, sdp_protos)
from test_mediad import mediad, recorder, wait_sidecar  # noqa: F401  (fixtures)
from test_mediad import FREQ_A, FREQ_B, tone_of  # noqa: F401 (test_sips imports them from here)

class SCall:
    """Two legs; secure[i] says whether party i speaks SRTP (suite32[i]: 32-bit tags)."""

    def __init__(self, md, secure=(True, True), suite32=(False, False), conf="s1"):
        self.ua = SipUA(md.port)
        self.parties, self.legs, self.answers = [], {}, {}
        self.dns = ("1001", "1002")
        for i, (dn, freq) in enumerate(zip(self.dns, (FREQ_A, FREQ_B))):
            p = SrtpParty(freq, suite32[i]) if secure[i] else RtpParty(freq)
            dlg = Dialog(self.ua, f"sip:msml={conf}@127.0.0.1:{md.port};dn={dn};record")
            sdp = savp_sdp(p.port, p.key) if secure[i] else party_sdp(p.port)
            r, cseq = self.ua.invite(dlg, sdp)
            assert r.status == 200, r.first
            self.ua.ack(dlg, cseq)
            if secure[i]:
                assert sdp_protos(r.body) == ["RTP/SAVP"]
                ours = sdp_cryptos(r.body)[0]
                assert len(ours) == 1
                p.set_peer_key(ours[0])
            self.answers[dn] = r.body
            self.legs[dn] = dlg
            p.mediad = ("127.0.0.1", sdp_media_ports(r.body)[0][1])
            self.parties.append(p)
        self.a, self.b = self.parties

    def start_media(self):
        for p in self.parties:
            p.start(p.mediad)

    def info(self, xml):
        return self.ua.info(self.legs[self.dns[0]], xml)

    def stats(self):
        r = self.info(MSML_AUDIT)
        assert r.status == 200
        return parse_stats(r)

    def leg_stats(self, dn):
        return [s for s in self.stats() if s.get("leg") == dn][0]

    def wait_rec_packets(self, n):
        def ok():
            recs = [s for s in self.stats() if "rec" in s]
            return recs and all(s["tx_packets"] >= n for s in recs)
        wait_for(ok, what=f"{n} packets to the recorder", step=0.1)

    def hangup(self):
        for dlg in self.legs.values():
            assert self.ua.bye(dlg).status == 200
        for p in self.parties:
            p.stop()
        self.ua.close()


def decrypt_all(pkts, crypto):
    """Decrypt a recorder line's datagrams with one inbound context, as a recorder would:
    returns (clear RTP packets, failures)."""
    ctx = Srtp(crypto, False)
    out, fails = [], []
    for d in pkts:
        if 192 <= d[1] <= 223:
            continue
        rc, clear = ctx.unprotect(d)
        if rc == 0:
            out.append(clear)
        else:
            fails.append(rc)
    ctx.close()
    return out, fails


def samples(pkts):
    return [ULAW_DEC[b] for p in pkts for b in p[12:]]


def seqs(pkts):
    return [struct.unpack("!H", p[2:4])[0] for p in pkts]


def test_clear_call_secure_recording_survives_pause_and_restart(mediad):
    md = mediad()
    call = SCall(md, secure=(False, False))
    rec = FakeRecorder(SipUA, md.port, 2)
    try:
        call.start_media()
        assert call.info(msml_create({"id": "cs", "dest": rec.uri, "recmediactl": "1",
                                      "srtp": "true"}, ["1001", "1002"])).status == 200
        call.wait_rec_packets(50)
        assert call.info(msml_state("pause")).status == 200
        wait_for(lambda: len(rec.offers()) >= 2, what="pause re-INVITE")
        assert call.info(msml_state("resume")).status == 200
        wait_for(lambda: len(rec.offers()) >= 3, what="resume re-INVITE")
        n0 = call.stats()
        call.wait_rec_packets(max(s["tx_packets"] for s in n0 if "rec" in s) + 50)
        offers = rec.offers()
        first = sdp_cryptos(offers[0])
        assert sdp_protos(offers[0]) == ["RTP/SAVP", "RTP/SAVP"]
        assert all(len(c) == 1 for c in first)
        # Re-INVITEs keep the same keys: one context per stream for its whole life.
        assert all(sdp_cryptos(o) == first for o in offers[1:])
        assert crypto_key(first[0][0]) != crypto_key(first[1][0])
        assert crypto_key(first[0][0]) not in offers[0].split("a=crypto:")[0]
        for line, freq in ((0, FREQ_A), (1, FREQ_B)):
            clear, fails = decrypt_all(rec.pkts[line], first[line][0])
            # No replay or auth failure across pause/resume: seq stays continuous.
            assert fails == [] and len(clear) > 90
            s = seqs(clear)
            assert all(((b - a) & 0xFFFF) == 1 for a, b in zip(s, s[1:]))
            assert tone_of(samples(clear)) == freq
        # Stop and start again: a new session, new keys, decryptable from its first packet.
        assert call.info(msml_state("stop")).status == 200
        for p in rec.pkts:
            p.clear()
        nbefore = len(offers)
        assert call.info(msml_create({"id": "cs2", "dest": rec.uri, "recmediactl": "1",
                                      "srtp": "true"}, ["1001", "1002"])).status == 200
        wait_for(lambda: len(rec.offers()) > nbefore, what="new recording INVITE")
        call.wait_rec_packets(30)
        second = sdp_cryptos(rec.offers()[nbefore])
        assert crypto_key(second[0][0]) != crypto_key(first[0][0])
        clear, fails = decrypt_all(rec.pkts[0], second[0][0])
        assert fails == [] and len(clear) >= 30
    finally:
        call.hangup()
        rec.close()


def test_secure_call_clear_recording_and_srtcp(mediad, recorder):
    r = recorder()
    md = mediad()
    call = SCall(md, secure=(True, True), suite32=(False, True))
    try:
        # mediad's keys toward the parties are its own, never the party's.
        for dn, p in zip(call.dns, call.parties):
            ours = sdp_cryptos(call.answers[dn])[0][0]
            assert crypto_key(ours) != crypto_key(p.key)
            assert ours.split()[1] == p.key.split()[1]  # same suite as offered
        call.start_media()
        assert call.info(msml_create({"id": "sc", "dest": f"sip:127.0.0.1:{r.port}",
                                      "recmediactl": "1"}, ["1001", "1002"])).status == 200
        call.wait_rec_packets(100)
        # SRTCP: A's protected RR reaches B protected with mediad's key toward B.
        import socket
        rtcp_b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtcp_b.bind(("127.0.0.1", call.b.port + 1))
        rtcp_b.settimeout(0.2)
        rr = struct.pack("!BBHI", 0x80, 201, 1, call.a.ssrc)
        sent = call.a.tx.protect(rr, rtcp=True)
        got = None
        for _ in range(20):
            call.a.sock.sendto(sent, (call.a.mediad[0], call.a.mediad[1] + 1))
            try:
                got, _ = rtcp_b.recvfrom(2048)
                break
            except socket.timeout:
                continue
        rtcp_b.close()
        assert got is not None and got != rr
        rc, clear = Srtp(sdp_cryptos(call.answers["1002"])[0][0], False).unprotect(got, rtcp=True)
        assert rc == 0 and clear[1] == 201 and len(clear) == 8
        st = call.stats()
    finally:
        call.hangup()
    assert call.a.rx_fail == 0 and call.b.rx_fail == 0
    assert tone_of(call.a.received_samples()) == FREQ_B
    assert tone_of(call.b.received_samples()) == FREQ_A
    legs = [s for s in st if "leg" in s]
    assert all(s["srtp_auth_fail"] == 0 and s["srtp_replay"] == 0 for s in legs)
    wait_sidecar(r, "sc")
    ch, data = read_wav_ulaw(os.path.join(r.dir, "sc.wav"))
    assert tone_of([ULAW_DEC[b] for b in data[0][-8000:]]) == FREQ_A


def test_secure_call_rekeyed_secure_recording(mediad):
    md = mediad()
    call = SCall(md, secure=(True, True))
    rec = FakeRecorder(SipUA, md.port, 2)
    try:
        call.start_media()
        assert call.info(msml_create({"id": "ss", "dest": rec.uri, "recmediactl": "1",
                                      "srtp": "1"}, ["1001", "1002"])).status == 200
        call.wait_rec_packets(60)
        offer = rec.offers()[0]
        key = sdp_cryptos(offer)[0][0]
        escrow = {crypto_key(p.key) for p in call.parties}
        escrow |= {crypto_key(sdp_cryptos(a)[0][0]) for a in call.answers.values()}
        assert crypto_key(key) not in escrow  # the seed's key-escrow point
        for k in escrow:
            assert k not in offer
        clear, fails = decrypt_all(rec.pkts[0], key)
        assert fails == [] and len(clear) >= 60
        assert tone_of(samples(clear)) == FREQ_A
        # The party's key cannot decrypt the recording.
        _, fails = decrypt_all(rec.pkts[0][:5], call.a.key)
        assert len(fails) == 5 and all(f == AUTH_FAIL for f in fails)
        # Keys are never logged (debug level): fingerprints only.
        with open(md.log.name) as f:
            log = f.read()
        assert "inline:" not in log and " key " in log
        for k in escrow | {crypto_key(key)}:
            assert k not in log
    finally:
        call.hangup()
        rec.close()


def test_wrong_key_truncated_tag_and_replay_counted(mediad):
    md = mediad()
    call = SCall(md, secure=(True, True))
    try:
        # A declares one key and encrypts with another; B replays every packet once.
        call.a.set_send_key(gen_crypto(1))
        call.b.mangle = lambda w: [w, w]
        call.start_media()
        wait_for(lambda: call.leg_stats("1001")["srtp_auth_fail"] >= 40, what="auth failures")
        wait_for(lambda: call.leg_stats("1002")["srtp_replay"] >= 40, what="replays")
        sa, sb = call.leg_stats("1001"), call.leg_stats("1002")
        assert sa["rx_packets"] == 0  # nothing from the wrong key got through
        assert sb["rx_packets"] >= 40 and sb["srtp_auth_fail"] == 0
        # Truncated tags (cut by 1 and by 9 bytes) are auth failures, never relayed.
        n0 = sb["rx_packets"]
        call.b.mangle = lambda w: [w[:-1], w[:-9]]
        wait_for(lambda: call.leg_stats("1002")["srtp_auth_fail"] >= 40, what="truncated")
        sb2 = call.leg_stats("1002")
        assert sb2["rx_packets"] - n0 <= 2
        # The call is untouched: good packets flow again.
        call.b.mangle = None
        wait_for(lambda: call.leg_stats("1002")["rx_packets"] >= sb2["rx_packets"] + 20,
                 what="recovery")
    finally:
        call.hangup()
    assert call.a.received and tone_of(call.a.received_samples()) == FREQ_B
    assert not call.b.received  # A's packets never decrypted at mediad


def test_rekey_on_reinvite(mediad):
    md = mediad()
    call = SCall(md, secure=(True, True))
    try:
        call.start_media()
        wait_for(lambda: len(call.b.received) >= 20, what="B hears A")
        old_ours = sdp_cryptos(call.answers["1001"])[0][0]
        new = gen_crypto(2)
        dlg = call.legs["1001"]
        r, cseq = call.ua.invite(dlg, savp_sdp(call.a.port, new, version=2))
        assert r.status == 200
        call.ua.ack(dlg, cseq)
        ours = sdp_cryptos(r.body)[0][0]
        # Our key toward A is kept (continuous SRTP index), the tag follows A's offer.
        assert crypto_key(ours) == crypto_key(old_ours) and ours.startswith("2 ")
        call.a.set_send_key(new)
        n = len(call.b.received)
        wait_for(lambda: len(call.b.received) >= n + 50, what="B hears A after rekey")
        fails = call.leg_stats("1001")["srtp_auth_fail"]
        assert fails <= 5  # at most the packets in flight during the switch
        # The old key is now refused.
        call.a.set_send_key(call.a.key)
        wait_for(lambda: call.leg_stats("1001")["srtp_auth_fail"] >= fails + 20,
                 what="old key refused")
    finally:
        call.hangup()
    assert call.a.rx_fail == 0


@pytest.mark.parametrize("fallback", [None, "clear"])
def test_recorder_answering_rtp_avp(mediad, fallback):
    md = mediad(*(["--recorder-srtp-fallback", fallback] if fallback else []),
                "--recorder-srtp", "on")
    call = SCall(md, secure=(True, False))
    rec = FakeRecorder(SipUA, md.port, 2, proto="RTP/AVP")
    try:
        call.start_media()
        assert call.info(msml_create({"id": "fb", "dest": rec.uri, "recmediactl": "1"},
                                     ["1001", "1002"])).status == 200
        wait_for(lambda: rec.offers(), what="INVITE to the recorder")
        assert sdp_protos(rec.offers()[0]) == ["RTP/SAVP", "RTP/SAVP"]
        if fallback == "clear":
            wait_for(lambda: len(rec.pkts[0]) >= 50, what="clear RTP to the recorder")
            assert tone_of(samples(rec.pkts[0])) == FREQ_A
        else:
            def reported():
                for m in call.ua.infos_from_mediad():
                    if "msml.recorder.error" in m.body:
                        return m.body
                return None
            body = wait_for(reported, what="failure report")
            assert re.search(r"SRTP", body)
            assert not rec.pkts[0]
    finally:
        call.hangup()
        rec.close()
