/* Recording controller: mediad legs (RFC 3725 insertion), MSML over INFO, GSIP_RECORD state. */
#include "gw_rec.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "ar_msml.h"
#include "gw_agent.h"
#include "gw_callev.h"
#include "gw_db.h"
#include "gw_dn.h"
#include "gw_siptls.h"

#define CT_MSML "application/msml+xml"
#define CONF    "recorder"

typedef enum {
    RS_IDLE = 0,   /* nothing asked, or stopped: GSIP_RECORD Off (or absent) */
    RS_WAITING,    /* asked before the call was established (pre-recording) */
    RS_CONNECTING, /* mediad legs / re-INVITEs / createconference under way */
    RS_ON,
    RS_PAUSED,
    RS_FAILED, /* GSIP_RECORD Off with a reason */
} rec_state;

/* What each INFO we sent was, in order (responses come back in the same order). */
/* INFO_ABORT ends what mediad started after the request was already dropped: no
   GSIP_RECORD change follows its answer. */
typedef enum { INFO_CREATE, INFO_PAUSE, INFO_RESUME, INFO_STOP, INFO_ABORT } info_kind;

struct gw_rec_call {
    gw_call *call;
    gw_party *party[2]; /* [0] recorded side (recordDN), [1] the other party */
    gw_party *msc[2];   /* mediad leg of each party (fake parties, ->msc = this) */
    bool msc_up[2];
    bool inserted; /* both parties' media go through mediad */
    rec_state state;
    GQueue infos; /* info_kind, as GINT_TO_POINTER */
    /* The current (or pending) recording. */
    char *started_by, *side, *record_dn, *req_dn;
    char *id, *dest, *dest2, *params, *audiosrc, *file_name;
    int tsd;
    unsigned seq;
    int64_t started_us;
    unsigned settle_timer; /* waiting for the parties' own offer/answer to finish */
    int settle_tries;
};

#define SETTLE_MS    50
#define SETTLE_TRIES 100 /* 5 s */

static gw_server *srv_of(gw_call *call)
{
    return call->calls->srv;
}

static void set_str(char **dst, const char *v)
{
    g_free(*dst);
    *dst = v && *v ? g_strdup(v) : NULL;
}

const char *gw_rec_state_name(const gw_call *call)
{
    const struct gw_rec_call *rc = call->rec;
    if (!rc)
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
        if (!rc || (rc->state != RS_ON && rc->state != RS_PAUSED))
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

/* --- user data and events --- */

/* Set (value non-NULL) or remove keys in the call's user data; EventAttachedDataChanged. */
static void ud_publish(gw_call *call, const char *const *kv, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        tl_kv_remove(call->ud, kv[i]);
        if (kv[i + 1])
            tl_kv_add_str(call->ud, kv[i], kv[i + 1]);
    }
    if (call->ending)
        return;
    for (gw_party *q = call->parties; q; q = q->next)
        gw_callev_party(call, q, TL_M_EventAttachedDataChanged, NULL);
    gw_callev_mon_data(call);
}

/* EventPrivateInfo about this recording to the parties' DNs and the requester's DN. */
static void private_info(struct gw_rec_call *rc, int msg_id, const char *state, const char *reason)
{
    gw_call *call = rc->call;
    gw_server *srv = srv_of(call);
    if (call->ending)
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
        tl_msg_set_kv(m, TL_A_Extensions, ext);
        gw_server_publish(srv, dn, m);
        tl_msg_free(&m);
    }
    g_ptr_array_free(sent, TRUE);
}

/* --- database --- */

static void db_recording(struct gw_rec_call *rc, const char *state, const char *reason,
                         int64_t ended_us)
{
    gw_server *srv = srv_of(rc->call);
    if (!srv->db || !rc->id)
        return;
    char connid[17], *mediad = NULL;
    tl_connid_format(rc->call->connid, connid);
    const gw_dn_conf *svc = msml_service(srv->cfg);
    if (svc)
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
        .video_state = "none",
        .state = state,
        .fail_reason = reason,
        .started_us = rc->started_us,
        .ended_us = ended_us,
    };
    gw_db_write_recording(srv->db, &r);
    g_free(mediad);
}

