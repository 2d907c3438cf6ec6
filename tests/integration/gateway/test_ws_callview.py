"""Desktops on a real SIP call: CallState messages (call view), the call in the snapshot."""
import json

import websockets

from desk_sip import Call
from gwtest import run, ws_expect, ws_recv


async def recv(ws, timeout=15):
    return await ws_recv(ws, timeout)


async def expect(ws, pred, timeout=15):
    return await ws_expect(ws, pred, timeout)


def call_state(state):
    return lambda m: m.get("message") == "CallState" and m.get("state") == state


def test_call_view_follows_a_sip_call(stack):
    async def go():
        ws = await websockets.connect(stack.ws_url, ping_interval=None)
        await ws.send(json.dumps({"message": "Authenticate", "token": stack.env["WS_TOKEN"],
                                  "callView": True}))
        assert (await recv(ws))["message"] == "Authenticated"
        await recv(ws)
        await ws.send(json.dumps({"message": "RequestRegisterAddress", "ThisDN": "5003",
                                  "ReferenceID": 1}))
        assert (await expect(ws, lambda m: m.get("ReferenceID") == 1))["message"] == \
            "EventRegistered"
        call = Call(stack.env["SIP_ADDR"], "5004", "5003")
        try:
            call.place()
            # Ringing: the T-Lib event first, then the call view with what 5003 may do.
            ev = await expect(ws, lambda m: m.get("message") == "EventRinging")
            st = await recv(ws)
            assert call_state("Ringing")(st), st
            assert st["seq"] == ev["seq"] + 1 and st["connId"] == ev["ConnID"]
            assert st["capabilities"] == ["AnswerCall", "ReleaseCall"]
            assert st["callType"] == "Internal" and st["ThisDN"] == "5003"
            assert [(p["dn"], p["role"]) for p in st["parties"]] == \
                [("5004", "Origination"), ("5003", "Destination")]
            st = await expect(ws, call_state("Established"))
            assert "HoldCall" in st["capabilities"] and "RecordStart" in st["capabilities"]
            assert st["recordingState"] == "Off"
            connid = st["connId"]

            # The recording indication is user data (GSIP_RECORD): the view follows it.
            await ws.send(json.dumps({"message": "RequestAttachUserData", "ThisDN": "5003",
                                      "ConnID": connid, "UserData": {"GSIP_RECORD": "Paused",
                                                                     "note": "<b>vip</b>"},
                                      "ReferenceID": 2}))
            st = await expect(ws, lambda m: m.get("message") == "CallState"
                              and m.get("recordingState") == "Paused")
            assert "RecordResume" in st["capabilities"] and "RecordStop" in st["capabilities"]
            assert "RecordStart" not in st["capabilities"]
            assert st["userData"]["note"] == "<b>vip</b>"

            await ws.send(json.dumps({"message": "GetSnapshot", "ReferenceID": 3}))
            snap = await expect(ws, lambda m: m.get("message") == "Snapshot")
            calls = [c for c in snap["calls"] if c["connId"] == connid]
            assert calls and calls[0]["recording"] == "Paused", snap["calls"]
            assert {p["dn"] for p in calls[0]["parties"]} == {"5003", "5004"}

            call.hang_up()
            st = await expect(ws, lambda m: m.get("message") == "CallState" and m.get("ended"))
            assert st["state"] == "Released" and st["capabilities"] == []
        finally:
            call.close()
        await ws.close()
    run(go())


def test_call_view_is_opt_in(stack):
    async def go():
        ws = await websockets.connect(stack.ws_url, ping_interval=None,
                                      extra_headers={"Authorization":
                                                     f"Bearer {stack.env['WS_TOKEN']}"})
        await recv(ws)
        await recv(ws)
        await ws.send(json.dumps({"message": "RequestRegisterAddress", "ThisDN": "5001",
                                  "ReferenceID": 1}))
        await expect(ws, lambda m: m.get("ReferenceID") == 1)
        call = Call(stack.env["SIP_ADDR"], "5002", "5001")
        try:
            call.place()
            seen = [await expect(ws, lambda m: m.get("message") == "EventEstablished")]
            await ws.send(json.dumps({"message": "CallView", "enabled": True, "ReferenceID": 4}))
            seen.append(await recv(ws))
            while seen[-1].get("ReferenceID") != 4:
                seen.append(await recv(ws))
            # Without the call view nothing but T-Lib messages came; then it is switched on.
            assert not [m for m in seen if m["message"] == "CallState"], seen
            assert seen[-1]["message"] == "CallViewSet" and seen[-1]["enabled"] is True
            call.hang_up()
            await expect(ws, lambda m: m.get("message") == "CallState" and m.get("ended"))
        finally:
            call.close()
        await ws.close()
    run(go())
