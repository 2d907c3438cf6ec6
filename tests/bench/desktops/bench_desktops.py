#!/usr/bin/python3
"""Benchmark: N WebSocket desktops, each authenticated and registered on its own DN, while
real SIPp calls run through gatewayd between those DNs (default), or while a sender
distributes user events over them (--load events). Prints events/s delivered, gateway ->
desktop latency (p50/p99/p99.9/max), gatewayd's memory per connection, failed calls, and
the CPU of every process on the host side (gatewayd, SIPp, the desktop clients).
Not a test (nothing is asserted); run by hand (README.md in this folder):

    tests/bench/desktops/bench_desktops.py [--desktops 1000] [--cps 200] [--seconds 20]

AREC_BUILD_DIR (default build/) names the build holding gateway/gatewayd.

Latency: gatewayd stamps every T-Lib event with `TimeStamp` (CLOCK_REALTIME, microseconds,
gw_server_stamp) just before it fans the event out; each desktop takes CLOCK_REALTIME when
the frame has been read and parsed. Everything runs on one host, so both sides read the
same clock: the figure is fan-out + encoding + queueing in gatewayd + the socket + the
client's own scheduling (which is why the clients run in several processes)."""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("AREC_BUILD_DIR", REPO / "build")).resolve()
CALLS = REPO / "tests" / "bench" / "calls"
FIRST_DN = 6000
STATUS_TOKEN = "bench-status-token"


def write_config(d, args, uas_port):
    n = args.desktops
    last = FIRST_DN + n - 1
    lines = ["# Written by tests/bench/desktops/bench_desktops.py.", "[gateway]", "site = bench",
             "tlib-listen = 127.0.0.1:0", "ws-listen = 127.0.0.1:0", "sip-listen = 127.0.0.1:0",
             "trusted-networks = 127.0.0.0/8", f"status-token = {STATUS_TOKEN}",
             f"max-connections-per-source = {n + 10}", "max-clients = 100000",
             "log-level = warn"] + args.gw_opt + ["",
             f"[dn {FIRST_DN}-{last}]", "type = Extension",
             f"contact = sip:127.0.0.1:{uas_port}", "",
             "[application sender]", "password = sender", "dns = *", ""]
    for i in range(n):
        lines += [f"[desktop d{i}]", f"token = tok-{i}", f"dns = {FIRST_DN + i}", ""]
    conf = Path(d) / "gatewayd.conf"
    conf.write_text("\n".join(lines))
    return conf


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid):
    """utime + stime of pid (all threads) in seconds; 0 once it is gone."""
    try:
        s = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    f = s[s.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- desktop worker processes


async def desktop(url, i, st, call_view):
    ws = await websockets.connect(url, extra_headers={"Authorization": f"Bearer tok-{i}"},
                                  ping_interval=None, max_size=None, compression=None,
                                  open_timeout=120, close_timeout=5)
    while json.loads(await ws.recv())["message"] != "Snapshot":
        pass
    await ws.send(json.dumps({"message": "RequestRegisterAddress", "ThisDN": str(FIRST_DN + i),
                              "ReferenceID": 1}))
    while json.loads(await ws.recv()).get("ReferenceID") != 1:
        pass
    if call_view:
        await ws.send(json.dumps({"message": "CallView", "enabled": True, "ReferenceID": 2}))

    async def reader():
        lat, kinds = st["lat"], st["kinds"]
        try:
            async for data in ws:
                now = time.time_ns() // 1000
                m = json.loads(data)
                kind = m.get("message", "?")
                kinds[kind] = kinds.get(kind, 0) + 1
                ts = m.get("TimeStamp")
                if st["measure"] and ts is not None:
                    lat.append(now - ts)
        except websockets.ConnectionClosed:
            pass
        st["closed"] += 1
    return ws, asyncio.ensure_future(reader())


async def worker_main(url, idx, conn, call_view):
    st = {"lat": [], "kinds": {}, "closed": 0, "measure": False}
    sem = asyncio.Semaphore(50)
    desks = []

    async def one(i):
        async with sem:
            desks.append(await desktop(url, i, st, call_view))
    await asyncio.gather(*[one(i) for i in idx])
    loop = asyncio.get_running_loop()
    conn.send("ready")
    cmd = await loop.run_in_executor(None, conn.recv)  # "measure": the load starts
    st["measure"] = True
    st["kinds"].clear()
    cpu0 = time.process_time()
    cmd = await loop.run_in_executor(None, conn.recv)  # "stop"
    cpu = time.process_time() - cpu0
    st["measure"] = False
    closed_under_load = st["closed"]
    conn.send({"lat": st["lat"], "kinds": st["kinds"], "cpu": cpu,
               "closed": closed_under_load})
    for ws, task in desks:
        task.cancel()
    await asyncio.gather(*[ws.close() for ws, _ in desks], return_exceptions=True)
    del cmd


def worker(url, idx, conn, call_view):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 2 * len(idx) + 64), hard), hard))
    asyncio.run(worker_main(url, idx, conn, call_view))


