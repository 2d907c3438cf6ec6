/* B2BUA: one nua dialog per call leg, SDP passed through, the gw_sipif.h ops for the model. */
#include "gw_b2bua.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_tagarg.h>

#include "ar_err.h"
#include "ar_log.h"
#include "ar_sdp.h"
#include "gw_refer.h"
#include "gw_reg.h"
#include "gw_sdpx.h"
#include "gw_site.h"
#include "gw_siptls.h"

#define CT_SDP         "application/sdp"
#define LOOP_HEADER    "X-Arec-Leg"
#define DEFAULT_MAX_FW 70

/* One SIP dialog (INVITE usage) of the gateway with a phone, trunk or media server. */
struct gw_leg {
    gw_b2bua *b;
    nua_handle_t *nh;
    gw_party *party; /* NULL once either side has ended the leg for the model */
    char *peer;      /* DN or URI, for logs */
    bool incoming;
    bool answered;      /* initial INVITE got its 2xx */
    bool heard;         /* any response to our initial INVITE (even 100) */
    bool ending;        /* final response / CANCEL / BYE sent: waiting for nua to finish */
    bool late_offer;    /* initial INVITE without a body (ours or theirs) */
    bool ack_pending;   /* we received a 2xx carrying an offer: ACK waits for the answer */
    bool answer_in_ack; /* we sent an offer in a 2xx: the ACK carries the answer */
    bool ack_wait;      /* our 2xx to the initial INVITE is not ACKed yet: no re-INVITE */
    bool reinv_out;     /* our re-INVITE is pending */
    bool reinv_out_offerless;
    bool reinv_in;         /* a received re-INVITE waits for the model's answer */
    char *target;          /* outgoing: the Request-URI of our INVITE (the phone's contact) */
    nua_handle_t *talk_nh; /* RequestAnswerCall's NOTIFY talk in flight (its own handle) */
    char *call_id;         /* the dialog's Call-ID (a REFER's Replaces names a leg by it) */
    bool refer_pending;    /* a REFER is being acted on: its NOTIFY goes before any BYE */
    guint refer_idle;      /* the REFER's transfer, queued until nua has sent the 202 */
    char *refer_target, *refer_cid; /* its Refer-To user and Replaces Call-ID */
    gw_media_dir reinv_in_dir;
    bool queued; /* a reinvite op arrived while another offer was pending */
    char *queued_sdp;
    char *reinv_sdp;  /* what our pending re-INVITE offered (NULL = offerless), for 491 */
    char *hold_saved; /* the body we sent before a gateway hold */
    guint noanswer_timer, retry_timer;
    gw_sdpx_origin org; /* what we sent on this dialog */
    char *remote_sdp;   /* the last body the peer sent */
    char *contact;      /* our Contact on this dialog when SIPS is on (gw_siptls_contact) */

    /* Our REFER (ops.refer, multi-site) waits for its outcome. */
    bool refer_out;
    /* Dialog tags (Replaces, RFC 3891): ours and the peer's, once known. */
    char *ltag, *rtag;
    /* This incoming INVITE replaces the leg with this Call-ID: BYE it once answered. */
    char *replaces_cid;
};

struct gw_b2bua {
    gw_sip *sip;
    GHashTable *legs; /* gw_leg * set */
    char token[17];   /* this process's loop-detection token */
    uint64_t serial;
    int cur_max_forwards; /* of the INVITE being handed to the model, -1 otherwise */
    bool down;            /* shutting down: no more reports to the model */
};

static const gw_sip_ops b2b_ops;

/* ---- helpers ------------------------------------------------------------------------ */

static gw_calls *model(gw_b2bua *b)
{
    return b->down ? NULL : b->sip->calls;
}

static char *body_of(const sip_t *sip)
{
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_len)
        return NULL;
    return g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

static gw_leg *leg_new(gw_b2bua *b, bool incoming, const char *peer)
{
    gw_leg *l = g_new0(gw_leg, 1);
    l->b = b;
    l->incoming = incoming;
    l->peer = g_strdup(peer ? peer : "?");
    g_hash_table_add(b->legs, l);
    return l;
}

static void leg_stop_timers(gw_leg *l)
{
    if (l->noanswer_timer)
        g_source_remove(l->noanswer_timer);
    if (l->retry_timer)
        g_source_remove(l->retry_timer);
    l->noanswer_timer = l->retry_timer = 0;
}

static void leg_free(gw_leg *l)
{
    leg_stop_timers(l);
    g_hash_table_remove(l->b->legs, l);
    if (l->nh) {
        nua_handle_bind(l->nh, NULL);
        nua_handle_destroy(l->nh);
    }
    if (l->talk_nh) {
        nua_handle_bind(l->talk_nh, NULL);
        nua_handle_destroy(l->talk_nh);
    }
    g_free(l->target);
    g_free(l->call_id);
    if (l->refer_idle)
        g_source_remove(l->refer_idle);
    g_free(l->refer_target);
    g_free(l->refer_cid);
    g_free(l->ltag);
    g_free(l->rtag);
    g_free(l->replaces_cid);
    gw_sdpx_origin_clear(&l->org);
    g_free(l->remote_sdp);
    g_free(l->queued_sdp);
    g_free(l->reinv_sdp);
    g_free(l->hold_saved);
    g_free(l->peer);
    g_free(l->contact);
    g_free(l);
}

/* Tags for a body: content type + payload, or nothing. */
#define BODY_TAGS(sdp)                                                                             \
    TAG_IF((sdp) != NULL, SIPTAG_CONTENT_TYPE_STR(CT_SDP)),                                        \
        TAG_IF((sdp) != NULL, SIPTAG_PAYLOAD_STR(sdp))
/* Our Contact for the leg's transport (SIPS on: nua alone would put the TLS one everywhere). */
#define CONTACT_TAG(l) TAG_IF((l)->contact != NULL, SIPTAG_CONTACT_STR((l)->contact))

