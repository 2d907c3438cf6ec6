"""Desktop WebSocket API: token auth, scope, per-connection seq, snapshot, resume, heartbeats."""
import asyncio
import json
import re
import resource
import urllib.error
import urllib.request

import websockets

from gwtest import run
from gwtest import ws_expect as expect
from gwtest import ws_recv as recv

STACK_OPTS = ("--gateway-opt", "desktop-resume-bytes=6000",
              "--gateway-opt", "heartbeat-interval=1",
              "--gateway-opt", "max-connections-per-source=40",
              "--gateway-opt", "auth-timeout=2")

AUTH_FAILED, DN_NOT_ALLOWED, BAD_JSON, FRAME_TOO_LARGE = 202, 204, 110, 102
RESUME_UNKNOWN, RESUME_FUTURE, NOT_AUTHENTICATED = 220, 221, 223


async def connect(stack, token=None, path="/tlib", **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = stack.ws_url.rsplit("/", 1)[0] + path
    return await websockets.connect(url, extra_headers=headers, ping_interval=None,
                                    max_size=None, compression=None, open_timeout=15, **kw)


async def request(ws, obj, ref, timeout=10):
    await ws.send(json.dumps(dict(obj, ReferenceID=ref)))
    return await expect(ws, lambda m: m.get("ReferenceID") == ref, timeout)


async def desktop(stack):
    """An authenticated desktop (Authorization header): returns (ws, Authenticated, Snapshot)."""
    ws = await connect(stack, stack.env["WS_TOKEN"])
    auth = await recv(ws)
    snap = await recv(ws)
    assert auth["message"] == "Authenticated", auth
    assert snap["message"] == "Snapshot", snap
    return ws, auth, snap


async def closed_code(ws, timeout=15):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as e:
        return e.code


# ---------------------------------------------------------------- authentication


def test_header_auth_gives_session_and_snapshot(stack):
    async def go():
        ws, auth, snap = await desktop(stack)
        assert auth["desktop"] == "demo-desktop" and re.fullmatch(r"[0-9a-f]{32}", auth["session"])
        assert (auth["seq"], snap["seq"]) == (1, 2)
        assert snap["reason"] == "authenticated" and snap["session"] == auth["session"]
        assert [d["dn"] for d in snap["dns"]] == ["5001", "5002", "5003", "5004", "5005"]
        assert not any(d["registered"] for d in snap["dns"])
        assert [a["login"] for a in snap["agents"]] == ["9001", "9002", "9003", "9004", "9005"]
        assert snap["calls"] == []
        await ws.close()
    run(go())


def test_message_auth_and_scope(stack):
    async def go():
        ws = await connect(stack)
        await ws.send(json.dumps({"message": "Authenticate", "token": stack.env["WS_TOKEN"],
                                  "ReferenceID": 1}))
        auth = await recv(ws)
        assert auth["message"] == "Authenticated" and auth["ReferenceID"] == 1, auth
        await expect(ws, lambda m: m["message"] == "Snapshot")
        ok = await request(ws, {"message": "RequestRegisterAddress", "ThisDN": "5003"}, 2)
        assert ok["message"] == "EventRegistered", ok
        bad = await request(ws, {"message": "RequestRegisterAddress", "ThisDN": "5009"}, 3)
        assert bad["message"] == "EventError" and bad["ErrorCode"] == DN_NOT_ALLOWED, bad
        bad = await request(ws, {"message": "RequestAgentLogin", "ThisDN": "5003",
                                 "AgentID": "9017"}, 4)
        assert bad["message"] == "EventError" and bad["ErrorCode"] == DN_NOT_ALLOWED, bad
        assert "9017" in bad["ErrorMessage"]
        # The session goes on after a refusal; a second Authenticate is refused, not fatal.
        again = await request(ws, {"message": "Authenticate", "token": "x"}, 5)
        assert again["message"] == "EventError", again
        snap = await request(ws, {"message": "GetSnapshot"}, 6)
        assert snap["message"] == "Snapshot" and snap["reason"] == "requested"
        assert [d["dn"] for d in snap["dns"] if d["registered"]] == ["5003"]
        await ws.close()
    run(go())
    assert stack.wait_log(r"DN 5009 outside its scope"), "scope violation not logged"
    assert stack.wait_log(r"agent 9017 outside its scope")


def test_bad_token_closes_4001(stack):
    async def go():
        ws = await connect(stack)
        await ws.send(json.dumps({"message": "Authenticate", "token": "not-the-token"}))
        err = await recv(ws)
        assert err["message"] == "EventError" and err["ErrorCode"] == AUTH_FAILED, err
        assert await closed_code(ws) == 4001
        ws = await connect(stack, "wrong-in-header")
        err = await recv(ws)
        assert err["ErrorCode"] == AUTH_FAILED
        assert await closed_code(ws) == 4001
        # An application password is not a desktop token.
        ws = await connect(stack)
        await ws.send(json.dumps({"message": "Authenticate", "token": "demo"}))
        assert (await recv(ws))["ErrorCode"] == AUTH_FAILED
        assert await closed_code(ws) == 4001
    run(go())
    assert stack.wait_log(r"desktop authentication failed: token not configured")


def test_requests_before_auth_and_application_login_still_work(stack):
    async def go():
        ws = await connect(stack)
        m = await request(ws, {"message": "Resume", "session": "0" * 32, "seq": 1}, 1)
        assert m["ErrorCode"] == NOT_AUTHENTICATED, m
        m = await request(ws, {"message": "RequestRegisterClient", "ApplicationName": "demo",
                               "ApplicationPassword": "demo", "ProtocolVersion": 1}, 2)
        assert m["message"] == "EventServerConnected" and m["seq"] == 2, m
        await ws.close()
    run(go())


# ---------------------------------------------------------------- seq, ping, bad input


def test_seq_is_per_connection(stack):
    async def go():
        a, _, _ = await desktop(stack)
        b, _, _ = await desktop(stack)
        await request(a, {"message": "RequestRegisterAddress", "ThisDN": "5004"}, 10)
        await request(b, {"message": "RequestRegisterAddress", "ThisDN": "5004"}, 10)
        marker = stack.user_event("5004")
        ea = await expect(a, lambda m: m.get("message") == "EventUserEvent")
        eb = await expect(b, lambda m: m.get("message") == "EventUserEvent")
        assert ea["UserData"]["marker"] == eb["UserData"]["marker"] == marker
        # Same event, same server-wide number, each desktop's own seq (4 = after 3 messages).
        assert ea["EventSequenceNumber"] == eb["EventSequenceNumber"]
        assert ea["seq"] == eb["seq"] == 4
        await a.close()
        await b.close()
    run(go())


def test_application_ping_and_invalid_json(stack):
    async def go():
        ws, _, _ = await desktop(stack)
        await ws.send(json.dumps({"message": "Ping", "ReferenceID": 7, "data": "t1"}))
        pong = await recv(ws)
        assert pong == {"message": "Pong", "ReferenceID": 7, "data": "t1"}
        await ws.send('{"message":"RequestQueryServer","ReferenceID":3,')
        err = await recv(ws)
        assert err["message"] == "EventError" and err["ErrorCode"] == BAD_JSON, err
        assert err["seq"] == 3
        m = await request(ws, {"message": "RequestQueryServer"}, 4)
        assert m["message"] == "EventServerInfo"
        await ws.close()
    run(go())


def test_silent_peer_is_dropped_by_heartbeat(stack):
    """lws pings an idle connection (heartbeat-interval 1 s) and hangs up without a pong."""
    from gwtest import RawWS
    raw = RawWS(stack.ws_url)

    async def go():
        ws, _, _ = await desktop(stack)  # websockets answers pings by itself
        # In a thread: this loop must keep running to answer the server's pings.
        closed = await asyncio.to_thread(raw.wait_closed, 20)
        assert closed, "a peer that never answers pings was kept"
        m = await request(ws, {"message": "RequestQueryServer"}, 1)
        assert m["message"] == "EventServerInfo", "a peer answering pings was dropped"
        await ws.close()
    run(go())
    raw.close()
    assert stack.wait_log(r"no traffic or pong for 3 s: closed by the heartbeat")


def test_16mib_message_closes_1009(stack):
    async def go():
        ws, _, _ = await desktop(stack)
        big = '{"message":"RequestQueryServer","pad":"' + "x" * (16 << 20) + '"}'
        try:
            await ws.send(big)
        except websockets.ConnectionClosed:
            pass
        code = await closed_code(ws)
        assert code == 1009, code
    run(go())
    assert stack.wait_log(r"dropping client #\d+ ws .*larger than max-frame-size.*1009")


# ---------------------------------------------------------------- resume


async def drop_connection(ws):
    """Lose the connection without a close frame, as a network failure would."""
    ws.transport.abort()
    await asyncio.sleep(0)


def test_resume_within_ring_replays_missed_events(stack):
    async def go():
        ws, auth, _ = await desktop(stack)
        reg = await request(ws, {"message": "RequestRegisterAddress", "ThisDN": "5002"}, 1)
        first = stack.user_event("5002")
        ev = await expect(ws, lambda m: m.get("message") == "EventUserEvent")
        assert ev["UserData"]["marker"] == first
        last_seen = ev["seq"]
        assert last_seen == reg["seq"] + 1
        await drop_connection(ws)
        assert stack.wait_log(r"session %s\.\.\. resumable" % auth["session"][:8])
        missed = [stack.user_event("5002") for _ in range(3)]

        ws2 = await connect(stack, stack.env["WS_TOKEN"])
        assert (await recv(ws2))["message"] == "Authenticated"
        assert (await recv(ws2))["message"] == "Snapshot"
        await ws2.send(json.dumps({"message": "Resume", "session": auth["session"],
                                   "seq": last_seen, "ReferenceID": 9}))
        got = []
        while len(got) < 4:
            got.append(await recv(ws2))
        events, resumed = got[:3], got[3]
        assert [e["UserData"]["marker"] for e in events] == missed, got
        assert [e["seq"] for e in events] == [last_seen + 1, last_seen + 2, last_seen + 3]
        assert resumed["message"] == "Resumed" and resumed["replayed"] == 3, resumed
        assert resumed["snapshot"] is False
        # The session goes on: still registered on 5002, numbering continues.
        live = stack.user_event("5002")
        ev = await expect(ws2, lambda m: m.get("message") == "EventUserEvent")
        assert ev["UserData"]["marker"] == live and ev["seq"] == resumed["seq"] + 1
        await ws2.close()
    run(go())


def test_resume_too_old_gives_snapshot_and_future_or_unknown_is_refused(stack):
    async def go():
        ws, auth, _ = await desktop(stack)
        await request(ws, {"message": "RequestRegisterAddress", "ThisDN": "5005"}, 1)
        await drop_connection(ws)
        assert stack.wait_log(r"session %s\.\.\. resumable" % auth["session"][:8])
        # desktop-resume-bytes is 6000: 60 events of ~200 bytes push seq 3 out of the ring.
        for _ in range(60):
            stack.user_event("5005")

        ws2 = await connect(stack, stack.env["WS_TOKEN"])
        await recv(ws2)
        await recv(ws2)
        m = await request(ws2, {"message": "Resume", "session": auth["session"], "seq": 10**6}, 2)
        assert m["message"] == "EventError" and m["ErrorCode"] == RESUME_FUTURE, m
        m = await request(ws2, {"message": "Resume", "session": "f" * 32, "seq": 1}, 3)
        assert m["message"] == "EventError" and m["ErrorCode"] == RESUME_UNKNOWN, m
        m = await request(ws2, {"message": "Resume", "session": auth["session"], "seq": 3}, 4)
        assert m["message"] == "Resumed" and m["snapshot"] is True, m
        snap = await recv(ws2)
        assert snap["message"] == "Snapshot" and snap["reason"] == "resume-too-old", snap
        assert [d["dn"] for d in snap["dns"] if d["registered"]] == ["5005"]
        await ws2.close()
    run(go())
    assert stack.wait_log(r"resume refused: seq 1000000 is ahead")


def test_closed_normally_is_not_resumable(stack):
    async def go():
        ws, auth, _ = await desktop(stack)
        await ws.close()  # close code 1000: the desktop is done
        ws2, _, _ = await desktop(stack)
        m = await request(ws2, {"message": "Resume", "session": auth["session"], "seq": 2}, 1)
        assert m["ErrorCode"] == RESUME_UNKNOWN, m
        await ws2.close()
    run(go())


# ---------------------------------------------------------------- connection limits


def test_thousand_connections_from_one_source(stack):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))

    async def one():
        try:
            return await connect(stack)
        except (websockets.InvalidHandshake, websockets.ConnectionClosed, OSError):
            return None

    async def go():
        socks = await asyncio.gather(*[one() for _ in range(1000)])
        open_ = [s for s in socks if s is not None]
        assert 1 <= len(open_) <= 40, len(open_)
        for s in open_:
            await s.close()
        # Once they are gone, the source is welcome again.
        ws, _, _ = await desktop(stack)
        await ws.close()
    run(go(), 120)
    assert stack.wait_log(r"refused WebSocket from \S+: 40 sessions open from this source "
                          r"\(max-connections-per-source 40")
    assert stack.alive()


