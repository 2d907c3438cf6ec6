"""Fixture: extra recorders / mediads started for the test module, in [pool]s, plus the stack."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
pytest.register_assert_rewrite("arectest")
import fotest  # noqa: E402


@pytest.fixture(scope="module")
def fo(request):
    """A module sets RECORDERS / MEDIADS (lists of extra-option tuples, one per process),
    FAKES (FakeRecorder modes), STACK_OPTS and optionally POOLS(recs, mds) -> config text
    (default: a recorder pool "recs" and, with MEDIADS, a mediad pool "mds", both
    round-robin, OPTIONS every 1 s, out of service after 1 miss)."""
    mod = request.module
    f = fotest.bring_up(getattr(mod, "RECORDERS", ()), getattr(mod, "MEDIADS", ()),
                        getattr(mod, "FAKES", ()), getattr(mod, "STACK_OPTS", ()),
                        getattr(mod, "POOLS", None))
    yield f
    fotest.bring_down(f)