static void db_segment(struct gw_rec_call *rc, const char *event, const char *reason)
{
    gw_server *srv = srv_of(rc->call);
    if (!srv->db || !rc->id)
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
    if (f->leg && calls->ops && calls->ops->release)
        calls->ops->release(calls->sip, f->leg, 0, why);
    g_free(f->sdp);
    g_free(f);
}

static void msc_release_all(struct gw_rec_call *rc, const char *why)
{
    msc_release(rc, 0, why);
    msc_release(rc, 1, why);
    rc->inserted = false;
    while (!g_queue_is_empty(&rc->infos))
        g_queue_pop_head(&rc->infos);
}

/* The recording failed: GSIP_RECORD Off with the reason, in an event and the log. */
static void rec_fail(struct gw_rec_call *rc, const char *reason)
{
    gw_call *call = rc->call;
    bool was_recording = rc->state != RS_IDLE && rc->state != RS_FAILED;
    LOG_WARN(rec, "call %016llx: recording %s failed: %s", (unsigned long long)call->connid,
             rc->id ? rc->id : "-", reason);
    rc->state = RS_FAILED;
    if (!was_recording)
        return;
    const char *kv[] = {"GSIP_RECORD",        "Off", "RECORDING_STATUS_GIM", "RECORDING_NO",
                        "GSIP_RECORD_REASON", reason};
    ud_publish(call, kv, G_N_ELEMENTS(kv));
    private_info(rc, TL_GSIP_RECORD_STOP, "Off", reason);
    db_segment(rc, "fail", reason);
    db_recording(rc, "failed", reason, g_get_real_time());
}

/* mediad is (partly) gone: drop its legs and give the parties each other's media back. */
static void msc_abort(struct gw_rec_call *rc, const char *why)
{
    bool moved = rc->msc_up[0] || rc->msc_up[1] || rc->inserted;
    msc_release_all(rc, why);
    gw_party *a = rc->party[0], *b = rc->party[1];
    if (moved && a && b && a->leg && b->leg && !rc->call->ending)
        gw_call_bridge(a, b);
}

static int send_msml(struct gw_rec_call *rc, const ar_msml *m, info_kind kind)
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

/* "a=1;b=2" (the seed's params) -> one gvp:param each. */
static void add_params(ar_msml *m, const char *params)
{
    if (!params)
        return;
    char **kv = g_strsplit_set(params, ";&", -1);
    for (char **p = kv; *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq || eq == *p)
            continue;
        *eq = '\0';
        ar_msml_add_param(m, g_strstrip(*p), eq + 1);
    }
    g_strfreev(kv);
}

static void send_create(struct gw_rec_call *rc)
{
    gw_call *call = rc->call;
    ar_msml m;
    ar_msml_init(&m);
    ar_msml_add_op(&m, AR_MSML_OP_CREATE, CONF);
    add_params(&m, rc->params);
    ar_msml_add_param(&m, "record", rc->side ? rc->side : "source");
    ar_msml_add_param(&m, "id", rc->id);
    ar_msml_add_param(&m, "dest", rc->dest);
    if (rc->dest2)
        ar_msml_add_param(&m, "dest2", rc->dest2);
    ar_msml_add_param(&m, "recordDN", rc->party[0]->dn);
    ar_msml_add_param(&m, "otherDN", rc->party[1]->dn);
    ar_msml_add_param(&m, "calluuid", call->uuid);
    ar_msml_add_param(&m, "recmediactl", "1");
    if (rc->audiosrc) {
        char t[16];
        ar_msml_add_param(&m, "audiosrc", rc->audiosrc);
        if (rc->tsd >= 0) {
            snprintf(t, sizeof t, "%d", rc->tsd);
            ar_msml_add_param(&m, "tonesilenceduration", t);
        }
    }
    char id2[GW_NUM_MAX + 8];
    for (int i = 0; i < 2; i++) {
        snprintf(id2, sizeof id2, "conn:%s", rc->party[i]->dn);
        ar_msml_add_join(&m, "conf:" CONF, id2);
    }
    int err = send_msml(rc, &m, INFO_CREATE);
    if (err != AR_E_OK) {
        rec_fail(rc, ar_strerror(err));
        return;
    }
    LOG_INFO(rec, "call %016llx: createconference id %s dest %s (%s, recordDN %s)",
             (unsigned long long)call->connid, rc->id, rc->dest, rc->started_by, rc->party[0]->dn);
}

