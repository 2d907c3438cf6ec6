/* Recording controller: mediad legs (RFC 3725 insertion), MSML over INFO, GSIP_RECORD state. */
#include "gw_rec.h"
#include "gw_rec_int.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "ar_msml.h"
#include "gw_agent.h"
#include "gw_callev.h"
#include "gw_conf.h"
#include "gw_conf_rec.h"
#include "gw_db.h"
#include "gw_dn.h"
#include "gw_monitor.h"
#include "gw_pool.h"
#include "gw_rec_int.h"
#include "gw_rec_pool.h"
#include "gw_rec_video.h"
#include "gw_siptls.h"
#include "gw_site.h"

/* Insertion waits for the parties' own offer/answer (gw_rec_settled ends the wait); this
   only bounds it, as a safety net. */
#define SETTLE_MS 5000

gw_server *gw_rec_srv(gw_call *call)
{
    return call->calls->srv;
}

/* Members that failed for this call: never picked again for it. */
static const gw_pool_member *const *fo_bad_list(const struct gw_rec_call *rc)
{
    return rc->fo_bad ? (const gw_pool_member *const *)rc->fo_bad->pdata : NULL;
}

void gw_rec_set_str(char **dst, const char *v)
{
    g_free(*dst);
    *dst = v && *v ? g_strdup(v) : NULL;
}

const char *gw_rec_state_name(const gw_call *call)
{
    const struct gw_rec_call *rc = call->rec;
    if (!rc || rc->pre_hidden) /* a pre-recording nobody asked for yet is not shown */
        return "Off";
    switch (rc->state) {
    case RS_ON:
        return "On";
    case RS_PAUSED:
        return "Paused";
    case RS_WAITING:
    case RS_CONNECTING:
        return "Starting";
    default:
        return "Off";
    }
}

/* --- media server address: the VoIP Service DN with service-type msml --- */

static const gw_dn_conf *msml_service(const gw_config *cfg)
{
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const gw_dn_conf *d = &cfg->dns[i];
        if (d->type == GW_DN_VOIP_SERVICE && d->contact && d->service_type &&
            g_ascii_strcasecmp(d->service_type, "msml") == 0)
            return d;
    }
    return NULL;
}

size_t gw_rec_count(gw_calls *calls, const char *msml_dn, const char *dest)
{
    if (!calls)
        return 0;
    /* Every recording goes through the first msml DN (msml_service). */
    const gw_dn_conf *svc = msml_service(calls->srv->cfg);
    if (msml_dn && (!svc || strcmp(svc->number, msml_dn) != 0))
        return 0;
    size_t n = 0;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const struct gw_rec_call *rc = ((gw_call *)v)->rec;
        if (!rc || rc->pre_hidden || (rc->state != RS_ON && rc->state != RS_PAUSED))
            continue;
        if (!dest || (rc->dest && strcmp(rc->dest, dest) == 0) ||
            (rc->dest2 && strcmp(rc->dest2, dest) == 0))
            n++;
    }
    return n;
}

/* "sip:[user@]host:port[;params]" -> "host:port". */
static char *contact_hostport(const char *contact)
{
    const char *s = contact;
    if (g_str_has_prefix(s, "sip:") || g_str_has_prefix(s, "sips:"))
        s = strchr(s, ':') + 1;
    const char *at = strchr(s, '@');
    if (at)
        s = at + 1;
    size_t n = strcspn(s, ";>");
    return g_strndup(s, n);
}

char *gw_rec_hostport(const char *contact)
{
    return contact_hostport(contact);
}

/* --- user data and events --- */

/* Set (value non-NULL) or remove keys in the call's user data; EventAttachedDataChanged. */
/* GSIP_RECORD_AUDIO / GSIP_RECORD_VIDEO follow every GSIP_RECORD change, in the same
   event (seed "Video Recording": separate indications); video is Off unless the recorder
   gets (and keeps) the parties' video. */
static void ud_media_keys(gw_call *call, const char *state)
{
    const struct gw_rec_call *rc = call->rec;
    bool off = strcmp(state, "Off") == 0;
    tl_kv_remove(call->ud, "GSIP_RECORD_AUDIO");
    tl_kv_add_str(call->ud, "GSIP_RECORD_AUDIO", state);
    tl_kv_remove(call->ud, "GSIP_RECORD_VIDEO");
    tl_kv_add_str(call->ud, "GSIP_RECORD_VIDEO", !off && rc && rc->video_on ? state : "Off");
}

static void ud_publish(gw_call *call, const char *const *kv, size_t n)
{
    if (call->rec && call->rec->pre_hidden)
        return; /* pre-recording: no indication until a START claims it (gw_rec_pre.c) */
    for (size_t i = 0; i + 1 < n; i += 2) {
        tl_kv_remove(call->ud, kv[i]);
        if (kv[i + 1])
            tl_kv_add_str(call->ud, kv[i], kv[i + 1]);
        if (kv[i + 1] && strcmp(kv[i], "GSIP_RECORD") == 0)
            ud_media_keys(call, kv[i + 1]);
    }
    if (call->ending)
        return;
    for (gw_party *q = call->parties; q; q = q->next)
        gw_callev_party(call, q, TL_M_EventAttachedDataChanged, NULL);
    gw_callev_mon_data(call);
}

/* EventPrivateInfo about this recording to the parties' DNs and the requester's DN. */
/* extra_k / extra_v: one more Extensions pair (failover: gap-ms), NULL = none. */
void gw_rec_private_info_x(struct gw_rec_call *rc, int msg_id, const char *state,
                           const char *reason, const char *extra_k, const char *extra_v)
{
    gw_call *call = rc->call;
    gw_server *srv = gw_rec_srv(call);
    if (call->ending || rc->pre_hidden)
        return;
    GPtrArray *sent = g_ptr_array_new();
    const char *dns[8];
    size_t n = 0;
    for (gw_party *q = call->parties; q && n < 7; q = q->next)
        if (!q->trunk)
            dns[n++] = q->dn;
    if (rc->req_dn)
        dns[n++] = rc->req_dn;
    for (size_t i = 0; i < n; i++) {
        gw_dn *dn = gw_dn_find(srv->dns, dns[i]);
        if (!dn || g_ptr_array_find(sent, dn, NULL))
            continue;
        g_ptr_array_add(sent, dn);
        tl_msg *m = tl_msg_new(TL_M_EventPrivateInfo);
        tl_kv *ext = tl_kv_new();
        if (!m || !ext) {
            tl_msg_free(&m);
            tl_kv_free(&ext);
            break;
        }
        tl_msg_set_int(m, TL_A_PrivateMsgID, msg_id);
        tl_msg_set_str(m, TL_A_ThisDN, dns[i]);
        tl_msg_set_connid(m, TL_A_ConnID, call->connid);
        tl_kv_add_str(ext, "GSIP_RECORD", state);
        if (rc->id)
            tl_kv_add_str(ext, "id", rc->id);
        if (reason)
            tl_kv_add_str(ext, "reason", reason);
        if (extra_k && extra_v)
            tl_kv_add_str(ext, extra_k, extra_v);
        tl_msg_set_kv(m, TL_A_Extensions, ext);
        gw_server_publish(srv, dn, m);
        tl_msg_free(&m);
    }
    g_ptr_array_free(sent, TRUE);
}

static void private_info(struct gw_rec_call *rc, int msg_id, const char *state, const char *reason)
{
    gw_rec_private_info_x(rc, msg_id, state, reason, NULL, NULL);
}

/* --- database --- */

