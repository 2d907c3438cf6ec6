/* Recording sessions without SIP: which sessions, their URIs, SDP offers and answers. */
#include "ar_err.h"
#include "ar_log.h"
#include "md_ports.h"
#include "md_recfork.h"
#include "md_session.h"
#include "md_srtp.h"
#include "md_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

/* "sip:host:port;params" / "host:port" -> "host:port" */
static int dest_hostport(const char *dest, char *out, size_t cap)
{
    const char *s = dest;
    if (!strncmp(s, "sip:", 4))
        s += 4;
    else if (!strncmp(s, "sips:", 5)) /* SIPS: md_tls.c */
        s += 5;
    const char *at = strchr(s, '@');
    if (at)
        s = at + 1;
    size_t n = strcspn(s, ";?>");
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* sip:record=<id>@<hostport>;calluuid=..;dn=..;recordDN=..[;otherDN=..][;extra...] */
static int build_ruri_into(md_rec *r, const md_params *p, const char *hostport, char *ruri,
                           size_t cap)
{
    md_call *c = r->call;
    const char *uuid = md_params_get(p, "calluuid");
    const char *recdn = md_params_get(p, "recordDN");
    md_leg *dn = r->party[0], *other = r->nparty > 1 ? r->party[1] : NULL;
    /* The id goes in the user part: escape it like a parameter, minus the ';'. */
    char user[MD_ID_LEN * 3 + 16] = "";
    if (md_params_append_uri(user, sizeof(user), "record", r->record_id))
        return -1;
    char tp[24]; /* sips: and ;transport= of the dest are kept (md_tls.c) */
    snprintf(ruri, cap, "%s:%s@%s%s", md_tls_dest_scheme(r->dest), user + 1, hostport,
             md_tls_dest_transport(r->dest, tp, sizeof(tp)));
    int rc = md_params_append_uri(ruri, cap, "calluuid", uuid && *uuid ? uuid : c->conf);
    rc |= md_params_append_uri(ruri, cap, "dn", dn ? dn->dn : "");
    rc |= md_params_append_uri(ruri, cap, "recordDN", recdn && *recdn ? recdn : dn->dn);
    if (other)
        rc |= md_params_append_uri(ruri, cap, "otherDN", other->dn);
    for (int i = 0; i < p->n; i++)
        if (!md_params_is_known(p->kv[i].name))
            rc |= md_params_append_uri(ruri, cap, p->kv[i].name, p->kv[i].value);
    return rc ? -1 : 0;
}

/*
 * destfork (a parallel recorder pool, docs/pools.md): the recorders of dest's session,
 * comma-separated. Each gets its own Request-URI (built as for dest); fewer than two
 * usable ones leave a plain session. -1 on a bad URI.
 */
static int plan_forks(md_rec *r, const md_params *p)
{
    const char *list = md_params_get(p, "destfork");
    if (r->dest_index != 0 || !list || !*list)
        return 0;
    char *saved = r->dest, *buf = malloc(2048), *copy = strdup(list);
    int rc = buf && copy ? 0 : -1;
    for (char *save = NULL, *u = copy ? strtok_r(copy, ", ", &save) : NULL; u && !rc;
         u = strtok_r(NULL, ", ", &save)) {
        char hostport[256];
        if (r->nfork >= MD_MAX_FORK)
            break;
        if (strlen(u) >= MD_DEST_LEN || dest_hostport(u, hostport, sizeof hostport)) {
            rc = -1;
            break;
        }
        r->dest = u; /* scheme and transport of this fork, for build_ruri_into */
        if (build_ruri_into(r, p, hostport, buf, 2048)) {
            rc = -1;
            break;
        }
        r->fork_dest[r->nfork] = strdup(u);
        r->fork_ruri[r->nfork] = strdup(buf);
        if (!r->fork_dest[r->nfork] || !r->fork_ruri[r->nfork])
            rc = -1;
        r->nfork++;
    }
    r->dest = saved;
    if (rc || r->nfork < 2)
        md_recfork_release(r);
    free(buf);
    free(copy);
    return rc;
}

/* The Request-URI is kept on the heap at its real length (usually ~120 bytes). */
static int build_ruri(md_rec *r, const md_params *p, const char *hostport)
{
    char *buf = malloc(2048);
    int rc = buf ? build_ruri_into(r, p, hostport, buf, 2048) : -1;
    if (rc == 0) {
        free(r->ruri);
        r->ruri = strdup(buf);
        rc = r->ruri ? 0 : -1;
    }
    free(buf);
    return rc;
}

/* Add the party's recordable m= lines (audio, plus video unless audio-only). */
static int add_party_media(md_rec *r, md_leg *l, char kind)
{
    if (!l || !l->sdp)
        return 0;
    for (int i = 0; i < l->nstreams; i++) {
        if (!l->st[i] || l->ms[i].kind != kind)
            continue;
        if (r->nm >= MD_REC_MAX_MEDIA)
            return -1;
        md_rec_media *m = &r->m[r->nm++];
        m->leg = l;
        m->leg_m = i;
        snprintf(m->label, sizeof(m->label), "%d", r->nm);
    }
    return 0;
}

static int alloc_rec_streams(md_rec *r, const md_media_env *env)
{
    for (int i = 0; i < r->nm; i++) {
        md_rec_media *m = &r->m[i];
        md_port_pair pp;
        int rc = md_ports_alloc(env->ports, &pp);
        if (rc != AR_E_OK)
            return rc;
        uint32_t clock = m->leg->ms[m->leg_m].clock;
        m->st = md_stream_new(env->engine, pp.rtp_fd, pp.rtcp_fd, pp.port, clock, 0);
        if (!m->st) {
            close(pp.rtp_fd);
            close(pp.rtcp_fd);
            md_ports_release(env->ports, pp.port);
            return AR_E_MEDIA_NO_PORTS;
        }
        m->port = pp.port;
        /* Nothing flows until the recorder answered with an address. */
        md_stream_set_sending(m->st, 0);
    }
    return AR_E_OK;
}

static md_rec *new_rec(md_call *c, int dest_index, const char *dest, const char *id, int siprec)
{
    if (c->nrecs >= MD_MAX_RECS)
        return NULL;
    md_rec *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->kind = MD_KIND_REC;
    r->call = c;
    r->dest_index = dest_index;
    r->dest = md_strdup_cap(dest, MD_DEST_LEN);
    r->record_id = md_strdup_cap(id, MD_ID_LEN);
    if (!r->dest || !r->record_id) {
        free(r->dest);
        free(r->record_id);
        free(r);
        return NULL;
    }
    r->siprec = siprec;
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != sizeof(v))
        v = (uint32_t)getpid();
    r->sess_id = v;
    r->version = 1;
    r->fsm.want_paused = c->paused || c->muted || c->copy_paused[dest_index ? 1 : 0];
    r->upd_sent = c->upd_seq; /* its Request-URI already has the merged params */
    c->recs[c->nrecs++] = r;
    return r;
}