# ---------------------------------------------------------------- load: SIPp calls


def wait_for(what, secs, pred, proc=None):
    end = time.monotonic() + secs
    while not pred():
        if proc is not None and proc.poll() is not None:
            sys.exit(f"{what}: process exited ({proc.returncode})")
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.05)


def udp_bound(port):
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        return True
    finally:
        s.close()
    return False


def free_udp_port():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


SIPP_COMMON = ["-t", "u1", "-nostdin", "-aa", "-default_behaviors", "all,-abortunexp",
               "-buff_size", "4194304", "-max_recv_loops", "10000",
               "-max_sched_loops", "10000", "-watchdog_major_maxtriggers", "1000000",
               "-watchdog_minor_maxtriggers", "1000000", "-trace_err"]


def start_uas(d, port, seconds):
    cmd = ["sipp", "-sf", str(CALLS / "uas_basic.xml"), "-i", "127.0.0.1", "-p", str(port),
           "-recv_timeout", "30000", "-timeout", f"{int(seconds)}s",
           "-error_file", str(Path(d) / "uas-errors.log")] + SIPP_COMMON
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(Path(d) / "uas.out", "w"),
                            stderr=subprocess.STDOUT, cwd=d)
    wait_for(f"SIPp UAS on UDP {port}", 10, lambda: udp_bound(port), proc)
    return proc


def start_uac(d, sip_port, args):
    """SIPp UAC: each DN calls the DN half the range away, so every call reaches two desktops."""
    n = args.desktops
    csv = Path(d) / "calls.csv"
    csv.write_text("SEQUENTIAL\n" + "".join(f"{FIRST_DN + i};{FIRST_DN + (i + n // 2) % n};\n"
                                            for i in range(n)))
    calls = int(args.cps * args.seconds)
    cmd = ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(CALLS / "uac_basic.xml"), "-inf", str(csv),
           "-i", "127.0.0.1", "-p", str(free_udp_port()), "-r", str(args.cps), "-rp", "1000",
           "-m", str(calls), "-recv_timeout", "10000", "-timeout", f"{int(args.seconds + 30)}s",
           "-trace_stat", "-stf", str(Path(d) / "uac-stats.csv"), "-fd", "1",
           "-error_file", str(Path(d) / "uac-errors.log")] + SIPP_COMMON
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(Path(d) / "uac.out", "w"),
                            stderr=subprocess.STDOUT, cwd=d)


def uac_stats(d):
    try:
        rows = [r.split(";") for r in (Path(d) / "uac-stats.csv").read_text().splitlines()]
    except OSError:
        return {}
    return dict(zip(rows[0], rows[-1])) if len(rows) >= 2 else {}


# ---------------------------------------------------------------- load: user events


