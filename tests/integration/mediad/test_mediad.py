"""mediad against real peers: a gateway-playing SIP UA, RTP parties and arec-recorder."""
import json
import os
import socket
import struct

import pytest

from mdharness import (BUILD, MSML_AUDIT, Daemon, Dialog, RtpParty, SipUA, dominant,
                       find_binary, msml_create, msml_state, party_sdp, parse_stats,
                       read_wav_ulaw, sdp_media_ports, wait_for)

FREQ_A, FREQ_B = 440, 1000
CANDIDATES = [FREQ_A, FREQ_B, 700, 1400]

_port_base = [41000]


def next_range(n=200):
    lo = _port_base[0]
    _port_base[0] += n
    return lo, lo + n - 1


@pytest.fixture
def mediad(tmp_path):
    def start(*extra):
        lo, hi = next_range()
        pf = tmp_path / f"mediad{lo}.ports"
        d = Daemon([find_binary("mediad", ["mediad"]), "--sip", "127.0.0.1:0", "--rtp-ports",
                    f"{lo}-{hi}", "--ports-file", str(pf), "--log-level", "debug", *extra],
                   str(pf), str(tmp_path / f"mediad{lo}.log"))
        started.append(d)
        return d
    started = []
    yield start
    for d in started:
        rc = d.stop()
        assert rc == 0, f"mediad exited with {rc} (see its log in {tmp_path})"


@pytest.fixture
def recorder(tmp_path):
    def start(name="rec", *extra):
        d = tmp_path / name
        d.mkdir()
        pf = tmp_path / f"{name}.ports"
        r = Daemon([find_binary("arec-recorder", ["recorder"]), "--sip", "127.0.0.1:0", "--dir",
                    str(d), "--ports-file", str(pf), *extra], str(pf),
                   str(tmp_path / f"{name}.log"))
        r.dir = str(d)
        r.log_path = str(tmp_path / f"{name}.log")
        started.append(r)
        return r
    started = []
    yield start
    for r in started:
        r.stop()


class Call:
    """Two party legs INVITEd to mediad by the 'gateway', with their RTP running."""

    def __init__(self, md, conf="c1", dn_a="1001", dn_b="1002", video=False, ruri_extra="",
                 rtcp=None):
        self.ua = SipUA(md.port)
        self.a, self.b = RtpParty(FREQ_A), RtpParty(FREQ_B)
        self.legs = {}
        for dn, party in ((dn_a, self.a), (dn_b, self.b)):
            dlg = Dialog(self.ua, f"sip:msml={conf}@127.0.0.1:{md.port};dn={dn};record{ruri_extra}")
            vport = party.port + 2 if video else None
            r, cseq = self.ua.invite(dlg, party_sdp(party.port, vport,
                                                    rtcp=rtcp.get(dn) if rtcp else None))
            assert r.status == 200, r.first
            self.ua.ack(dlg, cseq)
            self.legs[dn] = dlg
            party.mediad = ("127.0.0.1", sdp_media_ports(r.body)[0][1])
        self.dn_a, self.dn_b = dn_a, dn_b

    def rfc3725_reinvite(self, dn, party):
        """re-INVITE without SDP: mediad offers, the ACK carries the party's answer."""
        dlg = self.legs[dn]
        r, cseq = self.ua.invite(dlg)
        assert r.status == 200 and "m=audio" in r.body
        self.ua.ack(dlg, cseq, party_sdp(party.port, version=2))
        return r

    def start_media(self):
        self.a.start(self.a.mediad)
        self.b.start(self.b.mediad)

    def info(self, xml, dn=None):
        return self.ua.info(self.legs[dn or self.dn_a], xml)

    def stats(self):
        r = self.info(MSML_AUDIT)
        assert r.status == 200
        return parse_stats(r)

    def wait_rec_packets(self, n, count=None):
        """Wait until count recorder streams (default: all) have sent at least n packets."""
        def ok():
            recs = [s for s in self.stats() if "rec" in s]
            done = [s for s in recs if s["tx_packets"] >= n]
            return recs and len(done) >= (count if count is not None else len(recs))
        wait_for(ok, what=f"{n} packets to the recorder", step=0.1)

    def hangup(self):
        for dlg in self.legs.values():
            r = self.ua.bye(dlg)
            assert r.status == 200
        self.a.stop()
        self.b.stop()
        self.ua.close()


