/* mediad SRTP: a=crypto negotiation for party and recorder legs, per-stream key handling. */
#include "md_srtp.h"

#include "ar_err.h"
#include "ar_log.h"
#include "ar_srtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int md_srtp_proto_secure(const char *proto)
{
    return !strcmp(proto, "RTP/SAVP") || !strcmp(proto, "RTP/SAVPF");
}

int md_srtp_pick_crypto(const ar_sdp_media *m, int want_tag, ar_crypto *out)
{
    int first_err = AR_E_CRYPTO_MALFORMED, any = -1;
    ar_crypto c;
    for (int k = 0; k < m->ncrypto; k++) {
        int rc = ar_crypto_parse(m->crypto[k], strlen(m->crypto[k]), &c);
        if (rc != AR_E_OK) {
            LOG_WARN(media, "a=crypto line %d not usable: %s", k + 1, ar_errname(rc));
            if (any < 0 && first_err == AR_E_CRYPTO_MALFORMED)
                first_err = rc;
            continue;
        }
        /* An answer must pick our tag (RFC 4568 5.1.2); otherwise take the first. */
        if (want_tag < 0 || c.tag == (uint32_t)want_tag) {
            *out = c;
            memset(&c, 0, sizeof(c));
            return AR_E_OK;
        }
        if (any < 0) {
            any = k;
            *out = c;
        }
    }
    memset(&c, 0, sizeof(c));
    if (any >= 0) {
        LOG_WARN(media, "a=crypto: tag %d not answered, using tag %u", want_tag, out->tag);
        return AR_E_OK;
    }
    if (m->ncrypto == 0)
        LOG_WARN(media, "%s line without a=crypto", m->proto);
    return first_err;
}

int md_srtp_media_usable(const ar_sdp_media *m)
{
    ar_crypto c;
    if (!md_srtp_proto_secure(m->proto))
        return 1;
    int ok = md_srtp_pick_crypto(m, -1, &c) == AR_E_OK;
    memset(&c, 0, sizeof(c));
    return ok;
}

static struct md_srtp_state *state_get(struct md_srtp_state **ps)
{
    if (!*ps)
        *ps = calloc(1, sizeof(**ps));
    return *ps;
}

/* Give stream st new contexts: inbound from in (when non-NULL), outbound from out. */
static int install(md_stream *st, const ar_crypto *in, const ar_crypto *out)
{
    ar_srtp *cin = NULL, *cout = NULL;
    int mask = 0, rc = AR_E_OK;
    if (in) {
        if ((rc = ar_srtp_new(&cin, in, AR_SRTP_INBOUND)) != AR_E_OK)
            return rc;
        mask |= 1;
    }
    if (out) {
        if ((rc = ar_srtp_new(&cout, out, AR_SRTP_OUTBOUND)) != AR_E_OK) {
            ar_srtp_free(&cin);
            return rc;
        }
        mask |= 2;
    }
    md_stream_set_srtp(st, cin, cout, mask);
    return AR_E_OK;
}

int md_srtp_leg_apply(md_leg *l, const ar_sdp *sdp)
{
    for (int i = 0; i < l->nstreams && i < sdp->nmedia; i++) {
        if (!l->st[i])
            continue;
        const ar_sdp_media *m = &sdp->media[i];
        if (!md_srtp_proto_secure(m->proto)) {
            if (l->srtp && l->srtp->m[i].secure) {
                /* The party went back to RTP/AVP: both directions clear from now on. */
                md_stream_set_srtp(l->st[i], NULL, NULL, 3);
                memset(&l->srtp->m[i], 0, sizeof(l->srtp->m[i]));
                LOG_INFO(media, "leg %s m=%d: SRTP off (party now %s)", l->dn, i, m->proto);
            }
            continue;
        }
        if (!state_get(&l->srtp))
            return AR_E_NOMEM;
        md_srtp_media *sm = &l->srtp->m[i];
        ar_crypto in;
        int rc = md_srtp_pick_crypto(m, sm->out_set ? (int)sm->out.tag : -1, &in);
        if (rc != AR_E_OK)
            return rc;
        int rekey = !sm->have_in || in.suite != sm->in.suite ||
                    memcmp(in.key, sm->in.key, sizeof(in.key)) != 0;
        /* Our key lives as long as the stream; only a change of suite replaces it. */
        int new_out = !sm->out_set || sm->out.suite != in.suite;
        if (new_out && (rc = ar_crypto_generate(&sm->out, in.tag, in.suite)) != AR_E_OK) {
            memset(&in, 0, sizeof(in));
            return rc;
        }
        sm->out.tag = in.tag;
        if (rekey || new_out) {
            rc = install(l->st[i], rekey ? &in : NULL, new_out ? &sm->out : NULL);
            if (rc != AR_E_OK) {
                memset(&in, 0, sizeof(in));
                return rc;
            }
            char fin[17], fout[17];
            ar_crypto_fingerprint(&in, fin);
            ar_crypto_fingerprint(&sm->out, fout);
            LOG_INFO(media, "leg %s m=%d: SRTP %s, party key %s%s, our key %s%s", l->dn, i,
                     ar_crypto_suite_name(in.suite), fin, sm->have_in && rekey ? " (rekeyed)" : "",
                     fout, new_out ? " (new)" : "");
        }
        sm->in = in;
        sm->have_in = 1;
        sm->out_set = 1;
        sm->secure = 1;
        memset(&in, 0, sizeof(in));
    }
    return AR_E_OK;
}