/* Recorded parties in m= order: joined legs (or all legs when none was joined). */
static int recorded_parties(md_call *c, md_leg **out)
{
    int n = 0;
    /* The two legs joined last, in join order (joined counts up, md_sip.c); equal
       values keep leg order. */
    md_leg *first = NULL, *second = NULL;
    for (int i = 0; i < c->nlegs; i++) {
        md_leg *l = c->legs[i];
        if (!l->joined)
            continue;
        if (!second || l->joined >= second->joined) {
            first = second;
            second = l;
        } else if (!first || l->joined >= first->joined) {
            first = l;
        }
    }
    if (first)
        out[n++] = first;
    if (second)
        out[n++] = second;
    for (int i = 0; i < c->nlegs && n == 0; i++)
        out[n++] = c->legs[i];
    for (int i = 1; i < c->nlegs && n == 1; i++)
        out[n++] = c->legs[i];
    return n;
}

int md_call_plan_recording(md_call *c, const md_media_env *env)
{
    md_leg *parties[2] = {NULL, NULL};
    int np = recorded_parties(c, parties);
    if (np == 0)
        return AR_E_MSML_UNKNOWN_CONN;
    long mediactl = md_params_int(&c->params, "recmediactl", 2);
    int audio_only = md_params_flag(&c->params, "audio-only");
    const char *dests[2] = {md_params_get(&c->params, "dest"), md_params_get(&c->params, "dest2")};
    /* Without a recorder only the local WAV records (localrecord=true, md_localwav.c):
       gatewayd's pre-recording keeps a call that way until someone asks for it. */
    if ((!dests[0] || !*dests[0]) && !c->fo_plan && !md_params_flag(&c->params, "localrecord"))
        return AR_E_MISSING_ATTRIBUTE;
    const char *id = md_params_get(&c->params, "id");
    char idbuf[MD_ID_LEN];
    if (!id || !*id) {
        snprintf(idbuf, sizeof(idbuf), "%s", c->conf);
        id = idbuf;
    }
    if (c->fo_plan && (!dests[c->fo_plan - 1] || !*dests[c->fo_plan - 1]))
        return AR_E_MISSING_ATTRIBUTE;
    for (int d = 0; d < 2; d++) {
        if (!dests[d] || !*dests[d] || (c->fo_plan && d != c->fo_plan - 1))
            continue;
        char hostport[256];
        if (dest_hostport(dests[d], hostport, sizeof(hostport)))
            return AR_E_INVALID_VALUE;
        const char *dial = md_params_get(&c->params, d ? "dialect2" : "dialect");
        if (d && !dial)
            dial = md_params_get(&c->params, "dialect");
        int siprec = dial && !strcmp(dial, "siprec");
        /* dest2 is an independent duplicate: its own record id. */
        char rid[MD_ID_LEN];
        const char *id2 = md_params_get(&c->params, "id2");
        if (d == 0)
            snprintf(rid, sizeof(rid), "%s", id);
        else if (id2 && *id2)
            snprintf(rid, sizeof(rid), "%s", id2);
        else
            snprintf(rid, sizeof(rid), "%.100s-2", id);
        int nsess = (mediactl == 1 || np == 1) ? 1 : np;
        for (int s = 0; s < nsess; s++) {
            char sid[MD_ID_LEN];
            if (nsess == 1)
                snprintf(sid, sizeof(sid), "%s", rid);
            else
                snprintf(sid, sizeof(sid), "%.60s-%.60s", rid, parties[s]->dn);
            md_rec *r = new_rec(c, d, dests[d], sid, siprec);
            if (!r)
                return AR_E_NOMEM;
            if (nsess == 1) {
                r->party[0] = parties[0];
                r->party[1] = parties[1];
                r->nparty = np;
            } else {
                r->party[0] = parties[s];
                r->party[1] = parties[1 - s];
                r->nparty = 1; /* otherDN only names the second party in one session */
            }
            /* Audio first (dn, then otherDN), then video in the same order. */
            int rc = 0;
            for (int k = 0; k < r->nparty; k++)
                rc |= add_party_media(r, r->party[k], 'a');
            for (int k = 0; k < r->nparty && !audio_only; k++)
                rc |= add_party_media(r, r->party[k], 'v');
            if (rc || build_ruri(r, &c->params, hostport) || plan_forks(r, &c->params))
                return AR_E_INVALID_VALUE;
            if ((rc = alloc_rec_streams(r, env)) != AR_E_OK)
                return rc;
            if ((rc = md_srtp_rec_plan(r, &c->params, env)) != AR_E_OK) /* md_srtp.c */
                return rc;
        }
    }
    md_call_rewire(c);
    return AR_E_OK;
}

