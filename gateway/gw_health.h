/* SIP OPTIONS health checks of media servers (msml VoIP Service DNs) and the recorder. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include <json-c/json.h>

#include "ar_buf.h"
#include "gw_server.h"
#include "gw_sip.h"

/*
 * The pool monitor: one target per pool member whose pool has monitor = options (the
 * implicit pools: each msml VoIP Service DN's contact with its oos-check / oos-force, and
 * [gateway] recording-dest with recorder-oos-*). Every interval each target gets an
 * OPTIONS; a ping still unanswered at the next check, or any final answer but 2xx, is a
 * miss. `misses` in a row put the member out of service (gw_pool_pick skips it), the first
 * 2xx puts it back. The transitions are logged and, for a member with a DN, published as
 * EventDNOutOfService / EventDNBackInService on it. Health lives in the member
 * (srv->pools, gw_pool.h), so a call's own failure report (gw_pool_member_failed) and the
 * monitor agree.
 */
typedef struct gw_health gw_health;

/* NULL without a SIP stack or pools. */
gw_health *gw_health_new(gw_server *srv, gw_sip *sip);
/* After gw_pools_reload (SIGHUP): targets rebuilt from the pools' members. */
void gw_health_reload(gw_health *h);
void gw_health_free(gw_health **h);

/* The status page's "media" section: an array of {name, kind, address, state, ...}. */
json_object *gw_health_json(const gw_health *h);
/* /metrics lines: gatewayd_media_up, gatewayd_media_rtt_seconds, gatewayd_media_misses_total. */
void gw_health_metrics_text(const gw_health *h, ar_buf *b);

#endif
