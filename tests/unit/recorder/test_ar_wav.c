/* Unit tests for common/ar_wav: writer alignment, silence fill, header validity, reader checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_wav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp_path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_path, sizeof tmp_path, "/tmp/test_ar_wav_%d.wav", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(tmp_path);
    return 0;
}

static void test_g711_roundtrip(void **state)
{
    (void)state;
    /* Encoding a decoded code word gives it back (except the two zero codes). */
    for (int c = 0; c < 256; c++) {
        uint8_t u = (uint8_t)c;
        if (u == 0x7F)
            continue; /* -0 in mu-law encodes as +0 */
        assert_int_equal(ar_g711_ulaw_encode(ar_g711_ulaw_decode(u)), u);
        assert_int_equal(ar_g711_alaw_encode(ar_g711_alaw_decode(u)), u);
    }
    assert_int_equal(ar_g711_ulaw_decode(ar_wav_silence(AR_WAV_MULAW)), 0);
    assert_true(abs(ar_g711_alaw_decode(ar_wav_silence(AR_WAV_ALAW))) <= 8);
    assert_true(ar_g711_ulaw_decode(ar_g711_ulaw_encode(10000)) > 9000);
    assert_true(ar_g711_alaw_decode(ar_g711_alaw_encode(-10000)) < -9000);
}

static void test_empty_file_valid(void **state)
{
    (void)state;
    ar_wav_writer *w = NULL;
    assert_int_equal(ar_wav_writer_open(&w, tmp_path, AR_WAV_MULAW, 2, 800), AR_E_OK);
    /* Valid already before the first sample. */
    uint8_t *buf;
    size_t len;
    ar_wav_info info;
    const char *why;
    assert_int_equal(ar_wav_read_file(tmp_path, &buf, &len, &info, &why), AR_E_OK);
    assert_int_equal(info.frames, 0);
    assert_int_equal(info.channels, 2);
    free(buf);
    assert_int_equal(ar_wav_writer_close(&w, 0), AR_E_OK);
    assert_null(w);
    assert_int_equal(ar_wav_read_file(tmp_path, &buf, &len, &info, &why), AR_E_OK);
    assert_int_equal(len, AR_WAV_HEADER_SIZE);
    free(buf);
}

static void test_stereo_alignment_and_silence(void **state)
{
    (void)state;
    ar_wav_writer *w = NULL;
    uint8_t a[160], b[160];
    memset(a, 0x11, sizeof a);
    memset(b, 0x22, sizeof b);
    assert_int_equal(ar_wav_writer_open(&w, tmp_path, AR_WAV_MULAW, 2, 1000), AR_E_OK);
    /* Channel 0 from 0, channel 1 starts 320 samples later; out of order inside the window. */
    assert_int_equal(ar_wav_writer_put(w, 0, 160, a, 160), 0);
    assert_int_equal(ar_wav_writer_put(w, 0, 0, a, 160), 0);
    assert_int_equal(ar_wav_writer_put(w, 1, 320, b, 160), 0);
    /* A gap on channel 0 (lost packet 320..480), then data at 480. */
    assert_int_equal(ar_wav_writer_put(w, 0, 480, a, 160), 0);
    /* Far ahead: forces the window to flush. */
    assert_int_equal(ar_wav_writer_put(w, 1, 3000, b, 160), 0);
    assert_true(ar_wav_writer_written(w) >= 3160 - 1000);
    /* Late now: dropped and counted. */
    assert_int_equal(ar_wav_writer_put(w, 0, 0, a, 160), 160);
    assert_int_equal(ar_wav_writer_late(w), 160);
    assert_int_equal(ar_wav_writer_sync(w), AR_E_OK);
    assert_int_equal(ar_wav_writer_close(&w, 4000), AR_E_OK);

    uint8_t *buf;
    size_t len;
    ar_wav_info info;
    const char *why;
    assert_int_equal(ar_wav_read_file(tmp_path, &buf, &len, &info, &why), AR_E_OK);
    assert_int_equal(info.format, AR_WAV_MULAW);
    assert_int_equal(info.channels, 2);
    assert_int_equal(info.rate, 8000);
    assert_int_equal(info.block_align, 2);
    assert_int_equal(info.byte_rate, 16000);
    assert_true(info.has_fact);
    assert_int_equal(info.frames, 4000);
    assert_int_equal(info.fact_samples, 4000);
    const uint8_t *d = buf + info.data_offset;
    assert_int_equal(d[0], 0x11);       /* ch0 frame 0 */
    assert_int_equal(d[1], 0xFF);       /* ch1 silent before 320 */
    assert_int_equal(d[2 * 319], 0x11); /* ch0 frame 319 */
    assert_int_equal(d[2 * 320 + 1], 0x22);
    assert_int_equal(d[2 * 400], 0xFF); /* ch0 lost packet -> silence */
    assert_int_equal(d[2 * 500], 0x11);
    assert_int_equal(d[2 * 2000 + 1], 0xFF);
    assert_int_equal(d[2 * 3100 + 1], 0x22);
    assert_int_equal(d[2 * 3999], 0xFF);
    free(buf);
}

