/* Unit tests for common/ar_srtp (either backend): round trips and every error kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_crypto.h"
#include "ar_err.h"
#include "ar_rtp.h"
#include "ar_srtp.h"

#include <string.h>

#define CAP (172 + AR_SRTP_TRAILER_ROOM)

static size_t make_rtp(uint8_t *p, uint16_t seq)
{
    memset(p, 0, CAP);
    ar_rtp_write_hdr(p, 0, 0, seq, (uint32_t)seq * 160, 0x11223344);
    for (int i = 12; i < 172; i++)
        p[i] = (uint8_t)(i ^ seq);
    return 172;
}

static void roundtrip(ar_crypto_suite suite, unsigned tag)
{
    ar_crypto k;
    assert_int_equal(ar_crypto_generate(&k, 1, suite), AR_E_OK);
    ar_srtp *tx, *rx;
    assert_int_equal(ar_srtp_new(&tx, &k, AR_SRTP_OUTBOUND), AR_E_OK);
    assert_int_equal(ar_srtp_new(&rx, &k, AR_SRTP_INBOUND), AR_E_OK);
    uint8_t p[CAP], clear[CAP];
    for (uint16_t seq = 100; seq < 110; seq++) {
        size_t len = make_rtp(p, seq);
        memcpy(clear, p, len);
        assert_int_equal(ar_srtp_protect(tx, p, &len, sizeof(p)), AR_E_OK);
        assert_int_equal(len, 172 + tag);
        assert_memory_not_equal(p + 12, clear + 12, 160); /* payload encrypted */
        assert_memory_equal(p, clear, 12);                /* header in clear */
        assert_int_equal(ar_srtp_unprotect(rx, p, &len), AR_E_OK);
        assert_int_equal(len, 172);
        assert_memory_equal(p, clear, 172);
    }
    ar_srtp_stats st;
    ar_srtp_get_stats(rx, &st);
    assert_int_equal(st.ok, 10);
    assert_int_equal(st.auth_fail + st.replay + st.other, 0);
    assert_string_equal(ar_srtp_fingerprint(rx), ar_srtp_fingerprint(tx));
    ar_srtp_free(&tx);
    ar_srtp_free(&rx);
    assert_null(tx);
}

static void test_roundtrip_80(void **state)
{
    (void)state;
    roundtrip(AR_CRYPTO_AES_CM_128_HMAC_SHA1_80, 10);
}

static void test_roundtrip_32(void **state)
{
    (void)state;
    roundtrip(AR_CRYPTO_AES_CM_128_HMAC_SHA1_32, 4);
}

static void test_errors(void **state)
{
    (void)state;
    ar_crypto k, wrong;
    assert_int_equal(ar_crypto_generate(&k, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80), AR_E_OK);
    assert_int_equal(ar_crypto_generate(&wrong, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80), AR_E_OK);
    ar_srtp *tx, *rx, *rxw;
    assert_int_equal(ar_srtp_new(&tx, &k, AR_SRTP_OUTBOUND), AR_E_OK);
    assert_int_equal(ar_srtp_new(&rx, &k, AR_SRTP_INBOUND), AR_E_OK);
    assert_int_equal(ar_srtp_new(&rxw, &wrong, AR_SRTP_INBOUND), AR_E_OK);
    uint8_t p[CAP], copy[CAP];
    size_t len = make_rtp(p, 1);
    assert_int_equal(ar_srtp_protect(tx, p, &len, sizeof(p)), AR_E_OK);
    memcpy(copy, p, len);
    size_t clen = len;
    /* Wrong key. */
    assert_int_equal(ar_srtp_unprotect(rxw, p, &len), AR_E_SRTP_AUTH_FAIL);
    /* Truncated tag (one byte short, and cut down to the header). */
    memcpy(p, copy, clen);
    len = clen - 1;
    assert_int_equal(ar_srtp_unprotect(rx, p, &len), AR_E_SRTP_AUTH_FAIL);
    len = 12;
    int rc = ar_srtp_unprotect(rx, p, &len);
    assert_true(rc == AR_E_SRTP_AUTH_FAIL || rc == AR_E_SRTP_ERROR);
    /* Good packet, then the same packet replayed. */
    memcpy(p, copy, clen);
    len = clen;
    assert_int_equal(ar_srtp_unprotect(rx, p, &len), AR_E_OK);
    memcpy(p, copy, clen);
    len = clen;
    assert_int_equal(ar_srtp_unprotect(rx, p, &len), AR_E_SRTP_REPLAY);
    /* Tampered payload. */
    len = make_rtp(p, 2);
    assert_int_equal(ar_srtp_protect(tx, p, &len, sizeof(p)), AR_E_OK);
    p[20] ^= 1;
    assert_int_equal(ar_srtp_unprotect(rx, p, &len), AR_E_SRTP_AUTH_FAIL);
    /* No room for the trailer. */
    len = make_rtp(p, 3);
    assert_int_equal(ar_srtp_protect(tx, p, &len, len + 4), AR_E_SRTP_ERROR);
    /* The sender refuses to reuse a sequence number (keystream reuse). */
    len = make_rtp(p, 2);
    assert_int_equal(ar_srtp_protect(tx, p, &len, sizeof(p)), AR_E_SRTP_REPLAY);

    ar_srtp_stats st;
    ar_srtp_get_stats(rx, &st);
    assert_int_equal(st.ok, 1);
    assert_int_equal(st.replay, 1);
    assert_true(st.auth_fail + st.other == 3);
    ar_srtp_get_stats(rxw, &st);
    assert_int_equal(st.auth_fail, 1);
    ar_srtp_get_stats(tx, &st);
    assert_int_equal(st.ok, 2);
    assert_int_equal(st.other, 1);
    assert_int_equal(st.replay, 1);
    ar_srtp_free(&tx);
    ar_srtp_free(&rx);
    ar_srtp_free(&rxw);
}

