/* T-Lib call requests (make, answer, release, hold, transfer, user data, monitoring...). */
#include "gw_callreq.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_agent.h"
#include "gw_call_int.h"
#include "gw_callev.h"
#include "gw_conf.h"
#include "gw_monitor.h"
#include "gw_route.h"
#include "gw_site.h"
#include "gw_tlib.h"

gw_dn *gw_callreq_dn(gw_client *c, const tl_msg *m, int64_t ref)
{
    const char *num = tl_msg_get_str(m, TL_A_ThisDN);
    if (!num) {
        gw_tlib_send_error(c, AR_E_MISSING_ATTRIBUTE, ref, "ThisDN missing");
        return NULL;
    }
    if (!gw_dn_set_contains(&c->app->dns, num)) {
        gw_tlib_send_error(c, AR_E_DN_NOT_ALLOWED, ref, "DN %s not allowed for application %s", num,
                           c->app_name);
        return NULL;
    }
    gw_dn *dn = gw_dn_find(c->srv->dns, num);
    if (!dn)
        gw_tlib_send_error(c, AR_E_UNKNOWN_DN, ref, "DN %s not configured", num);
    return dn;
}

static gw_call *call_by_attr(gw_client *c, const tl_msg *m, uint16_t attr, int64_t ref)
{
    uint64_t connid = 0;
    const tl_attr_info *ai = tl_attr_info_get(attr);
    if (!tl_msg_get_connid(m, attr, &connid)) {
        gw_tlib_send_error(c, AR_E_MISSING_ATTRIBUTE, ref, "%s missing", ai->name);
        return NULL;
    }
    gw_call *call = gw_calls_find(c->srv->calls, connid);
    if (!call)
        gw_tlib_send_error(c, AR_E_UNKNOWN_CONNID, ref, "no call with %s %016llx", ai->name,
                           (unsigned long long)connid);
    return call;
}

static gw_party *party_of(gw_client *c, gw_call *call, const char *dn, int64_t ref)
{
    gw_party *p = gw_call_find_party(call, dn);
    if (!p)
        gw_tlib_send_error(c, AR_E_DN_NOT_ON_CALL, ref, "DN %s is not a party on call %016llx", dn,
                           (unsigned long long)call->connid);
    return p;
}

bool gw_callreq_lookup(gw_client *c, const tl_msg *m, int64_t ref, gw_call **call, gw_party **party)
{
    gw_dn *dn = gw_callreq_dn(c, m, ref);
    if (!dn)
        return false;
    *call = call_by_attr(c, m, TL_A_ConnID, ref);
    if (!*call)
        return false;
    *party = party_of(c, *call, dn->number, ref);
    return *party != NULL;
}

static void state_error(gw_client *c, int64_t ref, const gw_call *call, const gw_party *p,
                        const char *what)
{
    gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref, "%s: DN %s is %s on call %016llx", what,
                       p->dn, gw_party_state_name(p->state), (unsigned long long)call->connid);
}

static void send_ack(gw_client *c, int64_t ref, const gw_call *call)
{
    tl_msg *r = tl_msg_new(TL_M_EventACK);
    if (!r) {
        gw_client_drop(c, "out of memory building EventACK");
        return;
    }
    tl_msg_set_int(r, TL_A_ReferenceID, ref);
    if (call)
        tl_msg_set_connid(r, TL_A_ConnID, call->connid);
    gw_client_send(c, r);
    tl_msg_free(&r);
}

static void party_state(gw_call *call, gw_party *p, gw_party_state st, uint16_t ev)
{
    p->state = st;
    gw_callev_party(call, p, ev, NULL);
    gw_callev_mon_party(call, p, TL_M_EventCallPartyState);
}

/* --- make, answer, release --- */

