/* RTP worker: epoll + recvmmsg/sendmmsg, latching, bridging, replication, counters. */
#include "md_rtp_engine.h"

#include "ar_err.h"
#include "ar_log.h"
#include "ar_rtp.h"
#include "md_localwav.h"
#include "md_mixer.h"
#include "md_tone.h"
#include "ar_srtp.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BATCH   32
#define PKT_MAX 2048

enum {
    C_RX_PKTS,
    C_RX_BYTES,
    C_RX_LOST,
    C_JITTER_US,
    C_FOREIGN,
    C_MALFORMED,
    C_RTCP_RX,
    C_TX_PKTS,
    C_TX_BYTES,
    C_TX_ERR,
    C_SRTP_AUTH,   /* SRTP/SRTCP: authentication failed (wrong key, truncated tag) */
    C_SRTP_REPLAY, /* SRTP/SRTCP: replayed or too old (also a duplicate we would resend) */
    C_SRTP_ERR,    /* SRTP/SRTCP: any other failure */
    C_TX_FIRST_US, /* wall clock of the first RTP sent (stored, not added): failover gap */
    C_TX_LAST_US,  /* wall clock of the latest RTP sent */
    C_N
};

struct md_stream {
    md_engine *eng;
    uint32_t idx;
    atomic_int in_use; /* set by control on alloc, cleared by the worker on release */
    /* Worker-only, and outside the region the control side resets on reuse, so the
     * worker may test it for any slot without racing a reallocation. */
    uint8_t registered;
    /* Set at creation, read-only afterwards. */
    int rtp_fd, rtcp_fd;
    uint16_t port;
    uint32_t clock;
    uint8_t latch;
    /* Worker-owned from here on. */
    uint8_t sending, resync, tx_started, have_remote, latched, rtcp_latched;
    struct sockaddr_in rem_rtp, rem_rtcp; /* where we send */
    struct sockaddr_in src_rtp, src_rtcp; /* latched sources */
    int nsinks;
    md_stream *sinks[MD_MAX_SINKS];
    uint8_t sink_rtcp[MD_MAX_SINKS];
    ar_rtp_stats rx;
    /* Outgoing rewrite: out = in + delta, deltas recomputed on source change/resume. */
    uint32_t tx_ssrc, last_in_ssrc, ts_delta, last_out_ts;
    uint16_t seq_delta, last_out_seq;
    uint64_t last_tx_ns;
    /* Compliance tone (md_tone.c): the player of this stream's media, and whether this
     * stream, as a sink, sends the toned copy. */
    md_tone_play tone;
    uint8_t want_tone;
    md_lw_tap lwt; /* local WAV recording (md_localwav.c) */
    md_mixer *mix; /* conference mixer this stream's RTP feeds (md_mixer.c), or NULL */
    int mix_in;    /* its input slot there */
    /* SRTP (md_srtp.c decides, the worker owns): decrypts what arrives, encrypts what
     * leaves. NULL = clear. Freed by the worker on replacement and release. */
    ar_srtp *srtp_in, *srtp_out;
    _Atomic uint64_t c[C_N];
};

enum {
    CMD_ADD,
    CMD_REMOTE,
    CMD_SINKS,
    CMD_SENDING,
    CMD_DEL,
    CMD_TONE,
    CMD_WANT_TONE,
    CMD_LW,
    CMD_LW_ON,
    CMD_MIX_SET,
    CMD_MIX_DEL,
    CMD_SRTP
};

typedef struct {
    int type;
    md_stream *s;
    union {
        struct {
            struct sockaddr_in rtp, rtcp;
            int relatch;
        } remote;
        struct {
            int n;
            md_stream *s[MD_MAX_SINKS];
            uint8_t rtcp[MD_MAX_SINKS];
        } sinks;
        int on;
        struct {
            const int16_t *pcm;
            uint32_t n, silence;
        } tone;
        struct {
            md_localwav *lw;
            int ch, tone;
        } lw;
        struct {
            md_mixer *m;
            md_mix_cfg cfg;
        } mix;
        struct {
            ar_srtp *in, *out;
            int mask; /* 1: replace in, 2: replace out */
        } srtp;
    } u;
} md_cmd;

