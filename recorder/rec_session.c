/* One recording session: SDP offer/answer, streams, pauses, WAV and sidecar files. */
#include "rec_session_int.h"
#include "rec_srtp.h"

#include "ar_err.h"
#include "ar_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Samples held back before writing (jitter tolerance) and ring size of the writer. */
#define REC_JITTER_SAMPLES 4000 /* 0.5 s */
#define REC_WAV_WINDOW     16000
/* A stream whose RTP timestamps stray this far from wall-clock is re-anchored. */
#define REC_BEHIND_MAX 3200 /* 0.4 s: before its samples would be late */
#define REC_AHEAD_MAX  8000 /* 1 s */
#define REC_TICK_MS    200
#define REC_SDP_CAP    8192

static int64_t mono_to_pos(const rec_session *s, int64_t mono_us)
{
    int64_t d = mono_us - s->start_mono;
    return d > 0 ? d * AR_WAV_RATE / 1000000 : 0;
}

int64_t rec_session_real(const rec_session *s, int64_t mono_us)
{
    return s->start_real + (mono_us - s->start_mono);
}

static int name_taken(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wav", dir, name);
    if (access(path, F_OK) == 0)
        return 1;
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    return access(path, F_OK) == 0;
}

/* File base name from the record id; one-session-per-party recordings may share an id,
 * so a taken name gets the DN, then a counter, appended. */
static void choose_name(rec_session *s)
{
    char base[REC_URI_VAL_LEN], dn[REC_URI_VAL_LEN];
    rec_uri_file_safe(s->record_id, base, sizeof base);
    snprintf(s->name, sizeof s->name, "%s", base);
    if (!name_taken(s->dir, s->name))
        return;
    rec_uri_file_safe(s->uri.dn, dn, sizeof dn);
    if (dn[0]) {
        snprintf(s->name, sizeof s->name, "%s_%s", base, dn);
        if (!name_taken(s->dir, s->name))
            return;
    }
    for (unsigned i = 2; i < 10000; i++) {
        snprintf(s->name, sizeof s->name, "%s_%u", base, i);
        if (!name_taken(s->dir, s->name))
            return;
    }
}

rec_session *rec_session_new(const rec_config *cfg, const char *request_uri, const rec_uri *uri,
                             rec_dialect dialect, const char *call_id, const char *from)
{
    rec_session *s = g_new0(rec_session, 1);
    s->cfg = *cfg;
    s->dir = g_strdup(cfg->dir);
    s->cfg.dir = s->dir;
    s->request_uri = g_strdup(request_uri ? request_uri : "");
    s->call_id = g_strdup(call_id ? call_id : "");
    s->from = g_strdup(from ? from : "");
    s->uri = *uri;
    s->dialect = dialect;
    if (uri->record[0]) {
        snprintf(s->record_id, sizeof s->record_id, "%s", uri->record);
    } else {
        char *u = g_uuid_string_random();
        snprintf(s->record_id, sizeof s->record_id, "rec-%s", u);
        g_free(u);
        s->generated_id = 1;
    }
    choose_name(s);
    s->o_sess_id = g_random_int();
    s->o_version = 0;
    s->law = AR_WAV_MULAW;
    return s;
}

/* Decides whether m= line i can be recorded and, for audio, with which G.711 laws. */
static void classify(rec_session *s, rec_stream *st, const ar_sdp_media *m)
{
    memset(st->law, 0, sizeof st->law);
    st->pt = m->nfmt > 0 ? m->fmt[0].pt : -1;
    snprintf(st->enc, sizeof st->enc, "%s", m->nfmt > 0 ? m->fmt[0].enc : "");
    if (m->port == 0 || !rec_srtp_media_usable(m))
        return; /* disabled, another profile, or SRTP without a usable a=crypto */
    if (strcasecmp(m->type, "audio") == 0) {
        int g711 = 0;
        for (int f = 0; f < m->nfmt; f++) {
            const ar_sdp_fmt *fm = &m->fmt[f];
            if (fm->pt < 0 || fm->pt > 127)
                continue;
            if ((fm->pt == 0 && !fm->enc[0]) || strcasecmp(fm->enc, "PCMU") == 0)
                st->law[fm->pt] = AR_WAV_MULAW;
            else if ((fm->pt == 8 && !fm->enc[0]) || strcasecmp(fm->enc, "PCMA") == 0)
                st->law[fm->pt] = AR_WAV_ALAW;
            if (st->law[fm->pt] && !g711++) {
                st->pt = fm->pt;
                snprintf(st->enc, sizeof st->enc, "%s",
                         st->law[fm->pt] == AR_WAV_MULAW ? "PCMU" : "PCMA");
            }
        }
        if (g711 && s->naudio < REC_MAX_AUDIO) {
            st->accepted = 1;
            st->channel = s->naudio++;
        }
    } else if (strcasecmp(m->type, "video") == 0 && !s->cfg.reject_video) {
        st->accepted = 1;
    }
}