void gw_rec_db_recording(struct gw_rec_call *rc, const char *state, const char *reason,
                         int64_t ended_us)
{
    gw_server *srv = gw_rec_srv(rc->call);
    if (!srv->db || !rc->id || rc->pre_hidden)
        return;
    char connid[17], *mediad = NULL;
    tl_connid_format(rc->call->connid, connid);
    const gw_dn_conf *svc = msml_service(srv->cfg);
    if (rc->md_lease)
        mediad = contact_hostport(gw_pool_lease_uri(rc->md_lease));
    else if (svc)
        mediad = contact_hostport(svc->contact);
    gw_db_recording r = {
        .record_id = rc->id,
        .connid = connid,
        .call_uuid = rc->call->uuid,
        .recorded_dn = rc->party[0] ? rc->party[0]->dn : rc->record_dn,
        .other_dn = rc->party[1] ? rc->party[1]->dn : NULL,
        .side = "both",
        .started_by = rc->started_by,
        .mediad = mediad,
        .recorder = rc->dest,
        .recorder2 = rc->dest2,
        .dest = rc->dest,
        .dest2 = rc->dest2,
        .file_name = rc->file_name,
        .dialect = "seed",
        .audio_state = strcmp(state, "active") == 0 ? "sendonly" : "inactive",
        .video_state = !rc->video_on                  ? "none"
                       : strcmp(state, "active") == 0 ? "sendonly"
                                                      : "inactive",
        .state = state,
        .fail_reason = reason,
        .started_us = rc->started_us,
        .ended_us = ended_us,
    };
    gw_db_write_recording(srv->db, &r);
    g_free(mediad);
}

void gw_rec_db_segment(struct gw_rec_call *rc, const char *event, const char *reason)
{
    gw_server *srv = gw_rec_srv(rc->call);
    if (!srv->db || !rc->id || rc->pre_hidden)
        return;
    gw_db_segment s = {rc->id, event, reason, g_get_real_time()};
    gw_db_write_segment(srv->db, &s);
    if (strcmp(event, "start") == 0 && rc->audiosrc) {
        gw_db_tone t = {rc->id, rc->audiosrc, rc->tsd, "both", g_get_real_time()};
        gw_db_write_tone(srv->db, &t);
    }
}

/* --- mediad legs --- */

static void msc_release(struct gw_rec_call *rc, int i, const char *why)
{
    gw_party *f = rc->msc[i];
    if (!f)
        return;
    gw_calls *calls = rc->call->calls;
    rc->msc[i] = NULL;
    rc->msc_up[i] = false;
    if (f->conf) { /* a conference leg the recording borrowed: the conference keeps it */
        f->msc = NULL;
        return;
    }
    if (f->leg && calls->ops && calls->ops->release)
        calls->ops->release(calls->sip, f->leg, 0, why);
    g_free(f->sdp);
    g_free(f);
}

void gw_rec_msc_release_all(struct gw_rec_call *rc, const char *why)
{
    gw_rec_keep_stop(rc);                    /* nothing left to re-INVITE for a new party */
    gw_rec_sess_end(rc->call, &rc->s2, why); /* its copy goes with mediad's legs */
    bool own = rc->msc[0] && !rc->msc[0]->conf;
    msc_release(rc, 0, why);
    msc_release(rc, 1, why);
    gw_pool_lease_release(&rc->md_lease); /* the legs held mediad's ports */
    rc->inserted = false;
    while (!g_queue_is_empty(&rc->infos))
        g_queue_pop_head(&rc->infos);
    /* A conference that had joined these legs takes the parties' media over. */
    rc->conf_took = own && gw_conf_rec_gone(rc->call);
}

/* The recording failed: GSIP_RECORD Off with the reason, in an event and the log. */
void gw_rec_fail(struct gw_rec_call *rc, const char *reason)
{
    gw_call *call = rc->call;
    bool was_recording = rc->state != RS_IDLE && rc->state != RS_FAILED;
    LOG_WARN(rec, "call %016llx: recording %s failed: %s", (unsigned long long)call->connid,
             rc->id ? rc->id : "-", reason);
    rc->state = RS_FAILED;
    gw_monitor_rec_failed(call, reason); /* a supervisor waiting for it learns it now */
    gw_pool_lease_release(&rc->rec_lease[0]);
    gw_pool_lease_release(&rc->rec_lease[1]);
    rc->md_failover = false;
    if (!was_recording)
        return;
    const char *kv[] = {"GSIP_RECORD",        "Off", "RECORDING_STATUS_GIM", "RECORDING_NO",
                        "GSIP_RECORD_REASON", reason};
    ud_publish(call, kv, G_N_ELEMENTS(kv));
    private_info(rc, TL_GSIP_RECORD_STOP, "Off", reason);
    gw_rec_db_segment(rc, "fail", reason);
    gw_rec_db_recording(rc, "failed", reason, g_get_real_time());
}

/* mediad is (partly) gone: drop its legs and give the parties each other's media back. */
void gw_rec_msc_abort(struct gw_rec_call *rc, const char *why)
{
    bool moved = rc->msc_up[0] || rc->msc_up[1] || rc->inserted;
    if (rc->msc[0] && rc->msc[0]->conf)
        moved = false; /* borrowed conference legs: the conference carries the media */
    gw_rec_msc_release_all(rc, why);
    gw_party *a = rc->party[0], *b = rc->party[1];
    if (moved && !rc->conf_took && a && b && a->leg && b->leg && !rc->call->ending) {
        /* A re-INVITE with mediad's SDP may still be out (the other leg failed as this one
           answered): a second one now would lose its bookkeeping when the first is
           answered, so the bridge waits for the end of it (gw_rec_settled). */
        if (a->pend != GW_PEND_NONE || b->pend != GW_PEND_NONE)
            rc->rebridge = true;
        else
            gw_call_bridge(a, b);
    }
    gw_monitor_rec_failed(rc->call, why); /* no legs for a waiting supervisor to join */
}

int gw_rec_send_msml(struct gw_rec_call *rc, const ar_msml *m, info_kind kind)
{
    gw_calls *calls = rc->call->calls;
    gw_party *f = rc->msc[0];
    if (!f || !f->leg || !calls->ops || !calls->ops->info)
        return AR_E_INVALID_CALL_STATE;
    char buf[8192];
    size_t len;
    int rc_ = ar_msml_build(m, buf, sizeof buf, &len);
    if (rc_ != AR_E_OK)
        return rc_;
    rc_ = calls->ops->info(calls->sip, f->leg, CT_MSML, buf);
    if (rc_ == AR_E_OK)
        g_queue_push_tail(&rc->infos, GINT_TO_POINTER(kind));
    return rc_;
}

/* "a=1;b=2" (the seed's params) -> one gvp:param each. With own_session false the keys that
   select a session in mediad (copy, dest2, id2, failover) are left out: a second session's
   requester may not set them. */
void gw_rec_add_params(ar_msml *m, const char *params, bool own_session)
{
    if (!params)
        return;
    char **kv = g_strsplit_set(params, ";&", -1);
    for (char **p = kv; *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq || eq == *p)
            continue;
        *eq = '\0';
        const char *n = g_strstrip(*p);
        if (own_session ||
            (strcmp(n, "copy") && strcmp(n, "dest2") && strcmp(n, "id2") && strcmp(n, "failover")))
            ar_msml_add_param(m, n, eq + 1);
    }
    g_strfreev(kv);
}

