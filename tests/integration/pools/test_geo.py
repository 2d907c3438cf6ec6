"""Geo-location: the seed's order of preference picks the recorder; an unknown tag is refused."""
import re
from pathlib import Path

import pytest

from pooltest import (Call, is_ud, member_metric, recorded_call, recorder_uris, wait_for)
from rectest import TONE_A, TONE_B, gw_addr, recua

STACK_OPTS = ("--recorders", "2", "--pool-scheme", "none",
              "--gateway-opt", "recording-dest=pool:geo",
              "--gateway-opt", "register-rate-limit=100000")
EXTRA_CONFIG = """[pool geo]
kind = recorder
interval = 1
member = sip:@RECORDER_SIP_ADDR@ geo-location=paris
member = sip:@RECORDER2_SIP_ADDR@ geo-location=dallas

[dn 6001]
type = Extension
record = true
geo-location = paris

[dn 6002]
type = Extension
record = true
geo-location = dallas

[dn 6003]
type = Extension
record = true
geo-location = tokyo

[dn 6004]
type = Extension
geo-location = dallas

[dn 6005]
type = Extension
geo-location = paris

[dn 6006]
type = Extension
geo-location = dallas

[dn 6007]
type = Extension
geo-location = tokyo

[dn 7002]
type = Routing Point
geo-location = dallas
default-dn = 6001
router-timeout = 30
"""


def picks(stack):
    return [member_metric(stack, "picks_total", u) for u in recorder_uris(stack, 2)]


def delta(stack, fn):
    before = picks(stack)
    fn()
    after = picks(stack)
    return [a - b for a, b in zip(after, before)]


@pytest.fixture(scope="module", autouse=True)
def in_service(stack):
    wait_for(lambda: all(member_metric(stack, "member_up", u) == 1
                         for u in recorder_uris(stack, 2)), 20, "recorders in service")


@pytest.mark.parametrize("dn,want", [("6001", [3, 0]), ("6002", [0, 3])])
def test_recorded_dn_geo(stack, dn, want):
    w = stack.watch(dn)
    try:
        assert delta(stack, lambda: [recorded_call(stack, w, callee=dn) for _ in range(3)]) == want
    finally:
        w.stop()
    assert stack.wait_log(r"geo-location %s \(from recorded DN %s" % (
        "paris" if dn == "6001" else "dallas", dn), 5)
    # mpc.copyheaders equivalent: the tag rides on the mediad INVITE and mediad copies it
    tag = "paris" if dn == "6001" else "dallas"
    mlog = Path(stack.dir) / "mediad.log"
    wait_for(lambda: re.search(r"X-Genesys-geo-location %s, copied onto its recording" % tag,
                               mlog.read_text(errors="replace")), 10, "geo header at mediad")


def routed_call(stack, rp, target, ext):
    """5004 calls routing point rp, routed to target with Extensions ext; recorded on target
    (full-time) or as ext says. Returns after GSIP_RECORD On and hang-up / Off."""
    w = stack.watch(rp, target, "5004")
    agent = recua.Phone(target, gw_addr(stack), TONE_B)
    customer = recua.Phone("5004", gw_addr(stack), TONE_A)
    try:
        assert agent.register() == 200
        customer.call(rp)
        rr = w.expect(lambda m: m.get("message") == "EventRouteRequest", 10)
        assert rr is not None
        req = {"message": "RequestRouteCall", "ThisDN": rp, "ConnID": rr["ConnID"],
               "OtherDN": target}
        if ext:
            req["Extensions"] = ext
        rc, msgs, err = stack.request(req)
        assert msgs and msgs[-1]["message"] in ("EventACK", "EventRouteUsed"), (msgs, err)
        assert customer.wait_answered() == 200
        assert w.expect(lambda m: is_ud(m, target, "On"), 20) is not None
        customer.hangup()
        assert w.expect(lambda m: is_ud(m, target, "Off"), 20) is not None
    finally:
        agent.close()
        customer.close()
        w.stop()


def test_routing_point_beats_recorded_dn(stack):
    # 6001 is paris, the routing point dallas: inbound order puts the routing point first
    assert delta(stack, lambda: routed_call(stack, "7002", "6001", None)) == [0, 1]
    assert stack.wait_log(r"geo-location dallas \(from routing point 7002", 5)


def test_route_call_extension_beats_routing_point(stack):
    assert delta(stack, lambda: routed_call(stack, "7002", "6002",
                                            {"geo-location": "paris"})) == [1, 0]
    assert stack.wait_log(r"geo-location paris \(from RouteCall extension", 5)


def test_selective_destination_uses_the_agent_dn(stack):
    # selective record=destination: the agent DN's tag (6004: dallas), not the routing point
    assert delta(stack, lambda: routed_call(stack, "7002", "6004",
                                            {"record": "destination", "id": "geo-sel"})) == [0, 1]
    assert stack.wait_log(r"geo-location dallas \(from agent DN 6004, selective", 5)


def test_tag_nobody_has_is_refused(stack):
    w = stack.watch("6003")
    c = Call(stack, callee="6003", caller="5001")
    try:
        off = w.expect(lambda m: is_ud(m, "6003", "Off"), 20)
        assert off is not None
        reason = off["UserData"].get("GSIP_RECORD_REASON", "")
        assert 'geo-location "tokyo"' in reason, reason
        c.talk()  # the call itself goes on
    finally:
        c.hangup()
        c.close()
        w.stop()


def private(stack, msg_id, connid, this_dn, ext):
    rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": this_dn,
                                   "PrivateMsgID": msg_id, "ConnID": connid, "Extensions": ext})
    assert msgs, (rc, err)
    return msgs[-1]


def dynamic(stack, caller, callee, side, rid):
    """A plain call caller -> callee; RequestPrivateService 3013 on ThisDN caller with
    record=side, then 3014. Returns the EventACK / EventError of the start."""
    w = stack.watch(caller, callee)
    c = Call(stack, callee=callee, caller=caller)
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished" and
                       m.get("ThisDN") == callee, 10)
        assert est is not None
        r = private(stack, 3013, est["ConnID"], caller, {"record": side, "id": rid})
        if r["message"] == "EventACK":
            assert w.expect(lambda m: is_ud(m, caller, "On"), 20) is not None
            assert private(stack, 3014, est["ConnID"], caller, {})["message"] == "EventACK"
            assert w.expect(lambda m: is_ud(m, caller, "Off"), 20) is not None
        c.hangup()
        return r
    finally:
        c.close()
        w.stop()


def test_dynamic_source_uses_this_dn(stack):
    assert delta(stack, lambda: dynamic(stack, "6005", "6006", "source", "geo-dyn-1")) == [1, 0]
    assert stack.wait_log(r"geo-location paris \(from thisDN 6005, dynamic", 5)


def test_dynamic_destination_uses_other_dn(stack):
    assert delta(stack, lambda: dynamic(stack, "6005", "6006", "destination",
                                        "geo-dyn-2")) == [0, 1]
    assert stack.wait_log(r"geo-location dallas \(from otherDN 6006, dynamic", 5)


def test_dynamic_tag_nobody_has_is_an_error(stack):
    r = dynamic(stack, "6007", "6005", "source", "geo-dyn-3")
    assert r["message"] == "EventError" and r["ErrorCode"] == 562, r  # POOL_GEO_NOMATCH
