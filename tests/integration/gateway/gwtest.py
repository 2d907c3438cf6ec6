"""Helpers for gatewayd integration tests: the stack, tlibctl, WebSocket and raw TCP clients."""
import asyncio
import base64
import json
import os
import queue
import re
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
from arectest.util import read_buffered, stop_process, wait_closed  # noqa: E402


def _closed():
    raise ConnectionError("closed")

REPO = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("AREC_BUILD_DIR", REPO / "build")).resolve()
TLIBCTL = BUILD / "client" / "tlibctl"
STACK = REPO / "tests" / "stack"

# Message and attribute numbers used by the raw frame helpers (common/tl_proto.h).
MSG = {"EventServerConnected": 50, "EventError": 52, "EventRegistered": 53,
       "EventLinkConnected": 95, "EventUserEvent": 96, "EventACK": 138}
MSG_NAME = {v: k for k, v in MSG.items()}
A_REFERENCE_ID, A_THIS_DN, A_ERROR_CODE, A_ERROR_MESSAGE = 2, 20, 46, 1


class Stack:
    """A stack brought up by tests/stack in its own temporary directory."""

    def __init__(self, *opts):
        self.dir = Path(tempfile.mkdtemp(prefix="arec-stack-"))
        self.opts = [str(o) for o in opts]
        self.env = {}

    def up(self):
        r = subprocess.run([str(STACK), "up", str(self.dir), *self.opts],
                           capture_output=True, text=True, timeout=90,
                           env=dict(os.environ, AREC_BUILD_DIR=str(BUILD)))
        if r.returncode != 0:
            raise RuntimeError("tests/stack up failed:\n" + r.stdout + r.stderr)
        for line in (self.dir / "stack.env").read_text().splitlines():
            key, _, val = line.partition("=")
            parts = shlex.split(val)
            self.env[key] = parts[0] if parts else ""
        return self

    def down(self):
        r = subprocess.run([str(STACK), "down", str(self.dir)], capture_output=True,
                           text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def cleanup(self):
        if not os.environ.get("AREC_KEEP_STACK"):
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def tlib_addr(self):
        return self.env["TLIB_ADDR"]

    @property
    def tlib_hostport(self):
        host, _, port = self.tlib_addr.rpartition(":")
        return host, int(port)

    @property
    def ws_url(self):
        return self.env["WS_URL"]

    def log(self):
        text = ""
        for name in ("gatewayd.log", "gatewayd.out"):
            p = self.dir / name
            if p.exists():
                text += p.read_text(errors="replace")
        return text

    def wait_log(self, pattern, timeout=10):
        """Wait until the gatewayd log matches pattern; returns the match or None."""
        rx = re.compile(pattern, re.I)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.log())
            if m or time.monotonic() > end:
                return m
            time.sleep(0.05)

    def alive(self):
        pid = int(self.env["GATEWAY_PID"])
        try:
            os.kill(pid, 0)
            return b"gatewayd" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return False

    def tlibctl(self, *args, app="demo", password="demo", addr=None, timeout=30, stdin=None):
        """Run tlibctl; returns (exit code, list of JSON messages printed, stderr)."""
        cmd = [str(TLIBCTL), "-a", addr or self.tlib_addr]
        if app is not None:
            cmd += ["-u", app]
        if password is not None:
            cmd += ["-p", password]
        r = subprocess.run(cmd + [str(a) for a in args], input=stdin, capture_output=True,
                           timeout=timeout)
        out = r.stdout.decode(errors="replace")
        msgs = [json.loads(line) for line in out.splitlines() if line.strip()]
        return r.returncode, msgs, r.stderr.decode(errors="replace")

    def request(self, obj, *args, **kw):
        return self.tlibctl("request", json.dumps(obj), *args, **kw)

    def user_event(self, dn, marker=None, **kw):
        """Distribute a user event on dn carrying a unique marker; returns the marker."""
        marker = marker or uuid.uuid4().hex
        rc, msgs, err = self.request({"message": "RequestDistributeUserEvent", "ThisDN": dn,
                                      "UserData": {"marker": marker}}, **kw)
        assert rc == 0, (rc, msgs, err)
        assert msgs[-1]["message"] == "EventACK", msgs
        return marker

    def watch(self, *dns, app="demo", password="demo", extra=()):
        return Watcher(self, dns, app, password, extra)

    def raw_tcp(self, data, *args, timeout=20):
        """Send bytes with `tlibctl raw -`; returns (exit code, messages, stderr)."""
        return self.tlibctl("raw", "-", *args, stdin=data, timeout=timeout)