static void respond_error(nua_t *nua, nua_handle_t *nh, int status, const char *why, bool with_this)
{
    char w[256];
    snprintf(w, sizeof w, "399 gatewayd \"%s\"", why ? why : sip_status_phrase(status));
    const char *phrase = sip_status_phrase(status);
    if (with_this)
        nua_respond(nh, status, phrase ? phrase : "Error", NUTAG_WITH_THIS(nua),
                    TAG_IF(why != NULL, SIPTAG_WARNING_STR(w)), TAG_END());
    else
        nua_respond(nh, status, phrase ? phrase : "Error",
                    TAG_IF(why != NULL, SIPTAG_WARNING_STR(w)), TAG_END());
}

/* The model is told at most once that a leg ended; afterwards the leg is ours alone. */
static gw_party *detach(gw_leg *l)
{
    gw_party *p = l->party;
    l->party = NULL;
    leg_stop_timers(l);
    return p;
}

static void report_released(gw_leg *l, int cause)
{
    gw_party *p = detach(l);
    gw_calls *c = model(l->b);
    if (p && c)
        gw_sipif_released(c, p, l, cause);
}

static void report_failed(gw_leg *l, int status)
{
    gw_party *p = detach(l);
    gw_calls *c = model(l->b);
    if (p && c)
        gw_sipif_failed(c, p, l, status);
}

/* ---- outgoing offers ----------------------------------------------------------------- */

static void send_reinvite(gw_leg *l, const char *sdp)
{
    const char *body = sdp ? gw_sdpx_restamp(&l->org, sdp) : NULL;
    g_free(l->reinv_sdp);
    l->reinv_sdp = g_strdup(sdp);
    l->reinv_out = true;
    l->reinv_out_offerless = body == NULL;
    LOG_DEBUG(sip, "leg %s: re-INVITE%s", l->peer, body ? "" : " without offer");
    nua_invite(l->nh, CONTACT_TAG(l), BODY_TAGS(body), TAG_END());
}

/* An offer exchange ended: start the one the model queued meanwhile. */
static void run_queued(gw_leg *l)
{
    if (!l->queued || l->reinv_out || l->reinv_in || l->ack_pending || l->retry_timer ||
        l->ack_wait || l->ending || !l->answered)
        return;
    char *sdp = l->queued_sdp;
    l->queued = false;
    l->queued_sdp = NULL;
    send_reinvite(l, sdp);
    g_free(sdp);
}

static gboolean on_retry(gpointer ud)
{
    gw_leg *l = ud;
    l->retry_timer = 0;
    run_queued(l);
    return G_SOURCE_REMOVE;
}

void gw_b2bua_tls_refused(gw_b2bua *b, const char *why)
{
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, b->legs);
    GPtrArray *fail = g_ptr_array_new();
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        gw_leg *l = k;
        if (!l->incoming && !l->heard && !l->answered && !l->ending && l->contact &&
            (strstr(l->contact, "transport=tls") || g_str_has_prefix(l->contact, "<sips:")))
            g_ptr_array_add(fail, l);
    }
    for (guint i = 0; i < fail->len; i++) { /* report_failed may free other legs' state */
        gw_leg *l = fail->pdata[i];
        if (!g_hash_table_contains(b->legs, l) || l->ending)
            continue;
        LOG_WARN(sip, "leg %s: TLS handshake failed (%s): INVITE abandoned, reported as 503",
                 l->peer, why);
        if (l->noanswer_timer)
            g_source_remove(l->noanswer_timer);
        l->noanswer_timer = 0;
        l->ending = true;
        nua_cancel(l->nh, TAG_END());
        report_failed(l, 503);
    }
    g_ptr_array_free(fail, TRUE);
}

static gboolean on_noanswer(gpointer ud)
{
    gw_leg *l = ud;
    l->noanswer_timer = 0;
    LOG_INFO(sip, "leg %s: no answer after %d s, cancelling", l->peer,
             l->b->sip->srv->cfg->no_answer_timeout);
    l->ending = true;
    nua_cancel(l->nh, TAG_END());
    report_failed(l, 408);
    return G_SOURCE_REMOVE;
}

/* ---- ops (called by the model) -------------------------------------------------------- */

/* "sip:host:port;x" + number -> "sip:number@host:port;x" (a trunk's static contact). */
static char *uri_with_user(const char *contact, const char *number)
{
    const char *colon = strchr(contact, ':');
    if (!number || !*number || !colon || strchr(contact, '@'))
        return g_strdup(contact);
    return g_strdup_printf("%.*s%s@%s", (int)(colon - contact + 1), contact, number, colon + 1);
}

