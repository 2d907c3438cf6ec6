#!/usr/bin/python3
"""Recording load benchmark: SIPp calls recorded full-time through gatewayd -> mediad -> arec-recorder.

    AREC_BUILD_DIR=build-recbench tests/bench/recording/bench_sipp.py [--rates 50,100,200]
        [--step-seconds 10] [--hold-ms 1000] [--dyn-rate 5] [--perf] [--keep]

Every step brings up a fresh stack (tests/stack: PostgreSQL, mediad, the reference
recorder, gatewayd) with two extra DN ranges whose contact is one SIPp UAS
(uas_rec.xml): 6001-6100 with `record = true` (full-time) and 6201-6240 without. Then,
at the same time:

* the load: a SIPp UAC (uac_rec.xml) calls 6101-6200 -> 6001-6100 at the step's rate,
  every call answered, re-INVITEd toward mediad by gatewayd, talking PCMU RTP both ways
  (SIPp rtp_stream) for --hold-ms, then BYE;
* the dynamic calls: a second UAC calls 6201-6220 -> 6221-6240 at --dyn-rate, and two
  lean C T-Lib clients (bench_ack: TCP on 6201-6210, WebSocket on 6211-6220) send
  RequestPrivateService GSIP_RECORD_START on each EventEstablished, then STOP / START
  every --ack-gap-ms (--ack-pairs pairs), plus a RequestQueryAddress probe every
  --probe-ms, timing each answer; their floor (probes one by one on the idle gatewayd)
  first. --ack-client py: the Python WebSocket client instead (START, STOP 1 s later).

Figures per step (printed, never asserted), with the load average:
* calls/s created and failed calls (SIPp), recorded calls = recorder sidecars with RTP
  on both channels;
* full-time start latency = the recorder's first RTP packet (sidecar `first_packet`)
  minus the moment the UAS sent its 200 OK (SIPp gettimeofday), p50/p99/max;
* dynamic start latency (START sent -> first packet) and EventACK round trip p50/p99 per
  transport, also cut at the kernel's receive timestamp (without the client's wake-up);
* gatewayd's loop histograms from /metrics (iterations, their CPU time, SIP batches,
  T-Lib input waits), the time each process waited for a CPU (schedstat), CPU pressure;
* CPU % of gatewayd, mediad, the recorder and the SIPp processes during the step.
"""
import argparse
import collections
import datetime
import glob
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "calls"))
sys.path.insert(0, str(REPO / "tests" / "integration" / "gateway"))
import caps  # noqa: E402  (process figures, SIPp helpers)
import gwtest  # noqa: E402
from gwtest import Stack, WSClient  # noqa: E402

FULL_CALLEES = (6001, 6100)  # record = true
FULL_CALLERS = (6101, 6200)
DYN_CALLERS = (6201, 6220)
DYN_CALLEES = (6221, 6240)
DYN_STOP_AFTER = 1.0  # seconds between START and STOP on a dynamic call (Python client)
# The lean C client (bench_ack): one per transport, each on half of the dynamic callers.
ACK_DNS = {"tcp": "6201-6210", "ws": "6211-6220"}
# gatewayd's own loop histograms (gw_looptime.h, gw_wsdelay.h), read from /metrics.
LOOP_HISTS = [("loop iteration", "gatewayd_loop_busy_seconds"),
              ("of which CPU", "gatewayd_loop_busy_cpu_seconds"),
              ("SIP batch", "gatewayd_sip_batch_seconds"),
              ("T-Lib input wait", "gatewayd_tlib_input_wait_seconds"),
              ("T-Lib TCP served", "gatewayd_tlib_input_served_seconds"),
              ("T-Lib TCP read delay", "gatewayd_tlib_tcp_read_delay_seconds"),
              ("WS event write delay", "gatewayd_ws_event_write_delay_seconds")]
# First RTP port of each SIPp (rtp_stream takes the next free ports up from -mp), below
# mediad's 30000-39999 and the ephemeral range.
RTP_PORTS = {"uas": 10000, "uac": 17000, "dyn": 24000}
TONE_FILE = "bench-tone.pcmu"


def log(msg):
    print("bench_sipp: " + msg, file=sys.stderr, flush=True)


def loadavg():
    return "load %s" % " ".join("%.2f" % x for x in os.getloadavg())


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(math.ceil(p / 100.0 * len(xs))) - 1)]


def iso_to_epoch(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def mulaw(sample):
    """G.711 mu-law of a 16-bit linear sample."""
    sign = 0x80 if sample < 0 else 0
    mag = min(abs(sample), 32635) + 0x84
    exp = 7
    while exp > 0 and not mag & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | (exp << 4) | ((mag >> (exp + 3)) & 0x0F)) & 0xFF


