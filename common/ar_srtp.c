/* libsrtp2 wrapper: process-wide init, per-direction contexts, protect/unprotect with counters. */
#include "ar_srtp.h"

#include "ar_err.h"
#include "ar_log.h"
#include "srtp/ar_srtp_ossl.h"

#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(AR_SRTP_TRAILER_ROOM >= SRTP_MAX_TRAILER_LEN + 4, "SRTP trailer room too small");

/* What a packet reads (handle, prefetch addresses, counters) in one cache line: it is
 * cold in mediad, where hundreds of contexts pass between two packets of a stream. */
struct ar_srtp {
    srtp_t ctx;
    ar_srtp_ossl_hot hot; /* our kernel's RTP states (openssl kernel only) */
    _Atomic uint64_t ok, auth_fail, replay, other;
    ar_srtp_dir dir;
    char fp[17];
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct ar_srtp, other) + sizeof(uint64_t) <= 64,
               "ar_srtp's per-packet fields should stay in one cache line");

/*
 * The crypto kernel when AREC_SRTP_KERNEL is unset: "openssl" (ar_srtp_ossl) or "stock"
 * (libsrtp2's own: NSS on Debian). The test peers' shim builds with "stock" so the
 * integration tests check our kernel against libsrtp2's.
 */
#ifndef AR_SRTP_KERNEL_DEFAULT
#define AR_SRTP_KERNEL_DEFAULT "openssl"
#endif

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = AR_E_SRTP_ERROR;
static const char *kernel = "stock";

static void do_init(void)
{
    srtp_err_status_t st = srtp_init();
    if (st != srtp_err_status_ok) {
        LOG_ERR(media, "srtp_init failed (%d)", (int)st);
        return;
    }
    init_status = AR_E_OK;
    /* Before any srtp_create: streams keep the cipher/auth types they were made with. */
    const char *want = getenv("AREC_SRTP_KERNEL");
    if (!want || !*want)
        want = AR_SRTP_KERNEL_DEFAULT;
    if (strcmp(want, "stock") == 0)
        kernel = "stock";
    else if (strcmp(want, "openssl") != 0)
        LOG_ERR(media, "AREC_SRTP_KERNEL=%s unknown (openssl or stock): libsrtp2's own kept", want);
    else if (ar_srtp_ossl_register() == AR_E_OK)
        kernel = "openssl";
    LOG_INFO(media, "SRTP: %s, crypto kernel %s%s%s", srtp_get_version_string(), kernel,
             strcmp(kernel, "openssl") == 0 ? ", AES-128 " : "",
             strcmp(kernel, "openssl") == 0 ? ar_srtp_ossl_aes() : "");
}

const char *ar_srtp_kernel(void)
{
    ar_srtp_global_init();
    return kernel;
}

int ar_srtp_global_init(void)
{
    pthread_once(&init_once, do_init);
    return init_status;
}

int ar_srtp_new(ar_srtp **out, const ar_crypto *key, ar_srtp_dir dir)
{
    *out = NULL;
    int rc = ar_srtp_global_init();
    if (rc != AR_E_OK)
        return rc;
    srtp_policy_t pol;
    memset(&pol, 0, sizeof(pol));
    switch (key->suite) {
    case AR_CRYPTO_AES_CM_128_HMAC_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
        break;
    case AR_CRYPTO_AES_CM_128_HMAC_SHA1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
        break;
    default:
        return AR_E_INVALID_VALUE;
    }
    /* RFC 4568 6.2.1: SRTCP keeps the 80-bit tag with either suite. */
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
    pol.ssrc.type = dir == AR_SRTP_OUTBOUND ? ssrc_any_outbound : ssrc_any_inbound;
    uint8_t k[AR_CRYPTO_KEY_LEN];
    memcpy(k, key->key, sizeof(k));
    pol.key = k;
    /* Receive window 1024 (docs/mediad.md "Replay protection"). A sender's window only
     * refuses an index it already used, and mediad's output index only moves forward:
     * libsrtp's default 128 does that and keeps the bitmap shifted per packet to 16
     * bytes instead of 128 (two cold cache lines fewer per protect). */
    pol.window_size = dir == AR_SRTP_INBOUND ? 1024 : 128;
    pol.allow_repeat_tx = 0;
    ar_srtp *s = aligned_alloc(64, sizeof(*s));
    if (s)
        memset(s, 0, sizeof(*s));
    if (!s) {
        memset(k, 0, sizeof(k));
        return AR_E_NOMEM;
    }
    if (strcmp(kernel, "openssl") == 0)
        ar_srtp_ossl_capture_begin(&s->hot);
    srtp_err_status_t st = srtp_create(&s->ctx, &pol);
    ar_srtp_ossl_capture_end();
    memset(k, 0, sizeof(k));
    if (st != srtp_err_status_ok) {
        LOG_ERR(media, "srtp_create failed (%d)", (int)st);
        free(s);
        return AR_E_SRTP_ERROR;
    }
    s->dir = dir;
    ar_crypto_fingerprint(key, s->fp);
    *out = s;
    return AR_E_OK;
}

