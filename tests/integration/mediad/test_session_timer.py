"""RFC 4028 session timers on mediad's party legs: mediad refreshes, and ends a stale session."""
import re
import signal
import time

import pytest

from mdharness import (Daemon, Dialog, RtpParty, SipUA, find_binary, party_sdp, sdp_media_ports,
                       wait_for)

INTERVAL = 10  # seconds: the smallest --min-se the tests use, so each case stays well under 60 s

_port_base = [47000]


class TimerUA(SipUA):
    """The gateway UA, answering refreshes as a timer-aware peer: 200 echoing Session-Expires."""

    def __init__(self, server_port, sdp):
        self.sdp = sdp
        super().__init__(server_port)

    def _answer(self, m, addr):
        if m.method not in ("UPDATE", "INVITE"):
            return super()._answer(m, addr)
        to = m.get("to", "t")
        extra = f"Contact: <sip:gateway@127.0.0.1:{self.port}>\r\n"
        se = m.get("session-expires", "x")
        if se:
            extra += f"Session-Expires: {se}\r\nRequire: timer\r\n"
        body = ""
        if m.body:  # an offer in a refresh: answer it with the party's SDP
            body = self.sdp
            extra += "Content-Type: application/sdp\r\n"
        out = ("SIP/2.0 200 OK\r\n" + "".join(f"Via: {v}\r\n" for v in m.all("via", "v")) +
               f"From: {m.get('from', 'f')}\r\nTo: {to}\r\nCall-ID: {m.get('call-id', 'i')}\r\n"
               f"CSeq: {m.get('cseq')}\r\n{extra}Content-Length: {len(body.encode())}\r\n\r\n"
               f"{body}")
        self.sock.sendto(out.encode(), addr)


@pytest.fixture
def md(tmp_path):
    lo = _port_base[0]
    _port_base[0] += 100
    pf = tmp_path / "mediad.ports"
    d = Daemon([find_binary("mediad", ["mediad"]), "--sip", "127.0.0.1:0", "--rtp-ports",
                f"{lo}-{lo + 99}", "--ports-file", str(pf), "--log-level", "debug",
                "--session-timer", str(INTERVAL), "--min-se", str(INTERVAL),
                "--stats-file", str(tmp_path / "mediad.stats")],
               str(pf), str(tmp_path / "mediad.log"))
    d.stats_file = str(tmp_path / "mediad.stats")
    yield d
    assert d.stop() == 0, f"mediad failed (see {tmp_path}/mediad.log)"


def live_calls(md):
    """mediad's own count of calls (--stats-file, written on SIGUSR1), fresh."""
    def read():
        try:
            with open(md.stats_file) as f:
                return dict(kv.split("=", 1) for kv in f.read().split())
        except FileNotFoundError:
            return {}
    seq = int(read().get("seq", 0))
    md.proc.send_signal(signal.SIGUSR1)
    kv = wait_for(lambda: (lambda d: d if int(d.get("seq", 0)) > seq else None)(read()),
                  what="mediad stats")
    return int(kv["calls"])


def timed_call(md, refresher):
    """One party leg INVITEd with Session-Expires: INTERVAL;refresher=... ; returns (ua, dlg, 200)."""
    party = RtpParty(440)
    ua = TimerUA(md.port, party_sdp(party.port, version=2))
    dlg = Dialog(ua, f"sip:msml=st@127.0.0.1:{md.port};dn=1001;record")
    hdrs = (f"Supported: timer\r\nSession-Expires: {INTERVAL};refresher={refresher}\r\n"
            f"Min-SE: {INTERVAL}\r\nAllow: INVITE, ACK, BYE, CANCEL, UPDATE, INFO, OPTIONS\r\n")
    cseq = ua.request(dlg, "INVITE", party_sdp(party.port), "application/sdp", extra=hdrs)
    r = ua.wait_response(dlg, cseq, "INVITE")
    assert r.status == 200, r.first
    dlg.to_tag = re.search(r"tag=([^;>\s]+)", r.get("to", "t")).group(1)
    dlg.target = re.search(r"<([^>]+)>", r.get("contact", "m")).group(1)
    ua.ack(dlg, cseq)
    assert sdp_media_ports(r.body)[0][0] == "audio"
    party.stop()  # the timers are about signalling; no media needed
    return ua, dlg, r