def wait_sidecar(rec, record_id):
    path = os.path.join(rec.dir, record_id + ".json")

    def done():
        try:
            with open(path) as f:
                j = json.load(f)
            return j if j.get("state") == "ended" else None
        except (FileNotFoundError, json.JSONDecodeError):
            return None
    return wait_for(done, what=f"sidecar {path}")


def tone_of(samples):
    f, share = dominant(samples, CANDIDATES)
    return f if share > 0.6 else None


def test_options_health(mediad):
    md = mediad()
    ua = SipUA(md.port)
    try:
        assert ua.options().status == 200
    finally:
        ua.close()


def test_bridge_and_two_sessions(mediad, recorder):
    rec = recorder()
    md = mediad()
    call = Call(md)
    call.rfc3725_reinvite(call.dn_a, call.a)
    call.start_media()
    r = call.info(msml_create({"record": "source", "id": "r2s",
                               "dest": f"sip:127.0.0.1:{rec.port}", "recmediactl": "2",
                               "recordDN": "1001"}, ["1001", "1002"]))
    assert r.status == 200, r.body
    call.wait_rec_packets(100, count=2)
    st = call.stats()
    call.hangup()
    # Bridged audio: A hears B's tone and B hears A's.
    assert tone_of(call.a.received_samples()) == FREQ_B
    assert tone_of(call.b.received_samples()) == FREQ_A
    legs = [s for s in st if "leg" in s]
    assert all(s["rx_packets"] > 50 and s["foreign"] == 0 for s in legs)
    for dn, freq in (("1001", FREQ_A), ("1002", FREQ_B)):
        j = wait_sidecar(rec, f"r2s-{dn}")
        assert j["params"]["dn"] == dn and j["params"]["recordDN"] == "1001"
        ch, data = read_wav_ulaw(os.path.join(rec.dir, f"r2s-{dn}.wav"))
        assert ch == 1
        assert tone_of([x for x in map(_dec, data[0][-8000:])]) == freq


def _dec(b):
    from mdharness import ULAW_DEC
    return ULAW_DEC[b]


def test_one_session_two_streams_and_video_rejected(mediad, recorder):
    rec = recorder("rec", "--reject-video")
    md = mediad()
    call = Call(md, video=True)
    call.start_media()
    r = call.info(msml_create({"id": "one", "dest": f"sip:127.0.0.1:{rec.port}",
                               "recmediactl": "1"}, ["1001", "1002"]))
    assert r.status == 200, r.body
    call.wait_rec_packets(100, count=2)
    call.hangup()
    j = wait_sidecar(rec, "one")
    assert j["params"]["dn"] == "1001" and j["params"]["otherDN"] == "1002"
    media = [s["media"] for s in j["streams"]]
    assert media.count("video") == 2
    assert not any(s["accepted"] for s in j["streams"] if s["media"] == "video")
    ch, data = read_wav_ulaw(os.path.join(rec.dir, "one.wav"))
    assert ch == 2
    assert tone_of([_dec(b) for b in data[0][-8000:]]) == FREQ_A
    assert tone_of([_dec(b) for b in data[1][-8000:]]) == FREQ_B
    # A rejected video stream is not a failure: one "stream off" event per video line.
    events = [i.body for i in call.ua.infos_from_mediad()]
    assert not [b for b in events if "msml.recorder.error" in b]
    off = [b for b in events if "msml.recorder.stream" in b]
    assert len(off) == 2 and all("<value>video</value>" in b and "<value>off</value>" in b
                                 for b in off)


def test_pause_resume_and_siprec(mediad, recorder):
    rec = recorder()
    md = mediad()
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "ps", "dest": f"sip:127.0.0.1:{rec.port}",
                               "recmediactl": "1", "dialect": "siprec"}, ["1001", "1002"]))
    assert r.status == 200
    call.wait_rec_packets(50)
    assert call.info(msml_state("pause")).status == 200
    before = {s["rec"]: s["tx_packets"] for s in call.stats() if "rec" in s}
    # While paused nothing goes to the recorder although the parties keep talking.
    a_rx = len(call.a.received)
    wait_for(lambda: len(call.a.received) > a_rx + 50, what="bridged media during pause")
    during = {s["rec"]: s["tx_packets"] for s in call.stats() if "rec" in s}
    assert during == before
    assert call.info(msml_state("resume")).status == 200
    call.wait_rec_packets(max(before.values()) + 50)
    call.hangup()
    j = wait_sidecar(rec, "ps")
    assert j["dialect"] == "siprec"
    assert len(j["siprec"]["participants"]) == 2
    assert len(j["siprec"]["streams"]) == 2
    assert len(j["pauses"]) == 1
    assert j["sdp_version_changes"] >= 2


