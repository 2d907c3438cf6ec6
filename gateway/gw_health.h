/* SIP OPTIONS health checks of media servers (msml VoIP Service DNs) and the recorder. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include <json-c/json.h>

#include "ar_buf.h"
#include "gw_server.h"
#include "gw_sip.h"

/*
 * One target per msml VoIP Service DN (its contact) and one for [gateway]
 * recording-dest. Every oos-check seconds each target gets an OPTIONS; a ping still
 * unanswered at the next check, or any final answer but 2xx, is a miss. oos-force
 * misses in a row put the target out of service, the first 2xx puts it back. The
 * transitions are logged and, for a DN, published as EventDNOutOfService /
 * EventDNBackInService on it. Targets are read from the configuration at start.
 */
typedef struct gw_health gw_health;

/* NULL when there is nothing to check (no target, or every oos-check is 0). */
gw_health *gw_health_new(gw_server *srv, gw_sip *sip);
void gw_health_free(gw_health **h);

/* The status page's "media" section: an array of {name, kind, address, state, ...}. */
json_object *gw_health_json(const gw_health *h);
/* /metrics lines: gatewayd_media_up, gatewayd_media_rtt_seconds, gatewayd_media_misses_total. */
void gw_health_metrics_text(const gw_health *h, ar_buf *b);

#endif
