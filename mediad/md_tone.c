/* Compliance tones: who hears them, which recorded channel carries them, the RTP-clocked player. */
#include "md_tone.h"

#include "ar_err.h"
#include "ar_g711.h"
#include "ar_log.h"
#include "md_fetch.h"
#include "md_sip.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- worker side ---- */

void md_tone_play_set(md_tone_play *p, const int16_t *pcm, uint32_t n, uint32_t silence)
{
    memset(p, 0, sizeof(*p));
    if (!pcm || n == 0)
        return;
    p->pcm = pcm;
    p->n = n;
    p->period = n + silence;
}

int md_tone_play_mix(md_tone_play *p, const uint8_t *pkt, size_t len, const ar_rtp_hdr *h,
                     uint8_t *out)
{
    if (!p->pcm)
        return 0;
    int law = ar_g711_law_of_pt(h->pt);
    if (law < 0)
        return 0; /* telephone-event, comfort noise...: untouched, the clock still runs by ts */
    uint32_t ns = h->payload_len;
    uint32_t at = p->pos;
    if (p->started && h->ssrc == p->ssrc) {
        /* Where this packet sits relative to the expected one: a gap (loss) moves the
         * tone on; a packet from the past or a jump over 2 s (new timeline) does not. */
        int32_t d = (int32_t)(h->ts - p->next_ts);
        if (d > 0 && d < 16000)
            at = (uint32_t)(((uint64_t)p->pos + (uint32_t)d) % p->period);
        else if (d < 0 && d > -16000)
            return 0; /* late duplicate or reordered: its share was already played */
    }
    p->started = 1;
    p->ssrc = h->ssrc;
    p->next_ts = h->ts + ns;
    p->pos = (uint32_t)(((uint64_t)at + ns) % p->period);
    /* Does any sample of [at, at + ns) fall into the tone part of the period? */
    if (at >= p->n && (uint64_t)at + ns <= p->period)
        return 0;
    int16_t add[2048];
    if (ns > sizeof(add) / sizeof(add[0]))
        return 0;
    uint32_t q = at;
    int any = 0;
    for (uint32_t i = 0; i < ns; i++) {
        add[i] = q < p->n ? p->pcm[q] : 0;
        any |= q < p->n;
        if (++q == p->period)
            q = 0;
    }
    if (!any)
        return 0;
    memcpy(out, pkt, len);
    ar_g711_mix((ar_g711_law)law, pkt + h->payload_off, add, out + h->payload_off, ns);
    return 1;
}

/* ---- control side ---- */

typedef struct {
    char *uri;          /* audiosrc of the current recording */
    const int16_t *pcm; /* from the fetch cache; NULL until loaded */
    uint32_t n;
    int failed;
    uint64_t armed_key; /* what the players were last told (0 = disarmed) */
} tone_state;

typedef struct {
    md_ctx *ctx;
    md_fetch *fetch;
    char *conf;
} fetch_ud;

long md_tone_silence_ms(const char *value)
{
    if (!value || !*value)
        return MD_TONE_DEFAULT_SILENCE_MS;
    char *end = NULL;
    long v = strtol(value, &end, 10);
    if (*end || v < 0)
        return MD_TONE_DEFAULT_SILENCE_MS;
    return v < MD_TONE_MIN_SILENCE_MS ? MD_TONE_MIN_SILENCE_MS : v;
}

/* A boolean option that is true unless it says otherwise. */
static int flag_default_on(const md_params *p, const char *name)
{
    const char *v = md_params_get(p, name);
    if (!v)
        return 1;
    return !(!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") ||
             !strcasecmp(v, "off"));
}

/*
 * record_chan1source / record_chan2source (the seed names the first one twice): the
 * value says which channel it is about, so either key may carry either channel.
 * *a_hears: the recordDN channel carries what otherDN hears; *b_hears likewise.
 */
void md_tone_channel_hears(const md_params *p, int *a_hears, int *b_hears)
{
    *a_hears = 0;
    *b_hears = 0;
    const char *keys[] = {"record_chan1source", "record_chan2source"};
    for (int i = 0; i < 2; i++) {
        const char *v = md_params_get(p, keys[i]);
        if (!v)
            continue;
        if (!strncasecmp(v, "otherdnhear", 11))
            *a_hears = 1;
        else if (!strncasecmp(v, "recorddnhear", 12))
            *b_hears = 1;
    }
}

static tone_state *state_of(md_call *c)
{
    if (!c->tone)
        c->tone = calloc(1, sizeof(tone_state));
    return c->tone;
}

void md_tone_call_free(md_call *c)
{
    tone_state *t = c->tone;
    if (!t)
        return;
    free(t->uri);
    free(t);
    c->tone = NULL;
}

