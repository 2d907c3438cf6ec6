"""A UDP phone in Python that honours a remote answer: it rings on INVITE and answers only
when a NOTIFY with Event: talk arrives (BroadSoft / Polycom style), then waits for BYE."""
import socket
import threading
import time

import sipraw

SDP = ("v=0\r\no=talk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def _headers(data):
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    return head[0], [(k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in head[1:])]


def response(req, status, phrase, *, to_tag=None, body=None, contact=None):
    """A response to req (bytes): Via / From / To / Call-ID / CSeq copied."""
    _, hdrs = _headers(req)
    out = [f"SIP/2.0 {status} {phrase}"]
    for k, v in hdrs:
        if k.lower() in ("via", "from", "call-id", "cseq"):
            out.append(f"{k}: {v}")
        elif k.lower() == "to":
            out.append(f"To: {v}" + (f";tag={to_tag}" if to_tag and ";tag=" not in v else ""))
    if contact:
        out.append(f"Contact: <{contact}>")
    raw = (body or "").encode()
    if raw:
        out.append("Content-Type: application/sdp")
    out.append(f"Content-Length: {len(raw)}")
    return ("\r\n".join(out) + "\r\n\r\n").encode() + raw


class TalkPhone:
    def __init__(self, dn, port, refuse=None):
        self.dn = dn
        self.refuse = refuse  # (status, phrase): answer the NOTIFY with it and keep ringing
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port = port
        self.seen = []  # (method or status, headers) in arrival order
        self.notify = None
        self.answered = threading.Event()
        self.acked = threading.Event()
        self.byed = threading.Event()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        invite, src, tag, ok = None, None, "talk%d" % self.port, None
        next_resend = 0.0
        self.sock.settimeout(0.1)
        while not self.stop:
            if ok and not self.acked.is_set() and time.monotonic() > next_resend:
                self.sock.sendto(ok, src)  # 2xx retransmission until the ACK (RFC 3261 13.3.1.4)
                next_resend = time.monotonic() + 0.5
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            first, hdrs = _headers(data)
            method = first.split(" ", 1)[0]
            self.seen.append((method, dict((k.lower(), v) for k, v in hdrs)))
            if method == "INVITE" and invite is None:
                invite, src = data, addr
                self.sock.sendto(response(data, 180, "Ringing", to_tag=tag,
                                          contact=f"sip:{self.dn}@127.0.0.1:{self.port}"), addr)
            elif method == "NOTIFY":
                self.notify = dict((k.lower(), v) for k, v in hdrs)
                if self.refuse:
                    self.sock.sendto(response(data, *self.refuse, to_tag="n" + tag), addr)
                    continue
                self.sock.sendto(response(data, 200, "OK", to_tag="n" + tag), addr)
                if invite is not None and self.notify.get("event", "").split(";")[0] == "talk":
                    ok = response(invite, 200, "OK", to_tag=tag, body=SDP,
                                  contact=f"sip:{self.dn}@127.0.0.1:{self.port}")
                    self.answered.set()
            elif method == "ACK":
                self.acked.set()
            elif method == "CANCEL":
                self.sock.sendto(response(data, 200, "OK", to_tag=tag), addr)
                if invite is not None:
                    self.sock.sendto(response(invite, 487, "Request Terminated", to_tag=tag), src)
            elif method == "BYE":
                self.sock.sendto(response(data, 200, "OK"), addr)
                self.byed.set()

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.sock.close()


__all__ = ["TalkPhone", "sipraw"]