async def send_user_events(url, args):
    """The old load (no SIP): one T-Lib application distributing user events over the DNs."""
    sender = await websockets.connect(url, ping_interval=None, max_size=None, compression=None)
    await sender.send(json.dumps({"message": "RequestRegisterClient", "ApplicationName": "sender",
                                  "ApplicationPassword": "sender", "ProtocolVersion": 1,
                                  "ReferenceID": 1}))
    await sender.recv()

    async def drain():  # the sender's EventACKs
        try:
            async for _ in sender:
                pass
        except websockets.ConnectionClosed:
            pass
    acks = asyncio.ensure_future(drain())
    interval = 1.0 / args.rate
    sent, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        due = int((time.perf_counter() - start) / interval)
        while sent < due:
            await sender.send(json.dumps({
                "message": "RequestDistributeUserEvent", "ThisDN": str(FIRST_DN + sent % args.desktops),
                "UserData": {"n": sent}, "ReferenceID": 10 + sent}))
            sent += 1
        await asyncio.sleep(interval / 2)
    await asyncio.sleep(1)
    await sender.close()
    acks.cancel()
    return sent


def metric(env, name):
    req = urllib.request.Request(f"http://127.0.0.1:{env['HTTP_PORT']}/metrics",
                                 headers={"Authorization": "Bearer " + STATUS_TOKEN})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return None
    m = re.search(r"^%s(?:\{[^}]*\})? (\S+)$" % name, text, re.M)
    return float(m.group(1)) if m else None


def write_delay_hist(env):
    """gatewayd's own share: [(le seconds, cumulative count)] of
    gatewayd_ws_event_write_delay_seconds (TimeStamp -> WebSocket write)."""
    req = urllib.request.Request(f"http://127.0.0.1:{env['HTTP_PORT']}/metrics",
                                 headers={"Authorization": "Bearer " + STATUS_TOKEN})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return []
    return [(float(le), int(n)) for le, n in re.findall(
        r'^gatewayd_ws_event_write_delay_seconds_bucket\{le="([^"]+)"\} (\d+)$', text, re.M)]


def hist_quantile(h0, h1, q):
    """Upper bound (ms) of the bucket holding quantile q of the counts added between h0 and h1."""
    base = dict(h0)
    rows = [(le, n - base.get(le, 0)) for le, n in h1]
    total = rows[-1][1] if rows else 0
    for le, n in rows:
        if total and n >= q * total:
            return le * 1000
    return float("nan")


# ---------------------------------------------------------------- main


def pct(v, p):
    return v[min(len(v) - 1, int(p / 100 * len(v)))] / 1000 if v else float("nan")