static void on_make_call(gw_client *c, const tl_msg *m, int64_t ref, gw_dn *dn)
{
    gw_calls *calls = c->srv->calls;
    const char *dest = tl_msg_get_str(m, TL_A_OtherDN);
    if (dn->conf->type != GW_DN_EXTENSION && dn->conf->type != GW_DN_ACD_POSITION) {
        gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref,
                           "RequestMakeCall needs an Extension or ACD Position, %s is a %s",
                           dn->number, gw_dn_type_name(dn->conf->type));
        return;
    }
    int type = dest && *dest ? gw_call_dest_type(calls, dest) : -1;
    if (type < 0 || strcmp(dest, dn->number) == 0) {
        gw_tlib_send_error(c, AR_E_DEST_UNREACHABLE, ref, "no route to \"%s\"", dest ? dest : "");
        return;
    }
    gw_call *call = gw_call_new(calls, (tl_call_type)type);
    g_strlcpy(call->ani, dn->number, sizeof call->ani);
    g_strlcpy(call->dnis, dest, sizeof call->dnis);
    call->dest = g_strdup(dest);
    const tl_kv *ud = tl_msg_get_kv(m, TL_A_UserData);
    if (ud)
        tl_kv_update(call->ud, ud);
    gw_party *a = gw_call_add_party(call, dn->number, NULL, TL_ROLE_ORIGINATION, GW_PS_DIALING);
    int st = gw_call_start_first_leg(call, a);
    if (st) {
        gw_call_delete(call);
        gw_tlib_send_error(c, AR_E_DEST_UNREACHABLE, ref,
                           "the phone of DN %s cannot be reached (SIP %d)", dn->number, st);
        return;
    }
    gw_callev_party(call, a, TL_M_EventDialing, &(gw_evopt){.other_dn = dest});
}

static void on_answer_call(gw_client *c, int64_t ref, gw_call *call, gw_party *p)
{
    gw_calls *calls = c->srv->calls;
    if (p->state != GW_PS_RINGING || !p->leg || p->incoming) {
        state_error(c, ref, call, p, "RequestAnswerCall needs a ringing call");
        return;
    }
    if (!calls->ops || !calls->ops->remote_answer ||
        calls->ops->remote_answer(calls->sip, p->leg) != 0) {
        gw_tlib_send_error(c, AR_E_UNSUPPORTED_OPERATION, ref,
                           "the phone of DN %s cannot be answered remotely: answer it on the phone",
                           p->dn);
        return;
    }
    p->pending_ref = ref;
    p->pending_client = c->id;
}

/* --- hold, retrieve --- */

static bool hold_supported(gw_client *c, int64_t ref)
{
    gw_calls *calls = c->srv->calls;
    if (calls->ops && calls->ops->hold)
        return true;
    gw_tlib_send_error(c, AR_E_UNSUPPORTED_OPERATION, ref, "the SIP layer cannot hold calls");
    return false;
}

static void hold(gw_call *call, gw_party *p)
{
    p->local_hold = true;
    party_state(call, p, GW_PS_HELD, TL_M_EventHeld);
    gw_call_media_hold(call, p, true);
}

static void retrieve(gw_call *call, gw_party *p)
{
    p->local_hold = false;
    party_state(call, p, GW_PS_ESTABLISHED, TL_M_EventRetrieved);
    gw_call_media_hold(call, p, false);
}

static void on_hold(gw_client *c, int64_t ref, gw_call *call, gw_party *p)
{
    if (p->state != GW_PS_ESTABLISHED) {
        state_error(c, ref, call, p, "RequestHoldCall needs an established call");
        return;
    }
    if (hold_supported(c, ref))
        hold(call, p);
}

static void on_retrieve(gw_client *c, int64_t ref, gw_call *call, gw_party *p)
{
    if (p->state != GW_PS_HELD) {
        gw_tlib_send_error(c, AR_E_CALL_NOT_HELD, ref, "call %016llx is not held by DN %s",
                           (unsigned long long)call->connid, p->dn);
        return;
    }
    if (hold_supported(c, ref))
        retrieve(call, p);
}

/* --- consultation, transfer, conference --- */