def write_tone(path, hz=440, seconds=1):
    """Raw PCMU (what rtp_stream sends, 160 bytes per 20 ms packet)."""
    n = 8000 * seconds
    with open(path, "wb") as f:
        f.write(bytes(mulaw(int(8000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(n)))


def dn_range(r):
    return [str(n) for n in range(r[0], r[1] + 1)]


def extra_config(path, uas_port):
    """[dn] sections appended to the stack's gatewayd.conf: every DN reaches the UAS."""
    contact = "contact = sip:127.0.0.1:%d\n" % uas_port
    with open(path, "w") as f:
        f.write("# tests/bench/recording/bench_sipp.py\n")
        f.write("[dn %d-%d]\ntype = Extension\nrecord = true\n%s\n" % (FULL_CALLEES + (contact,)))
        for r in (FULL_CALLERS, (DYN_CALLERS[0], DYN_CALLEES[1])):
            f.write("[dn %d-%d]\ntype = Extension\n%s\n" % (r + (contact,)))


def sipp_cmd(scenario, port, workdir, tag, rtp):
    lo = RTP_PORTS[rtp]
    return (["sipp", "-sf", str(HERE / scenario)] + caps.sipp_common(port, workdir, tag)
            + ["-rtp_threadtasks", "200", "-mp", str(lo)])


def start_uas(workdir, port):
    cmd = sipp_cmd("uas_rec.xml", port, workdir, "uas", "uas") + [
        "-trace_logs", "-log_file", os.path.join(workdir, "uas-answers.log"),
        "-recv_timeout", "60000", "-timeout", "600s"]
    with open(os.path.join(workdir, "uas.out"), "w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=workdir)
    caps.wait_for("SIPp UAS on UDP %d" % port, 10, lambda: caps.udp_bound(port), proc)
    return proc


def start_uac(workdir, target, pairs, rate, calls, hold_ms, tag, rtp):
    csv_path = os.path.join(workdir, tag + ".csv")
    caps.write_calls_csv(csv_path, pairs)
    port = caps.free_udp_port()
    cmd = sipp_cmd("uac_rec.xml", port, workdir, tag, rtp) + [
        target, "-inf", csv_path, "-r", "%g" % rate, "-rp", "1000", "-m", str(calls),
        "-d", str(hold_ms), "-recv_timeout", "30000", "-timeout", "300s",
        "-trace_stat", "-stf", os.path.join(workdir, tag + "-stats.csv"), "-fd", "1"]
    out = open(os.path.join(workdir, tag + ".out"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            cwd=workdir)
    out.close()
    return proc


class DynClient(threading.Thread):
    """One WebSocket T-Lib client: START on every EventEstablished of a dynamic caller,
    STOP DYN_STOP_AFTER later; times every RequestPrivateService -> EventACK."""

    def __init__(self, ws_url):
        super().__init__(daemon=True)
        self.ws = WSClient(ws_url)
        self.ws.register()
        self.callers = set(dn_range(DYN_CALLERS))
        for dn in sorted(self.callers):
            self.ws.register_dn(dn)
        self.backlog = collections.deque()
        self.ack_ms, self.errors, self.started = [], [], {}  # started: record id -> time sent
        self.done = threading.Event()
        self.ref = 50000

    def next_msg(self, timeout):
        if self.backlog:
            return self.backlog.popleft()
        return self.ws.recv(timeout)

    def request(self, obj):
        self.ref += 1
        obj = dict(obj, ReferenceID=self.ref)
        t = time.monotonic()
        self.ws.send(obj)
        end = t + 10
        while time.monotonic() < end:
            m = self.ws.recv(end - time.monotonic())
            if m is None:
                break
            if m.get("ReferenceID") == self.ref:
                self.ack_ms.append((time.monotonic() - t) * 1000)
                if m.get("message") != "EventACK":
                    self.errors.append(m)
                return m
            self.backlog.append(m)
        self.errors.append({"timeout": obj})
        return None

    def run(self):
        stops = []  # (due, dn, connid)
        n = 0
        while not (self.done.is_set() and not stops):
            now = time.monotonic()
            while stops and stops[0][0] <= now:
                _, dn, cid = stops.pop(0)
                self.request({"message": "RequestPrivateService", "ThisDN": dn,
                              "PrivateMsgID": 3014, "ConnID": cid})
            try:
                m = self.next_msg(0.05)
            except ConnectionError:
                self.errors.append({"closed": True})
                return
            if not m or m.get("message") != "EventEstablished" or m.get("ThisDN") not in self.callers:
                continue
            n += 1
            rid = "dyn-%d-%d" % (os.getpid(), n)
            sent = time.time()
            r = self.request({"message": "RequestPrivateService", "ThisDN": m["ThisDN"],
                              "PrivateMsgID": 3013, "ConnID": m["ConnID"],
                              "Extensions": {"id": rid}})
            if r is not None and r.get("message") == "EventACK":
                self.started[rid] = sent
                stops.append((time.monotonic() + DYN_STOP_AFTER, m["ThisDN"], m["ConnID"]))

    def stop(self):
        self.done.set()
        self.join(30)
        self.ws.close()


class AckClient:
    """bench_ack (tests/bench/recording/bench_ack.c) on one transport: its floor first
    (RequestQueryAddress one at a time, nothing else running), then START/STOP on its
    callers' calls and a probe every --probe-ms; samples read from its stdout."""

    def __init__(self, binary, transport, addr, a, workdir):
        self.transport = transport
        self.samples = collections.defaultdict(list)  # kind -> [(ms, ok, server ms or None)]
        self.started = {}
        self.lines = []
        cmd = [binary, "--" + transport, addr, "--dns", ACK_DNS[transport],
               "--pairs", str(a.ack_pairs), "--gap-ms", str(a.ack_gap_ms),
               "--probe-ms", str(a.probe_ms), "--floor", str(a.floor)]
        self.err = open(os.path.join(workdir, "bench_ack-%s.err" % transport), "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(60):
            raise caps.BenchError("bench_ack (%s) not ready: see %s" % (transport, self.err.name))

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "sample" and len(parts) == 5:
                srv = int(parts[4])
                self.samples[parts[1]].append((int(parts[2]) / 1000.0, parts[3] == "ok",
                                               srv / 1000.0 if srv >= 0 else None))
            elif parts[0] == "started" and len(parts) == 3:
                self.started[parts[1]] = float(parts[2])
            elif parts[0] == "ready":
                self.ready.set()
        self.ready.set()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(10)
        self.err.close()

    def ms(self, *kinds, ok=True):
        return [v for k in kinds for v, good, _ in self.samples.get(k, []) if good or not ok]

    def server_ms(self, *kinds):
        """Round trips up to the kernel's receive timestamp at the client (no client wake-up)."""
        return [s for k in kinds for _, good, s in self.samples.get(k, []) if good and s is not None]

    def errors(self, *kinds):
        return sum(1 for k in kinds for _, good, _ in self.samples.get(k, []) if not good)


def sched_wait(pid):
    """(run-queue wait ns, timeslices) summed over pid's threads (/proc/PID/task/*/schedstat)."""
    wait = slices = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(f) as fh:
                _, w, n = (int(x) for x in fh.read().split()[:3])
        except (OSError, ValueError):
            continue
        wait += w
        slices += n
    return wait, slices


def pg_cpu_ticks(datadir):
    """CPU ticks of the stack's PostgreSQL: the postmaster with its exited children
    (cutime + cstime) plus the live ones (backends, writer, WAL writer...)."""
    try:
        with open(os.path.join(datadir, "postmaster.pid")) as f:
            pm = int(f.readline())
        with open("/proc/%d/stat" % pm) as f:
            st = f.read()
    except (OSError, ValueError):
        return 0
    waited = sum(int(x) for x in st[st.rindex(")") + 2:].split()[13:15])
    return caps.proc_cpu_ticks(pm) + waited + sum(caps.proc_cpu_ticks(c)
                                                  for c in caps.children_of(pm))


def set_sched(pid, spec):
    """--sched: "rr:N" (SCHED_RR priority N) or "nice:N" on every thread of pid."""
    kind, val = spec.split(":", 1)
    for tid in os.listdir("/proc/%d/task" % pid):
        cmd = (["chrt", "-r", "-p", val, tid] if kind == "rr"
               else ["renice", "-n", val, "-p", tid])
        subprocess.run(cmd, capture_output=True, timeout=10, check=True)


def ack_binary(builds):
    """bench_ack from the first build directory that has it (the client is build-neutral)."""
    for _, d, _ in builds:
        p = os.path.join(d, "tests", "bench", "recording", "bench_ack")
        if os.access(p, os.X_OK):
            return p
    return None


def read_metrics(env):
    """gatewayd's /metrics histograms of LOOP_HISTS: {name: {le: count}}; {} if unreadable."""
    ws = env["WS_URL"].split("//", 1)[1].split("/", 1)[0]
    req = urllib.request.Request("http://%s/metrics" % ws,
                                 headers={"Authorization": "Bearer " + env.get("STATUS_TOKEN", "")})
    try:
        text = urllib.request.urlopen(req, timeout=10).read().decode()
    except OSError:
        return {}
    out = collections.defaultdict(dict)
    for line in text.splitlines():
        for _, name in LOOP_HISTS:
            pre = name + '_bucket{le="'
            if line.startswith(pre):
                le, val = line[len(pre):].split('"} ')
                out[name][float(le) if le != "+Inf" else math.inf] = int(val)
    return dict(out)


def hist_delta(before, after, name):
    """(count, p50, p99, max bucket) in ms from the cumulative buckets' difference: each
    quantile is the upper bound of the bucket it falls in."""
    a, b = after.get(name), before.get(name, {})
    if not a:
        return None
    les = sorted(a)
    cum = [(le, a[le] - b.get(le, 0)) for le in les]
    total = cum[-1][1]
    if total <= 0:
        return (0, None, None, None)

    def q(p):
        for le, c in cum:
            if c >= p * total:
                return le * 1000
        return math.inf

    top, prev = None, 0
    for le, c in cum:
        if c > prev:
            top = le * 1000
        prev = c
    return (total, q(0.5), q(0.99), top)


def udp_rcvbuf(port):
    """Receive buffer (bytes, as the kernel counts them) of the UDP socket on port, or None."""
    try:
        out = subprocess.run(["ss", "-uanmH", "sport = :%d" % port], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for tok in out.replace("(", ",").replace(")", ",").split(","):
        if tok.startswith("rb") and tok[2:].isdigit():
            return int(tok[2:])
    return None


def read_answers(path):
    """CallUUID -> UAS answer time (epoch s) from the UAS's -trace_logs lines."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 5 and parts[0] == "answered":
                    out[parts[2]] = float(parts[3]) + float(parts[4]) / 1e6
    except OSError:
        pass
    return out


def read_sidecars(rec_dir):
    out = []
    for f in glob.glob(os.path.join(rec_dir, "*.json")):
        try:
            with open(f) as fh:
                out.append(json.load(fh))
        except (OSError, ValueError):
            continue
    return out


def first_packet(sc):
    firsts = [s["first_packet"] for s in sc.get("streams", []) if s.get("first_packet")]
    return min(iso_to_epoch(x) for x in firsts) if firsts else None


def both_channels(sc):
    st = [s for s in sc.get("streams", []) if s.get("media", "audio") == "audio"]
    return len(st) >= 2 and all(s.get("packets", 0) > 0 for s in st)


def uac_result(workdir, tag, calls):
    stats = caps.read_stats(os.path.join(workdir, tag + "-stats.csv"))
    if not stats:
        return {"ok": 0, "failed": calls, "cps": 0.0, "peak": 0}
    last = stats[-1]
    t_created = None
    for row in stats:
        if int(row.get("TotalCallCreated", 0)) >= calls:
            t_created = caps.hms_seconds(row.get("ElapsedTime(C)", "00:00:00"))
            break
    created = int(last.get("TotalCallCreated", 0))
    el = t_created or caps.hms_seconds(last.get("ElapsedTime(C)", "00:00:01"))
    return {"ok": int(last.get("SuccessfulCall(C)", 0)),
            "failed": calls - int(last.get("SuccessfulCall(C)", 0)),
            "cps": created / el if el else 0.0,
            "peak": max(int(r.get("CurrentCall", 0)) for r in stats)}


def db_recordings(pgurl):
    """Full-time recordings of the load's callees in gatewayd's database: {state: rows}."""
    try:
        out = subprocess.run(
            ["psql", pgurl, "-Atc",
             "SELECT state, count(*) FROM recordings WHERE started_by = 'full-time' AND "
             "recorded_dn BETWEEN '%d' AND '%d' GROUP BY state" % FULL_CALLEES],
            capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {k: int(v) for k, v in (line.split("|") for line in out.split() if "|" in line)}


def wait_db(pgurl, secs):
    """The writer is asynchronous: wait until no row is active and the counts settle."""
    last, since = None, time.monotonic()
    while True:
        rows = db_recordings(pgurl)
        if rows == last and not rows.get("active") and not rows.get("paused"):
            return rows
        if rows != last:
            last, since = rows, time.monotonic()
        elif time.monotonic() - since > secs:
            return rows
        time.sleep(0.5)


def wait_recordings(rec_dir, want, secs):
    """Wait until want sidecars say ended, or nothing changed for secs."""
    last, since = -1, time.monotonic()
    while True:
        n = sum(1 for sc in read_sidecars(rec_dir) if sc.get("state") == "ended")
        if n >= want:
            return n
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since > secs:
            return n
        time.sleep(0.5)


def run_step(rate, a, root, build, name, opts=()):
    # The same rate may come several times (--rates 80,80): number the steps.
    workdir = os.path.join(root, "%02d-rate-%g-%s" % (len(os.listdir(root)) + 1, rate, name))
    os.makedirs(workdir)
    gwtest.BUILD = Path(build)
    write_tone(os.path.join(workdir, TONE_FILE))
    calls = int(rate * a.step_seconds)
    dyn_calls = int(a.dyn_rate * a.step_seconds)
    res = {"rate": rate, "calls": calls, "load_before": os.getloadavg()[0], "build": name}
    uas_port = caps.free_udp_port()
    uas = start_uas(workdir, uas_port)
    extra = os.path.join(workdir, "bench-dns.conf")
    extra_config(extra, uas_port)
    gw_opts, sched = [], a.sched
    for o in opts:
        if o.startswith("sched="):  # the bench's own, per build: --sched for this one
            sched = o.split("=", 1)[1]
        else:
            gw_opts += ["--gateway-opt", o]
    st = Stack("--gateway-extra", extra, "--gateway-opt", "log-level=" + a.gw_log_level,
               "--gateway-opt", "client-queue-limit=67108864", *gw_opts)
    os.rmdir(st.dir)  # the stack lives with the step's other logs
    st.dir = Path(workdir) / "stack"
    dyn = perf = None
    acks = []
    try:
        st.up()
        env = st.env
        target = env["SIP_ADDR"]
        pids = {"gatewayd": int(env["GATEWAY_PID"]), "mediad": int(env["MEDIAD_PID"]),
                "recorder": int(env["RECORDER_PID"])}
        if dyn_calls and a.ack_client == "py":
            dyn = DynClient(env["WS_URL"])
            dyn.start()
        elif dyn_calls:
            ws_addr = env["WS_URL"].split("//", 1)[1].split("/", 1)[0]
            for tp, addr in (("tcp", env["TLIB_ADDR"]), ("ws", ws_addr)):
                acks.append(AckClient(a.ack_bin, tp, addr, a, workdir))  # floors one by one
        if sched:
            for p in [pids["gatewayd"]] + [ac.proc.pid for ac in acks]:
                set_sched(p, sched)
            res["sched_set"] = sched
        elif a.client_sched:
            # The clients are the measuring instrument: on this 2-core machine they share
            # the CPUs with the three daemons and SIPp, and a client's own wait for a CPU
            # after the answer arrived is not gatewayd's latency.
            for ac in acks:
                set_sched(ac.proc.pid, a.client_sched)
            res["sched_set"] = "clients " + a.client_sched
        metrics0 = read_metrics(env)
        sched_pids = dict(pids, **{"bench_ack " + ac.transport: ac.proc.pid for ac in acks})
        sched0 = {k: sched_wait(p) for k, p in sched_pids.items()}
        cpu0 = {k: caps.proc_cpu_ticks(p) for k, p in pids.items()}
        pg0 = pg_cpu_ticks(env["PG_DATADIR"]) if env.get("PG_DATADIR") else 0
        uas_ticks0 = caps.proc_cpu_ticks(uas.pid)
        ports = {"gatewayd": int(target.rsplit(":", 1)[1]), "uas": uas_port,
                 "mediad": int(env["MEDIAD_SIP_ADDR"].rsplit(":", 1)[1]),
                 "recorder": int(env["RECORDER_SIP_ADDR"].rsplit(":", 1)[1])}
        res["rcvbuf"] = {k: udp_rcvbuf(ports[k]) for k in ("gatewayd", "mediad", "recorder")}
        sampler = caps.MemSampler(list(pids.values()), ports)
        sampler.start()
        drops0 = caps.udp_rcvbuf_errors()
        if a.perf:
            perf = caps.start_perf(workdir, list(pids.values()))
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        full_pairs = list(zip(dn_range(FULL_CALLERS), dn_range(FULL_CALLEES)))
        uac = start_uac(workdir, target, full_pairs, rate, calls, a.hold_ms, "load", "uac")
        duac = None
        if dyn_calls:
            dyn_pairs = list(zip(dn_range(DYN_CALLERS), dn_range(DYN_CALLEES)))
            duac = start_uac(workdir, target, dyn_pairs, a.dyn_rate, dyn_calls,
                             a.dyn_hold_ms, "dyn", "dyn")
        limit = a.step_seconds + a.hold_ms / 1000.0 + 120
        for p in (uac, duac):
            if p is None:
                continue
            try:
                p.wait(max(1, limit - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired:
                log("SIPp UAC %d still running after %.0f s: killing it" % (p.pid, limit))
                p.kill()
                p.wait()
        elapsed = time.monotonic() - t0
        res["load"] = os.getloadavg()[0]
        metrics1 = read_metrics(env)
        sched1 = {k: sched_wait(p) for k, p in sched_pids.items()}
        # Time spent runnable but waiting for a CPU: ms per second of the step, us per run.
        res["sched"] = {k: (1e-6 * (sched1[k][0] - sched0[k][0]) / elapsed,
                            1e-3 * (sched1[k][0] - sched0[k][0])
                            / max(1, sched1[k][1] - sched0[k][1])) for k in sched_pids}
        res["psi"] = open("/proc/pressure/cpu").readline().strip() if os.path.exists(
            "/proc/pressure/cpu") else ""
        res["loop"] = {label: hist_delta(metrics0, metrics1, name) for label, name in LOOP_HISTS}
        cpu1 = {k: caps.proc_cpu_ticks(p) for k, p in pids.items()}
        pg1 = pg_cpu_ticks(env["PG_DATADIR"]) if env.get("PG_DATADIR") else 0
        sipp_ticks = caps.proc_cpu_ticks(uas.pid)
        sampler.stop()
        res["sip_drops"] = sampler.drops
        res["udp_drops"] = caps.udp_rcvbuf_errors() - drops0
        if perf is not None:
            caps.stop_perf(perf)
        # The UACs are the only children reaped meanwhile: RUSAGE_CHILDREN's delta.
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res["cpu"] = {k: 100.0 * (cpu1[k] - cpu0[k]) / caps.CLK_TCK / elapsed for k in pids}
        if pg1:
            res["cpu"]["postgres"] = 100.0 * (pg1 - pg0) / caps.CLK_TCK / elapsed
        res["rec_cpu_s"] = (cpu1["recorder"] - cpu0["recorder"]) / caps.CLK_TCK
        res["cpu"]["sipp UACs"] = 100.0 * (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime
                                           - ru0.ru_stime) / elapsed
        res["cpu"]["sipp UAS"] = 100.0 * (sipp_ticks - uas_ticks0) / caps.CLK_TCK / elapsed
        if dyn is not None:
            dyn.stop()
        for ac in acks:
            ac.stop()
        started = dict(dyn.started) if dyn else {}
        for ac in acks:
            started.update(ac.started)
        res.update({"load_" + k: v for k, v in uac_result(workdir, "load", calls).items()})
        if duac is not None:
            res.update({"dyn_" + k: v for k, v in uac_result(workdir, "dyn", dyn_calls).items()})
        rec_dir = env["RECORDER_DIR"]
        wait_recordings(rec_dir, res["load_ok"] + len(started), 15)
        if env.get("PGURL"):
            res["db_rows"] = wait_db(env["PGURL"], 10)
        # The UAS has logged every call it finished; SIGUSR1 = quit once calls are done.
        uas.send_signal(signal.SIGUSR1)
        try:
            uas.wait(30)
        except subprocess.TimeoutExpired:
            uas.kill()
            uas.wait()
        answers = read_answers(os.path.join(workdir, "uas-answers.log"))
        full_lat, dyn_lat, recorded, one_channel, dyn_rec = [], [], 0, 0, 0
        setup_lat, media_lat = [], []  # answer -> recorder session start -> first packet
        rec_packets = 0
        for sc in read_sidecars(rec_dir):
            rec_packets += sum(st.get("packets", 0) for st in sc.get("streams", []))
            params = sc.get("params") or {}
            fp = first_packet(sc)
            rid = sc.get("record_id", "")
            if rid in started:
                dyn_rec += 1
                if fp is not None:
                    dyn_lat.append((fp - started[rid]) * 1000)
                continue
            dn = params.get("dn", "")
            if not (dn.isdigit() and FULL_CALLEES[0] <= int(dn) <= FULL_CALLEES[1]):
                continue
            if both_channels(sc):
                recorded += 1
            else:
                one_channel += 1
            ans = answers.get(params.get("calluuid", ""))
            if ans is not None and fp is not None:
                full_lat.append((fp - ans) * 1000)
                if sc.get("start"):
                    st0 = iso_to_epoch(sc["start"])
                    setup_lat.append((st0 - ans) * 1000)
                    media_lat.append((fp - st0) * 1000)
        res.update({"recorded": recorded, "one_channel": one_channel, "full_lat": full_lat,
                    "setup_lat": setup_lat, "media_lat": media_lat, "rec_packets": rec_packets,
                    "answers": len(answers), "dyn_lat": dyn_lat, "dyn_recorded": dyn_rec,
                    "ack_ms": dyn.ack_ms if dyn else [],
                    "ack_errors": len(dyn.errors) if dyn else 0, "dir": workdir,
                    "acks": {ac.transport: {
                        "floor": ac.ms("floor"), "probe": ac.ms("probe"),
                        "ack": ac.ms("start", "stop"), "ack_errors": ac.errors("start", "stop"),
                        "ack_server": ac.server_ms("start", "stop"),
                        "probe_server": ac.server_ms("probe"),
                        "calls": len(ac.samples.get("start", []))} for ac in acks}})
    finally:
        if dyn is not None and dyn.is_alive():
            dyn.stop()
        for ac in acks:
            if ac.proc.poll() is None:
                ac.stop()
        caps.stop_proc(uas, "sipp uas")
        if st.env:
            rc, out = st.down()
            if rc != 0:
                log("tests/stack down: " + out.strip())
    return res


def describe(r):
    lines = ["[%s%s] rate %g cps (%s before, load1 %.2f during): %d calls, created at %.1f cps, "
             "%d failed (%.2f%%), peak %d at once; recorded %d (both channels), %d one channel"
             % (r["build"], " sched " + r["sched_set"] if r.get("sched_set") else "", r["rate"], "load1 %.2f" % r["load_before"], r.get("load", float("nan")),
                r["calls"], r.get("load_cps", 0), r.get("load_failed", 0),
                100.0 * r.get("load_failed", 0) / max(1, r["calls"]), r.get("load_peak", 0),
                r.get("recorded", 0), r.get("one_channel", 0))]
    if "db_rows" in r:
        lines.append("  database: full-time recordings of 6001-6100 by state: %s"
                     % (", ".join("%s %d" % kv for kv in sorted(r["db_rows"].items())) or "none"))
    fl = r.get("full_lat", [])
    if fl:
        lines.append("  full-time start latency (UAS 200 OK -> first RTP at the recorder): "
                     "p50 %.0f ms, p99 %.0f ms, max %.0f ms (n=%d)"
                     % (pct(fl, 50), pct(fl, 99), max(fl), len(fl)))
        sl, ml = r.get("setup_lat", []), r.get("media_lat", [])
        if sl:
            lines.append("    of which 200 OK -> recorder session start (signalling) p50 %.0f ms, "
                         "p99 %.0f ms; session start -> first RTP p50 %.0f ms, p99 %.0f ms"
                         % (pct(sl, 50), pct(sl, 99), pct(ml, 50), pct(ml, 99)))
    else:
        lines.append("  full-time start latency: no call matched (UAS logged %d answers)"
                     % r.get("answers", 0))
    ack = r.get("ack_ms", [])
    if ack:
        dl = r.get("dyn_lat", [])
        lines.append("  dynamic: %d calls, %d failed, %d recorded; EventACK (START/STOP) "
                     "p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d, %d errors); START -> first "
                     "RTP p50 %.0f ms, p99 %.0f ms"
                     % (r.get("dyn_ok", 0) + r.get("dyn_failed", 0), r.get("dyn_failed", 0),
                        r.get("dyn_recorded", 0), pct(ack, 50), pct(ack, 99), max(ack), len(ack),
                        r.get("ack_errors", 0), pct(dl, 50), pct(dl, 99)))
    def q(xs):
        return ("p50 %.2f, p99 %.2f, max %.2f ms (n=%d)" % (pct(xs, 50), pct(xs, 99), max(xs), len(xs))
                if xs else "none")

    for tp, s in sorted(r.get("acks", {}).items()):
        lines.append("  EventACK over %s (C client): START/STOP %s, %d not ACKed; probe "
                     "(RequestQueryAddress) %s; client floor (idle gatewayd) %s"
                     % (tp.upper() if tp == "tcp" else "WebSocket", q(s["ack"]), s["ack_errors"],
                        q(s["probe"]), q(s["floor"])))
        lines.append("    without the client's wake-up (send -> kernel receive timestamp of the "
                     "answer): START/STOP %s; probe %s" % (q(s["ack_server"]), q(s["probe_server"])))
    if r.get("acks"):
        dl = r.get("dyn_lat", [])
        lines.append("  dynamic: %d calls, %d failed, %d recorded; START -> first RTP p50 %.0f ms, "
                     "p99 %.0f ms" % (r.get("dyn_ok", 0) + r.get("dyn_failed", 0),
                                      r.get("dyn_failed", 0), r.get("dyn_recorded", 0),
                                      pct(dl, 50), pct(dl, 99)))
    loop = {k: v for k, v in r.get("loop", {}).items() if v}
    if loop:
        lines.append("  gatewayd loop (/metrics, bucket bounds): " + "; ".join(
            "%s n=%d p50<=%s p99<=%s max<=%s ms" % ((k, v[0]) + tuple(
                "-" if x is None else "%g" % x for x in v[1:])) for k, v in loop.items()))
    if r.get("rcvbuf"):
        lines.append("  SIP UDP receive buffers: " + ", ".join(
            "%s %s KiB" % (k, v // 1024 if v else "?") for k, v in r["rcvbuf"].items()))
    if "sip_drops" in r:
        lines.append("  UDP datagrams dropped (full receive buffer): %d in all (RTP included); "
                     "on SIP sockets: %s" % (r["udp_drops"], ", ".join(
                         "%s %d" % kv for kv in r["sip_drops"].items())))
    if r.get("cpu"):
        lines.append("  CPU: " + ", ".join("%s %.0f%%" % kv for kv in r["cpu"].items()))
    if r.get("sched"):
        lines.append("  waiting for a CPU while runnable (schedstat): " + ", ".join(
            "%s %.0f ms/s (%.0f us per run)" % (k, v[0], v[1]) for k, v in r["sched"].items())
            + "; CPU pressure: " + r.get("psi", "?"))
    if r.get("rec_packets"):
        lines.append("  recorder: %d RTP packets recorded, %.1f us of recorder CPU per packet"
                     % (r["rec_packets"], 1e6 * r["rec_cpu_s"] / r["rec_packets"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="50,100,200", help="call rates to step through (cps)")
    ap.add_argument("--step-seconds", type=float, default=10.0,
                    help="seconds of call generation per step (calls = rate x this)")
    ap.add_argument("--hold-ms", type=int, default=1000, help="talk time of a load call")
    ap.add_argument("--dyn-rate", type=float, default=10.0,
                    help="dynamic (RequestPrivateService) calls per second, 0 = none")
    ap.add_argument("--dyn-hold-ms", type=int, default=3000, help="talk time of a dynamic call")
    ap.add_argument("--ack-client", choices=("c", "py"), default="c",
                    help="c: bench_ack over TCP and WebSocket (half of the dynamic callers "
                    "each); py: the Python WebSocket client (asyncio thread) on all of them")
    ap.add_argument("--ack-pairs", type=int, default=3,
                    help="START/STOP pairs per dynamic call (C client)")
    ap.add_argument("--ack-gap-ms", type=int, default=400,
                    help="between a dynamic call's requests (C client)")
    ap.add_argument("--probe-ms", type=int, default=20,
                    help="a RequestQueryAddress probe this often per transport (C client, 0 = none)")
    ap.add_argument("--sched", default="",
                    help="rr:N or nice:N for gatewayd and the C clients during the load (an "
                    "experiment: how much of the round trip is waiting for a CPU)")
    ap.add_argument("--client-sched", default="",
                    help="rr:N or nice:N for the C clients only (gatewayd's own scheduling is "
                    "its `scheduling` option, e.g. --builds rt=build+scheduling=rr:10)")
    ap.add_argument("--floor", type=int, default=200,
                    help="probes timed one by one on the idle gatewayd before the load (C client)")
    ap.add_argument("--gw-log-level", default="warn")
    ap.add_argument("--builds", default="",
                    help="NAME=DIR[+KEY=VALUE...],... build directories to compare, each step "
                    "once per build in turn; +KEY=VALUE are gatewayd options for that run, "
                    "+sched=SPEC is --sched for that run (default: $AREC_BUILD_DIR only)")
    ap.add_argument("--perf", action="store_true", help="perf record the three daemons (keeps logs)")
    ap.add_argument("--keep", action="store_true", help="keep every step's logs and recordings")
    a = ap.parse_args()
    if not shutil.which("sipp"):
        log("sipp not found (Debian package sip-tester)")
        return 2
    root = tempfile.mkdtemp(prefix="bench-rec-")
    log("logs in %s, %d CPUs, %s" % (root, os.cpu_count(), loadavg()))
    results = []
    rc = 0
    builds = []
    for b in [b for b in a.builds.split(",") if b] or [
            "build=" + os.environ.get("AREC_BUILD_DIR", str(REPO / "build"))]:
        name, spec = b.split("=", 1)
        parts = spec.split("+")
        builds.append((name, os.path.abspath(parts[0]), parts[1:]))
    a.ack_bin = ack_binary(builds) or ack_binary([("", os.environ.get("AREC_BUILD_DIR", ""), ())])
    if a.ack_client == "c" and a.dyn_rate > 0 and not a.ack_bin:
        log("bench_ack not built in %s: make bench_ack, or --ack-client py" % a.builds)
        return 2
    for rate in [float(x) for x in a.rates.split(",") if x]:
        for name, build, opts in builds:
            try:
                r = run_step(rate, a, root, build, name, opts)
            except (caps.BenchError, RuntimeError, KeyError, OSError) as e:
                log("rate %g, %s: %s" % (rate, name, e))
                rc = 1
                break
            results.append(r)
            print(describe(r), flush=True)
        if rc:
            break
    if a.keep or a.perf or rc:
        log("logs kept in %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
