"""A recorded call as the status page and /metrics show it (the demo's "visible on the status page")."""
import urllib.request

from rectest import Call, wait_for, wait_ud
from gwtest import WSClient


def metrics(stack):
    url = stack.env["HTTP_URL"] + "metrics?token=" + stack.env["STATUS_TOKEN"]
    return urllib.request.urlopen(url, timeout=5).read().decode()


def test_recorded_call_on_status_stream_and_metrics(stack):
    w = stack.watch("5010")
    c = Call(stack)
    ws = None
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_for(lambda: 'gatewayd_recordings{state="on"} 1' in metrics(stack),
                 what="recordings on = 1 in /metrics")
        ws = WSClient(stack.env["HTTP_URL"].replace("http://", "ws://") + "status")
        ws.send({"message": "Authenticate", "token": stack.env["STATUS_TOKEN"]})

        def recorded(m):
            return any(x.get("connId") == on["ConnID"] and x.get("recording") == "On"
                       for x in (m.get("calls") or []))
        snap = ws.expect(lambda m: m.get("type") in ("snapshot", "delta") and recorded(m), 10)
        assert snap is not None, "the recorded call is not on the status stream"
        c.hangup()
        wait_for(lambda: 'gatewayd_recordings{state="on"} 0' in metrics(stack),
                 what="recordings on = 0 after the call")
    finally:
        if ws:
            ws.close()
        c.close()
        w.stop()