static void on_initiate(gw_client *c, const tl_msg *m, int64_t ref, gw_call *call, gw_party *p)
{
    gw_calls *calls = c->srv->calls;
    const char *dest = tl_msg_get_str(m, TL_A_OtherDN);
    if (p->state != GW_PS_ESTABLISHED) {
        state_error(c, ref, call, p, "a consultation needs an established call");
        return;
    }
    if (call->consult || call->main) {
        gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref,
                           "call %016llx already is or has a consultation call",
                           (unsigned long long)call->connid);
        return;
    }
    if (!hold_supported(c, ref))
        return;
    if (!dest || !*dest || gw_call_dest_type(calls, dest) < 0) {
        gw_tlib_send_error(c, AR_E_DEST_UNREACHABLE, ref, "no route to \"%s\"", dest ? dest : "");
        return;
    }
    gw_call *k = gw_call_new(calls, TL_CALLTYPE_CONSULT);
    g_strlcpy(k->ani, p->number, sizeof k->ani);
    g_strlcpy(k->dnis, dest, sizeof k->dnis);
    k->prev_connid = call->connid;
    k->dest = g_strdup(dest);
    tl_kv_update(k->ud, call->ud);
    gw_party *a = gw_call_add_party(k, p->dn, p->number, TL_ROLE_ORIGINATION, GW_PS_DIALING);
    /* Dual dialog: the consultation reaches the requester's phone as a call of its own. */
    int st = gw_call_start_first_leg(k, a);
    if (st) {
        gw_call_delete(k);
        gw_tlib_send_error(c, AR_E_DEST_UNREACHABLE, ref,
                           "the phone of DN %s cannot take a consultation call (SIP %d)", p->dn,
                           st);
        return;
    }
    k->main = call;
    call->consult = k;
    k->kind =
        m->type == TL_M_RequestInitiateConference ? GW_CONSULT_CONFERENCE : GW_CONSULT_TRANSFER;
    hold(call, p);
    gw_callev_party(k, a, TL_M_EventDialing, &(gw_evopt){.other_dn = dest});
}

/*
 * The two calls of a consultation named by ConnID and TransferConnID (either order):
 * *held = the call ThisDN holds, *active = its consultation. False after an EventError.
 */
static bool consult_pair(gw_client *c, const tl_msg *m, int64_t ref, gw_dn *dn, gw_call **held,
                         gw_call **active, bool need_held_first)
{
    gw_call *x = call_by_attr(c, m, TL_A_ConnID, ref);
    if (!x)
        return false;
    gw_call *y = call_by_attr(c, m, TL_A_TransferConnID, ref);
    if (!y)
        return false;
    gw_party *px = party_of(c, x, dn->number, ref);
    if (!px)
        return false;
    gw_party *py = party_of(c, y, dn->number, ref);
    if (!py)
        return false;
    if (need_held_first && px->state != GW_PS_HELD) {
        gw_tlib_send_error(c, AR_E_CALL_NOT_HELD, ref, "call %016llx (ConnID) is not held by %s",
                           (unsigned long long)x->connid, dn->number);
        return false;
    }
    if (x == y) {
        gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref,
                           "ConnID and TransferConnID name the same call %016llx",
                           (unsigned long long)x->connid);
        return false;
    }
    if (!need_held_first && px->state != GW_PS_HELD && py->state == GW_PS_HELD) {
        gw_call *t = x;
        x = y;
        y = t;
        px = py;
    }
    if (px->state != GW_PS_HELD) {
        gw_tlib_send_error(c, AR_E_CALL_NOT_HELD, ref, "neither call is held by %s", dn->number);
        return false;
    }
    *held = x;
    *active = y;
    return true;
}

int gw_callreq_complete_transfer(gw_calls *calls, gw_call *main, gw_call *k, const char *dn_in)
{
    char dn[GW_NUM_MAX]; /* dn_in may be the leaving party's own copy */
    g_strlcpy(dn, dn_in, sizeof dn);
    gw_party *a = gw_call_find_party(main, dn);
    gw_party *a2 = gw_call_find_party(k, dn);
    gw_party *dest = a2 ? gw_call_peer(k, a2) : NULL;
    gw_party *b = a ? gw_call_peer(main, a) : NULL;
    if (!a || !a2 || main == k || !dest || !b || (!dest->leg && !dest->routing))
        return AR_E_INVALID_CALL_STATE;
    uint64_t kid = k->connid;
    gw_evopt rel = {.has_cs = true, .cs = TL_CS_TRANSFERRED};
    gw_callev_party(main, a, TL_M_EventReleased, &rel);
    gw_callev_party(k, a2, TL_M_EventReleased, &rel);
    main->last_tc = kid;
    if (!main->first_tc)
        main->first_tc = kid;
    /* Dest joins the held call; the transferring DN leaves both. */
    gw_call_move_party(dest, main);
    if (a->leg && calls->ops && calls->ops->release) {
        calls->ops->release(calls->sip, a->leg, 0, "transferred");
        a->leg = NULL;
    }
    gw_call_free_party(main, a);
    if (main->consult == k)
        main->consult = NULL;
    k->main = NULL;
    gw_call_delete(k); /* releases a2's leg */
    for (gw_party *q = main->parties; q; q = q->next)
        q->local_hold = false;
    gw_evopt chg = {.has_cs = true,
                    .cs = TL_CS_TRANSFERRED,
                    .prev = kid,
                    .transfer = kid,
                    .third = dn,
                    .third_role = TL_ROLE_TRANSFERRED_BY};
    chg.other = dest;
    gw_callev_party(main, b, TL_M_EventPartyChanged, &chg);
    chg.other = b;
    gw_callev_party(main, dest, TL_M_EventPartyChanged, &chg);
    if (dest->answered)
        gw_call_bridge(b, dest);
    else
        dest->need_bridge = true;
    gw_site_transfer_completed(main, b, dest); /* another site's party: REFER (gw_site.c) */
    return AR_E_OK;
}

