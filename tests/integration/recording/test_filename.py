"""recording-filename template: every variable expanded into GSIP_REC_FN and the record id."""
import re

from rectest import Call, wait_recording_done, wait_ud

TEMPLATE = "$AGENTDN$-$OTHERDN$-$ANI$-$DNIS$-$CONNID$-$UUID$-$DATE$-$TIME$-$NOPE$ x/y"
STACK_OPTS = ("--gateway-opt", "recording-filename=" + TEMPLATE)


def test_template_variables(stack):
    w = stack.watch("5010")
    c = Call(stack)
    try:
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        fn = on["UserData"]["GSIP_REC_FN"]
        uuid, cid = on["CallUUID"], on["ConnID"]
        m = re.fullmatch(r"5010-5001-5001-5010-%s-%s-(\d{8})-(\d{6})-_NOPE__x_y" % (cid, uuid), fn)
        assert m, fn
        # no id in the request: the id is the expanded template too (the file is named so)
        rid = fn
        c.talk()
        c.hangup()
        side = wait_recording_done(stack, rid)
        assert side["record_id"] == rid
    finally:
        c.close()
        w.stop()


def test_long_ids_are_cut(stack):
    """A template longer than 100 bytes is cut: mediad and the recorder keep the whole id."""
    w = stack.watch("5002", "5003")
    c = Call(stack, callee="5003", caller="5002")
    try:
        est = w.expect(lambda m: m.get("message") == "EventEstablished"
                       and m.get("ThisDN") == "5003", 10)
        rc, msgs, err = stack.request({"message": "RequestPrivateService", "ThisDN": "5003",
                                       "PrivateMsgID": 3013, "ConnID": est["ConnID"],
                                       "Extensions": {"id": "L" * 300}})
        assert msgs[-1]["message"] == "EventACK", msgs
        wait_ud(w, "5003", "GSIP_RECORD", "On")
        info = w.expect(lambda m: m.get("message") == "EventPrivateInfo"
                        and m.get("ThisDN") == "5003", 10)
        assert info["Extensions"]["id"] == "L" * 100, info
        c.talk()
        c.hangup()
        wait_recording_done(stack, "L" * 100)
    finally:
        c.close()
        w.stop()
