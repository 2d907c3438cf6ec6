"""Hand-built SIP requests over UDP/TCP for the malformed-input tests."""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from arectest.util import read_buffered  # noqa: E402


def _tag():
    return "%08x" % random.getrandbits(32)


def request(method, ruri, *, host, port, local_port, from_user="5001", to_user="5002",
            call_id=None, cseq=1, headers=None, omit=(), body=None, transport="UDP",
            content_type="application/sdp", from_tag=None, to_tag=None):
    """Text of a SIP request; `omit` drops mandatory headers by name."""
    call_id = call_id or "%x@test" % random.getrandbits(48)
    hdrs = [
        ("Via", f"SIP/2.0/{transport} 127.0.0.1:{local_port};branch=z9hG4bK{_tag()};rport"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:{from_user}@127.0.0.1:{local_port}>;tag={from_tag or _tag()}"),
        ("To", f"<sip:{to_user}@{host}:{port}>" + (f";tag={to_tag}" if to_tag else "")),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} {method}"),
        ("Contact", f"<sip:{from_user}@127.0.0.1:{local_port};transport={transport.lower()}>"),
    ]
    hdrs = [(k, v) for k, v in hdrs if k not in omit]
    for k, v in (headers or []):
        hdrs = [(a, b) for a, b in hdrs if a != k] if k in ("Max-Forwards",) else hdrs
        hdrs.append((k, v))
    raw = body.encode() if isinstance(body, str) else (body or b"")
    if raw:
        hdrs.append(("Content-Type", content_type))
    hdrs.append(("Content-Length", str(len(raw))))
    text = f"{method} {ruri} SIP/2.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
    return text.encode() + raw


SDP = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def status_of(data):
    """Status code of a SIP response (bytes), or None."""
    try:
        first = data.split(b"\r\n", 1)[0].decode()
    except UnicodeDecodeError:
        return None
    parts = first.split(" ", 2)
    if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit():
        return int(parts[1])
    return None


def header(data, name):
    for line in data.decode(errors="replace").split("\r\n"):
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


class Udp:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def send(self, data, addr):
        self.sock.sendto(data, addr)

    def final(self, timeout=5.0, want=None):
        """Next response with a final status (>= 200), or None; provisional ones skipped."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            st = status_of(data)
            if st is not None and st >= 200 and (want is None or want(data)):
                return data

    def close(self):
        self.sock.close()


class Tcp:
    def __init__(self, addr):
        self.sock = socket.create_connection(addr, timeout=5)
        self.port = self.sock.getsockname()[1]
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def final(self, timeout=5.0):
        """Next final response; None on timeout; b"" when the server closed the connection."""
        def take():
            while b"\r\n\r\n" in self.buf:
                head, _, rest = self.buf.partition(b"\r\n\r\n")
                n = int(header(head + b"\r\n", "Content-Length") or 0)
                msg, self.buf = head + b"\r\n\r\n" + rest[:n], rest[n:]
                st = status_of(msg)
                if st is not None and st >= 200:
                    return msg
            return None
        return read_buffered(self, take, timeout, on_eof=lambda: b"", reset_is_eof=True)

    def close(self):
        self.sock.close()