/* createconference with every parameter of the recording (start, and failover). */
void gw_rec_build_create(struct gw_rec_call *rc, ar_msml *mp)
{
    gw_call *call = rc->call;
    ar_msml_init(mp);
    ar_msml_add_op(mp, AR_MSML_OP_CREATE, CONF);
    gw_rec_add_params(mp, rc->params, true);
    ar_msml_add_param(mp, "record", rc->side ? rc->side : "source");
    ar_msml_add_param(mp, "id", rc->id);
    if (rc->dest) /* none: a pre-recording, mediad's local WAV only */
        ar_msml_add_param(mp, "dest", rc->dest);
    /* A parallel pool: mediad forks the INVITE to every member (docs/pools.md). */
    char *fork = gw_rec_pool_fork_list(rc->rec_lease[0]);
    if (fork)
        ar_msml_add_param(mp, "destfork", fork);
    g_free(fork);
    if (rc->dest2 && !rc->copy_down[1]) /* a duplicate that failed for good stays down */
        ar_msml_add_param(mp, "dest2", rc->dest2);
    ar_msml_add_param(mp, "recordDN", rc->party[0]->dn);
    ar_msml_add_param(mp, "otherDN", rc->party[1]->dn);
    ar_msml_add_param(mp, "calluuid", call->uuid);
    /* Profile default (seed recordingclient.recmediactl), unless the call's params say. */
    int mctl = gw_rec_srv(call)->cfg->rec.recmediactl;
    if (!rc->params || !strstr(rc->params, "recmediactl="))
        ar_msml_add_param(mp, "recmediactl", mctl == 2 ? "2" : "1");
    if (rc->audio_only)
        ar_msml_add_param(mp, "audio-only", "true"); /* mediad offers no video lines */
    if (rc->audiosrc) {
        char t[16];
        ar_msml_add_param(mp, "audiosrc", rc->audiosrc);
        if (rc->tsd >= 0) {
            snprintf(t, sizeof t, "%d", rc->tsd);
            ar_msml_add_param(mp, "tonesilenceduration", t);
        }
    }
    char id2[GW_NUM_MAX + 8];
    for (int i = 0; i < 2; i++) {
        snprintf(id2, sizeof id2, "conn:%s", rc->party[i]->dn);
        ar_msml_add_join(mp, "conf:" CONF, id2);
    }
}

static void send_create(struct gw_rec_call *rc)
{
    gw_call *call = rc->call;
    ar_msml m;
    if (!rc->md_failover) /* a new recording: both copies start afresh */
        rc->copy_down[0] = rc->copy_down[1] = false;
    gw_rec_build_create(rc, &m);
    int err = gw_rec_send_msml(rc, &m, INFO_CREATE);
    if (err != AR_E_OK) {
        gw_rec_fail(rc, ar_strerror(err));
        return;
    }
    LOG_INFO(rec, "call %016llx: createconference id %s dest %s (%s, recordDN %s)",
             (unsigned long long)call->connid, rc->id, rc->dest ? rc->dest : "none (local WAV)",
             rc->started_by, rc->party[0]->dn);
}

/* Safety net: the parties' offer/answer did not end within SETTLE_MS. */
static bool settle_fire(void *arg)
{
    struct gw_rec_call *rc = arg;
    rc->settle_timer = 0;
    if (rc->settle_wait && rc->state == RS_WAITING && !rc->call->ending) {
        rc->settle_wait = false;
        gw_rec_fail(rc, "the parties' media did not settle");
        gw_server_flush(gw_rec_srv(rc->call));
    }
    return false;
}

/* No (more) waiting for the parties' offer/answer. */
static void settle_done(struct gw_rec_call *rc)
{
    rc->settle_wait = false;
    if (rc->settle_timer && rc->call->calls->timers.cancel)
        rc->call->calls->timers.cancel(rc->call->calls->timers.ud, rc->settle_timer);
    rc->settle_timer = 0;
}

/* Both parties talk: pick the recorded pair and bring mediad in (or reuse it). */
void gw_rec_begin(struct gw_rec_call *rc)
{
    gw_call *call = rc->call;
    gw_calls *calls = call->calls;
    gw_party *a = rc->record_dn ? gw_call_find_party(call, rc->record_dn) : NULL;
    if (!a || !a->leg || !a->answered)
        a = NULL;
    for (gw_party *q = call->parties; !a && q; q = q->next)
        if (q->leg && q->answered && q->state == GW_PS_ESTABLISHED)
            a = q;
    gw_party *b = a ? gw_call_media_peer(call, a) : NULL;
    rc->rebridge = false; /* this insertion re-INVITEs the parties itself */
    if (!a || !b) {
        settle_done(rc); /* gw_rec_established calls again when a party answers */
        rc->state = RS_WAITING;
        return;
    }
    rc->state = RS_CONNECTING;
    rc->started_us = g_get_real_time();
    if (rc->inserted && rc->party[0] && rc->party[1]) {
        /* mediad already carries the media (an earlier recording of this call). */
        if (a != rc->party[0] && a == rc->party[1]) {
            rc->party[1] = rc->party[0];
            rc->party[0] = a;
        }
        send_create(rc);
        return;
    }
    /* A conference: the recording borrows two of its mediad legs (gw_conf_rec.h). */
    int adopted = gw_conf_rec_adopt(rc, a, b);
    if (adopted > 0) {
        settle_done(rc);
        send_create(rc);
        return;
    }
    if (adopted < 0 || a->pend != GW_PEND_NONE || b->pend != GW_PEND_NONE) {
        /* The model is still (re)connecting them (a transfer's bridge, a hold), or the
           conference legs are not answered: inserting mediad now would race with it.
           gw_rec_settled (an offer/answer ended, a conference leg answered) tries again. */
        rc->state = RS_WAITING;
        rc->settle_wait = true;
        if (!rc->settle_timer && calls->timers.add)
            rc->settle_timer = calls->timers.add(calls->timers.ud, SETTLE_MS, settle_fire, rc);
        return;
    }
    settle_done(rc);
    rc->party[0] = a;
    rc->party[1] = b;
    if (!rc->md_lease) {
        /* Released with the last legs (stop, failover): pick again, same geo-location. */
        char why[200];
        int err =
            gw_rec_pool_mediad(call, rc->geo, fo_bad_list(rc), rc->fo_bad ? rc->fo_bad->len : 0,
                               &rc->md_lease, why, sizeof why);
        if (err != AR_E_OK) {
            gw_rec_fail(rc, why);
            gw_rec_msc_abort(rc, "no media server");
            return;
        }
    }
    char *hp = contact_hostport(gw_pool_lease_uri(rc->md_lease));
    char conf[17];
    tl_connid_format(call->connid, conf);
    for (int i = 0; i < 2; i++) {
        gw_party *p = rc->party[i];
        if (!p->sdp) {
            g_free(hp);
            gw_rec_fail(rc, "a party has no SDP yet");
            gw_rec_msc_abort(rc, "no SDP");
            return;
        }
        gw_party *f = g_new0(gw_party, 1);
        f->call = call;
        f->msc = rc;
        f->role = TL_ROLE_OBSERVER;
        g_strlcpy(f->dn, p->dn, sizeof f->dn);
        g_strlcpy(f->number, p->dn, sizeof f->number);
        rc->msc[i] = f;
        /* sips: / ;transport= of the msml contact are kept (SIPS, docs/sip.md). */
        char tp[24];
        const char *mc = gw_pool_lease_uri(rc->md_lease);
        char *uri = g_strdup_printf("%s:msml=%s@%s;dn=%s;record%s", gw_siptls_scheme(mc), conf, hp,
                                    p->dn, gw_siptls_transport(mc, tp, sizeof tp));
        gw_sip_target t = {
            .uri = uri, .from_user = p->dn, .call_uuid = call->uuid, .geo_location = rc->geo};
        int st = 0;
        f->leg = calls->ops && calls->ops->originate
                     ? calls->ops->originate(calls->sip, f, &t, p->sdp, &st)
                     : NULL;
        LOG_INFO(rec, "call %016llx: INVITE %s", (unsigned long long)call->connid, uri);
        g_free(uri);
        if (!f->leg) {
            char why[64];
            snprintf(why, sizeof why, "mediad leg could not start (SIP %d)", st);
            g_free(hp);
            gw_rec_fail(rc, why);
            gw_rec_msc_abort(rc, "mediad leg failed");
            return;
        }
    }
    g_free(hp);
}

