"""recua.Phone over one TLS connection to gatewayd's sips-listen port (SIPS tests).

The phone registers a Contact with ;transport=tls naming its end of the connection, so
gatewayd's INVITEs come back over the same connection (sofia-sip reuses it).
"""
import socket
import ssl
import threading

import recua


class _TlsConn:
    """What Phone uses as its SIP socket: sendto/recvfrom over one TLS stream, one whole
    SIP message per recvfrom (Content-Length framing)."""

    def __init__(self, server, cafile, cert=None, key=None):
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
        ctx.check_hostname = False
        if cert:
            ctx.load_cert_chain(cert, key)
        raw = socket.create_connection(server, timeout=10)
        self.conn = ctx.wrap_socket(raw)
        self.server = server
        self.buf = b""
        self.wlock = threading.Lock()

    def getsockname(self):
        return self.conn.getsockname()

    def settimeout(self, t):
        self.conn.settimeout(t)

    def sendto(self, data, addr):
        with self.wlock:
            self.conn.sendall(data)

    def _one(self):
        """A complete message from the buffer, or None."""
        while self.buf.startswith(b"\r\n"):  # keep-alives
            self.buf = self.buf[2:]
        head, sep, rest = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return None
        clen = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() in (b"content-length", b"l"):
                clen = int(v.strip() or 0)
        if len(rest) < clen:
            return None
        self.buf = rest[clen:]
        return head + b"\r\n\r\n" + rest[:clen]

    def recvfrom(self, n):
        while True:
            msg = self._one()
            if msg is not None:
                return msg, self.server
            data = self.conn.recv(65535)  # socket.timeout propagates to the phone's loop
            if not data:
                raise OSError("TLS connection closed")
            self.buf += data

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass


class TlsPhone(recua.Phone):
    """A Phone whose SIP goes over TLS to gw = gatewayd's (host, SIPS port)."""

    transport = "TLS"
    contact_params = ";transport=tls"

    def __init__(self, dn, gw, tone_hz, cafile, **kw):
        self._cafile = cafile
        super().__init__(dn, gw, tone_hz, **kw)

    def _open_sip(self):
        return _TlsConn(self.gw, self._cafile)
