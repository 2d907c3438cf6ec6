/* Unit tests for the SDP a=crypto parser/builder and base64 (common/ar_crypto). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_base64.h"
#include "ar_crypto.h"
#include "ar_err.h"

#include <string.h>

/* RFC 4568 section 4's example key (30 bytes once decoded). */
#define KEY1 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static int parse(const char *s, ar_crypto *c)
{
    return ar_crypto_parse(s, strlen(s), c);
}

static void test_parse_ok(void **state)
{
    (void)state;
    ar_crypto c;
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1, &c), AR_E_OK);
    assert_int_equal(c.tag, 1);
    assert_int_equal(c.suite, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80);
    assert_memory_equal(c.key, "YS___semctl () {\t220;}\n}\nunles", 30);
    assert_int_equal(c.lifetime, 0);
    assert_int_equal(c.session_params, 0);
    assert_int_equal(ar_crypto_tag_len(c.suite), 10);

    assert_int_equal(parse("42 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|2^20\r\n", &c), AR_E_OK);
    assert_int_equal(c.tag, 42);
    assert_int_equal(c.suite, AR_CRYPTO_AES_CM_128_HMAC_SHA1_32);
    assert_int_equal(c.lifetime, 1u << 20);
    assert_int_equal(ar_crypto_tag_len(c.suite), 4);

    assert_int_equal(
        parse("7 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1048576 KDR=1 FEC_ORDER=FEC_SRTP", &c),
        AR_E_OK);
    assert_int_equal(c.lifetime, 1048576);
    assert_int_equal(c.session_params, 2);
    /* Padding that completes the quantum is accepted (30 bytes never needs any). */
    assert_int_equal(parse("1  AES_CM_128_HMAC_SHA1_80   inline:" KEY1, &c), AR_E_OK);
}

static void test_parse_errors(void **state)
{
    (void)state;
    ar_crypto c;
    assert_int_equal(parse("1 F8_128_HMAC_SHA1_80 inline:" KEY1, &c), AR_E_CRYPTO_UNKNOWN_SUITE);
    assert_int_equal(parse("1 AES_256_CM_HMAC_SHA1_80 inline:" KEY1, &c),
                     AR_E_CRYPTO_UNKNOWN_SUITE);
    assert_int_equal(parse("1 aes_cm_128_hmac_sha1_80 inline:" KEY1, &c),
                     AR_E_CRYPTO_UNKNOWN_SUITE);
    /* Bad base64: invalid character, bad padding, non-canonical trailing bits. */
    assert_int_equal(
        parse("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG*z", &c),
        AR_E_CRYPTO_BAD_BASE64);
    assert_int_equal(
        parse("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV=", &c),
        AR_E_CRYPTO_BAD_BASE64);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:A", &c), AR_E_CRYPTO_BAD_BASE64);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:AB==", &c), AR_E_CRYPTO_BAD_BASE64);
    /* Valid base64 but not 30 bytes. */
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9", &c),
                     AR_E_CRYPTO_BAD_KEY_LEN);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "AAAA", &c),
                     AR_E_CRYPTO_BAD_KEY_LEN);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:", &c), AR_E_CRYPTO_BAD_KEY_LEN);
    /* MKI is refused clearly. */
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^20|1:4", &c),
                     AR_E_CRYPTO_MKI_UNSUPPORTED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:4", &c),
                     AR_E_CRYPTO_MKI_UNSUPPORTED);
    /* Syntax. */
    assert_int_equal(parse("", &c), AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("x AES_CM_128_HMAC_SHA1_80 inline:" KEY1, &c), AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY1, &c),
                     AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80", &c), AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 key:" KEY1, &c), AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^49", &c),
                     AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|0", &c),
                     AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^20|2^10", &c),
                     AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|99999999999999999999999", &c),
                     AR_E_CRYPTO_MALFORMED);
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 ";inline:" KEY1, &c),
                     AR_E_CRYPTO_MALFORMED);
    /* A failed parse leaves no key material behind. */
    static const uint8_t zero[30];
    assert_int_equal(parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^99", &c),
                     AR_E_CRYPTO_MALFORMED);
    assert_memory_equal(c.key, zero, 30);
}