def session_expires(msg):
    se = msg.get("session-expires", "x")
    assert se is not None, f"no Session-Expires in {msg.first}"
    return int(se.split(";")[0]), se


def test_below_min_se_is_refused_with_422(md):
    ua = SipUA(md.port)
    party = RtpParty(440)
    try:
        dlg = Dialog(ua, f"sip:msml=st@127.0.0.1:{md.port};dn=1001;record")
        cseq = ua.request(dlg, "INVITE", party_sdp(party.port), "application/sdp",
                          extra="Supported: timer\r\nSession-Expires: 5;refresher=uac\r\n")
        r = ua.wait_response(dlg, cseq, "INVITE")
        assert r.status == 422, r.first
        # sofia-sip never advertises a Min-SE below RFC 4028's 90 s floor, even when it
        # accepts less (as the other tests show): only the refusal itself is ours.
        assert int(r.get("min-se").split(";")[0]) >= INTERVAL
        ua.ack(dlg, cseq)
    finally:
        party.stop()
        ua.close()


def test_mediad_refreshes_and_the_call_survives(md):
    ua, dlg, ok = timed_call(md, "uas")  # we are the UAC, so mediad (the UAS) refreshes
    try:
        delta, hdr = session_expires(ok)
        assert delta == INTERVAL and "refresher=uas" in hdr
        t0 = time.monotonic()
        # Two refreshes in a row, each before the interval runs out (sofia refreshes at half).
        refreshes = wait_for(lambda: [q for q in ua.requests if q.method in ("UPDATE", "INVITE")
                                      and q.get("call-id", "i") == dlg.call_id][1:],
                             timeout=2 * INTERVAL + 5, what="two session refreshes")
        elapsed = time.monotonic() - t0
        assert elapsed < 2 * INTERVAL, f"second refresh after {elapsed:.1f} s"
        for q in refreshes:
            assert q.method == "UPDATE", "refreshed with re-INVITE though the peer allows UPDATE"
            assert session_expires(q)[0] == INTERVAL
        assert not [q for q in ua.requests if q.method == "BYE"], "refreshed call was ended"
        # The call is alive past the first interval: it still answers in-dialog requests.
        assert time.monotonic() - t0 > INTERVAL / 2
        r = ua.info(dlg, '<msml version="1.1"><audit id="conf:recorder"/></msml>')
        assert r.status != 481, r.first
        assert ua.bye(dlg).status == 200
    finally:
        ua.close()


def test_peer_that_never_refreshes_gets_a_bye(md):
    ua, dlg, ok = timed_call(md, "uac")  # we promise to refresh, and never do
    try:
        assert live_calls(md) == 1
        delta, hdr = session_expires(ok)
        assert delta == INTERVAL and "refresher=uac" in hdr
        t0 = time.monotonic()
        byes = wait_for(lambda: [q for q in ua.requests if q.method == "BYE"
                                 and q.get("call-id", "i") == dlg.call_id],
                        timeout=INTERVAL + 5, what="BYE after the session expired")
        elapsed = time.monotonic() - t0
        # RFC 4028 10.3: the BYE comes before the interval ends, but not at the first refresh.
        assert INTERVAL / 2 <= elapsed <= INTERVAL + 1, f"BYE after {elapsed:.1f} s"
        assert not [q for q in ua.requests if q.method in ("UPDATE", "INVITE")]
        assert byes[0].get("reason") is None or "expire" in byes[0].get("reason").lower() \
            or "408" in byes[0].get("reason")
        # The dialog is gone on mediad's side too, and so is the call it carried.
        r = ua.info(dlg, '<msml version="1.1"><audit id="conf:recorder"/></msml>')
        assert r.status == 481, r.first
        wait_for(lambda: live_calls(md) == 0, what="the expired call freed")
    finally:
        ua.close()
