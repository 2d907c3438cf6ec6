/* Local stereo G.711 WAV per call: RTP worker -> lock-free ring -> writer thread -> ar_wav. */
#include "md_localwav.h"

#include "ar_err.h"
#include "ar_g711.h"
#include "ar_log.h"
#include "ar_wav.h"
#include "md_sip.h"
#include "md_tone.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING        16384              /* entries (power of two): ~4 MiB, ~1.6 s of 100 calls */
#define RING_DATA   (RING - RING / 16) /* audio may not take the last slots: attach/detach can */
#define MAX_SAMPLES 240                /* per entry; larger payloads take several */
#define RATE_NS     125000ull          /* ns per sample at 8 kHz */

enum { E_DATA, E_ATTACH, E_DETACH };

typedef struct {
    md_localwav *lw;
    uint64_t pos;
    uint16_t n;
    uint8_t kind, ch, law;
    uint8_t data[MAX_SAMPLES];
} lw_entry;

struct md_localwav {
    md_lw_sys *sys;
    char path[512];
    int law;
    uint64_t t0_ns; /* wall-clock origin: sample 0 */
    /* Writer thread only. */
    ar_wav_writer *w;
    int refs, failed, listed;
    uint64_t end, last_sync_ns;
    md_localwav *next;
};