static void rec_begin(struct gw_rec_call *rc);

static bool settle_fire(void *arg)
{
    struct gw_rec_call *rc = arg;
    rc->settle_timer = 0;
    if (rc->state == RS_WAITING && !rc->call->ending) {
        rec_begin(rc);
        gw_server_flush(srv_of(rc->call));
    }
    return false;
}

/* Both parties talk: pick the recorded pair and bring mediad in (or reuse it). */
static void rec_begin(struct gw_rec_call *rc)
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
    if (!a || !b) {
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
    if (a->pend != GW_PEND_NONE || b->pend != GW_PEND_NONE) {
        /* The model is still (re)connecting them (a transfer's bridge, a hold): inserting
           mediad now would race with it, so wait until their offer/answer is done. */
        rc->state = RS_WAITING;
        if (++rc->settle_tries > SETTLE_TRIES) {
            rec_fail(rc, "the parties' media did not settle");
            return;
        }
        if (!rc->settle_timer)
            rc->settle_timer = calls->timers.add(calls->timers.ud, SETTLE_MS, settle_fire, rc);
        return;
    }
    rc->settle_tries = 0;
    rc->party[0] = a;
    rc->party[1] = b;
    const gw_dn_conf *svc = msml_service(srv_of(call)->cfg);
    if (!svc) {
        rec_fail(rc, "no VoIP Service DN with service-type msml");
        msc_abort(rc, "no media server");
        return;
    }
    char *hp = contact_hostport(svc->contact);
    char conf[17];
    tl_connid_format(call->connid, conf);
    for (int i = 0; i < 2; i++) {
        gw_party *p = rc->party[i];
        if (!p->sdp) {
            g_free(hp);
            rec_fail(rc, "a party has no SDP yet");
            msc_abort(rc, "no SDP");
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
        char *uri =
            g_strdup_printf("%s:msml=%s@%s;dn=%s;record%s", gw_siptls_scheme(svc->contact), conf,
                            hp, p->dn, gw_siptls_transport(svc->contact, tp, sizeof tp));
        gw_sip_target t = {.uri = uri, .from_user = p->dn, .call_uuid = call->uuid};
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
            rec_fail(rc, why);
            msc_abort(rc, "mediad leg failed");
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
            rec_fail(rc, "mediad answered without SDP");
            msc_abort(rc, "no SDP from mediad");
            return;
        }
        rc->msc_up[i] = true;
        /* RFC 3725: the party now sends to and receives from mediad. */
        if (rc->party[i] && rc->party[i]->leg)
            gw_call_send_reinvite(calls, rc->party[i], sdp, GW_PEND_LOCAL, NULL);
        if (rc->msc_up[0] && rc->msc_up[1]) {
            rc->inserted = true;
            if (rc->state == RS_CONNECTING)
                send_create(rc);
        }
        return;
    case GW_REC_EV_SDP_ANSWER: {
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
        if (rc->state != RS_IDLE && rc->state != RS_FAILED)
            rec_fail(rc, why);
        msc_abort(rc, "mediad leg lost");
        return;
    }
    }
}

/* --- INFO from / to mediad --- */

