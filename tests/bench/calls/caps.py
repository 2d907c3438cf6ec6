#!/usr/bin/python3
"""Calls-per-second benchmark: gatewayd vs a Kamailio stateful proxy under the same SIPp load.

Run through run_caps.sh (it sets the paths); `run_caps.sh --help` lists the options.
Every step starts the system under test afresh, drives one SIPp UAC at a fixed rate for
a bounded time, and measures the system's CPU (utime + stime of all its processes, from
/proc/PID/stat) and memory (RSS and PSS from /proc/PID/smaps_rollup) while the calls run.
"""
import argparse
import csv
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")
TALK_SECONDS = 3.0  # the UAC's pause between ACK and BYE (uac_basic.xml)
# A basic call gives the watch client at least EventDialing + EventEstablished +
# EventReleased on the caller and EventRinging + EventEstablished + EventReleased on the
# callee; a step where it saw fewer than this many per call did not measure the event path.
MIN_EVENTS_PER_CALL = 4


def log(msg):
    print("run_caps: " + msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    """A step or a bring-up could not run (not the same as a step with failed calls)."""


class PortClash(BenchError):
    """A step could not bind a port picked for it: taken meanwhile by another process."""


# free_udp_port() picks a port the kernel says is free, then closes it for Kamailio /
# SIPp (neither reports a kernel-chosen port) to bind: another job on the machine may
# take it in between. Such a step is brought up again on new ports, up to this often.
PORT_CLASH_RETRIES = 3


# ---------------------------------------------------------------- process figures


def proc_cpu_ticks(pid):
    """utime + stime of pid (all its threads), in clock ticks; 0 once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return 0
    # Fields after the command name (which may hold spaces or parentheses).
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def thread_cpu_ticks(pid):
    """utime + stime of each thread of pid, summed by thread name (comm), in clock ticks:
    gatewayd's loop thread is "gatewayd", its SIP stack thread "gw-sip-stack"."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + int(fields[11]) + int(fields[12])
    return out


def proc_mem_kib(pid):
    """(RSS, PSS) of pid in KiB, from smaps_rollup (PSS = None when it is unavailable)."""
    rss = pss = None
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    if rss is None:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
        except OSError:
            rss = 0
    return rss or 0, pss


def children_of(pid):
    """Direct children of pid (Kamailio forks its workers from the main process)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                s = f.read()
        except OSError:
            continue
        if int(s[s.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(entry))
    return out


def udp_rcvbuf_errors():
    """System-wide UDP datagrams dropped for a full receive buffer (/proc/net/snmp)."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [line.split() for line in f if line.startswith("Udp:")]
        return int(dict(zip(rows[0][1:], rows[1][1:])).get("RcvbufErrors", 0))
    except (OSError, IndexError, ValueError):
        return 0


def udp_socket_drops():
    """Drops per local UDP port on 127.0.0.1 (last column of /proc/net/udp)."""
    out = {}
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                cols = line.split()
                ip, port = cols[1].split(":")
                if ip == "0100007F":
                    out[int(port, 16)] = out.get(int(port, 16), 0) + int(cols[-1])
    except (OSError, StopIteration, ValueError, IndexError):
        pass
    return out


def cpu_ticks(pids):
    return sum(proc_cpu_ticks(p) for p in pids)


def minor_faults(pids):
    """Minor page faults of the processes so far (/proc/PID/stat minflt), None if gone."""
    n = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                s = f.read()
        except OSError:
            return None
        n += int(s[s.rindex(")") + 2:].split()[7])
    return n


def io_syscalls(pids):
    """read() and write() family syscalls of the processes so far (/proc/PID/io syscr,
    syscw; socket sendmsg/recvmsg are not counted), None if unreadable."""
    r = w = 0
    for p in pids:
        try:
            with open("/proc/%d/io" % p) as f:
                kv = dict(line.split(":", 1) for line in f if ":" in line)
            r += int(kv["syscr"])
            w += int(kv["syscw"])
        except (OSError, KeyError, ValueError):
            return None
    return r, w


def mem_kib(pids):
    rss = 0
    pss = 0
    for p in pids:
        r, s = proc_mem_kib(p)
        rss += r
        pss = None if (pss is None or s is None) else pss + s
    return rss, pss


class MemSampler(threading.Thread):
    """Samples the peak RSS / PSS of a process set while a step runs (measurement only)."""

    def __init__(self, pids, ports, period=0.5):
        super().__init__(daemon=True)
        self.pids, self.ports, self.period = pids, ports, period
        self.peak_rss, self.peak_pss = mem_kib(pids)
        self.drops = {role: 0 for role in ports}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(self.period):
            # Socket drop counters vanish with the socket: keep the last seen value.
            seen = udp_socket_drops()
            for role, port in self.ports.items():
                self.drops[role] = max(self.drops[role], seen.get(port, 0))
            rss, pss = mem_kib(self.pids)
            self.peak_rss = max(self.peak_rss, rss)
            if pss is not None and self.peak_pss is not None:
                self.peak_pss = max(self.peak_pss, pss)

    def stop(self):
        self.done.set()
        self.join()


# ---------------------------------------------------------------- ports and readiness


def free_udp_port():
    """A UDP port on 127.0.0.1 that is free now (the kernel picks it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def udp_bound(port):
    """Is some socket bound to 127.0.0.1:port (UDP)?"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        return True
    finally:
        s.close()
    return False


def wait_for(what, secs, pred, proc=None):
    """Poll pred until it holds or secs pass; fail early if proc exited."""
    end = time.monotonic() + secs
    while not pred():
        if proc is not None and proc.poll() is not None:
            raise BenchError("%s: process exited (status %s)" % (what, proc.returncode))
        if time.monotonic() >= end:
            raise BenchError("timed out after %ss waiting for %s" % (secs, what))
        time.sleep(0.05)


def sip_options(host, port, timeout=0.5):
    """One SIP OPTIONS over UDP; returns the status line of the answer or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        lp = s.getsockname()[1]
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
               "From: <sip:probe@127.0.0.1:%d>;tag=%s\r\nTo: <sip:%s:%d>\r\n"
               "Call-ID: %s@bench\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n") % (host, port, lp, uuid.uuid4().hex, lp,
                                               uuid.uuid4().hex[:8], host, port,
                                               uuid.uuid4().hex)
        s.settimeout(timeout)
        s.sendto(msg.encode(), (host, port))
        data = s.recv(65535)
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        return line if line.startswith("SIP/2.0 ") else None
    except OSError:
        return None
    finally:
        s.close()


def wait_sip(host, port, secs, proc=None):
    """Wait until host:port answers OPTIONS with a final (>= 200) response."""
    got = {}

    def answers():
        line = sip_options(host, port)
        if line and int(line.split()[1]) >= 200:
            got["line"] = line
            return True
        return False

    wait_for("SIP answer from %s:%d" % (host, port), secs, answers, proc)
    return got["line"]


def stop_proc(proc, name, secs=5.0):
    """SIGTERM a child we started, then SIGKILL after secs."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(secs)
    except subprocess.TimeoutExpired:
        log("%s (%d) ignored SIGTERM, killing it" % (name, proc.pid))
        proc.kill()
        proc.wait()


def start_perf(workdir, pids):
    """perf record (call graphs) of the system's processes while the step runs."""
    out = os.path.join(workdir, "perf.data")
    log("perf record -> %s (perf report -i %s --no-children)" % (out, out))
    return subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-o", out,
                             "-p", ",".join(str(p) for p in pids)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop_perf(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------- SIPp


SIPP_TRACE = []  # ["-trace_msg"] with --trace


def sipp_common(port, workdir, tag):
    # -abortunexp off: with several proxy workers a 180 may trail the 200 it preceded;
    # a call that really goes wrong still fails on its receive timeout.
    return SIPP_TRACE + ["-i", "127.0.0.1", "-p", str(port), "-t", "u1", "-nostdin", "-aa",
            "-default_behaviors", "all,-abortunexp",
            "-buff_size", "4194304", "-max_recv_loops", "10000", "-max_sched_loops", "10000",
            "-watchdog_major_maxtriggers", "1000000", "-watchdog_minor_maxtriggers", "1000000",
            "-trace_err", "-error_file", os.path.join(workdir, tag + "-errors.log")]


def start_uas(workdir, port, seconds):
    """SIPp UAS on 127.0.0.1:port answering every call; returns the Popen once it listens."""
    cmd = ["sipp", "-sf", os.path.join(HERE, "uas_basic.xml")] + sipp_common(port, workdir, "uas")
    cmd += ["-recv_timeout", "30000", "-timeout", "%ds" % seconds]
    with open(os.path.join(workdir, "uas.out"), "w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=workdir)
    wait_for("SIPp UAS on UDP %d" % port, 10, lambda: udp_bound(port), proc)
    return proc


def write_calls_csv(path, pairs):
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for a, b in pairs:
            f.write("%s;%s;\n" % (a, b))


def read_stats(path):
    """Rows of a SIPp -trace_stat CSV (';' separated, header on the first line)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
    except OSError:
        return []
    if len(rows) < 2:
        return []
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:] if len(r) >= len(head) - 1]


def run_uac(workdir, port, target_host, target_port, csv_path, rate, calls, step_seconds, tag):
    """Run one bounded SIPp UAC step from port; returns (stats rows, elapsed s)."""
    stf = os.path.join(workdir, tag + "-stats.csv")
    # A call may take TALK_SECONDS plus a 10 s receive timeout; the whole step is bounded.
    limit = int(step_seconds + TALK_SECONDS + 15)
    cmd = ["sipp", "%s:%d" % (target_host, target_port), "-sf", os.path.join(HERE, "uac_basic.xml"),
           "-inf", csv_path, "-r", str(rate), "-rp", "1000", "-m", str(calls),
           "-recv_timeout", "10000", "-timeout", "%ds" % limit,
           "-trace_stat", "-stf", stf, "-fd", "1"] + sipp_common(port, workdir, tag)
    with open(os.path.join(workdir, tag + "-uac.out"), "w") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=workdir)
        try:
            proc.wait(limit + 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        elapsed = time.monotonic() - t0
    return read_stats(stf), elapsed


# ---------------------------------------------------------------- systems under test


class Kamailio:
    name = "kamailio"

    def __init__(self, args):
        self.args = args
        self.proc = self.uas = None

    def start(self, workdir, uas_seconds):
        self.dir = workdir
        uas_port = self.uas_port = free_udp_port()
        self.uas = start_uas(workdir, uas_port, uas_seconds)
        self.port = free_udp_port()
        rundir = os.path.join(workdir, "kamailio-run")
        os.makedirs(rundir, exist_ok=True)
        cmd = ["kamailio", "-f", os.path.join(HERE, "kamailio-bench.cfg"),
               "-l", "udp:127.0.0.1:%d" % self.port,
               "-A", 'UAS_HOST="127.0.0.1"', "-A", 'UAS_PORT="%d"' % uas_port,
               "-DD", "-E", "-P", os.path.join(rundir, "kamailio.pid"), "-Y", rundir,
               "-w", rundir, "-n", str(self.args.kamailio_children),
               "-m", str(self.args.kamailio_shm), "-M", "8", "-b", "4194304",
               "-x", self.args.kamailio_malloc]
        with open(os.path.join(workdir, "kamailio.log"), "w") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_sip("127.0.0.1", self.port, 15, self.proc)
        # Every worker is forked before the UDP receivers answer; list them once.
        self.pids = [self.proc.pid] + children_of(self.proc.pid)
        return "127.0.0.1", self.port

    def extra_cpu(self):
        return {}

    def watch_summary(self):
        return {}

    def stop(self):
        stop_proc(self.proc, "kamailio")
        stop_proc(self.uas, "sipp uas")


class Gatewayd:
    name = "gatewayd"

    def __init__(self, args, name="gatewayd", opts=None):
        self.args = args
        self.name = name
        # KEY=VALUE, a later one replacing an earlier one of the same key (gatewayd
        # refuses a key given twice): --gw-b-opt overrides --gw-opt.
        merged = {}
        for o in (args.gw_opt if opts is None else opts):
            merged[o.split("=", 1)[0].strip()] = o
        self.opts = list(merged.values())
        self.uas = self.watch = None
        self.dir = None
        self.build = os.environ.get("AREC_BUILD_DIR", os.path.join(REPO, "build"))
        self.tlibctl = os.path.join(self.build, "client", "tlibctl")
        first, last = args.dns.split("-")
        width = len(first)
        self.dns = [str(n).zfill(width) for n in range(int(first), int(last) + 1)]

    def bench_config(self, path, uas_port):
        """gatewayd configuration for the static-contact mode: every DN reaches the UAS."""
        with open(path, "w") as f:
            f.write("# Written by tests/bench/calls/run_caps.sh for one benchmark step.\n"
                    "[gateway]\nsite = bench\ntlib-listen = 127.0.0.1:0\nws-listen = 127.0.0.1:0\n"
                    "sip-listen = 127.0.0.1:0\ntrusted-networks = 127.0.0.0/8\n"
                    "client-queue-limit = 67108864\nstatus-token = demo-status-token\nlog-level = %s\n\n"
                    "%s\n"
                    "[dn %s-%s]\ntype = Extension\ncontact = sip:127.0.0.1:%d\n\n"
                    "[application demo]\npassword = demo\ndns = *\n"
                    % (self.args.gw_log_level,
                       "".join("%s = %s\n" % tuple(o.split("=", 1)) for o in self.opts),
                       self.dns[0], self.dns[-1], uas_port))

    def shed(self):
        """INVITEs / REGISTERs refused 503 by load shedding (gatewayd /metrics), or None."""
        env = self.stack_env()
        if not env.get("HTTP_URL"):
            return None
        req = urllib.request.Request(env["HTTP_URL"] + "metrics", headers={
            "Authorization": "Bearer " + env.get("STATUS_TOKEN", "")})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
        except OSError:
            return None
        return sum(int(float(m)) for m in re.findall(
            r'^gatewayd_sip_shed_total\{[^}]*\} (\S+)$', text, re.M))

    def stack_env(self):
        # A clean environment: only what stack.env sets comes back.
        out = subprocess.run(["env", "-i", "/bin/bash", "-c", 'set -a; . "$1/stack.env"; env -0',
                              "-", self.dir],
                             capture_output=True, check=True).stdout
        env = {}
        for item in out.split(b"\0"):
            if b"=" in item:
                k, v = item.split(b"=", 1)
                env[k.decode()] = v.decode()
        return env

    def start(self, workdir, uas_seconds):
        self.dir = os.path.join(workdir, "stack")
        os.makedirs(self.dir, exist_ok=True)
        uas_port = self.uas_port = free_udp_port()
        self.uas = start_uas(workdir, uas_port, uas_seconds)
        cmd = [os.path.join(REPO, "tests", "stack"), "up", self.dir]
        if self.args.gw_contact == "static":
            conf = os.path.join(workdir, "bench-gatewayd.conf")
            self.bench_config(conf, uas_port)
            cmd += ["--gateway-config", conf]
        else:
            cmd += ["--gateway-opt", "log-level=" + self.args.gw_log_level,
                    "--gateway-opt", "client-queue-limit=67108864"]
        env = dict(os.environ, AREC_BUILD_DIR=self.build)
        with open(os.path.join(workdir, "stack-up.log"), "w") as out:
            rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode
        if rc != 0:
            raise BenchError("tests/stack up failed; see %s/stack-up.log" % workdir)
        env = self.stack_env()
        if not env.get("SIP_ADDR"):
            raise BenchError("stack.env has no SIP_ADDR: gatewayd has no SIP side yet")
        host, port = env["SIP_ADDR"].rsplit(":", 1)
        host, port = host.strip("[]"), int(port)
        self.pids = [int(env["GATEWAY_PID"])]
        # One T-Lib client watching every DN the load uses; ready once all are registered.
        watch_out = os.path.join(workdir, "watch.jsonl")
        with open(watch_out, "w") as out:
            self.watch = subprocess.Popen(
                [self.tlibctl, "-a", env["TLIB_ADDR"], "-u", env.get("TLIB_APP", "demo"),
                 "-p", env.get("TLIB_PASSWORD", "demo"), "watch"] + self.dns,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

        def registered():
            with open(watch_out) as f:
                return sum(1 for line in f if '"EventRegistered"' in line) >= len(self.dns)

        wait_for("tlibctl watch to register %d DNs" % len(self.dns), 15, registered, self.watch)
        self.watch_base = self.count_events()
        wait_sip(host, port, 15)
        if self.args.gw_contact == "register":
            self.register(workdir, host, port, uas_port)
        return host, port

    def register(self, workdir, host, port, uas_port):
        """REGISTER every callee DN with the UAS as its contact (trusted loopback, no auth)."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(2.0)
        lp = s.getsockname()[1]
        try:
            for dn in self.dns:
                msg = ("REGISTER sip:%s:%d SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                       "From: <sip:%s@%s:%d>;tag=%s\r\nTo: <sip:%s@%s:%d>\r\n"
                       "Call-ID: %s@bench\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
                       "Contact: <sip:%s@127.0.0.1:%d>\r\nExpires: 3600\r\n"
                       "Content-Length: 0\r\n\r\n") % (
                    host, port, lp, uuid.uuid4().hex, dn, host, port, uuid.uuid4().hex[:8],
                    dn, host, port, uuid.uuid4().hex, dn, uas_port)
                s.sendto(msg.encode(), (host, port))
                while True:
                    line = s.recv(65535).split(b"\r\n", 1)[0].decode(errors="replace")
                    code = int(line.split()[1])
                    if code >= 200:
                        break
                if code != 200:
                    raise BenchError("REGISTER %s answered %s" % (dn, line))
        except socket.timeout:
            raise BenchError("REGISTER got no answer from %s:%d" % (host, port))
        finally:
            s.close()

    def count_events(self):
        try:
            with open(os.path.join(os.path.dirname(self.dir), "watch.jsonl")) as f:
                return sum(1 for line in f if line.startswith("{"))
        except OSError:
            return 0

    def extra_cpu(self):
        info = {}
        if self.watch is not None:
            info["watch_cpu_ticks"] = proc_cpu_ticks(self.watch.pid)
        if getattr(self, "pids", None):
            info["threads"] = thread_cpu_ticks(self.pids[0])
        return info

    def watch_summary(self):
        """Events the watch client printed during the step, and whether it stayed connected."""
        return {"watch_events": self.final_events - self.watch_base,
                "watch_alive": self.watch_alive}

    def stop(self):
        # tlibctl exits by itself only when it lost the connection (or was dropped).
        self.watch_alive = self.watch is not None and self.watch.poll() is None
        stop_proc(self.watch, "tlibctl watch")
        self.final_events = self.count_events()
        if self.dir and os.path.exists(os.path.join(self.dir, "stack.env")):
            subprocess.run([os.path.join(REPO, "tests", "stack"), "down", self.dir],
                           stdout=subprocess.DEVNULL,
                           env=dict(os.environ, AREC_BUILD_DIR=self.build))
        stop_proc(self.uas, "sipp uas")


# ---------------------------------------------------------------- one step


def call_pairs(args):
    """Caller/callee DN pairs: each DN calls the DN half the range away."""
    first, last = args.dns.split("-")
    width = len(first)
    nums = list(range(int(first), int(last) + 1))
    half = max(1, len(nums) // 2)
    return [(str(n).zfill(width), str(nums[(i + half) % len(nums)]).zfill(width))
            for i, n in enumerate(nums)]


def port_clash(workdir):
    """Did a process of this step fail to bind its port (its log says so)?"""
    for name in os.listdir(workdir):
        if not name.endswith((".log", ".out")):
            continue
        try:
            with open(os.path.join(workdir, name), errors="replace") as f:
                if "Address already in use" in f.read():
                    return True
        except OSError:
            pass
    return False


def run_step(system, rate, args, root, attempt=0, clash=0):
    """One step; raises PortClash when a port picked for it was taken meanwhile."""
    workdir = os.path.join(root, "%s-%d%s%s" % (system.name, rate,
                                                ".%d" % attempt if attempt else "",
                                                ".port%d" % clash if clash else ""))
    try:
        return run_step_in(system, rate, args, workdir)
    except BenchError as e:
        if os.path.isdir(workdir) and port_clash(workdir):
            raise PortClash("%s (a port was taken meanwhile)" % e) from e
        raise


def run_step_in(system, rate, args, workdir):
    """Bring the system up, drive rate cps for step_seconds, measure, tear down."""
    os.makedirs(workdir, exist_ok=True)
    csv_path = os.path.join(workdir, "calls.csv")
    write_calls_csv(csv_path, call_pairs(args))
    calls = int(rate * args.step_seconds)
    uas_seconds = int(args.step_seconds + TALK_SECONDS + 40)
    res = {"system": system.name, "rate": rate, "calls": calls,
           "load": os.getloadavg()[0]}
    try:
        host, port = system.start(workdir, uas_seconds)
        pids = system.pids
        base_rss, base_pss = mem_kib(pids)
        uac_port = free_udp_port()
        sampler = MemSampler(pids, {"uac": uac_port, "uas": system.uas_port, system.name: port})
        sampler.start()
        cpu0 = cpu_ticks(pids)
        io0 = io_syscalls(pids)
        flt0 = minor_faults(pids)
        extra0 = system.extra_cpu()
        uas_cpu0 = proc_cpu_ticks(system.uas.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        drops0 = udp_rcvbuf_errors()
        perf = start_perf(workdir, pids) if args.perf else None
        stats, elapsed = run_uac(workdir, uac_port, host, port, csv_path, rate, calls,
                                      args.step_seconds, "step")
        if hasattr(system, "shed"):
            res["shed"] = system.shed()
        cpu1 = cpu_ticks(pids)
        io1 = io_syscalls(pids)
        flt1 = minor_faults(pids)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        drops1 = udp_rcvbuf_errors()
        if perf is not None:
            stop_perf(perf)
        uas_cpu1 = proc_cpu_ticks(system.uas.pid)
        extra1 = system.extra_cpu()
        sampler.stop()
        alive = all(os.path.exists("/proc/%d" % p) for p in pids[:1])
    finally:
        system.stop()
    res.update(system.watch_summary())
    if not stats:
        raise BenchError("SIPp UAC wrote no statistics (see %s)" % workdir)
    last = stats[-1]
    ok = int(last.get("SuccessfulCall(C)", 0))
    failed_sipp = int(last.get("FailedCall(C)", 0))
    created = int(last.get("TotalCallCreated", 0))
    # The moment the last call was created gives the rate SIPp really achieved.
    t_created = None
    for row in stats:
        if int(row.get("TotalCallCreated", 0)) >= calls:
            t_created = hms_seconds(row.get("ElapsedTime(C)", "00:00:00"))
            break
    peak_calls = max(int(r.get("CurrentCall", 0)) for r in stats)
    cpu_ms = (cpu1 - cpu0) * 1000.0 / CLK_TCK
    res.update({
        "ok": ok, "failed_sipp": failed_sipp, "created": created,
        "failed_pct": 100.0 * (calls - ok) / calls if calls else 0.0,
        "achieved_cps": created / t_created if t_created else created / max(elapsed, 1e-9),
        "elapsed": elapsed, "cpu_ms": cpu_ms,
        "cpu_ms_per_call": cpu_ms / ok if ok else float("nan"),
        "cpu_pct": 100.0 * cpu_ms / 1000.0 / elapsed,
        "peak_calls": peak_calls,
        "base_rss": base_rss, "peak_rss": sampler.peak_rss,
        "base_pss": base_pss, "peak_pss": sampler.peak_pss,
        # The UAC is the only child reaped meanwhile: its CPU is the RUSAGE_CHILDREN delta.
        "uac_cpu_pct": 100.0 * (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime)
        / elapsed,
        "uas_cpu_pct": 100.0 * (uas_cpu1 - uas_cpu0) / CLK_TCK / elapsed,
        "alive": alive, "dir": workdir, "udp_drops": drops1 - drops0,
        "socket_drops": sampler.drops,
    })
    res["rss_kib_per_call"] = ((sampler.peak_rss - base_rss) / peak_calls
                               if peak_calls else float("nan"))
    res["pss_kib_per_call"] = ((sampler.peak_pss - base_pss) / peak_calls
                               if peak_calls and base_pss is not None
                               and sampler.peak_pss is not None else float("nan"))
    if flt0 is not None and flt1 is not None and ok:
        res["faults_per_call"] = (flt1 - flt0) / ok
    if io0 is not None and io1 is not None and ok:
        res["reads_per_call"] = (io1[0] - io0[0]) / ok
        res["writes_per_call"] = (io1[1] - io0[1]) / ok
    if "watch_cpu_ticks" in extra1:
        res["watch_cpu_ms"] = ((extra1.get("watch_cpu_ticks", 0) - extra0.get("watch_cpu_ticks", 0))
                               * 1000.0 / CLK_TCK)
    if "threads" in extra1 and ok:
        # Threads alive at the end (one that ended during the step is not counted).
        res["thread_ms_per_call"] = {
            name: (t - extra0.get("threads", {}).get(name, 0)) * 1000.0 / CLK_TCK / ok
            for name, t in sorted(extra1["threads"].items())
            if t - extra0.get("threads", {}).get(name, 0) > 0}
    # Passing: under the failure limit, the process survived, and the generator kept up
    # (otherwise the step measured SIPp, not the system).
    res["generator_ok"] = res["achieved_cps"] >= 0.9 * rate
    res["watch_ok"] = ("watch_events" not in res or args.no_watch_check
                       or (res["watch_alive"] and res["watch_events"] >= MIN_EVENTS_PER_CALL * ok))
    res["pass"] = (res["failed_pct"] < args.max_fail_pct and alive and res["generator_ok"]
                   and res["watch_ok"])
    return res


def hms_seconds(text):
    """SIPp elapsed times look like 00:00:15:123456 (h:m:s:us) or 00:00:15."""
    parts = text.split(":")
    try:
        h, m, s = int(parts[0]), int(parts[1]), int(parts[2])
        us = int(parts[3]) if len(parts) > 3 else 0
    except (ValueError, IndexError):
        return None
    return h * 3600 + m * 60 + s + us / 1e6


def describe(r):
    s = ("%-8s %5d cps: %d/%d ok, failed %.3f%%, achieved %.0f cps, peak %d calls, "
         "CPU %.3f ms/call (%.0f%% of a core), PSS %s KiB/call, RSS %.1f KiB/call, "
         "SIPp UAC %.0f%% / UAS %.0f%% CPU"
         % (r["system"], r["rate"], r["ok"], r["calls"], r["failed_pct"], r["achieved_cps"],
            r["peak_calls"], r["cpu_ms_per_call"], r["cpu_pct"],
            fmt(r["pss_kib_per_call"], 2), r["rss_kib_per_call"], r["uac_cpu_pct"],
            r["uas_cpu_pct"]))
    if r.get("shed") is not None:
        s += ", shed %d (503 by max-calls / max-call-rate), other failures %d" % (
            r["shed"], r["calls"] - r["ok"] - r["shed"])
    if "watch_events" in r:
        s += ", watch %d events = %.1f/call (%.0f ms CPU)" % (
            r["watch_events"], r["watch_events"] / max(r["ok"], 1), r.get("watch_cpu_ms", 0))
        if not r["watch_alive"]:
            s += ", WATCH CLIENT DISCONNECTED"
        elif not r["watch_ok"]:
            s += ", TOO FEW EVENTS (< %d per call)" % MIN_EVENTS_PER_CALL
    if "writes_per_call" in r:
        s += ", read/write syscalls %.2f/%.2f per call" % (r["reads_per_call"],
                                                           r["writes_per_call"])
    if len(r.get("thread_ms_per_call", {})) > 1:
        s += ", threads %s ms/call" % ", ".join(
            "%s %.3f" % kv for kv in r["thread_ms_per_call"].items())
    if "faults_per_call" in r:
        s += ", %.2f minor page faults per call" % r["faults_per_call"]
    if r["udp_drops"]:
        s += ", %d UDP datagrams dropped (%s)" % (
            r["udp_drops"], ", ".join("%s %d" % kv for kv in r["socket_drops"].items()))
    if not r["alive"]:
        s += ", PROCESS DIED"
    if not r["generator_ok"]:
        s += ", SIPp could not keep the rate"
    s += ", load %.2f" % r["load"]
    return s + (" -> pass" if r["pass"] else " -> FAIL")


def fmt(v, digits):
    return "-" if v is None or v != v else "%.*f" % (digits, v)


# ---------------------------------------------------------------- stepping and the table


def measure(system, rate, args, root, results):
    """One step at rate, re-run up to --retries times when it fails: the machine is
    shared, and one scheduling stall can push a step over 0.1% without saying much
    about the system. Every attempt is listed; the last one counts."""
    for attempt in range(args.retries + 1):
        for clash in range(PORT_CLASH_RETRIES + 1):
            try:
                r = run_step(system, rate, args, root, attempt, clash)
                break
            except PortClash as e:
                if clash == PORT_CLASH_RETRIES:
                    raise
                log("%s at %d cps: %s; again on new ports" % (system.name, rate, e))
        results.append(r)
        log(describe(r))
        if r["pass"] or not r["alive"]:
            break
    return r


def find_capacities(systems, args, root, results):
    """Step the rate up, the systems taking turns at each rate (so both see the same
    background load), each until it fails a step; then bisect between each one's last
    passing and first failing rate. Returns {name: (best passing step, first failing rate)}."""
    best = {s.name: None for s in systems}
    fail = {s.name: None for s in systems}
    broken = set()

    def step(system, rate):
        # A system that cannot be brought up or measured stops; the others go on.
        try:
            return measure(system, rate, args, root, results)
        except BenchError as e:
            log("%s at %d cps: %s" % (system.name, rate, e))
            broken.add(system.name)
            return None

    for rate in args.rates:
        climbing = [s for s in systems if fail[s.name] is None]
        if not climbing:
            break
        for system in climbing:
            r = step(system, rate)
            if r is None:
                fail[system.name] = rate
            elif r["pass"]:
                best[system.name] = r
            else:
                fail[system.name] = rate
    for _ in range(args.refine):
        for system in systems:
            lo = best[system.name]["rate"] if best[system.name] else 0
            hi = fail[system.name]
            if hi is None or system.name in broken:
                continue
            mid = (lo + hi) // 2
            if mid <= lo or hi - mid < max(5, lo // 20):
                continue
            r = step(system, mid)
            if r is not None and r["pass"]:
                best[system.name] = r
            else:
                fail[system.name] = mid
    return {s.name: (best[s.name], fail[s.name]) for s in systems}, broken


def limit_of(name, first_fail, results):
    """Why the first failing step failed, from what was measured during it."""
    if not first_fail:
        return "none (raise --rates)"
    steps = [r for r in results if r["system"] == name and r["rate"] == first_fail]
    if not steps:
        return "%d: not measured" % first_fail
    r = steps[-1]
    if not r["alive"]:
        why = "the process died"
    elif not r["watch_ok"]:
        why = "watch client events missing"
    else:
        own = r["socket_drops"].get(name, 0)
        peers = r["socket_drops"].get("uac", 0) + r["socket_drops"].get("uas", 0)
        if peers > own:
            why = "SIPp peers dropped datagrams (load generator bound)"
        elif own:
            why = "its socket overflowed (%.0f%% of a core)" % r["cpu_pct"]
        else:
            why = "%.2f%% failed calls" % r["failed_pct"]
    return "%d: %s" % (first_fail, why)


def print_table(caps, results):
    print()
    print("Basic calls (INVITE/100/180/200/ACK, %.0f s talk, BYE/200), SIPp UDP on 127.0.0.1, "
          "%d CPUs" % (TALK_SECONDS, os.cpu_count()))
    print("%-9s %6s %6s %9s %10s %11s %11s  %s" % ("system", "CPS", "steps", "failed%",
                                                 "CPU ms/call", "PSS KiB/call",
                                                 "RSS KiB/call", "first failing step"))
    for name, (best, first_fail) in caps.items():
        n = sum(1 for r in results if r["system"] == name)
        if best is None:
            print("%-9s %6s %6d %9s %10s %11s %11s  %s" % (name, "-", n, "-", "-", "-", "-",
                                                         limit_of(name, first_fail, results)))
            continue
        print("%-9s %6d %6d %9.3f %10.3f %11s %11s  %s"
              % (name, best["rate"], n, best["failed_pct"], best["cpu_ms_per_call"],
                 fmt(best["pss_kib_per_call"], 2), fmt(best["rss_kib_per_call"], 2),
                 limit_of(name, first_fail, results)))
    for name in caps:
        if name.startswith("gatewayd"):
            print_ratio(caps, results, name)
    print()
    print("All steps:")
    for r in results:
        print("  " + describe(r))


def print_ratio(caps, results, gname):
    """The gatewayd/kamailio row: CPS ratio, and cost ratios at the highest rate both passed."""
    gw, ka = caps.get(gname, (None, None))[0], caps.get("kamailio", (None, None))[0]
    if gw and ka:
        # Per-call costs fall with the rate (fixed costs spread thinner), so the cost
        # ratios compare both systems at one rate: the highest both passed.
        both = sorted({r["rate"] for r in results if r["pass"] and r["system"] == gname}
                      & {r["rate"] for r in results if r["pass"] and r["system"] == "kamailio"})
        g = k = None
        if both:
            g = [r for r in results if r["system"] == gname and r["rate"] == both[-1]
                 and r["pass"]][-1]
            k = [r for r in results if r["system"] == "kamailio" and r["rate"] == both[-1]
                 and r["pass"]][-1]
        print("%-9s %6.2f %6s %9s %10s %11s %11s  %s" % (
            "gw/kam" if gname == "gatewayd" else "gw-b/kam", gw["rate"] / ka["rate"], "", "",
            ratio(g["cpu_ms_per_call"], k["cpu_ms_per_call"]) if g else "-",
            ratio(g["pss_kib_per_call"], k["pss_kib_per_call"]) if g else "-",
            ratio(g["rss_kib_per_call"], k["rss_kib_per_call"]) if g else "-",
            "CPS: highest passing rates; costs: both at %d cps" % both[-1] if both else ""))
        if g:
            print("at %d cps: %s %.3f ms and %s KiB (PSS) per call, kamailio %.3f ms and "
                  "%s KiB" % (both[-1], gname, g["cpu_ms_per_call"],
                              fmt(g["pss_kib_per_call"], 1),
                              k["cpu_ms_per_call"], fmt(k["pss_kib_per_call"], 1)))


def ratio(a, b):
    if a is None or b is None or a != a or b != b or b == 0:
        return "-"
    return "%.2f" % (a / b)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="run_caps.sh",
        description="Highest calls per second with < 0.1%% failed calls, CPU and memory per "
        "call: gatewayd (with one tlibctl watch on every DN) and a Kamailio stateful proxy, "
        "same SIPp load, same run.")
    p.add_argument("--systems", default="kamailio,gatewayd",
                   help="comma list of kamailio, gatewayd (default: both)")
    p.add_argument("--rates", default="200,400,800,1600,3200,6400,12800",
                   help="increasing call rates to step through (cps)")
    p.add_argument("--step-seconds", type=float, default=15.0,
                   help="seconds of call generation per step (calls = rate x this)")
    p.add_argument("--refine", type=int, default=2,
                   help="bisection steps between the last passing and first failing rate")
    p.add_argument("--retries", type=int, default=1,
                   help="re-run a failing step this many times before calling it failed")
    p.add_argument("--max-fail-pct", type=float, default=0.1,
                   help="a step passes with fewer failed calls than this percentage")
    p.add_argument("--dns", default="5001-5020",
                   help="DN range the calls use (callers and callees)")
    p.add_argument("--gw-contact", choices=("static", "register"), default="static",
                   help="static: a benchmark config gives every DN the UAS as contact; "
                   "register: the stack's own config, the UAS registered on every DN")
    p.add_argument("--gw-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="extra [gateway] option in the static-contact config (repeatable), "
                   "e.g. max-call-rate=300 to measure load shedding past capacity")
    p.add_argument("--gw-b-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="A/B in one run: a second gatewayd, \"gatewayd-b\", with these "
                   "[gateway] options after the --gw-opt ones (repeatable), stepped right "
                   "after the first at every rate, e.g. sip-stack-thread=false")
    p.add_argument("--gw-log-level", default="warn",
                   help="gatewayd log-level during the benchmark (info or debug to diagnose)")
    p.add_argument("--kamailio-children", type=int, default=2,
                   help="Kamailio UDP worker processes (-n)")
    p.add_argument("--kamailio-malloc", default="tlsf", choices=("qm", "fm", "tlsf"),
                   help="Kamailio memory manager (-x): tlsf (default here), fm, or qm "
                   "(Kamailio's own default, with memory debugging in the Debian build: "
                   "3-4x the CPU per call)")
    p.add_argument("--kamailio-shm", type=int, default=2048, help="Kamailio shared memory, MB")
    p.add_argument("--no-watch-check", action="store_true",
                   help="let a gatewayd step pass even if the watch client saw too few events")
    p.add_argument("--keep", action="store_true", help="keep the logs of every step")
    p.add_argument("--perf", action="store_true",
                   help="perf record the system under test during each step (implies --keep)")
    p.add_argument("--trace", action="store_true",
                   help="SIPp message traces of every step (large; implies --keep)")
    p.add_argument("--smoke", action="store_true",
                   help="one short step at 20 cps per system (checks the harness works)")
    a = p.parse_args(argv)
    a.rates = [int(x) for x in a.rates.split(",") if x]
    a.systems = [x for x in a.systems.split(",") if x]
    if a.gw_b_opt and "gatewayd-b" not in a.systems:
        a.systems.append("gatewayd-b")
    if a.smoke:
        a.rates, a.step_seconds, a.refine, a.retries = [20], 3.0, 0, 0
    return a


def main(argv):
    args = parse_args(argv)
    if args.trace:
        SIPP_TRACE.append("-trace_msg")
        args.keep = True
    if args.perf:
        args.keep = True
    for tool in ("sipp", "kamailio"):
        if tool in ("sipp",) or "kamailio" in args.systems:
            if not shutil.which(tool):
                log("%s not found (Debian packages sip-tester and kamailio)" % tool)
                return 2
    root = tempfile.mkdtemp(prefix="bench-calls-")
    log("logs in %s; rates %s cps, %.0f s per step, %d CPUs, load average %s"
        % (root, args.rates, args.step_seconds, os.cpu_count(),
           " ".join("%.2f" % x for x in os.getloadavg())))
    makers = {"kamailio": Kamailio, "gatewayd": Gatewayd,
              "gatewayd-b": lambda a: Gatewayd(a, "gatewayd-b", a.gw_opt + a.gw_b_opt)}
    for name in args.systems:
        if name not in makers:
            log("unknown system %s" % name)
            return 2
    systems = [makers[name](args) for name in args.systems]
    results = []
    caps, broken = find_capacities(systems, args, root, results)
    rc = 1 if broken else 0
    print_table(caps, results)
    if args.keep or rc != 0:
        log("logs kept in %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
