/* Delay of T-Lib events from their TimeStamp to the WebSocket write: a /metrics histogram. */
#ifndef GW_WSDELAY_H
#define GW_WSDELAY_H

#include <stddef.h>
#include <stdint.h>

#include "ar_buf.h"

/*
 * Note one JSON message about to be written to a desktop. Events end with
 * `"TimeStamp":N}` (stamped last by gw_server_stamp, just before the fan-out); other
 * messages carry none and are not counted. Why: the desktop benchmark's latency also
 * holds the client's scheduling; this is gatewayd's own share, from the same clock.
 */
void gw_wsdelay_note(const uint8_t *json, size_t len);
/* gatewayd_ws_event_write_delay_seconds (Prometheus histogram). */
void gw_wsdelay_metrics_text(ar_buf *b);

#endif
