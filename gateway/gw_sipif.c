/* The model side of the SIP seam: the gw_sipif_* entry points the SIP layer calls. */
#include "gw_sipif.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_call_int.h"
#include "gw_callev.h"
#include "gw_conf.h"
#include "gw_monitor.h"
#include "gw_rec.h"
#include "gw_site.h"

/* Drop a reference from the SIP layer that no longer maps to a live party. */
static bool party_live(gw_calls *calls, gw_party *p, gw_leg *leg)
{
    if (!p || !p->call || p->leg != leg) {
        LOG_WARN(call, "SIP event for a leg the model no longer tracks");
        return false;
    }
    (void)calls;
    return true;
}

static gw_party *incoming_impl(gw_calls *calls, gw_leg *leg, const gw_sip_incoming *in,
                               int *sip_status)
{
    *sip_status = 500;
    if (!in->caller_dn || !in->called || !*in->called) {
        *sip_status = 400;
        return NULL;
    }
    int dest_type = gw_call_dest_type(calls, in->called);
    if (dest_type < 0) {
        *sip_status = 404;
        return NULL;
    }
    if (!in->from_trunk && strcmp(in->called, in->caller_dn) == 0) {
        *sip_status = 482; /* a DN calling itself would loop through the gateway */
        return NULL;
    }
    tl_call_type type = in->from_trunk                      ? TL_CALLTYPE_INBOUND
                        : dest_type == TL_CALLTYPE_OUTBOUND ? TL_CALLTYPE_OUTBOUND
                                                            : TL_CALLTYPE_INTERNAL;
    gw_call *call = gw_call_new(calls, type);
    const char *caller_num = in->from_trunk && in->from_user ? in->from_user : in->caller_dn;
    g_strlcpy(call->ani, caller_num, sizeof call->ani);
    g_strlcpy(call->dnis, in->called, sizeof call->dnis);
    if (in->islink)
        gw_site_incoming(call, in->islink, in->islink_ud, in->islink_direct);
    gw_party *a =
        gw_call_add_party(call, in->caller_dn, caller_num, TL_ROLE_ORIGINATION, GW_PS_DIALING);
    a->leg = leg;
    a->incoming = true;
    gw_party_set_sdp(a, in->sdp);
    LOG_INFO(call, "call %016llx: %s -> %s (SIP Call-ID %s)", (unsigned long long)call->connid,
             caller_num, in->called, in->call_id ? in->call_id : "-");
    gw_callev_party(call, a, TL_M_EventDialing, &(gw_evopt){.other_dn = in->called});
    int err, st;
    gw_party *b = gw_call_place(call, in->sdp ? a : NULL, in->called, NULL, &err, &st);
    if (!b) {
        a->leg = NULL; /* the SIP layer answers and frees it */
        gw_callev_party(
            call, a, TL_M_EventReleased,
            &(gw_evopt){.has_cs = true, .cs = gw_call_state_of_sip(st), .other_dn = in->called});
        gw_call_delete(call);
        *sip_status = st ? st : 500;
        return NULL;
    }
    if (in->islink)
        gw_site_incoming_placed(call);
    *sip_status = 0;
    return a;
}

static void progress_impl(gw_calls *calls, gw_party *p, gw_leg *leg, int status, const char *sdp)
{
    if (!party_live(calls, p, leg))
        return;
    gw_call *call = p->call;
    (void)status;
    if (p->first_leg)
        return; /* the requester's own phone rings: no event until it answers */
    if (p->state == GW_PS_RINGING) {
        gw_call_party_alerting(call, p);
        if (p->trunk) {
            gw_party *x = p->offer_from ? p->offer_from : gw_call_peer(call, p);
            if (x)
                gw_callev_party(call, x, TL_M_EventNetworkReached, &(gw_evopt){.other = p});
        }
    }
    gw_party *x = p->offer_from;
    if (x && x->leg && x->incoming && !x->answered && calls->ops && calls->ops->ringing)
        calls->ops->ringing(calls->sip, x->leg, sdp);
}

/* The requester's own phone answered (MakeCall, consultation): now dial the destination. */
static void first_leg_answered(gw_call *call, gw_party *a, const char *offer)
{
    gw_party_set_sdp(a, offer);
    a->late_ack = offer != NULL;
    a->first_leg = false;
    char *dest = call->dest;
    call->dest = NULL;
    int err = AR_E_OK, st = 0;
    gw_party *b = dest ? gw_call_place(call, offer ? a : NULL, dest, NULL, &err, &st) : NULL;
    g_free(dest);
    if (!b)
        gw_call_fail(call, gw_call_state_of_sip(st ? st : 404), st ? st : 404);
}

