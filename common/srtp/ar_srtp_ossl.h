/* libsrtp2 crypto kernel on OpenSSL: AES-ICM and HMAC-SHA1 that keep their state per stream. */
#ifndef AR_SRTP_OSSL_H
#define AR_SRTP_OSSL_H

/*
 * Replaces libsrtp2's SRTP_AES_ICM_128/192/256 and SRTP_HMAC_SHA1 implementations
 * (srtp_replace_cipher_type / srtp_replace_auth_type) with OpenSSL ones whose
 * per-stream state is built once at key time: AES-128 round keys for AES-NI (or an
 * AES-ECB EVP_CIPHER_CTX keyed once; a packet encrypts its counter blocks in one call)
 * and HMAC-SHA1 with the keyed inner
 * and outer hash states precomputed (a packet copies them), so a packet costs no
 * allocation and no re-initialisation.
 * Why: Debian's libsrtp2 is built with NSS, which creates an NSS context per packet.
 * Call after srtp_init() and before any srtp_create(); libsrtp runs each type's
 * self test (RFC 3711 B.2 / RFC 6188 AES-CM, RFC 2202 HMAC-SHA1) when it is
 * loaded. Returns AR_E_OK or AR_E_SRTP_ERROR (libsrtp then keeps its own types).
 */
int ar_srtp_ossl_register(void);

/* How AES-128 runs once registered, for the INFO log: "aes-ni" or "evp". */
const char *ar_srtp_ossl_aes(void);

#endif
