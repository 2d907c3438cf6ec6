"""Recording sessions ended while their INVITE is pending: CANCEL, or ACK+BYE on a late 2xx."""
import json
import os
import socket
import threading

import pytest

from mdharness import (Dialog, RtpParty, SipUA, msml_create, msml_state, party_sdp,
                       sdp_media_ports, wait_for)
from test_mediad import mediad, recorder  # noqa: F401 (fixtures)

WAIT = 20.0


class LateRecorder:
    """A UDP recorder that holds INVITEs (after a 100 Trying) until answer() is called.
    honor_cancel: a CANCEL ends the INVITE with 487; else the 200 is taken as already sent
    (a 2xx crossing the CANCEL) and the CANCEL gets 481. Keeps every request it got."""

    def __init__(self, honor_cancel=True, cancel_status=481, trying=True):
        self.honor_cancel, self.cancel_status, self.trying = honor_cancel, cancel_status, trying
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.uri = f"sip:127.0.0.1:{self.port}"
        self.requests = []  # (method, call-id)
        self.invites = {}  # call-id -> (raw headers, body, addr, answered)
        self.lock = threading.Lock()
        self.running = True
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    @staticmethod
    def _headers(text):
        return text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]

    @staticmethod
    def _get(hdrs, *names):
        for h in hdrs:
            k, _, v = h.partition(":")
            if k.strip().lower() in names:
                return v.strip()
        return None

    def _respond(self, hdrs, addr, status, reason, body="", extra=()):
        keep = [h for h in hdrs if h.split(":", 1)[0].strip().lower() in
                ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")]
        keep = [h + (";tag=late" if h.lower().startswith(("to:", "t:")) and "tag=" not in h
                     else "") for h in keep]
        keep += list(extra)
        resp = (f"SIP/2.0 {status} {reason}\r\n" + "\r\n".join(keep) +
                f"\r\nContent-Length: {len(body.encode())}\r\n\r\n" + body)
        self.sock.sendto(resp.encode(), addr)

    def _loop(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            text = data.decode("utf-8", "replace")
            first = text.split("\r\n", 1)[0]
            if first.startswith("SIP/2.0") or " " not in first:
                continue
            method = first.split(" ", 1)[0]
            hdrs = self._headers(text)
            cid = self._get(hdrs, "call-id", "i")
            with self.lock:
                self.requests.append((method, cid))
            if method == "ACK":
                continue
            if method == "INVITE":
                with self.lock:
                    if cid in self.invites:
                        continue  # a retransmission: still held
                    self.invites[cid] = [hdrs, text.split("\r\n\r\n", 1)[1], addr, False]
                if self.trying:
                    self._respond(hdrs, addr, 100, "Trying")
                continue
            if method == "CANCEL":
                with self.lock:
                    inv = self.invites.get(cid)
                    held = inv and not inv[3] and self.honor_cancel
                    if held:
                        inv[3] = True
                if held:
                    self._respond(hdrs, addr, 200, "OK")
                    self._respond(inv[0], inv[2], 487, "Request Terminated")
                else:
                    self._respond(hdrs, addr, self.cancel_status, "Whatever")
                continue
            self._respond(hdrs, addr, 200, "OK")  # BYE, OPTIONS

    def answer(self, cid):
        """Answer the held INVITE of Call-ID cid with 200 and a recvonly SDP."""
        with self.lock:
            hdrs, offer, addr, done = self.invites[cid]
            self.invites[cid][3] = True
        assert not done
        lines = [l for l in offer.split("\r\n") if l.startswith("m=")]
        ms = ""
        for i, m in enumerate(lines):
            kind, _, proto, fmt = (m[2:].split(" ") + ["0"])[:4]
            ms += f"m={kind} {self.port + 2 + 2 * i} {proto} {fmt}\r\na=recvonly\r\n"
        body = ("v=0\r\no=late 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                "t=0 0\r\n" + ms)
        self._respond(hdrs, addr, 200, "OK", body,
                      [f"Contact: <{self.uri}>", "Content-Type: application/sdp"])

    def count(self, method, cid=None):
        with self.lock:
            return sum(1 for m, c in self.requests if m == method and (cid is None or c == cid))

    def invite_ids(self):
        with self.lock:
            return list(self.invites)

    def stop(self):
        self.running = False
        self.t.join(2)
        self.sock.close()


@pytest.fixture
def late():
    made = []

    def make(**kw):
        r = LateRecorder(**kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.stop()


class Call:
    """Two party legs INVITEd to mediad (no media needed: the recorder never gets RTP)."""

    def __init__(self, md, conf):
        self.md = md
        self.ua = SipUA(md.port)
        self.legs = []
        for dn in ("1001", "1002"):
            party = RtpParty(440)
            party.stop()
            dlg = Dialog(self.ua, f"sip:msml={conf}@127.0.0.1:{md.port};dn={dn};record")
            r, cseq = self.ua.invite(dlg, party_sdp(party.port))
            assert r.status == 200, r.first
            assert sdp_media_ports(r.body)
            self.ua.ack(dlg, cseq)
            self.legs.append(dlg)

    def info(self, xml):
        return self.ua.info(self.legs[0], xml)

    def hangup(self):
        for dlg in self.legs:
            assert self.ua.bye(dlg).status == 200

    def health(self):
        r = self.ua.options()
        assert r.status == 200
        return json.loads(r.body)

    def close(self):
        self.ua.close()


def start_recording(call, rid, *recs):
    params = {"id": rid, "dest": recs[0].uri, "recmediactl": "1"}
    if len(recs) > 1:
        params["destfork"] = ",".join(r.uri for r in recs)
    r = call.info(msml_create(params, ["1001", "1002"]))
    assert r.status == 200, r.body
    for rec in recs:
        wait_for(lambda: rec.invite_ids(), WAIT, "the recording INVITE")
    return [rec.invite_ids()[0] for rec in recs]


def wait_no_recordings(call, sessions):
    """mediad's OPTIONS counters: no recording session left (and `sessions` calls)."""
    def idle():
        h = call.health()
        return h["recordings"] == 0 and h["sessions"] == sessions
    wait_for(idle, WAIT, "mediad without recording sessions", step=0.1)


def wait_ack_bye(rec, cid):
    wait_for(lambda: rec.count("ACK", cid) >= 1, WAIT, "ACK to the late 200")
    wait_for(lambda: rec.count("BYE", cid) >= 1, WAIT, "BYE after the late 200")


def test_hangup_cancels_pending_invite(mediad, late):
    md = mediad()
    rec = late(honor_cancel=True)
    call = Call(md, "pc1")
    (cid,) = start_recording(call, "pend1", rec)
    call.hangup()
    wait_for(lambda: rec.count("CANCEL", cid) >= 1, WAIT, "CANCEL of the pending INVITE")
    wait_for(lambda: rec.count("ACK", cid) >= 1, WAIT, "ACK of the 487")
    wait_no_recordings(call, 0)
    assert rec.count("BYE", cid) == 0  # no dialog was made: nothing to BYE
    call.close()


@pytest.mark.parametrize("cancel_status,trying", [(481, True), (200, True), (200, False)])
def test_hangup_then_late_200_is_acked_and_byed(mediad, late, cancel_status, trying):
    md = mediad()
    rec = late(honor_cancel=False, cancel_status=cancel_status, trying=trying)
    call = Call(md, "pc2")
    (cid,) = start_recording(call, "pend2", rec)
    call.hangup()
    if trying:  # RFC 3261 9.1: no CANCEL before a provisional response
        wait_for(lambda: rec.count("CANCEL", cid) >= 1, WAIT, "CANCEL of the pending INVITE")
    wait_no_recordings(call, 0)
    rec.answer(cid)  # the 200 crossed the CANCEL (or came before any provisional)
    wait_ack_bye(rec, cid)
    call.close()


def test_stop_then_late_200_is_acked_and_byed(mediad, late):
    md = mediad()
    rec = late(honor_cancel=False)
    call = Call(md, "pc3")
    (cid,) = start_recording(call, "pend3", rec)
    assert call.info(msml_state("stop")).status == 200
    wait_for(lambda: rec.count("CANCEL", cid) >= 1, WAIT, "CANCEL of the pending INVITE")
    wait_no_recordings(call, 1)
    rec.answer(cid)
    wait_ack_bye(rec, cid)
    call.hangup()
    wait_no_recordings(call, 0)
    call.close()


def test_hangup_with_pending_forks(mediad, late):
    md = mediad()
    a, b = late(honor_cancel=True), late(honor_cancel=False)
    call = Call(md, "pc4")
    cid_a, cid_b = start_recording(call, "pend4", a, b)
    call.hangup()
    wait_for(lambda: a.count("CANCEL", cid_a) >= 1, WAIT, "CANCEL of fork a")
    wait_for(lambda: b.count("CANCEL", cid_b) >= 1, WAIT, "CANCEL of fork b")
    wait_no_recordings(call, 0)
    b.answer(cid_b)  # fork b's 200 crossed its CANCEL
    wait_ack_bye(b, cid_b)
    assert a.count("BYE", cid_a) == 0
    call.close()


def ended(path):
    """The recorder's sidecar once its session ended (it is written while it runs too)."""
    try:
        with open(path) as f:
            j = json.load(f)
    except (OSError, ValueError):
        return None
    return j if j.get("state") == "ended" else None


@pytest.mark.parametrize("delay,stop,ctl,pause", [
    (0, False, "2", ""), (300, False, "2", ""), (300, True, "1", "p"), (0, True, "1", "pr")])
def test_real_recorder_ends_right_after_start(mediad, recorder, delay, stop, ctl, pause):
    """The gateway's race: the call (or the recording) ends a few ms after the recording
    started. Whatever the order the recorder sees, its session ends before it shuts down."""
    md = mediad()
    rec = recorder("rec", "--answer-delay", str(delay))
    for i in range(3):
        call = Call(md, f"rr{i}")
        ok = call.info(msml_create({"id": f"rr{i}", "dest": f"sip:127.0.0.1:{rec.port}",
                                    "recmediactl": ctl}, ["1001", "1002"]))
        assert ok.status == 200, ok.body
        for st in pause:
            assert call.info(msml_state("pause" if st == "p" else "resume")).status == 200
        if stop:
            assert call.info(msml_state("stop")).status == 200
        call.hangup()
        names = [f"rr{i}.json"] if ctl == "1" else [f"rr{i}-1001.json", f"rr{i}-1002.json"]
        for n in names:
            side = wait_for(lambda: ended(os.path.join(rec.dir, n)), WAIT, f"{n} ended")
            assert side["end_reason"] in ("bye", "cancelled"), side
        wait_no_recordings(call, 0)
        call.close()