static void answered_impl(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp)
{
    if (!party_live(calls, p, leg))
        return;
    gw_call *call = p->call;
    p->answered = true;
    if (p->first_leg) {
        first_leg_answered(call, p, sdp);
        return;
    }
    if (p->state == GW_PS_RINGING)
        gw_call_party_alerting(call, p);
    gw_party_set_sdp(p, sdp);
    if (p->conf_join && gw_conf_party_answered(p, sdp)) {
        /* Added to a conference: its offer went to mediad (gw_conf.c). */
    } else if (p->offer_from) {
        gw_call_deliver_answer(calls, p->offer_from, sdp);
    } else if (p->need_bridge) {
        /* Our INVITE carried the SDP of a party that has left: connect the new peer. */
        p->need_bridge = false;
        gw_party *q = gw_call_media_peer(call, p);
        if (q)
            gw_call_bridge(q, p);
    } else {
        /* Late offer: sdp is the new party's offer, answered by its media peer. */
        p->late_ack = true;
        gw_party *q = gw_call_media_peer(call, p);
        if (q)
            gw_call_send_reinvite(calls, q, sdp, GW_PEND_FWD, p);
        else if (sdp && q == NULL) {
            gw_party *x = gw_call_peer(call, p);
            if (x && x->incoming && !x->answered) {
                /* The caller sent no offer either: our 200 OK carries this one. */
                x->answered = true;
                x->pend = GW_PEND_FWD;
                x->pend_peer = p;
                if (calls->ops->answer)
                    calls->ops->answer(calls->sip, x->leg, sdp);
            }
        }
    }
    if (!call->answered_us)
        call->answered_us = gw_now_us();
    p->state = GW_PS_ESTABLISHED;
    int64_t ref = p->pending_ref;
    p->pending_ref = 0;
    gw_callev_party(call, p, TL_M_EventEstablished, &(gw_evopt){.ref = ref});
    gw_callev_mon_party(call, p, TL_M_EventCallPartyState);
    for (gw_party *q = call->parties; q; q = q->next) {
        if (q != p && q->state == GW_PS_DIALING) {
            q->state = GW_PS_ESTABLISHED;
            gw_callev_party(call, q, TL_M_EventEstablished, &(gw_evopt){.other = p});
            gw_callev_mon_party(call, q, TL_M_EventCallPartyState);
        }
    }
    gw_rec_established(call);
    gw_monitor_established(call); /* a monitored agent DN: its supervisor joins */
    gw_site_settled(call);
}

static void sdp_answer_impl(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp)
{
    if (!party_live(calls, p, leg))
        return;
    gw_party_set_sdp(p, sdp);
    gw_pend pend = p->pend;
    gw_party *q = p->pend_peer;
    p->pend = GW_PEND_NONE;
    p->pend_peer = NULL;
    if (pend == GW_PEND_FWD && q && q->leg && calls->ops && calls->ops->sdp_answer) {
        q->late_ack = false;
        calls->ops->sdp_answer(calls->sip, q->leg, sdp);
    }
    gw_rec_settled(p->call); /* first: gw_site_settled may REFER the call away */
    gw_site_settled(p->call);
}

static void sdp_offer_impl(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp)
{
    if (!party_live(calls, p, leg))
        return;
    gw_party_set_sdp(p, sdp);
    gw_party *q = p->pend_peer;
    p->pend = GW_PEND_NONE;
    p->pend_peer = NULL;
    p->late_ack = true;
    if (q && q->leg) {
        gw_call_send_reinvite(calls, q, sdp, GW_PEND_FWD, p);
    } else if (calls->ops && calls->ops->sdp_answer) {
        p->late_ack = false;
        calls->ops->sdp_answer(calls->sip, leg, NULL);
    }
    gw_rec_settled(p->call);
}

static void reinvite_impl(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp,
                          gw_media_dir dir)
{
    if (!party_live(calls, p, leg))
        return;
    gw_call *call = p->call;
    gw_party_set_sdp(p, sdp);
    bool holding = dir == GW_DIR_SENDONLY || dir == GW_DIR_INACTIVE;
    if (holding && p->state == GW_PS_ESTABLISHED) {
        p->state = GW_PS_HELD;
        gw_callev_party(call, p, TL_M_EventHeld, NULL);
        gw_callev_mon_party(call, p, TL_M_EventCallPartyState);
    } else if (!holding && p->state == GW_PS_HELD && !p->local_hold) {
        p->state = GW_PS_ESTABLISHED;
        gw_callev_party(call, p, TL_M_EventRetrieved, NULL);
        gw_callev_mon_party(call, p, TL_M_EventCallPartyState);
    }
    if (gw_rec_party_reinvite(p, sdp) || gw_conf_party_reinvite(p, sdp))
        return; /* the media goes through mediad: the offer goes there */
    gw_party *q = gw_call_media_peer(call, p);
    /* A call held by request keeps its media held: answer locally. */
    bool held_by_request = false;
    for (gw_party *r = call->parties; r; r = r->next)
        held_by_request = held_by_request || r->local_hold;
    if (q && !held_by_request && q->pend == GW_PEND_NONE) {
        gw_call_send_reinvite(calls, q, sdp, GW_PEND_FWD, p);
        if (q->pend == GW_PEND_FWD)
            return;
    }
    if (calls->ops && calls->ops->sdp_answer)
        calls->ops->sdp_answer(calls->sip, leg, NULL);
}

