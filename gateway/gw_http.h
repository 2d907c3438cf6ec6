/* HTTP endpoints on the WebSocket port: /healthz, /metrics, and the status credential check. */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_server.h"

struct lws;

/* A response being written: headers sent at once, then the body in chunks. */
typedef struct {
    char *body;
    size_t len, off;
} gw_http_resp;

/*
 * Answer an HTTP request for uri (the mounts send /healthz and /metrics here).
 * Returns 0, or nonzero to close the connection.
 */
int gw_http_request(gw_server *srv, struct lws *wsi, const char *uri, gw_http_resp *r);
/* HTTP_WRITEABLE: send the next chunk; -1 once done and the connection should go. */
int gw_http_writeable(struct lws *wsi, gw_http_resp *r);
void gw_http_resp_clear(gw_http_resp *r);

/* The status-token from an "Authorization: Bearer" header or a ?token= argument. */
bool gw_http_token_ok(gw_server *srv, struct lws *wsi);
/* Check a token against status-token (false when none is configured). */
bool gw_http_status_token_ok(gw_server *srv, const char *token);

#endif
