"""A site that stops answering in the middle of a transfer: the first site gives up with a
clear error, its call state stays sound and the trace shows the hop that never arrived."""
import os
import signal

from arectest.db import psql
from sitestest import islinks, location, names, request, sequences, wait_event, wait_for

# The unanswered INVITE to site B is given up after no-answer-timeout.
SITES_OPTS = ["--gateway-opt", "no-answer-timeout=3"]


def test_transfer_to_a_site_that_vanished(sites, phones):
    wa = sites.a.watch("6101", "6102")
    agent_a = phones["a"].phone("6102", "uas_answer.xml")
    wait_event(wa, "6102", "EventDNBackInService")
    customer = phones["a"].call("uac_call_wait_bye.xml", "6102", "6101")
    pid_b = int(sites.b.env["GATEWAY_PID"])
    stopped = False
    try:
        est = wait_event(wa, "6102", "EventEstablished")
        os.kill(pid_b, signal.SIGSTOP)  # site B's gateway stops answering
        stopped = True
        r = request(sites.a, {"message": "RequestSingleStepTransfer", "ThisDN": "6102",
                              "ConnID": est["ConnID"], "OtherDN": "6201"})
        assert r["message"] != "EventError", r
        agent_a.ok()
        # The destination never answers: the customer's call ends (NoAnswer) with a BYE.
        customer.ok()
        rel = wait_event(wa, "6101", "EventReleased", timeout=30)
        assert rel["CallState"] == 7, rel
        sa = sequences(wa, sites.a, ["6101", "6102"])
        assert names(sa["6101"]) == ["EventDialing", "EventEstablished",
                                     "EventCallDataChanged", "EventPartyChanged",
                                     "EventReleased"], sa
        (link, loc, role), = islinks(sa["6101"][2])
        assert (loc, role) == (location("b"), "source")
        # The trace: site A's row for the hop, none from B (it never took the call).
        rows = []

        def a_row():
            rows[:] = psql(sites.a.env["PGURL"],
                           f"SELECT site, direction_role FROM islinks WHERE islink_id = '{link}'")
            return rows
        wait_for(a_row, 20, "site A's ISLink row")
        assert rows == [["site-a", "source"]], rows
    finally:
        if stopped:
            os.kill(pid_b, signal.SIGCONT)
        wa.stop()
    # Site B, back, answers the stale INVITE's CANCEL and takes new calls as before.
    wb = sites.b.watch("6202")
    try:
        agent_b = phones["b"].phone("6202", "uas_answer.xml")
        wait_event(wb, "6202", "EventDNBackInService", timeout=20)
        c2 = phones["a"].call("uac_call.xml", "6202", "6103")
        wait_event(wb, "6202", "EventEstablished")
        c2.ok()
        agent_b.ok()
    finally:
        wb.stop()
