/* ar_srtp on libre's SRTP (OpenSSL): the same contexts, errors and counters, ~5x cheaper. */
#include "ar_srtp.h"

#include "ar_err.h"
#include "ar_log.h"

#include <errno.h>
#include <re.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Built instead of ar_srtp.c with -DAREC_SRTP_BACKEND=libre (docs/mediad.md "SRTP
 * cost"). Debian's libsrtp2 uses NSS, which creates a PKCS#11 context per packet;
 * libre keeps its OpenSSL AES and HMAC contexts. What ar_srtp.h promises and libre does
 * not do by itself is done here:
 *  - SRTCP keeps an 80-bit tag with either suite (RFC 4568 6.2.1): RTCP goes through a
 *    second libre context with the _80 suite (RTCP keys are derived with their own
 *    labels, so the same master key gives the same keys);
 *  - a sender never protects the same packet index twice (a repeated index would reuse
 *    the keystream): an outbound context refuses a sequence number it already sent,
 *    counted as a replay, like libsrtp2 without allow_repeat_tx.
 *  - libre keeps at most 8 SSRCs per context and refuses a ninth (ENOSR): the context
 *    is then made anew from the key (kept here, zeroed on free), forgetting the SSRCs
 *    of the past (a party's old sources after transfers).
 * libre's replay window is 64 packets (libsrtp2's here: 1024): a packet more than 64
 * behind the newest is counted as a replay.
 */

#define TX_WINDOW 64

struct ar_srtp {
    struct srtp *rtp, *rtcp;
    enum srtp_suite suite; /* of rtp (rtcp is always _80) */
    uint8_t key[AR_CRYPTO_KEY_LEN];
    ar_srtp_dir dir;
    char fp[17];
    /* Outbound duplicate check on the extended sequence of the last SSRC sent. */
    bool tx_started;
    uint32_t tx_ssrc;
    uint64_t tx_max;  /* highest extended sequence sent */
    uint64_t tx_bits; /* bit i: tx_max - i was sent */
    _Atomic uint64_t ok, auth_fail, replay, other;
};

int ar_srtp_global_init(void)
{
    return AR_E_OK; /* libre needs no global state for SRTP; OpenSSL 3 initialises itself */
}

const char *ar_srtp_kernel(void)
{
    return "libre";
}

int ar_srtp_new(ar_srtp **out, const ar_crypto *key, ar_srtp_dir dir)
{
    *out = NULL;
    enum srtp_suite suite;
    switch (key->suite) {
    case AR_CRYPTO_AES_CM_128_HMAC_SHA1_80:
        suite = SRTP_AES_CM_128_HMAC_SHA1_80;
        break;
    case AR_CRYPTO_AES_CM_128_HMAC_SHA1_32:
        suite = SRTP_AES_CM_128_HMAC_SHA1_32;
        break;
    default:
        return AR_E_INVALID_VALUE;
    }
    ar_srtp *s = calloc(1, sizeof(*s));
    if (!s)
        return AR_E_NOMEM;
    int e = srtp_alloc(&s->rtp, suite, key->key, AR_CRYPTO_KEY_LEN, 0);
    if (!e)
        e = srtp_alloc(&s->rtcp, SRTP_AES_CM_128_HMAC_SHA1_80, key->key, AR_CRYPTO_KEY_LEN, 0);
    if (e) {
        LOG_ERR(media, "libre srtp_alloc failed (%d)", e);
        mem_deref(s->rtp);
        mem_deref(s->rtcp);
        free(s);
        return e == ENOMEM ? AR_E_NOMEM : AR_E_SRTP_ERROR;
    }
    s->dir = dir;
    s->suite = suite;
    memcpy(s->key, key->key, sizeof(s->key));
    ar_crypto_fingerprint(key, s->fp);
    *out = s;
    return AR_E_OK;
}

void ar_srtp_free(ar_srtp **ps)
{
    ar_srtp *s = *ps;
    if (!s)
        return;
    mem_deref(s->rtp);
    mem_deref(s->rtcp);
    memset(s->key, 0, sizeof(s->key));
    free(s);
    *ps = NULL;
}

static int count(ar_srtp *s, int rc)
{
    _Atomic uint64_t *c = rc == AR_E_OK               ? &s->ok
                          : rc == AR_E_SRTP_AUTH_FAIL ? &s->auth_fail
                          : rc == AR_E_SRTP_REPLAY    ? &s->replay
                                                      : &s->other;
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
    return rc;
}

/* libre's errno-style results as ar_err codes. */
static int map_err(int e)
{
    switch (e) {
    case 0:
        return AR_E_OK;
    case EAUTH:
        return AR_E_SRTP_AUTH_FAIL;
    case EALREADY:  /* replayed, or older than the window */
    case ETIMEDOUT: /* more than half the sequence space behind */
        return AR_E_SRTP_REPLAY;
    default:
        return AR_E_SRTP_ERROR;
    }
}

