"""RequestRouteCall Extensions record=disable_destination: no full-time recording of the agent."""
from rectest import TONE_A, TONE_B, gw_addr, recua, ud_changes, wait_for, wait_ud


def route(stack, w, target, ext):
    rr = w.expect(lambda m: m.get("message") == "EventRouteRequest", 10)
    assert rr is not None
    rc, msgs, err = stack.request({"message": "RequestRouteCall", "ThisDN": "7001",
                                   "ConnID": rr["ConnID"], "OtherDN": target, "Extensions": ext})
    assert msgs and msgs[-1]["message"] in ("EventACK", "EventRouteUsed"), (msgs, err)
    return rr["ConnID"]


def routed_call(stack, ext):
    """5004 -> routing point 7001 -> 5010 (record = true in the stack's configuration)."""
    w = stack.watch("7001", "5010", "5004")
    agent = recua.Phone("5010", gw_addr(stack), TONE_B)
    customer = recua.Phone("5004", gw_addr(stack), TONE_A)
    assert agent.register() == 200
    customer.call("7001")
    route(stack, w, "5010", ext)
    assert customer.wait_answered() == 200
    w.expect(lambda m: m.get("message") == "EventEstablished" and m.get("ThisDN") == "5010", 10)
    return w, agent, customer


def test_disable_destination_prevents_full_time(stack):
    w, agent, customer = routed_call(stack, {"record": "disable_destination"})
    try:
        base = customer.rx_packets
        wait_for(lambda: customer.rx_packets > base + 100, what="audio between the parties")
        customer.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5010", 10)
        # 5010 has record = true: without the extension this call would be On / Off
        assert ud_changes(w, "5010", "GSIP_RECORD") == []
        assert ud_changes(w, "5004", "GSIP_RECORD") == []
    finally:
        agent.close()
        customer.close()
        w.stop()


def test_without_disable_the_same_route_records(stack):
    # the control case: same route, no extension -> full-time recording of 5010
    w, agent, customer = routed_call(stack, {"other": "x"})
    try:
        wait_ud(w, "5010", "GSIP_RECORD", "On")
        customer.hangup()
        wait_ud(w, "5010", "GSIP_RECORD", "Off")
    finally:
        agent.close()
        customer.close()
        w.stop()