def encode(*objs, version=1):
    """Binary frames for JSON messages, encoded by the product's codec (tlibctl encode)."""
    r = subprocess.run([str(TLIBCTL), "encode", *[json.dumps(o) for o in objs],
                        "--version", str(version)], capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout


def frame(msg_num, attrs, version=1, declared_len=None):
    """Build a binary frame by hand (tl_codec.h layout); attrs: [(id, type, bytes)]."""
    body = struct.pack(">HH", msg_num, len(attrs))
    for aid, atype, val in attrs:
        body += struct.pack(">HBI", aid, atype, len(val)) + val
    n = len(body) if declared_len is None else declared_len
    return b"TL" + bytes([version, 0]) + struct.pack(">I", n) + body


def int_attr(aid, v):
    return (aid, 1, struct.pack(">q", v))


def decode_frames(buf):
    """Split complete frames off buf; returns (messages, rest). Messages keep ints/strings."""
    out = []
    while len(buf) >= 8:
        (n,) = struct.unpack(">I", buf[4:8])
        if len(buf) < 8 + n:
            break
        body, buf = buf[8:8 + n], buf[8 + n:]
        num, count = struct.unpack(">HH", body[:4])
        msg = {"message": MSG_NAME.get(num, num)}
        off = 4
        for _ in range(count):
            aid, atype, alen = struct.unpack(">HBI", body[off:off + 7])
            val = body[off + 7:off + 7 + alen]
            off += 7 + alen
            if atype == 1 and alen == 8:
                msg[aid] = struct.unpack(">q", val)[0]
            elif atype == 0:
                msg[aid] = val.decode(errors="replace")
        out.append(msg)
    return out, buf


class RawTcp:
    """A plain TCP socket to gatewayd that the test drives byte by byte."""

    def __init__(self, stack, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(stack.tlib_hostport)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def recv_msg(self, timeout=10):
        def take():
            if len(self.buf) >= 8:
                (n,) = struct.unpack(">I", self.buf[4:8])
                if len(self.buf) >= 8 + n:
                    msgs, _ = decode_frames(self.buf[:8 + n])
                    self.buf = self.buf[8 + n:]
                    return msgs[0]
            return None
        return read_buffered(self, take, timeout, on_eof=_closed)

    def wait_closed(self, timeout=15):
        """Read and discard until the server closes; True if it did within timeout."""
        return wait_closed(self.sock, timeout, 1 << 20)

    def close(self):
        self.sock.close()


class Watcher:
    """`tlibctl watch` in the background; its JSON lines are collected by a thread."""

    def __init__(self, stack, dns, app, password, extra):
        cmd = [str(TLIBCTL), "-a", stack.tlib_addr, "-u", app, "-p", password, "watch",
               *dns, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.q = queue.Queue()
        self.seen = []
        self.t = threading.Thread(target=self._reader, daemon=True)
        self.t.start()
        for dn in dns:
            m = self.expect(lambda m, dn=dn: m.get("message") in ("EventRegistered", "EventError")
                            and m.get("ThisDN", dn) == dn, timeout=15)
            assert m is not None, f"watch: no EventRegistered for {dn}: {self.stderr()}"
            assert m["message"] == "EventRegistered", m

    def _reader(self):
        for line in self.proc.stdout:
            self.q.put(json.loads(line))
        self.q.put(None)

    def expect(self, pred, timeout=10):
        """Next message matching pred (earlier ones are kept in .seen), or None."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                m = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if m is None:
                self.q.put(None)
                return None
            self.seen.append(m)
            if pred(m):
                return m

    def expect_marker(self, marker, timeout=10):
        return self.expect(lambda m: m.get("message") == "EventUserEvent"
                           and (m.get("UserData") or {}).get("marker") == marker, timeout)

    def stderr(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")

    def stop(self):
        return stop_process(self.proc, 10)


def run(coro, timeout=60):
    """Run one coroutine of a test to completion, bounded."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def ws_recv(ws, timeout=10):
    """The next JSON message of a websockets connection."""
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def ws_expect(ws, pred, timeout=10):
    """The first JSON message for which pred is true, skipping the others; bounded."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        m = await ws_recv(ws, max(0.01, end - loop.time()))
        if pred(m):
            return m


class WSClient:
    """A WebSocket client (python3-websockets) driven synchronously from the test."""

    def __init__(self, url, timeout=10):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        # max_queue=None: the test may read late; the client must not stop reading
        # (it would become a slow consumer itself).
        self.ws = self._run(self._connect(url, timeout), timeout + 5)
        self.next_ref = 1000

    @staticmethod
    async def _connect(url, timeout):
        return await websockets.connect(url, ping_interval=None, compression=None,
                                        max_queue=None, max_size=None, open_timeout=timeout)

    def _run(self, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def send(self, obj):
        data = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
        self._run(self.ws.send(data), 10)

    def recv(self, timeout=10):
        """Next JSON message, None on timeout; raises ConnectionError when closed."""
        try:
            data = self._run(asyncio.wait_for(self.ws.recv(), timeout), timeout + 5)
        except (asyncio.TimeoutError, TimeoutError):
            return None
        except websockets.ConnectionClosed as e:
            raise ConnectionError("closed") from e
        return json.loads(data)

    def expect(self, pred, timeout=10):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            m = self.recv(left)
            if m is not None and pred(m):
                return m

    def request(self, obj, timeout=10):
        """Send a request (ReferenceID added) and return the message answering it."""
        if "ReferenceID" not in obj:
            self.next_ref += 1
            obj = dict(obj, ReferenceID=self.next_ref)
        ref = obj["ReferenceID"]
        self.send(obj)
        return self.expect(lambda m: m.get("ReferenceID") == ref, timeout)

    def register(self, app="demo", password="demo"):
        m = self.request({"message": "RequestRegisterClient", "ApplicationName": app,
                          "ApplicationPassword": password, "ProtocolVersion": 1})
        assert m and m["message"] == "EventServerConnected", m
        return m

    def register_dn(self, dn):
        m = self.request({"message": "RequestRegisterAddress", "ThisDN": dn})
        assert m and m["message"] == "EventRegistered", m
        return m

    def expect_marker(self, marker, timeout=10):
        return self.expect(lambda m: m.get("message") == "EventUserEvent"
                           and (m.get("UserData") or {}).get("marker") == marker, timeout)

    def wait_closed(self, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                self.recv(max(0.01, end - time.monotonic()))
            except ConnectionError:
                return True
        return False

    def close(self):
        try:
            self._run(self.ws.close(), 5)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class RawWS:
    """A WebSocket spoken by hand over a socket, to send frames no library would."""

    def __init__(self, url, timeout=10):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)?", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("closed during handshake")
            resp += data
        assert resp.startswith(b"HTTP/1.1 101"), resp

    def send_frame_header(self, opcode, length, mask=b"\0\0\0\0"):
        hdr = bytes([0x80 | opcode])
        if length < 126:
            hdr += bytes([0x80 | length])
        elif length < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", length)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", length)
        self.sock.sendall(hdr + mask)

    def send(self, data):
        """Payload bytes (mask key is zero, so they go as they are)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def wait_closed(self, timeout=15):
        return wait_closed(self.sock, timeout)

    def close(self):
        self.sock.close()
