/* Conference mixer: per-input jitter rings, one sum per tick, minus-own per output, encode. */
#include "md_mixer.h"

#include "ar_g711.h"
#include "ar_log.h"
#include "md_session.h"

#include <stdlib.h>
#include <string.h>

md_mixer *md_mixer_new(void)
{
    md_mixer *m = calloc(1, sizeof(*m));
    if (m)
        memset(m->in_law, -1, sizeof(m->in_law));
    return m;
}

void md_mixer_input(md_mixer *m, int i, int pt, const uint8_t *payload, size_t n)
{
    int law = ar_g711_law_of_pt(pt);
    if (law < 0 || i < 0 || i >= m->cfg.nin)
        return;
    m->in_law[i] = (int8_t)law;
    int16_t *r = m->ring[i];
    for (size_t k = 0; k < n; k++) {
        if (m->rcount[i] == MD_MIX_RING) { /* overrun: drop the oldest sample */
            m->rhead[i] = (m->rhead[i] + 1) % MD_MIX_RING;
            m->rcount[i]--;
        }
        r[(m->rhead[i] + m->rcount[i]) % MD_MIX_RING] =
            ar_g711_decode((ar_g711_law)law, payload[k]);
        m->rcount[i]++;
    }
}

static void pull(md_mixer *m, int i)
{
    m->have[i] = 0;
    if (!m->primed[i] && m->rcount[i] >= 2 * MD_MIX_FRAME)
        m->primed[i] = 1;
    if (m->primed[i] && m->rcount[i] < MD_MIX_FRAME)
        m->primed[i] = 0; /* ran dry: wait for 40 ms again */
    if (!m->primed[i])
        return;
    /* Latency stays bounded: beyond 100 ms buffered, skip to the newest 40 ms. */
    if (m->rcount[i] > 5 * MD_MIX_FRAME) {
        uint32_t skip = m->rcount[i] - 2 * MD_MIX_FRAME;
        m->rhead[i] = (m->rhead[i] + skip) % MD_MIX_RING;
        m->rcount[i] -= skip;
    }
    for (int k = 0; k < MD_MIX_FRAME; k++)
        m->frame[i][k] = m->ring[i][(m->rhead[i] + (uint32_t)k) % MD_MIX_RING];
    m->rhead[i] = (m->rhead[i] + MD_MIX_FRAME) % MD_MIX_RING;
    m->rcount[i] -= MD_MIX_FRAME;
    m->have[i] = 1;
}

void md_mixer_tick(md_mixer *m,
                   void (*send)(void *ud, md_mixer *m, int o, int pt, const uint8_t *payload,
                                size_t n),
                   void *ud)
{
    int32_t sum[MD_MIX_FRAME];
    memset(sum, 0, sizeof(sum));
    uint32_t present = 0;
    for (int i = 0; i < m->cfg.nin; i++) {
        pull(m, i);
        if (!m->have[i])
            continue;
        present |= 1u << i;
        for (int k = 0; k < MD_MIX_FRAME; k++)
            sum[k] += m->frame[i][k];
    }
    for (int o = 0; o < m->cfg.nout; o++) {
        if (!m->cfg.out[o])
            continue;
        uint32_t mask = m->cfg.mask[o] & present;
        int li = m->cfg.law_of[o];
        int law = li >= 0 && li < m->cfg.nin && m->in_law[li] >= 0 ? m->in_law[li] : AR_G711_ULAW;
        uint8_t payload[MD_MIX_FRAME];
        /* Start from the full sum and take out the inputs this output must not hear. */
        uint32_t minus = present & ~mask;
        for (int k = 0; k < MD_MIX_FRAME; k++) {
            int32_t v = sum[k];
            for (int i = 0; minus >> i; i++)
                if (minus & (1u << i))
                    v -= m->frame[i][k];
            v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
            payload[k] = ar_g711_encode((ar_g711_law)law, (int16_t)v);
        }
        send(ud, m, o, law == AR_G711_ALAW ? 8 : 0, payload, MD_MIX_FRAME);
    }
}

void md_mixer_drop_stream(md_mixer *m, const md_stream *s)
{
    for (int i = 0; i < m->cfg.nin; i++)
        if (m->cfg.in[i] == s)
            m->cfg.in[i] = NULL;
    for (int o = 0; o < m->cfg.nout; o++)
        if (m->cfg.out[o] == s)
            m->cfg.out[o] = NULL;
}

/* ---- control glue ---- */

static int leg_audio_m(const md_leg *l)
{
    for (int i = 0; i < l->nstreams; i++)
        if (l->st[i] && l->ms[i].kind == 'a')
            return i;
    return -1;
}

static md_stream *leg_audio(const md_leg *l)
{
    int i = leg_audio_m(l);
    return i >= 0 ? l->st[i] : NULL;
}

/* The supervisor: a leg whose Request-URI has role=supervisor, or whose DN the
 * recording's supervisor parameter names. NULL when none has audio. */
static md_leg *supervisor_leg(const md_call *c)
{
    const char *dn = md_params_get(&c->params, "supervisor");
    for (int i = 0; i < c->nlegs; i++) {
        md_leg *l = c->legs[i];
        const char *role = md_params_get(&l->uri, "role");
        if (((role && !strcmp(role, "supervisor")) || (dn && *dn && !strcmp(dn, l->dn))) &&
            leg_audio(l))
            return l;
    }
    return NULL;
}

/* The audio m= line of a session that copies party p, or NULL. */
static md_rec_media *rec_line(md_rec *r, const md_leg *p)
{
    for (int k = 0; p && k < r->nm; k++)
        if (r->m[k].leg == p && p->ms[r->m[k].leg_m].kind == 'a')
            return &r->m[k];
    return NULL;
}

