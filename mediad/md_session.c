/* Call model: party legs and their streams, bridging, recording-session planning. */
#include "md_session.h"

#include "ar_err.h"
#include "ar_log.h"
#include "md_ports.h"
#include "md_recfork.h"
#include "md_srtp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static uint64_t rand_u32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != sizeof(v))
        v = (uint32_t)getpid();
    return v;
}

char *md_strdup_cap(const char *s, size_t cap)
{
    return strndup(s ? s : "", cap - 1);
}

md_call *md_call_new(md_ctx *ctx, const char *conf)
{
    md_call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ctx = ctx;
    c->conf = md_strdup_cap(conf, MD_ID_LEN);
    if (!c->conf) {
        free(c);
        return NULL;
    }
    md_params_init(&c->params);
    return c;
}

static void leg_release_streams(md_leg *l, const md_media_env *env)
{
    for (int i = 0; i < l->nstreams; i++) {
        if (l->st[i]) {
            md_stream_release(&l->st[i]);
            md_ports_release(env->ports, l->port[i]);
        }
    }
    l->nstreams = 0;
}

void md_rec_release(md_rec *r, const md_media_env *env)
{
    md_call *c = r->call;
    for (int i = 0; i < c->nrecs; i++) {
        if (c->recs[i] == r) {
            c->recs[i] = c->recs[--c->nrecs];
            break;
        }
    }
    /* Unhook from the party streams first: the worker applies commands in order. */
    md_call_rewire(c);
    for (int i = 0; i < r->nm; i++) {
        if (r->m[i].st) {
            md_stream_release(&r->m[i].st);
            md_ports_release(env->ports, r->m[i].port);
        }
    }
    md_srtp_free(&r->srtp);
    md_recfork_release(r);
    free(r->ruri);
    free(r->record_id);
    free(r->dest);
    free(r);
}

void md_call_free(md_call **pc, const md_media_env *env)
{
    md_call *c = *pc;
    if (!c)
        return;
    while (c->nrecs)
        md_rec_release(c->recs[0], env);
    while (c->nlegs)
        md_call_remove_leg(c, c->legs[0], env);
    md_mixer_call_free(c);
    md_params_clear(&c->params);
    free(c->conf);
    free(c);
    *pc = NULL;
}

md_leg *md_call_add_leg(md_call *c, const char *dn, const char *callid)
{
    if (c->nlegs >= MD_MAX_LEGS)
        return NULL;
    md_leg *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->kind = MD_KIND_LEG;
    l->call = c;
    l->dn = md_strdup_cap(dn, MD_DN_LEN);
    l->callid = md_strdup_cap(callid, MD_ID_LEN);
    if (!l->dn || !l->callid) {
        free(l->dn);
        free(l->callid);
        free(l);
        return NULL;
    }
    md_params_init(&l->uri);
    l->sess_id = rand_u32();
    l->version = 1;
    c->legs[c->nlegs++] = l;
    return l;
}

void md_call_remove_leg(md_call *c, md_leg *l, const md_media_env *env)
{
    for (int i = 0; i < c->nlegs; i++) {
        if (c->legs[i] == l) {
            memmove(&c->legs[i], &c->legs[i + 1], (size_t)(c->nlegs - i - 1) * sizeof(l));
            c->nlegs--;
            break;
        }
    }
    if (c->ctl == l)
        c->ctl = c->nlegs ? c->legs[0] : NULL;
    /* Recording sessions keep their dialog but stop copying this party. */
    for (int i = 0; i < c->nrecs; i++) {
        md_rec *r = c->recs[i];
        for (int k = 0; k < r->nm; k++)
            if (r->m[k].leg == l)
                r->m[k].leg = NULL;
        for (int k = 0; k < r->nparty; k++)
            if (r->party[k] == l)
                r->party[k] = NULL;
    }
    md_call_rewire(c);
    leg_release_streams(l, env);
    md_params_clear(&l->uri);
    md_srtp_free(&l->srtp);
    free(l->sdp);
    free(l->dn);
    free(l->callid);
    free(l->ms);
    free(l->st);
    free(l->port);
    free(l);
}

/* "conn:<x>": x is the leg's DN or Call-ID; a bare value is accepted too. */
md_leg *md_call_find_leg(md_call *c, const char *conn)
{
    const char *id = strncmp(conn, "conn:", 5) == 0 ? conn + 5 : conn;
    for (int i = 0; i < c->nlegs; i++)
        if (strcmp(c->legs[i]->dn, id) == 0 || strcmp(c->legs[i]->callid, id) == 0)
            return c->legs[i];
    return NULL;
}

