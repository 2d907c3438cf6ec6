/* Routing points: EventRouteRequest, RequestRouteCall, default route after router-timeout. */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include "gw_client.h"
#include "tl_msg.h"

/*
 * RequestRouteCall from a router on a routing point (ThisDN = RP, ConnID, OtherDN =
 * destination, Extensions passed through to EventRouteUsed and the destination's
 * EventRinging). Answers EventError itself when the request is invalid.
 */
void gw_route_request(gw_client *c, const tl_msg *m, int64_t ref);

#endif
