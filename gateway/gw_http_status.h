/* The status page's read-only WebSocket stream (/status): a snapshot, then deltas each second. */
#ifndef GW_HTTP_STATUS_H
#define GW_HTTP_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_server.h"

struct lws;
typedef struct gw_status gw_status;
typedef struct gw_status_sub gw_status_sub;

gw_status *gw_status_new(gw_server *srv);
/* Every stream must already be freed (the transport frees them). */
void gw_status_free(gw_status **st);

/* A new /status connection; authed when the upgrade carried the status-token. */
gw_status_sub *gw_status_sub_new(gw_status *st, struct lws *wsi, bool authed);
void gw_status_sub_free(gw_status_sub **s);
/* A message from the page (only Authenticate is understood). -1: close the stream. */
int gw_status_receive(gw_status_sub *s, const char *p, size_t n);
/* SERVER_WRITEABLE: write what is queued. -1: close. */
int gw_status_writeable(gw_status_sub *s);

#endif
