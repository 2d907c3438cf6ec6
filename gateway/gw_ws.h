/* WebSocket (JSON T-Lib on /tlib, status stream on /status) and HTTP on one lws vhost. */
#ifndef GW_WS_H
#define GW_WS_H

#include <glib.h>

#include "gw_config.h"
#include "gw_server.h"

typedef struct gw_ws gw_ws;

/* Listen on l with lws running on `loop` (foreign GLib loop). NULL + *err on failure. */
gw_ws *gw_ws_new(gw_server *srv, GMainLoop *loop, const gw_listen *l, const char *web_root,
                 char **err);
int gw_ws_port(const gw_ws *w);
/* Close every WebSocket client and destroy the lws context. */
void gw_ws_free(gw_ws **w);

#endif
