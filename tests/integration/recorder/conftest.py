"""pytest fixtures for the recorder integration tests."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from recutil import Recorder  # noqa: E402


@pytest.fixture
def make_recorder(tmp_path):
    """Starts arec-recorder processes with extra options; stops them after the test and
    checks none of them crashed."""
    started = []

    def make(*args, sub="r"):
        d = tmp_path / sub
        d.mkdir(exist_ok=True)
        rec = Recorder(d, *args)
        started.append(rec)
        return rec

    yield make
    for rec in started:
        alive = rec.alive() or rec.terminated
        rc = rec.stop()
        assert alive, "recorder died during the test:\n" + rec.read_log()
        assert rc == 0, "recorder exit code %s:\n%s" % (rc, rec.read_log())