def test_failure_report_media_keeps_flowing(mediad, recorder):
    rec = recorder("rec", "--reject", "486")
    md = mediad()
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "bad", "dest": f"sip:127.0.0.1:{rec.port}"},
                              ["1001", "1002"]))
    assert r.status == 200
    infos = wait_for(call.ua.infos_from_mediad, what="failure INFO from mediad")
    body = infos[0].body
    assert "msml.recorder.error" in body and "486" in body and "bad-1001" in body
    n = len(call.b.received)
    wait_for(lambda: len(call.b.received) > n + 25, what="media after the failure")
    call.hangup()


def test_duplicate_to_two_recorders(mediad, recorder):
    rec1, rec2 = recorder("rec1"), recorder("rec2")
    md = mediad()
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "dup", "dest": f"sip:127.0.0.1:{rec1.port}",
                               "dest2": f"sip:127.0.0.1:{rec2.port}", "recmediactl": "1"},
                              ["1001", "1002"]))
    assert r.status == 200
    call.wait_rec_packets(100, count=4)
    call.hangup()
    j1, j2 = wait_sidecar(rec1, "dup"), wait_sidecar(rec2, "dup-2")
    assert j1["record_id"] != j2["record_id"]
    for rec, rid in ((rec1, "dup"), (rec2, "dup-2")):
        ch, data = read_wav_ulaw(os.path.join(rec.dir, rid + ".wav"))
        assert ch == 2
        assert tone_of([_dec(b) for b in data[1][-8000:]]) == FREQ_B


def test_foreign_source_and_garbage_counted(mediad):
    md = mediad()
    call = Call(md)
    call.start_media()
    wait_for(lambda: len(call.b.received) > 10, what="bridged media")
    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    intruder.bind(("127.0.0.1", 0))
    evil = struct.pack("!BBHII", 0x80, 0, 1, 1, 0xBADBAD) + bytes([0x55]) * 160
    for _ in range(20):
        intruder.sendto(evil, call.a.mediad)                      # foreign source
        intruder.sendto(b"\x00garbage", call.a.mediad)            # not RTP at all
        intruder.sendto(b"\x80\xc8\x00", (call.a.mediad[0], call.a.mediad[1] + 1))  # bad RTCP
    intruder.close()

    def counted():
        s = [x for x in call.stats() if x.get("leg") == "1001"][0]
        return s if s["foreign"] >= 20 and s["malformed"] >= 40 else None
    s = wait_for(counted, what="foreign/malformed counters", step=0.1)
    assert s["foreign"] == 20
    # The latched party is still the one being bridged: B never hears the intruder.
    n = len(call.b.received)
    wait_for(lambda: len(call.b.received) > n + 25, what="media after the intrusion")
    ssrcs = {x[2] for x in call.b.received}
    assert len(ssrcs) == 1
    assert all(p[3] != bytes([0x55]) * 160 for p in call.b.received)
    call.hangup()


