/* libsrtp2 wrapper: one-way SRTP/SRTCP contexts from an a=crypto key, with counted errors. */
#ifndef AR_SRTP_H
#define AR_SRTP_H

#include "ar_crypto.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Room a caller must leave after a packet handed to ar_srtp_protect*: libsrtp writes
 * up to SRTP_MAX_TRAILER_LEN (tag + MKI) + 4 (SRTCP index) bytes past the end, even
 * when the tag it appends is shorter.
 */
#define AR_SRTP_TRAILER_ROOM 160

typedef struct ar_srtp ar_srtp;

typedef enum { AR_SRTP_INBOUND = 0, AR_SRTP_OUTBOUND = 1 } ar_srtp_dir;

/* Counters by kind; read with ar_srtp_get_stats from any thread (relaxed atomics). */
typedef struct {
    uint64_t ok;        /* packets protected / unprotected */
    uint64_t auth_fail; /* authentication tag mismatch (wrong key, tampering, truncated tag) */
    uint64_t replay;    /* replayed or too old for the replay window */
    uint64_t other;     /* anything else (too short, cipher failure, buffer too small) */
} ar_srtp_stats;

/*
 * Initialise libsrtp2 once for the process (thread-safe, idempotent). AR_E_OK or
 * AR_E_SRTP_ERROR. ar_srtp_new calls it, so calling it first is optional.
 */
int ar_srtp_global_init(void);

/*
 * The crypto under ar_srtp, for logs and benchmarks: "openssl" (libsrtp2 with
 * ar_srtp_ossl's AES-ICM and HMAC-SHA1, the default), "stock" (libsrtp2's own, NSS on
 * Debian; environment AREC_SRTP_KERNEL=stock) or "libre" (the libre backend).
 */
const char *ar_srtp_kernel(void);

/*
 * A context for one direction of one stream: RTP and RTCP, any SSRC. The RTP tag is
 * the suite's (10 or 4 bytes); SRTCP always uses an 80-bit tag (RFC 4568 6.2). The
 * replay window is 1024 packets. A context is used by one thread at a time.
 * AR_E_OK, AR_E_INVALID_VALUE (unknown suite), AR_E_NOMEM or AR_E_SRTP_ERROR.
 */
int ar_srtp_new(ar_srtp **out, const ar_crypto *key, ar_srtp_dir dir);
void ar_srtp_free(ar_srtp **s);

/*
 * In place. protect: *len grows by the tag (RTCP: + 4-byte index); cap is the buffer
 * size and must be >= *len + AR_SRTP_TRAILER_ROOM. unprotect: *len shrinks.
 * Returns AR_E_OK, AR_E_SRTP_AUTH_FAIL, AR_E_SRTP_REPLAY or AR_E_SRTP_ERROR; each
 * outcome is counted. Nothing is logged on the packet path.
 */
int ar_srtp_protect(ar_srtp *s, uint8_t *pkt, size_t *len, size_t cap);
int ar_srtp_protect_rtcp(ar_srtp *s, uint8_t *pkt, size_t *len, size_t cap);
int ar_srtp_unprotect(ar_srtp *s, uint8_t *pkt, size_t *len);
int ar_srtp_unprotect_rtcp(ar_srtp *s, uint8_t *pkt, size_t *len);

/*
 * A hint, no effect on results: start loading the context's per-packet state into the
 * cache. mediad calls it before the recvmmsg that brings a secure stream's packets, so
 * that memory (cold: hundreds of contexts pass between two packets of a stream) arrives
 * while the kernel works. NULL is allowed.
 */
void ar_srtp_prefetch(const ar_srtp *s);

void ar_srtp_get_stats(const ar_srtp *s, ar_srtp_stats *out);
/* The key's fingerprint (ar_crypto_fingerprint), for logs. */
const char *ar_srtp_fingerprint(const ar_srtp *s);
#endif
