"""SIPS stacks for the recording tests: a throwaway PKI and a stack with TLS on every hop."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mediad"))
from arectest.stack import finish, start  # noqa: E402
from rectest import Stack  # noqa: E402
from tlsharness import TLS_SETUP, make_pki  # noqa: E402


def sips_stack(gateway_dir_key=None, extra_opts=(), mediad_dir_key="good"):
    """Start a stack where mediad and the recorder listen on TLS with the 'good' PKI,
    gatewayd has sips-listen, reaches mediad at sips: and names a sips: recorder.
    gatewayd's TLS material: the 'good' files one by one (sip-tls-cert/-key/-ca), or
    the cert dir pki[gateway_dir_key]; mediad's is pki[mediad_dir_key]. Yields (stack, pki)."""
    tmp = tempfile.mkdtemp(prefix="arec-sips-pki-")
    pki = make_pki(tmp)
    opts = ["--gateway-opt", "sips-listen=127.0.0.1:0"]  # sip-tls-verify: default out
    if gateway_dir_key:
        opts += ["--gateway-opt", "sip-tls-cert-dir=" + pki[gateway_dir_key]]
    else:
        opts += ["--gateway-opt", "sip-tls-cert=" + pki["cert"],
                 "--gateway-opt", "sip-tls-key=" + pki["key"],
                 "--gateway-opt", "sip-tls-ca=" + pki["ca"]]
    for o in extra_opts:
        opts += ["--gateway-opt", o]
    # --rec-timeout: mediad's answer timer for a recording INVITE (default 2 s) also covers
    # the TLS connection to the recorder it sets up first; under ASan on a loaded machine
    # that alone took 3.4 s, and the recording was cancelled as "recorder did not answer".
    # TLS_SETUP bounds it, still below Timer B (32 s).
    env = {"MEDIAD_OPTS": "--tls-cert-dir %s --rec-timeout %d" % (pki[mediad_dir_key],
                                                                  TLS_SETUP * 1000),
           "RECORDER_OPTS": "--tls-cert-dir " + pki["good"], "STACK_SIPS": "1"}
    try:
        s = start_with_env(opts, env)
        try:
            yield s, pki
        finally:
            finish(s)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def start_with_env(opts, env):
    """A started stack (tests/stack up opts) with env in the daemons' environment, and
    the LeakSanitizer suppressions for sofia-sip's TLS code (sanitizer builds: it leaks
    its OpenSSL objects at exit, see lsan_sofia_tls.supp; full unwinding lets the
    suppressions see its frames)."""
    env = dict(env)
    supp = Path(__file__).resolve().parents[1] / "mediad" / "lsan_sofia_tls.supp"
    env["LSAN_OPTIONS"] = f"suppressions={supp}"
    asan = os.environ.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "fast_unwind_on_malloc=0"
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return start(Stack(*opts))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sips_addr(stack):
    h, p = stack.env["SIPS_ADDR"].split(":")
    return (h, int(p))


def tls_baresip(dn, sips_addr, pki, register=True):
    """A real softphone over TLS: baresip (auto answer, 440 Hz sine) registering to
    gatewayd's SIPS port with a ;transport=tls account, trusting the test CA and with
    the test certificate for its own TLS listener (gatewayd calls it at its Contact,
    a new connection); None when baresip is not installed. register=False: no
    REGISTER (a phone at a fixed address, reached by a DN's static contact); its SIP
    port is .sip_port, TLS listens on .sip_port + 1 (baresip's rule)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
    from callstest import free_port  # noqa: E402
    from test_baresip import BARESIP, Baresip  # noqa: E402

    if BARESIP is None:
        return None

    class TlsBaresip(Baresip):
        """test_baresip's Baresip with the test CA and its account over TLS."""

        def _start(self, dn, sip_addr):
            self.ctrl_port = free_port()
            self.sip_port = free_port()
            (self.dir / "config").write_text(f"""poll_method\tepoll
sip_listen\t127.0.0.1:{self.sip_port}
sip_cafile\t{pki["ca"]}
sip_certificate\t{pki["good"]}/agent.pem
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
                f"<sip:{dn}@{sip_addr};transport=tls>;answermode=auto;"
                f"regint={60 if register else 0}\n")
            self.proc = subprocess.Popen([BARESIP, "-f", str(self.dir)],
                                         stdin=subprocess.DEVNULL,
                                         stdout=open(self.dir / "baresip.log", "wb"),
                                         stderr=subprocess.STDOUT)

    return TlsBaresip(dn, sips_addr)