static void on_msml_event(struct gw_rec_call *rc, const ar_msml *m)
{
    const ar_msml_op *op = &m->ops[0];
    const char *reason = ar_msml_get_param(m, "reason");
    const char *dest = ar_msml_get_param(m, "dest");
    if (strcmp(op->event, "msml.recorder.error") != 0) {
        LOG_INFO(rec, "call %016llx: mediad event %s", (unsigned long long)rc->call->connid,
                 op->event);
        return;
    }
    char why[600];
    snprintf(why, sizeof why, "%s", reason ? reason : "recorder error");
    bool tone_only = reason && g_str_has_prefix(reason, "audiosrc:");
    bool dup_only = dest && rc->dest2 && strcmp(dest, rc->dest2) == 0;
    if (tone_only || dup_only ||
        (rc->state != RS_ON && rc->state != RS_PAUSED && rc->state != RS_CONNECTING)) {
        /* The main recording goes on (a tone or the duplicate failed): say so only. */
        LOG_WARN(rec, "call %016llx: %s", (unsigned long long)rc->call->connid, why);
        private_info(rc, TL_GSIP_RECORD_START, gw_rec_state_name(rc->call), why);
        return;
    }
    rec_fail(rc, why);
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
    if (status >= 300) {
        char why[300];
        snprintf(why, sizeof why, "mediad refused MSML (%d): %.200s", status,
                 body ? body : "no body");
        for (char *c = why; *c; c++)
            if (*c == '\r' || *c == '\n')
                *c = ' ';
        if (kind == INFO_CREATE || rc->state == RS_ON || rc->state == RS_PAUSED)
            rec_fail(rc, why);
        gw_server_flush(calls->srv);
        return;
    }
    if (kind == INFO_CREATE && rc->state != RS_CONNECTING) {
        /* Stopped while starting: end what mediad just started. */
        ar_msml m;
        ar_msml_init(&m);
        ar_msml_add_op(&m, AR_MSML_OP_STOP, CONF);
        send_msml(rc, &m, INFO_ABORT);
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
        const char *kv[] = {"GSIP_RECORD",          "On",
                            "GSIP_REC_FN",          rc->file_name,
                            "RECORDING_STATUS_GIM", "RECORDING_YES",
                            "GSIP_RECORD_REASON",   NULL};
        ud_publish(rc->call, kv, G_N_ELEMENTS(kv));
        private_info(rc, TL_GSIP_RECORD_START, "On", NULL);
        db_recording(rc, "active", NULL, 0);
        db_segment(rc, "start", NULL);
        LOG_INFO(rec, "call %016llx: recording %s on (file %s)",
                 (unsigned long long)rc->call->connid, rc->id, rc->file_name);
    }
    gw_server_flush(calls->srv);
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
    const gw_config *cfg = srv_of(call)->cfg;
    struct gw_rec_call *rc = call->rec;
    if (rc && rc->state != RS_IDLE && rc->state != RS_FAILED) {
        snprintf(why, cap, "call %016llx is already being recorded (%s, id %s)",
                 (unsigned long long)call->connid, rc->started_by ? rc->started_by : "?",
                 rc->id ? rc->id : "-");
        return AR_E_ALREADY_RECORDING;
    }
    const char *conf_dest = cfg->rec.recording_dest;
    const char *dest = r->dest ? r->dest : conf_dest && *conf_dest ? conf_dest : NULL;
    if (!dest) {
        snprintf(why, cap, "no dest given and no recording-dest configured");
        return AR_E_MISSING_ATTRIBUTE;
    }
    if (!is_sip_uri(dest) || (r->dest2 && !is_sip_uri(r->dest2))) {
        snprintf(why, cap, "dest \"%s\" is not a SIP URI",
                 r->dest2 && is_sip_uri(dest) ? r->dest2 : dest);
        return AR_E_INVALID_VALUE;
    }
    if (!msml_service(cfg)) {
        snprintf(why, cap, "no media server: configure a VoIP Service DN with service-type msml");
        return AR_E_UNSUPPORTED_OPERATION;
    }
    rc = rec_get(call);
    rc->seq++;
    set_str(&rc->started_by, r->started_by);
    set_str(&rc->side, r->side ? r->side : "source");
    set_str(&rc->record_dn, r->record_dn);
    set_str(&rc->req_dn, r->req_dn);
    set_str(&rc->dest, dest);
    set_str(&rc->dest2, r->dest2);
    set_str(&rc->params, r->params);
    set_str(&rc->audiosrc, r->audiosrc ? r->audiosrc : cfg->rec.audiosrc);
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
             (unsigned long long)call->connid, rc->started_by, rc->id, rc->dest);
    rec_begin(rc);
    return AR_E_OK;
}

