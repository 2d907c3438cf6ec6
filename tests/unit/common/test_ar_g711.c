/* Unit tests for common/ar_g711: known code points, round trips, mixing and clipping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_g711.h"
#include "ar_wav.h"

#include <stdlib.h>

static void test_known_values(void **state)
{
    (void)state;
    /* G.711 table 2a (mu-law) and 1a (A-law) end points, scaled to 16 bits. */
    assert_int_equal(ar_g711_decode(AR_G711_ULAW, 0xFF), 0);
    assert_int_equal(ar_g711_decode(AR_G711_ULAW, 0x7F), 0);
    assert_int_equal(ar_g711_decode(AR_G711_ULAW, 0x80), 32124);
    assert_int_equal(ar_g711_decode(AR_G711_ULAW, 0x00), -32124);
    assert_int_equal(ar_g711_decode(AR_G711_ULAW, 0xFE), 8);
    assert_int_equal(ar_g711_decode(AR_G711_ALAW, 0xD5), 8);
    assert_int_equal(ar_g711_decode(AR_G711_ALAW, 0x55), -8);
    assert_int_equal(ar_g711_decode(AR_G711_ALAW, 0xAA), 32256);
    assert_int_equal(ar_g711_decode(AR_G711_ALAW, 0x2A), -32256);
    assert_int_equal(ar_g711_encode(AR_G711_ULAW, 0), 0xFF);
    assert_int_equal(ar_g711_encode(AR_G711_ULAW, 32767), 0x80);
    assert_int_equal(ar_g711_encode(AR_G711_ULAW, -32768), 0x00);
    assert_int_equal(ar_g711_encode(AR_G711_ALAW, 0), 0xD5);
    assert_int_equal(ar_g711_encode(AR_G711_ALAW, -1), 0x55);
    assert_int_equal(ar_g711_encode(AR_G711_ALAW, 32767), 0xAA);
    assert_int_equal(ar_g711_encode(AR_G711_ALAW, -32768), 0x2A);
    assert_int_equal(ar_g711_silence(AR_G711_ULAW), 0xFF);
    assert_int_equal(ar_g711_silence(AR_G711_ALAW), 0xD5);
    assert_int_equal(ar_g711_law_of_pt(0), AR_G711_ULAW);
    assert_int_equal(ar_g711_law_of_pt(8), AR_G711_ALAW);
    assert_int_equal(ar_g711_law_of_pt(18), -1);
    assert_int_equal(ar_g711_law_of_pt(101), -1);
}

/* Every code survives decode -> encode (mu-law's negative zero 0x7F maps to 0xFF). */
static void test_round_trip_codes(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        uint8_t u = ar_g711_encode(AR_G711_ULAW, ar_g711_decode(AR_G711_ULAW, (uint8_t)c));
        assert_int_equal(u, c == 0x7F ? 0xFF : c);
        uint8_t a = ar_g711_encode(AR_G711_ALAW, ar_g711_decode(AR_G711_ALAW, (uint8_t)c));
        assert_int_equal(a, c);
    }
}

/* Encoding is monotonic and the quantisation error stays within half a step. */
static void test_round_trip_linear(void **state)
{
    (void)state;
    for (int law = 0; law < 2; law++) {
        int prev = -40000;
        for (int v = -32768; v <= 32767; v++) {
            int d = ar_g711_decode((ar_g711_law)law, ar_g711_encode((ar_g711_law)law, (int16_t)v));
            assert_true(d >= prev); /* monotonic */
            prev = d;
            int err = abs(d - v);
            int mag = abs(v);
            /* Step size doubles per segment: 1/16 of the magnitude bounds half a step. */
            int bound = law == 0 ? mag / 16 + 8 : mag / 16 + 16;
            if (err > bound)
                fail_msg("law %d: %d -> %d (err %d > %d)", law, v, d, err, bound);
        }
    }
}

/* Independent cross-check against the segment-search code in ar_wav. */
static void test_matches_ar_wav(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        assert_int_equal(ar_g711_decode(AR_G711_ULAW, (uint8_t)c), ar_g711_ulaw_decode((uint8_t)c));
        assert_int_equal(ar_g711_decode(AR_G711_ALAW, (uint8_t)c), ar_g711_alaw_decode((uint8_t)c));
    }
    for (int v = -32768; v <= 32767; v++) {
        assert_int_equal(ar_g711_encode(AR_G711_ULAW, (int16_t)v), ar_g711_ulaw_encode((int16_t)v));
        assert_int_equal(ar_g711_encode(AR_G711_ALAW, (int16_t)v), ar_g711_alaw_encode((int16_t)v));
    }
}

static void test_buffers_and_mix(void **state)
{
    (void)state;
    int16_t pcm[160], back[160], add[160];
    uint8_t enc[160], mixed[160];
    for (int i = 0; i < 160; i++) {
        pcm[i] = (int16_t)(i * 200 - 16000);
        add[i] = (int16_t)(i % 2 ? 30000 : -30000);
    }
    ar_g711_encode_buf(AR_G711_ALAW, pcm, enc, 160);
    ar_g711_decode_buf(AR_G711_ALAW, enc, back, 160);
    for (int i = 0; i < 160; i++) {
        assert_int_equal(enc[i], ar_g711_encode(AR_G711_ALAW, pcm[i]));
        assert_int_equal(back[i], ar_g711_decode(AR_G711_ALAW, enc[i]));
    }
    /* Mixing saturates instead of wrapping. */
    ar_g711_mix(AR_G711_ALAW, enc, add, mixed, 160);
    for (int i = 0; i < 160; i++) {
        int want = back[i] + add[i];
        want = want > 32767 ? 32767 : want < -32768 ? -32768 : want;
        assert_int_equal(mixed[i], ar_g711_encode(AR_G711_ALAW, (int16_t)want));
    }
    /* Mixing zeros into silence stays silence, in place. */
    uint8_t sil[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    int16_t zero[4] = {0};
    ar_g711_mix(AR_G711_ULAW, sil, zero, sil, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(sil[i], 0xFF);
    assert_int_equal(ar_g711_encode(AR_G711_ULAW, 32767), ar_g711_encode(AR_G711_ULAW, 32700));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),      cmocka_unit_test(test_round_trip_codes),
        cmocka_unit_test(test_round_trip_linear), cmocka_unit_test(test_matches_ar_wav),
        cmocka_unit_test(test_buffers_and_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
