"""SRTP helpers for the mediad/recorder tests: libsrtp2 via a ctypes shim, SRTP parties."""
import ctypes
import os
import re
import select
import socket
import struct
import threading

from mdharness import BUILD, RtpParty, party_sdp

_lib = None


def lib():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(os.path.join(BUILD, "tests", "integration", "mediad",
                                        "libarec_srtp_py.so"))
        _lib.tsrtp_new.restype = ctypes.c_void_p
        _lib.tsrtp_new.argtypes = [ctypes.c_char_p, ctypes.c_int]
        _lib.tsrtp_free.argtypes = [ctypes.c_void_p]
        _lib.tsrtp_protect.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                       ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t,
                                       ctypes.c_int]
        _lib.tsrtp_unprotect.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_size_t), ctypes.c_int]
        _lib.tsrtp_generate.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                        ctypes.c_int]
    return _lib


AUTH_FAIL, REPLAY = 546, 547


def gen_crypto(tag=1, suite32=False):
    buf = ctypes.create_string_buffer(160)
    assert lib().tsrtp_generate(buf, 160, tag, 1 if suite32 else 0) == 0
    return buf.value.decode()


def crypto_key(value):
    """The inline key||salt (base64) of an a=crypto value."""
    return re.search(r"inline:([A-Za-z0-9+/=]+)", value).group(1)


class Srtp:
    """One direction of SRTP/SRTCP (libsrtp2 through ar_srtp), like a real peer."""

    def __init__(self, crypto, outbound):
        self.h = lib().tsrtp_new(crypto.encode(), 1 if outbound else 0)
        assert self.h, f"bad crypto {crypto.split()[1] if ' ' in crypto else crypto!r}"
        self.lock = threading.Lock()

    def protect(self, pkt, rtcp=False):
        buf = ctypes.create_string_buffer(bytes(pkt), len(pkt) + 200)
        n = ctypes.c_size_t(len(pkt))
        with self.lock:
            rc = lib().tsrtp_protect(self.h, buf, ctypes.byref(n), len(pkt) + 200, int(rtcp))
        assert rc == 0, rc
        return buf.raw[:n.value]

    def unprotect(self, pkt, rtcp=False):
        buf = ctypes.create_string_buffer(bytes(pkt), len(pkt) + 8)
        n = ctypes.c_size_t(len(pkt))
        with self.lock:
            rc = lib().tsrtp_unprotect(self.h, buf, ctypes.byref(n), int(rtcp))
        return rc, buf.raw[:n.value] if rc == 0 else None

    def close(self):
        if self.h:
            lib().tsrtp_free(self.h)
            self.h = None


def savp_sdp(port, crypto, proto="RTP/SAVP", version=1, rtcp=None):
    """A party SDP with one secure audio line (crypto: one value or a list)."""
    s = party_sdp(port, version=version, rtcp=rtcp).replace("RTP/AVP", proto)
    for c in ([crypto] if isinstance(crypto, str) else crypto):
        s += f"a=crypto:{c}\r\n"
    return s


def sdp_cryptos(sdp):
    """a=crypto values per m= line of an SDP."""
    out = []
    for sec in re.split(r"^m=", sdp, flags=re.M)[1:]:
        out.append(re.findall(r"^a=crypto:(.*?)\r?$", sec, re.M))
    return out


def sdp_protos(sdp):
    return re.findall(r"^m=\w+ \d+ (\S+)", sdp, re.M)


class SrtpParty(RtpParty):
    """RtpParty that sends SRTP with its own key (declared or not) and decrypts what comes.

    mangle(pkt) -> list of datagrams lets a test send wrong, truncated or replayed packets.
    """

    def __init__(self, freq, suite32=False, send_key=None):
        self.key = gen_crypto(1, suite32)              # what the party declares in SDP
        self.tx = Srtp(send_key or self.key, True)    # what it really encrypts with
        self.rx = None
        self.rx_fail = 0
        self.mangle = None
        super().__init__(freq)

    def set_peer_key(self, crypto):
        self.rx = Srtp(crypto, False)

    def set_send_key(self, crypto):
        self.tx = Srtp(crypto, True)

    def _recv_loop(self):
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            if len(data) < 12 or data[0] >> 6 != 2 or 192 <= data[1] <= 223:
                continue
            rx = self.rx
            if rx is None:
                self.rx_fail += 1
                continue
            rc, clear = rx.unprotect(data)
            if rc != 0:
                self.rx_fail += 1
                continue
            seq, ts, ssrc = struct.unpack("!HII", clear[2:12])
            self.received.append((seq, ts, ssrc, clear[12:]))

    def _wire(self, pkt):
        wire = self.tx.protect(pkt)
        return self.mangle(wire) if self.mangle else [wire]


class FakeRecorder:
    """A recorder UAS answering every INVITE with fixed SDP (proto, own keys) and keeping
    every datagram each m= line receives, to be decrypted with the offered keys."""

    def __init__(self, sip_ua_cls, md_port, nlines, proto="RTP/SAVP"):
        self.ua = sip_ua_cls(md_port)
        self.socks, self.pkts = [], []
        self.keys = [gen_crypto(1) for _ in range(nlines)]
        body = ("v=0\r\no=rec 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n")
        for i in range(nlines):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.05)
            self.socks.append(s)
            self.pkts.append([])
            body += f"m=audio {s.getsockname()[1]} {proto} 0\r\na=recvonly\r\n"
            if proto.startswith("RTP/SAVP"):
                body += f"a=crypto:{self.keys[i]}\r\n"
        self.ua.invite_answer = ("application/sdp", body)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    @property
    def uri(self):
        return f"sip:127.0.0.1:{self.ua.port}"

    def _loop(self):
        while not self._stop.is_set():
            ready, _, _ = select.select(self.socks, [], [], 0.05)
            for s in ready:
                try:
                    data, _ = s.recvfrom(4096)
                except OSError:
                    continue
                self.pkts[self.socks.index(s)].append(data)

    def offers(self):
        """Bodies of the INVITEs mediad sent (initial and re-INVITEs), in order."""
        with self.ua.lock:
            return [r.body for r in self.ua.requests if r.method == "INVITE" and r.body]

    def close(self):
        self._stop.set()
        self._t.join()
        for s in self.socks:
            s.close()
        self.ua.close()