static gw_leg *op_originate(void *sipv, gw_party *party, const gw_sip_target *t, const char *sdp,
                            int *sip_status)
{
    gw_sip *sip = sipv;
    gw_b2bua *b = sip->b2b;
    char *ruri = NULL;
    *sip_status = 0;
    const char *number = t->number ? t->number : t->dn;
    if (t->uri) {
        ruri = g_strdup(t->uri);
    } else {
        if (!t->dn || !gw_config_find_dn(sip->srv->cfg, t->dn)) {
            *sip_status = 404;
            return NULL;
        }
        const char *contact = gw_reg_contact(sip->reg, t->dn);
        if (!contact) {
            *sip_status = 480;
            return NULL;
        }
        ruri = gw_reg_is_registered(sip->reg, t->dn) ? g_strdup(contact)
                                                     : uri_with_user(contact, number);
    }
    gw_leg *l = leg_new(b, false, t->dn ? t->dn : ruri);
    l->party = party;
    l->contact = gw_siptls_contact(sip->tls, sip->host, sip->port, sip->sips_port, ruri, NULL);
    bool v6 = strchr(sip->host, ':') != NULL;
    char *from = g_strdup_printf(
        v6 ? "%s%s%s<sip:%s@[%s]:%d>" : "%s%s%s<sip:%s@%s:%d>", t->from_display ? "\"" : "",
        t->from_display ? t->from_display : "", t->from_display ? "\" " : "",
        t->from_user ? t->from_user : "anonymous", sip->host, sip->port);
    char *to = g_strdup_printf(v6 ? "<sip:%s@[%s]:%d>" : "<sip:%s@%s:%d>", number ? number : "",
                               sip->host, sip->port);
    int mf = b->cur_max_forwards >= 0 ? b->cur_max_forwards - 1 : DEFAULT_MAX_FW;
    char mfs[16];
    snprintf(mfs, sizeof mfs, "%d", mf < 0 ? 0 : mf);
    GString *hdr = g_string_new(NULL);
    g_string_append_printf(hdr, LOOP_HEADER ": %s-%" G_GUINT64_FORMAT, b->token, ++b->serial);
    if (t->call_uuid)
        g_string_append_printf(hdr, "\r\nX-Genesys-CallUUID: %s", t->call_uuid);
    /* A tag may come from a client's Extensions: only a plain token goes into a header. */
    if (t->geo_location && *t->geo_location &&
        strspn(t->geo_location,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
            strlen(t->geo_location) &&
        strlen(t->geo_location) <= 64)
        g_string_append_printf(hdr, "\r\nX-Genesys-geo-location: %s", t->geo_location);
    if (t->headers)
        g_string_append_printf(hdr, "\r\n%s", t->headers);
    if (t->auto_answer)
        g_string_append_printf(hdr, "\r\nAnswer-Mode: Auto\r\nCall-Info: <sip:%s>;answer-after=0",
                               sip->host);
    l->nh = nua_handle(sip->nua, (nua_hmagic_t *)l, SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
                       TAG_END());
    const char *body = sdp ? gw_sdpx_restamp(&l->org, sdp) : NULL;
    l->late_offer = body == NULL;
    if (l->nh)
        nua_invite(l->nh, NUTAG_URL(ruri), SIPTAG_MAX_FORWARDS_STR(mfs),
                   SIPTAG_HEADER_STR(hdr->str), CONTACT_TAG(l), BODY_TAGS(body), TAG_END());
    LOG_INFO(sip, "leg %s: INVITE %s%s", l->peer, ruri, body ? "" : " (late offer)");
    l->target = g_strdup(ruri);
    g_string_free(hdr, TRUE);
    g_free(from);
    g_free(to);
    g_free(ruri);
    if (!l->nh) {
        l->party = NULL;
        leg_free(l);
        *sip_status = 503;
        return NULL;
    }
    l->noanswer_timer =
        g_timeout_add_seconds((guint)sip->srv->cfg->no_answer_timeout, on_noanswer, l);
    return l;
}

static int op_ringing(void *sipv, gw_leg *l, const char *sdp)
{
    (void)sipv;
    if (!l->incoming || l->answered || l->ending)
        return AR_E_INVALID_CALL_STATE;
    const char *body = sdp ? gw_sdpx_restamp(&l->org, sdp) : NULL;
    nua_respond(l->nh, body ? 183 : 180, body ? "Session Progress" : "Ringing", CONTACT_TAG(l),
                BODY_TAGS(body), TAG_END());
    return AR_E_OK;
}

static int op_answer(void *sipv, gw_leg *l, const char *sdp)
{
    (void)sipv;
    if (!l->incoming || l->answered || l->ending)
        return AR_E_INVALID_CALL_STATE;
    const char *body = sdp ? gw_sdpx_restamp(&l->org, sdp) : NULL;
    l->answered = true;
    l->ack_wait = true;
    l->answer_in_ack = l->late_offer && body;
    nua_respond(l->nh, 200, "OK", CONTACT_TAG(l), BODY_TAGS(body), TAG_END());
    return AR_E_OK;
}

static void end_replaced(gw_leg *l);

static int op_sdp_answer(void *sipv, gw_leg *l, const char *sdp)
{
    (void)sipv;
    if (l->ending)
        return AR_E_INVALID_CALL_STATE;
    if (l->ack_pending) {
        const char *body = sdp ? gw_sdpx_restamp(&l->org, sdp) : NULL;
        l->ack_pending = false;
        nua_ack(l->nh, BODY_TAGS(body), TAG_END());
        run_queued(l);
        return AR_E_OK;
    }
    if (!l->reinv_in)
        return AR_E_INVALID_CALL_STATE;
    char *mirrored = NULL;
    if (!sdp && l->org.last_out)
        sdp = mirrored = gw_sdpx_set_dir(l->org.last_out, gw_sdpx_mirror(l->reinv_in_dir));
    const char *body = sdp ? gw_sdpx_restamp(&l->org, sdp) : NULL;
    l->reinv_in = false;
    if (l->replaces_cid && !body) {
        /* The replacing INVITE's offer found no answer: the transfer fails, the party
           leaves and the dialog it had (already handed over) ends too. */
        g_free(mirrored);
        l->ending = true;
        respond_error(l->b->sip->nua, l->nh, 488, "no answer to the offer", false);
        end_replaced(l);
        report_released(l, 488);
        return AR_E_OK;
    }
    nua_respond(l->nh, 200, "OK", CONTACT_TAG(l), BODY_TAGS(body), TAG_END());
    g_free(mirrored);
    if (l->replaces_cid)
        end_replaced(l);
    run_queued(l);
    return AR_E_OK;
}

static int op_reinvite(void *sipv, gw_leg *l, const char *sdp)
{
    (void)sipv;
    if (l->ending || !l->answered)
        return AR_E_INVALID_CALL_STATE;
    if (l->reinv_out || l->reinv_in || l->ack_pending || l->retry_timer || l->ack_wait) {
        /* One offer at a time per dialog (RFC 3261 14.1), and none before the ACK of our
           2xx (the INVITE transaction is still in progress): send it when that ends. */
        g_free(l->queued_sdp);
        l->queued_sdp = g_strdup(sdp);
        l->queued = true;
        return AR_E_OK;
    }
    send_reinvite(l, sdp);
    return AR_E_OK;
}

static int op_hold(void *sipv, gw_leg *l, bool on)
{
    if (!l->org.last_out)
        return AR_E_INVALID_CALL_STATE;
    int rc;
    if (on) {
        if (!l->hold_saved)
            l->hold_saved = g_strdup(l->org.last_in);
        char *inactive = gw_sdpx_set_dir(l->org.last_out, GW_DIR_INACTIVE);
        rc = op_reinvite(sipv, l, inactive);
        g_free(inactive);
        return rc;
    }
    if (!l->hold_saved)
        return AR_E_CALL_NOT_HELD;
    char *saved = l->hold_saved;
    l->hold_saved = NULL;
    rc = op_reinvite(sipv, l, saved);
    g_free(saved);
    return rc;
}

/* The final NOTIFY of a REFER (RFC 3515): the outcome as a sipfrag, subscription over. */
static void refer_notify(gw_leg *l, int status)
{
    char frag[64];
    const char *phrase = sip_status_phrase(status);
    snprintf(frag, sizeof frag, "SIP/2.0 %d %s\r\n", status, phrase ? phrase : "");
    l->refer_pending = false;
    nua_notify(l->nh, NUTAG_SUBSTATE(nua_substate_terminated),
               SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(frag),
               TAG_END());
}

static void op_release(void *sipv, gw_leg *l, int sip_status, const char *reason)
{
    (void)sipv;
    detach(l);
    if (l->ending)
        return;
    l->ending = true;
    LOG_INFO(sip, "leg %s: release (%d%s%s)", l->peer, sip_status, reason ? ", " : "",
             reason ? reason : "");
    if (l->incoming && !l->answered) {
        int st = sip_status >= 300 && sip_status < 700 ? sip_status : 480;
        respond_error(l->b->sip->nua, l->nh, st, reason, false);
    } else if (!l->incoming && !l->answered) {
        nua_cancel(l->nh, TAG_END());
    } else {
        if (l->ack_pending) /* a 2xx must be ACKed before the BYE */
            nua_ack(l->nh, TAG_END());
        if (l->refer_pending) /* the transfer this leg asked for is done */
            refer_notify(l, 200);
        nua_bye(l->nh, TAG_END());
    }
}

/*
 * RequestAnswerCall: the DN's `remote-answer` says how its phone takes a remote answer.
 * notify-talk: an out-of-dialog NOTIFY with Event: talk to the phone's contact
 * (BroadSoft / Polycom "talk" event); the phone then answers its ringing call as if the
 * user had picked up. Subscription-State is terminated: no subscription is created.
 * It goes on its own handle because nua refuses a NOTIFY inside an INVITE dialog
 * without a subscription.
 */
static int op_remote_answer(void *sipv, gw_leg *l)
{
    gw_sip *sip = sipv;
    const gw_dn_conf *dn = gw_config_find_dn(sip->srv->cfg, l->peer);
    if (!dn || dn->remote_answer != GW_RA_NOTIFY_TALK)
        return AR_E_UNSUPPORTED_OPERATION;
    if (l->incoming || l->answered || l->ending || !l->target || l->talk_nh)
        return AR_E_INVALID_CALL_STATE;
    bool v6 = strchr(sip->host, ':') != NULL;
    char *from = g_strdup_printf(v6 ? "<sip:gatewayd@[%s]:%d>" : "<sip:gatewayd@%s:%d>", sip->host,
                                 sip->port);
    l->talk_nh = nua_handle(sip->nua, (nua_hmagic_t *)l, SIPTAG_FROM_STR(from),
                            SIPTAG_TO_STR(l->target), TAG_END());
    g_free(from);
    if (!l->talk_nh)
        return AR_E_UNSUPPORTED_OPERATION;
    LOG_INFO(sip, "leg %s: NOTIFY talk to %s (remote answer)", l->peer, l->target);
    nua_notify(l->talk_nh, NUTAG_URL(l->target), NUTAG_NEWSUB(1), SIPTAG_EVENT_STR("talk"),
               SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource"), TAG_END());
    return AR_E_OK;
}

static int op_info(void *sipv, gw_leg *l, const char *content_type, const char *body)
{
    (void)sipv;
    if (l->ending || !l->answered)
        return AR_E_INVALID_CALL_STATE;
    nua_info(l->nh, SIPTAG_CONTENT_TYPE_STR(content_type), SIPTAG_PAYLOAD_STR(body), TAG_END());
    return AR_E_OK;
}

static int op_refer(void *sipv, gw_leg *l, const char *refer_to, const char *referred_by)
{
    (void)sipv;
    if (l->ending || !l->answered || l->refer_out)
        return AR_E_INVALID_CALL_STATE;
    /* The REFER's implicit subscription: its NOTIFYs must be accepted on this dialog. */
    nua_set_hparams(l->nh, NUTAG_ALLOW("NOTIFY"), TAG_END());
    nua_refer(l->nh, SIPTAG_REFER_TO_STR(refer_to),
              TAG_IF(referred_by, SIPTAG_REFERRED_BY_STR(referred_by)), TAG_END());
    l->refer_out = true;
    LOG_INFO(sip, "leg %s: REFER to %s", l->peer, refer_to);
    return AR_E_OK;
}

/* REFER with Refer-To ...?Replaces=<call-id>;to-tag=<peer's>;from-tag=<ours> (RFC 3891). */
static int op_refer_replacing(void *sipv, gw_leg *l, const char *refer_to, gw_leg *replaced)
{
    if (!replaced || replaced->incoming || !replaced->answered || replaced->ending ||
        !replaced->call_id || !replaced->ltag || !replaced->rtag)
        return AR_E_INVALID_CALL_STATE;
    char *rp = g_strdup_printf("%s;to-tag=%s;from-tag=%s", replaced->call_id, replaced->rtag,
                               replaced->ltag);
    char *e = g_uri_escape_string(rp, NULL, FALSE);
    char *uri = g_strdup_printf("%s%sReplaces=%s", refer_to, strchr(refer_to, '?') ? "&" : "?", e);
    int rc = op_refer(sipv, l, uri, NULL);
    g_free(uri);
    g_free(e);
    g_free(rp);
    return rc;
}

/* The REFER's outcome: its error response, or the final status of a NOTIFY's sipfrag. */
static void on_refer_event(gw_b2bua *b, gw_leg *l, nua_event_t ev, int status, const sip_t *sip)
{
    if (!l->refer_out || !l->party || !model(b))
        return;
    int st = 0;
    if (ev == nua_r_refer && status >= 300)
        st = status;
    if (ev == nua_i_notify && sip && sip->sip_payload && sip->sip_payload->pl_data) {
        /* message/sipfrag: "SIP/2.0 200 OK" */
        char frag[64];
        size_t n =
            sip->sip_payload->pl_len < sizeof frag - 1 ? sip->sip_payload->pl_len : sizeof frag - 1;
        memcpy(frag, sip->sip_payload->pl_data, n);
        frag[n] = 0;
        int code = 0;
        if (sscanf(frag, "SIP/2.0 %d", &code) == 1 && code >= 200 && code < 700)
            st = code;
    }
    if (!st)
        return;
    l->refer_out = false;
    LOG_INFO(sip, "leg %s: REFER outcome %d", l->peer, st);
    gw_sipif_refer_result(model(b), l->party, l, st);
}

static const gw_sip_ops b2b_ops = {
    .originate = op_originate,
    .ringing = op_ringing,
    .answer = op_answer,
    .sdp_answer = op_sdp_answer,
    .reinvite = op_reinvite,
    .hold = op_hold,
    .remote_answer = op_remote_answer,
    .release = op_release,
    .info = op_info,
    .refer = op_refer,
    .refer_replacing = op_refer_replacing,
};

const gw_sip_ops *gw_sip_ops_table(void)
{
    return &b2b_ops;
}

/* ---- incoming INVITE ------------------------------------------------------------------- */

/* Caller attribution (the brief's dial plan): the From DN, else the inbound trunk. */
static const gw_dn_conf *attribute_caller(gw_b2bua *b, const char *from_user,
                                          const struct sockaddr *src)
{
    const gw_config *cfg = b->sip->srv->cfg;
    const gw_dn_conf *d = from_user ? gw_config_find_dn(cfg, from_user) : NULL;
    if (d && (d->type == GW_DN_EXTENSION || d->type == GW_DN_ACD_POSITION) &&
        gw_reg_source_ok(b->sip->reg, from_user, src))
        return d;
    char host[INET6_ADDRSTRLEN] = "";
    if (src && src->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)src)->sin_addr, host, sizeof host);
    else if (src && src->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)src)->sin6_addr, host, sizeof host);
    const gw_dn_conf *first = NULL;
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const gw_dn_conf *t = &cfg->dns[i];
        if (t->type != GW_DN_TRUNK)
            continue;
        if (!first)
            first = t;
        if (host[0] && t->contact && strstr(t->contact, host))
            return t;
    }
    return first;
}

