"""Fixtures: one stack per test file (SIP on), SIPp helpers closed after each test."""
import pytest

from callstest import Calls, Stack


@pytest.fixture(scope="module")
def stack(request):
    """A running stack; a module may set STACK_OPTS (extra `tests/stack up` options)."""
    s = Stack(*getattr(request.module, "STACK_OPTS", ()))
    try:
        s.up()
    except Exception:
        s.down()
        raise
    yield s
    alive = s.alive()
    rc, out = s.down()
    try:
        assert alive, "gatewayd died during the tests; log:\n" + s.log()[-4000:]
        assert rc == 0, "tests/stack down failed:\n" + out
    finally:
        s.cleanup()


@pytest.fixture
def calls(stack):
    c = Calls(stack)
    yield c
    c.close()
