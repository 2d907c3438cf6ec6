"""A real softphone: baresip (headless, own config dir, ctrl_tcp) answering a SIPp call by
itself, placing a call to a SIPp phone, holding and resuming. Each test uses its own DN for
baresip: it unregisters as it exits, and that EventDNOutOfService must not land in the next
test's sequence."""
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from arectest.util import read_buffered, stop_process  # conftest put tests/lib on the path

from callstest import free_port, names, sequences, wait_event

BARESIP = shutil.which("baresip")
pytestmark = pytest.mark.skipif(BARESIP is None, reason="baresip (baresip-core) not installed")


class Baresip:
    """baresip with its own config dir; commands and events over ctrl_tcp (netstrings)."""

    EADDRINUSE = 98

    def __init__(self, dn, sip_addr, attempts=3):
        self.dir = Path(tempfile.mkdtemp(prefix="arec-baresip-"))
        # free_port() cannot reserve a port: a test running in parallel may bind it before
        # baresip does (baresip then exits with EADDRINUSE), so start again on new ports.
        for attempt in range(attempts):
            self._start(dn, sip_addr)
            try:
                self.sock = self._connect()
                break
            except AssertionError:
                if self.proc.returncode != self.EADDRINUSE or attempt == attempts - 1:
                    raise
        self.buf = b""
        self.events = []

    def _start(self, dn, sip_addr):
        self.ctrl_port = free_port()
        (self.dir / "config").write_text(f"""poll_method\tepoll
sip_listen\t127.0.0.1:{free_port()}
module_path\t/usr/lib/baresip/modules
module\taccount.so
module\tg711.so
module\tausine.so
module\taufile.so
module\tmenu.so
module\tctrl_tcp.so
ctrl_tcp_listen\t127.0.0.1:{self.ctrl_port}
audio_player\taufile,/dev/null
audio_source\tausine,440
ausrc_srate\t48000
ausrc_channels\t2
auplay_srate\t48000
audio_alert\taufile,/dev/null
rtp_timeout\t0
""")
        (self.dir / "accounts").write_text(
            f"<sip:{dn}@{sip_addr};transport=udp>;answermode=auto;regint=60\n")
        self.proc = subprocess.Popen([BARESIP, "-f", str(self.dir)], stdin=subprocess.DEVNULL,
                                     stdout=open(self.dir / "baresip.log", "wb"),
                                     stderr=subprocess.STDOUT)

    def _connect(self, timeout=10):
        end = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, "baresip exited:\n" + self.log()
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5)
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def log(self):
        p = self.dir / "baresip.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def command(self, cmd, params=""):
        body = json.dumps({"command": cmd, "params": params, "token": cmd}).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))

    def _read_one(self, timeout):
        def take():
            colon = self.buf.find(b":")
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + n + 1:
                    msg = json.loads(self.buf[colon + 1:colon + 1 + n])
                    self.buf = self.buf[colon + 2 + n:]
                    return msg
            return None
        return read_buffered(self, take, timeout)

    def expect(self, event_type, timeout=15):
        end = time.monotonic() + timeout
        while True:
            m = self._read_one(max(0.01, end - time.monotonic()))
            if m is None:
                raise AssertionError(f"baresip: no {event_type}; got {self.events}\n{self.log()}")
            self.events.append(m)
            if m.get("event") and m.get("type") == event_type:
                return m

    def stop(self):
        stop_process(self.proc, 10)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_baresip_answers_sipp_call(stack, calls):
    w = stack.watch("5001", "5002")
    b = Baresip("5002", stack.env["SIP_ADDR"])
    try:
        wait_event(w, "5002", "EventDNBackInService")
        uac = calls.call("uac_call.xml", "5002", "5001", d=1000)
        b.expect("CALL_ESTABLISHED")
        uac.ok()
        b.expect("CALL_CLOSED")
        wait_event(w, "5002", "EventReleased")
        seqs = sequences(w, stack, ["5001", "5002"])
        assert names(seqs["5001"]) == ["EventDialing", "EventEstablished", "EventReleased"], seqs
        assert names(seqs["5002"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], seqs
        assert len({m["ConnID"] for m in seqs["5001"] + seqs["5002"][1:]}) == 1
        assert seqs["5002"][1]["OtherDN"] == "5001"
    finally:
        b.stop()
        w.stop()


def test_baresip_calls_sipp_phone(stack, calls):
    w = stack.watch("5005", "5003")
    phone = calls.phone("5003", "uas_answer.xml", d=200)
    b = Baresip("5005", stack.env["SIP_ADDR"])
    try:
        wait_event(w, "5003", "EventDNBackInService")
        wait_event(w, "5005", "EventDNBackInService")
        host, _, port = stack.env["SIP_ADDR"].rpartition(":")
        b.command("dial", f"sip:5003@{host}:{port}")
        b.expect("CALL_ESTABLISHED")
        wait_event(w, "5003", "EventEstablished")
        b.command("hangup")
        b.expect("CALL_CLOSED")
        phone.ok()
        wait_event(w, "5003", "EventReleased")
        seqs = sequences(w, stack, ["5005", "5003"])
        assert names(seqs["5005"]) == ["EventDNBackInService", "EventDialing",
                                       "EventEstablished", "EventReleased"], seqs
        assert names(seqs["5003"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], seqs
        assert seqs["5005"][1]["OtherDN"] == "5003" and seqs["5005"][1]["CallType"] == 1
    finally:
        b.stop()
        w.stop()


def test_baresip_hold_and_resume(stack, calls):
    """baresip puts its call on hold (re-INVITE a=sendonly) and resumes it."""
    w = stack.watch("5006", "5004")
    phone = calls.phone("5004", "uas_answer.xml", d=200)
    b = Baresip("5006", stack.env["SIP_ADDR"])
    try:
        wait_event(w, "5004", "EventDNBackInService")
        wait_event(w, "5006", "EventDNBackInService")
        host, _, port = stack.env["SIP_ADDR"].rpartition(":")
        b.command("dial", f"sip:5004@{host}:{port}")
        b.expect("CALL_ESTABLISHED")
        wait_event(w, "5006", "EventEstablished")
        b.command("hold")
        wait_event(w, "5006", "EventHeld")
        b.command("resume")
        wait_event(w, "5006", "EventRetrieved")
        b.command("hangup")
        b.expect("CALL_CLOSED")
        phone.ok()
        wait_event(w, "5004", "EventReleased")
        seqs = sequences(w, stack, ["5006", "5004"])
        assert names(seqs["5006"]) == ["EventDNBackInService", "EventDialing",
                                       "EventEstablished", "EventHeld", "EventRetrieved",
                                       "EventReleased"], seqs
        assert names(seqs["5004"]) == ["EventDNBackInService", "EventRinging",
                                       "EventEstablished", "EventReleased"], seqs
    finally:
        b.stop()
        w.stop()