/* Value of the first extension header called name, or NULL. */
static const char *unknown_header(const sip_t *sip, const char *name)
{
    for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next)
        if (u->un_name && strcasecmp(u->un_name, name) == 0)
            return u->un_value;
    return NULL;
}

/* Reasons to refuse an INVITE before the model sees it; 0 = acceptable. */
static int check_invite(gw_b2bua *b, const sip_t *sip, char *why, size_t cap)
{
    if (!sip->sip_contact) {
        snprintf(why, cap, "Contact header missing");
        return 400;
    }
    if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
        snprintf(why, cap, "Max-Forwards reached 0");
        return 483;
    }
    for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next)
        if (u->un_name && strcasecmp(u->un_name, LOOP_HEADER) == 0 && u->un_value &&
            strncmp(u->un_value, b->token, strlen(b->token)) == 0) {
            snprintf(why, cap, "INVITE came back to this gateway");
            return 482;
        }
    if (!sip->sip_request->rq_url->url_user || !*sip->sip_request->rq_url->url_user) {
        snprintf(why, cap, "Request-URI has no user part");
        return 404;
    }
    if (sip->sip_payload && sip->sip_payload->pl_len) {
        if (sip->sip_content_type && sip->sip_content_type->c_type &&
            strcasecmp(sip->sip_content_type->c_type, CT_SDP) != 0) {
            snprintf(why, cap, "body is not application/sdp");
            return 415;
        }
        if (sip->sip_payload->pl_len > AR_SDP_MAX_LEN) {
            snprintf(why, cap, "%s", ar_strerror(AR_E_SDP_TOO_LARGE));
            return 488;
        }
        char *body = body_of(sip);
        gw_media_dir d;
        int rc = gw_sdpx_dir(body, &d);
        g_free(body);
        if (rc != AR_E_OK) {
            snprintf(why, cap, "%s", ar_strerror(rc));
            return 488;
        }
    }
    return 0;
}