static void on_packet(void *ctx, uint8_t *pkt, size_t len, int is_rtcp, int64_t arrival_us);

/* Labels each stream with its party: dn / otherDN in the seed dialect, the sending
 * participant in SIPREC (by a=label). */
static void label_parties(rec_session *s)
{
    for (int i = 0; i < s->nstreams; i++) {
        rec_stream *st = &s->streams[i];
        if (s->have_meta) {
            const rec_siprec_participant *p = NULL;
            rec_siprec_stream_by_label(&s->meta, st->label, &p);
            if (p)
                snprintf(st->party, sizeof st->party, "%s", p->aor[0] ? p->aor : p->id);
        } else if (!st->accepted || strcasecmp(st->media, "audio") != 0) {
            continue;
        } else if (st->audio_ordinal == 0) {
            /* Seed: the first audio m= line is dn, the second otherDN, even when the
             * offerer disabled one of them. */
            snprintf(st->party, sizeof st->party, "%s", s->uri.dn);
        } else if (st->audio_ordinal == 1) {
            snprintf(st->party, sizeof st->party, "%s", s->uri.other_dn);
        }
    }
}

static int is_active_dir(ar_sdp_dir d)
{
    return d == AR_SDP_DIR_SENDONLY || d == AR_SDP_DIR_SENDRECV || d == AR_SDP_DIR_UNSET;
}

/* Pause bookkeeping: the session is paused when no accepted stream may send. */
static void update_pause(rec_session *s)
{
    int any = 0, accepted = 0;
    for (int i = 0; i < s->nstreams; i++) {
        if (s->streams[i].accepted) {
            accepted++;
            any |= s->streams[i].active;
        }
    }
    int paused = accepted > 0 && !any;
    if (paused == s->paused || !s->started)
        goto done;
    int64_t now = g_get_real_time();
    if (paused) {
        LOG_INFO(rec, "%s: paused", s->name);
        if (s->npauses < REC_MAX_PAUSES)
            s->pauses[s->npauses++] = (rec_pause){now, 0};
        else
            s->pauses_dropped++;
    } else {
        LOG_INFO(rec, "%s: resumed", s->name);
        if (s->npauses > 0 && s->pauses[s->npauses - 1].end_us == 0)
            s->pauses[s->npauses - 1].end_us = now;
        /* Senders usually jump their timestamps over a pause: anchor afresh. */
        for (int i = 0; i < s->nstreams; i++)
            s->streams[i].anchored = 0;
    }
done:
    s->paused = paused;
}