# ---------------------------------------------------------------- /metrics, /status


def metrics_text(stack, token):
    url = stack.env["HTTP_URL"] + "metrics"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')


def test_metrics_parse(stack):
    try:
        metrics_text(stack, "wrong")
        raise AssertionError("/metrics answered without the token")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    text = metrics_text(stack, stack.env["STATUS_TOKEN"])
    typed, values = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            typed[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not Prometheus text: {line!r}"
        base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in typed or typed.get(base) == "histogram", \
            f"sample before its TYPE: {line!r}"
        values[m.group(1) + (m.group(2) or "")] = float(m.group(5))
    for name in ("gatewayd_events_sent_total", "gatewayd_events_per_second",
                 "gatewayd_queue_drops_total", "gatewayd_dns_registered",
                 'gatewayd_clients{transport="ws"}', 'gatewayd_clients{transport="tcp"}'):
        assert name in values, name
    assert values["gatewayd_ws_auth_failures_total"] >= 0
    # Event delay TimeStamp -> WebSocket write: a histogram whose +Inf bucket is its count.
    assert (values['gatewayd_ws_event_write_delay_seconds_bucket{le="+Inf"}']
            == values["gatewayd_ws_event_write_delay_seconds_count"])
    if "PGURL" in stack.env:  # the stack's gatewayd writes to its PostgreSQL
        assert "gatewayd_db_backlog_rows" in values and "gatewayd_db_up" in values
    assert stack.wait_log(r"/metrics from \S+ refused")


def test_status_stream_auth(stack):
    async def go():
        ws = await connect(stack, path="/status?token=" + stack.env["STATUS_TOKEN"])
        snap = await recv(ws)
        assert snap["type"] == "snapshot", snap
        assert {"server", "clients", "dns", "calls", "errors"} <= snap.keys()
        assert snap["server"]["site"] == "stack"
        await ws.close()
        ws = await connect(stack, path="/status")
        await ws.send(json.dumps({"message": "Authenticate", "token": stack.env["STATUS_TOKEN"]}))
        assert (await recv(ws))["type"] == "snapshot"
        await ws.close()
        ws = await connect(stack, path="/status")
        await ws.send(json.dumps({"message": "Authenticate", "token": "nope"}))
        assert await closed_code(ws) == 4001
        ws = await connect(stack, path="/status")
        assert await closed_code(ws) == 4002  # auth-timeout 2 s, nothing sent
    run(go())


def test_resume_takes_over_a_live_connection(stack):
    """A half-open old connection loses its session to the resume, with close 4003."""
    async def go():
        old, auth, snap = await desktop(stack)
        new, _, _ = await desktop(stack)
        m = await request(new, {"message": "Resume", "session": auth["session"],
                                "seq": snap["seq"]}, 1)
        assert m["message"] == "Resumed" and m["replayed"] == 0, m
        assert await closed_code(old) == 4003
        # The resumed session answers on the new connection.
        m = await request(new, {"message": "GetSnapshot"}, 2)
        assert m["message"] == "Snapshot" and m["session"] == auth["session"]
        await new.close()
    run(go())