struct md_lw_sys {
    char dir[256];
    lw_entry *ring;
    _Atomic uint64_t head; /* written by the producer (RTP worker) */
    _Atomic uint64_t tail; /* written by the consumer (writer thread) */
    _Atomic uint64_t dropped, errors;
    atomic_int stop;
    pthread_t thread;
    md_localwav *files; /* writer thread: open files */
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_pos(const md_localwav *lw, uint64_t now_ns)
{
    return now_ns > lw->t0_ns ? (now_ns - lw->t0_ns) / RATE_NS : 0;
}

/* ---- producer (RTP worker) ---- */

static lw_entry *ring_reserve(md_lw_sys *s, unsigned limit)
{
    uint64_t h = atomic_load_explicit(&s->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&s->tail, memory_order_acquire);
    if (h - t >= limit) {
        atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
        return NULL;
    }
    return &s->ring[h & (RING - 1)];
}

static void ring_commit(md_lw_sys *s)
{
    atomic_fetch_add_explicit(&s->head, 1, memory_order_release);
}

static void push_ctl(md_localwav *lw, int kind, uint64_t pos)
{
    lw_entry *e = ring_reserve(lw->sys, RING);
    if (!e)
        return;
    e->lw = lw;
    e->kind = (uint8_t)kind;
    e->pos = pos;
    e->n = 0;
    ring_commit(lw->sys);
}

void md_lw_tap_set(md_lw_tap *t, md_localwav *lw, int ch, int tone, uint64_t now_ns)
{
    if (t->lw && t->lw != lw)
        push_ctl(t->lw, E_DETACH, wall_pos(t->lw, now_ns));
    if (lw && t->lw != lw)
        push_ctl(lw, E_ATTACH, 0);
    t->lw = lw;
    t->ch = (uint8_t)ch;
    t->tone = (uint8_t)(tone != 0);
    t->on = 1;
    t->anchored = 0;
}

void md_lw_tap_packet(md_lw_tap *t, const uint8_t *payload, const ar_rtp_hdr *h, uint64_t now_ns)
{
    md_localwav *lw = t->lw;
    int law = ar_g711_law_of_pt(h->pt);
    if (!lw || !t->on || law < 0)
        return;
    /* Position: the RTP clock from an anchor taken on the wall clock, so jitter does not
     * move samples; re-anchored on a new source or when the two drift 100 ms apart. */
    int64_t wp = (int64_t)wall_pos(lw, now_ns);
    int64_t pos = t->base_pos + (int32_t)(h->ts - t->base_ts);
    if (!t->anchored || h->ssrc != t->ssrc || pos < 0 || pos - wp > 800 || wp - pos > 800) {
        t->anchored = 1;
        t->ssrc = h->ssrc;
        t->base_ts = h->ts;
        t->base_pos = wp;
        pos = wp;
    }
    for (size_t off = 0; off < h->payload_len; off += MAX_SAMPLES) {
        size_t n = h->payload_len - off < MAX_SAMPLES ? h->payload_len - off : MAX_SAMPLES;
        lw_entry *e = ring_reserve(lw->sys, RING_DATA);
        if (!e)
            return;
        e->lw = lw;
        e->kind = E_DATA;
        e->ch = t->ch;
        e->law = (uint8_t)law;
        e->pos = (uint64_t)pos + off;
        e->n = (uint16_t)n;
        memcpy(e->data, payload + off, n);
        ring_commit(lw->sys);
    }
}

/* ---- consumer (writer thread) ---- */

static void file_close(md_lw_sys *s, md_localwav *lw)
{
    for (md_localwav **pp = &s->files; *pp; pp = &(*pp)->next) {
        if (*pp == lw) {
            *pp = lw->next;
            break;
        }
    }
    if (lw->w) {
        uint64_t late = ar_wav_writer_late(lw->w);
        if (ar_wav_writer_close(&lw->w, lw->end) != AR_E_OK)
            atomic_fetch_add(&s->errors, 1);
        LOG_INFO(media, "local recording %s closed (%llu late samples)", lw->path,
                 (unsigned long long)late);
    }
    free(lw);
}

static void handle(md_lw_sys *s, lw_entry *e)
{
    md_localwav *lw = e->lw;
    switch (e->kind) {
    case E_ATTACH:
        lw->refs++;
        if (!lw->listed) {
            lw->listed = 1;
            lw->next = s->files;
            s->files = lw;
            ar_wav_format fmt = lw->law == AR_G711_ALAW ? AR_WAV_ALAW : AR_WAV_MULAW;
            if (ar_wav_writer_open(&lw->w, lw->path, fmt, 2, MD_LW_WINDOW_MS * 8) != AR_E_OK) {
                LOG_ERR(media, "local recording %s: cannot create", lw->path);
                atomic_fetch_add(&s->errors, 1);
                lw->failed = 1;
            } else {
                LOG_INFO(media, "local recording %s opened", lw->path);
            }
        }
        break;
    case E_DETACH:
        if (e->pos > lw->end)
            lw->end = e->pos;
        if (--lw->refs <= 0)
            file_close(s, lw);
        break;
    default:
        if (!lw->w)
            break;
        if (e->law != lw->law) { /* a party on the other law: transcode */
            for (unsigned i = 0; i < e->n; i++)
                e->data[i] = ar_g711_encode((ar_g711_law)lw->law,
                                            ar_g711_decode((ar_g711_law)e->law, e->data[i]));
        }
        ar_wav_writer_put(lw->w, e->ch, e->pos, e->data, e->n);
        if (e->pos + e->n > lw->end)
            lw->end = e->pos + e->n;
        break;
    }
}

static void drain(md_lw_sys *s)
{
    uint64_t t = atomic_load_explicit(&s->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&s->head, memory_order_acquire);
    for (; t != h; t++) {
        handle(s, &s->ring[t & (RING - 1)]);
        atomic_store_explicit(&s->tail, t + 1, memory_order_release);
    }
}

/* Silence up to the wall clock (minus the jitter window) and a fresh header. */
static void tick(md_lw_sys *s, uint64_t now)
{
    for (md_localwav *lw = s->files; lw; lw = lw->next) {
        if (!lw->w)
            continue;
        uint64_t wp = wall_pos(lw, now);
        uint64_t win = MD_LW_WINDOW_MS * 8;
        if (wp > win && ar_wav_writer_advance(lw->w, wp - win) != AR_E_OK && !lw->failed) {
            lw->failed = 1;
            atomic_fetch_add(&s->errors, 1);
            LOG_ERR(media, "local recording %s: write failed", lw->path);
        }
        if (now - lw->last_sync_ns >= MD_LW_SYNC_MS * 1000000ull) {
            lw->last_sync_ns = now;
            ar_wav_writer_sync(lw->w);
        }
    }
}

static void *writer_main(void *p)
{
    md_lw_sys *s = p;
    while (!atomic_load(&s->stop)) {
        drain(s);
        tick(s, mono_ns());
        /* A writer thread off the event loops: a 20 ms cadence is its whole job. */
        struct timespec d = {0, 20 * 1000000L};
        nanosleep(&d, NULL);
    }
    drain(s);
    while (s->files) {
        md_localwav *lw = s->files;
        lw->end = lw->end > wall_pos(lw, mono_ns()) ? lw->end : wall_pos(lw, mono_ns());
        file_close(s, lw);
    }
    return NULL;
}

md_lw_sys *md_lw_sys_new(const char *dir)
{
    md_lw_sys *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    s->ring = calloc(RING, sizeof(lw_entry));
    if (!s->ring || access(dir, W_OK) != 0 || pthread_create(&s->thread, NULL, writer_main, s)) {
        free(s->ring);
        free(s);
        return NULL;
    }
    return s;
}

void md_lw_sys_free(md_lw_sys **ps)
{
    md_lw_sys *s = *ps;
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    free(s->ring);
    free(s);
    *ps = NULL;
}

uint64_t md_lw_sys_dropped(const md_lw_sys *s)
{
    return atomic_load(&((md_lw_sys *)s)->dropped);
}

uint64_t md_lw_sys_errors(const md_lw_sys *s)
{
    return atomic_load(&((md_lw_sys *)s)->errors);
}

md_localwav *md_lw_new(md_lw_sys *s, const char *name, int law, char *path, size_t cap)
{
    md_localwav *lw = calloc(1, sizeof(*lw));
    if (!lw)
        return NULL;
    lw->sys = s;
    lw->law = law == AR_G711_ALAW ? AR_G711_ALAW : AR_G711_ULAW;
    lw->t0_ns = mono_ns();
    lw->last_sync_ns = lw->t0_ns;
    char base[200];
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < sizeof(base); p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || (ch == '.' && k > 0);
        base[k++] = ok ? ch : '_';
    }
    base[k] = 0;
    if (k > 4 && !strcmp(base + k - 4, ".wav"))
        base[k - 4] = 0;
    if (!base[0])
        snprintf(base, sizeof(base), "call");
    snprintf(lw->path, sizeof(lw->path), "%s/%s.wav", s->dir, base);
    for (int i = 2; access(lw->path, F_OK) == 0 && i < 1000; i++)
        snprintf(lw->path, sizeof(lw->path), "%s/%s-%d.wav", s->dir, base, i);
    if (path)
        snprintf(path, cap, "%s", lw->path);
    return lw;
}

