"""psql from the tests: the stack's or a private cluster's PostgreSQL, rows as lists of strings."""
import subprocess


def psql(url, sql=None, file=None, variables=None, timeout=60):
    """Run SQL (or a file) with psql; returns rows as lists of strings ('|' separated)."""
    cmd = ["psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url]
    for k, v in (variables or {}).items():
        cmd += ["-v", f"{k}={v}"]
    cmd += ["-f", file] if file else ["-c", sql]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"psql failed: {r.stderr}")
    return [l.split("|") for l in r.stdout.splitlines() if l]
