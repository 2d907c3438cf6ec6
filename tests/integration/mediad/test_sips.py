"""SIPS (SIP over TLS) on both hops: gateway -> mediad and mediad -> recorder, and a
recorder whose certificate mediad refuses (wrong CA)."""
import os

import pytest

from mdharness import (MSML_AUDIT, Dialog, RtpParty, msml_create, parse_stats, party_sdp,
                       read_ports_file, read_wav_ulaw, sdp_media_ports, wait_for, ULAW_DEC)
from test_mediad import mediad, recorder, wait_sidecar  # noqa: F401  (fixtures)
from test_srtp import FREQ_A, FREQ_B, tone_of
from tlsharness import TLS_SETUP, TlsSipUA, make_pki


@pytest.fixture
def pki(tmp_path, monkeypatch):
    # Sanitizer builds: sofia-sip's TLS code leaks its OpenSSL objects at exit (see
    # lsan_sofia_tls.supp); full unwinding lets the suppressions see its frames.
    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv("LSAN_OPTIONS", f"suppressions={here}/lsan_sofia_tls.supp")
    asan = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (asan + ":" if asan else "") + "fast_unwind_on_malloc=0")
    return make_pki(str(tmp_path / "pki"))


def sips_port(daemon):
    return int(read_ports_file(daemon.ports_file)["SIPS_PORT"])


class TlsCall:
    def __init__(self, md, pki, conf="t1"):
        self.ua = TlsSipUA(sips_port(md), pki)
        self.parties, self.legs = [], {}
        for dn, freq in (("1001", FREQ_A), ("1002", FREQ_B)):
            p = RtpParty(freq)
            dlg = Dialog(self.ua, f"sips:msml={conf}@127.0.0.1:{sips_port(md)};dn={dn};record")
            r, cseq = self.ua.invite(dlg, party_sdp(p.port))
            assert r.status == 200, r.first
            self.ua.ack(dlg, cseq)
            p.mediad = ("127.0.0.1", sdp_media_ports(r.body)[0][1])
            self.legs[dn] = dlg
            self.parties.append(p)
        for p in self.parties:
            p.start(p.mediad)

    def info(self, xml):
        return self.ua.info(self.legs["1001"], xml)

    def hangup(self):
        for dlg in self.legs.values():
            assert self.ua.bye(dlg).status == 200
        for p in self.parties:
            p.stop()
        self.ua.close()


def test_tls_on_both_hops(mediad, recorder, pki):
    rec = recorder("rec", "--tls-cert-dir", pki["good"])
    # The recording INVITE's answer timer (--rec-timeout, 2 s by default) also runs while
    # the TLS connection to the recorder is set up: TLS_SETUP bounds that (tlsharness).
    md = mediad("--tls-cert-dir", pki["good"], "--rec-timeout", str(int(TLS_SETUP * 1000)))
    call = TlsCall(md, pki)
    try:
        dest = f"sips:127.0.0.1:{sips_port(rec)}"
        assert call.info(msml_create({"id": "tls1", "dest": dest, "recmediactl": "1"},
                                     ["1001", "1002"])).status == 200

        def sent(n):
            recs = [s for s in parse_stats(call.info(MSML_AUDIT)) if "rec" in s]
            return recs and all(s["tx_packets"] >= n for s in recs)
        # Two events, two bounds. First the recording session is up: CPU work (OpenSSL
        # start-up and a TLS handshake in mediad and the recorder) that the sanitizer
        # build's full unwinding on every malloc (fast_unwind_on_malloc=0, see pki) makes
        # several times slower, more so on a loaded machine: TLS_SETUP. Then 100 packets:
        # 2 s of real time, the default bound.
        wait_for(lambda: sent(1), timeout=TLS_SETUP, what="the TLS recording session", step=0.1)
        wait_for(lambda: sent(100), what="media to the TLS recorder", step=0.1)
    finally:
        call.hangup()
    j = wait_sidecar(rec, "tls1")
    assert j["request_uri"].startswith("sips:record=tls1@127.0.0.1:")
    ch, data = read_wav_ulaw(os.path.join(rec.dir, "tls1.wav"))
    assert tone_of([ULAW_DEC[b] for b in data[0][-8000:]]) == FREQ_A
    assert tone_of([ULAW_DEC[b] for b in data[1][-8000:]]) == FREQ_B


def test_recorder_certificate_refused(mediad, recorder, pki):
    rec = recorder("rec", "--tls-cert-dir", pki["good"])
    # mediad trusts only CA 2; the recorder's certificate is signed by CA 1.
    # sofia-sip does not fail the INVITE transaction when the handshake fails: the report
    # comes when the transaction times out (Timer B, 32 s) with status 408.
    md = mediad("--tls-cert-dir", pki["wrongca"], "--tls-verify", "out")
    call = TlsCall(md, pki)
    try:
        dest = f"sips:127.0.0.1:{sips_port(rec)}"
        assert call.info(msml_create({"id": "tls2", "dest": dest, "recmediactl": "1"},
                                     ["1001", "1002"])).status == 200

        def reported():
            for m in call.ua.infos_from_mediad():
                if "msml.recorder.error" in m.body:
                    return m.body
            return None
        body = wait_for(reported, timeout=45, what="failure report (Timer B)", step=0.2)
        assert "tls2" in body and "<value>408</value>" in body
    finally:
        call.hangup()
    assert not os.path.exists(os.path.join(rec.dir, "tls2.json"))


def _options_over_tls(port, pki):
    """Send OPTIONS on a fresh TLS connection; the first bytes answered, b"" on EOF."""
    import socket
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki["ca"])
    ctx.load_cert_chain(pki["cert"], pki["key"])
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as c:
            c.sendall((f"OPTIONS sips:mediad@127.0.0.1:{port} SIP/2.0\r\n"
                       "Via: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKtls1;rport\r\n"
                       "Max-Forwards: 70\r\nFrom: <sips:t@127.0.0.1>;tag=1\r\n"
                       f"To: <sips:mediad@127.0.0.1:{port}>\r\nCall-ID: tlsopt@test\r\n"
                       "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode())
            return c.recv(4096)


def test_gateway_certificate_refused(mediad, pki):
    """mediad (mutual TLS) refuses a client whose certificate its CA did not sign; the same
    client is served by a mediad that trusts its CA."""
    import ssl
    good = mediad("--tls-cert-dir", pki["good"])
    assert _options_over_tls(sips_port(good), pki).startswith(b"SIP/2.0 200")
    bad = mediad("--tls-cert-dir", pki["wrongca"])
    try:
        got = _options_over_tls(sips_port(bad), pki)
    except (ssl.SSLError, ConnectionResetError) as e:
        got = e
    # TLS 1.3 delivers the server's refusal (an alert, or a close) on the first read.
    assert isinstance(got, (ssl.SSLError, ConnectionResetError)) or got == b"", got