def test_bad_input_rejected(mediad):
    md = mediad("--max-ports", "2")
    ua = SipUA(md.port)
    try:
        p = RtpParty(FREQ_A)
        # 50 m= lines: refused with 488, no crash.
        sdp = party_sdp(p.port) + "".join(f"m=audio {5000 + 2 * i} RTP/AVP 0\r\n" for i in range(50))
        r, _ = ua.invite(Dialog(ua, f"sip:msml=x@127.0.0.1:{md.port};dn=1;record"), sdp)
        assert r.status == 488
        # Absurd port.
        r, _ = ua.invite(Dialog(ua, f"sip:msml=x@127.0.0.1:{md.port};dn=1;record"),
                         party_sdp(70000))
        assert r.status == 488
        # Capacity: two port pairs -> the third leg gets 503.
        ok = []
        for i in range(2):
            d = Dialog(ua, f"sip:msml=cap{i}@127.0.0.1:{md.port};dn={i};record")
            r, cseq = ua.invite(d, party_sdp(p.port))
            assert r.status == 200
            ua.ack(d, cseq)
            ok.append(d)
        r, _ = ua.invite(Dialog(ua, f"sip:msml=cap9@127.0.0.1:{md.port};dn=9;record"),
                         party_sdp(p.port))
        assert r.status == 503
        # MSML that is not XML, and one naming an unknown connection.
        assert ua.info(ok[0], "not xml at all").status == 400
        r = ua.info(ok[0], msml_create({"dest": "sip:127.0.0.1:9"}, ["nobody"]))
        assert r.status == 400 and "UNKNOWN_CONN" in r.body
        for d in ok:
            assert ua.bye(d).status == 200
        p.stop()
    finally:
        ua.close()


def test_recorder_timeout_and_drop_reported(mediad, recorder):
    slow = recorder("slow", "--answer-delay", "5000")
    drop = recorder("drop", "--drop-after", "1")
    md = mediad("--rec-timeout", "300")
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "t", "dest": f"sip:127.0.0.1:{slow.port}",
                               "dest2": f"sip:127.0.0.1:{drop.port}", "id2": "d",
                               "recmediactl": "1"}, ["1001", "1002"]))
    assert r.status == 200
    infos = wait_for(lambda: len(call.ua.infos_from_mediad()) >= 2 and call.ua.infos_from_mediad(),
                     what="two failure reports")
    bodies = "".join(i.body for i in infos)
    assert "<value>t</value>" in bodies and "408" in bodies
    assert "<value>d</value>" in bodies and "BYE" in bodies
    # Both recorders are gone, the parties still hear each other.
    n = len(call.a.received)
    wait_for(lambda: len(call.a.received) > n + 25, what="media after the failures")
    assert not [s for s in call.stats() if "rec" in s]
    call.hangup()


def test_party_mute_pauses_and_reinvite_keeps_continuity(mediad, recorder):
    rec = recorder()
    md = mediad()
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "mute", "dest": f"sip:127.0.0.1:{rec.port}",
                               "recmediactl": "1"}, ["1001", "1002"]))
    assert r.status == 200
    call.wait_rec_packets(50)
    dlg = call.legs["1001"]
    # Party A mutes (a=inactive): the recording pauses.
    r, cseq = call.ua.invite(dlg, party_sdp(call.a.port, version=2, direction="inactive"))
    assert r.status == 200
    call.ua.ack(dlg, cseq)
    # The recorder must have taken the pause before A comes back: an unmute that overtakes
    # mediad's pause re-INVITE to the recorder is coalesced with it (nothing to pause).
    wait_for(lambda: "mute: paused" in open(rec.log_path).read(), what="the recorder's pause")
    # Party A comes back on a new port with a new SSRC (a transfer-like media change).
    old = call.a
    call.a = RtpParty(FREQ_A)
    r, cseq = call.ua.invite(dlg, party_sdp(call.a.port, version=3))
    assert r.status == 200
    call.ua.ack(dlg, cseq)
    old.stop()
    call.a.start(("127.0.0.1", sdp_media_ports(r.body)[0][1]))
    n = len(call.b.received)
    wait_for(lambda: len(call.b.received) > n + 50, what="media from the moved party")
    call.hangup()
    # B saw one SSRC and no sequence gaps other than the mute (continuous numbering).
    pkts = call.b.received
    assert len({p[2] for p in pkts}) == 1
    seqs = [p[0] for p in pkts]
    steps = [(b - a) & 0xFFFF for a, b in zip(seqs, seqs[1:])]
    assert all(s == 1 for s in steps), steps[:20]
    j = wait_sidecar(rec, "mute")
    assert len(j["pauses"]) >= 1
    assert j["sdp_version_changes"] >= 2