static int media_supported(const ar_sdp_media *m)
{
    return m->port != 0 && (!strcmp(m->type, "audio") || !strcmp(m->type, "video")) &&
           (!strcmp(m->proto, "RTP/AVP") || !strcmp(m->proto, "RTP/AVPF") ||
            (md_srtp_proto_secure(m->proto) && md_srtp_media_usable(m)));
}

static uint32_t media_clock(const ar_sdp_media *m)
{
    if (m->nfmt > 0 && m->fmt[0].clock)
        return m->fmt[0].clock;
    return strcmp(m->type, "video") == 0 ? 90000 : 8000;
}

static int to_sockaddr(const char *addr, uint16_t port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

ar_sdp *md_leg_parse_sdp(const md_leg *l)
{
    if (!l->sdp)
        return NULL;
    ar_sdp *s = malloc(sizeof(*s));
    if (s && ar_sdp_parse(l->sdp, strlen(l->sdp), s) != AR_E_OK) {
        free(s);
        s = NULL;
    }
    return s;
}

/* Room for n m= lines in the leg's per-line arrays (new entries zeroed); 0 or -1. */
static int grow_media(md_leg *l, int n)
{
    md_media_sum *ms = realloc(l->ms, (size_t)n * sizeof(*ms));
    if (ms)
        l->ms = ms;
    md_stream **st = ms ? realloc(l->st, (size_t)n * sizeof(*st)) : NULL;
    if (st)
        l->st = st;
    uint16_t *port = st ? realloc(l->port, (size_t)n * sizeof(*port)) : NULL;
    if (!port)
        return -1;
    l->port = port;
    size_t k = (size_t)l->mcap, add = (size_t)(n - l->mcap);
    memset(l->ms + k, 0, add * sizeof(*ms));
    memset(l->st + k, 0, add * sizeof(*st));
    memset(l->port + k, 0, add * sizeof(*port));
    l->mcap = n;
    return 0;
}

int md_leg_apply_sdp(md_leg *l, const ar_sdp *sdp, const char *text, size_t len,
                     const md_media_env *env)
{
    int first = l->sdp == NULL;
    if (!first && sdp->nmedia < l->nstreams)
        return AR_E_SDP_MALFORMED; /* RFC 3264 8: m= lines are never removed */
    if (sdp->nmedia > l->mcap && grow_media(l, sdp->nmedia) != 0)
        return AR_E_NOMEM;
    char *copy = malloc(len + 1);
    if (!copy)
        return AR_E_NOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    for (int i = l->nstreams; i < sdp->nmedia; i++) {
        l->st[i] = NULL;
        l->port[i] = 0;
        if (!media_supported(&sdp->media[i]))
            continue;
        md_port_pair pp;
        int rc = md_ports_alloc(env->ports, &pp);
        if (rc != AR_E_OK) {
            l->nstreams = i;
            free(copy);
            return rc;
        }
        l->st[i] = md_stream_new(env->engine, pp.rtp_fd, pp.rtcp_fd, pp.port,
                                 media_clock(&sdp->media[i]), 1);
        if (!l->st[i]) {
            close(pp.rtp_fd);
            close(pp.rtcp_fd);
            md_ports_release(env->ports, pp.port);
            l->nstreams = i;
            free(copy);
            return AR_E_MEDIA_NO_PORTS;
        }
        l->port[i] = pp.port;
    }
    if (sdp->nmedia > l->nstreams)
        l->nstreams = sdp->nmedia;
    for (int i = 0; i < l->nstreams; i++) {
        const ar_sdp_media *m = &sdp->media[i];
        md_media_sum sum = {.kind = !strcmp(m->type, "audio")   ? 'a'
                                    : !strcmp(m->type, "video") ? 'v'
                                                                : 0,
                            .dir = (uint8_t)ar_sdp_media_dir(m),
                            .port = m->port,
                            .clock = media_clock(m)};
        struct in_addr ia;
        if (inet_pton(AF_INET, m->addr, &ia) == 1)
            sum.addr = ia.s_addr;
        int moved = first || sum.addr != l->ms[i].addr || sum.port != l->ms[i].port;
        l->ms[i] = sum;
        if (!l->st[i])
            continue;
        struct sockaddr_in rtp, rtcp;
        if (to_sockaddr(m->addr, m->port, &rtp) != 0)
            memset(&rtp, 0, sizeof(rtp)); /* hostname or IPv6: rely on latching */
        rtcp = rtp;
        if (m->rtcp_mux)
            rtcp.sin_port = rtp.sin_port;
        else if (m->rtcp_port)
            rtcp.sin_port = htons(m->rtcp_port);
        else
            rtcp.sin_port = htons((uint16_t)(m->port + 1));
        md_stream_set_remote(l->st[i], &rtp, &rtcp, moved);
    }
    int src = md_srtp_leg_apply(l, sdp); /* SRTP keys per stream (md_srtp.c) */
    if (src != AR_E_OK) {
        free(copy);
        return src;
    }
    free(l->sdp);
    l->sdp = copy;
    return AR_E_OK;
}

int md_leg_build_sdp(md_leg *l, int as_answer, const md_media_env *env, char *buf, size_t cap)
{
    ar_sdp *remote = md_leg_parse_sdp(l);
    ar_sdp *s = malloc(sizeof(*s));
    if (!s || !remote) {
        free(s);
        free(remote);
        return AR_E_NOMEM;
    }
    uint16_t ports[AR_SDP_MAX_MEDIA] = {0};
    for (int i = 0; i < l->nstreams; i++)
        ports[i] = l->st[i] ? l->port[i] : 0;
    ar_sdp_make_answer(remote, "mediad", l->sess_id, l->version, env->media_addr, ports,
                       as_answer ? AR_SDP_DIR_UNSET : AR_SDP_DIR_SENDRECV, s);
    if (!as_answer)
        for (int i = 0; i < s->nmedia; i++)
            s->media[i].dir =
                l->ms[i].dir == AR_SDP_DIR_INACTIVE ? AR_SDP_DIR_INACTIVE : AR_SDP_DIR_SENDRECV;
    md_srtp_leg_sdp(l, s); /* our a=crypto on the secure lines */
    size_t len;
    int rc = ar_sdp_build(s, buf, cap, &len);
    free(s);
    free(remote);
    return rc;
}

/* The k-th m= line of type t in the peer leg, matching by type order. */
static md_stream *peer_stream(const md_leg *peer, const md_leg *l, int i)
{
    if (!peer->sdp || !l->sdp || !l->ms[i].kind)
        return NULL;
    char kind = l->ms[i].kind;
    int k = 0;
    for (int j = 0; j < i; j++)
        if (l->ms[j].kind == kind)
            k++;
    for (int j = 0; j < peer->nstreams; j++)
        if (peer->ms[j].kind == kind && k-- == 0)
            return peer->st[j];
    return NULL;
}

void md_call_rewire(md_call *c)
{
    int mixing = md_mixer_wanted(c);
    md_mixer_shape(c); /* conference: what each recorded m= line carries */
    for (int li = 0; li < c->nlegs; li++) {
        md_leg *l = c->legs[li];
        md_leg *peer = NULL;
        /* Two-party bridge: the first other leg is the peer. */
        for (int p = 0; p < c->nlegs && !peer; p++)
            if (c->legs[p] != l)
                peer = c->legs[p];
        for (int i = 0; i < l->nstreams; i++) {
            if (!l->st[i])
                continue;
            md_stream *sinks[MD_MAX_SINKS];
            int rtcp[MD_MAX_SINKS];
            int n = 0;
            md_stream *ps = peer ? peer_stream(peer, l, i) : NULL;
            if (mixing && l->ms[i].kind == 'a')
                ps = NULL; /* conference: the mixer sends what each party hears */
            if (ps) {
                sinks[n] = ps;
                rtcp[n++] = 1;
            }
            for (int r = 0; r < c->nrecs && n < MD_MAX_SINKS; r++) {
                md_rec *rec = c->recs[r];
                for (int k = 0; k < rec->nm && n < MD_MAX_SINKS; k++) {
                    const md_rec_media *rm = &rec->m[k];
                    md_leg *src = rm->conf_leg ? rm->conf_leg : rm->leg; /* conference shape */
                    int src_m = rm->conf_leg ? rm->conf_m : rm->leg_m;
                    if (src == l && src_m == i && rm->st && !rm->conf_mix) {
                        sinks[n] = rec->m[k].st;
                        rtcp[n++] = 0;
                    }
                }
            }
            md_stream_set_sinks(l->st[i], sinks, rtcp, n);
        }
    }
    md_mixer_update(c); /* conference mixer on/off/reconfigured with the wiring */
}