static void on_complete_transfer(gw_client *c, const tl_msg *m, int64_t ref, gw_dn *dn)
{
    gw_call *main = NULL, *k = NULL;
    if (!consult_pair(c, m, ref, dn, &main, &k, true))
        return;
    if (k->main != main ||
        gw_callreq_complete_transfer(c->srv->calls, main, k, dn->number) != AR_E_OK)
        gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref,
                           "call %016llx is not a consultation of %016llx with a dialled party",
                           (unsigned long long)k->connid, (unsigned long long)main->connid);
}

static void on_reconnect(gw_client *c, const tl_msg *m, int64_t ref, gw_dn *dn)
{
    gw_call *held = NULL, *k = NULL;
    if (!consult_pair(c, m, ref, dn, &held, &k, false))
        return;
    gw_party *a2 = gw_call_find_party(k, dn->number);
    gw_party *a = gw_call_find_party(held, dn->number);
    /* Leave the consultation (its other party is released with it), then retrieve. */
    gw_call_party_leave(k, a2, TL_CS_OK, true);
    if (gw_calls_find(c->srv->calls, held->connid) == held && a->state == GW_PS_HELD)
        retrieve(held, a);
}

static void on_alternate(gw_client *c, const tl_msg *m, int64_t ref, gw_dn *dn)
{
    gw_call *held = NULL, *active = NULL;
    if (!consult_pair(c, m, ref, dn, &held, &active, false))
        return;
    gw_party *pa = gw_call_find_party(active, dn->number);
    if (pa->state != GW_PS_ESTABLISHED) {
        state_error(c, ref, active, pa, "RequestAlternateCall needs the other call established");
        return;
    }
    hold(active, pa);
    retrieve(held, gw_call_find_party(held, dn->number));
}

int gw_callreq_single_step(gw_calls *calls, gw_call *call, gw_party *p, const char *dest,
                           const tl_kv *ext, int *sip_status)
{
    *sip_status = 0;
    gw_party *b = gw_call_peer(call, p);
    if ((p->state != GW_PS_ESTABLISHED && p->state != GW_PS_HELD) || !b ||
        b->state != GW_PS_ESTABLISHED || call->nparties != 2)
        return AR_E_INVALID_CALL_STATE;
    if (!dest || !*dest || gw_call_dest_type(calls, dest) < 0 || strcmp(dest, b->number) == 0)
        return AR_E_DEST_UNREACHABLE;
    if (gw_site_refer_transfer(call, p, b, dest))
        return AR_E_OK; /* another site's DN with oosp-transfer-enabled: by REFER (gw_site.c) */
    int err;
    /* Late offer: the new party's SDP is bridged to the remaining party on answer. */
    gw_party *d = gw_call_place(call, NULL, dest, ext, &err, sip_status);
    if (!d)
        return err ? err : AR_E_DEST_UNREACHABLE;
    char who[GW_NUM_MAX];
    g_strlcpy(who, p->number, sizeof who);
    gw_evopt rel = {
        .has_cs = true, .cs = TL_CS_TRANSFERRED, .third = dest, .third_role = TL_ROLE_DESTINATION};
    gw_callev_party(call, p, TL_M_EventReleased, &rel);
    if (p->leg && calls->ops && calls->ops->release) {
        calls->ops->release(calls->sip, p->leg, 0, "transferred");
        p->leg = NULL;
    }
    gw_call_free_party(call, p);
    b->local_hold = false;
    gw_callev_party(call, b, TL_M_EventPartyChanged,
                    &(gw_evopt){.has_cs = true,
                                .cs = TL_CS_TRANSFERRED,
                                .other = d,
                                .third = who,
                                .third_role = TL_ROLE_TRANSFERRED_BY});
    return AR_E_OK;
}

