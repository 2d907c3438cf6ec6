/* A conference and a recording on one call sharing one mediad conference (seed "Conference"). */
#include "gw_conf_rec.h"

#include "ar_log.h"
#include "gw_conf.h"

bool gw_conf_rec_legs(const gw_call *call)
{
    const struct gw_rec_call *rc = call ? call->rec : NULL;
    return rc && rc->inserted && rc->msc_up[0] && rc->msc_up[1] && rc->msc[0] && rc->msc[1] &&
           !rc->msc[0]->conf && rc->md_lease && rc->party[0] && rc->party[1];
}

bool gw_conf_rec_busy(const gw_call *call)
{
    const struct gw_rec_call *rc = call ? call->rec : NULL;
    if (!rc)
        return false;
    if (rc->state == RS_CONNECTING || rc->state == RS_WAITING)
        return true;
    /* Recording (or stopped with mediad left in the path) without both legs up. */
    return (rc->state == RS_ON || rc->state == RS_PAUSED) && !gw_conf_rec_legs(call) &&
           !(rc->msc[0] && rc->msc[0]->conf);
}

const char *gw_conf_rec_contact(const gw_call *call)
{
    return gw_conf_rec_legs(call) ? gw_pool_lease_uri(call->rec->md_lease) : NULL;
}

bool gw_conf_rec_carries(const gw_call *call, const gw_party *p)
{
    return gw_conf_rec_legs(call) && (call->rec->party[0] == p || call->rec->party[1] == p);
}

void gw_conf_rec_refresh(gw_call *call)
{
    if (!gw_conf_rec_legs(call))
        return;
    struct gw_rec_call *rc = call->rec;
    for (int i = 0; i < 2; i++)
        if (rc->party[i]->leg && rc->msc[i]->sdp)
            gw_call_send_reinvite(call->calls, rc->party[i], rc->msc[i]->sdp, GW_PEND_LOCAL, NULL);
}

int gw_conf_rec_adopt(struct gw_rec_call *rc, gw_party *a, gw_party *b)
{
    gw_call *call = rc->call;
    if (!gw_conf_active(call) || gw_conf_on_rec(call))
        return 0;
    gw_party *fa = gw_conf_leg(call, a->dn), *fb = gw_conf_leg(call, b->dn);
    if (!fa || !fb || !fa->leg || !fb->leg || !fa->answered || !fb->answered)
        return -1;
    rc->party[0] = a;
    rc->party[1] = b;
    rc->msc[0] = fa;
    rc->msc[1] = fb;
    fa->msc = fb->msc = rc;
    rc->msc_up[0] = rc->msc_up[1] = true;
    rc->inserted = true;
    LOG_INFO(rec, "call %016llx: recording the conference through the legs of %s and %s",
             (unsigned long long)call->connid, a->dn, b->dn);
    return 1;
}

void gw_conf_rec_leg_lost(gw_party *f, const char *why)
{
    struct gw_rec_call *rc = f->msc;
    if (!rc)
        return;
    if (rc->state != RS_IDLE && rc->state != RS_FAILED)
        gw_rec_fail(rc, why);
    gw_rec_msc_release_all(rc, why); /* borrowed legs are only given back */
}
