"""Fixture: extra recorders / mediads started by the test module, in [pool]s, plus the stack."""
import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
pytest.register_assert_rewrite("arectest")
from arectest.stack import finish, start  # noqa: E402
import fotest  # noqa: E402


class Fo:
    """stack + recs (extra recorders) + mds (extra mediads) of one test module."""


@pytest.fixture(scope="module")
def fo(request):
    """A module sets RECORDERS / MEDIADS (lists of extra-option tuples, one per process),
    STACK_OPTS and optionally POOLS(recs, mds) -> config text (default: a recorder pool
    "recs" and, with MEDIADS, a mediad pool "mds", both round-robin, OPTIONS every 1 s)."""
    mod = request.module
    tmp = tempfile.mkdtemp(prefix="arec-fo-")
    f = Fo()
    f.tmp = tmp
    f.recs, f.mds, f.fakes = [], [], []
    try:
        f.fakes = [fotest.FakeRecorder(m) for m in getattr(mod, "FAKES", [])]
        f.recs.extend(f.fakes)  # first in the pool: round-robin picks them first
        for i, opts in enumerate(getattr(mod, "RECORDERS", [])):
            f.recs.append(fotest.start_recorder(tmp, f"rec{i}", *opts))
        for i, opts in enumerate(getattr(mod, "MEDIADS", [])):
            f.mds.append(fotest.start_mediad(tmp, f"md{i}", *opts))
        if hasattr(mod, "POOLS"):
            text = mod.POOLS(f.recs, f.mds)
        else:
            text = fotest.pool_section("recs", "recorder", f.recs) if f.recs else ""
            if f.mds:
                text += fotest.pool_section("mds", "mediad", f.mds)
        extra = Path(tmp) / "pools.conf"
        extra.write_text(text)
        old = os.environ.get("STACK_GATEWAY_EXTRA")
        os.environ["STACK_GATEWAY_EXTRA"] = str(extra)
        try:
            opts = list(getattr(mod, "STACK_OPTS", ()))
            if f.recs:
                opts += ["--gateway-opt", "recording-dest=pool:recs"]
            f.stack = start(fotest.Stack(*opts))
        finally:
            if old is None:
                os.environ.pop("STACK_GATEWAY_EXTRA", None)
            else:
                os.environ["STACK_GATEWAY_EXTRA"] = old
    except Exception:
        fotest.stop_all(f.recs + f.mds)
        raise
    yield f
    try:
        finish(f.stack)
    finally:
        fotest.stop_all(f.recs + f.mds)
