/* Unit tests for the local WAV path: RTP-timed positions, loss/pause as silence, close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_g711.h"
#include "ar_rtp.h"
#include "ar_wav.h"
#include "md_localwav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void make_dir(char *dir, size_t cap)
{
    static int seq;
    snprintf(dir, cap, "/tmp/test_md_lw_%d_%d", (int)getpid(), seq++);
    assert_int_equal(mkdir(dir, 0700), 0);
}

static void pkt(md_lw_tap *t, int pt, uint32_t ts, uint8_t fill, uint64_t now)
{
    uint8_t p[172];
    ar_rtp_hdr h;
    ar_rtp_write_hdr(p, (uint8_t)pt, 0, (uint16_t)(ts / 160), ts, 42);
    memset(p + 12, fill, 160);
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_OK);
    md_lw_tap_packet(t, p + h.payload_off, &h, now);
}

static void test_positions_loss_pause(void **state)
{
    (void)state;
    char dir[64];
    make_dir(dir, sizeof(dir));
    md_lw_sys *sys = md_lw_sys_new(dir);
    assert_non_null(sys);
    char path[512];
    md_localwav *lw = md_lw_new(sys, "a/b c", AR_G711_ULAW, path, sizeof(path));
    assert_non_null(lw);
    uint64_t t0 = mono_ns(); /* within microseconds of the file's origin */
    md_lw_tap a = {0}, b = {0};
    md_lw_tap_set(&a, lw, 0, 0, t0);
    md_lw_tap_set(&b, lw, 1, 0, t0);
    uint8_t A = ar_g711_encode(AR_G711_ULAW, 8000);
    uint8_t B = ar_g711_encode(AR_G711_ALAW, -8000);
    /* Channel 0: packets 0..9, 12..19 (10 and 11 lost), at 20 ms each from t0. */
    for (uint32_t k = 0; k < 20; k++)
        if (k != 10 && k != 11)
            pkt(&a, 0, 1000 + 160 * k, A, t0 + k * 20000000ull);
    /* Channel 1 (A-law party, transcoded): only from 100 ms on, and paused 200-300 ms. */
    for (uint32_t k = 5; k < 20; k++) {
        b.on = !(k >= 10 && k < 15);
        pkt(&b, 8, 5000 + 160 * k, B, t0 + k * 20000000ull);
    }
    md_lw_tap_set(&a, NULL, 0, 0, t0 + 500000000ull);
    md_lw_tap_set(&b, NULL, 0, 0, t0 + 500000000ull);
    md_lw_sys_free(&sys); /* drains the ring and closes */

    assert_non_null(strstr(path, "/a_b_c.wav"));
    uint8_t *buf;
    size_t len;
    ar_wav_info wi;
    const char *why;
    assert_int_equal(ar_wav_read_file(path, &buf, &len, &wi, &why), AR_E_OK);
    assert_int_equal(wi.format, 7);
    assert_int_equal(wi.channels, 2);
    assert_true(wi.frames >= 4000); /* up to the detach at 500 ms */
    uint8_t s = ar_g711_silence(AR_G711_ULAW);
    uint8_t Bu = ar_g711_encode(AR_G711_ULAW, ar_g711_decode(AR_G711_ALAW, B));
    const uint8_t *d = buf + wi.data_offset;
    /* Sample positions are exact to the packet (the anchor is the first packet). */
    assert_int_equal(d[2 * 100 + 0], A);
    assert_int_equal(d[2 * (1600 + 80) + 0], s); /* lost packet 10 */
    assert_int_equal(d[2 * (1760 + 80) + 0], s); /* lost packet 11 */
    assert_int_equal(d[2 * (1920 + 80) + 0], A);
    assert_int_equal(d[2 * 100 + 1], s);          /* channel 1 had not started: one-way */
    assert_int_equal(d[2 * (800 + 80) + 1], Bu);  /* from 100 ms, transcoded to mu-law */
    assert_int_equal(d[2 * (1600 + 80) + 1], s);  /* paused */
    assert_int_equal(d[2 * (2400 + 80) + 1], Bu); /* resumed */
    assert_int_equal(d[2 * 3199 + 0], A);         /* the last packet ends at 400 ms */
    assert_int_equal(d[2 * 3900 + 0], s);         /* silence up to the detach */
    assert_int_equal(d[2 * 3900 + 1], s);
    free(buf);
    unlink(path);
    rmdir(dir);
}

static void test_names_unique(void **state)
{
    (void)state;
    char dir[64];
    make_dir(dir, sizeof(dir));
    md_lw_sys *sys = md_lw_sys_new(dir);
    char p1[512], p2[512];
    md_localwav *l1 = md_lw_new(sys, "rec.wav", AR_G711_ALAW, p1, sizeof(p1));
    md_lw_tap t = {0};
    md_lw_tap_set(&t, l1, 0, 0, mono_ns());
    md_lw_tap_set(&t, NULL, 0, 0, mono_ns());
    md_lw_sys_free(&sys); /* file exists now */
    sys = md_lw_sys_new(dir);
    md_localwav *l2 = md_lw_new(sys, "rec", AR_G711_ALAW, p2, sizeof(p2));
    free(l2); /* never attached: the writer never saw it */
    md_lw_sys_free(&sys);
    assert_non_null(strstr(p1, "/rec.wav"));
    assert_non_null(strstr(p2, "/rec-2.wav"));
    assert_null(md_lw_sys_new("/nonexistent/dir"));
    unlink(p1);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions_loss_pause),
        cmocka_unit_test(test_names_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