void ar_srtp_free(ar_srtp **ps)
{
    ar_srtp *s = *ps;
    if (!s)
        return;
    srtp_dealloc(s->ctx);
    free(s);
    *ps = NULL;
}

/* One thread at a time uses a context (ar_srtp.h), so a counter needs no locked
 * read-modify-write: a relaxed load and store keep it readable from other threads. */
static void bump(_Atomic uint64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static int account(ar_srtp *s, srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        bump(&s->ok);
        return AR_E_OK;
    case srtp_err_status_auth_fail:
        bump(&s->auth_fail);
        return AR_E_SRTP_AUTH_FAIL;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        bump(&s->replay);
        return AR_E_SRTP_REPLAY;
    default:
        bump(&s->other);
        return AR_E_SRTP_ERROR;
    }
}

/* libsrtp takes an int length; anything near INT_MAX is nonsense for a datagram. */
static int len_ok(ar_srtp *s, size_t len)
{
    if (len > 65535) {
        bump(&s->other);
        return 0;
    }
    return 1;
}

int ar_srtp_protect(ar_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
    if (*len > 65535 || cap < *len + AR_SRTP_TRAILER_ROOM || *len < 12) {
        bump(&s->other);
        return AR_E_SRTP_ERROR;
    }
    ar_srtp_ossl_prefetch(&s->hot);
    int l = (int)*len;
    int rc = account(s, srtp_protect(s->ctx, pkt, &l));
    if (rc == AR_E_OK)
        *len = (size_t)l;
    return rc;
}

int ar_srtp_protect_rtcp(ar_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
    if (*len > 65535 || cap < *len + AR_SRTP_TRAILER_ROOM || *len < 8) {
        bump(&s->other);
        return AR_E_SRTP_ERROR;
    }
    int l = (int)*len;
    int rc = account(s, srtp_protect_rtcp(s->ctx, pkt, &l));
    if (rc == AR_E_OK)
        *len = (size_t)l;
    return rc;
}

int ar_srtp_unprotect(ar_srtp *s, uint8_t *pkt, size_t *len)
{
    if (!len_ok(s, *len))
        return AR_E_SRTP_ERROR;
    ar_srtp_ossl_prefetch(&s->hot);
    int l = (int)*len;
    int rc = account(s, srtp_unprotect(s->ctx, pkt, &l));
    if (rc == AR_E_OK)
        *len = (size_t)l;
    return rc;
}

int ar_srtp_unprotect_rtcp(ar_srtp *s, uint8_t *pkt, size_t *len)
{
    if (!len_ok(s, *len))
        return AR_E_SRTP_ERROR;
    int l = (int)*len;
    int rc = account(s, srtp_unprotect_rtcp(s->ctx, pkt, &l));
    if (rc == AR_E_OK)
        *len = (size_t)l;
    return rc;
}

void ar_srtp_prefetch(const ar_srtp *s)
{
    /* The handle's line; protect/unprotect then read it and prefetch the kernel states. */
    if (s)
        __builtin_prefetch(s, 0, 3);
}

void ar_srtp_get_stats(const ar_srtp *s, ar_srtp_stats *o)
{
    ar_srtp *m = (ar_srtp *)s;
    o->ok = atomic_load_explicit(&m->ok, memory_order_relaxed);
    o->auth_fail = atomic_load_explicit(&m->auth_fail, memory_order_relaxed);
    o->replay = atomic_load_explicit(&m->replay, memory_order_relaxed);
    o->other = atomic_load_explicit(&m->other, memory_order_relaxed);
}

const char *ar_srtp_fingerprint(const ar_srtp *s)
{
    return s->fp;
}
