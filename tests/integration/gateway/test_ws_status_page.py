"""The status page in headless Chromium (DevTools protocol): what a person sees, escaped."""
import asyncio
import os
import re
import tempfile
from pathlib import Path

from arectest.browser import Browser, look  # conftest put tests/lib on the path
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

    try:
        # A wrong token: the page asks for one and says it was rejected.
        seen, _ = asyncio.run(look(browser, base + "#token=wrong", lambda s: s["loginShown"]))
        assert seen["loginShown"] and seen["conn"] == "not signed in", seen

        def ready(s):
            return (s["conn"] == "live" and any(HTML_DN in d for d in s["dns"])
                    and len(s["clients"]) >= 2 and any("Paused" in c for c in s["calls"]))

        seen, png = asyncio.run(look(browser, base + "#token=page-token", ready))
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
