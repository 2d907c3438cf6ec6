"""SIGTERM with calls in progress: every leg gets its BYE, peers that never answer it do
not hold the process past shutdown-timeout-ms, and the exit is clean (sanitizers)."""
import os
import signal
from pathlib import Path

from arectest.stack import start
from callstest import Calls, Stack, wait_event, wait_for


def gone(pid):
    """True once pid has exited (a zombie counts: the stack script is not its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except (OSError, IndexError):
        return True


def test_sigterm_with_unanswered_byes():
    stack = start(Stack("--gateway-opt", "shutdown-timeout-ms=1000"), cleanup_on_failure=True)
    calls = Calls(stack)
    w = stack.watch("5002")
    try:
        phone = calls.phone("5002", "uas_answer.xml", m=3)
        uac = calls.call("uac_call_wait_bye.xml", "5002", "5001", m=3)
        for _ in range(3):
            wait_event(w, "5002", "EventEstablished")
        # Both phones freeze: the gateway's BYEs go unanswered (UDP retransmissions).
        phone.proc.send_signal(signal.SIGSTOP)
        uac.proc.send_signal(signal.SIGSTOP)
        pid = int(stack.env["GATEWAY_PID"])
        os.kill(pid, signal.SIGTERM)
        # nua alone would wait up to 32 s for the BYEs; the bound is 1 s plus the exit.
        wait_for(lambda: gone(pid), 20, "gatewayd to exit", step=0.05)
        log = stack.log()
        assert "shutdown: 6 leg(s) did not answer their BYE / CANCEL in 1000 ms" in log, log[-3000:]
        assert "SIP shutdown complete" in log, log[-3000:]
    finally:
        w.stop()
        for p in calls.procs:  # no unregister: the gateway is gone
            p.kill()
        rc, out = stack.down()
        stack.cleanup()
    assert rc == 0, "tests/stack down (sanitizer check) failed:\n" + out
