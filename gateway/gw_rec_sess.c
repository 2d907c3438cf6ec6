/* A second recording session on a call for another purpose: mediad's dest2 copy, own id. */
#include "gw_rec_int.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_db.h"
#include "gw_pool.h"
#include "gw_rec_pool.h"

typedef enum { S2_STARTING, S2_ON, S2_PAUSED, S2_OFF } s2_state;

struct gw_rec_sess {
    s2_state state;
    char *id, *dest, *params, *req_dn, *file_name, *started_by;
    gw_pool_lease *lease; /* recorder, when dest came from a pool */
    int64_t started_us;
};

static const char *const state_txt[] = {"Starting", "On", "Paused", "Off"};

/* User data keys of this session: GSIP_RECORD:<id> and GSIP_REC_FN:<id>. */
static void publish(gw_call *call, struct gw_rec_sess *s, bool with_fn)
{
    char k1[GW_REC_NAME_MAX + 16], k2[GW_REC_NAME_MAX + 16];
    snprintf(k1, sizeof k1, "GSIP_RECORD:%s", s->id);
    snprintf(k2, sizeof k2, "GSIP_REC_FN:%s", s->id);
    const char *kv[] = {k1, state_txt[s->state], k2, s->file_name};
    gw_rec_publish(call, kv, with_fn ? 4 : 2);
}

static void db_row(gw_call *call, struct gw_rec_sess *s, const char *state, const char *reason,
                   int64_t ended_us)
{
    gw_server *srv = call->calls->srv;
    if (!srv->db)
        return;
    char connid[17];
    tl_connid_format(call->connid, connid);
    gw_db_recording r = {
        .record_id = s->id,
        .connid = connid,
        .call_uuid = call->uuid,
        .recorded_dn = gw_rec_main_dn(call, 0),
        .other_dn = gw_rec_main_dn(call, 1),
        .side = "both",
        .started_by = s->started_by,
        .recorder = s->dest,
        .dest = s->dest,
        .file_name = s->file_name,
        .dialect = "seed",
        .audio_state = strcmp(state, "active") == 0 ? "sendonly" : "inactive",
        .video_state = "none",
        .state = state,
        .fail_reason = reason,
        .started_us = s->started_us,
        .ended_us = ended_us,
    };
    gw_db_write_recording(srv->db, &r);
}

static void db_seg(gw_call *call, struct gw_rec_sess *s, const char *event, const char *reason)
{
    gw_server *srv = call->calls->srv;
    if (!srv->db)
        return;
    gw_db_segment g = {s->id, event, reason, g_get_real_time()};
    gw_db_write_segment(srv->db, &g);
}

static void sess_free(struct gw_rec_sess **slot)
{
    struct gw_rec_sess *s = *slot;
    if (!s)
        return;
    *slot = NULL;
    gw_pool_lease_release(&s->lease);
    g_free(s->id);
    g_free(s->dest);
    g_free(s->params);
    g_free(s->req_dn);
    g_free(s->file_name);
    g_free(s->started_by);
    g_free(s);
}

bool gw_rec_sess_live(const struct gw_rec_sess *s)
{
    return s && s->state != S2_OFF;
}

bool gw_rec_sess_owns(const struct gw_rec_sess *s, const char *id)
{
    return s && id && s->id && strcmp(s->id, id) == 0;
}