int md_rec_build_sdp(md_rec *r, const md_media_env *env, char *buf, size_t cap)
{
    /* Parse each recorded party's SDP once for its format lists. */
    ar_sdp *ps[2] = {NULL, NULL};
    ar_sdp *s = malloc(sizeof(*s));
    if (!s)
        return AR_E_NOMEM;
    for (int k = 0; k < 2 && k < r->nparty; k++)
        ps[k] = r->party[k] ? md_leg_parse_sdp(r->party[k]) : NULL;
    ar_sdp_init(s, "mediad", r->sess_id, r->version, env->media_addr);
    for (int i = 0; i < r->nm; i++) {
        md_rec_media *m = &r->m[i];
        const ar_sdp *src = NULL;
        for (int k = 0; k < 2 && k < r->nparty; k++)
            if (m->leg && m->leg == r->party[k])
                src = ps[k];
        const ar_sdp_media *pm = src && m->leg_m < src->nmedia ? &src->media[m->leg_m] : NULL;
        ar_sdp_media *om = ar_sdp_add_media(s, pm ? pm->type : "audio", m->port, "RTP/AVP");
        if (pm)
            ar_sdp_media_copy_fmts(om, pm);
        else
            ar_sdp_media_add_fmt(om, 0, "PCMU", 8000, 0, NULL);
        om->dir = r->fsm.sent_paused ? AR_SDP_DIR_INACTIVE : AR_SDP_DIR_SENDONLY;
        snprintf(om->label, sizeof(om->label), "%s", m->label);
    }
    md_srtp_rec_offer(r, s); /* RTP/SAVP + fresh a=crypto when the session is secure */
    size_t len;
    int rc = ar_sdp_build(s, buf, cap, &len);
    free(s);
    free(ps[0]);
    free(ps[1]);
    return rc;
}

/* Does the answer's m= line keep one of the formats offered (the party's own)? */
static int answer_codec_ok(const md_rec_media *m, const ar_sdp_media *am)
{
    ar_sdp *ps = m->leg ? md_leg_parse_sdp(m->leg) : NULL;
    int ok = 1;
    if (ps && m->leg_m < ps->nmedia) {
        const ar_sdp_media *pm = &ps->media[m->leg_m];
        ok = 0;
        for (int i = 0; !ok && i < am->nfmt; i++)
            for (int k = 0; !ok && k < pm->nfmt; k++) {
                const ar_sdp_fmt *a = &am->fmt[i], *o = &pm->fmt[k];
                if (a->enc[0] && o->enc[0])
                    ok = !strcasecmp(a->enc, o->enc) && (!a->clock || a->clock == o->clock);
                else
                    ok = a->pt >= 0 && a->pt < 96 && a->pt == o->pt; /* static types */
            }
    }
    free(ps);
    return ok;
}