static gw_leg *leg_by_call_id(gw_b2bua *b, const char *call_id);

/*
 * INVITE with Replaces (RFC 3891): a phone another site REFERred takes the place of that
 * site's confirmed incoming leg (multi-site two-step transfer by REFER, gw_site.c). The
 * Call-ID and from-tag (the tag of the replaced dialog's INVITE) must match; its offer
 * goes to the model as a re-INVITE of the party, whose answer is the 200 of this INVITE,
 * after which the replaced leg gets its BYE (end_replaced).
 */
static void on_replaces(gw_b2bua *b, nua_handle_t *nh, const sip_t *sip)
{
    const sip_replaces_t *rp = sip->sip_replaces;
    gw_leg *old = rp->rp_call_id ? leg_by_call_id(b, rp->rp_call_id) : NULL;
    const char *why = NULL;
    int st = 481;
    gw_media_dir dir = GW_DIR_SENDRECV;
    char *body = body_of(sip);
    if (!old || !old->incoming || !old->answered || !old->party || old->replaces_cid)
        why = "Replaces names no confirmed incoming dialog here";
    else if (!rp->rp_from_tag || !old->rtag || strcmp(rp->rp_from_tag, old->rtag) != 0)
        why = "Replaces from-tag does not match the dialog";
    else if (old->reinv_in || old->reinv_out || old->ack_pending || old->queued) {
        why = "an offer is pending on the replaced dialog";
        st = 491;
    } else if (!body || gw_sdpx_dir(body, &dir) != AR_E_OK) {
        why = "INVITE with Replaces needs an SDP offer";
        st = 488;
    } else if (!model(b)) {
        why = "call model not running";
        st = 503;
    }
    gw_leg *l = NULL;
    if (!why) {
        l = leg_new(b, true, old->peer);
        l->nh = nh;
        l->contact = gw_siptls_contact(b->sip->tls, b->sip->host, b->sip->port, b->sip->sips_port,
                                       NULL, sip);
        nua_handle_bind(nh, (nua_hmagic_t *)l);
        l->call_id = sip->sip_call_id ? g_strdup(sip->sip_call_id->i_id) : NULL;
        l->rtag = sip->sip_from && sip->sip_from->a_tag ? g_strdup(sip->sip_from->a_tag) : NULL;
        l->remote_sdp = body;
        body = NULL;
        l->reinv_in = true;
        l->reinv_in_dir = dir;
        l->replaces_cid = g_strdup(old->call_id);
        if (!gw_sipif_replaced(model(b), old->party, old, l)) {
            why = "the call no longer takes this dialog";
            g_free(l->replaces_cid);
            l->replaces_cid = NULL;
        }
    }
    if (why) {
        LOG_WARN(sip, "INVITE %s with Replaces %s refused: %d %s",
                 sip->sip_call_id ? sip->sip_call_id->i_id : "?", rp->rp_call_id, st, why);
        g_free(body);
        if (l) {
            l->ending = true;
            respond_error(b->sip->nua, nh, st, why, false);
            return;
        }
        respond_error(b->sip->nua, nh, st, why, true);
        nua_handle_destroy(nh);
        return;
    }
    gw_party *p = detach(old);
    l->party = p;
    LOG_INFO(sip, "INVITE %s replaces leg %s (%s)", l->call_id ? l->call_id : "?", old->peer,
             old->call_id);
    gw_sipif_reinvite(model(b), p, l, l->remote_sdp, dir);
}

