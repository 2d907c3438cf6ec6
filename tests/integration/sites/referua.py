"""A recua phone that follows a REFER (RFC 3515), as a transferee: the REFER transfer tests."""
import random
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
import recua  # noqa: E402


class ReferPhone(recua.Phone):
    """On REFER: 202, NOTIFY 100, an INVITE to the Refer-To URI carrying its ?headers
    (unescaped), then NOTIFY with the INVITE's final status; the new call becomes the
    phone's dialog. events gain ("refer", uri, {header: value}) and ("notified", code)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.old = None      # the dialog with the transferor
        self.old_addr = None
        self.refer_lock = threading.Lock()

    def _req(self, d, addr, method, ruri, extra="", body="", ctype="application/sdp"):
        d["cseq"] += 1
        text = "%s %s SIP/2.0\r\n" % (method, ruri) + self._via()
        text += "Max-Forwards: 70\r\nFrom: <sip:%s@127.0.0.1:%d>;tag=%s\r\n" % (
            self.dn, self.port, d["ltag"])
        text += "To: %s%s\r\n" % (d["to"], (";tag=" + d["rtag"]) if d.get("rtag") else "")
        text += "Call-ID: %s\r\nCSeq: %d %s\r\n" % (d["callid"], d["cseq"], method)
        text += "Contact: <sip:%s@127.0.0.1:%d>\r\n" % (self.dn, self.port) + extra
        self._send(text, body, ctype=ctype, addr=addr)

    def _notify(self, code, reason, final):
        state = "terminated;reason=noresource" if final else "active;expires=60"
        self._req(self.old, self.old_addr, "NOTIFY", self.old["target"],
                  extra="Event: refer\r\nSubscription-State: %s\r\n" % state,
                  body="SIP/2.0 %d %s\r\n" % (code, reason), ctype="message/sipfrag")

    def _on_request(self, method, hdrs, body, addr):
        if method != "REFER":
            if method == "BYE" and self.old and hdrs["call-id"][0] == self.old["callid"]:
                self._respond(hdrs, 200, "OK", addr=addr)  # the transferor leaves
                self._event("old-bye")
                return
            return super()._on_request(method, hdrs, body, addr)
        rt = re.search(r"<([^>]+)>", hdrs.get("refer-to", [""])[0])
        if not rt or not self.dialog:
            self._respond(hdrs, 400, "Bad Refer-To", addr=addr)
            return
        self._respond(hdrs, 202, "Accepted", addr=addr)
        uri, _, query = rt.group(1).partition("?")
        extra = {}
        for part in filter(None, query.split("&")):
            k, _, v = part.partition("=")
            extra[unquote(k)] = unquote(v)
        m = re.match(r"sip:([^@]+)@([^:;>]+):(\d+)", uri)
        self.old, self.old_addr = self.dialog, addr
        self.notified = False  # each REFER gets its own final NOTIFY
        self._event("refer", uri, extra)
        self._notify(100, "Trying", False)
        # The new call, to the other site: it becomes this phone's dialog.
        self.gw = (m.group(2), int(m.group(3)))
        self.dialog = {"callid": "%x@refer" % random.getrandbits(48), "ltag": recua._tag(),
                       "to": "<%s>" % uri, "cseq": 0}
        self.sending = False
        self._req(self.dialog, self.gw, "INVITE", uri, body=self.sdp(),
                  extra="".join("%s: %s\r\n" % kv for kv in extra.items()) +
                  "Referred-By: %s\r\n" % hdrs.get("referred-by", ["<sip:anonymous@x>"])[0])

    def _on_response(self, code, hdrs, body):
        super()._on_response(code, hdrs, body)
        cseq = hdrs.get("cseq", ["0 X"])[0].split()
        if (cseq[1] == "INVITE" and code >= 200 and self.old and self.dialog
                and hdrs.get("call-id", [""])[0] == self.dialog["callid"]
                and not self.__dict__.get("notified")):
            self.notified = True
            self._notify(code, "OK" if code < 300 else "Failed", True)
            self._event("notified", code)


class LatePhone(recua.Phone):
    """A recua phone that rings on a new INVITE (180) and answers only when answer() is
    called: a consulted agent who picks up after the transfer was completed."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.ringing = None  # (hdrs, addr, to-tag) of the INVITE not answered yet

    def _on_request(self, method, hdrs, body, addr):
        if method != "INVITE" or (self.dialog and self.dialog["callid"] == hdrs["call-id"][0]):
            return super()._on_request(method, hdrs, body, addr)
        if body:
            self.remote_media = recua.sdp_dest(body) or self.remote_media
        m = re.search(r"<([^>]+)>", hdrs["contact"][0])
        self.dialog = {"callid": hdrs["call-id"][0], "ltag": recua._tag(),
                       "rtag": re.search(r"tag=([^;>\s]+)", hdrs["from"][0]).group(1),
                       "to": hdrs["from"][0].split(";tag=")[0],
                       "target": m.group(1) if m else "sip:%s:%d" % addr, "cseq": 1}
        self.ringing = (hdrs, addr)
        self._respond(hdrs, 180, "Ringing", to_tag=self.dialog["ltag"], addr=addr)
        self._event("ringing", hdrs["to"][0])

    def answer(self):
        hdrs, addr = self.ringing
        self.ringing = None
        self._respond(hdrs, 200, "OK", self.sdp(), to_tag=self.dialog["ltag"], addr=addr)
        self.sending = True
        self._event("invite", hdrs["to"][0])