struct md_engine {
    unsigned max_streams;
    md_stream *pool;
    unsigned next_slot;
    int epfd, evfd;
    pthread_t thread;
    int started;
    atomic_int stop;
    pthread_mutex_t lock;
    md_cmd *q; /* grown by the control side only */
    size_t qlen, qcap;
    /* Worker scratch, allocated once. */
    uint8_t (*buf)[PKT_MAX];
    struct mmsghdr rmsg[BATCH], smsg[BATCH];
    struct iovec riov[BATCH], siov[BATCH][2];
    struct sockaddr_in rsrc[BATCH];
    uint8_t shdr[BATCH][12];
    ar_rtp_hdr hdr[BATCH];
    uint8_t ok[BATCH];
    uint8_t (*tbuf)[PKT_MAX]; /* tone-mixed copies (md_tone_play_mix) */
    md_mixer *mixers;         /* active conference mixers (worker) */
    int tfd;                  /* 20 ms tick of the mixers, armed while there are any */
    uint8_t mixpkt[12 + MD_MIX_FRAME + AR_SRTP_TRAILER_ROOM]; /* room ar_srtp_protect asks for */
    uint8_t tmix[BATCH];
    uint8_t (*obuf)[PKT_MAX + AR_SRTP_TRAILER_ROOM]; /* SRTP-protected copies, per sink */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cnt_add(md_stream *s, int i, uint64_t v)
{
    atomic_fetch_add_explicit(&s->c[i], v, memory_order_relaxed);
}

/* Times of the first and latest RTP sent (md_recfo.c measures the failover gap). */
static void tx_stamp(md_stream *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    uint64_t zero = 0;
    atomic_compare_exchange_strong_explicit(&s->c[C_TX_FIRST_US], &zero, us, memory_order_relaxed,
                                            memory_order_relaxed);
    atomic_store_explicit(&s->c[C_TX_LAST_US], us, memory_order_relaxed);
}

md_engine *md_engine_new(unsigned max_streams)
{
    md_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->max_streams = max_streams ? max_streams : 1;
    e->pool = calloc(e->max_streams, sizeof(md_stream));
    e->buf = calloc(BATCH, PKT_MAX);
    e->tbuf = calloc(BATCH, PKT_MAX);
    e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    e->obuf = calloc(BATCH, sizeof(*e->obuf));
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&e->lock, NULL);
    if (!e->pool || !e->buf || !e->tbuf || e->tfd < 0 || !e->obuf || e->epfd < 0 || e->evfd < 0) {
        md_engine_free(&e);
        return NULL;
    }
    for (unsigned i = 0; i < e->max_streams; i++) {
        e->pool[i].eng = e;
        e->pool[i].idx = i;
    }
    for (int i = 0; i < BATCH; i++) {
        e->riov[i].iov_base = e->buf[i];
        e->riov[i].iov_len = PKT_MAX;
        e->rmsg[i].msg_hdr.msg_iov = &e->riov[i];
        e->rmsg[i].msg_hdr.msg_iovlen = 1;
        e->rmsg[i].msg_hdr.msg_name = &e->rsrc[i];
        e->rmsg[i].msg_hdr.msg_namelen = sizeof(e->rsrc[i]);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->evfd, &ev);
    struct epoll_event tev = {.events = EPOLLIN, .data.u64 = UINT64_MAX - 1};
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &tev);
    return e;
}

