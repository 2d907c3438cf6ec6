/* Unit tests for the tone player (RTP clock, loss, non-G.711) and the audiosrc WAV conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_g711.h"
#include "ar_rtp.h"
#include "md_fetch.h"
#include "md_tone.h"

#include <stdlib.h>
#include <string.h>

#define TONE_N  400 /* 50 ms */
#define SILENCE 800 /* 100 ms */

static int16_t tone[TONE_N];

static void make_pkt(uint8_t *p, int pt, uint16_t seq, uint32_t ts, ar_rtp_hdr *h)
{
    memset(p, 0xFF, 172);
    ar_rtp_write_hdr(p, pt, 0, seq, ts, 0x1234);
    assert_int_equal(ar_rtp_parse(p, 172, h), AR_E_OK);
}

/* Feeds packets every 160 samples; returns in mixed[k] whether packet k carried tone. */
static void run(md_tone_play *pl, int npk, const int *skip, int *mixed)
{
    uint8_t p[172], out[172];
    ar_rtp_hdr h;
    for (int k = 0; k < npk; k++) {
        mixed[k] = -1;
        if (skip && skip[k])
            continue; /* lost on the way in */
        make_pkt(p, 0, (uint16_t)k, 1000u + 160u * (uint32_t)k, &h);
        mixed[k] = md_tone_play_mix(pl, p, sizeof(p), &h, out);
        if (mixed[k]) {
            assert_memory_equal(out, p, 12); /* header untouched */
            assert_true(memcmp(out + 12, p + 12, 160) != 0);
        }
    }
}

static void test_period_on_rtp_clock(void **state)
{
    (void)state;
    md_tone_play pl;
    md_tone_play_set(&pl, tone, TONE_N, SILENCE);
    int mixed[40];
    run(&pl, 40, NULL, mixed);
    /* Period 1200 samples = 7.5 packets: tone in samples [0,400) mod 1200. */
    for (int k = 0; k < 40; k++) {
        uint32_t a = (uint32_t)k * 160 % 1200, b = a + 160;
        int want = a < TONE_N || b > 1200;
        assert_int_equal(mixed[k], want);
    }
}

static void test_loss_moves_tone_on(void **state)
{
    (void)state;
    md_tone_play pl;
    md_tone_play_set(&pl, tone, TONE_N, SILENCE);
    int skip[16] = {0}, mixed[16];
    skip[1] = skip[2] = 1; /* the tone's packets 1-2 are lost: packet 3 is past the tone */
    run(&pl, 16, skip, mixed);
    assert_int_equal(mixed[0], 1);
    assert_int_equal(mixed[3], 0);
    assert_int_equal(mixed[8], 1); /* 1280 mod 1200 = 80: next period */
}

static void test_non_g711_and_disarmed(void **state)
{
    (void)state;
    md_tone_play pl;
    uint8_t p[172], out[172];
    ar_rtp_hdr h;
    md_tone_play_set(&pl, tone, TONE_N, SILENCE);
    make_pkt(p, 101, 1, 0, &h);
    assert_int_equal(md_tone_play_mix(&pl, p, sizeof(p), &h, out), 0);
    make_pkt(p, 8, 2, 0, &h); /* A-law mixes too */
    assert_int_equal(md_tone_play_mix(&pl, p, sizeof(p), &h, out), 1);
    md_tone_play_set(&pl, NULL, 0, 0);
    make_pkt(p, 0, 3, 160, &h);
    assert_int_equal(md_tone_play_mix(&pl, p, sizeof(p), &h, out), 0);
}

static void test_silence_duration(void **state)
{
    (void)state;
    assert_int_equal(md_tone_silence_ms(NULL), 30000);
    assert_int_equal(md_tone_silence_ms(""), 30000);
    assert_int_equal(md_tone_silence_ms("100"), 1500);
    assert_int_equal(md_tone_silence_ms("1500"), 1500);
    assert_int_equal(md_tone_silence_ms("15000"), 15000);
    assert_int_equal(md_tone_silence_ms("abc"), 30000);
    assert_int_equal(md_tone_silence_ms("-5"), 30000);
}