void md_mixer_shape(md_call *c)
{
    int mixing = md_mixer_wanted(c);
    md_leg *sup = mixing ? supervisor_leg(c) : NULL;
    for (int r = 0; r < c->nrecs; r++) {
        md_rec *rec = c->recs[r];
        for (int k = 0; k < rec->nm; k++) {
            rec->m[k].conf_mix = 0;
            rec->m[k].conf_leg = NULL;
        }
        if (!mixing || rec->nparty < 2)
            continue; /* one session per party (recmediactl 2): plain copies */
        md_rec_media *first = rec_line(rec, rec->party[0]);
        md_rec_media *second = rec_line(rec, rec->party[1]);
        if (!first || !second)
            continue;
        if (sup) {
            /* The seed's shape: customer + agent mixed, the supervisor on its own. */
            if (rec->party[0] == sup) {
                second->conf_mix = 1;
                continue;
            }
            first->conf_mix = 1;
            if (rec->party[1] != sup) {
                second->conf_leg = sup;
                second->conf_m = leg_audio_m(sup);
            }
        } else {
            /* A conference without supervisor: recordDN says / recordDN hears. */
            second->conf_mix = 2;
        }
    }
}

/*
 * Supervisor monitoring: a leg whose Request-URI has monitor=silent is heard by nobody
 * (listen-only), monitor=coach only by the leg whose DN coach= names (the agent). Its own
 * output is left alone: the supervisor hears every party.
 */
static void monitor_masks(const md_call *c, md_mix_cfg *cfg)
{
    for (int i = 0; i < c->nlegs; i++) {
        const md_leg *l = c->legs[i];
        const char *mon = md_params_get(&l->uri, "monitor");
        md_stream *s = mon ? leg_audio(l) : NULL;
        int j = -1;
        for (int k = 0; s && k < cfg->nin; k++)
            if (cfg->in[k] == s)
                j = k;
        if (j < 0)
            continue;
        const char *coach = strcmp(mon, "coach") == 0 ? md_params_get(&l->uri, "coach") : NULL;
        for (int o = 0; o < cfg->nin; o++) {
            if (o == j)
                continue;
            const md_leg *ol = NULL;
            for (int k = 0; k < c->nlegs && !ol; k++)
                if (leg_audio(c->legs[k]) == cfg->out[o])
                    ol = c->legs[k];
            if (coach && ol && strcmp(ol->dn, coach) == 0)
                continue;
            cfg->mask[o] &= ~(1u << j);
        }
    }
}

int md_mixer_wanted(const md_call *c)
{
    int n = 0;
    for (int i = 0; i < c->nlegs; i++)
        n += leg_audio(c->legs[i]) != NULL;
    return n >= 3;
}

void md_mixer_update(md_call *c)
{
    md_mixer *m = c->mixer;
    md_stream *any = NULL;
    md_mix_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (md_mixer_wanted(c)) {
        for (int i = 0; i < c->nlegs && cfg.nin < MD_MIX_MAX; i++) {
            md_stream *s = leg_audio(c->legs[i]);
            if (s)
                cfg.in[cfg.nin++] = s;
        }
        uint32_t all = cfg.nin >= 32 ? 0xFFFFFFFFu : (1u << cfg.nin) - 1;
        for (int i = 0; i < cfg.nin; i++) {
            cfg.out[i] = cfg.in[i];
            cfg.mask[i] = all & ~(1u << i); /* everyone but themself */
            cfg.law_of[i] = (int8_t)i;
        }
        cfg.nout = cfg.nin;
        any = cfg.in[0];
        monitor_masks(c, &cfg);
        /* Recorder lines that carry a mix (md_mixer_shape). */
        md_leg *sup = supervisor_leg(c);
        for (int r = 0; r < c->nrecs; r++) {
            md_rec *rec = c->recs[r];
            for (int k = 0; k < rec->nm && cfg.nout < MD_MIX_MAX; k++) {
                md_rec_media *rm = &rec->m[k];
                if (!rm->conf_mix || !rm->st)
                    continue;
                uint32_t mask = 0;
                int law = -1;
                for (int i = 0; i < c->nlegs; i++) {
                    md_stream *s = leg_audio(c->legs[i]);
                    int idx = -1;
                    for (int j = 0; j < cfg.nin; j++)
                        if (cfg.in[j] == s)
                            idx = j;
                    if (idx < 0)
                        continue;
                    if (c->legs[i] == rm->leg)
                        law = idx;
                    if (rm->conf_mix == 1 ? c->legs[i] != sup : c->legs[i] != rec->party[0])
                        mask |= 1u << idx;
                }
                cfg.out[cfg.nout] = rm->st;
                cfg.mask[cfg.nout] = mask;
                cfg.law_of[cfg.nout++] = (int8_t)law;
            }
        }
    }
    if (!any) {
        if (m) {
            /* Back to a plain bridge: the worker unhooks and frees the mixer. */
            md_engine_mixer_del(c->mixer_engine_stream, m);
            c->mixer = NULL;
            c->mixer_engine_stream = NULL;
            LOG_INFO(media, "conference %s: mixer off", c->conf);
        }
        return;
    }
    if (!m) {
        m = md_mixer_new();
        if (!m)
            return;
        c->mixer = m;
        LOG_INFO(media, "conference %s: mixer on (%d parties)", c->conf, cfg.nin);
    }
    c->mixer_engine_stream = any;
    md_engine_mixer_set(any, m, &cfg);
}

void md_mixer_call_free(md_call *c)
{
    if (c->mixer && c->mixer_engine_stream)
        md_engine_mixer_del(c->mixer_engine_stream, c->mixer);
    c->mixer = NULL;
    c->mixer_engine_stream = NULL;
}
