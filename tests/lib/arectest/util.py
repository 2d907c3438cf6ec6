"""Bounded polling and loopback ports for the integration tests (never a fixed sleep)."""
import random
import socket
import subprocess
import time


def wait_for(pred, timeout=10, what="condition", step=0.02, fail=None):
    """Poll pred() until it returns a truthy value and return it; after timeout seconds
    call fail(message) (which must raise), or raise AssertionError(message)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            msg = f"timed out waiting for {what}"
            if fail is not None:
                fail(msg)
            raise AssertionError(msg)
        time.sleep(step)


def _below_ephemeral_range():
    """Ports under the kernel's ephemeral range: a port 0 bind elsewhere (a daemon, an
    outgoing connection) is never given one of them, so a port chosen here stays free until
    the peer binds it; only another test picking the same random port could race."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    # mediad's RTP ranges in tests/stack start at 30000: stay below them too.
    return 10000, max(10001, min(low - 1, 29999))


def free_port(what="a SIP peer"):
    """A loopback port that is free for both TCP and UDP right now (SIPp binds both)."""
    lo, hi = _below_ephemeral_range()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(lo, hi)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", port))
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError(f"no free port for {what}")


def stop_process(proc, timeout=10):
    """SIGTERM a still-running subprocess, SIGKILL it after timeout seconds; its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def read_buffered(conn, take, timeout, on_eof=lambda: None, reset_is_eof=False):
    """Next message of a stream: take() parses (and consumes) conn.buf, returning None
    until a whole message is there; more bytes come from conn.sock. None on timeout;
    on_eof() when the peer closes (or resets the connection, if reset_is_eof)."""
    end = time.monotonic() + timeout
    while True:
        m = take()
        if m is not None:
            return m
        left = end - time.monotonic()
        if left <= 0:
            return None
        conn.sock.settimeout(left)
        try:
            data = conn.sock.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            if not reset_is_eof:
                raise
            return on_eof()
        if not data:
            return on_eof()
        conn.buf += data


def wait_closed(sock, timeout=15, chunk=1 << 16):
    """Read and discard until the peer closes sock; True if it did within timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            if not sock.recv(chunk):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False