static void test_rtcp(void **state)
{
    (void)state;
    ar_crypto k;
    assert_int_equal(ar_crypto_generate(&k, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_32), AR_E_OK);
    ar_srtp *tx, *rx;
    assert_int_equal(ar_srtp_new(&tx, &k, AR_SRTP_OUTBOUND), AR_E_OK);
    assert_int_equal(ar_srtp_new(&rx, &k, AR_SRTP_INBOUND), AR_E_OK);
    /* A minimal RR: V=2, PT=201, length 1, SSRC. */
    uint8_t p[8 + AR_SRTP_TRAILER_ROOM] = {0x80, 201, 0, 1, 1, 2, 3, 4};
    uint8_t copy[sizeof(p)];
    size_t len = 8;
    assert_int_equal(ar_srtp_protect_rtcp(tx, p, &len, sizeof(p)), AR_E_OK);
    assert_int_equal(len, 8 + 4 + 10); /* E|index + 80-bit tag even with the _32 suite */
    memcpy(copy, p, len);
    size_t clen = len;
    assert_int_equal(ar_srtp_unprotect_rtcp(rx, p, &len), AR_E_OK);
    assert_int_equal(len, 8);
    assert_int_equal(p[1], 201);
    memcpy(p, copy, clen);
    len = clen;
    assert_int_equal(ar_srtp_unprotect_rtcp(rx, p, &len), AR_E_SRTP_REPLAY);
    memcpy(p, copy, clen);
    len = clen - 3;
    int rc = ar_srtp_unprotect_rtcp(rx, p, &len);
    assert_true(rc == AR_E_SRTP_AUTH_FAIL || rc == AR_E_SRTP_ERROR);
    uint8_t rr[8] = {0x80, 201, 0, 1, 1, 2, 3, 4};
    memcpy(p, rr, 8);
    len = 8;
    assert_int_equal(ar_srtp_protect_rtcp(tx, p, &len, sizeof(p)), AR_E_OK);
    p[len - 1] ^= 0x80; /* corrupted tag on a fresh index */
    assert_int_equal(ar_srtp_unprotect_rtcp(rx, p, &len), AR_E_SRTP_AUTH_FAIL);
    ar_srtp_free(&tx);
    ar_srtp_free(&rx);
}

/* One context, many sources (a party's SSRC changes at each transfer): every SSRC works,
 * with either backend (libre keeps 8 per context: ar_srtp then starts a fresh one). */
static void test_many_ssrcs(void **state)
{
    (void)state;
    ar_crypto k;
    assert_int_equal(ar_crypto_generate(&k, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80), AR_E_OK);
    ar_srtp *tx, *rx;
    assert_int_equal(ar_srtp_new(&tx, &k, AR_SRTP_OUTBOUND), AR_E_OK);
    assert_int_equal(ar_srtp_new(&rx, &k, AR_SRTP_INBOUND), AR_E_OK);
    uint8_t p[CAP], clear[CAP];
    for (uint32_t ssrc = 1; ssrc <= 20; ssrc++) {
        for (uint16_t seq = 1; seq <= 3; seq++) {
            size_t len = make_rtp(p, seq);
            ar_rtp_write_hdr(p, 0, 0, seq, (uint32_t)seq * 160, ssrc);
            memcpy(clear, p, len);
            assert_int_equal(ar_srtp_protect(tx, p, &len, sizeof(p)), AR_E_OK);
            assert_int_equal(ar_srtp_unprotect(rx, p, &len), AR_E_OK);
            assert_memory_equal(p, clear, 172);
        }
    }
    ar_srtp_stats st;
    ar_srtp_get_stats(rx, &st);
    assert_int_equal(st.ok, 60);
    ar_srtp_free(&tx);
    ar_srtp_free(&rx);
}

static void test_bad_suite(void **state)
{
    (void)state;
    ar_crypto k;
    memset(&k, 0, sizeof(k));
    ar_srtp *s = (ar_srtp *)&k;
    assert_int_equal(ar_srtp_new(&s, &k, AR_SRTP_INBOUND), AR_E_INVALID_VALUE);
    assert_null(s);
    assert_int_equal(ar_srtp_global_init(), AR_E_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_80), cmocka_unit_test(test_roundtrip_32),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_rtcp),
        cmocka_unit_test(test_bad_suite),    cmocka_unit_test(test_many_ssrcs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
