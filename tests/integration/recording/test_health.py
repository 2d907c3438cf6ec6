"""SIP OPTIONS health checks of mediad and the recorder: status stream, /metrics, DN events, log."""
import os
import re
import signal
import urllib.request

from rectest import wait_for
from gwtest import WSClient

# One check a second, out of service after two misses (docs/recording.md "Health checks").
STACK_OPTS = ("--gateway-opt", "media-oos-check=1", "--gateway-opt", "media-oos-force=2",
              "--gateway-opt", "recorder-oos-check=1", "--gateway-opt", "recorder-oos-force=2")


def metrics(stack):
    url = stack.env["HTTP_URL"] + "metrics?token=" + stack.env["STATUS_TOKEN"]
    return urllib.request.urlopen(url, timeout=5).read().decode()


def up(stack, name):
    """gatewayd_media_up of target name (None when absent)."""
    m = re.search(r'^gatewayd_media_up\{name="%s",[^}]*\} (\d+)$' % re.escape(name), metrics(stack),
                  re.M)
    return int(m.group(1)) if m else None


def media_row(msg, name):
    return next((r for r in (msg.get("media") or []) if r.get("name") == name), None)


def test_media_and_recorder_in_service_on_status_and_metrics(stack):
    wait_for(lambda: up(stack, "msml") == 1 and up(stack, "recorder") == 1,
             what="mediad and the recorder up in /metrics")
    text = metrics(stack)
    assert re.search(r'^gatewayd_media_rtt_seconds\{name="msml"\} [0-9.]+$', text, re.M), text
    ws = WSClient(stack.env["HTTP_URL"].replace("http://", "ws://") + "status")
    try:
        ws.send({"message": "Authenticate", "token": stack.env["STATUS_TOKEN"]})
        snap = ws.expect(lambda m: m.get("type") == "snapshot", 10)
        assert snap is not None, "no status snapshot"
        md, rec = media_row(snap, "msml"), media_row(snap, "recorder")
        assert md and md["state"] == "In service", snap.get("media")
        assert md["address"] == "sip:" + stack.env["MEDIAD_SIP_ADDR"], md
        assert rec and rec["state"] == "In service", snap.get("media")
        assert rec["address"] == "sip:" + stack.env["RECORDER_SIP_ADDR"], rec
        assert rec["rttMs"] is not None and rec["lastAnswer"] > 0, rec
    finally:
        ws.close()


def test_stopped_mediad_goes_out_of_service_and_back(stack):
    wait_for(lambda: up(stack, "msml") == 1, what="mediad up")
    w = stack.watch("msml")
    pid = int(stack.env["MEDIAD_PID"])
    os.kill(pid, signal.SIGSTOP)
    try:
        oos = w.expect(lambda m: m.get("message") == "EventDNOutOfService", 15)
        assert oos is not None and oos.get("ThisDN") == "msml", w.seen[-5:]
        assert up(stack, "msml") == 0
        assert stack.wait_log(r"media server msml \(sip:[^)]*\) out of service: no answer", 5)
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        back = w.expect(lambda m: m.get("message") == "EventDNBackInService", 15)
        assert back is not None and back.get("ThisDN") == "msml", w.seen[-5:]
        assert up(stack, "msml") == 1
        assert stack.wait_log(r"media server msml \(sip:[^)]*\) in service", 5)
    finally:
        w.stop()


def test_stopped_recorder_goes_out_of_service_and_back(stack):
    wait_for(lambda: up(stack, "recorder") == 1, what="recorder up")
    pid = int(stack.env["RECORDER_PID"])
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: up(stack, "recorder") == 0, what="recorder down in /metrics")
        assert stack.wait_log(r"recorder \(sip:[^)]*\) out of service: no answer", 5)
        assert up(stack, "msml") == 1, "mediad must stay in service"
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: up(stack, "recorder") == 1, what="recorder back up in /metrics")
