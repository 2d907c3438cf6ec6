#!/usr/bin/env python3
"""Transfer gap: how long channel 2 of a recording kept across a single-step transfer is
silent between the old party and the new one (docs/recording.md "Transfers"). Prints
figures only (never asserts timings), with the load average.

    AREC_BUILD_DIR=build tests/bench/recording/bench_transfer_gap.py [--rounds N]

Each round first records the same call without a transfer (the anchor), then:
5010 (record = true) calls 5002, 5002 transfers it to 5003 (RequestSingleStep
Transfer), 5010 and 5003 talk, 5010 hangs up; the recorder's WAV is cut into 20 ms frames
and the longest run of silent frames on channel 2 after 5002's last tone frame is the gap.
"""
import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "integration" / "recording"))
from rectest import (TONE_A, Call, Stack, gw_addr, read_wav, recua, wait_for,  # noqa: E402
                     wait_recording_done, wait_recording_live, wait_ud)


def gap_ms(chan):
    """Longest silent run (ms) on chan, in 20 ms frames, between the first and last sound."""
    frames = [sum(abs(x) for x in chan[i:i + 160]) / 160 for i in range(0, len(chan) - 159, 160)]
    loud = [i for i, e in enumerate(frames) if e > 200]
    if not loud:
        return float("nan")
    best = run = 0
    for e in frames[loud[0]:loud[-1] + 1]:
        run = run + 1 if e <= 200 else 0
        best = max(best, run)
    return best * 20.0


def one_round(stack, do_transfer=True):
    w = stack.watch("5010", "5002", "5003")
    c = Call(stack, callee="5002", caller="5010")
    d = recua.Phone("5003", gw_addr(stack), TONE_A)
    try:
        assert d.register() == 200
        on = wait_ud(w, "5010", "GSIP_RECORD", "On")
        wait_recording_live(stack, on["UserData"]["GSIP_REC_FN"])
        c.talk(100)
        if do_transfer:
            rc, msgs, err = stack.request({"message": "RequestSingleStepTransfer",
                                           "ThisDN": "5002", "ConnID": on["ConnID"],
                                           "OtherDN": "5003"})
            assert msgs and msgs[-1]["message"] != "EventError", (msgs, err)
            wait_for(lambda: d.reinvites >= 1, what="5003 moved to mediad")
            base = d.rx_packets
            wait_for(lambda: d.rx_packets > base + 100, what="5010 and 5003 talking")
        else:  # the anchor: the same call and length without a transfer
            c.talk(100)
        c.a.hangup()
        (d if do_transfer else c.b).wait(lambda e: e[0] == "bye", what="BYE at the far end")
        side = wait_recording_done(stack, on["UserData"]["GSIP_REC_FN"])
        _, chans = read_wav(os.path.join(stack.env["RECORDER_DIR"], side["wav"]["file"]))
        return gap_ms(chans[1])
    finally:
        c.close()
        d.close()
        w.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    stack = Stack()
    stack.up()
    try:
        gaps, anchors = [], []
        for _ in range(args.rounds):
            anchors.append(one_round(stack, do_transfer=False))
            gaps.append(one_round(stack))
            print("anchor (no transfer) %.0f ms, transfer %.0f ms (load %.2f)"
                  % (anchors[-1], gaps[-1], os.getloadavg()[0]), flush=True)
        anchors.sort()
        gaps.sort()
        print("longest silence on channel 2: transfer median %.0f ms (max %.0f), anchor "
              "without transfer median %.0f ms (max %.0f), %d rounds, load average %.2f"
              % (gaps[len(gaps) // 2], gaps[-1], anchors[len(anchors) // 2], anchors[-1],
                 len(gaps), os.getloadavg()[0]))
    finally:
        stack.down()
        stack.cleanup()


if __name__ == "__main__":
    main()
