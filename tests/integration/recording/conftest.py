"""Fixtures: one full stack (postgres, mediad, recorder, gatewayd) per test file."""
import pytest

from rectest import Stack


@pytest.fixture(scope="module")
def stack(request):
    """A running stack; a module may set STACK_OPTS and RECORDER_OPTS."""
    import os
    old = os.environ.get("RECORDER_OPTS")
    ro = getattr(request.module, "RECORDER_OPTS", None)
    if ro is not None:
        os.environ["RECORDER_OPTS"] = ro
    s = Stack(*getattr(request.module, "STACK_OPTS", ()))
    try:
        s.up()
    except Exception:
        s.down()
        raise
    finally:
        if ro is not None:
            if old is None:
                os.environ.pop("RECORDER_OPTS", None)
            else:
                os.environ["RECORDER_OPTS"] = old
    yield s
    alive = s.alive()
    rc, out = s.down()
    try:
        assert alive, "gatewayd died during the tests; log:\n" + s.log()[-4000:]
        assert rc == 0, "tests/stack down failed:\n" + out
    finally:
        s.cleanup()