static int msc_index(struct gw_rec_call *rc, gw_party *f)
{
    return rc->msc[0] == f ? 0 : rc->msc[1] == f ? 1 : -1;
}

void gw_rec_msc_event(gw_calls *calls, gw_party *f, gw_leg *leg, gw_rec_ev ev, int status,
                      const char *sdp)
{
    struct gw_rec_call *rc = f->msc;
    int i = msc_index(rc, f);
    if (i < 0 || f->leg != leg)
        return;
    switch (ev) {
    case GW_REC_EV_PROGRESS:
        return;
    case GW_REC_EV_ANSWERED:
        f->answered = true;
        gw_party_set_sdp(f, sdp);
        if (!sdp) {
            gw_rec_fail(rc, "mediad answered without SDP");
            gw_rec_msc_abort(rc, "no SDP from mediad");
            return;
        }
        rc->msc_up[i] = true;
        /* RFC 3725: the party now sends to and receives from mediad. */
        if (rc->party[i] && rc->party[i]->leg)
            gw_call_send_reinvite(calls, rc->party[i], sdp, GW_PEND_LOCAL, NULL);
        if (rc->msc_up[0] && rc->msc_up[1]) {
            rc->inserted = true;
            if (rc->state == RS_CONNECTING)
                send_create(rc); /* its answer calls gw_monitor_rec_ready */
            else
                gw_monitor_rec_ready(rc->call); /* stopped while starting: idle legs */
        }
        return;
    case GW_REC_EV_SDP_ANSWER: {
        if (gw_rec_keep_sdp_answer(rc, i, sdp))
            return; /* re-anchored after a transfer (gw_rec_keep.c) */
        /* mediad answered an offer we forwarded from its party (party re-INVITE). */
        gw_party *p = f->pend_peer;
        f->pend_peer = NULL;
        gw_party_set_sdp(f, sdp);
        if (p && p->leg && calls->ops && calls->ops->sdp_answer)
            calls->ops->sdp_answer(calls->sip, p->leg, sdp);
        return;
    }
    case GW_REC_EV_SDP_OFFER:
    case GW_REC_EV_REINVITE:
        if (calls->ops && calls->ops->sdp_answer)
            calls->ops->sdp_answer(calls->sip, leg, NULL);
        return;
    case GW_REC_EV_RELEASED:
    case GW_REC_EV_FAILED: {
        f->leg = NULL;
        char why[96];
        snprintf(why, sizeof why, "mediad %s (SIP %d)",
                 ev == GW_REC_EV_FAILED ? "refused the leg" : "ended the leg", status);
        /* Full or busy (503/486/480) is not broken: only this call skips it. */
        bool broken = ev == GW_REC_EV_RELEASED || status == 408 || status == 0 ||
                      (status >= 500 && status != 503);
        if (gw_rec_fo_mediad(rc, why, broken))
            return;
        if (rc->state != RS_IDLE && rc->state != RS_FAILED)
            gw_rec_fail(rc, why);
        gw_rec_msc_abort(rc, "mediad leg lost");
        return;
    }
    }
}

/* --- INFO from / to mediad --- */

/* msml.recorder.stream: the recorder refused one stream (port 0). A video one of the main
   session turns GSIP_RECORD_VIDEO Off; the recording goes on (seed "Mapping SDP"). */
static void on_stream_off(struct gw_rec_call *rc, const ar_msml *m)
{
    const char *media = ar_msml_get_param(m, "media"), *id = ar_msml_get_param(m, "id");
    LOG_INFO(rec, "call %016llx: recorder refused the %s stream of %s (dn %s)",
             (unsigned long long)rc->call->connid, media ? media : "?", id ? id : "-",
             ar_msml_get_param(m, "dn") ? ar_msml_get_param(m, "dn") : "?");
    if (!media || strcmp(media, "video") != 0 || !rc->video_on ||
        (id && rc->id && strcmp(id, rc->id)))
        return;
    rc->video_on = false;
    const char *kv[] = {"GSIP_RECORD_VIDEO", "Off"};
    ud_publish(rc->call, kv, G_N_ELEMENTS(kv));
    private_info(rc, TL_GSIP_RECORD_START, gw_rec_state_name(rc->call),
                 "video refused by the recorder");
    if (rc->state == RS_ON || rc->state == RS_PAUSED)
        gw_rec_db_recording(rc, rc->state == RS_ON ? "active" : "paused", NULL, 0);
}

static void on_msml_event(struct gw_rec_call *rc, const ar_msml *m)
{
    const ar_msml_op *op = &m->ops[0];
    const char *reason = ar_msml_get_param(m, "reason");
    const char *dest = ar_msml_get_param(m, "dest");
    const char *id = ar_msml_get_param(m, "id");
    if (strcmp(op->event, "msml.recorder.failover") == 0) {
        gw_rec_fo_recorder_done(rc, m);
        return;
    }
    if (strcmp(op->event, "msml.recorder.forked") == 0) {
        /* Parallel pool: dest answered first; the other members' ports go back. */
        if (dest && rc->rec_lease[0] && (!id || !rc->id || strcmp(id, rc->id) == 0) &&
            gw_rec_pool_settle(rc->rec_lease[0], dest)) {
            gw_rec_set_str(&rc->dest, dest);
            LOG_INFO(rec, "call %016llx: recording %s: %s answered first (parallel pool)",
                     (unsigned long long)rc->call->connid, rc->id ? rc->id : "-", dest);
        }
        return;
    }
    if (strcmp(op->event, "msml.recorder.stream") == 0) {
        on_stream_off(rc, m);
        return;
    }
    if (strcmp(op->event, "msml.recorder.error") != 0) {
        LOG_INFO(rec, "call %016llx: mediad event %s", (unsigned long long)rc->call->connid,
                 op->event);
        return;
    }
    if (gw_rec_sess_error(rc->call, rc->s2, id, reason))
        return; /* the second session's recorder: the main one goes on */
    char why[600];
    snprintf(why, sizeof why, "%s", reason ? reason : "recorder error");
    bool tone_only = reason && g_str_has_prefix(reason, "audiosrc:");
    /* Which copy: the id tells (dest2 has its own), else the recorder's URI. */
    int k = id && rc->id ? strcmp(id, rc->id) != 0
                         : dest && rc->dest2 && strcmp(dest, rc->dest2) == 0 &&
                               (!rc->dest || strcmp(dest, rc->dest) != 0);
    bool stale = dest && !(rc->dest && strcmp(dest, rc->dest) == 0) &&
                 !(rc->dest2 && strcmp(dest, rc->dest2) == 0); /* a replaced recorder */
    if (tone_only || stale || (k == 1 && !rc->dest2) ||
        (rc->state != RS_ON && rc->state != RS_PAUSED && rc->state != RS_CONNECTING)) {
        /* The recording goes on (a tone failed, or a recorder already replaced): say so. */
        LOG_WARN(rec, "call %016llx: %s", (unsigned long long)rc->call->connid, why);
        private_info(rc, TL_GSIP_RECORD_START, gw_rec_state_name(rc->call), why);
        return;
    }
    gw_rec_fo_copy_failed(rc, k, why, true);
}

