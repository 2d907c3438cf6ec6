/* Recorder SRTP: a=crypto from the offer, our own answer key, in-place unprotect with counters. */
#include "rec_srtp.h"

#include "ar_crypto.h"
#include "ar_err.h"
#include "ar_log.h"
#include "ar_srtp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rec_srtp {
    ar_srtp *in;    /* decrypts what the offerer sends; NULL = clear */
    ar_crypto peer; /* the offerer's key */
    ar_crypto ours; /* our declared key (RFC 4568: each side declares its own) */
    int have_ours;
    unsigned rekeys;
    ar_srtp_stats before; /* totals of contexts replaced by a rekey */
};

int rec_srtp_proto_secure(const char *proto)
{
    return !strcasecmp(proto, "RTP/SAVP") || !strcasecmp(proto, "RTP/SAVPF");
}

/* First usable a=crypto of m; AR_E_OK or the first line's error. */
static int pick(const ar_sdp_media *m, ar_crypto *out)
{
    int first = AR_E_CRYPTO_MALFORMED;
    for (int k = 0; k < m->ncrypto; k++) {
        int rc = ar_crypto_parse(m->crypto[k], strlen(m->crypto[k]), out);
        if (rc == AR_E_OK)
            return AR_E_OK;
        LOG_WARN(rec, "a=crypto line %d not usable: %s", k + 1, ar_errname(rc));
        if (k == 0)
            first = rc;
    }
    return first;
}

int rec_srtp_media_usable(const ar_sdp_media *m)
{
    if (!rec_srtp_proto_secure(m->proto))
        return !strcasecmp(m->proto, "RTP/AVP");
    ar_crypto c;
    int ok = pick(m, &c) == AR_E_OK;
    memset(&c, 0, sizeof(c));
    return ok;
}

static void add_stats(ar_srtp_stats *acc, const ar_srtp *ctx)
{
    ar_srtp_stats st;
    ar_srtp_get_stats(ctx, &st);
    acc->ok += st.ok;
    acc->auth_fail += st.auth_fail;
    acc->replay += st.replay;
    acc->other += st.other;
}

int rec_srtp_offer(rec_srtp **ps, const ar_sdp_media *m, const char *who)
{
    rec_srtp *s = *ps;
    if (!rec_srtp_proto_secure(m->proto)) {
        if (s && s->in) {
            LOG_INFO(rec, "%s: stream back to clear RTP", who);
            add_stats(&s->before, s->in);
            ar_srtp_free(&s->in);
        }
        return AR_E_OK;
    }
    ar_crypto c;
    int rc = pick(m, &c);
    if (rc != AR_E_OK)
        return rc;
    if (!s && !(s = *ps = calloc(1, sizeof(*s)))) {
        memset(&c, 0, sizeof(c));
        return AR_E_NOMEM;
    }
    if (!s->have_ours || s->ours.suite != c.suite) {
        if ((rc = ar_crypto_generate(&s->ours, c.tag, c.suite)) != AR_E_OK) {
            memset(&c, 0, sizeof(c));
            return rc;
        }
        s->have_ours = 1;
    }
    s->ours.tag = c.tag;
    if (!s->in || c.suite != s->peer.suite || memcmp(c.key, s->peer.key, sizeof(c.key)) != 0) {
        ar_srtp *n = NULL;
        if ((rc = ar_srtp_new(&n, &c, AR_SRTP_INBOUND)) != AR_E_OK) {
            memset(&c, 0, sizeof(c));
            return rc;
        }
        if (s->in) {
            add_stats(&s->before, s->in);
            ar_srtp_free(&s->in);
            s->rekeys++;
        }
        s->in = n;
        char fp[17];
        ar_crypto_fingerprint(&c, fp);
        LOG_INFO(rec, "%s: SRTP %s, offerer key %s%s", who, ar_crypto_suite_name(c.suite), fp,
                 s->rekeys ? " (rekeyed)" : "");
    }
    s->peer = c;
    memset(&c, 0, sizeof(c));
    return AR_E_OK;
}

void rec_srtp_answer(const rec_srtp *s, ar_sdp_media *ans)
{
    if (!s || !s->in || ans->port == 0)
        return;
    if (ar_crypto_build(&s->ours, ans->crypto[0], sizeof(ans->crypto[0])) == AR_E_OK)
        ans->ncrypto = 1;
}

int rec_srtp_unprotect(void *uctx, uint8_t *pkt, size_t *len, int is_rtcp)
{
    rec_srtp *s = uctx;
    if (!s || !s->in)
        return 0; /* clear stream */
    int rc = is_rtcp ? ar_srtp_unprotect_rtcp(s->in, pkt, len) : ar_srtp_unprotect(s->in, pkt, len);
    return rc == AR_E_OK ? 0 : -1;
}

int rec_srtp_active(const rec_srtp *s)
{
    return s && s->in;
}

void rec_srtp_get_info(const rec_srtp *s, rec_srtp_info *o)
{
    memset(o, 0, sizeof(*o));
    if (!s)
        return;
    ar_srtp_stats acc = s->before;
    if (s->in)
        add_stats(&acc, s->in);
    o->suite = s->in || s->rekeys || acc.ok ? ar_crypto_suite_name(s->peer.suite) : NULL;
    o->ok = acc.ok;
    o->auth_fail = acc.auth_fail;
    o->replay = acc.replay;
    o->other = acc.other;
    o->rekeys = s->rekeys;
}

void rec_srtp_free(rec_srtp **ps)
{
    rec_srtp *s = *ps;
    if (!s)
        return;
    ar_srtp_free(&s->in);
    memset(s, 0, sizeof(*s));
    free(s);
    *ps = NULL;
}
