"""mediad's bounded shutdown: a recorder that never answers an INVITE nor its CANCEL does
not hold mediad's exit for sofia-sip's Timer B (32 s)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mdharness import TIMEOUT, msml_create, wait_for
from test_mediad import Call, mediad  # noqa: F401 (fixture)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
from callstest import free_port, udp_port_bound  # noqa: E402

SIPP = shutil.which("sipp")
SCEN = Path(__file__).resolve().parents[2] / "sipp" / "uas_ring_silent.xml"
# Generous against the 2 s bound + 1 s for nua_shutdown, far below the 32 s it replaces.
EXIT_LIMIT = 15.0


@pytest.fixture
def silent_recorder():
    if SIPP is None:
        pytest.skip("sipp not installed")
    d = tempfile.mkdtemp(prefix="arec-silent-rec-")
    port = free_port()
    proc = subprocess.Popen([SIPP, "-sf", str(SCEN), "-s", "rec", "-i", "127.0.0.1", "-p",
                             str(port), "-m", "1", "-nostdin", "-default_behaviors", "none",
                             "-trace_err", "-error_file", os.path.join(d, "errors.log")],
                            cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_for(lambda: udp_port_bound(port) or proc.poll() is not None,
             what=f"sipp to listen on {port}")
    assert proc.poll() is None, "sipp exited at once"
    yield port, d
    proc.kill()
    proc.wait()
    shutil.rmtree(d, ignore_errors=True)


def test_exit_bounded_with_a_silent_recorder(mediad, silent_recorder):
    port, d = silent_recorder
    # rec-timeout: the unanswered INVITE gets its CANCEL after 1 s (no answer to that either)
    md = mediad("--rec-timeout", "1000", "--shutdown-timeout-ms", "2000")
    call = Call(md, conf="silent")
    call.start_media()
    assert call.info(msml_create({"id": "s1", "dest": f"sip:127.0.0.1:{port}"},
                                 ["1001", "1002"])).status == 200
    wait_for(lambda: os.path.exists(os.path.join(d, "cancelled")), timeout=3 * TIMEOUT,
             what="the CANCEL at the silent recorder")
    call.hangup()  # the session is released: its handle still waits for the recorder
    t0 = time.monotonic()
    md.proc.terminate()
    try:
        rc = md.proc.wait(timeout=EXIT_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mediad still running {EXIT_LIMIT} s after SIGTERM")
    took = time.monotonic() - t0
    log = open(md.log.name).read()
    assert rc == 0, f"mediad exited with {rc}:\n{log[-3000:]}"
    assert "not ended in 2000 ms: destroyed" in log, log[-3000:]
    print(f"mediad exit after SIGTERM: {took:.1f} s (load {os.getloadavg()[0]:.2f})")
