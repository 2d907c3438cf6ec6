"""Test harness for mediad: a SIP-over-UDP UA playing the gateway, RTP parties, helpers."""
import math
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from arectest import util  # noqa: E402
from arectest.audio import ULAW_DECODE as ULAW_DEC  # noqa: E402,F401
from arectest.audio import goertzel_power as goertzel  # noqa: E402,F401
from arectest.audio import ulaw_encode  # noqa: E402

BUILD = os.environ.get("AREC_BUILD_DIR", "")
TIMEOUT = 10.0


def find_binary(name, subdirs):
    for d in subdirs:
        p = os.path.join(BUILD, d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(f"{name} not found under {BUILD}")


def _timeout(msg):
    raise TimeoutError(msg)


def wait_for(pred, timeout=TIMEOUT, what="condition", step=0.02):
    """Poll pred() until true; bounded. Used for readiness, never as a fixed sleep."""
    return util.wait_for(pred, timeout, what, step, fail=_timeout)


def read_ports_file(path):
    def ready():
        try:
            with open(path) as f:
                kv = dict(l.strip().split("=", 1) for l in f if "=" in l)
            return kv if "SIP_PORT" in kv else None
        except FileNotFoundError:
            return None
    return wait_for(ready, what=f"ports file {path}")


class Daemon:
    """A child process started with a ports file; stopped with SIGTERM."""

    def __init__(self, argv, ports_file, log_path):
        self.ports_file = ports_file
        if os.path.exists(ports_file):
            os.unlink(ports_file)  # a stale file must not pass for readiness
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        kv = read_ports_file(ports_file)
        self.port = int(kv["SIP_PORT"])

    def stop(self):
        rc = util.stop_process(self.proc, TIMEOUT)
        self.log.close()
        return rc


# ---- G.711 and tone analysis ----

def tone_payloads(freq, count, amp=8000):
    """count 20 ms mu-law payloads of a continuous sine."""
    out, n = [], 0
    for _ in range(count):
        b = bytearray(160)
        for i in range(160):
            b[i] = ulaw_encode(int(amp * math.sin(2 * math.pi * freq * n / 8000)))
            n += 1
        out.append(bytes(b))
    return out


def dominant(samples, candidates):
    """The candidate frequency with the most energy, and its share of the total."""
    p = {f: goertzel(samples, f) for f in candidates}
    best = max(p, key=p.get)
    tot = sum(p.values()) or 1.0
    return best, p[best] / tot


def read_wav_ulaw(path):
    """(channels, [bytes per channel]) of a G.711 WAV (format 6/7)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV"
    off, channels, body = 12, 1, b""
    while off + 8 <= len(data):
        cid, size = data[off:off + 4], struct.unpack("<I", data[off + 4:off + 8])[0]
        chunk = data[off + 8:off + 8 + size]
        if cid == b"fmt ":
            channels = struct.unpack("<H", chunk[2:4])[0]
        elif cid == b"data":
            body = chunk
        off += 8 + size + (size & 1)
    return channels, [body[c::channels] for c in range(channels)]


# ---- RTP party ----

class RtpParty:
    """One party's media: sends a tone at 50 pps to its destination, records what arrives."""

    def __init__(self, freq, pt=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.freq, self.pt = freq, pt
        self.ssrc = random.getrandbits(32)
        self.dest = None
        self.received = []  # (seq, ts, ssrc, payload)
        self.sent = 0
        self._stop = threading.Event()
        self._payloads = tone_payloads(freq, 50)
        self.sock.settimeout(0.05)
        self._rx = threading.Thread(target=self._recv_loop, daemon=True)
        self._rx.start()
        self._tx = None

    def _recv_loop(self):
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            if len(data) >= 12 and data[0] >> 6 == 2 and not (192 <= data[1] <= 223):
                seq, ts, ssrc = struct.unpack("!HII", data[2:12])
                self.received.append((seq, ts, ssrc, data[12:]))

    def start(self, dest):
        self.dest = dest
        self._tx = threading.Thread(target=self._send_loop, daemon=True)
        self._tx.start()

    def _send_loop(self):
        seq, ts, t0 = random.getrandbits(16), random.getrandbits(32), time.monotonic()
        while not self._stop.is_set():
            p = self._payloads[self.sent % len(self._payloads)]
            hdr = struct.pack("!BBHII", 0x80, self.pt, seq & 0xFFFF, ts & 0xFFFFFFFF, self.ssrc)
            for d in self._wire(hdr + p):
                try:
                    self.sock.sendto(d, self.dest)
                except OSError:
                    pass
            self.sent += 1
            seq, ts = seq + 1, ts + 160
            # Pace at 20 ms of audio per packet (media timing, not readiness).
            delay = t0 + self.sent * 0.02 - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    def _wire(self, pkt):
        """The datagrams that carry one RTP packet (SrtpParty protects them)."""
        return [pkt]

    def stop(self):
        self._stop.set()
        if self._tx:
            self._tx.join()
        self._rx.join()
        self.sock.close()

    def received_samples(self):
        out = []
        for _, _, _, p in self.received:
            out.extend(ULAW_DEC[b] for b in p)
        return out


def party_sdp(port, video_port=None, addr="127.0.0.1", version=1, direction=None, rtcp=None):
    s = (f"v=0\r\no=party 4711 {version} IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\n"
         f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
         f"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")
    if rtcp:
        s += f"a=rtcp:{rtcp}\r\n"
    if direction:
        s += f"a={direction}\r\n"
    if video_port:
        s += f"m=video {video_port} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    return s


def sdp_media_ports(sdp):
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"^m=(\w+) (\d+)", sdp, re.M)]