static void on_single_step(gw_client *c, const tl_msg *m, int64_t ref, gw_call *call, gw_party *p)
{
    const char *dest = tl_msg_get_str(m, TL_A_OtherDN);
    int st = 0;
    int err = gw_callreq_single_step(c->srv->calls, call, p, dest,
                                     tl_msg_get_kv(m, TL_A_Extensions), &st);
    if (err == AR_E_INVALID_CALL_STATE)
        state_error(c, ref, call, p, "RequestSingleStepTransfer needs an established 2-party call");
    else if (err && !st)
        gw_tlib_send_error(c, AR_E_DEST_UNREACHABLE, ref, "no route to \"%s\"", dest ? dest : "");
    else if (err)
        gw_tlib_send_error(c, err, ref, "%s cannot be reached (SIP %d)", dest, st);
}

static void on_single_step_conference(gw_client *c, const tl_msg *m, int64_t ref, gw_call *call,
                                      gw_party *p)
{
    char why[200];
    int st = 0;
    int err = gw_conf_single_step(call, p, tl_msg_get_str(m, TL_A_OtherDN),
                                  tl_msg_get_kv(m, TL_A_Extensions), &st, why, sizeof why);
    if (err != AR_E_OK)
        gw_tlib_send_error(c, err, ref, "%s", why);
}

/* Either order of ConnID / TransferConnID; the conference keeps the held call's ConnID. */
static void on_complete_conference(gw_client *c, const tl_msg *m, int64_t ref, gw_dn *dn)
{
    gw_call *main = NULL, *k = NULL;
    if (!consult_pair(c, m, ref, dn, &main, &k, false))
        return;
    char why[200];
    int err = gw_conf_complete(main, k, dn->number, why, sizeof why);
    if (err != AR_E_OK)
        gw_tlib_send_error(c, err, ref, "%s", why);
}

static void on_delete_from_conference(gw_client *c, const tl_msg *m, int64_t ref, gw_call *call,
                                      gw_party *p)
{
    char why[200];
    int err = gw_conf_delete(call, p, tl_msg_get_str(m, TL_A_OtherDN), why, sizeof why);
    if (err != AR_E_OK)
        gw_tlib_send_error(c, err, ref, "%s", why);
}

/* --- user data --- */

/* Rough encoded size of a KV list: keeps one call's user data bounded. */
static size_t kv_size(const tl_kv *kv)
{
    size_t n = 2;
    for (size_t i = 0; kv && i < tl_kv_count(kv); i++) {
        const tl_kv_pair *p = tl_kv_at(kv, i);
        n += 5 + strlen(p->key);
        if (p->v.type == TL_T_KV)
            n += kv_size(p->v.u.kv);
        else if (p->v.type == TL_T_INT || p->v.type == TL_T_CONNID)
            n += 8;
        else
            n += p->v.u.s.len;
    }
    return n;
}

