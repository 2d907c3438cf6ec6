/* Routing points: EventRouteRequest, RequestRouteCall, default route after router-timeout. */
#include "gw_route.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_call_int.h"
#include "gw_callev.h"
#include "gw_rec.h"
#include "gw_callreq.h"
#include "gw_tlib.h"

enum { ROUTE_TYPE_DEFAULT = 1 }; /* RouteType values: Unknown 0, Default 1 */

static gw_party *queued_party(gw_call *call)
{
    for (gw_party *p = call->parties; p; p = p->next)
        if (p->routing && p->state == GW_PS_QUEUED)
            return p;
    return NULL;
}

static gw_party *origin_party(gw_call *call, gw_party *rp)
{
    return rp->offer_from ? rp->offer_from : gw_call_peer(call, rp);
}

/* router-timeout passed without a RequestRouteCall: take the default route. */
static bool route_timeout(void *arg)
{
    gw_call *call = arg;
    gw_calls *calls = call->calls;
    call->route_timer = 0;
    gw_party *rp = queued_party(call);
    if (!rp)
        return false;
    const gw_dn_conf *d = gw_config_find_dn(call->calls->srv->cfg, rp->dn);
    const char *def = d ? d->default_dn : NULL;
    LOG_INFO(call, "call %016llx: no route from a router on %s in time, %s",
             (unsigned long long)call->connid, rp->dn, def ? "default route" : "no default route");
    if (!def) {
        gw_call_fail(call, TL_CS_GENERAL_ERROR, 480);
        gw_server_flush(calls->srv);
        return false;
    }
    gw_route_to(call, rp, def, NULL, true);
    gw_server_flush(calls->srv);
    return false;
}

void gw_route_start(gw_call *call, gw_party *rp)
{
    gw_party *from = origin_party(call, rp);
    gw_evopt o = {.queue = rp->dn, .other = from};
    gw_callev_party(call, rp, TL_M_EventQueued, &o);
    gw_callev_party(call, rp, TL_M_EventRouteRequest, &o);
    const gw_dn_conf *d = gw_config_find_dn(call->calls->srv->cfg, rp->dn);
    int secs = d ? d->router_timeout : 10;
    gw_route_cancel(call);
    call->route_timer =
        call->calls->timers.add(call->calls->timers.ud, (unsigned)secs * 1000, route_timeout, call);
}

void gw_route_cancel(gw_call *call)
{
    if (call->route_timer) {
        call->calls->timers.cancel(call->calls->timers.ud, call->route_timer);
        call->route_timer = 0;
    }
}

int gw_route_to(gw_call *call, gw_party *rp, const char *target, const tl_kv *ext, bool by_default)
{
    gw_route_cancel(call);
    gw_party *from = origin_party(call, rp);
    gw_evopt o = {.queue = rp->dn,
                  .other = from,
                  .third = target,
                  .third_role = TL_ROLE_DESTINATION,
                  .ext = ext,
                  .has_route_type = by_default,
                  .route_type = ROUTE_TYPE_DEFAULT};
    gw_callev_party(call, rp, TL_M_EventRouteUsed, &o);
    o.has_route_type = false;
    o.ext = NULL;
    gw_callev_party(call, rp, TL_M_EventDiverted, &o);
    gw_party *offerer = rp->offer_from;
    char queue[GW_NUM_MAX];
    g_strlcpy(queue, rp->dn, sizeof queue);
    gw_call_free_party(call, rp);
    int err, st;
    gw_party *p = gw_call_place(call, offerer, target, ext, &err, &st);
    if (p)
        g_strlcpy(p->queue, queue, sizeof p->queue);
    if (p && ext)
        gw_rec_route_ext(call, p->dn, ext); /* selective recording (record=) */
    if (!p) {
        LOG_INFO(call, "call %016llx: route to %s failed (%d)", (unsigned long long)call->connid,
                 target, st);
        gw_call_fail(call, gw_call_state_of_sip(st), st);
        return err;
    }
    return AR_E_OK;
}

void gw_route_request(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_call *call = NULL;
    gw_party *rp = NULL;
    if (!gw_callreq_lookup(c, m, ref, &call, &rp))
        return;
    if (!rp->routing || rp->state != GW_PS_QUEUED) {
        gw_tlib_send_error(c, AR_E_INVALID_CALL_STATE, ref,
                           "call %016llx is not waiting for a route on %s",
                           (unsigned long long)call->connid, rp->dn);
        return;
    }
    const char *target = tl_msg_get_str(m, TL_A_OtherDN);
    if (!target || !*target) {
        gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref, "OtherDN (route destination) is empty");
        return;
    }
    if (gw_call_dest_type(call->calls, target) < 0) {
        /* The call stays queued: the router may try another destination. */
        gw_tlib_send_error(c, AR_E_DEST_UNREACHABLE, ref, "no route to \"%s\"", target);
        return;
    }
    /* gw_callreq_handle() puts the ReferenceID on the RP's events. */
    int rc = gw_route_to(call, rp, target, tl_msg_get_kv(m, TL_A_Extensions), false);
    if (rc != AR_E_OK)
        LOG_INFO(call, "route to %s: %s", target, ar_strerror(rc));
}
