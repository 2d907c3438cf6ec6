"""Fixtures: one tests/sites run per test file; SIPp helpers per site closed after each test."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))
pytest.register_assert_rewrite("arectest")
from arectest.stack import start, finish  # noqa: E402
from sitestest import Calls, Sites  # noqa: E402


@pytest.fixture(scope="module")
def sites(request):
    """Two (or a module's SITES_N) sites; a module may set SITES_OPTS (tests/sites options)."""
    s = start(Sites(*getattr(request.module, "SITES_OPTS", ()),
                    n=getattr(request.module, "SITES_N", 2)))
    yield s
    finish(s)


@pytest.fixture
def phones(sites):
    """{site letter: Calls} for SIPp phones registered at each site."""
    c = {x: Calls(s) for x, s in sites.sites.items()}
    yield c
    for x in c.values():
        x.close()