static void set_leg_tone(md_leg *l, const int16_t *pcm, uint32_t n, uint32_t silence)
{
    for (int i = 0; l && i < l->nstreams; i++)
        if (l->st[i] && l->ms[i].kind == 'a')
            md_stream_set_tone(l->st[i], pcm, n, silence);
}

static void fetch_ud_free(void *p)
{
    fetch_ud *u = p;
    free(u->conf);
    free(u);
}

static void on_fetched(void *p, const char *uri, const int16_t *pcm, uint32_t n, int err,
                       const char *why)
{
    fetch_ud *u = p;
    md_call *c = g_hash_table_lookup(u->ctx->calls, u->conf);
    tone_state *t = c ? c->tone : NULL;
    if (!t || !t->uri || strcmp(t->uri, uri) != 0)
        return; /* call gone, or another audiosrc since */
    if (err != AR_E_OK) {
        t->failed = 1;
        char reason[256];
        snprintf(reason, sizeof(reason), "audiosrc: %s (%s)", why, ar_errname(err));
        const char *id = md_params_get(&c->params, "id");
        md_sip_report_failure(u->ctx, c, id && *id ? id : c->conf, uri, 0, reason);
        return;
    }
    t->pcm = pcm;
    t->n = n;
    md_tone_update(u->ctx, u->fetch, c);
}

void md_tone_update(md_ctx *ctx, md_fetch *fetch, md_call *c)
{
    const char *uri = md_params_get(&c->params, "audiosrc");
    if (!c->tone && (!c->recording || !uri || !*uri))
        return;
    tone_state *t = state_of(c);
    if (!t)
        return;
    if (c->recording && uri && *uri && (!t->uri || strcmp(t->uri, uri) != 0)) {
        free(t->uri);
        t->uri = strdup(uri);
        t->pcm = NULL;
        t->failed = 0;
        fetch_ud *u = calloc(1, sizeof(*u));
        if (t->uri && u && fetch && (u->conf = strdup(c->conf)) != NULL) {
            u->ctx = ctx;
            u->fetch = fetch;
            md_fetch_get(fetch, t->uri, on_fetched, u, fetch_ud_free);
        } else if (u) {
            free(u);
        }
    }
    md_leg *a = c->nrecs ? c->recs[0]->party[0] : NULL;
    md_leg *b = c->nrecs ? c->recs[0]->party[1] : NULL;
    int active = c->recording && !c->eff_paused && t->pcm && a;
    int a_hears_tone = flag_default_on(&c->params, "record_recorddnhearstone");
    int b_hears_tone = flag_default_on(&c->params, "record_otherdnhearstone");
    int chan_a_hears, chan_b_hears;
    md_tone_channel_hears(&c->params, &chan_a_hears, &chan_b_hears);
    /* Recorder streams copying a party carry the tone when their channel is what the
     * other party hears (which holds the tone only if that party hears it). */
    for (int r = 0; r < c->nrecs; r++) {
        md_rec *rec = c->recs[r];
        for (int k = 0; k < rec->nm; k++) {
            if (!rec->m[k].st || !rec->m[k].leg)
                continue;
            int want = rec->m[k].leg == a ? chan_a_hears : rec->m[k].leg == b ? chan_b_hears : 0;
            md_stream_set_want_tone(rec->m[k].st, want);
        }
    }
    uint64_t key = 0;
    long silence_ms = md_tone_silence_ms(md_params_get(&c->params, "tonesilenceduration"));
    if (active)
        key = ((uint64_t)(uintptr_t)t->pcm) ^ ((uint64_t)(uintptr_t)a << 1) ^
              ((uint64_t)(uintptr_t)b << 2) ^ ((uint64_t)silence_ms << 40) ^
              ((uint64_t)a_hears_tone << 62) ^ ((uint64_t)b_hears_tone << 63) ^ 1;
    if (key == t->armed_key)
        return; /* unchanged: do not restart a tone that is playing */
    t->armed_key = key;
    uint32_t silence = (uint32_t)(silence_ms * 8);
    /* What otherDN hears is recordDN's stream: its player carries otherDN's tone. */
    set_leg_tone(a, active && b_hears_tone ? t->pcm : NULL, t->n, silence);
    set_leg_tone(b, active && a_hears_tone ? t->pcm : NULL, t->n, silence);
    for (int i = 0; i < c->nlegs; i++)
        if (c->legs[i] != a && c->legs[i] != b)
            set_leg_tone(c->legs[i], NULL, 0, 0);
    LOG_INFO(media, "conference %s: tone %s (every %ld ms silence)", c->conf,
             active ? "armed" : "off", silence_ms);
}