void gw_sipif_info(gw_calls *calls, gw_party *p, gw_leg *leg, int status, const char *body)
{
    if (!p || !p->msc || p->leg != leg) {
        gw_server_flush(calls->srv);
        return;
    }
    struct gw_rec_call *rc = p->msc;
    if (status == 0) {
        ar_msml m;
        int err = body ? ar_msml_parse(body, strlen(body), &m) : AR_E_MSML_NOT_XML;
        if (err != AR_E_OK) {
            LOG_WARN(rec, "call %016llx: INFO from mediad not understood: %s",
                     (unsigned long long)rc->call->connid, ar_strerror(err));
        } else if (m.nops > 0 && m.ops[0].type == AR_MSML_OP_EVENT) {
            on_msml_event(rc, &m);
        }
        gw_server_flush(calls->srv);
        return;
    }
    info_kind kind = (info_kind)GPOINTER_TO_INT(g_queue_pop_head(&rc->infos));
    if ((int)kind >= GW_REC_INFO_S2) {
        gw_rec_sess_info_answer(rc->call, rc->s2, (int)kind, status, body);
        gw_server_flush(calls->srv);
        return;
    }
    if (kind == INFO_UPDATE) {
        /* Metadata after a kept transfer: a refusal leaves the recording as it is. */
        if (status >= 300)
            LOG_WARN(rec, "call %016llx: recording %s: mediad refused the metadata update (%d)",
                     (unsigned long long)rc->call->connid, rc->id ? rc->id : "-", status);
        else
            LOG_INFO(rec, "call %016llx: recording %s: recorder metadata names DN %s",
                     (unsigned long long)rc->call->connid, rc->id ? rc->id : "-",
                     rc->party[1] ? rc->party[1]->dn : "-");
        gw_server_flush(calls->srv);
        return;
    }
    if (status >= 300) {
        char why[300];
        snprintf(why, sizeof why, "mediad refused MSML (%d): %.200s", status,
                 body ? body : "no body");
        for (char *c = why; *c; c++)
            if (*c == '\r' || *c == '\n')
                *c = ' ';
        bool live = rc->state == RS_ON || rc->state == RS_PAUSED || rc->state == RS_CONNECTING;
        if ((status == 408 || status == 481 || status == 503) && live &&
            gw_rec_fo_mediad(rc, why, status != 503 || !body)) {
            /* mediad is gone (no answer, dialog lost, unreachable): another one takes over. */
        } else if ((kind == INFO_FAILOVER || kind == INFO_FAILOVER2) && live) {
            gw_rec_fo_copy_failed(rc, kind == INFO_FAILOVER2, why, false); /* mediad refused */
        } else if (kind == INFO_CREATE || rc->state == RS_ON || rc->state == RS_PAUSED) {
            gw_rec_fail(rc, why);
        }
        gw_server_flush(calls->srv);
        return;
    }
    if (kind == INFO_FAILOVER || kind == INFO_FAILOVER2) {
        LOG_INFO(rec, "call %016llx: recording %s: mediad took the new recorder %s",
                 (unsigned long long)rc->call->connid, rc->id,
                 kind == INFO_FAILOVER2 ? rc->dest2 : rc->dest);
        gw_server_flush(calls->srv);
        return;
    }
    if (kind == INFO_CREATE && rc->state == RS_CONNECTING && rc->md_failover) {
        gw_rec_fo_mediad_done(rc);
        gw_monitor_rec_ready(rc->call);
        gw_server_flush(calls->srv);
        return;
    }
    if (kind == INFO_CREATE && rc->state != RS_CONNECTING) {
        /* Stopped while starting: end what mediad just started. */
        ar_msml m;
        ar_msml_init(&m);
        ar_msml_add_op(&m, AR_MSML_OP_STOP, CONF);
        gw_rec_send_msml(rc, &m, INFO_ABORT);
    } else if (kind == INFO_PAUSE || kind == INFO_RESUME || kind == INFO_STOP) {
        /* GSIP_RECORD follows what mediad confirmed, so "Paused" means no media (and no
           tone) leaves mediad any more; a later request may already have moved on. */
        static const rec_state want[] = {
            [INFO_PAUSE] = RS_PAUSED, [INFO_RESUME] = RS_ON, [INFO_STOP] = RS_IDLE};
        static const char *const txt[] = {
            [INFO_PAUSE] = "Paused", [INFO_RESUME] = "On", [INFO_STOP] = "Off"};
        if (rc->state == want[kind]) {
            const char *kv[] = {"GSIP_RECORD", txt[kind]};
            ud_publish(rc->call, kv, G_N_ELEMENTS(kv));
        }
    } else if (kind == INFO_CREATE) {
        rc->state = RS_ON;
        rc->video_on = !rc->audio_only && rc->party[0] && rc->party[1] &&
                       gw_rec_sdp_has_video(rc->party[0]->sdp) &&
                       gw_rec_sdp_has_video(rc->party[1]->sdp);
        gw_rec_announce_on(rc);
    }
    gw_server_flush(calls->srv);
}

void gw_rec_announce_on(struct gw_rec_call *rc)
{
    const char *kv[] = {"GSIP_RECORD",          "On",
                        "GSIP_REC_FN",          rc->file_name,
                        "RECORDING_STATUS_GIM", "RECORDING_YES",
                        "GSIP_RECORD_REASON",   NULL};
    ud_publish(rc->call, kv, G_N_ELEMENTS(kv));
    private_info(rc, TL_GSIP_RECORD_START, "On", NULL);
    gw_rec_db_recording(rc, "active", NULL, 0);
    gw_rec_db_segment(rc, "start", NULL);
    LOG_INFO(rec, "call %016llx: recording %s on (file %s)%s", (unsigned long long)rc->call->connid,
             rc->id, rc->file_name, rc->pre_hidden ? " (pre-recording, hidden)" : "");
    gw_monitor_rec_ready(rc->call); /* a supervisor waiting for the legs joins now */
}

/* --- requests --- */

static struct gw_rec_call *rec_get(gw_call *call)
{
    if (!call->rec) {
        struct gw_rec_call *rc = g_new0(struct gw_rec_call, 1);
        rc->call = call;
        rc->tsd = -1;
        g_queue_init(&rc->infos);
        call->rec = rc;
    }
    return call->rec;
}

static bool is_sip_uri(const char *s)
{
    return s && (g_str_has_prefix(s, "sip:") || g_str_has_prefix(s, "sips:")) && s[4] &&
           !strpbrk(s, " \t\r\n<>\"");
}