static void on_user_data(gw_client *c, const tl_msg *m, int64_t ref, gw_call *call, gw_party *p)
{
    const tl_kv *in = tl_msg_get_kv(m, TL_A_UserData);
    tl_kv *next = tl_kv_copy(call->ud);
    int rc = next ? 0 : -1;
    switch (m->type) {
    case TL_M_RequestAttachUserData: /* appends: T-Lib lists may repeat keys */
        for (size_t i = 0; rc == 0 && i < tl_kv_count(in); i++) {
            const tl_kv_pair *kp = tl_kv_at(in, i);
            tl_value v;
            rc = tl_value_copy(&v, &kp->v);
            if (rc == 0)
                rc = tl_kv_add_value(next, kp->key, strlen(kp->key), &v);
        }
        break;
    case TL_M_RequestUpdateUserData: /* replaces the keys given, adds the others */
        rc = rc == 0 ? tl_kv_update(next, in) : rc;
        break;
    case TL_M_RequestDeleteUserData: /* the keys given, or everything */
        if (!in || tl_kv_count(in) == 0) {
            tl_kv_free(&next);
            next = tl_kv_new();
            rc = next ? 0 : -1;
        }
        for (size_t i = 0; rc == 0 && in && i < tl_kv_count(in); i++)
            tl_kv_remove(next, tl_kv_at(in, i)->key);
        break;
    default: { /* RequestDeletePair: pairs matching key and value */
        tl_kv *kept = tl_kv_new();
        rc = kept ? 0 : -1;
        for (size_t i = 0; rc == 0 && i < tl_kv_count(next); i++) {
            const tl_kv_pair *kp = tl_kv_at(next, i);
            bool drop = false;
            for (size_t j = 0; !drop && j < tl_kv_count(in); j++) {
                const tl_kv_pair *dp = tl_kv_at(in, j);
                drop = strcmp(dp->key, kp->key) == 0 && tl_value_equal(&dp->v, &kp->v);
            }
            if (drop)
                continue;
            tl_value v;
            rc = tl_value_copy(&v, &kp->v);
            if (rc == 0)
                rc = tl_kv_add_value(kept, kp->key, strlen(kp->key), &v);
        }
        tl_kv_free(&next);
        next = kept;
        break;
    }
    }
    if (rc != 0 || !next) {
        tl_kv_free(&next);
        gw_tlib_send_error(c, AR_E_NOMEM, ref, "out of memory updating user data");
        return;
    }
    if (kv_size(next) > GW_USER_DATA_MAX) {
        tl_kv_free(&next);
        gw_tlib_send_error(c, AR_E_USER_DATA_LIMIT, ref,
                           "user data of call %016llx would exceed %d bytes",
                           (unsigned long long)call->connid, GW_USER_DATA_MAX);
        return;
    }
    tl_kv_free(&call->ud);
    call->ud = next;
    for (gw_party *q = call->parties; q; q = q->next)
        gw_callev_party(call, q, TL_M_EventAttachedDataChanged,
                        &(gw_evopt){.third = p->dn, .third_role = p->role});
    gw_callev_mon_data(call);
}

/* --- query, monitoring --- */

static void on_query_call(gw_client *c, int64_t ref, gw_call *call, gw_party *p)
{
    tl_kv *parties = tl_kv_new();
    bool ok = parties != NULL;
    for (gw_party *q = call->parties; ok && q; q = q->next) {
        tl_kv *one = tl_kv_new();
        ok = one && tl_kv_add_str(one, "number", q->number) == 0 &&
             tl_kv_add_int(one, "role", q->role) == 0 &&
             tl_kv_add_str(one, "state", gw_party_state_name(q->state)) == 0;
        if (ok)
            ok = tl_kv_add_kv(parties, q->dn, one) == 0;
        else
            tl_kv_free(&one);
    }
    tl_kv *ext = ok ? tl_kv_new() : NULL;
    ok = ext && tl_kv_add_kv(ext, "Parties", parties) == 0;
    if (ok)
        parties = NULL;
    tl_msg *r =
        ok ? gw_callev_build(call, p, TL_M_EventPartyInfo, &(gw_evopt){.ext = ext, .ref = ref})
           : NULL;
    tl_kv_free(&ext);
    tl_kv_free(&parties);
    if (!r) {
        gw_client_drop(c, "out of memory building EventPartyInfo");
        return;
    }
    gw_client_send(c, r);
    tl_msg_free(&r);
}

static void on_monitoring(gw_client *c, const tl_msg *m, int64_t ref)
{
    if (tl_msg_get_str(m, TL_A_ThisDN) && !gw_callreq_dn(c, m, ref))
        return;
    gw_call *call = call_by_attr(c, m, TL_A_ConnID, ref);
    if (!call)
        return;
    if (m->type == TL_M_RequestStartCallMonitoring) {
        if (!gw_callev_mon_add(call, c->id)) {
            gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref, "already monitoring %016llx",
                               (unsigned long long)call->connid);
            return;
        }
        send_ack(c, ref, call);
        gw_callev_mon_created(call, c->id);
        return;
    }
    if (!gw_callev_mon_remove(call, c->id)) {
        gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref, "not monitoring %016llx",
                           (unsigned long long)call->connid);
        return;
    }
    send_ack(c, ref, call);
}

/* --- dispatch --- */

