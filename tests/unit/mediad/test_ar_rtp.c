/* Unit tests for RTP/RTCP validation and receive statistics (common/ar_rtp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_rtp.h"

#include <string.h>

static void test_parse_basic(void **state)
{
    (void)state;
    uint8_t p[172] = {0};
    ar_rtp_write_hdr(p, 0, 1, 1234, 160000, 0xdeadbeef);
    ar_rtp_hdr h;
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_OK);
    assert_int_equal(h.pt, 0);
    assert_int_equal(h.marker, 1);
    assert_int_equal(h.seq, 1234);
    assert_int_equal(h.ts, 160000);
    assert_int_equal(h.ssrc, 0xdeadbeef);
    assert_int_equal(h.payload_off, 12);
    assert_int_equal(h.payload_len, 160);
    ar_rtp_set_seq(p, 7);
    ar_rtp_set_ts(p, 99);
    ar_rtp_set_ssrc(p, 5);
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_OK);
    assert_int_equal(h.seq, 7);
    assert_int_equal(h.ts, 99);
    assert_int_equal(h.ssrc, 5);
    assert_false(ar_rtp_is_rtcp(p, sizeof(p)));
}

static void test_csrc_ext_padding(void **state)
{
    (void)state;
    uint8_t p[64] = {0};
    ar_rtp_write_hdr(p, 8, 0, 1, 1, 1);
    p[0] |= 2;    /* two CSRCs */
    p[0] |= 0x10; /* extension */
    /* extension header at 12 + 8 = 20: profile 0xBEDE, 1 word */
    p[20] = 0xbe;
    p[21] = 0xde;
    p[23] = 1;
    p[0] |= 0x20; /* padding */
    p[63] = 4;
    ar_rtp_hdr h;
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_OK);
    assert_int_equal(h.csrc_count, 2);
    assert_int_equal(h.ext_profile, 0xbede);
    assert_int_equal(h.payload_off, 28);
    assert_int_equal(h.payload_len, 64 - 28 - 4);
    p[63] = 0;
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_RTP_BAD_PADDING);
    p[63] = 40;
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_RTP_BAD_PADDING);
    p[63] = 4;
    p[23] = 200; /* extension longer than the packet */
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_RTP_BAD_EXTENSION);
}

static void test_parse_bad(void **state)
{
    (void)state;
    uint8_t p[16] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    ar_rtp_hdr h;
    assert_int_equal(ar_rtp_parse(p, 11, &h), AR_E_RTP_TRUNCATED);
    assert_int_equal(ar_rtp_parse(p, 0, &h), AR_E_RTP_TRUNCATED);
    p[0] = 0x40;
    assert_int_equal(ar_rtp_parse(p, 16, &h), AR_E_RTP_VERSION);
    p[0] = 0x8f; /* 15 CSRCs in 16 bytes */
    assert_int_equal(ar_rtp_parse(p, 16, &h), AR_E_RTP_TRUNCATED);
    p[0] = 0x90; /* extension flag, no room */
    assert_int_equal(ar_rtp_parse(p, 12, &h), AR_E_RTP_BAD_EXTENSION);
}

static void test_rtcp(void **state)
{
    (void)state;
    /* RR with no report blocks + SDES (1 chunk: ssrc + CNAME "ab" + end, padded). */
    uint8_t p[8 + 12] = {0x80, 201, 0, 1, 0, 0, 0, 9, /* RR */
                         0x81, 202, 0, 2, 0, 0, 0, 9, 1, 2, 'a', 'b'};
    ar_rtcp_info info;
    assert_true(ar_rtp_is_rtcp(p, sizeof(p)));
    assert_int_equal(ar_rtcp_validate(p, sizeof(p), &info), AR_E_OK);
    assert_int_equal(info.npackets, 2);
    assert_int_equal(info.first_type, 201);
    assert_int_equal(info.ssrc, 9);
    /* lengths that do not add up */
    assert_int_equal(ar_rtcp_validate(p, sizeof(p) - 1, &info), AR_E_RTP_TRUNCATED);
    /* first packet must be SR or RR */
    uint8_t q[8] = {0x80, 203, 0, 1, 0, 0, 0, 9};
    assert_int_equal(ar_rtcp_validate(q, sizeof(q), &info), AR_E_RTCP_MALFORMED);
    /* RR claiming a report block it does not carry */
    uint8_t r[8] = {0x81, 201, 0, 1, 0, 0, 0, 9};
    assert_int_equal(ar_rtcp_validate(r, sizeof(r), NULL), AR_E_RTCP_MALFORMED);
    uint8_t v[8] = {0x40, 201, 0, 1, 0, 0, 0, 9};
    assert_int_equal(ar_rtcp_validate(v, sizeof(v), NULL), AR_E_RTP_VERSION);
    /* padding in the first of two packets */
    p[0] |= 0x20;
    assert_int_equal(ar_rtcp_validate(p, sizeof(p), NULL), AR_E_RTP_BAD_PADDING);
    assert_int_equal(ar_rtcp_validate(p, 3, NULL), AR_E_RTP_TRUNCATED);
}

static void feed(ar_rtp_stats *st, uint16_t seq, uint32_t ts, uint32_t arrival)
{
    uint8_t p[20] = {0};
    ar_rtp_hdr h;
    ar_rtp_write_hdr(p, 0, 0, seq, ts, 77);
    assert_int_equal(ar_rtp_parse(p, sizeof(p), &h), AR_E_OK);
    ar_rtp_stats_update(st, &h, arrival);
}

static void test_stats(void **state)
{
    (void)state;
    ar_rtp_stats st;
    ar_rtp_stats_reset(&st);
    /* 10 packets across a sequence wrap, with seq 65535+3 missing. */
    uint16_t seq = 65530;
    for (int i = 0; i < 10; i++, seq++) {
        if (i == 8)
            continue;
        feed(&st, seq, 160u * i, 160u * i);
    }
    assert_int_equal(st.received, 9);
    assert_int_equal(ar_rtp_stats_expected(&st), 10);
    assert_int_equal(ar_rtp_stats_lost(&st), 1);
    assert_true(st.jitter < 0.001);
    /* A duplicate is reported as old and does not change the expected count. */
    uint8_t p[20] = {0};
    ar_rtp_hdr h;
    ar_rtp_write_hdr(p, 0, 0, (uint16_t)(seq - 1), 0, 77);
    ar_rtp_parse(p, sizeof(p), &h);
    assert_int_equal(ar_rtp_stats_update(&st, &h, 0), 1);
    assert_int_equal(ar_rtp_stats_expected(&st), 10);
    /* Jittery arrivals raise the jitter estimate. */
    ar_rtp_stats_reset(&st);
    for (int i = 0; i < 50; i++)
        feed(&st, (uint16_t)i, 160u * i, 160u * i + (i % 2 ? 80 : 0));
    assert_true(st.jitter > 10.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic), cmocka_unit_test(test_csrc_ext_padding),
        cmocka_unit_test(test_parse_bad),   cmocka_unit_test(test_rtcp),
        cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