def run_step(args, connect):
    """One bring-up: gatewayd (+ SIPp UAS), `connect` desktops, the load, the figures."""
    d = tempfile.mkdtemp(prefix="arec-bench-desk-")
    uas = uac = proc = perf = None
    procs = []
    r = {"connect": connect}
    try:
        uas_port = free_udp_port()
        if args.load == "calls":
            uas = start_uas(d, uas_port, args.seconds + 120)
        conf = write_config(d, args, uas_port)
        ports = Path(d) / "ports"
        proc = subprocess.Popen([str(BUILD / "gateway" / "gatewayd"), "-c", str(conf),
                                 "--ports-file", str(ports), "--log-file", str(Path(d) / "log")])
        wait_for("gatewayd ports file", 30,
                 lambda: ports.exists() and "WS_PORT=" in ports.read_text(), proc)
        env = dict(line.split("=", 1) for line in ports.read_text().split())
        url = f"ws://127.0.0.1:{env['WS_PORT']}/tlib"
        r["rss_idle"] = rss_kib(proc.pid)
        t0 = time.monotonic()
        ctx = mp.get_context("spawn")
        pipes = []
        for w in range(args.workers):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker, args=(url, range(w, connect, args.workers),
                                                 child, args.call_view))
            p.start()
            procs.append(p)
            pipes.append(parent)
        for c in pipes:
            if not c.poll(300) or c.recv() != "ready":
                sys.exit("a desktop worker did not get ready")
        r["connect_s"] = time.monotonic() - t0
        time.sleep(1)  # let the snapshots' buffers settle before the memory figure
        r["rss_connected"] = rss_kib(proc.pid)
        sent0 = metric(env, "gatewayd_events_sent_total") or 0
        hist0 = write_delay_hist(env)
        for c in pipes:
            c.send("measure")
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-p", str(proc.pid),
                                     "-o", str(Path(d) / "perf.data")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        gw_cpu0, uas_cpu0 = cpu_s(proc.pid), cpu_s(uas.pid) if uas else 0
        r["load0"] = os.getloadavg()[0]
        start = time.monotonic()
        rss_peak = r["rss_connected"]
        uac_cpu = 0.0
        if args.load == "calls":
            uac = start_uac(d, int(env["SIP_PORT"]), args)
            while uac.poll() is None:
                uac_cpu = max(uac_cpu, cpu_s(uac.pid))
                rss_peak = max(rss_peak, rss_kib(proc.pid))
                time.sleep(0.2)
            r["uac"] = uac_stats(d)
        else:
            r["sent"] = asyncio.run(send_user_events(url, args))
            rss_peak = max(rss_peak, rss_kib(proc.pid))
        r["wall"] = time.monotonic() - start
        r["load1"] = os.getloadavg()[0]
        r["gw_cpu"] = cpu_s(proc.pid) - gw_cpu0
        r["uas_cpu"] = (cpu_s(uas.pid) - uas_cpu0) if uas else 0
        r["uac_cpu"] = uac_cpu
        if perf:
            perf.send_signal(2)
            perf.wait(30)
        time.sleep(0.5)  # the last events in flight
        r["gw_sent"] = (metric(env, "gatewayd_events_sent_total") or 0) - sent0
        hist1 = write_delay_hist(env)
        r["gw_delay"] = [hist_quantile(hist0, hist1, q) for q in (0.5, 0.99, 0.999)]
        r["gw_delay_n"] = (hist1[-1][1] - dict(hist0).get(hist1[-1][0], 0)) if hist1 else 0
        r["rss_peak"] = rss_peak
        for c in pipes:
            c.send("stop")
        res = [c.recv() for c in pipes]
        for p in procs:
            p.join(60)
        r["lat"] = sorted(x for w in res for x in w["lat"])
        kinds = {}
        for w in res:
            for k, v in w["kinds"].items():
                kinds[k] = kinds.get(k, 0) + v
        r["kinds"] = kinds
        r["got"] = sum(kinds.values())
        r["client_cpu"] = sum(w["cpu"] for w in res)
        r["closed"] = sum(w["closed"] for w in res)
        r["dir"] = d
        return r
    finally:
        for p in (uac, uas):
            if p and p.poll() is None:
                p.terminate()
                p.wait(10)
        for p in procs:
            if p.is_alive():
                p.terminate()
        if proc:
            proc.terminate()
            proc.wait(10)
        if not (args.keep or args.perf):
            shutil.rmtree(d, ignore_errors=True)


