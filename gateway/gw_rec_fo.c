/* Recording failover: next recorder / mediad of the pool, same record id; duplication. */
#include "gw_rec_int.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_rec_pool.h"

/* The member behind *lease failed for this call: never pick it again for it; broken: it is
   also out of service for everyone (not for "full", which only this pick learnt). */
static void fo_drop(struct gw_rec_call *rc, gw_pool_lease **lease, const char *why, bool broken)
{
    /* Detach first: marking the member failed calls gw_rec_member_down for every call on
       it, and this call must not fail over twice. The lease keeps m alive meanwhile. */
    gw_pool_lease *l = *lease;
    *lease = NULL;
    const gw_pool_member *m = l ? gw_pool_lease_member(l) : NULL;
    if (m) {
        if (!rc->fo_bad)
            rc->fo_bad = g_ptr_array_new();
        g_ptr_array_add(rc->fo_bad, (gpointer)m);
        if (broken)
            gw_pool_member_failed(gw_rec_srv(rc->call)->pools, m, why);
    }
    gw_pool_lease_release(&l);
}

/* The next member for this call: mediad, or the recorder of copy k from the pool its
   request named (same geo-location); never one that failed for this call, nor the other
   copy's recorder. An explicit URI has no next member. */
static int fo_pick(struct gw_rec_call *rc, gw_pool_kind kind, int k, gw_pool_lease **out, char *why,
                   size_t cap)
{
    GPtrArray *ex = g_ptr_array_new();
    for (guint i = 0; rc->fo_bad && i < rc->fo_bad->len; i++)
        g_ptr_array_add(ex, g_ptr_array_index(rc->fo_bad, i));
    if (kind == GW_POOL_RECORDER && rc->rec_lease[!k])
        g_ptr_array_add(ex, (gpointer)gw_pool_lease_member(rc->rec_lease[!k]));
    const gw_pool_member *const *list = (const gw_pool_member *const *)ex->pdata;
    int err;
    if (kind == GW_POOL_MEDIAD) {
        err = gw_rec_pool_mediad(rc->call, rc->geo, list, ex->len, out, why, cap);
    } else {
        char *uri = NULL;
        err = gw_rec_pool_recorder(rc->call, rc->dest_spec[k], rc->geo, list, ex->len, out, &uri,
                                   why, cap);
        g_free(uri);
        if (err == AR_E_OK && !*out) {
            snprintf(why, cap, "dest was given as a URI, not a pool");
            err = AR_E_POOL_NO_MEMBER;
        }
    }
    g_ptr_array_free(ex, TRUE);
    return err;
}

/* Ask mediad to replace the session of copy k (0 dest, 1 dest2) toward the new recorder. */
static int send_failover(struct gw_rec_call *rc, int k)
{
    ar_msml m;
    gw_rec_build_create(rc, &m);
    ar_msml_add_param(&m, "failover", k ? "dest2" : "dest");
    return gw_rec_send_msml(rc, &m, k ? INFO_FAILOVER2 : INFO_FAILOVER);
}

/* The recorder of copy k failed (rejected, timed out, dropped): the next member of the pool
   takes over with the same record id; else that copy is down, and GSIP_RECORD goes Off only
   when no copy is left. */
