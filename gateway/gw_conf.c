/* Conference calls: the T-Lib conference model and every party's media through mediad's mixer. */
#include "gw_conf.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_callev.h"
#include "gw_conf_rec.h"
#include "gw_pool.h"
#include "gw_rec_int.h"
#include "gw_rec_pool.h"
#include "gw_siptls.h"

struct gw_conf {
    gw_call *call;
    gw_pool_lease *md_lease; /* the mediad every leg of this conference goes to */
    GPtrArray *legs;         /* gw_party * (fake parties, ->conf = this), one per party */
    /* The call was recorded first: the recorded pair stays on the recording's mediad legs
       and the other parties join that mediad conference as supervisors (gw_conf_rec.h). */
    bool on_rec;
    /* Supervisor monitoring (gw_monitor.c): the observer's DN, how it is heard, and by whom. */
    char mon_dn[GW_NUM_MAX], coach_dn[GW_NUM_MAX];
    gw_monitor_mode mon_mode;
};

bool gw_conf_on_rec(const gw_call *call)
{
    return call && call->conf && call->conf->on_rec;
}

bool gw_conf_active(const gw_call *call)
{
    return call && call->conf && call->conf->legs->len > 0;
}

/* --- mediad legs --- */

static gw_party *leg_of(gw_conf *cf, const char *dn)
{
    for (guint i = 0; i < cf->legs->len; i++) {
        gw_party *f = g_ptr_array_index(cf->legs, i);
        if (strcmp(f->dn, dn) == 0)
            return f;
    }
    return NULL;
}

gw_party *gw_conf_leg(const gw_call *call, const char *dn)
{
    return call && call->conf ? leg_of(call->conf, dn) : NULL;
}

static void leg_free(gw_conf *cf, gw_party *f, const char *why)
{
    gw_calls *calls = cf->call->calls;
    g_ptr_array_remove(cf->legs, f);
    gw_conf_rec_leg_lost(f, why); /* a leg the recording borrowed: it ends */
    if (f->leg && calls->ops && calls->ops->release)
        calls->ops->release(calls->sip, f->leg, 0, why);
    g_free(f->sdp);
    g_free(f);
}

static void legs_release_all(gw_conf *cf, const char *why)
{
    while (cf->legs->len)
        leg_free(cf, g_ptr_array_index(cf->legs, cf->legs->len - 1), why);
    gw_pool_lease_release(&cf->md_lease);
}

/*
 * The party's SDP as the offer to mediad, its direction made sendrecv: a party that was
 * held last answered recvonly / inactive, and the mixer needs both ways.
 */
static char *offer_of(const char *sdp)
{
    GString *s = g_string_new(NULL);
    const char *p = sdp;
    while (*p) {
        size_t n = strcspn(p, "\n");
        size_t len = n + (p[n] == '\n');
        if (g_str_has_prefix(p, "a=sendonly") || g_str_has_prefix(p, "a=recvonly") ||
            g_str_has_prefix(p, "a=inactive"))
            g_string_append(s, "a=sendrecv\r\n");
        else
            g_string_append_len(s, p, (gssize)len);
        p += len;
    }
    return g_string_free(s, FALSE);
}

