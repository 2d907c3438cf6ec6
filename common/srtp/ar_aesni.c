/* AES-128 block encryption with the x86 AES-NI instructions, key schedule kept by the caller. */
#include "ar_aesni.h"

#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/*
 * Only these functions are compiled for AES-NI (target attribute), so the rest of the
 * program keeps the baseline ISA and this code runs only after ar_aesni_available().
 */
#define AESNI __attribute__((target("aes,sse2")))

int ar_aesni_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
}

/* One step of the AES-128 key expansion (FIPS-197 5.2) from AESKEYGENASSIST's output. */
AESNI static __m128i expand_step(__m128i k, __m128i assist)
{
    assist = _mm_shuffle_epi32(assist, 0xff);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, assist);
}

AESNI void ar_aesni_key128(ar_aesni_key *k, const uint8_t key[16])
{
    __m128i r[11];
    r[0] = _mm_loadu_si128((const __m128i *)(const void *)key);
    /* The round constant must be an immediate, hence one line per round. */
    r[1] = expand_step(r[0], _mm_aeskeygenassist_si128(r[0], 0x01));
    r[2] = expand_step(r[1], _mm_aeskeygenassist_si128(r[1], 0x02));
    r[3] = expand_step(r[2], _mm_aeskeygenassist_si128(r[2], 0x04));
    r[4] = expand_step(r[3], _mm_aeskeygenassist_si128(r[3], 0x08));
    r[5] = expand_step(r[4], _mm_aeskeygenassist_si128(r[4], 0x10));
    r[6] = expand_step(r[5], _mm_aeskeygenassist_si128(r[5], 0x20));
    r[7] = expand_step(r[6], _mm_aeskeygenassist_si128(r[6], 0x40));
    r[8] = expand_step(r[7], _mm_aeskeygenassist_si128(r[7], 0x80));
    r[9] = expand_step(r[8], _mm_aeskeygenassist_si128(r[8], 0x1b));
    r[10] = expand_step(r[9], _mm_aeskeygenassist_si128(r[9], 0x36));
    for (int i = 0; i < 11; i++)
        _mm_storeu_si128((__m128i *)(void *)k->rk[i], r[i]);
}

AESNI void ar_aesni_ecb128(const ar_aesni_key *k, uint8_t *blocks, size_t n)
{
    __m128i r[11];
    for (int i = 0; i < 11; i++)
        r[i] = _mm_loadu_si128((const __m128i *)(const void *)k->rk[i]);
    size_t b = 0;
    /* Four blocks in flight: AESENC has a latency of several cycles but a throughput
     * of one or two per cycle, so independent blocks overlap. */
    for (; b + 4 <= n; b += 4) {
        __m128i *p = (__m128i *)(void *)(blocks + 16 * b);
        __m128i x0 = _mm_xor_si128(_mm_loadu_si128(p), r[0]);
        __m128i x1 = _mm_xor_si128(_mm_loadu_si128(p + 1), r[0]);
        __m128i x2 = _mm_xor_si128(_mm_loadu_si128(p + 2), r[0]);
        __m128i x3 = _mm_xor_si128(_mm_loadu_si128(p + 3), r[0]);
        for (int i = 1; i < 10; i++) {
            x0 = _mm_aesenc_si128(x0, r[i]);
            x1 = _mm_aesenc_si128(x1, r[i]);
            x2 = _mm_aesenc_si128(x2, r[i]);
            x3 = _mm_aesenc_si128(x3, r[i]);
        }
        _mm_storeu_si128(p, _mm_aesenclast_si128(x0, r[10]));
        _mm_storeu_si128(p + 1, _mm_aesenclast_si128(x1, r[10]));
        _mm_storeu_si128(p + 2, _mm_aesenclast_si128(x2, r[10]));
        _mm_storeu_si128(p + 3, _mm_aesenclast_si128(x3, r[10]));
    }
    for (; b < n; b++) {
        __m128i *p = (__m128i *)(void *)(blocks + 16 * b);
        __m128i x = _mm_xor_si128(_mm_loadu_si128(p), r[0]);
        for (int i = 1; i < 10; i++)
            x = _mm_aesenc_si128(x, r[i]);
        _mm_storeu_si128(p, _mm_aesenclast_si128(x, r[10]));
    }
}

#else /* not x86: never available, ar_srtp_ossl keeps OpenSSL's EVP */

int ar_aesni_available(void)
{
    return 0;
}

/* Never reached (callers check ar_aesni_available first): stop rather than not encrypt. */
void ar_aesni_key128(ar_aesni_key *k, const uint8_t key[16])
{
    (void)k;
    (void)key;
    abort();
}

void ar_aesni_ecb128(const ar_aesni_key *k, uint8_t *blocks, size_t n)
{
    (void)k;
    (void)blocks;
    (void)n;
    abort();
}
#endif
