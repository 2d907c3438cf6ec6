/* HTTP endpoints on the WebSocket port: /healthz, /metrics, and the status credential check. */
#include "gw_http.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <string.h>

#include "ar_log.h"
#include "gw_desk.h"
#include "gw_metrics.h"

#define HTTP_CHUNK 16384

void gw_http_resp_clear(gw_http_resp *r)
{
    g_free(r->body);
    memset(r, 0, sizeof *r);
}

bool gw_http_status_token_ok(gw_server *srv, const char *token)
{
    const char *want = srv->cfg->status_token;
    if (!want || !*want || !token)
        return false;
    return gw_desk_secret_equal(token, want);
}

bool gw_http_token_ok(gw_server *srv, struct lws *wsi)
{
    char buf[512];
    int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 7 && g_ascii_strncasecmp(buf, "Bearer ", 7) == 0)
        return gw_http_status_token_ok(srv, g_strstrip(buf + 7));
    /* lws copies "token=VALUE" into buf and points past the name. */
    const char *v = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf);
    if (v)
        return gw_http_status_token_ok(srv, v);
    return false;
}

static char *health_body(gw_server *srv)
{
    int64_t uptime = (g_get_monotonic_time() - srv->start_mono_us) / G_USEC_PER_SEC;
    size_t ws = 0, desktops = 0, detached = 0;
    for (gw_client *c = srv->clients; c; c = c->next) {
        ws += c->enc == GW_ENC_JSON;
        desktops += c->app && c->app->desktop;
        detached += gw_desk_detached(c);
    }
    /* json-c does the escaping: site comes from the configuration file. */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "version", json_object_new_string(GW_SERVER_VERSION));
    json_object_object_add(o, "site", json_object_new_string(srv->cfg->site));
    json_object_object_add(o, "uptime", json_object_new_int64(uptime));
    json_object_object_add(o, "clients", json_object_new_int64((int64_t)srv->n_clients));
    json_object_object_add(o, "wsClients", json_object_new_int64((int64_t)ws));
    json_object_object_add(o, "desktops", json_object_new_int64((int64_t)desktops));
    json_object_object_add(o, "detachedDesktops", json_object_new_int64((int64_t)detached));
    json_object_object_add(o, "dns", json_object_new_int64((int64_t)gw_dn_table_size(srv->dns)));
    json_object_object_add(o, "eventsPerSecond", json_object_new_double(gw_metrics_events_rate()));
    json_object_object_add(o, "queueDrops", json_object_new_int64((int64_t)srv->clients_dropped));
    char *s = g_strdup_printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

static int respond(struct lws *wsi, gw_http_resp *r, unsigned status, const char *type, char *body,
                   bool bearer_challenge)
{
    gw_http_resp_clear(r);
    r->body = body;
    r->len = strlen(body);
    uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, status, type, r->len, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &p, end))
        return 1;
    if (bearer_challenge && lws_add_http_header_by_token(
                                wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
                                (const unsigned char *)"Bearer realm=\"gatewayd\"", 23, &p, end))
        return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

int gw_http_request(gw_server *srv, struct lws *wsi, const char *uri, gw_http_resp *r)
{
    if (strcmp(uri, "/healthz") == 0)
        return respond(wsi, r, HTTP_STATUS_OK, "application/json", health_body(srv), false);
    if (strcmp(uri, "/metrics") == 0) {
        if (!gw_http_token_ok(srv, wsi)) {
            gw_ctr.http_unauthorized++;
            char peer[64] = "?";
            lws_get_peer_simple(wsi, peer, sizeof peer);
            LOG_WARN(ws, "/metrics from %s refused: %s", peer,
                     srv->cfg->status_token ? "missing or wrong status-token"
                                            : "no status-token configured");
            return respond(wsi, r, HTTP_STATUS_UNAUTHORIZED, "text/plain",
                           g_strdup("401: /metrics needs the status-token (Authorization: "
                                    "Bearer TOKEN or ?token=TOKEN)\n"),
                           true);
        }
        char *text = gw_metrics_text(srv);
        if (!text)
            return 1;
        return respond(wsi, r, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", text,
                       false);
    }
    return respond(wsi, r, HTTP_STATUS_NOT_FOUND, "text/plain", g_strdup("404: not found\n"),
                   false);
}

int gw_http_writeable(struct lws *wsi, gw_http_resp *r)
{
    if (!r->body)
        return -1;
    size_t n = r->len - r->off > HTTP_CHUNK ? HTTP_CHUNK : r->len - r->off;
    bool last = r->off + n == r->len;
    uint8_t buf[LWS_PRE + HTTP_CHUNK];
    memcpy(buf + LWS_PRE, r->body + r->off, n);
    if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    r->off += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    gw_http_resp_clear(r);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}