int rec_session_offer(rec_session *s, const char *sdp, size_t len, const rec_siprec_meta *meta,
                      char *answer, size_t cap, const char **why)
{
    int status = 500;
    /* Not zeroed here: ar_sdp_parse and ar_sdp_make_answer clear them (74 KB each). */
    ar_sdp *offer = g_new(ar_sdp, 1);
    ar_sdp *ans = g_new(ar_sdp, 1);
    uint16_t ports[AR_SDP_MAX_MEDIA] = {0};
    int initial = s->offers == 0;
    *why = "ok";

    int rc = sdp ? ar_sdp_parse(sdp, len, offer) : AR_E_SDP_MALFORMED;
    if (rc != AR_E_OK) {
        *why = ar_strerror(rc);
        status = 488;
        goto cleanup;
    }
    if (!initial && offer->nmedia < s->nstreams) {
        *why = "re-INVITE removed m= lines";
        status = 488;
        goto cleanup;
    }
    if (meta) {
        s->meta = *meta;
        s->have_meta = 1;
    }
    if (initial) {
        s->nstreams = offer->nmedia;
        int naudio_lines = 0;
        for (int i = 0; i < offer->nmedia; i++) {
            rec_stream *st = &s->streams[i];
            st->sess = s;
            st->index = i;
            st->channel = -1;
            st->audio_ordinal = -1;
            if (strcasecmp(offer->media[i].type, "audio") == 0)
                st->audio_ordinal = naudio_lines++;
            snprintf(st->media, sizeof st->media, "%s", offer->media[i].type);
            classify(s, st, &offer->media[i]);
        }
        if (s->naudio == 0) {
            *why = "no G.711 audio stream to record";
            status = 488;
            goto cleanup;
        }
        for (int i = 0; i < s->nstreams; i++) {
            rec_stream *st = &s->streams[i];
            if (!st->accepted)
                continue;
            rc = rec_rtp_open(&st->sock, s->cfg.addr, &s->cfg.ports, on_packet, st);
            if (rc != AR_E_OK) {
                *why = ar_strerror(rc);
                status = 500;
                goto cleanup;
            }
            st->port = rec_rtp_port(st->sock);
        }
        /* The file's law is that of the first recorded stream; others are converted. */
        for (int i = 0; i < s->nstreams; i++) {
            if (s->streams[i].channel == 0) {
                s->law = s->streams[i].law[s->streams[i].pt];
                break;
            }
        }
    } else if (offer->o_version != s->remote_version) {
        s->version_changes++;
        LOG_INFO(rec, "%s: offer o= version %llu -> %llu", s->name,
                 (unsigned long long)s->remote_version, (unsigned long long)offer->o_version);
    }
    s->remote_version = offer->o_version;
    s->have_remote_version = 1;

    for (int i = 0; i < offer->nmedia; i++) {
        const ar_sdp_media *m = &offer->media[i];
        if (i >= s->nstreams || !s->streams[i].accepted)
            continue; /* m= lines added later are declined (port 0) */
        rec_stream *st = &s->streams[i];
        snprintf(st->label, sizeof st->label, "%s", m->label);
        if (m->port == 0) {
            st->active = 0; /* the offerer disabled it: no more media, no port */
            continue;
        }
        st->active = is_active_dir(m->dir);
        ports[i] = rec_rtp_port(st->sock);
        /* SRTP (rec_srtp.c): the offerer's key decrypts before anything is written. */
        rc = rec_srtp_offer(&st->srtp, m, s->name);
        if (rc != AR_E_OK) {
            *why = ar_strerror(rc);
            status = 488;
            goto cleanup;
        }
        if (st->srtp)
            rec_rtp_set_unprotect(st->sock, rec_srtp_unprotect, st->srtp);
        /* The offerer's address moved (failover, another media server): so may its
         * RTP source, so the next valid packet may latch again. */
        if (!initial && (strcmp(st->remote_addr, m->addr) != 0 || st->remote_port != m->port))
            rec_rtp_relatch(st->sock);
        snprintf(st->remote_addr, sizeof st->remote_addr, "%s", m->addr);
        st->remote_port = m->port;
    }
    label_parties(s);

    ar_sdp_make_answer(offer, "arec-recorder", s->o_sess_id, s->o_version, s->cfg.addr, ports,
                       AR_SDP_DIR_UNSET, ans);
    ans->dir = AR_SDP_DIR_UNSET;
    for (int i = 0; i < ans->nmedia; i++) {
        /* We only ever receive. */
        ar_sdp_dir od = ar_sdp_media_dir(&offer->media[i]);
        ans->media[i].dir = (od == AR_SDP_DIR_SENDONLY || od == AR_SDP_DIR_SENDRECV)
                                ? AR_SDP_DIR_RECVONLY
                                : AR_SDP_DIR_INACTIVE;
        if (ports[i])
            ans->media[i].rtcp_port = ans->media[i].rtcp_mux ? 0 : (uint16_t)(ports[i] + 1);
        if (i < s->nstreams)
            rec_srtp_answer(s->streams[i].srtp, &ans->media[i]); /* our own a=crypto */
    }
    /* RFC 3264 8: our o= version moves only when our description changes. */
    size_t n = 0;
    rc = ar_sdp_build(ans, answer, cap, &n);
    if (rc == AR_E_OK && s->answer) {
        const char *a = strstr(answer, "s="), *b = strstr(s->answer, "s=");
        if (a && b && strcmp(a, b) != 0) {
            ans->o_version = ++s->o_version;
            rc = ar_sdp_build(ans, answer, cap, &n);
        }
    }
    if (rc != AR_E_OK) {
        *why = ar_strerror(rc);
        status = 500;
        goto cleanup;
    }
    g_free(s->answer);
    s->answer = g_strdup(answer);
    s->offers++;
    update_pause(s);
    if (s->started)
        rec_sidecar_write(s);
    status = 200;
cleanup:
    g_free(offer);
    g_free(ans);
    return status;
}

const char *rec_session_answer(const rec_session *s)
{
    return s->answer;
}

