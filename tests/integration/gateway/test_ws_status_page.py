"""The status page in headless Chromium (DevTools protocol): what a person sees, escaped."""
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from arectest.util import stop_process  # conftest put tests/lib on the path
from desk_sip import Call
from gwtest import BUILD, WSClient

HTML_DN = "<i>5099</i>"
CONF = Path(tempfile.mkdtemp(prefix="arec-status-conf-")) / "gatewayd.conf"
CONF.write_text(f"""# test_ws_status_page: the stack's DNs plus one whose name is HTML.
[gateway]
site = status-<b>test</b>
tlib-listen = 127.0.0.1:0
ws-listen = 127.0.0.1:0
web-root = {Path(__file__).resolve().parents[3] / "web"}
status-token = page-token
sip-listen = 127.0.0.1:0
trusted-networks = 127.0.0.0/8

[dn 5001-5020]
type = Extension

[dn {HTML_DN}]
type = Extension

[application demo]
password = demo
dns = *

[desktop agent-desk]
token = desk-token
dns = 5001-5005
""")
STACK_OPTS = ("--gateway-config", str(CONF))
OUT = Path(os.environ.get("AREC_TEST_OUTPUT_DIR", BUILD / "test-output")) / "status-page"


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("chromium is not installed (scripts/deps.sh lists it)")


class Browser:
    """Headless Chromium with its DevTools endpoint; one page driven over CDP."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="arec-chromium-")
        self.proc = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "--window-size=1366,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = Path(self.profile) / "DevToolsActivePort"
        end = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert self.proc.poll() is None, "chromium exited: " + self.proc.stderr.read().decode()
            assert time.monotonic() < end, "chromium did not open its DevTools port"
            time.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])
        self.next_id = 0

    def page_ws(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        return pages[0]["webSocketDebuggerUrl"]

    async def call(self, ws, method, **params):
        self.next_id += 1
        mid = self.next_id
        await ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if m.get("id") == mid:
                assert "error" not in m, m
                return m["result"]

    async def evaluate(self, ws, expr):
        r = await self.call(ws, "Runtime.evaluate", expression=expr, returnByValue=True)
        return r["result"].get("value")

    def close(self):
        stop_process(self.proc, 10)
        shutil.rmtree(self.profile, ignore_errors=True)


# What the page shows, read back as a person would: visible text per region.
PROBE = """JSON.stringify({
  conn: document.getElementById('conn').textContent,
  site: document.getElementById('site').textContent,
  clients: [...document.querySelectorAll('#clients tbody tr')].map(r => r.innerText),
  dns: [...document.querySelectorAll('#dns tbody tr td:first-child')].map(c => c.textContent),
  tiles: document.getElementById('tiles').innerText,
  calls: [...document.querySelectorAll('#calls tbody tr')].map(r => r.innerText),
  italics: document.querySelectorAll('i, b').length,
  loginShown: !document.getElementById('login').hidden,
  hash: location.hash,
})"""


def test_status_page_shows_clients_and_escapes(stack):
    OUT.mkdir(parents=True, exist_ok=True)
    desk = WSClient(stack.ws_url)
    desk.send({"message": "Authenticate", "token": "desk-token"})
    assert desk.expect(lambda m: m.get("message") == "Snapshot")
    app = WSClient(stack.ws_url)
    app.register()
    app.register_dn(HTML_DN)
    app.register_dn("5002")
    app.register_dn("5003")
    # A real SIP call 5004 -> 5003; its recording indication (GSIP_RECORD user data, which
    # the recording controller maintains) says Paused.
    call = Call(stack.env["SIP_ADDR"], "5004", "5003")
    call.place()
    est = app.expect(lambda m: m.get("message") == "EventEstablished", 15)
    assert est, "the SIP call was not established"
    m = app.request({"message": "RequestAttachUserData", "ThisDN": "5003",
                     "ConnID": est["ConnID"], "UserData": {"GSIP_RECORD": "Paused"}})
    assert m and m["message"] != "EventError", m
    browser = Browser()
    base = stack.env["HTTP_URL"]

    async def look(url, until, timeout=30):
        async with websockets.connect(browser.page_ws(), max_size=None) as ws:
            await browser.call(ws, "Page.enable")
            await browser.call(ws, "Page.navigate", url=url)
            end = time.monotonic() + timeout
            seen = None
            while time.monotonic() < end:
                seen = json.loads(await browser.evaluate(ws, PROBE) or "null")
                if seen and until(seen):
                    break
                await asyncio.sleep(0.2)
            shot = await browser.call(ws, "Page.captureScreenshot", format="png")
            return seen, shot["data"]

    try:
        # A wrong token: the page asks for one and says it was rejected.
        seen, _ = asyncio.run(look(base + "#token=wrong", lambda s: s["loginShown"]))
        assert seen["loginShown"] and seen["conn"] == "not signed in", seen

        def ready(s):
            return (s["conn"] == "live" and any(HTML_DN in d for d in s["dns"])
                    and len(s["clients"]) >= 2 and any("Paused" in c for c in s["calls"]))

        seen, png = asyncio.run(look(base + "#token=page-token", ready))
        import base64
        (OUT / "status-page.png").write_bytes(base64.b64decode(png))
        assert ready(seen), seen
        # The token left the address bar; the HTML in names is shown as text, not markup.
        assert seen["hash"] == ""
        assert HTML_DN in seen["dns"] and "5002" in seen["dns"]
        assert seen["site"] == "· status-<b>test</b>"
        assert seen["italics"] == 0, "a value was inserted as HTML"
        rows = "\n".join(seen["clients"])
        assert "agent-desk" in rows and "desktop" in rows and "demo" in rows, rows
        assert HTML_DN in rows
        assert "DESKTOPS" in seen["tiles"].upper()
        # The call: its ConnID, both parties with their roles, and "Paused" with a time.
        row = next(c for c in seen["calls"] if "Paused" in c)
        assert est["ConnID"] in row and "5004" in row and "5003" in row, row
        assert "Origination" in row and "Destination" in row, row
        assert re.search(r"Paused \d+:\d\d", row), row
    finally:
        call.hang_up()
        call.close()
        browser.close()
        desk.close()
        app.close()
