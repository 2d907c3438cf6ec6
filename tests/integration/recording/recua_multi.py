"""A recua phone that keeps several dialogs (an agent's call plus its consultation).

gatewayd gives a consultation its own dialog to the agent's phone (docs/calls.md): an
offerless INVITE with Answer-Mode: Auto on a new Call-ID while the first dialog stays up.
recua.Phone has one dialog; this one keeps every dialog by Call-ID, answers re-INVITEs
in each, and sends its tone to the media of the dialog that last got an SDP (the active
one), falling back to the other dialog when that one ends. One RTP socket serves all.
"""
import re

import recua


class MultiPhone(recua.Phone):
    """A phone that can hold one dialog and take another."""

    def __init__(self, *a, **kw):
        self.dialogs = {}  # call-id -> {"remote": (ip, port) or None, "hdr": dialog dict}
        self.order = []    # call-ids, the last one given an SDP last
        super().__init__(*a, **kw)

    def _media(self, callid, body):
        dest = recua.sdp_dest(body) if body else None
        d = self.dialogs.get(callid)
        if not d or not dest:
            return
        d["remote"] = dest
        if callid in self.order:
            self.order.remove(callid)
        self.order.append(callid)
        self.remote_media = dest

    def _on_request(self, method, hdrs, body, addr):
        callid = hdrs.get("call-id", [""])[0]
        if method == "INVITE" and callid not in self.dialogs:
            m = re.search(r"<([^>]+)>", hdrs["contact"][0])
            self.dialogs[callid] = {"remote": None, "hdr": {
                "callid": callid, "ltag": recua._tag(),
                "rtag": re.search(r"tag=([^;>\s]+)", hdrs["from"][0]).group(1),
                "to": hdrs["from"][0].split(";tag=")[0],
                "target": m.group(1) if m else "sip:%s:%d" % addr, "cseq": 1}}
            self.dialog = self.dialogs[callid]["hdr"]
            self._media(callid, body)
            self._respond(hdrs, 180, "Ringing", to_tag=self.dialog["ltag"], addr=addr)
            self._respond(hdrs, 200, "OK", self.sdp(), to_tag=self.dialog["ltag"], addr=addr)
            self.sending = True
            self._event("invite", hdrs["to"][0], callid)
        elif method == "INVITE":
            self.reinvites += 1
            self._media(callid, body)
            self._respond(hdrs, 200, "OK", self.sdp(), addr=addr)
            self._event("reinvite", body, callid)
        elif method == "ACK":
            self._media(callid, body)
            self._event("ack", callid)
        elif method == "BYE":
            self._respond(hdrs, 200, "OK", addr=addr)
            self.dialogs.pop(callid, None)
            if callid in self.order:
                self.order.remove(callid)
            # back to the dialog that is left (the held call after a consultation)
            left = [c for c in self.order if self.dialogs.get(c, {}).get("remote")]
            self.remote_media = self.dialogs[left[-1]]["remote"] if left else None
            self.sending = bool(left)
            self._event("bye", callid)
        else:
            super()._on_request(method, hdrs, body, addr)

    def dialog_count(self):
        return len(self.dialogs)
