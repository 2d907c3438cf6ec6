#!/usr/bin/python3
"""Benchmark: N WebSocket desktops, each authenticated and registered on its own DN, while a
sender distributes user events over the DNs at a fixed rate. Prints events/s delivered,
gateway -> desktop latency (p50/p99/max) and gatewayd's memory per connection.
Not a test (nothing is asserted); run by hand:

    tests/bench/desktops/bench_desktops.py [--desktops 1000] [--rate 2000] [--seconds 10]

AREC_BUILD_DIR (default build/) names the build holding gateway/gatewayd. Latency is measured
from the sender's clock at the moment it writes the request to the desktop's receive time,
so it includes the request's trip in, the fan-out and the event's trip out; all clients
run in this one Python process, whose scheduling is part of the figure."""
import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("AREC_BUILD_DIR", REPO / "build")).resolve()
FIRST_DN = 60000


def write_config(d, n):
    lines = ["[gateway]", "site = bench", "tlib-listen = 127.0.0.1:0", "ws-listen = 127.0.0.1:0",
             f"max-connections-per-source = {n + 10}", "max-clients = 100000",
             "log-level = warn", "",
             f"[dn {FIRST_DN}-{FIRST_DN + n - 1}]", "type = Extension", "",
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


async def open_desktop(url, i, lat, counts):
    ws = await websockets.connect(url, extra_headers={"Authorization": f"Bearer tok-{i}"},
                                  ping_interval=None, max_size=None, compression=None,
                                  open_timeout=60)
    while json.loads(await ws.recv())["message"] != "Snapshot":
        pass
    await ws.send(json.dumps({"message": "RequestRegisterAddress", "ThisDN": str(FIRST_DN + i),
                              "ReferenceID": 1}))
    while json.loads(await ws.recv()).get("ReferenceID") != 1:
        pass

    async def reader():
        try:
            async for data in ws:
                now = time.perf_counter_ns()
                m = json.loads(data)
                if m.get("message") == "EventUserEvent":
                    lat.append((now - int(m["UserData"]["t"])) / 1e6)
                    counts[0] += 1
        except websockets.ConnectionClosed:
            pass
    return ws, asyncio.ensure_future(reader())


async def bench(args, url):
    lat, counts = [], [0]
    desks = []
    t0 = time.monotonic()
    sem = asyncio.Semaphore(100)

    async def one(i):
        async with sem:
            desks.append(await open_desktop(url, i, lat, counts))
    await asyncio.gather(*[one(i) for i in range(args.desktops)])
    connect_s = time.monotonic() - t0
    rss_connected = rss_kib(args.pid)

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
            dn = FIRST_DN + sent % args.desktops
            await sender.send(json.dumps({
                "message": "RequestDistributeUserEvent", "ThisDN": str(dn),
                "UserData": {"t": str(time.perf_counter_ns())}, "ReferenceID": 10 + sent}))
            sent += 1
        await asyncio.sleep(interval / 2)
    wall = time.perf_counter() - start
    end = time.monotonic() + 10
    while counts[0] < sent and time.monotonic() < end:
        await asyncio.sleep(0.05)
    rss_loaded = rss_kib(args.pid)
    for ws, task in desks:
        await ws.close()
        task.cancel()
    await sender.close()
    acks.cancel()
    return lat, counts[0], sent, wall, connect_s, rss_connected, rss_loaded


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--desktops", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=2000, help="events per second sent")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4 * args.desktops), hard), hard))
    d = tempfile.mkdtemp(prefix="arec-bench-desk-")
    conf = write_config(d, args.desktops)
    ports = Path(d) / "ports"
    proc = subprocess.Popen([str(BUILD / "gateway" / "gatewayd"), "-c", str(conf),
                             "--ports-file", str(ports), "--log-file", str(Path(d) / "log")])
    try:
        end = time.monotonic() + 30
        while not (ports.exists() and "WS_PORT=" in ports.read_text()):
            if proc.poll() is not None or time.monotonic() > end:
                sys.exit("gatewayd did not start; see " + d)
            time.sleep(0.05)
        env = dict(line.split("=", 1) for line in ports.read_text().split())
        args.pid = proc.pid
        rss_idle = rss_kib(proc.pid)
        url = f"ws://127.0.0.1:{env['WS_PORT']}/tlib"
        lat, got, sent, wall, connect_s, rss_c, rss_l = asyncio.run(bench(args, url))
        lat.sort()

        def pct(p):
            return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")
        print(f"desktops: {args.desktops} connected, authenticated and registered in "
              f"{connect_s:.1f} s")
        print(f"events: {sent} sent in {wall:.1f} s ({sent / wall:.0f}/s), {got} delivered "
              f"({got / wall:.0f}/s)")
        print(f"latency gateway -> desktop: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, "
              f"max {lat[-1] if lat else float('nan'):.2f} ms")
        print(f"gatewayd RSS: idle {rss_idle} KiB, connected {rss_c} KiB, after events "
              f"{rss_l} KiB")
        print(f"memory per connection: {(rss_c - rss_idle) / args.desktops:.1f} KiB connected, "
              f"{(rss_l - rss_idle) / args.desktops:.1f} KiB after the events (replay rings filling)")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