static size_t wav(uint8_t *b, uint16_t fmt, uint16_t ch, uint32_t rate, uint16_t bits, size_t ns)
{
    size_t blk = (size_t)ch * bits / 8, dlen = ns * blk;
    memcpy(b, "RIFF", 4);
    uint32_t v = (uint32_t)(36 + dlen);
    memcpy(b + 4, &v, 4);
    memcpy(b + 8, "WAVEfmt ", 8);
    v = 16;
    memcpy(b + 16, &v, 4);
    memcpy(b + 20, &fmt, 2);
    memcpy(b + 22, &ch, 2);
    memcpy(b + 24, &rate, 4);
    v = rate * (uint32_t)blk;
    memcpy(b + 28, &v, 4);
    uint16_t ba = (uint16_t)blk;
    memcpy(b + 32, &ba, 2);
    memcpy(b + 34, &bits, 2);
    memcpy(b + 36, "data", 4);
    v = (uint32_t)dlen;
    memcpy(b + 40, &v, 4);
    for (size_t i = 0; i < dlen; i++)
        b[44 + i] = (uint8_t)(i * 7);
    return 44 + dlen;
}

static void test_wav_conversion(void **state)
{
    (void)state;
    uint8_t b[44 + 400];
    int16_t *pcm;
    uint32_t n;
    const char *why;
    size_t len = wav(b, 1, 1, 8000, 16, 100);
    assert_int_equal(md_fetch_wav_to_pcm(b, len, &pcm, &n, &why), AR_E_OK);
    assert_int_equal(n, 100);
    int16_t s1;
    memcpy(&s1, b + 46, 2);
    assert_int_equal(pcm[1], s1);
    free(pcm);
    len = wav(b, 7, 1, 8000, 8, 100);
    assert_int_equal(md_fetch_wav_to_pcm(b, len, &pcm, &n, &why), AR_E_OK);
    assert_int_equal(pcm[3], ar_g711_decode(AR_G711_ULAW, b[47]));
    free(pcm);
    len = wav(b, 6, 1, 8000, 8, 100);
    assert_int_equal(md_fetch_wav_to_pcm(b, len, &pcm, &n, &why), AR_E_OK);
    assert_int_equal(pcm[3], ar_g711_decode(AR_G711_ALAW, b[47]));
    free(pcm);
    len = wav(b, 1, 2, 8000, 16, 50); /* stereo */
    assert_int_equal(md_fetch_wav_to_pcm(b, len, &pcm, &n, &why), AR_E_WAV_UNSUPPORTED);
    assert_null(pcm);
    len = wav(b, 1, 1, 16000, 16, 100); /* wideband */
    assert_int_equal(md_fetch_wav_to_pcm(b, len, &pcm, &n, &why), AR_E_WAV_UNSUPPORTED);
    len = wav(b, 1, 1, 8000, 16, 0); /* empty */
    assert_int_not_equal(md_fetch_wav_to_pcm(b, len, &pcm, &n, &why), AR_E_OK);
    assert_int_equal(md_fetch_wav_to_pcm((const uint8_t *)"hello world", 11, &pcm, &n, &why),
                     AR_E_WAV_MALFORMED);
    len = wav(b, 1, 1, 8000, 16, 100);
    assert_int_equal(md_fetch_wav_to_pcm(b, len - 50, &pcm, &n, &why), AR_E_WAV_MALFORMED);
}

int main(void)
{
    for (int i = 0; i < TONE_N; i++)
        tone[i] = (int16_t)((i % 8) < 4 ? 8000 : -8000);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_on_rtp_clock),   cmocka_unit_test(test_loss_moves_tone_on),
        cmocka_unit_test(test_non_g711_and_disarmed), cmocka_unit_test(test_silence_duration),
        cmocka_unit_test(test_wav_conversion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