int gw_rec_request(gw_call *call, const gw_rec_req *r, char *why, size_t cap)
{
    const gw_config *cfg = gw_rec_srv(call)->cfg;
    struct gw_rec_call *rc = call->rec;
    if (rc && rc->pre_hidden && rc->state != RS_IDLE && rc->state != RS_FAILED && !r->pre &&
        (!r->started_by || strcmp(r->started_by, "full-time") != 0))
        return gw_rec_pre_claim(rc, r); /* the call's pre-recording becomes its recording */
    if (rc && cfg->recording_sessions > 1 && (rc->state == RS_ON || rc->state == RS_PAUSED) &&
        r->started_by && strcmp(r->started_by, "full-time") != 0)
        return gw_rec_sess_start(call, &rc->s2, r, why, cap); /* another purpose */
    if (rc && gw_rec_sess_live(rc->s2)) {
        snprintf(why, cap, "call %016llx: a second recording session is still recording",
                 (unsigned long long)call->connid);
        return AR_E_ALREADY_RECORDING;
    }
    if (rc && rc->state != RS_IDLE && rc->state != RS_FAILED) {
        snprintf(why, cap, "call %016llx is already being recorded (%s, id %s)",
                 (unsigned long long)call->connid, rc->started_by ? rc->started_by : "?",
                 rc->id ? rc->id : "-");
        return AR_E_ALREADY_RECORDING;
    }
    /* dest2: the request's, else the profile default (seed recdest2, docs/pools.md). */
    gw_rec_req rd = *r;
    if (!rd.dest2 && cfg->rec.recording_dest2 && *cfg->rec.recording_dest2)
        rd.dest2 = cfg->rec.recording_dest2;
    if (rd.pre)
        rd.dest = rd.dest2 = NULL; /* no recorder: mediad's local WAV (gw_rec_pre.c) */
    r = &rd;
    if (r->dest2 && !is_sip_uri(r->dest2) && !g_str_has_prefix(r->dest2, "pool:")) {
        snprintf(why, cap, "dest \"%s\" is not a SIP URI", r->dest2);
        return AR_E_INVALID_VALUE;
    }
    /* mediad (kept while it stays in the media path) and recorder from the pools, both for
       the call's geo-location (docs/pools.md). */
    gw_rec_req rg = *r;
    if (!rg.geo && rc)
        rg.geo = rc->route_geo;
    char *geo = gw_rec_pool_geo(call, &rg), *dest = NULL;
    gw_pool_lease *md = NULL, *rl = NULL;
    size_t nbad = rc && rc->fo_bad ? rc->fo_bad->len : 0;
    int perr = AR_E_OK;
    if (!rc || !rc->md_lease)
        perr = gw_rec_pool_mediad(call, geo, rc ? fo_bad_list(rc) : NULL, nbad, &md, why, cap);
    if (perr == AR_E_OK && !r->pre)
        perr = gw_rec_pool_recorder(call, r->dest, geo, rc ? fo_bad_list(rc) : NULL, nbad, &rl,
                                    &dest, why, cap);
    /* Duplication: dest2 = pool:NAME puts the copy on another member than dest's. */
    gw_pool_lease *rl2 = NULL;
    char *dest2 = NULL;
    if (perr == AR_E_OK && r->dest2 && g_str_has_prefix(r->dest2, "pool:")) {
        GPtrArray *ex = g_ptr_array_new();
        for (size_t i = 0; i < nbad; i++)
            g_ptr_array_add(ex, (gpointer)fo_bad_list(rc)[i]);
        if (rl)
            g_ptr_array_add(ex, (gpointer)gw_pool_lease_member(rl));
        perr = gw_rec_pool_recorder(call, r->dest2, geo, (const gw_pool_member *const *)ex->pdata,
                                    ex->len, &rl2, &dest2, why, cap);
        g_ptr_array_free(ex, TRUE);
        if (perr != AR_E_OK) {
            gw_pool_lease_release(&rl);
            g_free(dest);
        }
    }
    if (perr != AR_E_OK) {
        gw_pool_lease_release(&md);
        g_free(geo);
        return perr;
    }
    rc = rec_get(call);
    rc->pre_hidden = r->pre;
    gw_rec_set_str(&rc->dest_spec[0], r->dest);
    gw_rec_set_str(&rc->dest_spec[1], r->dest2);
    gw_pool_lease_release(&rc->rec_lease[1]);
    rc->rec_lease[1] = rl2;
    if (md)
        rc->md_lease = md;
    gw_pool_lease_release(&rc->rec_lease[0]);
    rc->rec_lease[0] = rl;
    g_free(rc->geo);
    rc->geo = geo;
    rc->seq++;
    gw_rec_set_str(&rc->started_by, r->started_by);
    gw_rec_set_str(&rc->side, r->side ? r->side : "source");
    gw_rec_set_str(&rc->record_dn, r->record_dn);
    gw_rec_set_str(&rc->req_dn, r->req_dn);
    gw_rec_set_str(&rc->dest, dest);
    g_free(dest);
    gw_rec_set_str(&rc->dest2, dest2 ? dest2 : r->dest2);
    g_free(dest2);
    gw_rec_set_str(&rc->params, r->params);
    rc->audio_only = r->audio_only;
    rc->video_on = false;
    gw_rec_set_str(&rc->audiosrc, r->audiosrc ? r->audiosrc : cfg->rec.audiosrc);
    rc->tsd = r->tonesilenceduration >= 0 ? r->tonesilenceduration : cfg->rec.tonesilenceduration;
    if (rc->tsd >= 0 && rc->tsd < 1500)
        rc->tsd = 1500; /* the seed's minimum */
    /* The id: given, else from recording-filename, else CallUUID_n; the file name follows. */
    int64_t now = g_get_real_time();
    char gen[64];
    snprintf(gen, sizeof gen, "%s_%u", call->uuid, rc->seq);
    const char *tmpl = cfg->rec.recording_filename;
    const gw_party *rp = r->record_dn ? gw_call_find_party(call, r->record_dn) : NULL;
    const gw_party *op = rp ? gw_call_peer(call, rp) : NULL;
    const char *adn = rp ? rp->dn : r->record_dn;
    const char *odn = op ? op->dn : NULL;
    g_free(rc->id);
    /* A given id is only made safe (characters, length): "$ID$" expands it verbatim. */
    rc->id = r->id  ? gw_rec_expand_name("$ID$", call, adn, odn, r->id, now)
             : tmpl ? gw_rec_expand_name(tmpl, call, adn, odn, gen, now)
                    : g_strdup(gen);
    g_free(rc->file_name);
    rc->file_name = gw_rec_expand_name(tmpl ? tmpl : "$ID$", call, adn, odn, rc->id, now);
    rc->state = RS_WAITING;
    LOG_INFO(rec, "call %016llx: %s recording requested (id %s, dest %s)",
             (unsigned long long)call->connid, rc->started_by, rc->id,
             rc->dest ? rc->dest : "none (local WAV)");
    gw_rec_begin(rc);
    return AR_E_OK;
}

int gw_rec_control(gw_call *call, gw_rec_ctl op, const char *req_dn, char *why, size_t cap)
{
    return gw_rec_control_params(call, op, req_dn, NULL, why, cap);
}

int gw_rec_control_id(gw_call *call, gw_rec_ctl op, const char *req_dn, const char *id,
                      const char *params, char *why, size_t cap)
{
    struct gw_rec_call *rc = call->rec;
    if (rc && id && gw_rec_sess_owns(rc->s2, id))
        return gw_rec_sess_control(call, rc->s2, op, req_dn, params, why, cap);
    if (id && (!rc || !rc->id || strcmp(rc->id, id) != 0)) {
        snprintf(why, cap, "call %016llx has no recording session with id %s",
                 (unsigned long long)call->connid, id);
        return AR_E_NOT_RECORDING;
    }
    return gw_rec_control_params(call, op, req_dn, params, why, cap);
}

/* The session's params after a mid-call change: a later createconference (failover, mediad
   replaced) carries them too; a name given again takes its new value (mediad's merge). */
static void params_merge(struct gw_rec_call *rc, const char *params)
{
    if (!params || !*params)
        return;
    char *all = rc->params ? g_strconcat(rc->params, ";", params, NULL) : g_strdup(params);
    g_free(rc->params);
    rc->params = all;
}