/* INVITE sip:msml=conf-<ConnID>@mediad;dn=<DN> with p's SDP; false when it cannot start. */
static bool leg_start(gw_conf *cf, gw_party *p)
{
    gw_call *call = cf->call;
    gw_calls *calls = call->calls;
    gw_party *f = g_new0(gw_party, 1);
    f->call = call;
    f->conf = cf;
    f->role = TL_ROLE_OBSERVER;
    g_strlcpy(f->dn, p->dn, sizeof f->dn);
    g_strlcpy(f->number, p->dn, sizeof f->number);
    g_ptr_array_add(cf->legs, f);
    const char *mc = cf->on_rec ? gw_conf_rec_contact(call) : gw_pool_lease_uri(cf->md_lease);
    char *hp = gw_rec_hostport(mc);
    char conf[17], tp[24];
    tl_connid_format(call->connid, conf);
    /* sips: / ;transport= of the msml contact are kept, as for recording (docs/sip.md). On a
       recorded call the leg joins the recording's conference (msml=<ConnID>) as the
       supervisor, so the recorder gets the seed's mix + supervisor shape. */
    char role[GW_NUM_MAX + 48] = "";
    bool mon = cf->mon_dn[0] && strcmp(cf->mon_dn, p->dn) == 0;
    if (mon && cf->mon_mode == GW_MONITOR_COACH) /* only the agent hears the supervisor */
        snprintf(role, sizeof role, ";role=supervisor;monitor=coach;coach=%s", cf->coach_dn);
    else if (mon) /* listen-only: nobody hears the supervisor */
        snprintf(role, sizeof role, ";role=supervisor;monitor=silent");
    else if (cf->on_rec)
        snprintf(role, sizeof role, ";role=supervisor");
    char *uri = g_strdup_printf("%s:msml=%s%s@%s;dn=%s%s%s", gw_siptls_scheme(mc),
                                cf->on_rec ? "" : "conf-", conf, hp, p->dn, role,
                                gw_siptls_transport(mc, tp, sizeof tp));
    char *offer = offer_of(p->sdp);
    gw_sip_target t = {.uri = uri, .from_user = p->dn, .call_uuid = call->uuid};
    int st = 0;
    f->leg = calls->ops && calls->ops->originate
                 ? calls->ops->originate(calls->sip, f, &t, offer, &st)
                 : NULL;
    LOG_INFO(call, "call %016llx: conference leg INVITE %s", (unsigned long long)call->connid, uri);
    g_free(offer);
    g_free(uri);
    g_free(hp);
    if (f->leg)
        return true;
    LOG_WARN(call, "call %016llx: conference leg of %s could not start (SIP %d)",
             (unsigned long long)call->connid, p->dn, st);
    leg_free(cf, f, "could not start");
    return false;
}

/*
 * Every party with a leg and an SDP gets its mediad leg. refresh: those that have one are
 * re-INVITEd with its SDP again (a consultation from the conference held their phones).
 */
static void media_join(gw_conf *cf, bool refresh)
{
    gw_calls *calls = cf->call->calls;
    if (cf->on_rec && refresh)
        gw_conf_rec_refresh(cf->call);
    for (gw_party *p = cf->call->parties; p; p = p->next) {
        gw_party *f = leg_of(cf, p->dn);
        if (cf->on_rec && gw_conf_rec_carries(cf->call, p))
            continue; /* its media already go through the recording's leg */
        if (p->leg && p->sdp && !f)
            leg_start(cf, p);
        else if (refresh && f && f->answered && f->sdp && p->leg)
            gw_call_send_reinvite(calls, p, f->sdp, GW_PEND_LOCAL, NULL);
    }
}

/* mediad lost a leg: without the mixer a call of two is bridged again, more cannot be. */
static void media_lost(gw_conf *cf, const char *why)
{
    gw_call *call = cf->call;
    LOG_WARN(call, "call %016llx: conference media lost: %s", (unsigned long long)call->connid,
             why);
    legs_release_all(cf, why);
    if (call->ending || cf->on_rec) /* the recorded pair keeps the recording's legs */
        return;
    gw_party *a = call->parties, *b = a ? a->next : NULL;
    if (call->nparties == 2 && a->leg && b->leg)
        gw_call_bridge(a, b);
}

