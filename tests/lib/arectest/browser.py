"""Headless Chromium driven over the DevTools protocol, for the status-page tests."""
import asyncio
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from arectest.util import stop_process


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


async def look(browser, url, until, timeout=30):
    """Open url, read PROBE until until(seen) or timeout; (last seen, PNG screenshot base64)."""
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