static void post(md_engine *e, const md_cmd *c)
{
    pthread_mutex_lock(&e->lock);
    if (e->qlen == e->qcap) {
        size_t ncap = e->qcap ? e->qcap * 2 : 64;
        md_cmd *nq = realloc(e->q, ncap * sizeof(*nq));
        if (!nq) {
            pthread_mutex_unlock(&e->lock);
            LOG_ERR(media, "command queue allocation failed");
            return;
        }
        e->q = nq;
        e->qcap = ncap;
    }
    e->q[e->qlen++] = *c;
    pthread_mutex_unlock(&e->lock);
    uint64_t one = 1;
    if (write(e->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        LOG_ERR(media, "eventfd write: %s", strerror(errno));
}

size_t md_stream_size(void)
{
    return sizeof(md_stream);
}

md_stream *md_stream_new(md_engine *e, int rtp_fd, int rtcp_fd, uint16_t port, uint32_t clock,
                         int latch)
{
    for (unsigned n = 0; n < e->max_streams; n++) {
        unsigned i = (e->next_slot + n) % e->max_streams;
        md_stream *s = &e->pool[i];
        if (atomic_load_explicit(&s->in_use, memory_order_acquire))
            continue;
        e->next_slot = (i + 1) % e->max_streams;
        /* The worker no longer touches a released slot, so it can be reset here. */
        memset((char *)s + offsetof(md_stream, rtp_fd), 0,
               sizeof(*s) - offsetof(md_stream, rtp_fd));
        s->rtp_fd = rtp_fd;
        s->rtcp_fd = rtcp_fd;
        s->port = port;
        s->clock = clock ? clock : 8000;
        s->latch = (uint8_t)(latch != 0);
        s->want_tone = s->latch; /* bridge outputs send what the party hears */
        if (getrandom(&s->tx_ssrc, sizeof(s->tx_ssrc), 0) != sizeof(s->tx_ssrc))
            s->tx_ssrc = (uint32_t)now_ns() ^ (uint32_t)(uintptr_t)s;
        atomic_store_explicit(&s->in_use, 1, memory_order_release);
        md_cmd c = {.type = CMD_ADD, .s = s};
        post(e, &c);
        return s;
    }
    return NULL;
}

uint16_t md_stream_port(const md_stream *s)
{
    return s->port;
}

void md_stream_set_remote(md_stream *s, const struct sockaddr_in *rtp,
                          const struct sockaddr_in *rtcp, int relatch)
{
    md_cmd c = {.type = CMD_REMOTE, .s = s};
    c.u.remote.rtp = *rtp;
    if (rtcp) {
        c.u.remote.rtcp = *rtcp;
    } else {
        c.u.remote.rtcp = *rtp;
        c.u.remote.rtcp.sin_port = htons((uint16_t)(ntohs(rtp->sin_port) + 1));
    }
    c.u.remote.relatch = relatch;
    post(s->eng, &c);
}

void md_stream_set_sinks(md_stream *s, md_stream *const *sinks, const int *rtcp, int n)
{
    md_cmd c = {.type = CMD_SINKS, .s = s};
    if (n > MD_MAX_SINKS)
        n = MD_MAX_SINKS;
    c.u.sinks.n = n;
    for (int i = 0; i < n; i++) {
        c.u.sinks.s[i] = sinks[i];
        c.u.sinks.rtcp[i] = (uint8_t)(rtcp && rtcp[i]);
    }
    post(s->eng, &c);
}

void md_stream_set_sending(md_stream *s, int on)
{
    md_cmd c = {.type = CMD_SENDING, .s = s, .u.on = on};
    post(s->eng, &c);
}

void md_stream_set_tone(md_stream *s, const int16_t *pcm, uint32_t n, uint32_t silence)
{
    md_cmd c = {.type = CMD_TONE, .s = s};
    c.u.tone.pcm = pcm;
    c.u.tone.n = n;
    c.u.tone.silence = silence;
    post(s->eng, &c);
}

void md_stream_set_srtp(md_stream *s, ar_srtp *in, ar_srtp *out, int mask)
{
    md_cmd c = {.type = CMD_SRTP, .s = s};
    c.u.srtp.in = in;
    c.u.srtp.out = out;
    c.u.srtp.mask = mask;
    post(s->eng, &c);
}

void md_stream_set_want_tone(md_stream *s, int on)
{
    md_cmd c = {.type = CMD_WANT_TONE, .s = s, .u.on = on};
    post(s->eng, &c);
}

void md_stream_set_localwav(md_stream *s, md_localwav *lw, int ch, int with_tone)
{
    md_cmd c = {.type = CMD_LW, .s = s};
    c.u.lw.lw = lw;
    c.u.lw.ch = ch;
    c.u.lw.tone = with_tone;
    post(s->eng, &c);
}

void md_stream_set_localwav_on(md_stream *s, int on)
{
    md_cmd c = {.type = CMD_LW_ON, .s = s, .u.on = on};
    post(s->eng, &c);
}

void md_engine_mixer_set(md_stream *via, md_mixer *m, const md_mix_cfg *cfg)
{
    md_cmd c = {.type = CMD_MIX_SET, .s = via};
    c.u.mix.m = m;
    c.u.mix.cfg = *cfg;
    post(via->eng, &c);
}

void md_engine_mixer_del(md_stream *via, md_mixer *m)
{
    md_cmd c = {.type = CMD_MIX_DEL, .s = via};
    c.u.mix.m = m;
    post(via->eng, &c);
}

void md_stream_release(md_stream **ps)
{
    if (!*ps)
        return;
    md_cmd c = {.type = CMD_DEL, .s = *ps};
    post((*ps)->eng, &c);
    *ps = NULL;
}

void md_stream_get_stats(const md_stream *s, md_stream_stats *o)
{
    md_stream *m = (md_stream *)s;
    o->rx_packets = atomic_load_explicit(&m->c[C_RX_PKTS], memory_order_relaxed);
    o->rx_bytes = atomic_load_explicit(&m->c[C_RX_BYTES], memory_order_relaxed);
    o->rx_lost = atomic_load_explicit(&m->c[C_RX_LOST], memory_order_relaxed);
    o->jitter_us = atomic_load_explicit(&m->c[C_JITTER_US], memory_order_relaxed);
    o->dropped_foreign = atomic_load_explicit(&m->c[C_FOREIGN], memory_order_relaxed);
    o->malformed = atomic_load_explicit(&m->c[C_MALFORMED], memory_order_relaxed);
    o->rtcp_rx = atomic_load_explicit(&m->c[C_RTCP_RX], memory_order_relaxed);
    o->tx_packets = atomic_load_explicit(&m->c[C_TX_PKTS], memory_order_relaxed);
    o->tx_bytes = atomic_load_explicit(&m->c[C_TX_BYTES], memory_order_relaxed);
    o->tx_errors = atomic_load_explicit(&m->c[C_TX_ERR], memory_order_relaxed);
    o->srtp_auth_fail = atomic_load_explicit(&m->c[C_SRTP_AUTH], memory_order_relaxed);
    o->srtp_replay = atomic_load_explicit(&m->c[C_SRTP_REPLAY], memory_order_relaxed);
    o->srtp_error = atomic_load_explicit(&m->c[C_SRTP_ERR], memory_order_relaxed);
    o->tx_first_us = atomic_load_explicit(&m->c[C_TX_FIRST_US], memory_order_relaxed);
    o->tx_last_us = atomic_load_explicit(&m->c[C_TX_LAST_US], memory_order_relaxed);
}

/* ---- worker side ---- */

static void w_register(md_engine *e, md_stream *s)
{
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u64 = ((uint64_t)s->idx << 1);
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, s->rtp_fd, &ev);
    ev.data.u64 = ((uint64_t)s->idx << 1) | 1;
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, s->rtcp_fd, &ev);
    s->registered = 1;
    s->sending = 1;
}