/* A context full of SSRCs (ENOSR): a fresh one from the same key; 0 or an errno. */
static int renew(ar_srtp *s, struct srtp **ctx, enum srtp_suite suite)
{
    struct srtp *n = NULL;
    int e = srtp_alloc(&n, suite, s->key, AR_CRYPTO_KEY_LEN, 0);
    if (e)
        return e;
    mem_deref(*ctx);
    *ctx = n;
    return 0;
}

/* An mbuf over the caller's buffer: cap bytes, len used. libre never grows it here
 * because cap leaves AR_SRTP_TRAILER_ROOM (tag + ROC or index) past len. */
static struct mbuf wrap(uint8_t *pkt, size_t len, size_t cap)
{
    struct mbuf mb = {.buf = pkt, .size = cap, .pos = 0, .end = len};
    return mb;
}

/* Sender side: true when this sequence number of this SSRC was already protected. */
static bool tx_repeat(ar_srtp *s, const uint8_t *pkt)
{
    uint32_t ssrc =
        (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    if (!s->tx_started || ssrc != s->tx_ssrc) {
        s->tx_started = true;
        s->tx_ssrc = ssrc;
        s->tx_max = seq;
        s->tx_bits = 1;
        return false;
    }
    /* Extend seq to the candidate closest to the newest sent (RFC 3711 3.3.1). */
    int64_t d = (int16_t)(seq - (uint16_t)s->tx_max);
    int64_t ext = (int64_t)s->tx_max + d;
    if (ext < 0)
        return false; /* before the first packet of the stream: nothing to compare */
    if ((uint64_t)ext > s->tx_max) {
        uint64_t shift = (uint64_t)ext - s->tx_max;
        s->tx_bits = shift >= TX_WINDOW ? 0 : s->tx_bits << shift;
        s->tx_bits |= 1;
        s->tx_max = (uint64_t)ext;
        return false;
    }
    uint64_t back = s->tx_max - (uint64_t)ext;
    if (back >= TX_WINDOW)
        return true; /* too old to tell: refuse, as libsrtp2 does */
    if (s->tx_bits & (1ULL << back))
        return true;
    s->tx_bits |= 1ULL << back;
    return false;
}

int ar_srtp_protect(ar_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
    if (*len > 65535 || cap < *len + AR_SRTP_TRAILER_ROOM || *len < 12)
        return count(s, AR_E_SRTP_ERROR);
    if (tx_repeat(s, pkt))
        return count(s, AR_E_SRTP_REPLAY);
    struct mbuf mb = wrap(pkt, *len, cap);
    int e = srtp_encrypt(s->rtp, &mb);
    if (e == ENOSR && renew(s, &s->rtp, s->suite) == 0) {
        mb = wrap(pkt, *len, cap);
        e = srtp_encrypt(s->rtp, &mb);
    }
    int rc = map_err(e);
    if (rc == AR_E_OK)
        *len = mb.end;
    return count(s, rc);
}

int ar_srtp_protect_rtcp(ar_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
    if (*len > 65535 || cap < *len + AR_SRTP_TRAILER_ROOM || *len < 8)
        return count(s, AR_E_SRTP_ERROR);
    struct mbuf mb = wrap(pkt, *len, cap);
    int e = srtcp_encrypt(s->rtcp, &mb);
    if (e == ENOSR && renew(s, &s->rtcp, SRTP_AES_CM_128_HMAC_SHA1_80) == 0) {
        mb = wrap(pkt, *len, cap);
        e = srtcp_encrypt(s->rtcp, &mb);
    }
    int rc = map_err(e);
    if (rc == AR_E_OK)
        *len = mb.end;
    return count(s, rc);
}

int ar_srtp_unprotect(ar_srtp *s, uint8_t *pkt, size_t *len)
{
    if (*len > 65535 || *len < 12)
        return count(s, AR_E_SRTP_ERROR);
    struct mbuf mb = wrap(pkt, *len, *len);
    int e = srtp_decrypt(s->rtp, &mb);
    if (e == ENOSR && renew(s, &s->rtp, s->suite) == 0) {
        mb = wrap(pkt, *len, *len);
        e = srtp_decrypt(s->rtp, &mb);
    }
    int rc = map_err(e);
    if (rc == AR_E_OK)
        *len = mb.end;
    return count(s, rc);
}

int ar_srtp_unprotect_rtcp(ar_srtp *s, uint8_t *pkt, size_t *len)
{
    if (*len > 65535 || *len < 8)
        return count(s, AR_E_SRTP_ERROR);
    struct mbuf mb = wrap(pkt, *len, *len);
    int e = srtcp_decrypt(s->rtcp, &mb);
    if (e == ENOSR && renew(s, &s->rtcp, SRTP_AES_CM_128_HMAC_SHA1_80) == 0) {
        mb = wrap(pkt, *len, *len);
        e = srtcp_decrypt(s->rtcp, &mb);
    }
    int rc = map_err(e);
    if (rc == AR_E_OK)
        *len = mb.end;
    return count(s, rc);
}

void ar_srtp_prefetch(const ar_srtp *s)
{
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
