"""Local recording: mediad's own stereo G.711 WAV per call (--local-dir, localrecord=true)."""
import os
import re
import signal
import subprocess
import time

from mdharness import (ULAW_DEC, Daemon, dominant, find_binary, msml_create, msml_state,
                       read_wav_ulaw, wait_for)
from test_mediad import FREQ_A, FREQ_B, Call, mediad, next_range  # noqa: F401 (fixture)

RATE = 8000


def sox_info(path):
    out = subprocess.run(["sox", "--i", path], capture_output=True, text=True, check=True).stdout
    info = {}
    for line in out.splitlines():
        k, _, v = line.partition(":")
        info[k.strip()] = v.strip()
    return info


def sox_stat(path):
    r = subprocess.run(["sox", path, "-n", "stat"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stderr


def wavcheck(path):
    r = subprocess.run([find_binary("md_wavcheck", ["tests/integration/mediad"]), path],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", r.stdout)}


def frames_rms(ch, t0, t1):
    seg = [ULAW_DEC[b] for b in ch[int(t0 * RATE):int(t1 * RATE)]]
    return (sum(x * x for x in seg) / max(len(seg), 1)) ** 0.5, seg


def wait_closed(md, path):
    """The writer logs each file it closes (after the last leg's BYE)."""
    def closed():
        with open(md.log.name) as f:
            return f"local recording {path} closed" in f.read()
    wait_for(closed, what=f"{path} closed")


def start(call, params):
    t = time.monotonic()
    r = call.info(msml_create(params, [call.dn_a, call.dn_b]))
    assert r.status == 200, r.body
    return t


def test_local_wav_stereo_pause_as_silence(mediad, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    md = mediad("--local-dir", str(local))
    call = Call(md, conf="lw1")
    call.start_media()
    t0 = start(call, {"id": "lw1", "dest": "sip:127.0.0.1:9", "localrecord": "true",
                      "recording-filename": "call/../lw one"})
    wait_for(lambda: len(call.a.received) > 75, what="1.5 s of media")
    assert call.info(msml_state("pause")).status == 200
    tp = time.monotonic() - t0
    n = len(call.a.received)
    wait_for(lambda: len(call.a.received) > n + 50, what="1 s paused")
    assert call.info(msml_state("resume")).status == 200
    tr = time.monotonic() - t0
    n = len(call.a.received)
    wait_for(lambda: len(call.a.received) > n + 75, what="1.5 s after resume")
    call.hangup()
    t_end = time.monotonic() - t0
    files = os.listdir(local)
    assert files == ["call_.._lw_one.wav"], files  # sanitised: no directory escape
    path = str(local / files[0])
    wait_closed(md, path)
    info = sox_info(path)
    assert info["Channels"] == "2" and info["Sample Rate"] == "8000"
    assert "u-law" in info["Sample Encoding"]
    sox_stat(path)
    w = wavcheck(path)
    assert w["format"] == 7 and w["channels"] == 2 and w["bits"] == 8 and w["fact"] == 1
    assert w["fact_samples"] == w["frames"]
    # Wall-clock aligned: the file lasts as long as the recording (the hangup's BYEs
    # take a moment; 0.3 s of slack each way).
    dur = w["frames"] / RATE
    assert abs(dur - t_end) < 0.5, (dur, t_end)
    ch, data = read_wav_ulaw(path)
    assert ch == 2
    for c, freq in ((0, FREQ_A), (1, FREQ_B)):
        rms, seg = frames_rms(data[c], 0.3, tp - 0.2)
        assert rms > 1000 and dominant(seg, [FREQ_A, FREQ_B])[0] == freq
        rms, _ = frames_rms(data[c], tp + 0.2, tr - 0.2)  # paused: silence
        assert rms < 50, (c, rms)
        rms, seg = frames_rms(data[c], tr + 0.3, t_end - 0.6)
        assert rms > 1000 and dominant(seg, [FREQ_A, FREQ_B])[0] == freq


def test_local_wav_one_way_silence_and_off_by_default(mediad, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    md = mediad("--local-dir", str(local))
    call = Call(md, conf="lw2")
    call.a.start(call.a.mediad)  # only A talks: B's channel must be silence, same length
    start(call, {"id": "lw2", "dest": "sip:127.0.0.1:9", "localrecord": "yes"})
    off = Call(md, conf="lw3", dn_a="2001", dn_b="2002")
    off.start_media()
    start(off, {"id": "lw3", "dest": "sip:127.0.0.1:9"})  # no localrecord: no file
    wait_for(lambda: len(call.b.received) > 60, what="media")
    call.hangup()
    off.hangup()
    assert os.listdir(local) == ["lw2.wav"]
    path = str(local / "lw2.wav")
    wait_closed(md, path)
    ch, data = read_wav_ulaw(path)
    assert len(data[0]) == len(data[1])
    assert frames_rms(data[0], 0.2, len(data[0]) / RATE - 0.3)[0] > 1000
    assert frames_rms(data[1], 0, len(data[1]) / RATE)[0] < 50


def test_local_wav_survives_kill_9(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    lo, hi = next_range()
    pf = tmp_path / "kill.ports"
    md = Daemon([find_binary("mediad", ["mediad"]), "--sip", "127.0.0.1:0", "--rtp-ports",
                 f"{lo}-{hi}", "--ports-file", str(pf), "--local-dir", str(local)], str(pf),
                str(tmp_path / "kill.log"))
    try:
        call = Call(md, conf="k1")
        call.start_media()
        start(call, {"id": "k1", "dest": "sip:127.0.0.1:9", "localrecord": "true"})
        path = str(local / "k1.wav")
        # Wait until the header says more than 2 s were written (periodic header sync).
        def header_frames():
            try:
                return wavcheck(path)["frames"] >= 2 * RATE
            except (AssertionError, FileNotFoundError):
                return False
        wait_for(header_frames, what="2 s in the header", timeout=15, step=0.2)
        md.proc.send_signal(signal.SIGKILL)
        md.proc.wait()
    finally:
        if md.proc.poll() is None:
            md.proc.kill()
            md.proc.wait()
        md.log.close()
    call.a.stop()
    call.b.stop()
    call.ua.close()
    w = wavcheck(path)
    assert w["frames"] >= 2 * RATE and w["fact_samples"] == w["frames"]
    assert sox_info(path)["Channels"] == "2"
    sox_stat(path)
    ch, data = read_wav_ulaw(path)
    assert frames_rms(data[0], 0.3, 1.8)[0] > 1000
