/* libsrtp2 crypto kernel on OpenSSL: AES-ICM and HMAC-SHA1 that keep their state per stream. */
#ifndef AR_SRTP_OSSL_H
#define AR_SRTP_OSSL_H

/*
 * Replaces libsrtp2's SRTP_AES_ICM_128/192/256 and SRTP_HMAC_SHA1 implementations
 * (srtp_replace_cipher_type / srtp_replace_auth_type) with OpenSSL ones whose
 * per-stream state is built once at key time: AES-128 round keys for AES-NI (or an
 * AES-ECB EVP_CIPHER_CTX keyed once; a packet encrypts its counter blocks in one call)
 * and HMAC-SHA1 with the keyed inner and outer SHA-1 chaining values precomputed (a
 * packet resumes from them), so a packet costs no allocation and no re-initialisation,
 * and touches few cache lines. AREC_SRTP_AESNI=off keeps AES-128 on EVP.
 * Why: Debian's libsrtp2 is built with NSS, which creates an NSS context per packet.
 * Call after srtp_init() and before any srtp_create(); libsrtp runs each type's
 * self test (RFC 3711 B.2 / RFC 6188 / NIST SP 800-38A AES-CM, RFC 2202 HMAC-SHA1) when
 * it is loaded. Returns AR_E_OK or AR_E_SRTP_ERROR (libsrtp then keeps its own types).
 */
int ar_srtp_ossl_register(void);

/*
 * The RTP cipher and auth states of one libsrtp context, for prefetching: libsrtp's
 * per-SSRC streams share them with the context's template, and they are allocated by
 * srtp_create, RTP first (then RTCP and the key derivation's cipher). Between
 * ar_srtp_ossl_capture_begin and _end (one thread, around srtp_create), the first AES-ICM
 * and the first HMAC-SHA1 state our types allocate are recorded in *hot. Only ever used
 * as prefetch addresses, so a libsrtp that allocated in another order would cost the
 * prefetch's benefit, never correctness.
 */
typedef struct {
    const void *cipher, *auth;
} ar_srtp_ossl_hot;

void ar_srtp_ossl_capture_begin(ar_srtp_ossl_hot *hot);
void ar_srtp_ossl_capture_end(void);

/* Start loading the recorded states into the cache (they are cold in mediad between two
 * packets of a stream), so the loads overlap libsrtp's own stream lookup. */
void ar_srtp_ossl_prefetch(const ar_srtp_ossl_hot *hot);

/* How AES-128 runs once registered, for the INFO log: "aes-ni" or "evp". */
const char *ar_srtp_ossl_aes(void);

#endif