static void w_unregister(md_engine *e, md_stream *s)
{
    epoll_ctl(e->epfd, EPOLL_CTL_DEL, s->rtp_fd, NULL);
    epoll_ctl(e->epfd, EPOLL_CTL_DEL, s->rtcp_fd, NULL);
    close(s->rtp_fd);
    close(s->rtcp_fd);
    md_lw_tap_set(&s->lwt, NULL, 0, 0, now_ns()); /* local WAV: this channel ends here */
    for (md_mixer *m = e->mixers; m; m = m->next)
        md_mixer_drop_stream(m, s);
    s->mix = NULL;
    ar_srtp_free(&s->srtp_in);
    ar_srtp_free(&s->srtp_out);
    s->registered = 0;
    /* Defensive: no sink list may keep pointing at a dead stream. */
    for (unsigned i = 0; i < e->max_streams; i++) {
        md_stream *o = &e->pool[i];
        if (!o->registered)
            continue;
        for (int k = 0; k < o->nsinks; k++) {
            if (o->sinks[k] == s) {
                o->sinks[k] = o->sinks[o->nsinks - 1];
                o->sink_rtcp[k] = o->sink_rtcp[o->nsinks - 1];
                o->nsinks--;
                k--;
            }
        }
    }
    atomic_store_explicit(&s->in_use, 0, memory_order_release);
}

/* ---- conference mixers (md_mixer.c does the arithmetic) ---- */

static void w_srtp_count(md_stream *s, int rc);

static void w_mixer_arm(md_engine *e)
{
    struct itimerspec it = {{0, 0}, {0, 0}};
    if (e->mixers) {
        it.it_interval.tv_nsec = 20 * 1000000L;
        it.it_value.tv_nsec = 20 * 1000000L;
    }
    timerfd_settime(e->tfd, 0, &it, NULL);
}

static void w_mixer_set(md_engine *e, md_mixer *m, const md_mix_cfg *cfg)
{
    for (int i = 0; i < m->cfg.nin; i++)
        if (m->cfg.in[i] && m->cfg.in[i]->mix == m)
            m->cfg.in[i]->mix = NULL;
    m->cfg = *cfg;
    for (int i = 0; i < m->cfg.nin; i++) {
        md_stream *s = m->cfg.in[i];
        if (s && s->registered) {
            s->mix = m;
            s->mix_in = i;
        } else {
            m->cfg.in[i] = NULL;
        }
    }
    for (int o = 0; o < m->cfg.nout; o++)
        if (m->cfg.out[o] && !m->cfg.out[o]->registered)
            m->cfg.out[o] = NULL;
    md_mixer *p = e->mixers;
    while (p && p != m)
        p = p->next;
    if (!p) {
        m->next = e->mixers;
        e->mixers = m;
        w_mixer_arm(e);
    }
}

static void w_mixer_del(md_engine *e, md_mixer *m)
{
    for (md_mixer **pp = &e->mixers; *pp; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    }
    for (int i = 0; i < m->cfg.nin; i++)
        if (m->cfg.in[i] && m->cfg.in[i]->mix == m)
            m->cfg.in[i]->mix = NULL;
    free(m); /* a control command, not the packet path */
    w_mixer_arm(e);
}