void gw_rec_fo_copy_failed(struct gw_rec_call *rc, int k, const char *why, bool broken)
{
    gw_call *call = rc->call;
    const gw_config *cfg = gw_rec_srv(call)->cfg;
    unsigned long long cid = (unsigned long long)call->connid;
    char **dest = k ? &rc->dest2 : &rc->dest;
    char old[256], pw[200] = "";
    snprintf(old, sizeof old, "%s", *dest ? *dest : "-");
    bool pooled = rc->rec_lease[k] != NULL;
    fo_drop(rc, &rc->rec_lease[k], why, broken);
    if (cfg->recorder_failover && pooled) {
        gw_pool_lease *l = NULL;
        if (fo_pick(rc, GW_POOL_RECORDER, k, &l, pw, sizeof pw) == AR_E_OK) {
            rc->rec_lease[k] = l;
            gw_rec_set_str(dest, gw_pool_lease_uri(l));
            LOG_WARN(rec, "call %016llx: recording %s: recorder %s failed (%s), failing over to %s",
                     cid, rc->id, old, why, *dest);
            char seg[700];
            snprintf(seg, sizeof seg, "recorder %s failed: %s", old, why);
            gw_rec_db_segment(rc, "fail", seg);
            if (send_failover(rc, k) == AR_E_OK)
                return;
            snprintf(pw, sizeof pw, "MSML to mediad failed");
        }
    }
    rc->copy_down[k] = true;
    bool other_up = k == 0 ? rc->dest2 && !rc->copy_down[1] : !rc->copy_down[0];
    char msg[800];
    if (other_up) {
        /* Duplication: the other copy still records, so GSIP_RECORD stays as it is. */
        snprintf(msg, sizeof msg, "%s copy to %s failed: %s%s%s", k ? "duplicate" : "main", old,
                 why, *pw ? "; no other recorder: " : "", pw);
        LOG_WARN(rec, "call %016llx: recording %s: %s", cid, rc->id, msg);
        gw_rec_private_info_x(rc, TL_GSIP_RECORD_START, gw_rec_state_name(call), msg, NULL, NULL);
        return;
    }
    if (pooled && cfg->recorder_failover)
        snprintf(msg, sizeof msg, "all recorders failed: %s (%s)", why, *pw ? pw : "no other");
    else
        snprintf(msg, sizeof msg, "%s", why);
    gw_rec_fail(rc, msg);
}

/* msml.recorder.failover: mediad measured the gap between the old and the new recorder. */
void gw_rec_fo_recorder_done(struct gw_rec_call *rc, const ar_msml *m)
{
    const char *gap = ar_msml_get_param(m, "gap-ms"), *from = ar_msml_get_param(m, "from"),
               *to = ar_msml_get_param(m, "dest"), *max = ar_msml_get_param(m, "gap-max-ms");
    char msg[600];
    /* gap: last RTP sent to the old recorder -> first to the new one; max: from the old
       one's last sign of life (what it may not have received). */
    snprintf(msg, sizeof msg,
             "recorder failover from %s to %s: %s ms of media not recorded (at most %s ms)",
             from ? from : "?", to ? to : "?", gap ? gap : "?", max ? max : "?");
    LOG_WARN(rec, "call %016llx: recording %s: %s", (unsigned long long)rc->call->connid,
             rc->id ? rc->id : "-", msg);
    gw_rec_private_info_x(rc, TL_GSIP_RECORD_START, gw_rec_state_name(rc->call), msg, "gap-ms",
                          gap);
    gw_rec_db_segment(rc, "resume", msg);
    if (rc->state == RS_ON || rc->state == RS_PAUSED)
        gw_rec_db_recording(rc, rc->state == RS_ON ? "active" : "paused", NULL, 0);
}

/* mediad lost (killed, unreachable, dialogs failing, or refusing the legs): the next member
   of the mediad pool gets the parties (RFC 3725 insertion again) and the recording is
   re-established with the same parameters and record id (seed "Failover of Media Server").
   false: nobody can take over, the caller ends the recording as before. */