void gw_conf_leg_event(gw_calls *calls, gw_party *f, gw_leg *leg, gw_rec_ev ev, int status,
                       const char *sdp)
{
    gw_conf *cf = f->conf;
    if (f->leg != leg)
        return;
    gw_party *p = gw_call_find_party(cf->call, f->dn);
    switch (ev) {
    case GW_REC_EV_PROGRESS:
        return;
    case GW_REC_EV_ANSWERED:
        f->answered = true;
        if (!sdp) {
            media_lost(cf, "mediad answered without SDP");
            return;
        }
        gw_party_set_sdp(f, sdp);
        /* RFC 3725: the party now sends to and receives from mediad (a party added by
           SingleStepConference gets it in the ACK of its 200 OK). */
        if (p && p->leg && p->late_ack)
            gw_call_deliver_answer(calls, p, sdp);
        else if (p && p->leg)
            gw_call_send_reinvite(calls, p, sdp, GW_PEND_LOCAL, NULL);
        gw_rec_settled(cf->call); /* a recording waiting to borrow this leg */
        return;
    case GW_REC_EV_SDP_ANSWER:
        /* mediad answered an offer its party sent (gw_conf_party_reinvite). */
        gw_party_set_sdp(f, sdp);
        if (f->pend_peer == p && p && p->leg && calls->ops && calls->ops->sdp_answer)
            calls->ops->sdp_answer(calls->sip, p->leg, sdp);
        f->pend_peer = NULL;
        return;
    case GW_REC_EV_SDP_OFFER:
    case GW_REC_EV_REINVITE:
        if (calls->ops && calls->ops->sdp_answer)
            calls->ops->sdp_answer(calls->sip, leg, NULL);
        return;
    case GW_REC_EV_RELEASED:
    case GW_REC_EV_FAILED: {
        f->leg = NULL;
        char why[128];
        snprintf(why, sizeof why, "mediad %s the leg of %s (SIP %d)",
                 ev == GW_REC_EV_FAILED ? "refused" : "ended", f->dn, status);
        media_lost(cf, why);
        return;
    }
    }
}

bool gw_conf_party_reinvite(gw_party *p, const char *sdp)
{
    gw_conf *cf = p->call ? p->call->conf : NULL;
    gw_party *f = cf && sdp ? leg_of(cf, p->dn) : NULL;
    if (!f || !f->leg || !f->answered)
        return false;
    gw_calls *calls = p->call->calls;
    char *offer = offer_of(sdp);
    int rc = calls->ops && calls->ops->reinvite ? calls->ops->reinvite(calls->sip, f->leg, offer)
                                                : AR_E_UNSUPPORTED_OPERATION;
    g_free(offer);
    if (rc != AR_E_OK)
        return false;
    f->pend_peer = p;
    return true;
}

void gw_conf_party_gone(gw_call *call, gw_party *p)
{
    gw_conf *cf = call->conf;
    gw_party *f = cf ? leg_of(cf, p->dn) : NULL;
    if (f)
        leg_free(cf, f, "party left the conference");
    if (p->conf_join && !call->ending) { /* added, never answered: the others learn it */
        for (gw_party *q = call->parties; q; q = q->next)
            gw_callev_party(
                call, q, TL_M_EventPartyDeleted,
                &(gw_evopt){.other_dn = p->number, .other_role = TL_ROLE_DELETED_PARTY});
    }
}

void gw_conf_call_end(gw_call *call)
{
    gw_conf *cf = call->conf;
    if (!cf)
        return;
    legs_release_all(cf, "call ended");
    g_ptr_array_free(cf->legs, TRUE);
    call->conf = NULL;
    g_free(cf);
}

void gw_conf_party_left(gw_call *call)
{
    for (gw_party *q = call->parties; q; q = q->next)
        gw_callev_party(call, q, TL_M_EventPartyDeleted,
                        &(gw_evopt){.other_dn = call->gone, .other_role = call->gone_role});
    /* A monitoring supervisor left with one party has nothing to monitor: it is released
       and the call ends (this may free call). */
    gw_conf *cf = call->conf;
    gw_party *sup = cf && cf->mon_dn[0] ? gw_call_find_party(call, cf->mon_dn) : NULL;
    if (sup && call->nparties == 2) {
        LOG_INFO(call, "call %016llx: monitored party left: supervisor %s released",
                 (unsigned long long)call->connid, sup->dn);
        gw_call_party_leave(call, sup, TL_CS_OK, true);
    }
}

