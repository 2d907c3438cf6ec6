/* Unit tests for the conference mixer arithmetic: minus-own sums, clipping, priming, laws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_g711.h"
#include "md_mixer.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int n;
    int o[16], pt[16];
    int16_t first[16]; /* decoded first sample of each output */
} sent_log;

static void on_send(void *ud, md_mixer *m, int o, int pt, const uint8_t *payload, size_t n)
{
    (void)m;
    sent_log *l = ud;
    assert_int_equal(n, MD_MIX_FRAME);
    l->o[l->n] = o;
    l->pt[l->n] = pt;
    l->first[l->n] = ar_g711_decode(pt == 8 ? AR_G711_ALAW : AR_G711_ULAW, payload[0]);
    l->n++;
}

static md_mixer *three(void)
{
    md_mixer *m = md_mixer_new();
    assert_non_null(m);
    m->cfg.nin = m->cfg.nout = 3;
    for (int i = 0; i < 3; i++) {
        m->cfg.in[i] = m->cfg.out[i] = (md_stream *)(uintptr_t)(0x1000 + i); /* opaque */
        m->cfg.mask[i] = 7u & ~(1u << i);
        m->cfg.law_of[i] = (int8_t)i;
    }
    return m;
}

static void feed(md_mixer *m, int i, int pt, int16_t v, int frames)
{
    uint8_t p[MD_MIX_FRAME];
    memset(p, ar_g711_encode(pt == 8 ? AR_G711_ALAW : AR_G711_ULAW, v), sizeof(p));
    for (int k = 0; k < frames; k++)
        md_mixer_input(m, i, pt, p, sizeof(p));
}

static void test_minus_own(void **state)
{
    (void)state;
    md_mixer *m = three();
    feed(m, 0, 0, 1000, 2); /* 40 ms each: primed */
    feed(m, 1, 0, 2000, 2);
    feed(m, 2, 8, 4000, 2); /* third party on A-law */
    sent_log l = {0};
    md_mixer_tick(m, on_send, &l);
    assert_int_equal(l.n, 3);
    /* Output 0 hears 1 + 2, output 1 hears 0 + 2, output 2 hears 0 + 1 (in A-law). */
    int16_t d1 = ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, 1000));
    int16_t d2 = ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, 2000));
    int16_t d4 = ar_g711_decode(AR_G711_ALAW, ar_g711_encode(AR_G711_ALAW, 4000));
    assert_int_equal(
        l.first[0], ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, (int16_t)(d2 + d4))));
    assert_int_equal(
        l.first[1], ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, (int16_t)(d1 + d4))));
    assert_int_equal(l.pt[2], 8);
    assert_int_equal(
        l.first[2], ar_g711_decode(AR_G711_ALAW, ar_g711_encode(AR_G711_ALAW, (int16_t)(d1 + d2))));
    free(m);
}

static void test_clip_and_priming(void **state)
{
    (void)state;
    md_mixer *m = three();
    feed(m, 0, 0, 30000, 2);
    feed(m, 1, 0, 30000, 2);
    feed(m, 2, 0, 0, 1); /* only 20 ms: not primed yet, silent in the mix */
    sent_log l = {0};
    md_mixer_tick(m, on_send, &l);
    assert_int_equal(l.first[2], ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, 32767)));
    assert_int_equal(l.first[0], ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, 30000)));
    /* Input 0 had 40 ms: one frame left; after that it runs dry and leaves the mix. */
    l.n = 0;
    md_mixer_tick(m, on_send, &l);
    assert_int_equal(l.first[1], ar_g711_decode(AR_G711_ULAW, ar_g711_encode(AR_G711_ULAW, 30000)));
    l.n = 0;
    md_mixer_tick(m, on_send, &l);
    assert_int_equal(l.first[1], 0);
    assert_int_equal(l.first[2], 0);
    /* Non-G.711 payloads are ignored; a dropped stream's output is skipped. */
    uint8_t junk[160] = {0};
    md_mixer_input(m, 0, 101, junk, sizeof(junk));
    assert_int_equal(m->rcount[0], 0);
    md_mixer_drop_stream(m, m->cfg.out[1]);
    l.n = 0;
    md_mixer_tick(m, on_send, &l);
    assert_int_equal(l.n, 2);
    free(m);
}

static void test_latency_bounded(void **state)
{
    (void)state;
    md_mixer *m = three();
    feed(m, 0, 0, 100, 9); /* 180 ms piled up */
    sent_log l = {0};
    md_mixer_tick(m, on_send, &l);
    assert_true(m->rcount[0] <= 2 * MD_MIX_FRAME);
    feed(m, 0, 0, 100, 20); /* 400 ms: the 200 ms ring keeps the newest */
    assert_int_equal(m->rcount[0], MD_MIX_RING);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minus_own),
        cmocka_unit_test(test_clip_and_priming),
        cmocka_unit_test(test_latency_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
