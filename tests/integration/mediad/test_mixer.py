"""Conference mixer: three parties in one MSML conference, each hearing the other two and not itself."""
from mdharness import (Dialog, RtpParty, SipUA, dominant, goertzel, party_sdp, sdp_media_ports,
                       wait_for)
from test_mediad import mediad, recorder  # noqa: F401 (fixtures)

FREQS = {"3001": 500, "3002": 1100, "3003": 1700}
ALL = list(FREQS.values()) + [800, 1400]


def join_party(ua, md, conf, dn, party):
    dlg = Dialog(ua, f"sip:msml={conf}@127.0.0.1:{md.port};dn={dn};record")
    r, cseq = ua.invite(dlg, party_sdp(party.port))
    assert r.status == 200, r.first
    ua.ack(dlg, cseq)
    party.mediad = ("127.0.0.1", sdp_media_ports(r.body)[0][1])
    return dlg


def energy(samples, f):
    return goertzel(samples, f) / max(len(samples), 1) ** 2


def test_three_party_mix_no_echo(mediad):
    md = mediad()
    ua = SipUA(md.port)
    parties = {dn: RtpParty(f) for dn, f in FREQS.items()}
    legs = {dn: join_party(ua, md, "conf3", dn, p) for dn, p in parties.items()}
    for p in parties.values():
        p.start(p.mediad)
    for p in parties.values():
        wait_for(lambda p=p: len(p.received) > 100, what="2 s of mixed audio")
    for dlg in legs.values():
        assert ua.bye(dlg).status == 200
    for p in parties.values():
        p.stop()
    ua.close()
    for dn, p in parties.items():
        s = p.received_samples()[-8000:]  # the last second, well past any start-up
        own = FREQS[dn]
        others = [f for f in FREQS.values() if f != own]
        e = {f: energy(s, f) for f in ALL}
        # Both other parties are heard, at comparable strength ...
        for f in others:
            assert e[f] > 20 * e[800] and e[f] > 20 * e[1400], (dn, f, e)
        assert 0.25 < e[others[0]] / e[others[1]] < 4, (dn, e)
        # ... and no echo of the party's own tone.
        assert e[own] < e[others[0]] / 100 and e[own] < e[others[1]] / 100, (dn, e)
        # One continuous output stream (one SSRC, consecutive sequence numbers).
        tail = p.received[-50:]
        assert len({x[2] for x in tail}) == 1
        seqs = [x[0] for x in tail]
        assert all((b - a) % 65536 == 1 for a, b in zip(seqs, seqs[1:]))


def test_back_to_bridge_when_third_leaves(mediad):
    md = mediad()
    ua = SipUA(md.port)
    parties = {dn: RtpParty(f) for dn, f in FREQS.items()}
    legs = {dn: join_party(ua, md, "conf4", dn, p) for dn, p in parties.items()}
    for p in parties.values():
        p.start(p.mediad)
    a, b = parties["3001"], parties["3002"]
    wait_for(lambda: len(a.received) > 50, what="mixed audio")
    assert ua.bye(legs["3003"]).status == 200
    parties["3003"].stop()
    n = len(a.received)
    wait_for(lambda: len(a.received) > n + 100, what="bridged audio after the third left")
    for dn in ("3001", "3002"):
        assert ua.bye(legs[dn]).status == 200
    a.stop()
    b.stop()
    ua.close()
    f, share = dominant(a.received_samples()[-4000:], ALL)
    assert f == FREQS["3002"] and share > 0.9
    f, share = dominant(b.received_samples()[-4000:], ALL)
    assert f == FREQS["3001"] and share > 0.9


def _rec_channels(rec, rid):
    import os
    from mdharness import ULAW_DEC, read_wav_ulaw
    from test_mediad import wait_sidecar
    wait_sidecar(rec, rid)
    ch, data = read_wav_ulaw(os.path.join(rec.dir, rid + ".wav"))
    assert ch == 2
    return [[ULAW_DEC[b] for b in d[-8000:]] for d in data]


def _conference_recording(md, rec, conf, sup_marker):
    ua = SipUA(md.port)
    parties = {dn: RtpParty(f) for dn, f in FREQS.items()}
    legs = {}
    for dn, p in parties.items():
        extra = ";role=supervisor" if (sup_marker == "uri" and dn == "3003") else ""
        dlg = Dialog(ua, f"sip:msml={conf}@127.0.0.1:{md.port};dn={dn};record{extra}")
        r, cseq = ua.invite(dlg, party_sdp(p.port))
        assert r.status == 200
        ua.ack(dlg, cseq)
        p.mediad = ("127.0.0.1", sdp_media_ports(r.body)[0][1])
        legs[dn] = dlg
    for p in parties.values():
        p.start(p.mediad)
    from mdharness import msml_create
    params = {"id": conf, "dest": f"sip:127.0.0.1:{rec.port}", "recmediactl": "1",
              "recordDN": "3001"}
    if sup_marker == "param":
        params["supervisor"] = "3003"
    r = ua.info(legs["3001"], msml_create(params, ["3001", "3002"]))
    assert r.status == 200, r.body
    a = parties["3001"]
    wait_for(lambda: len(a.received) > 150, what="3 s of conference")
    for dlg in legs.values():
        assert ua.bye(dlg).status == 200
    for p in parties.values():
        p.stop()
    ua.close()
    return _rec_channels(rec, conf)


def _heard(samples):
    """Party tones present: within 20 dB of the strongest, and well above the noise."""
    e = {f: energy(samples, f) for f in ALL}
    top = max(e[f] for f in FREQS.values())
    floor = max(e[800], e[1400], 1e-9)
    return {f for f in FREQS.values() if e[f] > top / 100 and e[f] > 1000 * floor}


def test_recording_mix_plus_supervisor(mediad, recorder):
    rec = recorder()
    md = mediad()
    for conf, marker in (("cshape1", "uri"), ("cshape2", "param")):
        ch1, ch2 = _conference_recording(md, rec, conf, marker)
        # m=1: customer (3001) + agent (3002) mixed; m=2: the supervisor (3003) alone.
        assert _heard(ch1) == {FREQS["3001"], FREQS["3002"]}, conf
        assert _heard(ch2) == {FREQS["3003"]}, conf


def test_recording_conference_without_supervisor(mediad, recorder):
    rec = recorder()
    md = mediad()
    ch1, ch2 = _conference_recording(md, rec, "cnosup", None)
    # recordDN says / recordDN hears (everyone else, mixed).
    assert _heard(ch1) == {FREQS["3001"]}
    assert _heard(ch2) == {FREQS["3002"], FREQS["3003"]}