static bool needs_call(uint16_t type)
{
    switch (type) {
    case TL_M_RequestAnswerCall:
    case TL_M_RequestReleaseCall:
    case TL_M_RequestClearCall:
    case TL_M_RequestHoldCall:
    case TL_M_RequestRetrieveCall:
    case TL_M_RequestInitiateTransfer:
    case TL_M_RequestInitiateConference:
    case TL_M_RequestSingleStepTransfer:
    case TL_M_RequestMuteTransfer:
    case TL_M_RequestDeleteFromConference:
    case TL_M_RequestSingleStepConference:
    case TL_M_RequestAttachUserData:
    case TL_M_RequestUpdateUserData:
    case TL_M_RequestDeleteUserData:
    case TL_M_RequestDeletePair:
    case TL_M_RequestQueryCall:
        return true;
    default:
        return false;
    }
}

/* Requests that name ThisDN + ConnID and act on ThisDN's party. */
static void on_call_request(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_call *call = NULL;
    gw_party *p = NULL;
    if (!gw_callreq_lookup(c, m, ref, &call, &p))
        return;
    switch (m->type) {
    case TL_M_RequestAnswerCall:
        on_answer_call(c, ref, call, p);
        break;
    case TL_M_RequestReleaseCall:
        gw_call_party_leave(call, p, TL_CS_OK, true);
        break;
    case TL_M_RequestClearCall:
        gw_call_fail(call, TL_CS_OK, 0);
        break;
    case TL_M_RequestHoldCall:
        on_hold(c, ref, call, p);
        break;
    case TL_M_RequestRetrieveCall:
        on_retrieve(c, ref, call, p);
        break;
    case TL_M_RequestInitiateTransfer:
    case TL_M_RequestInitiateConference:
        on_initiate(c, m, ref, call, p);
        break;
    case TL_M_RequestSingleStepTransfer:
    case TL_M_RequestMuteTransfer:
        on_single_step(c, m, ref, call, p);
        break;
    case TL_M_RequestDeleteFromConference:
        on_delete_from_conference(c, m, ref, call, p);
        break;
    case TL_M_RequestSingleStepConference:
        on_single_step_conference(c, m, ref, call, p);
        break;
    case TL_M_RequestQueryCall:
        on_query_call(c, ref, call, p);
        break;
    default:
        on_user_data(c, m, ref, call, p);
        break;
    }
}

bool gw_callreq_handle(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_calls *calls = c->srv->calls;
    if (!calls)
        return false;
    bool handled = true;
    gw_dn *dn = NULL;
    calls->req_ref = ref;
    calls->req_dn = tl_msg_get_str(m, TL_A_ThisDN);
    if (needs_call(m->type)) {
        on_call_request(c, m, ref);
        goto done;
    }
    switch (m->type) {
    case TL_M_RequestMakeCall:
        if ((dn = gw_callreq_dn(c, m, ref)))
            on_make_call(c, m, ref, dn);
        break;
    case TL_M_RequestCompleteTransfer:
    case TL_M_RequestCompleteConference:
    case TL_M_RequestReconnectCall:
    case TL_M_RequestAlternateCall:
        if (!(dn = gw_callreq_dn(c, m, ref)))
            break;
        if (m->type == TL_M_RequestCompleteConference)
            on_complete_conference(c, m, ref, dn);
        else if (m->type == TL_M_RequestCompleteTransfer)
            on_complete_transfer(c, m, ref, dn);
        else if (m->type == TL_M_RequestReconnectCall)
            on_reconnect(c, m, ref, dn);
        else
            on_alternate(c, m, ref, dn);
        break;
    case TL_M_RequestRouteCall:
        gw_route_request(c, m, ref);
        break;
    case TL_M_RequestAgentLogin:
    case TL_M_RequestAgentLogout:
    case TL_M_RequestAgentReady:
    case TL_M_RequestAgentNotReady:
        gw_agent_request(c, m, ref);
        break;
    case TL_M_RequestStartCallMonitoring:
    case TL_M_RequestStopCallMonitoring:
        on_monitoring(c, m, ref);
        break;
    case TL_M_RequestMonitorNextCall:
    case TL_M_RequestCancelMonitoring:
        gw_monitor_request(c, m, ref); /* supervisor monitoring (gw_monitor.c) */
        break;
    default:
        handled = false;
        break;
    }
done:
    calls->req_ref = -1;
    calls->req_dn = NULL;
    return handled;
}
