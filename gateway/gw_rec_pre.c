/* Pre-recording: a call kept as mediad's local WAV until a START claims it, or a window ends. */
#include "gw_rec_int.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_db.h"

/*
 * The seed's pre-recording: "a recording requested ... shortly after [the call] ends
 * records the call in its entirety". Calls of a DN with pre-recording = true (and no
 * full-time recording) get a hidden recording at once: mediad's local stereo WAV only
 * (localrecord=true, no recorder), no GSIP_RECORD, no event, no database row. A START
 * during the call claims it (it becomes the call's recording, announced as usual); after
 * the call, the ended call is remembered for pre-recording-window-ms, and a START with its
 * ConnID within that window keeps the file as the recording (EventACK, EventPrivateInfo,
 * database row). Otherwise the file is deleted at the window's end.
 * docs/recording.md "Pre-recording".
 */

/* An ended call whose pre-recording waits for a START. */
typedef struct {
    gw_calls *calls;
    uint64_t connid;
    char *id, *uuid, *record_dn, *other_dn, *path, *mediad;
    int64_t started_us, ended_us;
    unsigned timer;
} pre_ended;

struct gw_rec_pre_reg {
    GHashTable *ended; /* uint64_t * connid -> pre_ended * */
};

static bool enabled(const gw_config *cfg)
{
    return cfg->pre_recording_window_ms > 0 && cfg->pre_recording_dir && *cfg->pre_recording_dir;
}

void gw_rec_pre_start(gw_call *call)
{
    const gw_config *cfg = gw_rec_srv(call)->cfg;
    struct gw_rec_call *rc = call->rec;
    if (!enabled(cfg) || call->main || (rc && (rc->pre_tried || rc->state != RS_IDLE)))
        return;
    const gw_party *p = NULL;
    for (const gw_party *q = call->parties; q && !p; q = q->next) {
        const gw_dn_conf *d = gw_config_find_dn(cfg, q->dn);
        if (d && d->pre_recording && q->state == GW_PS_ESTABLISHED)
            p = q;
    }
    if (!p)
        return;
    char id[GW_REC_NAME_MAX + 1];
    snprintf(id, sizeof id, "%.90s_pre", call->uuid);
    gw_rec_req r = {.started_by = "pre-recording",
                    .side = "source",
                    .record_dn = p->dn,
                    .id = id,
                    .params = "localrecord=true",
                    .tonesilenceduration = -1,
                    .pre = true};
    char why[200];
    int err = gw_rec_request(call, &r, why, sizeof why);
    if (call->rec) /* absent when no mediad could be picked: the next answer tries again */
        call->rec->pre_tried = true;
    if (err == AR_E_OK) /* mediad names the local file after the id, whatever the template */
        gw_rec_set_str(&call->rec->file_name, call->rec->id);
    if (err != AR_E_OK)
        LOG_WARN(rec, "call %016llx: pre-recording not started: %s",
                 (unsigned long long)call->connid, why);
}

int gw_rec_pre_claim(struct gw_rec_call *rc, const gw_rec_req *r)
{
    rc->pre_hidden = false;
    gw_rec_set_str(&rc->started_by, "dynamic");
    gw_rec_set_str(&rc->req_dn, r->req_dn);
    LOG_INFO(rec, "call %016llx: pre-recording %s claimed by a START from %s",
             (unsigned long long)rc->call->connid, rc->id, r->req_dn ? r->req_dn : "-");
    if (rc->state == RS_ON || rc->state == RS_PAUSED)
        gw_rec_announce_on(rc); /* else mediad's answer to the createconference does it */
    return AR_E_OK;
}

static void ended_free(void *arg)
{
    pre_ended *e = arg;
    if (e->timer)
        e->calls->timers.cancel(e->calls->timers.ud, e->timer);
    g_free(e->id);
    g_free(e->uuid);
    g_free(e->record_dn);
    g_free(e->other_dn);
    g_free(e->path);
    g_free(e->mediad);
    g_free(e);
}

static void drop_file(pre_ended *e, const char *why)
{
    if (g_unlink(e->path) != 0)
        LOG_WARN(rec, "call %016llx: pre-recording %s: cannot delete %s (%s)",
                 (unsigned long long)e->connid, e->id, e->path, g_strerror(errno));
    else
        LOG_INFO(rec, "call %016llx: pre-recording %s deleted (%s)", (unsigned long long)e->connid,
                 e->id, why);
}

static bool window_end(void *arg)
{
    pre_ended *e = arg;
    e->timer = 0;
    drop_file(e, "no START within the window");
    g_hash_table_remove(e->calls->rec_pre->ended, &e->connid);
    return false;
}

