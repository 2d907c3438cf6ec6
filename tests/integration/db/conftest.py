"""Fixtures for the database tests: a private PostgreSQL cluster, fresh databases, psql, the driver."""
import os
import shutil
import subprocess
import tempfile
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from arectest import util  # noqa: E402
from arectest.db import psql  # noqa: E402,F401

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("AREC_BUILD_DIR", os.path.join(REPO, "build"))
STACK_PG = os.path.join(REPO, "tests", "stack.d", "10-postgres.sh")


def bin_path(sub, name):
    p = os.path.join(BUILD, sub, name)
    if not os.access(p, os.X_OK):
        pytest.fail(f"{p} not built (set AREC_BUILD_DIR)")
    return p


def wait_for(pred, timeout, what):
    """Poll pred until true or timeout seconds; fail the test with `what` otherwise."""
    def fail(_msg):
        pytest.fail(f"timed out after {timeout}s waiting for {what}")
    return util.wait_for(pred, timeout, what, step=0.05, fail=fail)


class Cluster:
    """A private cluster started with tests/stack.d/10-postgres.sh (stop/start for outages)."""

    def __init__(self, d):
        self.dir = d
        env = dict(os.environ)
        env.pop("PGURL", None)  # always a private cluster: tests stop and start it
        r = subprocess.run(["bash", "-c", f'. "{STACK_PG}"; postgres_up "{d}"'],
                           env=env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"postgres_up failed: {r.stdout}{r.stderr}")
        envf = dict(l.split("=", 1) for l in open(os.path.join(d, "stack.env")).read().split())
        self.url = envf["PGURL"]
        self.datadir = envf["PG_DATADIR"]
        self.port = int(open(os.path.join(d, "pg.port")).read())
        self.bindir = subprocess.run(["bash", "-c", f'. "{STACK_PG}"; postgres_bindir'],
                                     capture_output=True, text=True).stdout.strip()

    def _ctl(self, *args):
        cmd = [os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def stop(self):
        self._ctl("-m", "fast", "-w", "stop")

    def start(self):
        self._ctl("-w", "-t", "30", "-l", os.path.join(os.path.dirname(self.datadir), "postgres.log"),
                  "start")

    def down(self):
        subprocess.run(["bash", "-c", f'. "{STACK_PG}"; postgres_down "{self.dir}"'],
                       capture_output=True, timeout=60)

    def new_db(self):
        name = "t_" + uuid.uuid4().hex[:12]
        psql(self.url, f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name


def scalar(url, sql):
    return psql(url, sql)[0][0]


@pytest.fixture(scope="session")
def cluster():
    d = tempfile.mkdtemp(prefix="arec-dbtest.")
    os.chmod(d, 0o755)  # the postgres user must reach the cluster inside it
    c = Cluster(d)
    yield c
    c.down()
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def db(cluster):
    return cluster.new_db()


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


class Driver:
    """gwdb_driver runs: synthetic call flows through the real writer."""

    def __init__(self, workdir):
        self.path = bin_path("tests/integration/db", "gwdb_driver")
        self.workdir = workdir
        self.journal = str(workdir / "journal")
        self.status_file = str(workdir / "status")
        self.log = str(workdir / "driver.log")

    def args(self, dsn, *extra):
        return [self.path, "--dsn", dsn, "--journal", self.journal, "--status", self.status_file,
                *[str(e) for e in extra]]

    def run(self, dsn, *extra, timeout=60):
        with open(self.log, "a") as log:
            return subprocess.run(self.args(dsn, *extra, "--timeout", timeout), stdout=log,
                                  stderr=log, timeout=timeout + 30).returncode

    def start(self, dsn, *extra):
        log = open(self.log, "a")
        return subprocess.Popen(self.args(dsn, *extra), stdout=log, stderr=log)

    def status(self):
        try:
            text = open(self.status_file).read()
        except FileNotFoundError:
            return {}
        return {k: v for k, v in (l.split("=", 1) for l in text.split())}

    def expected(self):
        return {k[len("expect_"):]: int(v) for k, v in self.status().items()
                if k.startswith("expect_")}

    def log_text(self):
        return open(self.log).read() if os.path.exists(self.log) else ""


@pytest.fixture
def driver(workdir):
    return Driver(workdir)


def table_counts(url, tables):
    return {t: int(scalar(url, f"SELECT count(*) FROM {t}")) for t in tables}