static void released_impl(gw_calls *calls, gw_party *p, gw_leg *leg, int cause)
{
    if (!party_live(calls, p, leg))
        return;
    (void)cause;
    if (gw_site_released(p->call, p))
        return;
    p->leg = NULL;
    gw_call_party_leave(p->call, p, TL_CS_OK, false);
}

static void failed_impl(gw_calls *calls, gw_party *p, gw_leg *leg, int sip_status)
{
    if (!party_live(calls, p, leg))
        return;
    gw_call *call = p->call;
    p->leg = NULL;
    int cs = gw_call_state_of_sip(sip_status);
    LOG_INFO(call, "call %016llx: leg to %s failed with %d", (unsigned long long)call->connid,
             p->number, sip_status);
    if (p->first_leg) {
        gw_call_fail(call, cs, sip_status);
        return;
    }
    if (p->alerted)
        gw_callev_party(call, p, TL_M_EventReleased, &(gw_evopt){.has_cs = true, .cs = cs});
    gw_party *x = p->offer_from ? p->offer_from : gw_call_peer(call, p);
    if (cs == TL_CS_BUSY && x)
        gw_callev_party(call, x, TL_M_EventDestinationBusy, &(gw_evopt){.other = p});
    gw_call_free_party(call, p);
    if (call->nparties >= 2)
        return;
    /* The caller's INVITE gets the callee's status; a confirmed caller leg gets a BYE. */
    gw_call_fail(call, cs, sip_status);
}

static void dn_service_impl(gw_calls *calls, const char *dn, bool in_service)
{
    LOG_INFO(call, "DN %s %s", dn, in_service ? "back in service" : "out of service");
    gw_callev_dn(calls, dn, in_service ? TL_M_EventDNBackInService : TL_M_EventDNOutOfService,
                 NULL);
}

/*
 * The entry points: SIP events come from the loop, not from a T-Lib input batch, so the
 * events they cause are written out (gw_server_flush) before returning.
 */
void gw_sipif_progress(gw_calls *calls, gw_party *p, gw_leg *leg, int status, const char *sdp)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_PROGRESS, status, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_PROGRESS, status, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    progress_impl(calls, p, leg, status, sdp);
    gw_server_flush(calls->srv);
}

void gw_sipif_answered(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_ANSWERED, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_ANSWERED, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    answered_impl(calls, p, leg, sdp);
    gw_server_flush(calls->srv);
}

void gw_sipif_sdp_answer(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_SDP_ANSWER, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_SDP_ANSWER, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    sdp_answer_impl(calls, p, leg, sdp);
    gw_server_flush(calls->srv);
}

void gw_sipif_sdp_offer(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_SDP_OFFER, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_SDP_OFFER, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    sdp_offer_impl(calls, p, leg, sdp);
    gw_server_flush(calls->srv);
}

void gw_sipif_reinvite(gw_calls *calls, gw_party *p, gw_leg *leg, const char *sdp, gw_media_dir dir)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_REINVITE, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_REINVITE, 0, sdp);
        gw_server_flush(calls->srv);
        return;
    }
    reinvite_impl(calls, p, leg, sdp, dir);
    gw_server_flush(calls->srv);
}

void gw_sipif_released(gw_calls *calls, gw_party *p, gw_leg *leg, int cause)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_RELEASED, cause, NULL);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_RELEASED, cause, NULL);
        gw_server_flush(calls->srv);
        return;
    }
    released_impl(calls, p, leg, cause);
    gw_server_flush(calls->srv);
}

void gw_sipif_failed(gw_calls *calls, gw_party *p, gw_leg *leg, int sip_status)
{
    if (p && p->conf) {
        gw_conf_leg_event(calls, p, leg, GW_REC_EV_FAILED, sip_status, NULL);
        gw_server_flush(calls->srv);
        return;
    }
    if (p && p->msc) {
        gw_rec_msc_event(calls, p, leg, GW_REC_EV_FAILED, sip_status, NULL);
        gw_server_flush(calls->srv);
        return;
    }
    failed_impl(calls, p, leg, sip_status);
    gw_server_flush(calls->srv);
}

void gw_sipif_dn_service(gw_calls *calls, const char *dn, bool in_service)
{
    dn_service_impl(calls, dn, in_service);
    gw_server_flush(calls->srv);
}

gw_party *gw_sipif_incoming(gw_calls *calls, gw_leg *leg, const gw_sip_incoming *in,
                            int *sip_status)
{
    gw_party *p = incoming_impl(calls, leg, in, sip_status);
    gw_server_flush(calls->srv);
    return p;
}