/* --- the T-Lib model --- */

/* The call's conference state, with a mediad picked; NULL with why filled. */
static gw_conf *conf_get(gw_call *call, int *err, char *why, size_t cap)
{
    gw_conf *cf = call->conf;
    if (cf && cf->legs->len > 0)
        return cf;
    /* No leg yet (or none left): the recording's legs decide where the others go. */
    bool on_rec = gw_conf_rec_legs(call);
    gw_pool_lease *lease = NULL;
    if (!on_rec && !(cf && cf->md_lease)) {
        *err = gw_rec_pool_mediad(call, NULL, NULL, 0, &lease, why, cap);
        if (*err != AR_E_OK)
            return NULL;
    }
    if (!cf) {
        cf = g_new0(gw_conf, 1);
        cf->call = call;
        cf->legs = g_ptr_array_new();
        call->conf = cf;
    }
    if (on_rec)
        gw_pool_lease_release(&cf->md_lease);
    else if (lease)
        cf->md_lease = lease;
    cf->on_rec = on_rec;
    return cf;
}

/* The recording cannot share its media now (starting), or the consultation is recorded. */
static bool rec_blocks(const gw_call *main, const gw_call *k, char *why, size_t cap)
{
    if (gw_conf_rec_busy(main)) {
        snprintf(why, cap, "the recording of call %016llx is starting: try again",
                 (unsigned long long)main->connid);
        return true;
    }
    if (k && k->rec && strcmp(gw_rec_state_name(k), "Off") != 0) {
        snprintf(why, cap, "a recorded consultation cannot join a conference (stop its recording)");
        return true;
    }
    return false;
}

bool gw_conf_rec_gone(gw_call *call)
{
    gw_conf *cf = call->conf;
    if (!cf || !cf->on_rec)
        return false;
    cf->on_rec = false;
    if (cf->legs->len == 0 || call->ending)
        return false;
    if (call->rec && call->rec->md_failover) {
        /* Another mediad takes the recorded pair over; the added parties' legs stayed on the
           lost one (docs/recording.md "Conference recording"). */
        LOG_WARN(call, "call %016llx: conference media lost: mediad failover of the recording",
                 (unsigned long long)call->connid);
        legs_release_all(cf, "mediad failover");
        return false;
    }
    /* The recorded pair broke up (a recorded party left) or the recording's mediad went:
       the parties left go on as an ordinary conference, or a plain call of two. */
    LOG_INFO(call, "call %016llx: the recording's legs are gone: conference media rebuilt",
             (unsigned long long)call->connid);
    legs_release_all(cf, "recording legs gone");
    size_t n = 0;
    gw_party *a = NULL, *b = NULL;
    for (gw_party *p = call->parties; p; p = p->next) {
        if (!p->leg || !p->answered)
            continue;
        n++;
        if (!a)
            a = p;
        else if (!b)
            b = p;
    }
    if (n == 2) {
        gw_call_bridge(a, b);
        return true;
    }
    char why[200];
    int err = AR_E_OK;
    if (n < 2 || !conf_get(call, &err, why, sizeof why)) {
        if (n >= 2)
            LOG_WARN(call, "call %016llx: conference media lost: %s",
                     (unsigned long long)call->connid, why);
        return n >= 2;
    }
    media_join(cf, false);
    return true;
}