int gw_rec_control(gw_call *call, gw_rec_ctl op, const char *req_dn, char *why, size_t cap)
{
    struct gw_rec_call *rc = call->rec;
    unsigned long long cid = (unsigned long long)call->connid;
    if (!rc || rc->state == RS_IDLE || rc->state == RS_FAILED) {
        snprintf(why, cap, "call %016llx is not being recorded", cid);
        return AR_E_NOT_RECORDING;
    }
    if (req_dn)
        set_str(&rc->req_dn, req_dn);
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
    int err = send_msml(rc, &m, kinds[op]);
    if (err != AR_E_OK) {
        snprintf(why, cap, "MSML to mediad failed: %s", ar_strerror(err));
        return err;
    }
    static const char *const seg[] = {"stop", "pause", "resume"};
    rc->state = op == GW_REC_STOP ? RS_IDLE : op == GW_REC_PAUSE ? RS_PAUSED : RS_ON;
    db_segment(rc, seg[op], NULL);
    db_recording(rc,
                 op == GW_REC_STOP    ? "completed"
                 : op == GW_REC_PAUSE ? "paused"
                                      : "active",
                 NULL, op == GW_REC_STOP ? g_get_real_time() : 0);
    LOG_INFO(rec, "call %016llx: recording %s %s", cid, rc->id, seg[op]);
    return AR_E_OK;
}

/* --- hooks from the model --- */

void gw_rec_established(gw_call *call)
{
    if (call->ending)
        return;
    struct gw_rec_call *rc = call->rec;
    if (rc && rc->state == RS_WAITING) {
        rec_begin(rc);
        return;
    }
    /* Full-time again only when a new pair formed (transfer): not after a stop request,
       which leaves mediad in the path, nor while something is recording. */
    if (rc && (rc->inserted || (rc->state != RS_IDLE && rc->state != RS_FAILED)))
        return;
    /* Full-time: a party on a DN configured record=true (Extension, ACD Position, Trunk), or
       with an agent logged in whose [agent] section says record=true. */
    const gw_config *cfg = srv_of(call)->cfg;
    for (gw_party *p = call->parties; p; p = p->next) {
        const gw_dn_conf *d = gw_config_find_dn(cfg, p->dn);
        const char *login = gw_agent_on_dn(call->calls, p->dn, NULL);
        const gw_agent_conf *ag = login ? gw_config_find_agent(cfg, login) : NULL;
        if (!((d && d->record) || (ag && ag->record)) || p->state != GW_PS_ESTABLISHED)
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
}

void gw_rec_route_ext(gw_call *call, const char *target, const tl_kv *ext)
{
    const char *side = ext ? tl_kv_get_str(ext, "record") : NULL;
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
    const gw_dn_conf *d = target ? gw_config_find_dn(srv_of(call)->cfg, target) : NULL;
    gw_rec_req r = {.started_by = "selective",
                    .side = side,
                    .record_dn = d && dn == target ? d->number : dn,
                    .id = tl_kv_get_str(ext, "id"),
                    .dest = tl_kv_get_str(ext, "dest"),
                    .params = tl_kv_get_str(ext, "params"),
                    .tonesilenceduration = -1};
    char why[200];
    if (gw_rec_request(call, &r, why, sizeof why) != AR_E_OK)
        LOG_WARN(rec, "call %016llx: selective recording not started: %s",
                 (unsigned long long)call->connid, why);
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
    if (rc->state == RS_ON || rc->state == RS_PAUSED) {
        const char *kv[] = {"GSIP_RECORD", "Off"};
        ud_publish(rc->call, kv, G_N_ELEMENTS(kv));
        db_segment(rc, "stop", why);
        db_recording(rc, "completed", NULL, g_get_real_time());
        LOG_INFO(rec, "call %016llx: recording %s ended (%s)", (unsigned long long)rc->call->connid,
                 rc->id, why);
    }
    rc->state = RS_IDLE;
    msc_release_all(rc, why);
}

void gw_rec_party_gone(gw_call *call, gw_party *p)
{
    struct gw_rec_call *rc = call->rec;
    if (!rc || (rc->party[0] != p && rc->party[1] != p))
        return;
    /* The recorded pair is broken: the recording of this call ends with it. */
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
    g_free(rc);
}