int md_rec_apply_answer(md_rec *r, const char *body, size_t len)
{
    ar_sdp *a = malloc(sizeof(*a));
    if (!a)
        return AR_E_NOMEM;
    int rc = ar_sdp_parse(body, len, a);
    if (rc == AR_E_OK && a->nmedia != r->nm)
        rc = AR_E_SDP_MALFORMED;
    for (int i = 0; rc == AR_E_OK && i < r->nm; i++) {
        md_rec_media *m = &r->m[i];
        const ar_sdp_media *am = &a->media[i];
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(am->port)};
        m->rejected = am->port == 0 || ar_sdp_media_dir(am) == AR_SDP_DIR_SENDONLY ||
                      inet_pton(AF_INET, am->addr, &sa.sin_addr) != 1;
        if (m->rejected)
            sa.sin_port = 0;
        if (m->st)
            md_stream_set_remote(m->st, &sa, NULL, 0);
    }
    /* A recording needs audio: an answer that rejects every audio stream (port 0) or keeps
       none of the offered codecs is unusable, and the session fails (failover applies). */
    int audio = 0, audio_ok = 0, codec_bad = 0;
    for (int i = 0; rc == AR_E_OK && i < r->nm; i++) {
        md_rec_media *m = &r->m[i];
        if (!m->leg || m->leg->ms[m->leg_m].kind != 'a')
            continue;
        audio++;
        if (m->rejected)
            continue;
        if (!answer_codec_ok(m, &a->media[i])) {
            codec_bad++;
            continue;
        }
        audio_ok++;
    }
    if (rc == AR_E_OK && audio && !audio_ok)
        rc = codec_bad ? AR_E_SDP_NO_CODEC : AR_E_SDP_NO_AUDIO;
    if (rc == AR_E_OK)
        rc = md_srtp_rec_answer(r, a); /* RTP/AVP answer: fallback or refuse */
    free(a);
    return rc;
}

void md_rec_set_media(md_rec *r, int on)
{
    for (int i = 0; i < r->nm; i++)
        if (r->m[i].st)
            md_stream_set_sending(r->m[i].st, on && !r->m[i].rejected);
}

static void stats_line(char *buf, size_t cap, size_t *off, const char *who, const char *dn, int m,
                       const md_stream *st, const char *state)
{
    md_stream_stats s;
    md_stream_get_stats(st, &s);
    if (*off >= cap)
        return;
    int n = snprintf(buf + *off, cap - *off,
                     "%s=%s m=%d port=%u rx_packets=%llu rx_bytes=%llu lost=%llu jitter_us=%llu "
                     "foreign=%llu malformed=%llu rtcp=%llu tx_packets=%llu tx_bytes=%llu "
                     "srtp_auth_fail=%llu srtp_replay=%llu srtp_error=%llu%s%s\n",
                     who, dn, m, md_stream_port(st), (unsigned long long)s.rx_packets,
                     (unsigned long long)s.rx_bytes, (unsigned long long)s.rx_lost,
                     (unsigned long long)s.jitter_us, (unsigned long long)s.dropped_foreign,
                     (unsigned long long)s.malformed, (unsigned long long)s.rtcp_rx,
                     (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes,
                     (unsigned long long)s.srtp_auth_fail, (unsigned long long)s.srtp_replay,
                     (unsigned long long)s.srtp_error, state ? " state=" : "", state ? state : "");
    if (n > 0)
        *off += (size_t)n;
}

void md_call_stats_text(md_call *c, char *buf, size_t cap)
{
    size_t off = 0;
    if (cap)
        buf[0] = '\0';
    for (int i = 0; i < c->nlegs; i++)
        for (int k = 0; k < c->legs[i]->nstreams; k++)
            if (c->legs[i]->st[k])
                stats_line(buf, cap, &off, "leg", c->legs[i]->dn, k, c->legs[i]->st[k], NULL);
    for (int i = 0; i < c->nrecs; i++)
        for (int k = 0; k < c->recs[i]->nm; k++)
            if (c->recs[i]->m[k].st)
                stats_line(buf, cap, &off, "rec", c->recs[i]->record_id, k, c->recs[i]->m[k].st,
                           md_rec_state_name(c->recs[i]->fsm.state));
}