/* ---- control glue ---- */

typedef struct {
    md_leg *leg[2];
    int on;
} lw_state;

static int leg_alive(md_call *c, md_leg *l)
{
    for (int i = 0; l && i < c->nlegs; i++)
        if (c->legs[i] == l)
            return 1;
    return 0;
}

static md_stream *audio_stream(md_leg *l, int *law)
{
    for (int i = 0; i < l->nstreams; i++) {
        if (l->st[i] && l->ms[i].kind == 'a') {
            if (law) {
                ar_sdp *sdp = md_leg_parse_sdp(l);
                *law = AR_G711_ULAW;
                if (sdp && i < sdp->nmedia && sdp->media[i].nfmt > 0 &&
                    sdp->media[i].fmt[0].pt == 8)
                    *law = AR_G711_ALAW;
                free(sdp);
            }
            return l->st[i];
        }
    }
    return NULL;
}

void md_localwav_call_free(md_call *c)
{
    free(c->localwav);
    c->localwav = NULL;
}

static void detach_all(md_call *c, lw_state *st)
{
    for (int k = 0; k < 2; k++) {
        md_stream *s = leg_alive(c, st->leg[k]) ? audio_stream(st->leg[k], NULL) : NULL;
        if (s)
            md_stream_set_localwav(s, NULL, 0, 0);
        st->leg[k] = NULL;
    }
}

void md_localwav_update(md_ctx *ctx, md_lw_sys *sys, md_call *c)
{
    (void)ctx;
    lw_state *st = c->localwav;
    /* The local file follows the recording's life, not the recorder sessions': a
     * recorder that fails does not end it. */
    int want = sys && c->recording && md_params_flag(&c->params, "localrecord");
    if (!want) {
        if (st && (st->leg[0] || st->leg[1]))
            detach_all(c, st);
        return;
    }
    if (!st && !(st = c->localwav = calloc(1, sizeof(lw_state))))
        return;
    md_leg *a = c->nrecs ? c->recs[0]->party[0] : (c->nlegs > 0 ? c->legs[0] : NULL);
    md_leg *b = c->nrecs ? c->recs[0]->party[1] : (c->nlegs > 1 ? c->legs[1] : NULL);
    if (!st->leg[0] && !st->leg[1]) {
        const char *name = md_params_get(&c->params, "recording-filename");
        if (!name || !*name)
            name = md_params_get(&c->params, "id");
        if (!name || !*name)
            name = c->conf;
        int law = AR_G711_ULAW;
        if (a)
            audio_stream(a, &law);
        char path[512];
        md_localwav *lw = md_lw_new(sys, name, law, path, sizeof(path));
        if (!lw)
            return;
        int ta, tb;
        md_tone_channel_hears(&c->params, &ta, &tb);
        md_leg *legs[2] = {a, b};
        int tone[2] = {ta, tb};
        int n = 0;
        for (int k = 0; k < 2; k++) {
            md_stream *s = legs[k] ? audio_stream(legs[k], NULL) : NULL;
            if (s) {
                md_stream_set_localwav(s, lw, k, tone[k]);
                st->leg[k] = legs[k];
                n++;
            }
        }
        if (n == 0) {
            free(lw); /* nothing attached: the writer never saw it */
            return;
        }
        st->on = 1;
        LOG_INFO(media, "conference %s: local recording to %s", c->conf, path);
    }
    int on = !c->eff_paused;
    if (on != st->on) {
        st->on = on;
        for (int k = 0; k < 2; k++) {
            md_stream *s = leg_alive(c, st->leg[k]) ? audio_stream(st->leg[k], NULL) : NULL;
            if (s)
                md_stream_set_localwav_on(s, on);
        }
    }
}