int gw_rec_control_params(gw_call *call, gw_rec_ctl op, const char *req_dn, const char *params,
                          char *why, size_t cap)
{
    struct gw_rec_call *rc = call->rec;
    unsigned long long cid = (unsigned long long)call->connid;
    if (!rc || rc->pre_hidden || rc->state == RS_IDLE || rc->state == RS_FAILED) {
        snprintf(why, cap, "call %016llx is not being recorded", cid);
        return AR_E_NOT_RECORDING;
    }
    if (req_dn)
        gw_rec_set_str(&rc->req_dn, req_dn);
    if (rc->state == RS_WAITING || rc->state == RS_CONNECTING) {
        if (op != GW_REC_STOP) {
            snprintf(why, cap, "recording of call %016llx is still starting", cid);
            return AR_E_INVALID_CALL_STATE;
        }
        /* A pending recording is simply dropped; mediad, if it came, stays idle. */
        rc->state = RS_IDLE;
        return AR_E_OK;
    }
    if (op == GW_REC_PAUSE && rc->state == RS_PAUSED) {
        snprintf(why, cap, "recording of call %016llx is already paused", cid);
        return AR_E_INVALID_CALL_STATE;
    }
    if (op == GW_REC_RESUME && rc->state != RS_PAUSED) {
        snprintf(why, cap, "recording of call %016llx is not paused", cid);
        return AR_E_NOT_PAUSED;
    }
    ar_msml m;
    ar_msml_init(&m);
    static const ar_msml_op_type ops[] = {AR_MSML_OP_STOP, AR_MSML_OP_PAUSE, AR_MSML_OP_RESUME};
    static const info_kind kinds[] = {INFO_STOP, INFO_PAUSE, INFO_RESUME};
    ar_msml_add_op(&m, ops[op], CONF);
    gw_rec_add_params(&m, params,
                      true); /* the seed: params "that modifies the recording session" */
    if (gw_rec_sess_live(rc->s2))
        ar_msml_add_param(&m, "copy", "dest"); /* the second session goes on as it is */
    int err = gw_rec_send_msml(rc, &m, kinds[op]);
    if (err != AR_E_OK) {
        snprintf(why, cap, "MSML to mediad failed: %s", ar_strerror(err));
        return err;
    }
    static const char *const seg[] = {"stop", "pause", "resume"};
    rc->state = op == GW_REC_STOP ? RS_IDLE : op == GW_REC_PAUSE ? RS_PAUSED : RS_ON;
    if (op == GW_REC_STOP) {
        gw_pool_lease_release(&rc->rec_lease[0]);
        gw_pool_lease_release(&rc->rec_lease[1]);
    }
    params_merge(rc, params);
    gw_rec_db_segment(rc, seg[op], params && *params ? params : NULL);
    gw_rec_db_recording(rc,
                        op == GW_REC_STOP    ? "completed"
                        : op == GW_REC_PAUSE ? "paused"
                                             : "active",
                        NULL, op == GW_REC_STOP ? g_get_real_time() : 0);
    LOG_INFO(rec, "call %016llx: recording %s %s%s%s", cid, rc->id, seg[op],
             params && *params ? " params " : "", params && *params ? params : "");
    return AR_E_OK;
}

/* --- hooks from the model --- */

/* A consultation call (seed "Consultation"): only the consulting agent's full-time
   recording, and only with its DN's dual-dialog-enabled = false (single-dialog mode) or
   record-consult-calls = true; never the consulted party's ("a Recording Session cannot
   be started on D3"). */
static bool consult_recorded(gw_call *call, const gw_party *p, const gw_dn_conf *d)
{
    if (!gw_call_find_party(call->main, p->dn))
        return false; /* the consulted party */
    return (d && !d->dual_dialog_enabled) || gw_rec_srv(call)->cfg->rec.record_consult_calls == 1;
}

/* A consultation inherits the main call's user data: a GSIP_RECORD On / Paused copied
   from it would show a recording this call does not have. */
static void consult_not_recorded(gw_call *call)
{
    const char *st = tl_kv_get_str(call->ud, "GSIP_RECORD");
    if (call->rec || !st || strcmp(st, "Off") == 0)
        return;
    const char *kv[] = {"GSIP_RECORD", "Off", "GSIP_REC_FN", NULL};
    ud_publish(call, kv, G_N_ELEMENTS(kv));
}

void gw_rec_established(gw_call *call)
{
    if (call->ending)
        return;
    struct gw_rec_call *rc = call->rec;
    if (rc && rc->state == RS_WAITING) {
        gw_rec_begin(rc);
        return;
    }
    if (rc && rc->keep) {
        gw_rec_keep_try(rc); /* the recorded party's new peer answered (a transfer) */
        return;
    }
    /* Full-time again only when a new pair formed (transfer): not after a stop request,
       which leaves mediad in the path, nor while something is recording. */
    if (rc && (rc->inserted || (rc->state != RS_IDLE && rc->state != RS_FAILED)))
        return;
    /* Full-time: a party on a DN configured record=true (Extension, ACD Position, Trunk), or
       with an agent logged in whose [agent] section says record=true. */
    const gw_config *cfg = gw_rec_srv(call)->cfg;
    for (gw_party *p = call->parties; p; p = p->next) {
        const gw_dn_conf *d = gw_config_find_dn(cfg, p->dn);
        const char *login = gw_agent_on_dn(call->calls, p->dn, NULL);
        const gw_agent_conf *ag = login ? gw_config_find_agent(cfg, login) : NULL;
        if (!((d && d->record) || (ag && ag->record)) || p->state != GW_PS_ESTABLISHED)
            continue;
        if (rc && rc->no_fulltime && strcmp(rc->no_fulltime, p->dn) == 0)
            continue; /* the routing strategy said disable_destination */
        if (call->main && !consult_recorded(call, p, d))
            continue;
        gw_rec_req r = {.started_by = "full-time",
                        .record_dn = p->dn,
                        .tonesilenceduration = -1,
                        .side = p->role == TL_ROLE_ORIGINATION ? "source" : "destination"};
        char why[200];
        int err = gw_rec_request(call, &r, why, sizeof why);
        if (err != AR_E_OK) {
            LOG_WARN(rec, "call %016llx: full-time recording for DN %s not started: %s",
                     (unsigned long long)call->connid, p->dn, why);
            rc = rec_get(call);
            const char *kv[] = {"GSIP_RECORD",        "Off", "RECORDING_STATUS_GIM", "RECORDING_NO",
                                "GSIP_RECORD_REASON", why};
            bool again = rc->state == RS_FAILED;
            rc->state = RS_FAILED;
            if (!again)
                ud_publish(call, kv, G_N_ELEMENTS(kv));
        }
        return;
    }
    if (call->main)
        consult_not_recorded(call);
    gw_rec_pre_start(call); /* no full-time recording: a pre-recording DN's call is kept */
}

/* RequestRouteCall record=disable_destination: the routing destination's full-time
   recording (DN or agent record=true) does not start for this call, and one already
   recording that DN stops (docs/recording.md "Selective recording"). */
static void route_disable_destination(gw_call *call, const char *target)
{
    const gw_dn_conf *d = gw_config_find_dn(gw_rec_srv(call)->cfg, target);
    const char *dn = d ? d->number : target;
    struct gw_rec_call *rc = rec_get(call);
    gw_rec_set_str(&rc->no_fulltime, dn);
    LOG_INFO(rec, "call %016llx: recording of DN %s disabled by the routing strategy",
             (unsigned long long)call->connid, dn);
    bool live = rc->state != RS_IDLE && rc->state != RS_FAILED;
    const char *rdn = rc->party[0] ? rc->party[0]->dn : rc->record_dn;
    if (live && rdn && strcmp(rdn, dn) == 0) {
        char why[200];
        if (gw_rec_control(call, GW_REC_STOP, NULL, why, sizeof why) != AR_E_OK)
            LOG_WARN(rec, "call %016llx: disable_destination: %s", (unsigned long long)call->connid,
                     why);
    }
}

