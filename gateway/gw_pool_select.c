/* Geo-location of a recording: the seed's order of preference per call direction and type. */
#include "gw_pool_select.h"

#include <stdio.h>
#include <string.h>

#include "gw_call_int.h"
#include "tl_msg.h"

static const char *dn_geo(const gw_config *cfg, const char *dn)
{
    const gw_dn_conf *d = dn && *dn ? gw_config_find_dn(cfg, dn) : NULL;
    return d && d->geo_location && *d->geo_location ? d->geo_location : NULL;
}

/* One candidate in preference order: the first with a geo-location wins. */
typedef struct {
    const char *what; /* "routing point" */
    const char *dn;   /* NULL for the RouteCall extension */
    const char *geo;  /* set for the RouteCall extension */
} cand;

static const char *first(const gw_config *cfg, const cand *c, int n, char *from, unsigned long cap)
{
    for (int i = 0; i < n; i++) {
        const char *g = c[i].dn ? dn_geo(cfg, c[i].dn) : c[i].geo;
        if (!g || !*g)
            continue;
        if (from && cap)
            snprintf(from, cap, "%s%s%s", c[i].what, c[i].dn ? " " : "", c[i].dn ? c[i].dn : "");
        return g;
    }
    if (from && cap)
        snprintf(from, cap, "none");
    return NULL;
}

const char *gw_pool_geo_select(const gw_config *cfg, const gw_geo_facts *f, char *from,
                               unsigned long cap)
{
    bool dest = f->side && strcmp(f->side, "destination") == 0;
    const char *by = f->started_by ? f->started_by : "full-time";
    cand c[4];
    int n = 0;
    if (strcmp(by, "dynamic") == 0) {
        /* Seed: the recorded DN decides; record=source thisDN, destination otherDN. */
        c[n++] = (cand){dest ? "otherDN" : "thisDN", dest ? f->other_dn : f->this_dn, NULL};
        if (!dest && !f->this_dn)
            c[n - 1].dn = f->recorded;
        return first(cfg, c, n, from, cap);
    }
    c[n++] = (cand){"RouteCall extension", NULL, f->route_geo};
    if (strcmp(by, "selective") == 0) {
        /* Seed: record=source the inbound trunk, record=destination the agent (Extension). */
        c[n++] =
            dest ? (cand){"agent DN", f->agent, NULL} : (cand){"inbound trunk", f->in_trunk, NULL};
        return first(cfg, c, n, from, cap);
    }
    c[n++] = (cand){"routing point", f->rp, NULL};
    if (f->outbound) {
        c[n++] = (cand){"agent DN", f->agent, NULL};
        c[n++] = (cand){"outbound trunk", f->out_trunk, NULL};
    } else {
        c[n++] = (cand){"inbound trunk", f->in_trunk, NULL};
        c[n++] = (cand){"recorded DN", f->recorded, NULL};
    }
    return first(cfg, c, n, from, cap);
}

void gw_pool_geo_facts(const gw_call *call, const char *started_by, const char *side,
                       const char *record_dn, const char *req_dn, const char *route_geo,
                       gw_geo_facts *f)
{
    memset(f, 0, sizeof *f);
    f->started_by = started_by;
    f->side = side;
    f->outbound = call->type == TL_CALLTYPE_OUTBOUND;
    f->route_geo = route_geo;
    f->recorded = record_dn;
    f->this_dn = req_dn;
    const gw_party *me = req_dn ? gw_call_find_party(call, req_dn) : NULL;
    const gw_party *peer = me ? gw_call_peer(call, me) : NULL;
    f->other_dn = peer ? peer->dn : NULL;
    for (const gw_party *p = call->parties; p; p = p->next) {
        if (!f->route_geo && p->ring_ext)
            f->route_geo = tl_kv_get_str(p->ring_ext, "geo-location");
        if (!f->rp && p->queue[0])
            f->rp = p->queue;
        if (!f->rp && p->routing)
            f->rp = p->dn;
        if (p->trunk && p->role == TL_ROLE_ORIGINATION && !f->in_trunk)
            f->in_trunk = p->dn;
        else if (p->trunk && p->role != TL_ROLE_ORIGINATION && !f->out_trunk)
            f->out_trunk = p->dn;
        else if (!p->trunk && !p->routing && !f->agent)
            f->agent = p->dn;
    }
    /* An outbound call's agent is the caller; an inbound call's the called party. */
    if (f->outbound || !f->in_trunk)
        return;
    for (const gw_party *p = call->parties; p; p = p->next)
        if (!p->trunk && !p->routing && p->role != TL_ROLE_ORIGINATION) {
            f->agent = p->dn;
            break;
        }
}
