/* Unit tests for common/srtp/ar_aesni: FIPS-197 known answer and agreement with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "srtp/ar_aesni.h"

#include <openssl/evp.h>
#include <string.h>

/* FIPS-197 appendix C.1: AES-128 of 00112233..ff under the key 00010203..0f. */
static void test_fips197(void **state)
{
    (void)state;
    if (!ar_aesni_available())
        skip();
    uint8_t key[16], block[16];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        block[i] = (uint8_t)(i * 0x11);
    }
    static const uint8_t want[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                     0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    ar_aesni_key k;
    ar_aesni_key128(&k, key);
    ar_aesni_ecb128(&k, block, 1);
    assert_memory_equal(block, want, 16);
}

/* 1 to 13 blocks (the four-wide loop, the tail, both) against OpenSSL's AES-128-ECB. */
static void test_against_openssl(void **state)
{
    (void)state;
    if (!ar_aesni_available())
        skip();
    uint8_t key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(0xa5 ^ (i * 29));
    ar_aesni_key k;
    ar_aesni_key128(&k, key);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);
    assert_true(EVP_EncryptInit_ex2(ctx, EVP_aes_128_ecb(), key, NULL, NULL));
    assert_true(EVP_CIPHER_CTX_set_padding(ctx, 0));
    for (size_t n = 1; n <= 13; n++) {
        uint8_t ours[13 * 16], ref[13 * 16];
        for (size_t i = 0; i < 16 * n; i++)
            ours[i] = (uint8_t)(i * 7 + n);
        int out = 0;
        assert_true(EVP_EncryptUpdate(ctx, ref, &out, ours, (int)(16 * n)));
        assert_int_equal(out, (int)(16 * n));
        ar_aesni_ecb128(&k, ours, n);
        assert_memory_equal(ours, ref, 16 * n);
    }
    EVP_CIPHER_CTX_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips197),
        cmocka_unit_test(test_against_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
