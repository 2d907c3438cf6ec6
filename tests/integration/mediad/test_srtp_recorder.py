"""arec-recorder with SRTP: decrypts RTP/SAVP(F) before the WAV, answers with its own key,
counts authentication failures and replays in the sidecar; mediad -> recorder end to end."""
import json
import os
import socket
import struct

from mdharness import (Dialog, SipUA, msml_create, read_wav_ulaw, sdp_media_ports, wait_for,
                       ULAW_DEC, tone_payloads)
from srtpharness import (Srtp, crypto_key, gen_crypto, sdp_cryptos, sdp_protos)
from test_mediad import mediad, recorder, wait_sidecar  # noqa: F401  (fixtures)
from test_srtp import FREQ_A, FREQ_B, SCall, tone_of


def offer(port, crypto, proto="RTP/SAVP"):
    return ("v=0\r\no=mediad 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} {proto} 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"
            f"a=crypto:{crypto}\r\n")


def test_recorder_decrypts_and_counts_failures(recorder):
    rec = recorder()
    ua = SipUA(rec.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    key = gen_crypto(5, suite32=True)
    try:
        dlg = Dialog(ua, f"sip:record=sr1@127.0.0.1:{rec.port};dn=1001")
        r, cseq = ua.invite(dlg, offer(sock.getsockname()[1], key, "RTP/SAVPF"))
        assert r.status == 200, r.first
        ua.ack(dlg, cseq)
        # RFC 4568: the answer declares the recorder's own key, same tag and suite.
        assert sdp_protos(r.body) == ["RTP/SAVPF"]
        ans = sdp_cryptos(r.body)[0]
        assert len(ans) == 1 and ans[0].startswith("5 AES_CM_128_HMAC_SHA1_32 ")
        assert crypto_key(ans[0]) != crypto_key(key)
        dest = ("127.0.0.1", sdp_media_ports(r.body)[0][1])
        tx, wrong = Srtp(key, True), Srtp(gen_crypto(5, suite32=True), True)
        pays = tone_payloads(FREQ_A, 50)
        ssrc, seq = 0x1234, 1000
        wires = []
        for i in range(150):
            pkt = struct.pack("!BBHII", 0x80, 0, seq + i, 160 * i, ssrc) + pays[i % 50]
            if i < 10:  # wrong key: refused, counted, never written
                sock.sendto(wrong.protect(pkt), dest)
                continue
            w = tx.protect(pkt)
            wires.append(w)
            if i % 30 == 0:
                sock.sendto(w[:-2], dest)    # truncated tag (before the index is seen)
            sock.sendto(w, dest)
            if i % 30 == 0:
                sock.sendto(w, dest)         # replay
        srtcp = tx.protect(struct.pack("!BBHI", 0x80, 201, 1, ssrc), rtcp=True)
        sock.sendto(srtcp, (dest[0], dest[1] + 1))

        def processed():
            # A re-INVITE rewrites the sidecar: repeat until every datagram was handled.
            r2, c2 = ua.invite(dlg, offer(sock.getsockname()[1], key, "RTP/SAVPF"))
            ua.ack(dlg, c2)
            try:
                with open(os.path.join(rec.dir, "sr1.json")) as f:
                    srtp = json.load(f)["streams"][0]["srtp"]
            except (OSError, ValueError, KeyError, TypeError):
                return False
            return srtp and srtp["decrypted"] >= 141 and srtp["auth_fail"] >= 14
        wait_for(processed, what="recorder handled every datagram", step=0.1)
        assert ua.bye(dlg).status == 200
        j = wait_sidecar(rec, "sr1")
    finally:
        sock.close()
        ua.close()
    st = j["streams"][0]
    assert st["srtp"]["suite"] == "AES_CM_128_HMAC_SHA1_32"
    assert st["srtp"]["auth_fail"] == 10 + 4  # wrong key + truncated tags (i = 30, 60, 90, 120)
    assert st["srtp"]["replay"] == 4
    assert st["srtp"]["decrypted"] == 141  # 140 RTP + 1 SRTCP
    assert st["packets"] >= 135
    ch, data = read_wav_ulaw(os.path.join(rec.dir, "sr1.wav"))
    assert tone_of([ULAW_DEC[b] for b in data[0][-4000:]]) == FREQ_A


def test_secure_call_secure_recording_end_to_end(mediad, recorder):
    rec = recorder()
    md = mediad()
    call = SCall(md, secure=(True, True))
    try:
        call.start_media()
        assert call.info(msml_create({"id": "e2e", "dest": f"sip:127.0.0.1:{rec.port}",
                                      "recmediactl": "1", "srtp": "savpf"},
                                     ["1001", "1002"])).status == 200
        call.wait_rec_packets(100)
        st = call.stats()
    finally:
        call.hangup()
    recs = [s for s in st if "rec" in s]
    assert all(s["srtp_error"] == 0 for s in recs)
    j = wait_sidecar(rec, "e2e")
    for s in j["streams"]:
        assert s["srtp"]["suite"] == "AES_CM_128_HMAC_SHA1_80"
        assert s["srtp"]["auth_fail"] == 0 and s["srtp"]["replay"] == 0
        assert s["srtp"]["decrypted"] >= 90
    ch, data = read_wav_ulaw(os.path.join(rec.dir, "e2e.wav"))
    assert ch == 2
    assert tone_of([ULAW_DEC[b] for b in data[0][-8000:]]) == FREQ_A
    assert tone_of([ULAW_DEC[b] for b in data[1][-8000:]]) == FREQ_B