int gw_conf_complete(gw_call *main, gw_call *k, const char *dn_in, char *why, size_t cap)
{
    char dn[GW_NUM_MAX]; /* dn_in may be a party's own copy, freed below */
    g_strlcpy(dn, dn_in, sizeof dn);
    gw_party *a = gw_call_find_party(main, dn);
    gw_party *a2 = gw_call_find_party(k, dn);
    gw_party *c = a2 ? gw_call_peer(k, a2) : NULL;
    if (!a || !a2 || main == k || !c || k->nparties != 2 || c->state != GW_PS_ESTABLISHED ||
        !c->leg) {
        snprintf(why, cap,
                 "call %016llx is not a consultation of %016llx with a party that answered",
                 (unsigned long long)k->connid, (unsigned long long)main->connid);
        return AR_E_INVALID_CALL_STATE;
    }
    if (main->nparties + 1 > GW_CONF_MAX) {
        snprintf(why, cap, "a conference has at most %d parties", GW_CONF_MAX);
        return AR_E_INVALID_CALL_STATE;
    }
    if (rec_blocks(main, k, why, cap))
        return AR_E_UNSUPPORTED_OPERATION;
    int err = AR_E_OK;
    gw_conf *cf = conf_get(main, &err, why, cap);
    if (!cf)
        return err;
    uint64_t kid = k->connid;
    /* The consultation ends for ThisDN; its other party joins the main call. */
    gw_callev_party(k, a2, TL_M_EventReleased,
                    &(gw_evopt){.has_cs = true, .cs = TL_CS_CONFERENCED, .other = c});
    gw_call_move_party(c, main);
    c->role = TL_ROLE_CONFERENCE_MEMBER;
    if (main->consult == k)
        main->consult = NULL;
    k->main = NULL;
    gw_call_delete(k); /* releases ThisDN's consultation leg */
    main->last_tc = kid;
    if (!main->first_tc)
        main->first_tc = kid;
    for (gw_party *q = main->parties; q; q = q->next)
        q->local_hold = false;
    if (a->state == GW_PS_HELD) { /* the conference takes the held call back */
        a->state = GW_PS_ESTABLISHED;
        gw_callev_party(main, a, TL_M_EventRetrieved, NULL);
        gw_callev_mon_party(main, a, TL_M_EventCallPartyState);
    }
    gw_callev_party(main, c, TL_M_EventPartyChanged,
                    &(gw_evopt){.has_cs = true,
                                .cs = TL_CS_CONFERENCED,
                                .other = a,
                                .prev = kid,
                                .transfer = kid,
                                .third = dn,
                                .third_role = TL_ROLE_CONFERENCED_BY});
    for (gw_party *q = main->parties; q; q = q->next)
        if (q != c)
            gw_callev_party(main, q, TL_M_EventPartyAdded,
                            &(gw_evopt){.has_cs = true,
                                        .cs = TL_CS_CONFERENCED,
                                        .other = c,
                                        .transfer = kid,
                                        .third = dn,
                                        .third_role = TL_ROLE_ADDED_BY});
    LOG_INFO(call, "call %016llx: %s conferenced %s in (%zu parties)",
             (unsigned long long)main->connid, dn, c->dn, main->nparties);
    media_join(cf, true);
    return AR_E_OK;
}

int gw_conf_delete(gw_call *call, gw_party *by, const char *other_dn, char *why, size_t cap)
{
    if (call->nparties < 3) {
        snprintf(why, cap, "call %016llx is not a conference", (unsigned long long)call->connid);
        return AR_E_INVALID_CALL_STATE;
    }
    gw_party *d = other_dn && *other_dn ? gw_call_find_party(call, other_dn) : NULL;
    if (!d) {
        snprintf(why, cap, "DN %s is not a party of call %016llx", other_dn ? other_dn : "",
                 (unsigned long long)call->connid);
        return AR_E_DN_NOT_ON_CALL;
    }
    if (d == by) {
        snprintf(why, cap, "DN %s cannot delete itself: use RequestReleaseCall", by->dn);
        return AR_E_INVALID_CALL_STATE;
    }
    char byn[GW_NUM_MAX], gone[GW_NUM_MAX];
    g_strlcpy(byn, by->dn, sizeof byn);
    g_strlcpy(gone, d->number, sizeof gone);
    gw_calls *calls = call->calls;
    gw_callev_party(
        call, d, TL_M_EventReleased,
        &(gw_evopt){
            .has_cs = true, .cs = TL_CS_OK, .third = byn, .third_role = TL_ROLE_DELETED_BY});
    if (d->leg && calls->ops && calls->ops->release) {
        calls->ops->release(calls->sip, d->leg, 0, "deleted from conference");
        d->leg = NULL;
    }
    gw_call_free_party(call, d); /* its mediad leg goes too (gw_conf_party_gone) */
    for (gw_party *q = call->parties; q; q = q->next)
        gw_callev_party(call, q, TL_M_EventPartyDeleted,
                        &(gw_evopt){.other_dn = gone,
                                    .other_role = TL_ROLE_DELETED_PARTY,
                                    .third = byn,
                                    .third_role = TL_ROLE_DELETED_BY});
    LOG_INFO(call, "call %016llx: %s deleted %s from the conference (%zu parties left)",
             (unsigned long long)call->connid, byn, gone, call->nparties);
    return AR_E_OK;
}