# ---- SIP ----

class SipMsg:
    def __init__(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.first = lines[0]
        self.headers = []
        for l in lines[1:]:
            if ":" in l:
                k, v = l.split(":", 1)
                self.headers.append((k.strip().lower(), v.strip()))
        n = int(self.get("content-length", "l") or len(body))
        self.body = body[:n].decode("utf-8", "replace")
        self.is_response = self.first.startswith("SIP/2.0")
        if self.is_response:
            parts = self.first.split(" ", 2)
            self.status, self.reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
            self.method = self.get("cseq").split()[1]
        else:
            self.method, self.uri = self.first.split(" ")[0], self.first.split(" ")[1]

    def get(self, *names):
        for k, v in self.headers:
            if k in names:
                return v
        return None

    def all(self, *names):
        return [v for k, v in self.headers if k in names]


class Dialog:
    def __init__(self, ua, ruri):
        self.ua, self.ruri = ua, ruri
        self.call_id = f"{random.getrandbits(64):x}@test"
        self.from_tag = f"{random.getrandbits(32):x}"
        self.to_tag = None
        self.cseq = 0
        self.target = ruri
        self.remote_sdp = None


class SipUA:
    """Minimal UDP UAC/UAS: enough to play the gateway toward mediad."""

    def __init__(self, server_port):
        self.server = ("127.0.0.1", server_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.05)
        self.responses = []
        self.requests = []  # requests received from mediad (INFO, BYE ...)
        self.invite_answer = None  # (content-type, body) to answer INVITEs with, as a recorder
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def close(self):
        self._stop.set()
        self._t.join()
        self.sock.close()

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            if not (data[:3].isalpha() and data[:8].isascii()):
                continue  # RTP or junk on the SIP port
            try:
                m = SipMsg(data)
            except Exception:
                continue
            self._dispatch(m, addr)

    def _dispatch(self, m, addr):
        """Keep a response; answer a request (and keep it unless it is an ACK)."""
        if m.is_response:
            with self.lock:
                self.responses.append(m)
        else:
            self._answer(m, addr)
            if m.method != "ACK":
                with self.lock:
                    self.requests.append(m)

    def _answer(self, m, addr):
        if m.method == "ACK":
            return
        hdrs = [f"Via: {v}" for v in m.all("via", "v")]
        to = m.get("to", "t")
        if to is None:
            return  # not a SIP request we can answer (e.g. stray RTP)
        if ";tag=" not in to:
            to += ";tag=ua"
        body, extra = "", ""
        if m.method == "INVITE" and self.invite_answer:
            ctype, body = self.invite_answer
            extra = (f"Content-Type: {ctype}\r\n"
                     f"Contact: <sip:fake@127.0.0.1:{self.port}>\r\n")
        out = ("SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs) + "\r\n"
               f"From: {m.get('from', 'f')}\r\nTo: {to}\r\nCall-ID: {m.get('call-id', 'i')}\r\n"
               f"CSeq: {m.get('cseq')}\r\n{extra}Content-Length: {len(body.encode())}\r\n\r\n{body}")
        self.sock.sendto(out.encode(), addr)

    def _send(self, text):
        self.sock.sendto(text.encode(), self.server)

    def request(self, dlg, method, body="", ctype=None, cseq=None, extra=""):
        if cseq is None:
            dlg.cseq += 1
            cseq = dlg.cseq
        branch = f"z9hG4bK{random.getrandbits(48):x}"
        to = f"<{dlg.ruri}>" + (f";tag={dlg.to_tag}" if dlg.to_tag else "")
        msg = (f"{method} {dlg.target} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:gateway@127.0.0.1:{self.port}>;tag={dlg.from_tag}\r\n"
               f"To: {to}\r\nCall-ID: {dlg.call_id}\r\nCSeq: {cseq} {method}\r\n"
               f"Contact: <sip:gateway@127.0.0.1:{self.port}>\r\n{extra}")
        if body:
            msg += f"Content-Type: {ctype}\r\n"
        msg += f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
        self._send(msg)
        return cseq

    def wait_response(self, dlg, cseq, method, timeout=TIMEOUT):
        def final():
            with self.lock:
                for r in self.responses:
                    if (r.get("call-id", "i") == dlg.call_id and r.method == method
                            and int(r.get("cseq").split()[0]) == cseq and r.status >= 200):
                        return r
            return None
        return wait_for(final, timeout, f"{method} response")

    def invite(self, dlg, sdp=None):
        cseq = self.request(dlg, "INVITE", sdp or "", "application/sdp" if sdp else None)
        r = self.wait_response(dlg, cseq, "INVITE")
        if r.status < 300:
            to = r.get("to", "t")
            dlg.to_tag = re.search(r"tag=([^;>\s]+)", to).group(1)
            c = r.get("contact", "m")
            if c:
                dlg.target = re.search(r"<([^>]+)>", c).group(1)
            dlg.remote_sdp = r.body
        return r, cseq

    def ack(self, dlg, cseq, sdp=None):
        self.request(dlg, "ACK", sdp or "", "application/sdp" if sdp else None, cseq=cseq)

    def info(self, dlg, xml):
        cseq = self.request(dlg, "INFO", xml, "application/msml+xml")
        return self.wait_response(dlg, cseq, "INFO")

    def bye(self, dlg):
        cseq = self.request(dlg, "BYE")
        return self.wait_response(dlg, cseq, "BYE")

    def options(self):
        dlg = Dialog(self, f"sip:mediad@127.0.0.1:{self.server[1]}")
        cseq = self.request(dlg, "OPTIONS")
        return self.wait_response(dlg, cseq, "OPTIONS")

    def infos_from_mediad(self):
        with self.lock:
            return [r for r in self.requests if r.method == "INFO"]


def msml_create(params, joins=()):
    ps = "".join(f'<gvp:param name="{k}">{v}</gvp:param>' for k, v in params.items())
    js = "".join(f'<join id1="conf:recorder" id2="conn:{j}"/>' for j in joins)
    return (f'<msml version="1.1"><createconference name="recorder"><gvp:recorder><gvp:params>'
            f'{ps}</gvp:params></gvp:recorder></createconference>{js}</msml>')


def msml_state(state):
    return ('<msml version="1.1"><modifyconference id="conf:recorder">'
            f'<gvp:recorder state="{state}"/></modifyconference></msml>')


MSML_AUDIT = '<msml version="1.1"><audit id="conf:recorder"/></msml>'


def parse_stats(info_resp):
    """Stats lines of an audit answer -> list of dicts."""
    out = []
    for line in re.findall(r"((?:leg|rec)=\S+ m=\d+[^\n<]*)", info_resp.body):
        d = {}
        for kv in line.split():
            k, _, v = kv.partition("=")
            d[k] = int(v) if v.isdigit() and k not in ("leg", "rec") else v
        out.append(d)
    return out