/* Advances the WAV to wall-clock minus the jitter allowance, syncs the header each second. */
static void session_tick(rec_session *s, int64_t now_mono)
{
    int64_t pos = mono_to_pos(s, now_mono) - REC_JITTER_SAMPLES;
    if (!s->wav)
        return;
    if (pos > 0)
        ar_wav_writer_advance(s->wav, (uint64_t)pos);
    /* Each session counts its own ticks, so the header syncs of sessions started at
     * different times fall on different ticks rather than all at once. */
    if (++s->ticks % (1000 / REC_TICK_MS) == 0 && ar_wav_writer_sync(s->wav) != AR_E_OK)
        LOG_WARN(rec, "%s: writing the WAV file failed", s->name);
}

/* One timer for every recording session: a GLib timeout per session made each loop
 * iteration (one per RTP wake-up) prepare and check hundreds of sources. */
static GPtrArray *ticking;
static guint tick_src;

static gboolean on_tick(gpointer data)
{
    (void)data;
    int64_t now = g_get_monotonic_time();
    for (guint i = 0; i < ticking->len; i++)
        session_tick(g_ptr_array_index(ticking, i), now);
    return G_SOURCE_CONTINUE;
}

static void tick_add(rec_session *s)
{
    if (!ticking)
        ticking = g_ptr_array_new();
    g_ptr_array_add(ticking, s);
    s->tick = 1;
    if (!tick_src)
        tick_src = g_timeout_add(REC_TICK_MS, on_tick, NULL);
}

static void tick_remove(rec_session *s)
{
    if (!s->tick)
        return;
    s->tick = 0;
    g_ptr_array_remove_fast(ticking, s);
    if (ticking->len == 0) {
        /* No session left: nothing outlives them (no timer, no array). */
        g_source_remove(tick_src);
        tick_src = 0;
        g_ptr_array_free(ticking, TRUE);
        ticking = NULL;
    }
}

void rec_session_start(rec_session *s)
{
    char path[4096];
    if (s->started)
        return;
    s->started = 1;
    s->start_mono = g_get_monotonic_time();
    s->start_real = g_get_real_time();
    snprintf(path, sizeof path, "%s/%s.wav", s->dir, s->name);
    int rc = ar_wav_writer_open(&s->wav, path, s->law, (unsigned)s->naudio, REC_WAV_WINDOW);
    if (rc != AR_E_OK)
        LOG_ERR(rec, "%s: cannot create %s: %s", s->name, path, ar_strerror(rc));
    tick_add(s);
    s->paused = 0;
    update_pause(s);
    LOG_INFO(rec, "%s: recording started (%d audio channel(s), %s)", s->name, s->naudio,
             s->law == AR_WAV_MULAW ? "mu-law" : "A-law");
    rec_sidecar_write(s);
}

int rec_session_params_update(rec_session *s, const char *request, const char *text)
{
    rec_param_update u = {.at_us = g_get_real_time()};
    snprintf(u.request, sizeof u.request, "%s", request);
    if (rec_uri_kv_parse(text, u.kv, REC_URI_MAX_KV, &u.n) != AR_E_OK) {
        LOG_WARN(rec, "%s: X-Record-Params not understood (ignored): %.200s", s->name, text);
        return AR_E_INVALID_VALUE;
    }
    if (s->nupdates >= REC_MAX_PARAM_UPDATES) {
        s->updates_dropped++;
        return AR_E_OK;
    }
    s->updates[s->nupdates++] = u;
    LOG_INFO(rec, "%s: session params updated (%s): %.200s", s->name, request, text);
    return AR_E_OK;
}

void rec_session_end(rec_session *s, const char *reason)
{
    if (s->ended)
        return;
    s->ended = 1;
    snprintf(s->end_reason, sizeof s->end_reason, "%s", reason);
    s->end_real = g_get_real_time();
    if (s->paused && s->npauses > 0 && s->pauses[s->npauses - 1].end_us == 0)
        s->pauses[s->npauses - 1].end_us = s->end_real;
    tick_remove(s);
    for (int i = 0; i < s->nstreams; i++) {
        rec_stream *st = &s->streams[i];
        if (st->sock)
            st->foreign = rec_rtp_foreign(st->sock);
        rec_rtp_free(&st->sock);
    }
    if (s->wav) {
        uint64_t end = (uint64_t)mono_to_pos(s, g_get_monotonic_time());
        if (ar_wav_writer_end(s->wav) > end)
            end = ar_wav_writer_end(s->wav); /* never cut audio that arrived */
        int rc = ar_wav_writer_close(&s->wav, end);
        s->wav_samples = end;
        if (rc != AR_E_OK)
            LOG_ERR(rec, "%s: finishing the WAV file failed: %s", s->name, ar_strerror(rc));
    }
    LOG_INFO(rec, "%s: recording ended (%s)", s->name, reason);
    rec_sidecar_write(s);
}

