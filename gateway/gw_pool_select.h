/* Geo-location of a recording: the seed's order of preference per call direction and type. */
#ifndef GW_POOL_SELECT_H
#define GW_POOL_SELECT_H

#include <stdbool.h>

#include "gw_config.h"

/*
 * What the call model knows about a call, as DN numbers (NULL = none). The choice itself
 * (gw_pool_geo_select) only reads the configuration, so unit tests need no call.
 */
typedef struct {
    const char *started_by; /* "full-time" | "selective" | "dynamic" */
    const char *side;       /* "source" | "destination" (record=) */
    bool outbound;          /* the call leaves through a trunk (CallType Outbound) */
    const char *route_geo;  /* geo-location key of the RequestRouteCall Extensions */
    const char *rp;         /* routing point the call was routed from */
    const char *in_trunk;   /* inbound trunk (the calling party) */
    const char *out_trunk;  /* outbound trunk (the called party) */
    const char *agent;      /* extension / ACD position party */
    const char *recorded;   /* DN where recording is enabled (full-time) */
    const char *this_dn;    /* dynamic: the requester's DN (record=source) */
    const char *other_dn;   /* dynamic: the other party (record=destination) */
} gw_geo_facts;

/*
 * The call's geo-location, or NULL when no DN involved has one. *from (may be NULL) gets a
 * short text for the log: "RouteCall extension", "routing point 7001", ...
 *   full-time inbound:  RouteCall extension, routing point, inbound trunk, recorded DN
 *   full-time outbound: RouteCall extension, routing point, agent DN, outbound trunk
 *   selective: record=source the inbound trunk, record=destination the agent DN
 *              (a RouteCall geo-location extension first)
 *   dynamic:   record=source thisDN, record=destination otherDN
 * Returns a string owned by cfg (or f->route_geo); from is a static or cfg string.
 */
const char *gw_pool_geo_select(const gw_config *cfg, const gw_geo_facts *f, char *from,
                               unsigned long cap);

struct gw_call;
/*
 * Fill f from a call (parties, routing point, trunks, RequestRouteCall Extensions).
 * record_dn / req_dn as in gw_rec_req; route_geo may be NULL.
 */
void gw_pool_geo_facts(const struct gw_call *call, const char *started_by, const char *side,
                       const char *record_dn, const char *req_dn, const char *route_geo,
                       gw_geo_facts *f);

#endif