/* The 200 of an INVITE with Replaces went out: the dialog it replaced ends (BYE). */
static void end_replaced(gw_leg *l)
{
    gw_leg *old = leg_by_call_id(l->b, l->replaces_cid);
    g_free(l->replaces_cid);
    l->replaces_cid = NULL;
    l->answered = true;
    l->ack_wait = !l->ending;
    if (!old || old == l || old->ending)
        return;
    detach(old);
    old->ending = true;
    LOG_INFO(sip, "leg %s: replaced dialog %s ends", old->peer, old->call_id);
    nua_bye(old->nh, TAG_END());
}

static void on_new_invite(gw_b2bua *b, nua_handle_t *nh, const sip_t *sip,
                          const struct sockaddr *src)
{
    nua_t *nua = b->sip->nua;
    char why[128];
    int st = check_invite(b, sip, why, sizeof why);
    if (!st && sip->sip_replaces) {
        on_replaces(b, nh, sip);
        return;
    }
    const char *from_user = sip->sip_from ? sip->sip_from->a_url->url_user : NULL;
    const gw_dn_conf *caller = st ? NULL : attribute_caller(b, from_user, src);
    gw_islink_hdr isl;
    const char *isl_v = unknown_header(sip, GW_ISLINK_HEADER);
    const char *ud_v = unknown_header(sip, GW_ISLINK_UD_HEADER);
    const gw_dn_conf *site_trunk = NULL;
    if (!st && model(b))
        st = gw_site_check_invite(model(b), isl_v, ud_v, &isl, &site_trunk, why, sizeof why);
    if (site_trunk)
        caller = site_trunk; /* the sending site, whatever its source port */
    if (!st && !caller) {
        snprintf(why, sizeof why, "caller is not a configured DN and no Trunk DN exists");
        st = 403;
    }
    if (!st && !model(b)) {
        snprintf(why, sizeof why, "call model not running");
        st = 503;
    }
    if (st) {
        LOG_WARN(sip, "INVITE %s refused: %d %s", sip->sip_call_id ? sip->sip_call_id->i_id : "?",
                 st, why);
        respond_error(nua, nh, st, why, true);
        nua_handle_destroy(nh);
        return;
    }
    gw_leg *l = leg_new(b, true, caller->number);
    l->nh = nh;
    l->contact =
        gw_siptls_contact(b->sip->tls, b->sip->host, b->sip->port, b->sip->sips_port, NULL, sip);
    nua_handle_bind(nh, (nua_hmagic_t *)l);
    l->remote_sdp = body_of(sip);
    l->late_offer = l->remote_sdp == NULL;
    l->call_id = sip->sip_call_id ? g_strdup(sip->sip_call_id->i_id) : NULL;
    l->rtag = sip->sip_from && sip->sip_from->a_tag ? g_strdup(sip->sip_from->a_tag) : NULL;
    gw_sip_incoming in = {
        .caller_dn = caller->number,
        .from_trunk = caller->type == GW_DN_TRUNK,
        .from_user = from_user,
        .from_display = sip->sip_from->a_display,
        .called = sip->sip_request->rq_url->url_user,
        .sdp = l->remote_sdp,
        .call_id = sip->sip_call_id ? sip->sip_call_id->i_id : NULL,
        .islink = site_trunk ? &isl : NULL,
        .islink_ud = site_trunk ? ud_v : NULL,
        /* Every gatewayd's INVITE carries its loop header; a phone's does not. */
        .islink_direct = site_trunk && !unknown_header(sip, LOOP_HEADER),
    };
    LOG_INFO(sip, "INVITE %s from %s (%s) to %s", in.call_id ? in.call_id : "?", in.caller_dn,
             in.from_trunk ? "trunk" : "extension", in.called);
    b->cur_max_forwards =
        sip->sip_max_forwards ? (int)sip->sip_max_forwards->mf_count : DEFAULT_MAX_FW;
    int status = 0;
    gw_party *p = gw_sipif_incoming(model(b), l, &in, &status);
    b->cur_max_forwards = -1;
    if (p && !l->ending) {
        l->party = p;
        return;
    }
    if (!l->ending) {
        l->ending = true;
        respond_error(nua, nh, status >= 300 ? status : 500, NULL, false);
    }
}

/* A re-INVITE on a confirmed leg: session refresh, offerless, or a real new offer. */
static void on_reinvite(gw_b2bua *b, gw_leg *l, const sip_t *sip)
{
    nua_t *nua = b->sip->nua;
    if (l->ending) {
        respond_error(nua, l->nh, 481, NULL, true);
        return;
    }
    if (l->reinv_out || l->reinv_in || l->ack_pending) {
        nua_respond(l->nh, 491, "Request Pending", NUTAG_WITH_THIS(nua), TAG_END());
        return;
    }
    char *body = body_of(sip);
    if (!body || (l->remote_sdp && strcmp(body, l->remote_sdp) == 0)) {
        /* Refresh (same body) or a request for our offer: the current session again. */
        const char *ours = l->org.last_out;
        l->answer_in_ack = body == NULL && ours;
        nua_respond(l->nh, 200, "OK", NUTAG_WITH_THIS(nua), CONTACT_TAG(l), BODY_TAGS(ours),
                    TAG_END());
        g_free(body);
        return;
    }
    gw_media_dir dir;
    int rc = gw_sdpx_dir(body, &dir);
    if (rc != AR_E_OK) {
        respond_error(nua, l->nh, 488, ar_strerror(rc), true);
        g_free(body);
        return;
    }
    g_free(l->remote_sdp);
    l->remote_sdp = body;
    l->reinv_in = true;
    l->reinv_in_dir = dir;
    LOG_INFO(sip, "leg %s: re-INVITE (%s)", l->peer,
             dir == GW_DIR_SENDRECV   ? "sendrecv"
             : dir == GW_DIR_INACTIVE ? "inactive"
             : dir == GW_DIR_SENDONLY ? "sendonly"
                                      : "recvonly");
    if (l->party && model(b))
        gw_sipif_reinvite(model(b), l->party, l, body, dir);
    else
        op_sdp_answer(b->sip, l, NULL);
}