static void add_crypto(ar_sdp_media *om, const ar_crypto *c)
{
    if (ar_crypto_build(c, om->crypto[0], sizeof(om->crypto[0])) == AR_E_OK)
        om->ncrypto = 1;
}

void md_srtp_leg_sdp(const md_leg *l, ar_sdp *s)
{
    for (int i = 0; l->srtp && i < s->nmedia && i < AR_SDP_MAX_MEDIA; i++)
        if (l->srtp->m[i].secure && s->media[i].port != 0)
            add_crypto(&s->media[i], &l->srtp->m[i].out);
}

/* Tri-state parameter: 1 / 0 when set, -1 when absent; "savpf" is 2 (on, RTP/SAVPF). */
static int param_bool(const md_params *p, const char *name)
{
    const char *v = md_params_get(p, name);
    if (!v)
        return -1;
    if (!strcasecmp(v, "savpf"))
        return 2;
    return md_params_flag(p, name);
}

int md_srtp_rec_plan(md_rec *r, const md_params *p, const md_media_env *env)
{
    int on = param_bool(p, r->dest_index ? "srtp2" : "srtp");
    if (on < 0 && r->dest_index)
        on = param_bool(p, "srtp");
    if (on < 0)
        on = env->rec_srtp || strncasecmp(r->dest, "sips:", 5) == 0;
    if (!on)
        return AR_E_OK;
    if (!state_get(&r->srtp))
        return AR_E_NOMEM;
    r->srtp->fallback_clear = env->rec_srtp_fallback;
    r->srtp->savpf = on == 2;
    for (int k = 0; k < r->nm && k < AR_SDP_MAX_MEDIA; k++) {
        md_srtp_media *sm = &r->srtp->m[k];
        if (!r->m[k].st)
            continue;
        /* Fresh keys for this session only: never a party's (no key escrow). */
        int rc = ar_crypto_generate(&sm->out, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80);
        if (rc == AR_E_OK)
            rc = install(r->m[k].st, NULL, &sm->out);
        if (rc != AR_E_OK)
            return rc;
        sm->secure = 1;
        sm->out_set = 1;
        char fp[17];
        ar_crypto_fingerprint(&sm->out, fp);
        LOG_INFO(media, "rec %s m=%d: SRTP toward the recorder, our key %s", r->record_id, k, fp);
    }
    return AR_E_OK;
}

void md_srtp_rec_offer(const md_rec *r, ar_sdp *s)
{
    for (int i = 0; r->srtp && i < s->nmedia && i < r->nm; i++) {
        if (!r->srtp->m[i].secure)
            continue;
        snprintf(s->media[i].proto, sizeof(s->media[i].proto), "%s",
                 r->srtp->savpf ? "RTP/SAVPF" : "RTP/SAVP");
        add_crypto(&s->media[i], &r->srtp->m[i].out);
    }
}

int md_srtp_rec_answer(md_rec *r, const ar_sdp *ans)
{
    for (int i = 0; r->srtp && i < r->nm && i < ans->nmedia; i++) {
        md_srtp_media *sm = &r->srtp->m[i];
        const ar_sdp_media *am = &ans->media[i];
        if (!sm->secure || am->port == 0)
            continue;
        if (!md_srtp_proto_secure(am->proto)) {
            if (!r->srtp->fallback_clear) {
                LOG_WARN(media, "rec %s m=%d: recorder answered %s to RTP/SAVP: refused",
                         r->record_id, i, am->proto);
                return AR_E_SRTP_REFUSED;
            }
            LOG_WARN(media, "rec %s m=%d: recorder answered %s: sending clear RTP (fallback)",
                     r->record_id, i, am->proto);
            if (r->m[i].st)
                md_stream_set_srtp(r->m[i].st, NULL, NULL, 2);
            memset(sm, 0, sizeof(*sm));
            continue;
        }
        /* The recorder's key would decrypt what it sends; it sends us nothing we use,
         * but a broken a=crypto is still a broken answer. */
        ar_crypto rk;
        int rc = md_srtp_pick_crypto(am, (int)sm->out.tag, &rk);
        if (rc != AR_E_OK)
            return rc;
        if (!sm->have_in || memcmp(rk.key, sm->in.key, sizeof(rk.key)) != 0) {
            char fp[17];
            ar_crypto_fingerprint(&rk, fp);
            LOG_INFO(media, "rec %s m=%d: recorder key %s", r->record_id, i, fp);
        }
        sm->in = rk;
        sm->have_in = 1;
        memset(&rk, 0, sizeof(rk));
    }
    return AR_E_OK;
}

void md_srtp_free(struct md_srtp_state **ps)
{
    if (!*ps)
        return;
    memset(*ps, 0, sizeof(**ps)); /* no key material left in freed memory */
    free(*ps);
    *ps = NULL;
}