def report(args, r, ctl):
    wall, lat = r["wall"], r["lat"]
    print(f"--- {r['connect']} desktops connected, {args.desktops} DNs; load average "
          f"{r['load0']:.2f} before the load, {r['load1']:.2f} after it (1 min, "
          f"{os.cpu_count()} cores shared by gatewayd, SIPp and the clients)")
    if r["connect"]:
        print(f"desktops: authenticated and registered in {r['connect_s']:.1f} s by "
              f"{args.workers} client processes; {r['closed']} closed under load")
    if args.load == "calls":
        s = r["uac"]
        ok, failed = int(s.get("SuccessfulCall(C)", 0)), int(s.get("FailedCall(C)", 0))
        made = int(s.get("TotalCallCreated", 0))
        print(f"calls: {made} made at {args.cps:g}/s target, {ok} ok, {failed} failed "
              f"({100 * failed / max(made, 1):.2f}%)")
    else:
        print(f"user events: {r['sent']} sent at {args.rate:g}/s target")
    if r["connect"]:
        print(f"events delivered to desktops: {r['got']} in {wall:.1f} s ({r['got'] / wall:.0f}/s);"
              f" gatewayd counted {r['gw_sent']:.0f} sent; by kind: "
              + ", ".join(f"{k} {v}" for k, v in sorted(r["kinds"].items(),
                                                        key=lambda kv: -kv[1])))
        print(f"latency gateway -> desktop ({len(lat)} events): p50 {pct(lat, 50):.2f} ms, "
              f"p99 {pct(lat, 99):.2f} ms, p99.9 {pct(lat, 99.9):.2f} ms, "
              f"max {lat[-1] / 1000 if lat else float('nan'):.2f} ms")
        d50, d99, d999 = r["gw_delay"]
        print(f"  of which in gatewayd (TimeStamp -> WebSocket write, /metrics histogram, "
              f"{r['gw_delay_n']} events): p50 <= {d50:g} ms, p99 <= {d99:g} ms, "
              f"p99.9 <= {d999:g} ms")
    print(f"gatewayd RSS: idle {r['rss_idle']} KiB, connected {r['rss_connected']} KiB, "
          f"peak under load {r['rss_peak']} KiB")
    print(f"CPU over the {wall:.1f} s of load (% of one core): gatewayd "
          f"{100 * r['gw_cpu'] / wall:.0f}%, desktop clients {100 * r['client_cpu'] / wall:.0f}% "
          f"({args.workers} processes), SIPp UAC {100 * r['uac_cpu'] / wall:.0f}%, "
          f"SIPp UAS {100 * r['uas_cpu'] / wall:.0f}%")
    if r["connect"]:
        n = r["connect"]
        print(f"memory per connection: {(r['rss_connected'] - r['rss_idle']) / n:.1f} KiB "
              f"connected and registered, before the load")
    if ctl is not None and r["connect"]:
        n = r["connect"]
        print(f"against the anchor (same load, no desktop): memory per connection under load "
              f"{(r['rss_peak'] - ctl['rss_peak']) / n:.1f} KiB; gatewayd CPU for the desktops "
              f"{100 * (r['gw_cpu'] / wall - ctl['gw_cpu'] / ctl['wall']):.0f}% of a core "
              f"({1e6 * (r['gw_cpu'] - ctl['gw_cpu'] * wall / ctl['wall']) / max(r['got'], 1):.0f}"
              f" us per event delivered)")
    if args.keep or args.perf:
        print(f"work folder kept: {r['dir']}" + (" (perf.data)" if args.perf else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--desktops", type=int, default=1000)
    ap.add_argument("--load", choices=("calls", "events"), default="calls")
    ap.add_argument("--cps", type=float, default=200, help="calls per second (--load calls)")
    ap.add_argument("--rate", type=float, default=2000, help="user events/s (--load events)")
    ap.add_argument("--seconds", type=float, default=20, help="duration of the load")
    ap.add_argument("--workers", type=int, default=8, help="desktop client processes")
    ap.add_argument("--connect", type=int, default=None,
                    help="desktops actually connected (default all)")
    ap.add_argument("--no-anchor", action="store_true",
                    help="skip the anchor step (the same load with no desktop connected)")
    ap.add_argument("--call-view", action="store_true", help="desktops also take CallState")
    ap.add_argument("--gw-opt", action="append", default=[], metavar="KEY = VALUE",
                    help="extra [gateway] line")
    ap.add_argument("--perf", action="store_true", help="perf record gatewayd during the load")
    ap.add_argument("--keep", action="store_true", help="keep the work folders")
    args = ap.parse_args()
    args.connect = args.desktops if args.connect is None else min(args.connect, args.desktops)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"gatewayd: {BUILD / 'gateway' / 'gatewayd'}")
    ctl = None
    if not args.no_anchor and args.connect:
        ctl = run_step(args, 0)
        report(args, ctl, None)
    report(args, run_step(args, args.connect), ctl)


if __name__ == "__main__":
    main()
