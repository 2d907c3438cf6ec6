"""Fixtures: one full stack (postgres, mediad, recorder, gatewayd) per test file."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
pytest.register_assert_rewrite("arectest")
from arectest.stack import module_stack  # noqa: E402
from rectest import Stack  # noqa: E402


@pytest.fixture(scope="module")
def stack(request):
    """A running stack; a module may set STACK_OPTS, RECORDER_OPTS, MEDIAD_OPTS and
    STACK_GATEWAY_EXTRA (a file of extra sections, tests/stack.d/20-gatewayd.sh)."""
    yield from module_stack(Stack, request,
                            env_attrs=("RECORDER_OPTS", "STACK_GATEWAY_EXTRA", "MEDIAD_OPTS"))
