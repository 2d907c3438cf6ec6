/* AES-128 block encryption with the x86 AES-NI instructions, key schedule kept by the caller. */
#ifndef AR_AESNI_H
#define AR_AESNI_H

#include <stddef.h>
#include <stdint.h>

/*
 * For ar_srtp_ossl's AES-ICM: the round keys live inside the stream's own state (one
 * contiguous block with the counter and salt), so a packet touches no OpenSSL context
 * and no provider dispatch. Only AES-128 (the key size of both SDES suites we speak);
 * AES-192/256 stay on OpenSSL's EVP. Constant time: AES-NI has no table lookups.
 */
typedef struct {
    uint8_t rk[11][16]; /* round keys 0..10 */
} ar_aesni_key;

/* 1 when this CPU has AES-NI (and the build is x86), else 0: callers then use EVP. */
int ar_aesni_available(void);

/* Expand a 16-byte key. Only when ar_aesni_available(). */
void ar_aesni_key128(ar_aesni_key *k, const uint8_t key[16]);

/* Encrypt n 16-byte blocks in place (ECB: the caller fills counter blocks). */
void ar_aesni_ecb128(const ar_aesni_key *k, uint8_t *blocks, size_t n);

#endif
