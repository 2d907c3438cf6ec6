"""SIPS helpers for the tests: a throwaway PKI made with openssl, and a SIP UA over TLS."""
import os
import random
import socket
import ssl
import subprocess
import threading

from mdharness import SipMsg, SipUA

# Bound for what a TLS hop costs in CPU before the first message goes through (OpenSSL
# start-up, the handshake): under ASan with fast_unwind_on_malloc=0 (the LSan suppressions
# for sofia-sip's TLS leaks need full stacks) every malloc unwinds the whole stack, which
# makes this 4-6 times slower than a normal build (0.1 s -> 0.4-1.5 s measured), and a
# loaded 2-core CI machine multiplies that again.
TLS_SETUP = 30.0


def _ossl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_pki(base):
    """Two CAs; a certificate for 127.0.0.1 signed by CA 1. Returns cert dirs for sofia-sip
    (agent.pem = cert + key, cafile.pem): 'good' trusts CA 1, 'wrongca' trusts only CA 2.
    Also returns the PEM paths for Python's ssl module."""
    os.makedirs(base, exist_ok=True)
    for ca in ("ca1", "ca2"):
        _ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
              f"/CN=arec test {ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem", cwd=base)
    with open(os.path.join(base, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
          "host.key", "-out", "host.csr", cwd=base)
    _ossl("x509", "-req", "-in", "host.csr", "-CA", "ca1.pem", "-CAkey", "ca1.key",
          "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "host.pem", cwd=base)
    cert = open(os.path.join(base, "host.pem")).read()
    key = open(os.path.join(base, "host.key")).read()
    dirs = {}
    for name, ca in (("good", "ca1"), ("wrongca", "ca2")):
        d = os.path.join(base, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "agent.pem"), "w") as f:
            f.write(key + cert)
        with open(os.path.join(d, "cafile.pem"), "w") as f:
            f.write(open(os.path.join(base, f"{ca}.pem")).read())
        dirs[name] = d
    dirs["cert"] = os.path.join(base, "host.pem")
    dirs["key"] = os.path.join(base, "host.key")
    dirs["ca"] = os.path.join(base, "ca1.pem")
    return dirs


class _StreamSend:
    """What SipUA._answer calls sendto() on: writes to the TLS connection instead."""

    def __init__(self, conn, lock):
        self.conn, self.lock = conn, lock

    def sendto(self, data, addr):
        with self.lock:
            self.conn.sendall(data)

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass


class TlsSipUA(SipUA):
    """SipUA speaking SIP over one TLS connection to server_port (client cert presented,
    server cert checked against the test CA). Requests mediad sends back come on the same
    connection (Contact names this connection's address with transport=tls)."""

    def __init__(self, server_port, pki):
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki["ca"])
        ctx.load_cert_chain(pki["cert"], pki["key"])
        ctx.check_hostname = False
        raw = socket.create_connection(("127.0.0.1", server_port), timeout=TLS_SETUP)
        self.conn = ctx.wrap_socket(raw)
        self.conn.settimeout(0.05)
        self._wlock = threading.Lock()
        self.server = ("127.0.0.1", server_port)
        self.port = self.conn.getsockname()[1]
        self.sock = _StreamSend(self.conn, self._wlock)
        self.responses, self.requests = [], []
        self.invite_answer = None
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._buf = b""
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                # One SSL object must not be read and written by two threads at once
                # (OpenSSL): the lock is held for at most the 50 ms read timeout.
                with self._wlock:
                    data = self.conn.recv(65535)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except OSError:
                return
            if not data:
                return
            self._buf += data
            while b"\r\n\r\n" in self._buf:
                head, _, rest = self._buf.partition(b"\r\n\r\n")
                clen = 0
                for line in head.split(b"\r\n"):
                    k, _, v = line.partition(b":")
                    if k.strip().lower() in (b"content-length", b"l"):
                        clen = int(v.strip() or 0)
                if len(rest) < clen:
                    break
                raw, self._buf = head + b"\r\n\r\n" + rest[:clen], rest[clen:]
                if not raw.strip():
                    continue
                self._dispatch(SipMsg(raw), None)

    def _send(self, text):
        with self._wlock:
            self.conn.sendall(text.encode())

    def request(self, dlg, method, body="", ctype=None, cseq=None, extra=""):
        if cseq is None:
            dlg.cseq += 1
            cseq = dlg.cseq
        branch = f"z9hG4bK{random.getrandbits(48):x}"
        to = f"<{dlg.ruri}>" + (f";tag={dlg.to_tag}" if dlg.to_tag else "")
        me = f"127.0.0.1:{self.port}"
        msg = (f"{method} {dlg.target} SIP/2.0\r\n"
               f"Via: SIP/2.0/TLS {me};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sips:gateway@{me}>;tag={dlg.from_tag}\r\n"
               f"To: {to}\r\nCall-ID: {dlg.call_id}\r\nCSeq: {cseq} {method}\r\n"
               f"Contact: <sip:gateway@{me};transport=tls>\r\n{extra}")
        if body:
            msg += f"Content-Type: {ctype}\r\n"
        msg += f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
        self._send(msg)
        return cseq

    def close(self):
        self._stop.set()
        self._t.join()
        self.sock.close()
