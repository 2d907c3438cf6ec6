"""The stack harness itself: two stacks side by side, stack.env contents, a clean down."""
import json
import os
import time
import urllib.request

from gwtest import Stack


def wait_gone(pid, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_two_stacks_side_by_side():
    a, b = Stack(), Stack()
    try:
        a.up()
        b.up()
        for key in ("TLIB_ADDR", "TLIB_APP", "TLIB_PASSWORD", "WS_URL", "WS_TOKEN", "HTTP_URL",
                    "GATEWAY_PID"):
            assert key in a.env and key in b.env, key
        assert a.env["TLIB_ADDR"] != b.env["TLIB_ADDR"]
        assert a.env["WS_URL"] != b.env["WS_URL"]
        # WS_TOKEN is the demo desktop's token (docs/websocket-api.md).
        assert a.env["WS_TOKEN"] and a.env["STATUS_TOKEN"]
        for s in (a, b):
            rc, msgs, err = s.request({"message": "RequestQueryServer"})
            assert rc == 0 and msgs[-1]["message"] == "EventServerInfo", err
            with urllib.request.urlopen(s.env["HTTP_URL"] + "healthz", timeout=10) as r:
                assert r.status == 200
                json.loads(r.read())
        # Events stay inside their own stack.
        w = b.watch("5001")
        marker = a.user_event("5001")
        assert w.expect(lambda m: m.get("message") == "EventUserEvent"
                        and m["UserData"]["marker"] == marker, timeout=1) is None
        w.stop()
        pa, pb = int(a.env["GATEWAY_PID"]), int(b.env["GATEWAY_PID"])
        rc, out = a.down()
        assert rc == 0, out
        assert wait_gone(pa), "gatewayd of stack A still running after down"
        assert b.alive(), "stopping stack A touched stack B"
        rc, out = b.down()
        assert rc == 0, out
        assert wait_gone(pb)
        # Logs stay for the post-mortem.
        assert (a.dir / "gatewayd.log").exists() and (b.dir / "gatewayd.log").exists()
    finally:
        a.down()
        b.down()
        a.cleanup()
        b.cleanup()


def test_up_fails_cleanly_on_a_bad_config(tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("[gateway]\ntlib-listen = nowhere\n[nonsense\n")
    s = Stack("--gateway-config", str(bad))
    try:
        try:
            s.up()
            raise AssertionError("tests/stack up accepted a broken configuration")
        except RuntimeError as e:
            assert "gatewayd" in str(e)
    finally:
        s.down()
        s.cleanup()