static void test_mono_odd_pad(void **state)
{
    (void)state;
    ar_wav_writer *w = NULL;
    uint8_t s[3] = {1, 2, 3};
    assert_int_equal(ar_wav_writer_open(&w, tmp_path, AR_WAV_ALAW, 1, 100), AR_E_OK);
    ar_wav_writer_put(w, 0, 0, s, 3);
    /* A put bigger than the window is stored window by window. */
    uint8_t big[250];
    memset(big, 0x42, sizeof big);
    assert_int_equal(ar_wav_writer_put(w, 0, 3, big, sizeof big), 0);
    assert_int_equal(ar_wav_writer_close(&w, 0), AR_E_OK);
    uint8_t *buf;
    size_t len;
    ar_wav_info info;
    const char *why;
    assert_int_equal(ar_wav_read_file(tmp_path, &buf, &len, &info, &why), AR_E_OK);
    assert_int_equal(info.frames, 253);
    assert_int_equal(len, AR_WAV_HEADER_SIZE + 254); /* RIFF pad byte */
    assert_int_equal(buf[info.data_offset + 2], 3);
    assert_int_equal(buf[info.data_offset + 3], 0x42);
    assert_int_equal(buf[info.data_offset + 252], 0x42);
    free(buf);
}

static size_t make_valid(uint8_t *out)
{
    ar_wav_writer *w = NULL;
    uint8_t s[10];
    memset(s, 0x55, sizeof s);
    assert_int_equal(ar_wav_writer_open(&w, tmp_path, AR_WAV_MULAW, 2, 100), AR_E_OK);
    ar_wav_writer_put(w, 0, 0, s, 10);
    assert_int_equal(ar_wav_writer_close(&w, 10), AR_E_OK);
    FILE *fp = fopen(tmp_path, "rb");
    assert_non_null(fp);
    size_t n = fread(out, 1, 512, fp);
    fclose(fp);
    return n;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_reader_rejects(void **state)
{
    (void)state;
    uint8_t good[512], bad[512];
    ar_wav_info info;
    const char *why = NULL;
    size_t n = make_valid(good);
    assert_int_equal(n, AR_WAV_HEADER_SIZE + 20);
    assert_int_equal(ar_wav_parse(good, n, &info, &why), AR_E_OK);
    assert_int_equal(ar_wav_sample(good, &info, 0, 0), ar_g711_ulaw_decode(0x55));

    /* Truncated anywhere: never OK, never a crash. */
    for (size_t cut = 0; cut < n; cut++)
        assert_int_not_equal(ar_wav_parse(good, cut, &info, &why), AR_E_OK);

    memcpy(bad, good, n);
    memcpy(bad, "RIFX", 4);
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);
    assert_string_equal(why, "not a RIFF/WAVE file");

    memcpy(bad, good, n);
    put32(bad + 54, 1000); /* data larger than the file */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);

    memcpy(bad, good, n);
    put32(bad + 46, 11); /* fact disagrees */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);
    assert_string_equal(why, "fact sample count disagrees with the data size");

    memcpy(bad, good, n);
    bad[32] = 3; /* block align */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);

    memcpy(bad, good, n);
    bad[22] = 0; /* zero channels */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);

    memcpy(bad, good, n);
    bad[20] = 0x55; /* MP3 format tag: valid RIFF, not ours */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_UNSUPPORTED);

    memcpy(bad, good, n);
    put32(bad + 54, 19); /* half a frame */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);

    memcpy(bad, good, n);
    memcpy(bad + 12, "junk", 4); /* fmt hidden: data before fmt */
    assert_int_equal(ar_wav_parse(bad, n, &info, &why), AR_E_WAV_MALFORMED);
    assert_string_equal(why, "data chunk before fmt chunk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_g711_roundtrip),
        cmocka_unit_test_setup_teardown(test_empty_file_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stereo_alignment_and_silence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mono_odd_pad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_rejects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
