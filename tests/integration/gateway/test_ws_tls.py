"""TLS on the WebSocket/HTTP port: wss:// and https:// with ws-tls-cert/key, plain refused."""
import asyncio
import json
import shutil
import socket
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

from arectest.stack import finish, start  # noqa: E402 (conftest put tests/lib on the path)
from gwtest import BUILD, Stack, run
from gwtest import ws_recv as recv

GATEWAYD = BUILD / "gateway" / "gatewayd"


def make_cert(dir, name):
    """A self-signed certificate for 127.0.0.1 (CN and SAN): returns (cert, key) paths."""
    cert, key = dir / f"{name}.pem", dir / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def certs():
    d = Path(tempfile.mkdtemp(prefix="arec-tls-"))
    try:
        yield {"server": make_cert(d, "server"), "client": make_cert(d, "client"),
               "other": make_cert(d, "other"), "dir": d}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def tls_stack(certs, *extra):
    cert, key = certs["server"]
    return start(Stack("--gateway-opt", f"ws-tls-cert={cert}", "--gateway-opt",
                       f"ws-tls-key={key}", *extra), cleanup_on_failure=True)


@pytest.fixture(scope="module")
def stack(certs):
    s = tls_stack(certs)
    yield s
    finish(s)


def hostport(stack):
    """The WS port from stack.env: its shape stays ws://HOST:PORT/tlib with TLS on."""
    url = stack.ws_url
    assert url.startswith("ws://"), url
    host, _, port = url[len("ws://"):].split("/", 1)[0].rpartition(":")
    return host, int(port)


def client_ctx(cafile=None, cert=None):
    ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if cert:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


async def wss_desktop(stack, ctx):
    host, port = hostport(stack)
    ws = await websockets.connect(f"wss://{host}:{port}/tlib", ssl=ctx,
                                  extra_headers={"Authorization": f"Bearer {stack.env['WS_TOKEN']}"},
                                  ping_interval=None, compression=None, open_timeout=15)
    auth = await recv(ws)
    assert auth["message"] == "Authenticated", auth
    snap = await recv(ws)
    assert snap["message"] == "Snapshot", snap
    await ws.send(json.dumps({"message": "RequestRegisterAddress", "ThisDN": "5002",
                              "ReferenceID": 7}))
    while True:
        m = await recv(ws)
        if m.get("ReferenceID") == 7:
            break
    await ws.close()
    return m


def test_wss_desktop_registers_dn(stack, certs):
    m = run(wss_desktop(stack, client_ctx(certs["server"][0])))
    assert m["message"] == "EventRegistered" and m["ThisDN"] == "5002", m
    assert stack.wait_log(r"over TLS only"), "TLS listener not logged"


def test_plain_ws_is_refused(stack):
    host, port = hostport(stack)

    async def go():
        with pytest.raises((websockets.exceptions.InvalidHandshake, ConnectionError, EOFError,
                            asyncio.TimeoutError, OSError)):
            ws = await websockets.connect(f"ws://{host}:{port}/tlib", open_timeout=10,
                                          ping_interval=None)
            await ws.close()
    run(go())
    # Plain HTTP gets no HTTP answer either: the socket closes without a status line.
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert not data.startswith(b"HTTP/"), data[:200]


def test_untrusted_client_fails_handshake(stack, certs):
    host, port = hostport(stack)

    async def go(ctx):
        with pytest.raises(ssl.SSLCertVerificationError):
            await websockets.connect(f"wss://{host}:{port}/tlib", ssl=ctx, open_timeout=10,
                                     ping_interval=None)
    run(go(client_ctx(certs["other"][0])))  # trusts another certificate
    run(go(client_ctx()))  # the system's CAs only
    # The server still serves trusted clients afterwards.
    assert run(wss_desktop(stack, client_ctx(certs["server"][0])))["message"] == "EventRegistered"


def test_healthz_over_https(stack, certs):
    host, port = hostport(stack)
    ctx = client_ctx(certs["server"][0])
    with urllib.request.urlopen(f"https://{host}:{port}/healthz", context=ctx, timeout=10) as r:
        assert r.status == 200
        assert r.read()


def test_client_certificate_required(certs):
    """ws-tls-ca: a client without a certificate signed by it is refused at the handshake."""
    s = tls_stack(certs, "--gateway-opt", f"ws-tls-ca={certs['client'][0]}")
    try:
        host, port = hostport(s)
        url = f"https://{host}:{port}/healthz"
        with pytest.raises((ssl.SSLError, ConnectionError, urllib.error.URLError)):
            urllib.request.urlopen(url, context=client_ctx(certs["server"][0]), timeout=10).read()
        with pytest.raises((ssl.SSLError, ConnectionError, urllib.error.URLError)):
            urllib.request.urlopen(url, context=client_ctx(certs["server"][0], certs["other"]),
                                   timeout=10).read()
        m = run(wss_desktop(s, client_ctx(certs["server"][0], certs["client"])))
        assert m["message"] == "EventRegistered", m
    finally:
        finish(s)


def check_config(tmp, text):
    conf = tmp / "gatewayd.conf"
    conf.write_text(text)
    r = subprocess.run([str(GATEWAYD), "-c", str(conf), "--check-config"], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_check_config_tls_keys(certs, tmp_path):
    cert, key = certs["server"]
    base = "[gateway]\nws-listen = 127.0.0.1:0\ntlib-listen = 127.0.0.1:0\n"
    rc, out = check_config(tmp_path, base + f"ws-tls-cert = {cert}\n")
    assert rc != 0 and ":4: ws-tls-cert is set but ws-tls-key is not" in out, out
    rc, out = check_config(tmp_path, base + f"ws-tls-key = {key}\n")
    assert rc != 0 and ":4: ws-tls-key is set but ws-tls-cert is not" in out, out
    rc, out = check_config(tmp_path, base + f"ws-tls-ca = {cert}\n")
    assert rc != 0 and ":4: ws-tls-ca is set without" in out, out
    rc, out = check_config(tmp_path, base + f"ws-tls-cert = {cert}\nws-tls-key = missing.key\n")
    assert rc != 0 and ":5: ws-tls-key: cannot read" in out and "missing.key" in out, out
    rc, out = check_config(tmp_path, base + f"ws-tls-cert = {tmp_path}\nws-tls-key = {key}\n")
    assert rc != 0 and ":4: ws-tls-cert:" in out and "not a regular file" in out, out
    # Relative paths are relative to the configuration file's folder.
    shutil.copy(cert, tmp_path / "c.pem")
    shutil.copy(key, tmp_path / "c.key")
    rc, out = check_config(tmp_path, base + "ws-tls-cert = c.pem\nws-tls-key = c.key\n")
    assert rc == 0, out


def test_key_not_matching_cert_refuses_to_start(certs, tmp_path):
    """A readable but mismatched key passes --check-config; gatewayd then refuses to start."""
    conf = tmp_path / "gatewayd.conf"
    conf.write_text("[gateway]\ntlib-listen = 127.0.0.1:0\nws-listen = 127.0.0.1:0\n"
                    f"ws-tls-cert = {certs['server'][0]}\nws-tls-key = {certs['other'][1]}\n")
    r = subprocess.run([str(GATEWAYD), "-c", str(conf)], capture_output=True, text=True,
                       timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "not a valid PEM certificate and matching key" in out and "other.key" in out, out
