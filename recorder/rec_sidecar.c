/* The JSON sidecar of a recording session, rewritten atomically on every state change. */
#include "rec_session_int.h"
#include "rec_srtp.h"

#include "ar_err.h"
#include "ar_log.h"

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

/* ISO 8601 UTC with milliseconds, or JSON null for "never". */
static json_object *time_json(int64_t real_us)
{
    char buf[40];
    if (real_us <= 0)
        return NULL;
    time_t sec = (time_t)(real_us / 1000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(real_us / 1000 % 1000));
    return json_object_new_string(buf);
}

static void add_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v && v[0] ? json_object_new_string(v) : NULL);
}

static void add_int(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

static json_object *params_json(const rec_session *s)
{
    json_object *p = json_object_new_object();
    add_str(p, "record", s->uri.record);
    add_str(p, "calluuid", s->uri.calluuid);
    add_str(p, "dn", s->uri.dn);
    add_str(p, "recordDN", s->uri.record_dn);
    add_str(p, "otherDN", s->uri.other_dn);
    return p;
}

static json_object *id_list(const char (*ids)[REC_SIPREC_ID_LEN], int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(ids[i]));
    return a;
}

static json_object *siprec_json(const rec_session *s)
{
    const rec_siprec_meta *m = &s->meta;
    if (!s->have_meta)
        return NULL;
    json_object *o = json_object_new_object();
    add_str(o, "namespace", m->ns);
    add_str(o, "datamode", m->datamode);
    add_str(o, "group_id", m->group_id);
    add_str(o, "session_id", m->session_id);
    add_str(o, "sip_session_id", m->sip_session_id);
    json_object *parts = json_object_new_array();
    for (int i = 0; i < m->nparticipants; i++) {
        const rec_siprec_participant *p = &m->participants[i];
        json_object *j = json_object_new_object();
        add_str(j, "id", p->id);
        add_str(j, "aor", p->aor);
        add_str(j, "name", p->name);
        json_object_object_add(j, "send", id_list(p->send, p->nsend));
        json_object_object_add(j, "recv", id_list(p->recv, p->nrecv));
        json_object_array_add(parts, j);
    }
    json_object_object_add(o, "participants", parts);
    json_object *strs = json_object_new_array();
    for (int i = 0; i < m->nstreams; i++) {
        json_object *j = json_object_new_object();
        add_str(j, "id", m->streams[i].id);
        add_str(j, "session_id", m->streams[i].session);
        add_str(j, "label", m->streams[i].label);
        json_object_array_add(strs, j);
    }
    json_object_object_add(o, "streams", strs);
    return o;
}

static json_object *stream_json(const rec_session *s, const rec_stream *st)
{
    json_object *j = json_object_new_object();
    add_int(j, "index", st->index);
    add_str(j, "media", st->media);
    add_str(j, "label", st->label);
    add_str(j, "party", st->party);
    json_object_object_add(j, "accepted", json_object_new_boolean(st->accepted));
    json_object_object_add(j, "channel",
                           st->channel >= 0 ? json_object_new_int(st->channel + 1) : NULL);
    add_int(j, "payload_type", st->pt);
    add_str(j, "encoding", st->enc);
    add_int(j, "port", st->port);
    json_object_object_add(j, "active", json_object_new_boolean(st->active));
    add_int(j, "packets", (int64_t)st->packets);
    add_int(j, "bytes", (int64_t)st->bytes);
    add_int(j, "lost", (int64_t)(st->lost_before + ar_rtp_stats_lost(&st->st)));
    add_int(j, "out_of_order", (int64_t)st->out_of_order);
    add_int(j, "duplicates", (int64_t)st->duplicates);
    add_int(j, "malformed", (int64_t)st->malformed);
    add_int(j, "foreign_source", (int64_t)(st->sock ? rec_rtp_foreign(st->sock) : st->foreign));
    add_int(j, "other_payload", (int64_t)st->other_pt);
    add_int(j, "while_paused", (int64_t)st->paused_packets);
    add_int(j, "before_start", (int64_t)st->early);
    add_int(j, "late_samples", (int64_t)st->late_samples);
    add_int(j, "rtcp_packets", (int64_t)st->rtcp_packets);
    add_int(j, "rtcp_malformed", (int64_t)st->rtcp_malformed);
    rec_srtp_info si; /* SRTP counters (rec_srtp.c); null for a clear stream */
    rec_srtp_get_info(st->srtp, &si);
    json_object *sj = NULL;
    if (si.suite) {
        sj = json_object_new_object();
        add_str(sj, "suite", si.suite);
        add_int(sj, "decrypted", (int64_t)si.ok);
        add_int(sj, "auth_fail", (int64_t)si.auth_fail);
        add_int(sj, "replay", (int64_t)si.replay);
        add_int(sj, "other", (int64_t)si.other);
        add_int(sj, "rekeys", (int64_t)si.rekeys);
    }
    json_object_object_add(j, "srtp", sj);
    json_object_object_add(j, "ssrc", st->st.started ? json_object_new_int64(st->st.ssrc) : NULL);
    json_object_object_add(j, "jitter_ms",
                           json_object_new_double(st->st.jitter / (AR_WAV_RATE / 1000.0)));
    json_object_object_add(j, "first_packet",
                           st->first_us ? time_json(rec_session_real(s, st->first_us)) : NULL);
    json_object_object_add(j, "last_packet",
                           st->last_us ? time_json(rec_session_real(s, st->last_us)) : NULL);
    return j;
}

