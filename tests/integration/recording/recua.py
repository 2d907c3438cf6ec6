"""A small SIP phone over UDP with a G.711 tone RTP source, for the recording tests and demo.

It registers, places or answers one call, answers re-INVITEs (so the gateway can move its
media to mediad and back, RFC 3725) and keeps sending a sine tone as PCMU to wherever the
last SDP it received points. Real sockets, real SIP: no mocks.
"""
import math
import os
import random
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from arectest.audio import ulaw_encode as _ulaw  # noqa: E402


def _tag():
    return "%08x" % random.getrandbits(32)


def parse(data):
    """(first line, {lower header: [values]}, body) of a SIP message."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        k = k.strip().lower()
        k = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
             "l": "content-length", "c": "content-type"}.get(k, k)
        hdrs.setdefault(k, []).append(v.strip())
    return lines[0], hdrs, body.decode(errors="replace")


def sdp_dest(sdp):
    """(ip, port) of the first audio m= line of an SDP, or None."""
    ip = None
    port = None
    for ln in sdp.splitlines():
        if ln.startswith("c=IN IP4 "):
            ip = ip or ln.split()[2]
        m = re.match(r"m=audio (\d+) ", ln)
        if m:
            port = int(m.group(1))
    return (ip, port) if ip and port else None


class Phone:
    """One SIP user agent with one call at a time."""

    transport = "UDP"    # Via transport (recua_tls.TlsPhone: TLS)
    contact_params = ""  # added to the Contact URI (";transport=tls")

    def __init__(self, dn, gw, tone_hz, *, log=None, video=False):
        self.dn = dn
        self.gw = gw  # (host, port)
        self.tone_hz = tone_hz
        self.log = log or (lambda *a: None)
        self.sip = self._open_sip()
        self.port = self.sip.getsockname()[1]
        self.rtp = self._bind_rtp()
        self.rtp_port = self.rtp.getsockname()[1]
        # video=True: the SDP also carries an H.264 video line (no video is sent; the
        # socket only makes the port real)
        self.video = self._bind_rtp() if video else None
        self.remote_media = None
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.events = []  # ("invite"|"reinvite"|"bye"|"200"|status, ...) in order
        self.dialog = None  # call-id, local tag, remote tag, remote target, cseq
        self.running = True
        self.sending = False
        self.rx_packets = 0
        # Those from the address the SDP names (mediad once the re-INVITE came): audio the
        # peer sends straight to us before it took its own re-INVITE is not counted there.
        self.rx_from_remote = 0
        self.keep_rx = False
        self.rx = []  # (RTP timestamp, payload) of what this phone heard, when keep_rx
        self.sdp_version = 1
        self.reinvites = 0
        threading.Thread(target=self._sip_loop, daemon=True).start()
        threading.Thread(target=self._rtp_loop, daemon=True).start()
        threading.Thread(target=self._rtp_rx, daemon=True).start()

    def _open_sip(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        return s

    def _contact(self):
        return "Contact: <sip:%s@127.0.0.1:%d%s>\r\n" % (self.dn, self.port, self.contact_params)

    def _bind_rtp(self):
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            port = random.randrange(20000, 29998, 2)
            try:
                s.bind(("127.0.0.1", port))
                return s
            except OSError:
                s.close()
        raise RuntimeError("no RTP port")

    def sdp(self, direction="sendrecv"):
        self.sdp_version += 1
        return ("v=0\r\no=%s 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n"
                % (self.dn, self.sdp_version, self.rtp_port, direction)
                + ("m=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=%s\r\n"
                   % (self.video.getsockname()[1], direction) if self.video else ""))

    # --- SIP plumbing ---

    def _send(self, text, body="", ctype="application/sdp", addr=None):
        raw = body.encode()
        if raw:
            text += "Content-Type: %s\r\n" % ctype
        text += "Content-Length: %d\r\n\r\n" % len(raw)
        self.sip.sendto(text.encode() + raw, addr or self.gw)

    def _via(self):
        return "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n" % (
            self.transport, self.port, _tag())

    def _respond(self, hdrs, code, reason, body="", to_tag=None, addr=None):
        text = "SIP/2.0 %d %s\r\n" % (code, reason)
        for v in hdrs.get("via", []):
            text += "Via: %s\r\n" % v
        to = hdrs["to"][0]
        if to_tag and ";tag=" not in to:
            to += ";tag=" + to_tag
        text += "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n" % (
            hdrs["from"][0], to, hdrs["call-id"][0], hdrs["cseq"][0])
        text += self._contact()
        self._send(text, body, addr=addr)

    def _request(self, method, ruri, *, body="", extra="", cseq=None):
        d = self.dialog
        text = "%s %s SIP/2.0\r\n" % (method, ruri) + self._via()
        text += "Max-Forwards: 70\r\nFrom: <sip:%s@127.0.0.1:%d>;tag=%s\r\n" % (
            self.dn, self.port, d["ltag"])
        text += "To: %s%s\r\n" % (d["to"], (";tag=" + d["rtag"]) if d.get("rtag") else "")
        text += "Call-ID: %s\r\nCSeq: %d %s\r\n" % (d["callid"], cseq or d["cseq"], method)
        text += self._contact() + extra
        self._send(text, body)

    def _event(self, *ev):
        with self.cv:
            self.events.append(ev)
            self.cv.notify_all()

    def wait(self, pred, timeout=10, what="event"):
        end = time.time() + timeout
        with self.cv:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError("%s: no %s (events %r)" % (self.dn, what, self.events))
                self.cv.wait(left)

    def _sip_loop(self):
        self.sip.settimeout(0.2)
        while self.running:
            try:
                data, addr = self.sip.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            first, hdrs, body = parse(data)
            try:
                if first.startswith("SIP/2.0"):
                    self._on_response(int(first.split()[1]), hdrs, body)
                else:
                    self._on_request(first.split()[0], hdrs, body, addr)
            except Exception as e:  # keep the phone alive; the test sees missing events
                self.log("%s: %r" % (self.dn, e))

    def _on_request(self, method, hdrs, body, addr):
        if method == "INVITE":
            if body:
                self.remote_media = sdp_dest(body) or self.remote_media
            to = hdrs["to"][0]
            if self.dialog and self.dialog["callid"] == hdrs["call-id"][0]:
                self.reinvites += 1
                self._respond(hdrs, 200, "OK", self.sdp(), addr=addr)
                self._event("reinvite", body)
                return
            m = re.search(r"<([^>]+)>", hdrs["contact"][0])
            self.dialog = {"callid": hdrs["call-id"][0], "ltag": _tag(),
                           "rtag": re.search(r"tag=([^;>\s]+)", hdrs["from"][0]).group(1),
                           "to": hdrs["from"][0].split(";tag=")[0],
                           "target": m.group(1) if m else "sip:%s:%d" % addr, "cseq": 1}
            self._respond(hdrs, 180, "Ringing", to_tag=self.dialog["ltag"], addr=addr)
            self._respond(hdrs, 200, "OK", self.sdp(), to_tag=self.dialog["ltag"], addr=addr)
            self.sending = True
            self._event("invite", to)
        elif method == "ACK":
            if body:
                self.remote_media = sdp_dest(body) or self.remote_media
            self._event("ack")
        elif method == "BYE":
            self._respond(hdrs, 200, "OK", addr=addr)
            self.sending = False
            self._event("bye")
        elif method in ("UPDATE", "OPTIONS", "INFO", "NOTIFY"):
            self._respond(hdrs, 200, "OK", addr=addr)
        else:
            self._respond(hdrs, 501, "Not Implemented", addr=addr)

    def _on_response(self, code, hdrs, body):
        cseq = hdrs.get("cseq", ["0 X"])[0].split()
        method = cseq[1]
        if method == "INVITE" and code == 491 and self.dialog and self.running:
            # Glare with gatewayd's own re-INVITE (RFC 3261 14.1): a real phone tries again
            # after a random 0-2 s (the Call-ID owner) or 2.1-4 s; so does this one.
            owner = self.dialog["callid"].endswith("@recua")
            wait = random.uniform(0, 2) if owner else random.uniform(2.1, 4)
            threading.Timer(wait, self._retry_reinvite).start()
        if method == "INVITE" and code >= 200 and self.dialog:
            tag = re.search(r"tag=([^;>\s]+)", hdrs["to"][0])
            if tag:
                self.dialog["rtag"] = tag.group(1)
            m = re.search(r"<([^>]+)>", hdrs.get("contact", [""])[0])
            if m:
                self.dialog["target"] = m.group(1)
            # ACK (2xx: new transaction, same CSeq number; non-2xx: same branch is not
            # needed by sofia for our purposes)
            self._request("ACK", self.dialog.get("target", "sip:%s:%d" % self.gw),
                          cseq=int(cseq[0]))
            if 200 <= code < 300:
                if body:
                    self.remote_media = sdp_dest(body) or self.remote_media
                self.sending = True
        self._event(code, method)

    # --- actions ---

    def register(self, expires=300):
        self.dialog = {"callid": "%x@reg" % random.getrandbits(48), "ltag": _tag(),
                       "to": "<sip:%s@%s:%d>" % (self.dn, self.gw[0], self.gw[1]), "cseq": 1}
        self._request("REGISTER", "sip:%s:%d" % self.gw,
                      extra="Expires: %d\r\n" % expires)
        self.wait(lambda e: e[1:] == ("REGISTER",) and isinstance(e[0], int) and e[0] >= 200,
                  what="REGISTER answer")
        code = [e for e in self.events if e[1:] == ("REGISTER",)][-1][0]
        self.dialog = None
        return code

    def call(self, number):
        self.dialog = {"callid": "%x@recua" % random.getrandbits(48), "ltag": _tag(),
                       "to": "<sip:%s@%s:%d>" % (number, self.gw[0], self.gw[1]), "cseq": 1}
        self._request("INVITE", "sip:%s@%s:%d" % (number, self.gw[0], self.gw[1]),
                      body=self.sdp())

    def wait_answered(self, timeout=10):
        ev = self.wait(lambda e: e[1:] == ("INVITE",) and isinstance(e[0], int) and e[0] >= 200,
                       timeout, "final answer to INVITE")
        return ev[0]

    def reinvite(self, direction="sendrecv"):
        """Send a re-INVITE (hold: "sendonly" / "inactive"; retrieve: "sendrecv")."""
        self.last_direction = direction
        d = self.dialog
        d["cseq"] += 1
        self._request("INVITE", d["target"], body=self.sdp(direction))

    def _retry_reinvite(self):
        if self.running and self.dialog:
            self.reinvite(getattr(self, "last_direction", "sendrecv"))

    def hangup(self):
        d = self.dialog
        d["cseq"] += 1
        self.sending = False
        self._request("BYE", d["target"])

    def close(self):
        self.running = False
        self.sending = False
        time.sleep(0)
        self.sip.close()
        self.rtp.close()
        if self.video:
            self.video.close()

    # --- RTP ---

    def _tone_packets(self):
        """One second of the tone as 50 PCMU payloads (integer Hz: the second repeats)."""
        step = 2 * math.pi * self.tone_hz / 8000.0
        samples = bytes(_ulaw(int(8000 * math.sin(step * i))) for i in range(8000))
        return [samples[i:i + 160] for i in range(0, 8000, 160)]

    def _rtp_loop(self):
        ssrc = random.getrandbits(32)
        seq = random.getrandbits(16)
        ts = random.getrandbits(32)
        packets = self._tone_packets()
        n = 0
        nxt = time.monotonic()
        while self.running:
            nxt += 0.02
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                nxt = time.monotonic()
            dest = self.remote_media
            if not self.sending or not dest:
                continue
            hdr = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
            payload = packets[n % 50]
            n += 1
            seq += 1
            ts += 160
            try:
                self.rtp.sendto(hdr + payload, dest)
            except OSError:
                return

    def _rtp_rx(self):
        self.rtp.settimeout(0.2)
        while self.running:
            try:
                data, src = self.rtp.recvfrom(2048)
                self.rx_packets += 1
                if self.remote_media and src == tuple(self.remote_media):
                    self.rx_from_remote += 1
                if self.keep_rx and len(data) > 12 and (data[1] & 0x7F) == 0:
                    self.rx.append((struct.unpack("!I", data[4:8])[0], data[12:]))
            except socket.timeout:
                continue
            except OSError:
                return
