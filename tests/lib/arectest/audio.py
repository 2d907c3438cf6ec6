"""G.711 (mu-law, A-law) codecs and Goertzel tone power for the audio checks of the tests."""
import math


def ulaw_encode(sample):
    """16-bit linear -> G.711 mu-law byte."""
    BIAS, CLIP = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, CLIP) + BIAS
    exp, mask = 7, 0x4000
    while exp > 0 and not (sample & mask):
        exp -= 1
        mask >>= 1
    mant = (sample >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def ulaw_decode(u):
    """G.711 mu-law byte -> 16-bit linear."""
    u = ~u & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if (u & 0x80) else (t - 0x84)


def alaw_encode(sample):
    """16-bit linear -> G.711 A-law byte."""
    sign = 0x80 if sample >= 0 else 0
    if sample < 0:
        sample = -sample - 1
    sample = min(sample, 32767) >> 3
    if sample < 32:
        seg, mant = 0, sample >> 1
    else:
        seg = 1
        while seg < 7 and sample >= (32 << seg):
            seg += 1
        mant = (sample >> seg) & 0x0F
    return ((sign | (seg << 4) | mant) ^ 0x55) & 0xFF


def alaw_decode(a):
    """G.711 A-law byte -> 16-bit linear."""
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if (a & 0x80) else -t


ULAW_DECODE = [ulaw_decode(i) for i in range(256)]
ALAW_DECODE = [alaw_decode(i) for i in range(256)]


def goertzel_power(samples, freq, rate=8000):
    """Raw Goertzel power of freq in samples (callers normalise as their checks need)."""
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - k * s1 * s2