int gw_conf_single_step(gw_call *call, gw_party *by, const char *dest, const tl_kv *ext,
                        int *sip_status, char *why, size_t cap)
{
    *sip_status = 0;
    if (by->state != GW_PS_ESTABLISHED || call->nparties < 2) {
        snprintf(why, cap, "RequestSingleStepConference needs DN %s established in a call", by->dn);
        return AR_E_INVALID_CALL_STATE;
    }
    for (gw_party *q = call->parties; q; q = q->next) {
        if (q->conf_join || q->state != GW_PS_ESTABLISHED) {
            snprintf(why, cap, "call %016llx has a party that is not established (%s)",
                     (unsigned long long)call->connid, q->dn);
            return AR_E_INVALID_CALL_STATE;
        }
    }
    if (call->nparties + 1 > GW_CONF_MAX) {
        snprintf(why, cap, "a conference has at most %d parties", GW_CONF_MAX);
        return AR_E_INVALID_CALL_STATE;
    }
    if (!dest || !*dest || gw_call_dest_type(call->calls, dest) < 0 ||
        gw_call_find_party(call, dest)) {
        snprintf(why, cap, "no route to \"%s\" (or already a party)", dest ? dest : "");
        return AR_E_DEST_UNREACHABLE;
    }
    if (rec_blocks(call, NULL, why, cap))
        return AR_E_UNSUPPORTED_OPERATION;
    int err = AR_E_OK;
    gw_conf *cf = conf_get(call, &err, why, cap);
    if (!cf)
        return err;
    /* Late offer: dest's offer in its 200 OK goes to mediad (gw_conf_party_answered). */
    gw_party *d = gw_call_place(call, NULL, dest, ext, &err, sip_status);
    if (!d) {
        snprintf(why, cap, "%s cannot be reached (SIP %d)", dest, *sip_status);
        return err ? err : AR_E_DEST_UNREACHABLE;
    }
    d->conf_join = true;
    char byn[GW_NUM_MAX];
    g_strlcpy(byn, by->dn, sizeof byn);
    for (gw_party *q = call->parties; q; q = q->next)
        if (q != d)
            gw_callev_party(call, q, TL_M_EventPartyAdded,
                            &(gw_evopt){.has_cs = true,
                                        .cs = TL_CS_CONFERENCED,
                                        .other = d,
                                        .third = byn,
                                        .third_role = TL_ROLE_ADDED_BY});
    LOG_INFO(call, "call %016llx: %s adds %s to the conference", (unsigned long long)call->connid,
             byn, dest);
    media_join(cf, false); /* the parties already there go through mediad while dest rings */
    return AR_E_OK;
}

bool gw_conf_party_answered(gw_party *p, const char *sdp)
{
    gw_call *call = p->call;
    gw_conf *cf = call->conf;
    p->conf_join = false;
    if (!cf || !sdp || !p->leg)
        return false;
    if (p->role != TL_ROLE_OBSERVER) /* a monitoring supervisor stays an observer */
        p->role = TL_ROLE_CONFERENCE_MEMBER;
    p->late_ack = true; /* mediad's answer goes in the ACK */
    if (leg_start(cf, p))
        return true;
    p->late_ack = false;
    return false;
}

