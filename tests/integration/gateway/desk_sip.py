"""A real SIP call for the desktop tests: a UAS phone registered on one DN, a UAC on another."""
import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
import sipraw  # noqa: E402


def _udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    return s


def _headers(data):
    lines = data.decode(errors="replace").split("\r\n")
    return {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])
            if v}


def _response(req, code, reason, contact_port, body=b""):
    h = _headers(req)
    out = [f"SIP/2.0 {code} {reason}"]
    out += [f"{k.title()}: {h[k]}" for k in ("via", "from", "call-id", "cseq")]
    out.append(f"To: {h['to']}" + ("" if ";tag=" in h["to"] else ";tag=uas1"))
    out.append(f"Contact: <sip:phone@127.0.0.1:{contact_port}>")
    if body:
        out.append("Content-Type: application/sdp")
    out.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(out) + "\r\n\r\n").encode() + body


class Call:
    """caller -> callee through gatewayd: callee's phone registers, rings, answers."""

    def __init__(self, sip_addr, caller, callee):
        host, port = sip_addr.split(":")
        self.gw = (host, int(port))
        self.caller, self.callee = caller, callee
        self.uas, self.uac = _udp(), _udp()
        self.uport, self.cport = self.uas.getsockname()[1], self.uac.getsockname()[1]
        reg = sipraw.request("REGISTER", f"sip:{host}:{port}", host=host, port=int(port),
                             local_port=self.uport, from_user=callee, to_user=callee,
                             headers=[("Expires", "300")])
        self.uas.sendto(reg, self.gw)
        r, _ = self.uas.recvfrom(65536)
        assert sipraw.status_of(r) == 200, r[:200]
        self.answered = threading.Event()
        self.invite_ok = None
        self.uas_invite = None

    def place(self):
        """Send the INVITE; the callee's phone rings then answers (in a thread)."""
        host, port = self.gw
        self.call_id = "desk-%d@test" % self.cport
        inv = sipraw.request("INVITE", f"sip:{self.callee}@{host}:{port}", host=host, port=port,
                             local_port=self.cport, from_user=self.caller, to_user=self.callee,
                             call_id=self.call_id, body=sipraw.SDP)
        self.uac.sendto(inv, self.gw)
        threading.Thread(target=self._phone, daemon=True).start()
        threading.Thread(target=self._caller, daemon=True).start()

    def _phone(self):
        data, addr = self.uas.recvfrom(65536)
        while not data.startswith(b"INVITE"):
            data, addr = self.uas.recvfrom(65536)
        self.uas_invite = data
        self.uas.sendto(_response(data, 180, "Ringing", self.uport), addr)
        self.uas.sendto(_response(data, 200, "OK", self.uport, sipraw.SDP.encode()), addr)
        # ACK (and later BYE) from the gateway: answer a BYE with 200.
        self.uas.settimeout(60)
        while True:
            try:
                data, addr = self.uas.recvfrom(65536)
            except OSError:
                return
            if data.startswith(b"BYE"):
                try:
                    self.uas.sendto(_response(data, 200, "OK", self.uport), addr)
                except OSError:  # the test closed the phone meanwhile
                    pass
                return

    def _caller(self):
        while True:
            try:
                data, _ = self.uac.recvfrom(65536)
            except OSError:
                return
            if sipraw.status_of(data) == 200 and b"INVITE" in data.split(b"CSeq:")[1][:40]:
                self.invite_ok = data
                h = _headers(data)
                host, port = self.gw
                ack = sipraw.request("ACK", f"sip:{self.callee}@{host}:{port}", host=host,
                                     port=port, local_port=self.cport, from_user=self.caller,
                                     to_user=self.callee, call_id=self.call_id, cseq=1,
                                     from_tag=h["from"].split("tag=")[1],
                                     to_tag=h["to"].split("tag=")[1])
                self.uac.sendto(ack.replace(b"CSeq: 1 INVITE", b"CSeq: 1 ACK"), self.gw)
                self.answered.set()
                return

    def hang_up(self):
        """The caller sends BYE (once its own 200 OK arrived: the gateway's events can
        reach the test before the caller's thread has read that answer)."""
        assert self.answered.wait(10), "the caller never received the 200 OK to its INVITE"
        h = _headers(self.invite_ok)
        host, port = self.gw
        bye = sipraw.request("BYE", f"sip:{self.callee}@{host}:{port}", host=host, port=port,
                             local_port=self.cport, from_user=self.caller, to_user=self.callee,
                             call_id=self.call_id, cseq=2, from_tag=h["from"].split("tag=")[1],
                             to_tag=h["to"].split("tag=")[1])
        self.uac.sendto(bye, self.gw)

    def close(self):
        self.uas.close()
        self.uac.close()
