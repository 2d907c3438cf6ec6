"""The status page in headless Chromium while a real call is recorded and paused through mediad."""
import asyncio
import base64
import os
import re
from pathlib import Path

from arectest.browser import Browser, look  # conftest put tests/lib on the path
from rectest import BUILD, Call, wait_ud

OUT = Path(os.environ.get("AREC_TEST_OUTPUT_DIR", BUILD / "test-output")) / "status-page"


def test_page_shows_a_recorded_call_paused(stack):
    w = stack.watch("5010")
    c = Call(stack)  # 5001 -> 5010, which records full-time
    browser = None
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5010",
                                       "PrivateMsgID": 3015, "ConnID": on["ConnID"]})
        assert msgs[-1]["message"] == "EventACK", msgs
        wait_ud(w, "5010", "GSIP_RECORD", "Paused")  # published on mediad's 200 to the INFO
        browser = Browser()
        url = stack.env["HTTP_URL"] + "#token=" + stack.env["STATUS_TOKEN"]

        def ready(s):
            return s["conn"] == "live" and any(on["ConnID"] in r and "Paused" in r
                                               for r in s["calls"])

        seen, png = asyncio.run(look(browser, url, ready))
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "recorded-paused.png").write_bytes(base64.b64decode(png))
        assert ready(seen), seen
        # What a person reads in the call's row: both parties and "Paused" with its time.
        row = next(r for r in seen["calls"] if on["ConnID"] in r)
        assert "5001" in row and "5010" in row, row
        assert re.search(r"Paused \d+:\d\d", row), row
        c.hangup()
    finally:
        if browser:
            browser.close()
        c.close()
        w.stop()