bool gw_conf_monitored(const gw_call *call)
{
    return call && call->conf && call->conf->mon_dn[0] &&
           gw_call_find_party(call, call->conf->mon_dn);
}

bool gw_conf_monitoring(const gw_call *call, const char *sup, const char *agent)
{
    const gw_conf *cf = call ? call->conf : NULL;
    return cf && cf->mon_dn[0] && !strcmp(cf->mon_dn, sup) &&
           (!agent || !strcmp(cf->coach_dn, agent)) && gw_call_find_party(call, sup);
}

bool gw_conf_unmonitor(gw_call *call, const char *sup, const char *agent)
{
    if (!gw_conf_monitoring(call, sup, agent))
        return false;
    gw_party *d = gw_call_find_party(call, sup);
    /* Still ringing: the parties learn it from gw_conf_party_left, not twice. */
    d->conf_join = false;
    call->conf->mon_dn[0] = '\0';
    gw_call_party_leave(call, d, TL_CS_OK, true); /* its mediad leg goes (gw_conf_party_gone) */
    return true;
}

int gw_conf_monitor(gw_call *call, gw_party *agent, const char *sup, gw_monitor_mode mode,
                    char *why, size_t cap)
{
    if (agent->state != GW_PS_ESTABLISHED || call->nparties < 2) {
        snprintf(why, cap, "DN %s is not established in call %016llx", agent->dn,
                 (unsigned long long)call->connid);
        return AR_E_INVALID_CALL_STATE;
    }
    for (gw_party *q = call->parties; q; q = q->next) {
        if (q->conf_join || q->state != GW_PS_ESTABLISHED || !strcmp(q->dn, sup)) {
            snprintf(why, cap, "call %016llx has a party that is not established (%s)",
                     (unsigned long long)call->connid, q->dn);
            return AR_E_INVALID_CALL_STATE;
        }
    }
    if (gw_conf_monitored(call) || call->nparties + 1 > GW_CONF_MAX) {
        snprintf(why, cap, "call %016llx is already monitored or full",
                 (unsigned long long)call->connid);
        return AR_E_INVALID_CALL_STATE;
    }
    if (rec_blocks(call, NULL, why, cap))
        return AR_E_INVALID_CALL_STATE;
    int err = AR_E_OK, st = 0;
    gw_conf *cf = conf_get(call, &err, why, cap);
    if (!cf)
        return err;
    g_strlcpy(cf->mon_dn, sup, sizeof cf->mon_dn);
    g_strlcpy(cf->coach_dn, agent->dn, sizeof cf->coach_dn);
    cf->mon_mode = mode;
    char agn[GW_NUM_MAX];
    g_strlcpy(agn, agent->dn, sizeof agn);
    gw_party *d = gw_call_place(call, NULL, sup, NULL, &err, &st);
    if (!d) {
        cf->mon_dn[0] = '\0';
        snprintf(why, cap, "supervisor %s cannot be reached (SIP %d)", sup, st);
        return err ? err : AR_E_DEST_UNREACHABLE;
    }
    d->conf_join = true;
    d->role = TL_ROLE_OBSERVER;
    for (gw_party *q = call->parties; q; q = q->next)
        if (q != d)
            gw_callev_party(call, q, TL_M_EventPartyAdded,
                            &(gw_evopt){.other = d, .third = agn, .third_role = TL_ROLE_ADDED_BY});
    LOG_INFO(call, "call %016llx: supervisor %s monitors %s (%s)", (unsigned long long)call->connid,
             sup, agn, mode == GW_MONITOR_COACH ? "coach" : "silent");
    media_join(cf, false); /* the parties go through mediad while the supervisor's phone rings */
    return AR_E_OK;
}
