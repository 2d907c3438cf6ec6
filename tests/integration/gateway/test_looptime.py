"""gatewayd's loop histograms in /metrics and its loop settings (gw_looptime.h, gw_tlprio.h)."""
import re
import urllib.request

import gwtest

# tlib-first off and SIP batches by count only: the old behaviour, still serving clients.
STACK_OPTS = ("--gateway-opt", "tlib-first=false", "--gateway-opt", "sip-batch-max-us=0")

HISTS = ("gatewayd_loop_busy_seconds", "gatewayd_loop_busy_cpu_seconds",
         "gatewayd_sip_batch_seconds",
         "gatewayd_tlib_input_wait_seconds", "gatewayd_tlib_input_served_seconds",
         "gatewayd_tlib_tcp_read_delay_seconds")


def metrics(stack):
    req = urllib.request.Request(stack.env["HTTP_URL"] + "metrics",
                                 headers={"Authorization": "Bearer " + stack.env["STATUS_TOKEN"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r'^([a-z_]+)(\{le="([^"]+)"\})? (\S+)$', line)
        if m:
            out[(m.group(1), m.group(3))] = float(m.group(4))
    return out


def test_histograms_count_tlib_input(stack):
    before = metrics(stack)
    for name in HISTS:
        assert (name + "_count", None) in before, name
        assert before[(name + "_bucket", "+Inf")] == before[(name + "_count", None)], name
    # A TCP client and a WebSocket client, each answered: their input is counted.
    rc, msgs, err = stack.request({"message": "RequestQueryAddress", "ThisDN": "5001"})
    assert rc == 0 and msgs[-1]["message"] == "EventAddressInfo", (msgs, err)
    ws = gwtest.WSClient(stack.ws_url)
    try:
        ws.register()
        m = ws.request({"message": "RequestQueryAddress", "ThisDN": "5001"})
        assert m and m["message"] == "EventAddressInfo", m
    finally:
        ws.close()
    after = metrics(stack)
    for name in ("gatewayd_tlib_input_wait_seconds", "gatewayd_tlib_input_served_seconds",
                 "gatewayd_tlib_tcp_read_delay_seconds", "gatewayd_loop_busy_seconds"):
        assert after[(name + "_count", None)] > before[(name + "_count", None)], name
    # Cumulative buckets never decrease with le.
    for name in HISTS:
        les = sorted((float(k[1]), v) for k, v in after.items()
                     if k[0] == name + "_bucket" and k[1] != "+Inf")
        assert all(a[1] <= b[1] for a, b in zip(les, les[1:])), name

