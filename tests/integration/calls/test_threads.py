"""sip-stack-thread: the SIP stack runs in its own named thread exactly when configured
(the default, or AREC_GW_OPTS as the calls_st_ tests set it), and a call goes through."""
import os
from pathlib import Path

from callstest import wait_event


def expect_threaded():
    """The mode this run asks for: AREC_GW_OPTS may say, else the default (true)."""
    for opt in os.environ.get("AREC_GW_OPTS", "").split():
        key, _, value = opt.partition("=")
        if key.strip() == "sip-stack-thread":
            return value.strip().lower() in ("1", "true", "yes", "on")
    return True


def thread_names(pid):
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except OSError:
            pass  # a thread that ended meanwhile
    return names


def test_stack_thread_matches_config(stack, calls):
    names = thread_names(int(stack.env["GATEWAY_PID"]))
    if expect_threaded():
        assert names.count("gw-sip-stack") == 1, names
    else:
        assert "gw-sip-stack" not in names, names
    w = stack.watch("5001", "5002")
    try:
        phone = calls.phone("5002", "uas_answer.xml")
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5002", "5001", d=300)
        uac.ok()
        phone.ok()
        wait_event(w, "5001", "EventEstablished")
        wait_event(w, "5002", "EventReleased")
    finally:
        w.stop()
