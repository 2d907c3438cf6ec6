"""Full-time recording by agent login: [agent 9020] record = true, on whatever DN it uses."""
from rectest import Call, ud_changes, wait_recording_done, wait_ud


def agent(stack, msg, dn, login):
    rc, msgs, err = stack.request({"message": msg, "ThisDN": dn, "AgentID": login})
    assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)


def test_agent_login_with_record_true_is_recorded_only_while_logged_in(stack):
    w = stack.watch("5006", "5007")
    agent(stack, "RequestAgentLogin", "5007", "9020")
    c = Call(stack, callee="5007", caller="5006")
    try:
        on = wait_ud(w, "5007", "GSIP_RECORD", "On")
        c.talk()
        c.hangup()
        wait_ud(w, "5007", "GSIP_RECORD", "Off")
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5007", 10)
        s = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        assert s["params"]["recordDN"] == "5007"
    finally:
        c.close()
    agent(stack, "RequestAgentLogout", "5007", "9020")
    w.seen.clear()
    c = Call(stack, callee="5007", caller="5006")
    try:
        c.hangup()
        w.expect(lambda m: m.get("message") == "EventReleased" and m.get("ThisDN") == "5007", 10)
        assert ud_changes(w, "5007", "GSIP_RECORD") == []
    finally:
        c.close()
        w.stop()