static void test_build_roundtrip(void **state)
{
    (void)state;
    ar_crypto a, b;
    assert_int_equal(ar_crypto_generate(&a, 3, AR_CRYPTO_AES_CM_128_HMAC_SHA1_32), AR_E_OK);
    char line[AR_CRYPTO_LINE_MAX];
    assert_int_equal(ar_crypto_build(&a, line, sizeof(line)), AR_E_OK);
    assert_true(strncmp(line, "3 AES_CM_128_HMAC_SHA1_32 inline:", 33) == 0);
    assert_int_equal(strlen(line), 33 + 40);
    assert_int_equal(parse(line, &b), AR_E_OK);
    assert_int_equal(b.tag, 3);
    assert_int_equal(b.suite, a.suite);
    assert_memory_equal(a.key, b.key, 30);
    char small[20];
    assert_int_equal(ar_crypto_build(&a, small, sizeof(small)), AR_E_SDP_TOO_LARGE);
    a.suite = AR_CRYPTO_SUITE_NONE;
    assert_int_equal(ar_crypto_build(&a, line, sizeof(line)), AR_E_INVALID_VALUE);
    /* Two generated keys differ; fingerprints differ and never contain the base64. */
    ar_crypto c;
    assert_int_equal(ar_crypto_generate(&c, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80), AR_E_OK);
    assert_memory_not_equal(b.key, c.key, 30);
    char f1[17], f2[17];
    ar_crypto_fingerprint(&b, f1);
    ar_crypto_fingerprint(&c, f2);
    assert_int_equal(strlen(f1), 16);
    assert_string_not_equal(f1, f2);
}

static void test_base64(void **state)
{
    (void)state;
    char enc[16];
    uint8_t dec[16];
    assert_int_equal(ar_base64_encode((const uint8_t *)"f", 1, enc, sizeof(enc)), 4);
    assert_string_equal(enc, "Zg==");
    assert_int_equal(ar_base64_encode((const uint8_t *)"foob", 4, enc, sizeof(enc)), 8);
    assert_string_equal(enc, "Zm9vYg==");
    assert_int_equal(ar_base64_decode("Zm9vYg==", 8, dec, sizeof(dec), AR_BASE64_PAD_OPTIONAL), 4);
    assert_memory_equal(dec, "foob", 4);
    assert_int_equal(ar_base64_decode("Zm9vYg", 6, dec, sizeof(dec), AR_BASE64_PAD_OPTIONAL), 4);
    assert_int_equal(ar_base64_decode("Zm9vYmFy", 8, dec, 5, AR_BASE64_PAD_OPTIONAL), -1);
    assert_int_equal(ar_base64_decode("Zm 9v", 5, dec, sizeof(dec), AR_BASE64_PAD_OPTIONAL), -1);
    assert_int_equal(ar_base64_encode((const uint8_t *)"foo", 3, enc, 4), -1);
    /* JSON's strict form: padding required, leftover bits zero. */
    assert_int_equal(ar_base64_decode("Zm9vYg", 6, dec, sizeof(dec), AR_BASE64_PAD_REQUIRED), -1);
    assert_int_equal(ar_base64_decode("Zm9vYh==", 8, dec, sizeof(dec), AR_BASE64_PAD_REQUIRED), -1);
    assert_int_equal(ar_base64_decode("Zg=a", 4, dec, sizeof(dec), AR_BASE64_PAD_REQUIRED), -1);
    assert_int_equal(ar_base64_decode("", 0, dec, sizeof(dec), AR_BASE64_PAD_REQUIRED), 0);
    assert_string_equal(ar_crypto_suite_name(AR_CRYPTO_AES_CM_128_HMAC_SHA1_80),
                        "AES_CM_128_HMAC_SHA1_80");
    assert_null(ar_crypto_suite_name(AR_CRYPTO_SUITE_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_build_roundtrip),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