void gw_rec_pre_call_end(struct gw_rec_call *rc)
{
    gw_call *call = rc->call;
    gw_calls *calls = call->calls;
    const gw_config *cfg = gw_rec_srv(call)->cfg;
    if (!rc->pre_hidden || (rc->state != RS_ON && rc->state != RS_PAUSED) || !enabled(cfg))
        return;
    if (!calls->rec_pre) {
        calls->rec_pre = g_new0(struct gw_rec_pre_reg, 1);
        calls->rec_pre->ended =
            g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, ended_free);
    }
    pre_ended *e = g_new0(pre_ended, 1);
    e->calls = calls;
    e->connid = call->connid;
    e->id = g_strdup(rc->id);
    e->uuid = g_strdup(call->uuid);
    e->record_dn = g_strdup(rc->party[0] ? rc->party[0]->dn : rc->record_dn);
    e->other_dn = g_strdup(rc->party[1] ? rc->party[1]->dn : NULL);
    e->path = g_strdup_printf("%s/%s.wav", cfg->pre_recording_dir, rc->id);
    e->mediad = rc->md_lease ? gw_rec_hostport(gw_pool_lease_uri(rc->md_lease)) : NULL;
    e->started_us = rc->started_us;
    e->ended_us = g_get_real_time();
    e->timer =
        calls->timers.add(calls->timers.ud, (unsigned)cfg->pre_recording_window_ms, window_end, e);
    g_hash_table_replace(calls->rec_pre->ended, &e->connid, e);
    LOG_INFO(rec, "call %016llx: pre-recording %s kept for %d ms after the call (%s)",
             (unsigned long long)call->connid, e->id, cfg->pre_recording_window_ms, e->path);
}

bool gw_rec_pre_claim_ended(gw_calls *calls, uint64_t connid, const char *req_dn, char *fn,
                            size_t cap)
{
    pre_ended *e = calls->rec_pre ? g_hash_table_lookup(calls->rec_pre->ended, &connid) : NULL;
    if (!e)
        return false;
    gw_server *srv = calls->srv;
    if (srv->db) {
        char cid[17];
        tl_connid_format(connid, cid);
        gw_db_recording r = {.record_id = e->id,
                             .connid = cid,
                             .call_uuid = e->uuid,
                             .recorded_dn = e->record_dn,
                             .other_dn = e->other_dn,
                             .side = "both",
                             .started_by = "dynamic",
                             .mediad = e->mediad,
                             .file_name = e->id,
                             .dialect = "seed",
                             .audio_state = "inactive",
                             .video_state = "none",
                             .state = "completed",
                             .started_us = e->started_us,
                             .ended_us = e->ended_us};
        gw_db_write_recording(srv->db, &r);
        gw_db_segment s0 = {e->id, "start", NULL, e->started_us};
        gw_db_segment s1 = {e->id, "stop", "pre-recording claimed after the call", e->ended_us};
        gw_db_write_segment(srv->db, &s0);
        gw_db_write_segment(srv->db, &s1);
    }
    /* The requester learns the file: the parties are gone. */
    gw_dn *dn = req_dn ? gw_dn_find(srv->dns, req_dn) : NULL;
    tl_msg *m = dn ? tl_msg_new(TL_M_EventPrivateInfo) : NULL;
    tl_kv *ext = m ? tl_kv_new() : NULL;
    if (m && ext) {
        tl_msg_set_int(m, TL_A_PrivateMsgID, TL_GSIP_RECORD_START);
        tl_msg_set_str(m, TL_A_ThisDN, req_dn);
        tl_msg_set_connid(m, TL_A_ConnID, connid);
        tl_kv_add_str(ext, "GSIP_RECORD", "Off");
        tl_kv_add_str(ext, "GSIP_REC_FN", e->id);
        tl_kv_add_str(ext, "id", e->id);
        tl_kv_add_str(ext, "reason", "pre-recording of an ended call kept");
        tl_msg_set_kv(m, TL_A_Extensions, ext);
        ext = NULL;
        gw_server_publish(srv, dn, m);
    }
    tl_kv_free(&ext);
    tl_msg_free(&m);
    g_strlcpy(fn, e->id, cap);
    LOG_INFO(rec, "call %016llx: pre-recording %s kept: START %.0f ms after the call (%s)",
             (unsigned long long)connid, e->id, (g_get_real_time() - e->ended_us) / 1000.0,
             e->path);
    g_hash_table_remove(calls->rec_pre->ended, &connid);
    return true;
}

void gw_rec_pre_free(gw_calls *calls)
{
    if (!calls->rec_pre)
        return;
    /* Nobody can claim them any more: their files go too. */
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, calls->rec_pre->ended);
    while (g_hash_table_iter_next(&it, NULL, &v))
        drop_file(v, "gatewayd stops");
    g_hash_table_destroy(calls->rec_pre->ended);
    g_free(calls->rec_pre);
    calls->rec_pre = NULL;
}