def test_garbage_sdp_from_recorder_reported(mediad):
    md = mediad()
    fake = SipUA(md.port)  # plays a broken recorder: 200 OK with garbage "SDP"
    fake.invite_answer = ("application/sdp", "this is not SDP\r\nm=audio 99999999 RTP/AVP 0\r\n")
    call = Call(md)
    call.start_media()
    try:
        r = call.info(msml_create({"id": "garb", "dest": f"sip:127.0.0.1:{fake.port}",
                                   "recmediactl": "1"}, ["1001", "1002"]))
        assert r.status == 200
        infos = wait_for(call.ua.infos_from_mediad, what="failure INFO for garbage SDP")
        assert "unusable SDP" in infos[0].body and "<value>garb</value>" in infos[0].body
        # mediad ended the dialog it had accepted.
        wait_for(lambda: [q for q in fake.requests if q.method == "BYE"], what="BYE to the recorder")
        n = len(call.b.received)
        wait_for(lambda: len(call.b.received) > n + 25, what="media after the failure")
    finally:
        call.hangup()
        fake.close()


def test_garbage_on_one_call_leaves_another_untouched(mediad):
    md = mediad()
    victim, healthy = Call(md, conf="v"), Call(md, conf="h", dn_a="2001", dn_b="2002")
    victim.start_media()
    healthy.start_media()
    wait_for(lambda: len(healthy.b.received) > 10, what="healthy call media")
    junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(200):
        junk.sendto(bytes([i % 256]) * (i % 40), victim.a.mediad)
        junk.sendto(b"\x80" + bytes(11) + b"x" * 3000, victim.b.mediad)
    junk.close()
    n = len(healthy.a.received)
    wait_for(lambda: len(healthy.a.received) > n + 50, what="healthy media after the junk")
    for s in healthy.stats():
        assert s["foreign"] == 0 and s["malformed"] == 0
    v = {s["leg"]: s for s in victim.stats()}
    assert v["1001"]["malformed"] + v["1001"]["foreign"] >= 150
    assert v["1002"]["malformed"] >= 100  # oversized datagrams are cut by recvmmsg: dropped
    victim.hangup()
    healthy.hangup()


def test_uri_defaults_and_gvp_override(mediad, recorder):
    rec = recorder()
    md = mediad()
    # The Request-URI asks for one session and a bogus recorder; gvp:param fixes the dest.
    call = Call(md, ruri_extra=";recmediactl=1;dest=sip:127.0.0.1:9;custom=fromuri")
    call.start_media()
    r = call.info(msml_create({"id": "ovr", "dest": f"sip:127.0.0.1:{rec.port}"}, ["1001", "1002"]))
    assert r.status == 200, r.body
    call.wait_rec_packets(50, count=2)
    call.hangup()
    j = wait_sidecar(rec, "ovr")  # one session (recmediactl=1 from the URI) at the real dest
    assert j["params"]["otherDN"] == "1002"
    assert ";custom=fromuri" in j["request_uri"]  # unknown params reach the recorder


def test_rtcp_passed_to_the_other_party(mediad):
    md = mediad()
    rtcp_b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp_b.bind(("127.0.0.1", 0))
    rtcp_b.settimeout(5)
    call = Call(md, rtcp={"1002": rtcp_b.getsockname()[1]})
    call.start_media()
    wait_for(lambda: len(call.b.received) > 5 and len(call.a.received) > 5, what="media both ways")
    a_rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rr = struct.pack("!BBHI", 0x80, 201, 1, 0xA11CE)  # RR, no report blocks
    a_rtcp.sendto(rr, (call.a.mediad[0], call.a.mediad[1] + 1))
    data = rtcp_b.recv(1500)
    assert data[1] == 201 and len(data) == 8
    ssrc_b_sees = {p[2] for p in call.b.received}
    assert struct.unpack("!I", data[4:8])[0] in ssrc_b_sees  # sender SSRC = the relayed stream's
    st = [s for s in call.stats() if s["leg"] == "1001"][0]
    assert st["rtcp"] == 1
    a_rtcp.close()
    rtcp_b.close()
    call.hangup()