/* One mixed frame out of output stream o: our own header, continuing its sequence. */
static void w_mix_send(void *ud, md_mixer *m, int o, int pt, const uint8_t *payload, size_t n)
{
    md_engine *e = ud;
    md_stream *d = m->cfg.out[o];
    if (!d || !d->registered || !d->sending || !d->have_remote)
        return;
    if (!d->tx_started) {
        d->last_out_seq = (uint16_t)d->tx_ssrc;
        d->last_out_ts = d->tx_ssrc >> 3;
        d->tx_started = 1;
    }
    d->last_out_seq++;
    d->last_out_ts += (uint32_t)n;
    d->last_tx_ns = now_ns();
    d->resync = 1; /* should relaying resume, it continues after this packet */
    uint8_t *b = e->mixpkt;
    ar_rtp_write_hdr(b, (uint8_t)pt, 0, d->last_out_seq, d->last_out_ts, d->tx_ssrc);
    memcpy(b + 12, payload, n);
    size_t len = 12 + n;
    if (d->srtp_out) {
        int rc = ar_srtp_protect(d->srtp_out, b, &len, sizeof(e->mixpkt));
        if (rc != AR_E_OK) {
            w_srtp_count(d, rc);
            return;
        }
    }
    struct sockaddr_in *dst = d->latched ? &d->src_rtp : &d->rem_rtp;
    if (sendto(d->rtp_fd, b, len, MSG_DONTWAIT, (struct sockaddr *)dst, sizeof(*dst)) < 0) {
        cnt_add(d, C_TX_ERR, 1);
        return;
    }
    cnt_add(d, C_TX_PKTS, 1);
    cnt_add(d, C_TX_BYTES, len);
    tx_stamp(d);
}