int gw_rec_sess_start(gw_call *call, struct gw_rec_sess **slot, const gw_rec_req *r, char *why,
                      size_t cap)
{
    const gw_config *cfg = call->calls->srv->cfg;
    unsigned long long cid = (unsigned long long)call->connid;
    if (cfg->recording_sessions < 2 || gw_rec_sess_live(*slot)) {
        snprintf(why, cap, "call %016llx is already being recorded%s", cid,
                 cfg->recording_sessions < 2 ? "" : " by two sessions");
        return AR_E_ALREADY_RECORDING;
    }
    ar_msml m;
    if (!gw_rec_main_create(call, &m)) {
        snprintf(why, cap, "call %016llx: the first recording session is not On or Paused yet",
                 cid);
        return AR_E_ALREADY_RECORDING;
    }
    if (ar_msml_get_param(&m, "dest2")) {
        snprintf(why, cap, "call %016llx: the first session duplicates to dest2 already", cid);
        return AR_E_ALREADY_RECORDING;
    }
    const char *main_id = ar_msml_get_param(&m, "id");
    if (r->id && main_id && strcmp(r->id, main_id) == 0) {
        snprintf(why, cap, "call %016llx is already being recorded with id %s", cid, r->id);
        return AR_E_ALREADY_RECORDING;
    }
    if (r->dest2) {
        snprintf(why, cap, "a second recording session has no dest2");
        return AR_E_INVALID_VALUE;
    }
    gw_pool_lease *lease = NULL;
    char *dest = NULL;
    int err = gw_rec_pool_recorder(call, r->dest, NULL, NULL, 0, &lease, &dest, why, cap);
    if (err != AR_E_OK)
        return err;
    sess_free(slot);
    struct gw_rec_sess *s = g_new0(struct gw_rec_sess, 1);
    s->lease = lease;
    s->dest = dest;
    s->started_by = g_strdup(r->started_by ? r->started_by : "dynamic");
    s->req_dn = g_strdup(r->req_dn);
    s->params = g_strdup(r->params);
    s->started_us = g_get_real_time();
    char gen[64];
    snprintf(gen, sizeof gen, "%s_s2_%lld", call->uuid, (long long)(s->started_us / 1000));
    const char *tmpl = cfg->rec.recording_filename;
    const char *adn = gw_rec_main_dn(call, 0), *odn = gw_rec_main_dn(call, 1);
    s->id = gw_rec_expand_name("$ID$", call, adn, odn, r->id ? r->id : gen, s->started_us);
    s->file_name = gw_rec_expand_name(tmpl ? tmpl : "$ID$", call, adn, odn, s->id, s->started_us);
    *slot = s;
    /* The main session's document with dest2 / id2: mediad plans only that copy. */
    gw_rec_add_params(&m, r->params, false);
    ar_msml_add_param(&m, "dest2", s->dest);
    ar_msml_add_param(&m, "id2", s->id);
    ar_msml_add_param(&m, "failover", "dest2");
    err = gw_rec_msml(call, &m, GW_REC_INFO_S2 + 3);
    if (err != AR_E_OK) {
        snprintf(why, cap, "MSML to mediad failed: %s", ar_strerror(err));
        sess_free(slot);
        return err;
    }
    LOG_INFO(rec, "call %016llx: second recording session %s requested (dest %s)", cid, s->id,
             s->dest);
    return AR_E_OK;
}

int gw_rec_sess_control(gw_call *call, struct gw_rec_sess *s, gw_rec_ctl op, const char *req_dn,
                        const char *params, char *why, size_t cap)
{
    unsigned long long cid = (unsigned long long)call->connid;
    if (!gw_rec_sess_live(s)) {
        snprintf(why, cap, "call %016llx: recording session %s is not recording", cid,
                 s && s->id ? s->id : "-");
        return AR_E_NOT_RECORDING;
    }
    if (s->state == S2_STARTING && op != GW_REC_STOP) {
        snprintf(why, cap, "recording session %s is still starting", s->id);
        return AR_E_INVALID_CALL_STATE;
    }
    if (op == GW_REC_PAUSE && s->state == S2_PAUSED) {
        snprintf(why, cap, "recording session %s is already paused", s->id);
        return AR_E_INVALID_CALL_STATE;
    }
    if (op == GW_REC_RESUME && s->state != S2_PAUSED) {
        snprintf(why, cap, "recording session %s is not paused", s->id);
        return AR_E_NOT_PAUSED;
    }
    if (req_dn) {
        g_free(s->req_dn);
        s->req_dn = g_strdup(req_dn);
    }
    static const ar_msml_op_type ops[] = {AR_MSML_OP_STOP, AR_MSML_OP_PAUSE, AR_MSML_OP_RESUME};
    ar_msml m;
    ar_msml_init(&m);
    ar_msml_add_op(&m, ops[op], "recorder");
    gw_rec_add_params(&m, params, false);
    ar_msml_add_param(&m, "copy", "dest2"); /* only this session's copy */
    int err = gw_rec_msml(call, &m, GW_REC_INFO_S2 + (int)op);
    if (err != AR_E_OK) {
        snprintf(why, cap, "MSML to mediad failed: %s", ar_strerror(err));
        return err;
    }
    static const char *const seg[] = {"stop", "pause", "resume"};
    bool was_on = s->state != S2_STARTING;
    s->state = op == GW_REC_STOP ? S2_OFF : op == GW_REC_PAUSE ? S2_PAUSED : S2_ON;
    if (op == GW_REC_STOP)
        gw_pool_lease_release(&s->lease);
    if (was_on) {
        db_seg(call, s, seg[op], params && *params ? params : NULL);
        db_row(call, s,
               op == GW_REC_STOP    ? "completed"
               : op == GW_REC_PAUSE ? "paused"
                                    : "active",
               NULL, op == GW_REC_STOP ? g_get_real_time() : 0);
    }
    LOG_INFO(rec, "call %016llx: recording session %s %s", cid, s->id, seg[op]);
    return AR_E_OK;
}