def test_siprec_wire_format_and_session_timer(mediad):
    md = mediad()
    fake = SipUA(md.port)  # a recorder that shows us the raw INVITE
    sink = RtpParty(FREQ_A)  # only its socket is used, as the media sink
    fake.invite_answer = ("application/sdp",
                          "v=0\r\no=r 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                          f"m=audio {sink.port} RTP/AVP 0\r\na=recvonly\r\n"
                          f"m=audio {sink.port} RTP/AVP 0\r\na=recvonly\r\n")
    call = Call(md)
    call.start_media()
    try:
        r = call.info(msml_create({"id": "wire", "dest": f"sip:127.0.0.1:{fake.port}",
                                   "recmediactl": "1", "dialect": "siprec",
                                   "calluuid": "UUID-1"}, ["1001", "1002"]))
        assert r.status == 200
        inv = wait_for(lambda: [q for q in fake.requests if q.method == "INVITE"],
                       what="recording INVITE")[0]
        assert inv.uri.startswith("sip:record=wire@127.0.0.1:")
        assert ";calluuid=UUID-1;dn=1001;recordDN=1001;otherDN=1002" in inv.uri
        assert "siprec" in inv.get("require")
        assert "+sip.src" in inv.get("contact", "m")
        assert inv.get("session-expires", "x") is not None
        ctype = inv.get("content-type", "c")
        assert ctype.startswith("multipart/mixed") and "boundary=" in ctype
        body = inv.body
        assert "Content-Type: application/sdp" in body
        assert "Content-Type: application/rs-metadata+xml" in body
        assert "Content-Disposition: recording-session" in body
        assert body.count("a=sendonly") == 2 and "a=label:1" in body and "a=label:2" in body
        assert "<label>1</label>" in body and '<nameID aor="sip:1002@mediad">' in body
        # replicated media reaches the recorder before we pause it
        wait_for(lambda: len(sink.received) > 0, what="replicated media at the recorder")
        # Pause: a re-INVITE with every stream inactive and a higher o= version.
        assert call.info(msml_state("pause")).status == 200
        re_inv = wait_for(lambda: [q for q in fake.requests if q.method == "INVITE"][1:],
                          what="pause re-INVITE")[0]
        assert re_inv.body.count("a=inactive") == 2 and "a=sendonly" not in re_inv.body
        v1 = int(body.split("o=mediad ")[1].split()[1])
        v2 = int(re_inv.body.split("o=mediad ")[1].split()[1])
        assert v2 == v1 + 1
        assert len(sink.received) > 0  # replicated media arrived before the pause
    finally:
        call.hangup()
        fake.close()
        sink.stop()


def test_pause_while_invite_pending_is_applied_after(mediad, recorder):
    rec = recorder("slow", "--answer-delay", "400")
    md = mediad()
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "q", "dest": f"sip:127.0.0.1:{rec.port}",
                               "recmediactl": "1"}, ["1001", "1002"]))
    assert r.status == 200
    # Pause and resume while the INVITE is still unanswered, then pause again.
    assert call.info(msml_state("pause")).status == 200
    assert call.info(msml_state("resume")).status == 200
    assert call.info(msml_state("pause")).status == 200
    # Once the INVITE completes, the pending pause follows as a re-INVITE; at rest the
    # session is active (no transaction pending) and no media went to the recorder.
    def settled():
        s = [x for x in call.stats() if "rec" in x]
        return s if s and all(x["state"] == "active" for x in s) else None
    s = wait_for(settled, what="session settled", step=0.05)
    assert all(x["tx_packets"] == 0 for x in s)
    assert call.info(msml_state("resume")).status == 200
    call.wait_rec_packets(25)
    call.hangup()
    j = wait_sidecar(rec, "q")
    assert len(j["pauses"]) >= 1


def test_sigterm_ends_every_dialog(mediad, recorder):
    rec = recorder()
    md = mediad()
    call = Call(md)
    call.start_media()
    r = call.info(msml_create({"id": "term", "dest": f"sip:127.0.0.1:{rec.port}"},
                              ["1001", "1002"]))
    assert r.status == 200
    call.wait_rec_packets(20, count=2)
    assert md.stop() == 0  # clean exit (and, in sanitizer builds, no leak reports)
    for dn in ("1001", "1002"):
        assert wait_sidecar(rec, f"term-{dn}")["state"] == "ended"  # BYE reached the recorder
    wait_for(lambda: len({q.get("call-id", "i") for q in call.ua.requests
                          if q.method == "BYE"}) == 2, what="a BYE on each leg")
    call.a.stop()
    call.b.stop()
    call.ua.close()
