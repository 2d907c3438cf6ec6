"""Fixtures: each test file brings up its own stack in a temporary directory."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
pytest.register_assert_rewrite("arectest")
from arectest.stack import module_stack  # noqa: E402
from gwtest import Stack  # noqa: E402


@pytest.fixture(scope="module")
def stack(request):
    """A running stack; a module may set STACK_OPTS (extra `tests/stack up` options)."""
    yield from module_stack(Stack, request)