/* ---- responses to our INVITEs ------------------------------------------------------------ */

static void on_r_invite(gw_b2bua *b, gw_leg *l, int status, const sip_t *sip)
{
    l->heard = true;
    if (status < 180)
        return;
    char *body = body_of(sip);
    gw_calls *c = model(b);
    if (!l->call_id && sip && sip->sip_call_id)
        l->call_id = g_strdup(sip->sip_call_id->i_id);
    if (status >= 200 && status < 300 && sip && !l->rtag && sip->sip_to && sip->sip_to->a_tag &&
        sip->sip_from && sip->sip_from->a_tag) {
        l->rtag = g_strdup(sip->sip_to->a_tag);
        l->ltag = g_strdup(sip->sip_from->a_tag);
    }
    if (!l->answered) {
        if (status < 200) {
            if (l->party && c)
                gw_sipif_progress(c, l->party, l, body ? 183 : 180, body);
        } else if (status < 300) {
            l->answered = true;
            if (l->noanswer_timer)
                g_source_remove(l->noanswer_timer);
            l->noanswer_timer = 0;
            g_free(l->remote_sdp);
            l->remote_sdp = g_strdup(body);
            if (l->late_offer && body)
                l->ack_pending = true; /* the model's answer goes in the ACK */
            else
                nua_ack(l->nh, TAG_END());
            if (l->ending) {
                /* We had cancelled it (no-answer timer, release) but the 2xx crossed. */
                if (l->ack_pending)
                    nua_ack(l->nh, TAG_END());
                l->ack_pending = false;
                nua_bye(l->nh, TAG_END());
            } else if (l->party && c) {
                gw_sipif_answered(c, l->party, l, body);
            }
        } else if (!l->ending) {
            l->ending = true;
            LOG_INFO(sip, "leg %s: INVITE failed %d", l->peer, status);
            report_failed(l, status);
        }
        g_free(body);
        return;
    }
    if (!l->reinv_out || status < 200) {
        g_free(body);
        return;
    }
    l->reinv_out = false;
    if (status < 300) {
        if (body) {
            g_free(l->remote_sdp);
            l->remote_sdp = g_strdup(body);
        }
        if (l->reinv_out_offerless && body) {
            l->ack_pending = true;
            if (l->party && c)
                gw_sipif_sdp_offer(c, l->party, l, body);
        } else {
            nua_ack(l->nh, TAG_END());
            if (l->party && c)
                gw_sipif_sdp_answer(c, l->party, l, body);
        }
    } else if (status == 491 && !l->ending) {
        /* Glare: try again after 2.1-4 s as RFC 3261 14.1 asks of the dialog's owner. */
        if (!l->queued) {
            l->queued = true;
            l->queued_sdp = g_strdup(l->reinv_sdp);
        }
        l->retry_timer = g_timeout_add(2100 + g_random_int_range(0, 1900), on_retry, l);
    } else if (l->party && c) {
        gw_sipif_sdp_answer(c, l->party, l, NULL);
    }
    g_free(body);
    run_queued(l);
}

/* The leg of this gateway whose dialog has Call-ID call_id (Replaces), or NULL. */
static gw_leg *leg_by_call_id(gw_b2bua *b, const char *call_id)
{
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, b->legs);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        gw_leg *x = key;
        if (x->call_id && strcmp(x->call_id, call_id) == 0 && !x->ending)
            return x;
    }
    return NULL;
}

/* The transfer a REFER asked for, run from the loop once nua has sent its 202. */
static gboolean run_refer(gpointer ud)
{
    gw_leg *l = ud;
    gw_b2bua *b = l->b;
    l->refer_idle = 0;
    char *target = l->refer_target, *cid = l->refer_cid;
    l->refer_target = l->refer_cid = NULL;
    int st;
    gw_leg *other = cid ? leg_by_call_id(b, cid) : NULL;
    if (!l->party || !model(b) || l->ending) {
        st = 481;
    } else if (cid && (!other || other == l || !other->party)) {
        LOG_INFO(sip, "leg %s: REFER Replaces %s: no such dialog here", l->peer, cid);
        st = 481;
    } else {
        l->refer_pending = true;
        st = gw_sipif_refer(model(b), l->party, l, target, other ? other->party : NULL);
    }
    /* Still pending: the transfer left this leg up, or was refused. */
    if (!l->ending && (l->refer_pending || st != 200))
        refer_notify(l, st);
    l->refer_pending = false;
    g_free(target);
    g_free(cid);
    return G_SOURCE_REMOVE;
}

/*
 * In-dialog REFER from a phone (REFER is an application method: we answer it). 202
 * first; the transfer runs right after from the loop, so the phone sees 202, then the
 * NOTIFY with the outcome, then (transfer done) the BYE of this leg.
 */
static void on_refer(gw_b2bua *b, gw_leg *l, const sip_t *sip)
{
    nua_t *nua = b->sip->nua;
    const sip_refer_to_t *rt = sip ? sip->sip_refer_to : NULL;
    if (!rt || !rt->r_url->url_user || !*rt->r_url->url_user) {
        LOG_WARN(sip, "leg %s: REFER without a Refer-To user: refused", l->peer);
        respond_error(nua, l->nh, 400, "Refer-To names no number", true);
        return;
    }
    if (!l->party || !model(b) || l->ending || !l->answered) {
        respond_error(nua, l->nh, 481, "no call to transfer on this dialog", true);
        return;
    }
    if (l->refer_idle) {
        respond_error(nua, l->nh, 491, "a REFER is already in progress", true);
        return;
    }
    nua_respond(l->nh, 202, "Accepted", NUTAG_WITH_THIS(nua), TAG_END());
    l->refer_target = g_strdup(rt->r_url->url_user);
    l->refer_cid = gw_refer_replaces_call_id(rt->r_url->url_headers);
    LOG_INFO(sip, "leg %s: REFER to %s%s%s", l->peer, l->refer_target,
             l->refer_cid ? " replacing " : "", l->refer_cid ? l->refer_cid : "");
    l->refer_idle = g_idle_add(run_refer, l);
}

