"""Fixtures: one stack per test file with several mediads / recorders in pools."""
import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
pytest.register_assert_rewrite("arectest", "pooltest")
from arectest.stack import module_stack  # noqa: E402
from pooltest import Stack  # noqa: E402


@pytest.fixture(scope="module")
def stack(request):
    """A running stack; a module may set STACK_OPTS and EXTRA_CONFIG (gatewayd.conf sections
    appended, @RECORDER2_SIP_ADDR@-style placeholders filled by tests/stack)."""
    extra = getattr(request.module, "EXTRA_CONFIG", None)
    path = None
    if extra is not None:
        fd, path = tempfile.mkstemp(prefix="arec-pools-", suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(extra)
        request.module.STACK_GATEWAY_EXTRA = path
    try:
        yield from module_stack(Stack, request, env_attrs=("STACK_GATEWAY_EXTRA", "RECORDER_OPTS",
                                                          "RECORDER2_OPTS", "RECORDER3_OPTS"))
    finally:
        if path:
            os.unlink(path)