const char *rec_session_name(const rec_session *s)
{
    return s->name;
}

int rec_session_started(const rec_session *s)
{
    return s->started;
}

void rec_session_free(rec_session **sp)
{
    rec_session *s = *sp;
    if (!s)
        return;
    *sp = NULL;
    tick_remove(s);
    for (int i = 0; i < s->nstreams; i++) {
        rec_rtp_free(&s->streams[i].sock);
        rec_srtp_free(&s->streams[i].srtp);
    }
    if (s->wav)
        ar_wav_writer_close(&s->wav, 0);
    g_free(s->answer);
    g_free(s->dir);
    g_free(s->request_uri);
    g_free(s->call_id);
    g_free(s->from);
    g_free(s);
}

/* ---- media path ---- */

static void on_rtcp(rec_stream *st, const uint8_t *pkt, size_t len)
{
    if (ar_rtcp_validate(pkt, len, NULL) == AR_E_OK)
        st->rtcp_packets++;
    else
        st->rtcp_malformed++;
}

/* Places a packet's samples at the position its timestamp gives, anchored to the
 * wall-clock time of the stream's first packet (re-anchored on a new SSRC, after a
 * resume or when the timestamps drift too far from wall-clock). */
static void write_samples(rec_session *s, rec_stream *st, const ar_rtp_hdr *h, const uint8_t *pl,
                          int64_t arrival_us)
{
    static uint8_t conv[2048];
    int64_t now = mono_to_pos(s, arrival_us);
    int64_t pos = 0;
    if (st->anchored && h->ssrc == st->last_ssrc) {
        pos = (int64_t)st->anchor_pos + (int32_t)(h->ts - st->anchor_ts);
        if (pos < 0 || now - pos > REC_BEHIND_MAX || pos - now > REC_AHEAD_MAX) {
            st->reanchors++;
            st->anchored = 0;
        }
    }
    if (!st->anchored) {
        st->anchored = 1;
        st->anchor_pos = (uint64_t)now;
        st->anchor_ts = h->ts;
        pos = now;
    }
    size_t n = h->payload_len;
    uint8_t law = st->law[h->pt];
    if (law != s->law) {
        if (n > sizeof conv)
            n = sizeof conv;
        for (size_t i = 0; i < n; i++) {
            int16_t lin =
                law == AR_WAV_MULAW ? ar_g711_ulaw_decode(pl[i]) : ar_g711_alaw_decode(pl[i]);
            conv[i] = s->law == AR_WAV_MULAW ? ar_g711_ulaw_encode(lin) : ar_g711_alaw_encode(lin);
        }
        pl = conv;
    }
    st->late_samples += ar_wav_writer_put(s->wav, (unsigned)st->channel, (uint64_t)pos, pl, n);
}

static void on_packet(void *ctx, uint8_t *pkt, size_t len, int is_rtcp, int64_t arrival_us)
{
    rec_stream *st = ctx;
    rec_session *s = st->sess;
    ar_rtp_hdr h;
    if (is_rtcp || ar_rtp_is_rtcp(pkt, len)) {
        on_rtcp(st, pkt, len);
        return;
    }
    if (ar_rtp_parse(pkt, len, &h) != AR_E_OK) {
        st->malformed++;
        return;
    }
    if (!s->started || s->ended) {
        st->early++;
        return;
    }
    if (st->st.started && h.ssrc != st->st.ssrc)
        st->lost_before += ar_rtp_stats_lost(&st->st);
    else if (st->st.started && (int16_t)(h.seq - st->st.max_seq) < 0)
        st->out_of_order++;
    uint32_t arrival = (uint32_t)(mono_to_pos(s, arrival_us));
    if (ar_rtp_stats_update(&st->st, &h, arrival) && h.seq == st->st.max_seq)
        st->duplicates++;
    st->packets++;
    st->bytes += h.payload_len;
    if (!st->first_us)
        st->first_us = arrival_us;
    st->last_us = arrival_us;
    if (!st->active || s->paused) {
        st->paused_packets++;
        return;
    }
    if (st->channel < 0 || !s->wav)
        return; /* video: counted only */
    if (!st->law[h.pt]) {
        st->other_pt++; /* telephone-event, comfort noise, ... */
        return;
    }
    write_samples(s, st, &h, pkt + h.payload_off, arrival_us);
    st->last_ssrc = h.ssrc;
}