static void w_mixer_tick(md_engine *e)
{
    uint64_t ticks = 0;
    if (read(e->tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
        return;
    if (ticks > 5)
        ticks = 5; /* after a stall, do not burst more than 100 ms */
    for (uint64_t t = 0; t < ticks; t++)
        for (md_mixer *m = e->mixers; m; m = m->next)
            md_mixer_tick(m, w_mix_send, e);
}

static void w_apply(md_engine *e, md_cmd *c)
{
    md_stream *s = c->s;
    switch (c->type) {
    case CMD_ADD:
        w_register(e, s);
        break;
    case CMD_REMOTE:
        s->rem_rtp = c->u.remote.rtp;
        s->rem_rtcp = c->u.remote.rtcp;
        s->have_remote = c->u.remote.rtp.sin_port != 0;
        if (c->u.remote.relatch) {
            s->latched = 0;
            s->rtcp_latched = 0;
        }
        s->resync = 1;
        break;
    case CMD_SINKS:
        s->nsinks = c->u.sinks.n;
        memcpy(s->sinks, c->u.sinks.s, sizeof(s->sinks));
        memcpy(s->sink_rtcp, c->u.sinks.rtcp, sizeof(s->sink_rtcp));
        for (int k = 0; k < s->nsinks; k++)
            s->sinks[k]->resync = 1;
        break;
    case CMD_SENDING:
        if (c->u.on && !s->sending)
            s->resync = 1;
        s->sending = (uint8_t)(c->u.on != 0);
        break;
    case CMD_DEL:
        w_unregister(e, s);
        break;
    case CMD_TONE:
        md_tone_play_set(&s->tone, c->u.tone.pcm, c->u.tone.n, c->u.tone.silence);
        break;
    case CMD_WANT_TONE:
        s->want_tone = (uint8_t)(c->u.on != 0);
        break;
    case CMD_LW:
        md_lw_tap_set(&s->lwt, c->u.lw.lw, c->u.lw.ch, c->u.lw.tone, now_ns());
        break;
    case CMD_LW_ON:
        s->lwt.on = (uint8_t)(c->u.on != 0);
        s->lwt.anchored = 0;
        break;
    case CMD_MIX_SET:
        w_mixer_set(e, c->u.mix.m, &c->u.mix.cfg);
        break;
    case CMD_MIX_DEL:
        w_mixer_del(e, c->u.mix.m);
        break;
    case CMD_SRTP:
        if (c->u.srtp.mask & 1) {
            ar_srtp_free(&s->srtp_in);
            s->srtp_in = c->u.srtp.in;
        }
        if (c->u.srtp.mask & 2) {
            ar_srtp_free(&s->srtp_out);
            s->srtp_out = c->u.srtp.out;
        }
        break;
    }
}

static void w_drain_cmds(md_engine *e)
{
    uint64_t v;
    while (read(e->evfd, &v, sizeof(v)) > 0)
        ;
    md_cmd local[64];
    for (;;) {
        pthread_mutex_lock(&e->lock);
        size_t n = e->qlen < 64 ? e->qlen : 64;
        if (n == 0) {
            pthread_mutex_unlock(&e->lock);
            return;
        }
        memcpy(local, e->q, n * sizeof(md_cmd));
        memmove(e->q, e->q + n, (e->qlen - n) * sizeof(md_cmd));
        e->qlen -= n;
        pthread_mutex_unlock(&e->lock);
        for (size_t i = 0; i < n; i++)
            w_apply(e, &local[i]);
    }
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* Rewrite SSRC/seq/ts for the packet leaving sink d into hdr (12 bytes). */
static void w_rewrite(md_stream *d, const uint8_t *pkt, const ar_rtp_hdr *h, uint8_t *hdr,
                      uint64_t now)
{
    if (!d->tx_started) {
        d->seq_delta = 0;
        d->ts_delta = 0;
        d->tx_started = 1;
        d->resync = 0;
    } else if (d->resync || h->ssrc != d->last_in_ssrc) {
        /* New source or resumed output: continue right after the last packet sent,
         * with the timestamp advanced by the wall-clock time that passed. */
        uint64_t el = now > d->last_tx_ns ? now - d->last_tx_ns : 0;
        uint32_t inc = (uint32_t)(el / 1000 * d->clock / 1000000);
        if (inc == 0)
            inc = 1;
        d->seq_delta = (uint16_t)(d->last_out_seq + 1 - h->seq);
        d->ts_delta = d->last_out_ts + inc - h->ts;
        d->resync = 0;
    }
    memcpy(hdr, pkt, 12);
    uint16_t seq = (uint16_t)(h->seq + d->seq_delta);
    uint32_t ts = h->ts + d->ts_delta;
    ar_rtp_set_seq(hdr, seq);
    ar_rtp_set_ts(hdr, ts);
    ar_rtp_set_ssrc(hdr, d->tx_ssrc);
    /* Track the highest output, so reordered input does not rewind the resync point. */
    if ((int16_t)(seq - d->last_out_seq) > 0 || d->last_tx_ns == 0) {
        d->last_out_seq = seq;
        d->last_out_ts = ts;
    }
    d->last_in_ssrc = h->ssrc;
    d->last_tx_ns = now;
}

static void w_send_batch(md_stream *d, int fd, int n)
{
    if (n == 0)
        return;
    int sent = 0;
    while (sent < n) {
        int r = sendmmsg(fd, d->eng->smsg + sent, (unsigned)(n - sent), MSG_DONTWAIT);
        if (r <= 0) {
            cnt_add(d, C_TX_ERR, (uint64_t)(n - sent));
            return;
        }
        sent += r;
    }
}

/* Count an SRTP failure by kind on stream s. */
static void w_srtp_count(md_stream *s, int rc)
{
    cnt_add(s,
            rc == AR_E_SRTP_AUTH_FAIL ? C_SRTP_AUTH
            : rc == AR_E_SRTP_REPLAY  ? C_SRTP_REPLAY
                                      : C_SRTP_ERR,
            1);
}

/* SRTP toward sink d: entry m becomes one contiguous protected datagram in obuf[m]
 * (the clear copy is shared by every sink, so it is never encrypted in place). */
static int w_srtp_seal(md_engine *e, md_stream *d, int m)
{
    uint8_t *o = e->obuf[m];
    size_t body = e->siov[m][1].iov_len, len = 12 + body;
    memcpy(o, e->shdr[m], 12);
    memcpy(o + 12, e->siov[m][1].iov_base, body);
    int rc = ar_srtp_protect(d->srtp_out, o, &len, sizeof(e->obuf[m]));
    if (rc != AR_E_OK) {
        w_srtp_count(d, rc);
        return -1;
    }
    e->siov[m][0].iov_base = o;
    e->siov[m][0].iov_len = len;
    e->smsg[m].msg_hdr.msg_iovlen = 1;
    return 0;
}

/* Forward the valid RTP packets of this batch to every sink. */
static void w_forward_rtp(md_engine *e, md_stream *s, int n, uint64_t now)
{
    for (int k = 0; k < s->nsinks; k++) {
        md_stream *d = s->sinks[k];
        if (!d->registered || !d->sending || !d->have_remote)
            continue;
        struct sockaddr_in *dst = d->latched ? &d->src_rtp : &d->rem_rtp;
        int m = 0;
        uint64_t bytes = 0;
        for (int i = 0; i < n; i++) {
            if (!e->ok[i])
                continue;
            size_t len = e->rmsg[i].msg_len;
            uint8_t *body = d->want_tone && e->tmix[i] ? e->tbuf[i] : e->buf[i];
            w_rewrite(d, e->buf[i], &e->hdr[i], e->shdr[m], now);
            e->siov[m][0].iov_base = e->shdr[m];
            e->siov[m][0].iov_len = 12;
            e->siov[m][1].iov_base = body + 12;
            e->siov[m][1].iov_len = len - 12;
            struct msghdr *mh = &e->smsg[m].msg_hdr;
            memset(mh, 0, sizeof(*mh));
            mh->msg_name = dst;
            mh->msg_namelen = sizeof(*dst);
            mh->msg_iov = e->siov[m];
            mh->msg_iovlen = 2;
            if (d->srtp_out && w_srtp_seal(e, d, m) != 0)
                continue;
            bytes += len;
            m++;
        }
        w_send_batch(d, d->rtp_fd, m);
        cnt_add(d, C_TX_PKTS, (uint64_t)m);
        cnt_add(d, C_TX_BYTES, bytes);
        if (m)
            tx_stamp(d);
    }
}

/* RTCP is passed on to bridge sinks with the sender SSRC set to the sink's output SSRC. */
static void w_forward_rtcp(md_stream *s, uint8_t *pkt, size_t len)
{
    for (int k = 0; k < s->nsinks; k++) {
        md_stream *d = s->sinks[k];
        if (!s->sink_rtcp[k] || !d->registered || !d->have_remote || !d->sending)
            continue;
        if (d->tx_started) { /* sender SSRC: bytes 4..7 of the first sub-packet */
            pkt[4] = (uint8_t)(d->tx_ssrc >> 24);
            pkt[5] = (uint8_t)(d->tx_ssrc >> 16);
            pkt[6] = (uint8_t)(d->tx_ssrc >> 8);
            pkt[7] = (uint8_t)d->tx_ssrc;
        }
        struct sockaddr_in *dst = d->rtcp_latched ? &d->src_rtcp : &d->rem_rtcp;
        const uint8_t *out = pkt;
        size_t olen = len;
        if (d->srtp_out) { /* SRTCP: protect a copy, the clear one may go to other sinks */
            uint8_t *o = d->eng->obuf[0];
            memcpy(o, pkt, len);
            int rc = ar_srtp_protect_rtcp(d->srtp_out, o, &olen, sizeof(d->eng->obuf[0]));
            if (rc != AR_E_OK) {
                w_srtp_count(d, rc);
                continue;
            }
            out = o;
        }
        if (sendto(d->rtcp_fd, out, olen, MSG_DONTWAIT, (struct sockaddr *)dst, sizeof(*dst)) < 0)
            cnt_add(d, C_TX_ERR, 1);
    }
}

/* Latch or check the source; returns 1 when the packet may be used. */
static int w_check_src(md_stream *s, const struct sockaddr_in *src, int rtcp)
{
    if (!s->latch)
        return 0; /* recorder legs: nothing inbound is relayed */
    struct sockaddr_in *l = rtcp ? &s->src_rtcp : &s->src_rtp;
    uint8_t *flag = rtcp ? &s->rtcp_latched : &s->latched;
    /* The address the party declared in SDP always wins: after a re-INVITE to a new
     * address, stragglers from the old one must not keep (or take) the latch. */
    if (s->have_remote && same_addr(src, rtcp ? &s->rem_rtcp : &s->rem_rtp)) {
        *l = *src;
        *flag = 1;
        return 1;
    }
    if (!*flag) {
        *l = *src;
        *flag = 1;
        return 1;
    }
    if (same_addr(l, src))
        return 1;
    cnt_add(s, C_FOREIGN, 1);
    return 0;
}

static void w_handle_rtcp(md_stream *s, uint8_t *pkt, size_t len, const struct sockaddr_in *src)
{
    if (ar_rtcp_validate(pkt, len, NULL) != AR_E_OK) {
        cnt_add(s, C_MALFORMED, 1);
        return;
    }
    if (!w_check_src(s, src, 1))
        return;
    cnt_add(s, C_RTCP_RX, 1);
    w_forward_rtcp(s, pkt, len);
}

static void w_read(md_engine *e, md_stream *s, int is_rtcp)
{
    int fd = is_rtcp ? s->rtcp_fd : s->rtp_fd;
    if (s->srtp_in) /* SRTP: the contexts this batch uses load while recvmmsg runs */
        for (int k = -1; k < s->nsinks; k++)
            ar_srtp_prefetch(k < 0 ? s->srtp_in : s->sinks[k]->srtp_out);
    for (int round = 0; round < 8; round++) {
        /* The receive vector is set up once (md_engine_new); the kernel only changes
         * msg_namelen, msg_flags and msg_len of the entries it fills. */
        int n = recvmmsg(fd, e->rmsg, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        for (int i = 0; i < n; i++)
            e->rmsg[i].msg_hdr.msg_namelen = sizeof(e->rsrc[i]);
        uint64_t now = now_ns();
        uint32_t arrival = (uint32_t)(now / 1000 * s->clock / 1000000);
        int valid = 0;
        for (int i = 0; i < n; i++) {
            e->ok[i] = 0;
            size_t len = e->rmsg[i].msg_len;
            const struct sockaddr_in *src = &e->rsrc[i];
            if (e->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
                cnt_add(s, C_MALFORMED, 1); /* larger than any RTP we relay: cut, so drop */
                continue;
            }
            if (s->srtp_in) { /* SRTP: authenticate and decrypt in place before anything */
                int rc = is_rtcp || ar_rtp_is_rtcp(e->buf[i], len)
                             ? ar_srtp_unprotect_rtcp(s->srtp_in, e->buf[i], &len)
                             : ar_srtp_unprotect(s->srtp_in, e->buf[i], &len);
                if (rc != AR_E_OK) {
                    w_srtp_count(s, rc);
                    continue;
                }
                e->rmsg[i].msg_len = (unsigned)len;
            }
            if (is_rtcp || ar_rtp_is_rtcp(e->buf[i], len)) {
                w_handle_rtcp(s, e->buf[i], len, src);
                continue;
            }
            if (ar_rtp_parse(e->buf[i], len, &e->hdr[i]) != AR_E_OK) {
                cnt_add(s, C_MALFORMED, 1);
                continue;
            }
            if (!w_check_src(s, src, 0))
                continue;
            ar_rtp_stats_update(&s->rx, &e->hdr[i], arrival);
            cnt_add(s, C_RX_PKTS, 1);
            cnt_add(s, C_RX_BYTES, e->hdr[i].payload_len);
            e->ok[i] = 1;
            valid++;
        }
        if (valid) {
            atomic_store_explicit(&s->c[C_RX_LOST], ar_rtp_stats_lost(&s->rx),
                                  memory_order_relaxed);
            atomic_store_explicit(&s->c[C_JITTER_US],
                                  (uint64_t)(s->rx.jitter * 1000000.0 / s->clock),
                                  memory_order_relaxed);
            /* Compliance tone: one mixed copy per packet, for the sinks that want it. */
            for (int i = 0; i < n; i++)
                e->tmix[i] = (uint8_t)(e->ok[i] && s->tone.pcm &&
                                       md_tone_play_mix(&s->tone, e->buf[i], e->rmsg[i].msg_len,
                                                        &e->hdr[i], e->tbuf[i]));
            if (s->mix) /* conference: the mixer takes the (tone-mixed) payload */
                for (int i = 0; i < n; i++)
                    if (e->ok[i])
                        md_mixer_input(s->mix, s->mix_in, e->hdr[i].pt,
                                       (e->tmix[i] ? e->tbuf[i] : e->buf[i]) +
                                           e->hdr[i].payload_off,
                                       e->hdr[i].payload_len);
            if (s->lwt.lw) /* local WAV: queue the payload for the writer thread */
                for (int i = 0; i < n; i++)
                    if (e->ok[i])
                        md_lw_tap_packet(&s->lwt,
                                         (s->lwt.tone && e->tmix[i] ? e->tbuf[i] : e->buf[i]) +
                                             e->hdr[i].payload_off,
                                         &e->hdr[i], now);
            w_forward_rtp(e, s, n, now);
        }
        if (n < BATCH)
            return;
    }
}

static void *w_main(void *arg)
{
    md_engine *e = arg;
    struct epoll_event evs[64];
    while (!atomic_load(&e->stop)) {
        int n = epoll_wait(e->epfd, evs, 64, 500);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == UINT64_MAX) {
                w_drain_cmds(e);
                continue;
            }
            if (evs[i].data.u64 == UINT64_MAX - 1) {
                w_mixer_tick(e);
                continue;
            }
            uint64_t idx = evs[i].data.u64 >> 1;
            if (idx >= e->max_streams)
                continue;
            md_stream *s = &e->pool[idx];
            if (s->registered)
                w_read(e, s, (int)(evs[i].data.u64 & 1));
        }
    }
    w_drain_cmds(e);
    return NULL;
}

int md_engine_start(md_engine *e)
{
    if (pthread_create(&e->thread, NULL, w_main, e) != 0)
        return AR_E_INTERNAL;
    e->started = 1;
    return AR_E_OK;
}

void md_engine_free(md_engine **pe)
{
    md_engine *e = *pe;
    if (!e)
        return;
    if (e->started) {
        atomic_store(&e->stop, 1);
        uint64_t one = 1;
        if (write(e->evfd, &one, sizeof(one)) < 0)
            LOG_WARN(media, "eventfd write at shutdown failed");
        pthread_join(e->thread, NULL);
    } else {
        w_drain_cmds(e);
    }
    for (unsigned i = 0; e->pool && i < e->max_streams; i++)
        if (e->pool[i].registered)
            w_unregister(e, &e->pool[i]);
    if (e->epfd >= 0)
        close(e->epfd);
    if (e->evfd >= 0)
        close(e->evfd);
    if (e->tfd >= 0)
        close(e->tfd);
    while (e->mixers) {
        md_mixer *m = e->mixers;
        e->mixers = m->next;
        free(m);
    }
    pthread_mutex_destroy(&e->lock);
    free(e->q);
    free(e->buf);
    free(e->tbuf);
    free(e->obuf);
    free(e->pool);
    free(e);
    *pe = NULL;
}