static json_object *session_json(const rec_session *s)
{
    json_object *o = json_object_new_object();
    add_str(o, "record_id", s->record_id);
    json_object_object_add(o, "record_id_generated", json_object_new_boolean(s->generated_id));
    add_str(o, "request_uri", s->request_uri);
    json_object_object_add(o, "params", params_json(s));
    add_str(o, "dialect", s->dialect == REC_DIALECT_SIPREC ? "siprec" : "seed");
    add_str(o, "call_id", s->call_id);
    add_str(o, "from", s->from);
    json_object_object_add(o, "siprec", siprec_json(s));
    add_str(o, "state", s->ended ? "ended" : s->paused ? "paused" : "recording");
    json_object_object_add(o, "start", time_json(s->start_real));
    json_object_object_add(o, "end", time_json(s->end_real));
    add_str(o, "end_reason", s->end_reason);

    json_object *wav = NULL;
    if (s->naudio > 0 && s->started) {
        char file[300];
        snprintf(file, sizeof file, "%s.wav", s->name);
        wav = json_object_new_object();
        add_str(wav, "file", file);
        add_str(wav, "format", s->law == AR_WAV_MULAW ? "mulaw" : "alaw");
        add_int(wav, "channels", s->naudio);
        add_int(wav, "rate", AR_WAV_RATE);
        add_int(wav, "samples", (int64_t)(s->wav ? ar_wav_writer_written(s->wav) : s->wav_samples));
    }
    json_object_object_add(o, "wav", wav);

    json_object *strs = json_object_new_array();
    for (int i = 0; i < s->nstreams; i++)
        json_object_array_add(strs, stream_json(s, &s->streams[i]));
    json_object_object_add(o, "streams", strs);

    json_object *pauses = json_object_new_array();
    for (int i = 0; i < s->npauses; i++) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "start", time_json(s->pauses[i].start_us));
        json_object_object_add(p, "end", time_json(s->pauses[i].end_us));
        json_object_array_add(pauses, p);
    }
    json_object_object_add(o, "pauses", pauses);
    json_object *ups = json_object_new_array();
    for (int i = 0; i < s->nupdates; i++) {
        const rec_param_update *u = &s->updates[i];
        json_object *j = json_object_new_object(), *kv = json_object_new_object();
        json_object_object_add(j, "at", time_json(u->at_us));
        add_str(j, "request", u->request);
        for (int k = 0; k < u->n; k++)
            json_object_object_add(kv, u->kv[k].name, json_object_new_string(u->kv[k].value));
        json_object_object_add(j, "params", kv);
        json_object_array_add(ups, j);
    }
    json_object_object_add(o, "param_updates", ups);
    add_int(o, "param_updates_not_listed", s->updates_dropped);
    add_int(o, "pauses_not_listed", s->pauses_dropped);
    add_int(o, "offers", s->offers);
    add_int(o, "sdp_version_changes", s->version_changes);
    add_int(o, "remote_sdp_version", (int64_t)s->remote_version);
    return o;
}

int rec_sidecar_write(const rec_session *s)
{
    int rc = AR_E_OK;
    char path[4096], tmp[4200];
    json_object *o = session_json(s);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    snprintf(path, sizeof path, "%s/%s.json", s->dir, s->name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        rc = AR_E_IO;
        goto cleanup;
    }
    int bad = fputs(text, fp) == EOF || fputc('\n', fp) == EOF;
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        rc = AR_E_IO;
    }
cleanup:
    if (rc != AR_E_OK)
        LOG_ERR(rec, "%s: cannot write %s", s->name, path);
    json_object_put(o);
    return rc;
}