static void on_state(gw_b2bua *b, gw_leg *l, tagi_t tags[])
{
    int cs = -1;
    tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
    (void)b;
    if (cs != nua_callstate_terminated)
        return;
    if (l->party) {
        /* Ended without a BYE we saw: session timer, transport failure, 408 / 481. */
        if (l->answered)
            report_released(l, 408);
        else if (l->incoming)
            report_released(l, 487);
        else
            report_failed(l, 503);
    }
    LOG_DEBUG(sip, "leg %s: dialog terminated", l->peer);
    leg_free(l);
}

bool gw_b2bua_on_event(gw_b2bua *b, nua_event_t ev, int status, const char *phrase,
                       nua_handle_t *nh, gw_leg *l, const sip_t *sip, tagi_t tags[],
                       const struct sockaddr *src)
{
    switch (ev) {
    case nua_i_invite:
        if (!l)
            on_new_invite(b, nh, sip, src);
        else
            on_reinvite(b, l, sip);
        return true;
    case nua_i_ack:
        if (l && l->ack_wait) {
            l->ack_wait = false;
            if (!l->answer_in_ack)
                run_queued(l);
        }
        if (l && l->answer_in_ack) {
            char *body = body_of(sip);
            l->answer_in_ack = false;
            if (body) {
                g_free(l->remote_sdp);
                l->remote_sdp = g_strdup(body);
            }
            if (l->party && model(b))
                gw_sipif_sdp_answer(model(b), l->party, l, body);
            g_free(body);
            run_queued(l);
        }
        return true;
    case nua_i_cancel:
        if (l) {
            LOG_INFO(sip, "leg %s: CANCEL received", l->peer);
            l->ending = true;
            report_released(l, 487);
        }
        return true;
    case nua_i_bye:
        if (l) {
            LOG_INFO(sip, "leg %s: BYE received", l->peer);
            l->ending = true;
            report_released(l, 0);
        }
        return true;
    case nua_r_invite:
        if (l)
            on_r_invite(b, l, status, sip);
        return true;
    case nua_i_state:
        if (l)
            on_state(b, l, tags);
        return true;
    case nua_i_info:
    case nua_r_info:
        /* MSML with mediad (gw_rec.c); nua answers incoming INFO 200 by itself. */
        if (l && l->party && model(b) && (ev == nua_i_info || status >= 200)) {
            char *body = body_of(sip);
            gw_sipif_info(model(b), l->party, l, ev == nua_i_info ? 0 : status, body);
            g_free(body);
        }
        return l != NULL;
    case nua_r_refer:
    case nua_i_notify:
        if (l)
            on_refer_event(b, l, ev, status, sip);
        return l != NULL;
    case nua_i_refer:
        if (l) {
            on_refer(b, l, sip);
        } else {
            /* A REFER outside any call dialog: nothing of ours to transfer. */
            respond_error(b->sip->nua, nh, 403, "REFER outside a call is not served", true);
            nua_handle_destroy(nh);
        }
        return true;
    case nua_r_notify:
        if (l && nh != l->talk_nh && status >= 300)
            LOG_INFO(sip, "leg %s: NOTIFY (REFER outcome) answered %d", l->peer, status);
        if (l && nh == l->talk_nh && status >= 200) {
            nua_handle_bind(nh, NULL);
            nua_handle_destroy(nh);
            l->talk_nh = NULL;
            if (status >= 300) {
                LOG_WARN(sip, "leg %s: remote answer refused: NOTIFY talk answered %d %s", l->peer,
                         status, phrase ? phrase : "");
                if (l->party && model(b))
                    gw_sipif_remote_answer_failed(model(b), l->party, l, status);
            }
        }
        return l != NULL;
    case nua_r_bye:
    case nua_r_cancel:
    case nua_r_ack:
    case nua_i_update:
    case nua_r_update:
    case nua_i_prack:
    case nua_i_active:
    case nua_i_terminated:
        return l != NULL;
    default:
        return false;
    }
}

gw_b2bua *gw_b2bua_new(gw_sip *sip)
{
    gw_b2bua *b = g_new0(gw_b2bua, 1);
    b->sip = sip;
    b->legs = g_hash_table_new(g_direct_hash, g_direct_equal);
    b->cur_max_forwards = -1;
    snprintf(b->token, sizeof b->token, "%08x%08x", g_random_int(), g_random_int());
    return b;
}

size_t gw_b2bua_nlegs(const gw_b2bua *b)
{
    return b ? g_hash_table_size(b->legs) : 0;
}

void gw_b2bua_shutdown(gw_b2bua *b)
{
    b->down = true;
    GList *legs = g_hash_table_get_keys(b->legs);
    for (GList *i = legs; i; i = i->next)
        op_release(b->sip, i->data, 503, "gatewayd shutting down");
    g_list_free(legs);
}

void gw_b2bua_drop_handles(gw_b2bua *b)
{
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, b->legs);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        gw_leg *l = key;
        if (!l->nh)
            continue;
        nua_handle_bind(l->nh, NULL);
        nua_handle_destroy(l->nh);
        l->nh = NULL;
    }
}

void gw_b2bua_free(gw_b2bua **pb)
{
    gw_b2bua *b = *pb;
    if (!b)
        return;
    /* nua_destroy has already freed the handles of legs nua did not finish. */
    GList *legs = g_hash_table_get_keys(b->legs);
    for (GList *i = legs; i; i = i->next) {
        gw_leg *l = i->data;
        l->nh = NULL;
        leg_free(l);
    }
    g_list_free(legs);
    g_hash_table_destroy(b->legs);
    g_free(b);
    *pb = NULL;
}