void gw_rec_route_ext(gw_call *call, const char *target, const tl_kv *ext)
{
    /* The RouteCall geo-location outlives the routing: a full-time recording that starts
       when the agent answers still prefers it (docs/pools.md). */
    const char *geo = ext ? tl_kv_get_str(ext, "geo-location") : NULL;
    if (geo && *geo)
        gw_rec_set_str(&rec_get(call)->route_geo, geo);
    const char *side = ext ? tl_kv_get_str(ext, "record") : NULL;
    if (side && target && strcmp(side, "disable_destination") == 0) {
        route_disable_destination(call, target);
        return;
    }
    if (!side || (strcmp(side, "source") != 0 && strcmp(side, "destination") != 0))
        return;
    /* source: the routing destination (agent); destination: the party that called. */
    const char *dn = NULL;
    if (strcmp(side, "source") == 0) {
        dn = target;
    } else {
        for (gw_party *p = call->parties; p && !dn; p = p->next)
            if (p->role == TL_ROLE_ORIGINATION)
                dn = p->dn;
    }
    const gw_dn_conf *d = target ? gw_config_find_dn(gw_rec_srv(call)->cfg, target) : NULL;
    gw_rec_req r = {.started_by = "selective",
                    .side = side,
                    .record_dn = d && dn == target ? d->number : dn,
                    .id = tl_kv_get_str(ext, "id"),
                    .dest = tl_kv_get_str(ext, "dest"),
                    .params = tl_kv_get_str(ext, "params"),
                    .geo = tl_kv_get_str(ext, "geo-location"),
                    .route_target = target,
                    .tonesilenceduration = -1};
    if (gw_rec_ext_audio_only(ext, &r.audio_only) != AR_E_OK)
        LOG_WARN(rec, "call %016llx: RouteCall audio-only is not true/false: audio+video",
                 (unsigned long long)call->connid);
    char why[200];
    if (gw_rec_request(call, &r, why, sizeof why) != AR_E_OK)
        LOG_WARN(rec, "call %016llx: selective recording not started: %s",
                 (unsigned long long)call->connid, why);
}

void gw_rec_settled(gw_call *call)
{
    struct gw_rec_call *rc = call->rec;
    if (!rc || call->ending || gw_site_leaving(call))
        return; /* a REFER hands the call to another site: no re-INVITE of its phones */
    if (rc->rebridge) {
        gw_party *a = rc->party[0], *b = rc->party[1];
        if (!a || !b || !a->leg || !b->leg)
            rc->rebridge = false;
        else if (a->pend == GW_PEND_NONE && b->pend == GW_PEND_NONE) {
            rc->rebridge = false;
            gw_call_bridge(a, b); /* mediad's re-INVITE is over: the phones meet again */
        }
        return;
    }
    if (rc->settle_wait && rc->state == RS_WAITING)
        gw_rec_begin(rc); /* insertion waits for the parties' offer/answer */
    else if (rc->keep)
        gw_rec_keep_try(rc); /* a kept transfer waits for the model's offer/answer */
}

bool gw_rec_party_reinvite(gw_party *p, const char *sdp)
{
    struct gw_rec_call *rc = p->call ? p->call->rec : NULL;
    if (!rc || !rc->inserted || !sdp)
        return false;
    for (int i = 0; i < 2; i++) {
        gw_party *f = rc->msc[i];
        if (rc->party[i] != p || !f || !f->leg)
            continue;
        gw_calls *calls = p->call->calls;
        if (!calls->ops || !calls->ops->reinvite ||
            calls->ops->reinvite(calls->sip, f->leg, sdp) != AR_E_OK)
            return false;
        f->pend_peer = p;
        return true;
    }
    return false;
}

static void rec_finish(struct gw_rec_call *rc, const char *why)
{
    gw_rec_keep_stop(rc);
    gw_rec_pre_call_end(rc); /* an unclaimed pre-recording waits for a START (window) */
    if (rc->state == RS_ON || rc->state == RS_PAUSED) {
        const char *kv[] = {"GSIP_RECORD", "Off"};
        ud_publish(rc->call, kv, G_N_ELEMENTS(kv));
        gw_rec_db_segment(rc, "stop", why);
        gw_rec_db_recording(rc, "completed", NULL, g_get_real_time());
        LOG_INFO(rec, "call %016llx: recording %s ended (%s)", (unsigned long long)rc->call->connid,
                 rc->id, why);
    }
    rc->state = RS_IDLE;
    rc->md_failover = false;
    gw_pool_lease_release(&rc->rec_lease[0]);
    gw_pool_lease_release(&rc->rec_lease[1]);
    gw_rec_msc_release_all(rc, why);
    gw_monitor_rec_failed(rc->call, why); /* the pair broke up: no join to wait for */
}

void gw_rec_party_gone(gw_call *call, gw_party *p)
{
    struct gw_rec_call *rc = call->rec;
    if (!rc || (rc->party[0] != p && rc->party[1] != p))
        return;
    if (gw_rec_keep_party_gone(rc, p))
        return; /* the recorded side stays: the session continues (seed "Transfers") */
    /* The recorded pair is broken: the recording of this call ends with it. */
    rc->rebridge = false;
    rec_finish(rc, "party left");
    rc->party[0] = rc->party[1] = NULL;
}

void gw_rec_call_end(gw_call *call)
{
    struct gw_rec_call *rc = call->rec;
    if (!rc)
        return;
    rec_finish(rc, "call ended");
    if (rc->settle_timer)
        call->calls->timers.cancel(call->calls->timers.ud, rc->settle_timer);
    call->rec = NULL;
    g_queue_clear(&rc->infos);
    g_free(rc->started_by);
    g_free(rc->side);
    g_free(rc->record_dn);
    g_free(rc->req_dn);
    g_free(rc->id);
    g_free(rc->dest);
    g_free(rc->dest2);
    g_free(rc->params);
    g_free(rc->audiosrc);
    g_free(rc->file_name);
    g_free(rc->geo);
    g_free(rc->route_geo);
    g_free(rc->dest_spec[0]);
    g_free(rc->dest_spec[1]);
    g_free(rc->no_fulltime);
    if (rc->fo_bad)
        g_ptr_array_free(rc->fo_bad, TRUE);
    g_free(rc);
}

/* --- for gw_rec_sess.c (gw_rec_int.h) --- */

int gw_rec_msml(gw_call *call, const ar_msml *m, int kind)
{
    return call->rec ? gw_rec_send_msml(call->rec, m, (info_kind)kind) : AR_E_INVALID_CALL_STATE;
}

bool gw_rec_main_create(gw_call *call, ar_msml *m)
{
    struct gw_rec_call *rc = call->rec;
    if (!rc || (rc->state != RS_ON && rc->state != RS_PAUSED) || !rc->party[0] || !rc->party[1])
        return false;
    gw_rec_build_create(rc, m);
    return true;
}

void gw_rec_publish(gw_call *call, const char *const *kv, size_t n)
{
    ud_publish(call, kv, n);
}

void gw_rec_info_event(gw_call *call, int msg_id, const char *req_dn, const char *id,
                       const char *state, const char *reason)
{
    struct gw_rec_call *rc = call->rec;
    if (!rc)
        return;
    /* private_info reads id and req_dn from the session: lend it the second one's. */
    char *save_id = rc->id, *save_dn = rc->req_dn;
    rc->id = (char *)id;
    rc->req_dn = (char *)req_dn;
    private_info(rc, msg_id, state, reason);
    rc->id = save_id;
    rc->req_dn = save_dn;
}

const char *gw_rec_main_dn(const gw_call *call, int i)
{
    const struct gw_rec_call *rc = call->rec;
    return rc && rc->party[i] ? rc->party[i]->dn : NULL;
}