static void sess_fail(gw_call *call, struct gw_rec_sess *s, const char *reason)
{
    bool was = s->state == S2_ON || s->state == S2_PAUSED;
    LOG_WARN(rec, "call %016llx: recording session %s failed: %s", (unsigned long long)call->connid,
             s->id, reason);
    s->state = S2_OFF;
    gw_pool_lease_release(&s->lease);
    publish(call, s, false);
    gw_rec_info_event(call, TL_GSIP_RECORD_STOP, s->req_dn, s->id, "Off", reason);
    if (was)
        db_seg(call, s, "fail", reason);
    db_row(call, s, "failed", reason, g_get_real_time());
}

/* After a kept transfer: this session's recorder learns the new other party too (the
   main session's modify, gw_rec_keep.c, names copy=dest only). */
void gw_rec_sess_metadata(gw_call *call, struct gw_rec_sess *s, const char *other_dn)
{
    if (!s || (s->state != S2_ON && s->state != S2_PAUSED) || !other_dn)
        return;
    ar_msml m;
    ar_msml_init(&m);
    ar_msml_add_op(&m, s->state == S2_PAUSED ? AR_MSML_OP_PAUSE : AR_MSML_OP_RESUME, "recorder");
    ar_msml_add_param(&m, "otherDN", other_dn);
    ar_msml_add_param(&m, "copy", "dest2"); /* its state stays as it is */
    int err = gw_rec_msml(call, &m, GW_REC_INFO_S2 + 4);
    if (err != AR_E_OK)
        LOG_WARN(rec, "call %016llx: recording session %s: metadata update not sent: %s",
                 (unsigned long long)call->connid, s->id, ar_strerror(err));
    db_row(call, s, s->state == S2_ON ? "active" : "paused", NULL, 0);
}

void gw_rec_sess_info_answer(gw_call *call, struct gw_rec_sess *s, int kind, int status,
                             const char *body)
{
    if (!s)
        return;
    int op = kind - GW_REC_INFO_S2;
    if (op == 4) { /* a metadata update: a refusal leaves the session as it is */
        if (status >= 300)
            LOG_WARN(rec,
                     "call %016llx: recording session %s: mediad refused the metadata "
                     "update (%d)",
                     (unsigned long long)call->connid, s->id, status);
        return;
    }
    if (status >= 300) {
        char why[300];
        snprintf(why, sizeof why, "mediad refused MSML (%d): %.200s", status,
                 body ? body : "no body");
        for (char *c = why; *c; c++)
            if (*c == '\r' || *c == '\n')
                *c = ' ';
        if (s->state != S2_OFF)
            sess_fail(call, s, why);
        return;
    }
    if (op == 3) {
        if (s->state != S2_STARTING) {
            /* Stopped while starting: end what mediad just started. */
            if (s->state == S2_OFF) {
                ar_msml m;
                ar_msml_init(&m);
                ar_msml_add_op(&m, AR_MSML_OP_STOP, "recorder");
                ar_msml_add_param(&m, "copy", "dest2");
                gw_rec_msml(call, &m, GW_REC_INFO_S2 + GW_REC_STOP);
            }
            return;
        }
        s->state = S2_ON;
        publish(call, s, true);
        gw_rec_info_event(call, TL_GSIP_RECORD_START, s->req_dn, s->id, "On", NULL);
        db_row(call, s, "active", NULL, 0);
        db_seg(call, s, "start", NULL);
        LOG_INFO(rec, "call %016llx: recording session %s on (file %s)",
                 (unsigned long long)call->connid, s->id, s->file_name);
        return;
    }
    /* Pause / resume / stop confirmed: the indication follows what mediad did. */
    static const s2_state want[] = {
        [GW_REC_STOP] = S2_OFF, [GW_REC_PAUSE] = S2_PAUSED, [GW_REC_RESUME] = S2_ON};
    if (op >= 0 && op <= 2 && s->state == want[op])
        publish(call, s, false);
}

bool gw_rec_sess_error(gw_call *call, struct gw_rec_sess *s, const char *id, const char *reason)
{
    if (!gw_rec_sess_owns(s, id))
        return false;
    if (s->state != S2_OFF)
        sess_fail(call, s, reason ? reason : "recorder error");
    return true;
}

void gw_rec_sess_end(gw_call *call, struct gw_rec_sess **slot, const char *why)
{
    struct gw_rec_sess *s = *slot;
    if (!s)
        return;
    if (s->state == S2_ON || s->state == S2_PAUSED) {
        s->state = S2_OFF;
        publish(call, s, false);
        db_seg(call, s, "stop", why);
        db_row(call, s, "completed", NULL, g_get_real_time());
        LOG_INFO(rec, "call %016llx: recording session %s ended (%s)",
                 (unsigned long long)call->connid, s->id, why);
    }
    sess_free(slot);
}