bool gw_rec_fo_mediad(struct gw_rec_call *rc, const char *why, bool broken)
{
    gw_call *call = rc->call;
    const gw_config *cfg = gw_rec_srv(call)->cfg;
    unsigned long long cid = (unsigned long long)call->connid;
    bool live = rc->state == RS_ON || rc->state == RS_PAUSED || rc->state == RS_CONNECTING;
    if (!cfg->mediad_failover || !rc->md_lease || call->ending || !live || !rc->party[0] ||
        !rc->party[1])
        return false;
    char old[256], pw[200];
    snprintf(old, sizeof old, "%s", gw_pool_lease_uri(rc->md_lease));
    fo_drop(rc, &rc->md_lease, why, broken);
    gw_pool_lease *l = NULL;
    if (fo_pick(rc, GW_POOL_MEDIAD, 0, &l, pw, sizeof pw) != AR_E_OK) {
        LOG_WARN(rec, "call %016llx: mediad %s lost (%s) and no other can take over: %s", cid, old,
                 why, pw);
        return false;
    }
    /* Still starting (never On): the normal start path publishes On when it gets there. */
    if (!rc->md_failover && rc->state != RS_CONNECTING) {
        rc->md_failover = true;
        rc->md_fo_paused = rc->state == RS_PAUSED;
        rc->md_lost_us = g_get_real_time();
    }
    LOG_WARN(rec, "call %016llx: recording %s: mediad %s lost (%s), failing over to %s", cid,
             rc->id ? rc->id : "-", old, why, gw_pool_lease_uri(l));
    /* The old legs go (their BYE may never be answered: nua gives up on its own). */
    gw_rec_msc_release_all(rc, "mediad failover");
    rc->md_lease = l;
    int64_t started = rc->started_us;
    rc->state = RS_WAITING;
    gw_rec_begin(rc); /* inserts through md_lease; send_create follows when both legs are up */
    rc->started_us = started;
    return rc->state == RS_CONNECTING || rc->state == RS_WAITING;
}

/* The new mediad confirmed the createconference: the recording goes on where it was. */
void gw_rec_fo_mediad_done(struct gw_rec_call *rc)
{
    int64_t ms = (g_get_real_time() - rc->md_lost_us) / 1000;
    rc->md_failover = false;
    rc->state = RS_ON;
    char msg[400], gap[24];
    snprintf(gap, sizeof gap, "%lld", (long long)ms);
    snprintf(msg, sizeof msg,
             "mediad failover to %s: recording re-established %s ms after the loss was detected",
             rc->md_lease ? gw_pool_lease_uri(rc->md_lease) : "?", gap);
    LOG_WARN(rec, "call %016llx: recording %s: %s", (unsigned long long)rc->call->connid, rc->id,
             msg);
    gw_rec_private_info_x(rc, TL_GSIP_RECORD_START, "On", msg, "gap-ms", gap);
    gw_rec_db_segment(rc, "resume", msg);
    if (rc->md_fo_paused) {
        /* It was paused when the old mediad was lost: pause the new session too. */
        ar_msml m;
        ar_msml_init(&m);
        ar_msml_add_op(&m, AR_MSML_OP_PAUSE, CONF);
        if (gw_rec_send_msml(rc, &m, INFO_PAUSE) == AR_E_OK)
            rc->state = RS_PAUSED;
    }
    /* The row's mediad column is the new one now. */
    gw_rec_db_recording(rc, rc->state == RS_PAUSED ? "paused" : "active", NULL, 0);
}

void gw_rec_member_down(gw_server *srv, const gw_pool_member *m)
{
    if (!srv || !srv->calls || !m)
        return;
    /* Copy first: a failover or a failure can change the calls' states, not the table. */
    GPtrArray *hit = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, srv->calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        struct gw_rec_call *rc = ((gw_call *)v)->rec;
        if (rc && rc->md_lease && gw_pool_lease_member(rc->md_lease) == m)
            g_ptr_array_add(hit, rc);
    }
    for (guint i = 0; i < hit->len; i++) {
        struct gw_rec_call *rc = g_ptr_array_index(hit, i);
        const char *why = "media server out of service (OPTIONS)";
        if (gw_rec_fo_mediad(rc, why, false))
            continue;
        if (rc->state != RS_IDLE && rc->state != RS_FAILED)
            gw_rec_fail(rc, why);
        gw_rec_msc_abort(rc, "mediad lost");
    }
    g_ptr_array_free(hit, TRUE);
    gw_server_flush(srv);
}
