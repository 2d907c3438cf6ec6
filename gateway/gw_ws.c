/* WebSocket (JSON T-Lib on /tlib) and HTTP (/healthz, web-root files) on one lws vhost. */
#include "gw_ws.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_tcp.h"
#include "gw_tlib.h"

#define WS_WRITE_BUDGET (1024 * 1024) /* bytes written per WRITEABLE callback at most */

_Static_assert(GW_WS_PAD >= LWS_PRE, "GW_WS_PAD must leave room for the lws header");

struct gw_ws {
    gw_server *srv;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    void *loops[1];
    char *web_root;
    struct lws_http_mount mount_files, mount_health;
    int port;
};

/* Per connection: an HTTP request (/healthz) or a WebSocket session. */
typedef struct {
    struct lws *wsi;
    gw_client *client; /* WebSocket sessions only */
    ar_buf rx;         /* fragments of the message being received */
    bool rx_overflow;
    char body[512]; /* /healthz response */
    size_t body_len;
} ws_sess;

static void ws_flush(gw_client *c);
static void ws_close(gw_client *c);

static const gw_client_ops ws_ops = {
    .name = "ws",
    .flush = ws_flush,
    .close = ws_close,
};

static void ws_flush(gw_client *c)
{
    ws_sess *s = c->tp;
    lws_callback_on_writable(s->wsi);
}

static void ws_close(gw_client *c)
{
    /*
     * The WRITEABLE callback sees `closing`, sends what is left and closes. A peer that
     * stopped reading may never become writable: the timeout closes it anyway.
     */
    ws_sess *s = c->tp;
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, 5);
    lws_callback_on_writable(s->wsi);
}

static gw_ws *ws_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static int http_health(struct lws *wsi, ws_sess *s)
{
    gw_ws *w = ws_of(wsi);
    gw_server *srv = w->srv;
    int64_t uptime = (g_get_monotonic_time() - srv->start_mono_us) / G_USEC_PER_SEC;
    /* json-c does the escaping: site comes from the configuration file. */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "version", json_object_new_string(GW_SERVER_VERSION));
    json_object_object_add(o, "site", json_object_new_string(srv->cfg->site));
    json_object_object_add(o, "uptime", json_object_new_int64(uptime));
    json_object_object_add(o, "clients", json_object_new_int64((int64_t)srv->n_clients));
    json_object_object_add(o, "dns", json_object_new_int64((int64_t)gw_dn_table_size(srv->dns)));
    int n = snprintf(s->body, sizeof s->body, "%s\n",
                     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    s->body_len = n > 0 && (size_t)n < sizeof s->body ? (size_t)n : 0;
    uint8_t buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", s->body_len, &p,
                                    end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_writeable(struct lws *wsi, ws_sess *s)
{
    uint8_t buf[LWS_PRE + sizeof s->body];
    memcpy(buf + LWS_PRE, s->body, s->body_len);
    if (lws_write(wsi, buf + LWS_PRE, s->body_len, LWS_WRITE_HTTP_FINAL) != (int)s->body_len)
        return 1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void ws_established(struct lws *wsi, ws_sess *s)
{
    gw_ws *w = ws_of(wsi);
    char peer[64];
    gw_peer_name(lws_get_socket_fd(wsi), peer, sizeof peer);
    s->wsi = wsi;
    bool full = w->srv->n_clients >= (size_t)w->srv->cfg->max_clients;
    s->client = gw_client_new(w->srv, &ws_ops, s, GW_ENC_JSON, peer);
    LOG_INFO(ws, "client #%llu connected from %s", (unsigned long long)s->client->id, peer);
    if (full) {
        gw_tlib_send_error(s->client, AR_E_TOO_MANY_CLIENTS, -1, "too many clients");
        gw_client_drop(s->client, "max-clients %d reached", w->srv->cfg->max_clients);
    }
    gw_server_flush(w->srv);
}

static void ws_receive(struct lws *wsi, ws_sess *s, const void *in, size_t len)
{
    gw_server *srv = ws_of(wsi)->srv;
    gw_client *c = s->client;
    if (!c || c->closing)
        return;
    size_t max = srv->cfg->max_frame_size;
    if (!s->rx_overflow && ar_buf_pending(&s->rx) + len > max) {
        s->rx_overflow = true;
        ar_buf_reset(&s->rx);
        gw_tlib_send_error(c, AR_E_FRAME_TOO_LARGE, -1,
                           "WebSocket message larger than max-frame-size %zu", max);
        gw_client_drop(c, "WebSocket message larger than max-frame-size %zu", max);
    } else if (!s->rx_overflow && ar_buf_append(&s->rx, in, len)) {
        gw_client_drop(c, "out of memory receiving");
    }
    if (!c->closing && lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        gw_tlib_input_json(c, (const char *)ar_buf_head(&s->rx), ar_buf_pending(&s->rx));
        ar_buf_reset(&s->rx);
    }
    gw_server_flush(srv);
}

/*
 * Send queued messages while the socket takes them, like one TCP write of everything
 * queued (bounded so one busy desktop cannot hog the loop); close once a dropped
 * client's queue is done.
 */
static int ws_writeable(struct lws *wsi, ws_sess *s)
{
    gw_client *c = s->client;
    if (!c)
        return 0;
    ar_buf *out = &c->out;
    size_t budget = WS_WRITE_BUDGET;
    for (int i = 0; budget > 0 && ar_buf_pending(out) >= sizeof(uint32_t) + GW_WS_PAD; i++) {
        if (i > 0 && lws_send_pipe_choked(wsi))
            break;
        uint32_t len;
        uint8_t *head = out->data + out->off;
        memcpy(&len, head, sizeof len);
        uint8_t *payload = head + sizeof len + GW_WS_PAD;
        int n = lws_write(wsi, payload, len, LWS_WRITE_TEXT);
        ar_buf_consume(out, sizeof len + GW_WS_PAD + len);
        budget = len >= budget ? 0 : budget - len;
        if (n < (int)len) {
            gw_client_drop(c, "WebSocket write failed");
            return -1;
        }
    }
    if (ar_buf_pending(out) > 0) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->closing) {
        const char *why = c->close_reason ? c->close_reason : "closing";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)why,
                         strlen(why) > 120 ? 120 : strlen(why));
        return -1;
    }
    return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    ws_sess *s = user;
    char uri[64];
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return http_health(wsi, s);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(wsi, s);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* T-Lib JSON lives on /tlib only. */
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/tlib") != 0)
            return -1;
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        memset(s, 0, sizeof *s);
        ws_established(wsi, s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        ws_receive(wsi, s, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(wsi, s);
    case LWS_CALLBACK_CLOSED:
        if (s->client) {
            LOG_DEBUG(ws, "client #%llu (%s) closed", (unsigned long long)s->client->id,
                      s->client->peer);
            gw_client_free(&s->client);
        }
        ar_buf_free(&s->rx);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"tlib", ws_callback, sizeof(ws_sess), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (level & LLL_ERR)
        LOG_ERR(ws, "lws: %.*s", (int)n, line);
    else if (level & LLL_WARN)
        LOG_WARN(ws, "lws: %.*s", (int)n, line);
    else
        LOG_DEBUG(ws, "lws: %.*s", (int)n, line);
}

gw_ws *gw_ws_new(gw_server *srv, GMainLoop *loop, const gw_listen *l, const char *web_root,
                 char **err)
{
    gw_ws *w = g_new0(gw_ws, 1);
    w->srv = srv;
    w->loops[0] = loop;
    w->web_root = g_strdup(web_root);

    /* Longest mountpoint wins: /healthz goes to the callback, the rest to files. */
    w->mount_health.mountpoint = "/healthz";
    w->mount_health.mountpoint_len = 8;
    w->mount_health.origin = "tlib";
    w->mount_health.origin_protocol = LWSMPRO_CALLBACK;
    if (w->web_root) {
        w->mount_health.mount_next = &w->mount_files;
        w->mount_files.mountpoint = "/";
        w->mount_files.mountpoint_len = 1;
        w->mount_files.origin = w->web_root;
        w->mount_files.def = "index.html";
        w->mount_files.origin_protocol = LWSMPRO_FILE;
    }

    lws_set_log_level(ar_log_enabled(AR_LOG_ws, AR_LOG_DEBUG) ? LLL_ERR | LLL_WARN | LLL_NOTICE
                                                              : LLL_ERR | LLL_WARN,
                      lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = l->port;
    info.iface = strcmp(l->host, "*") == 0 ? NULL : l->host;
    info.protocols = protocols;
    info.mounts = &w->mount_health;
    info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.foreign_loops = w->loops;
    info.user = w;
    info.vhost_name = "gatewayd";
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        *err = g_strdup_printf("ws-listen %s:%d: cannot create the libwebsockets context "
                               "(address in use, or the glib event library missing)",
                               l->host, l->port);
        goto fail;
    }
    w->vh = lws_get_vhost_by_name(w->ctx, "gatewayd");
    w->port = w->vh ? lws_get_vhost_listen_port(w->vh) : -1;
    if (w->port <= 0) {
        *err = g_strdup_printf("ws-listen %s:%d: not listening", l->host, l->port);
        goto fail;
    }
    LOG_INFO(ws, "WebSocket /tlib and HTTP listening on %s:%d%s%s", l->host, w->port,
             w->web_root ? ", files from " : "", w->web_root ? w->web_root : "");
    return w;
fail:
    gw_ws_free(&w);
    return NULL;
}

int gw_ws_port(const gw_ws *w)
{
    return w->port;
}

void gw_ws_free(gw_ws **pw)
{
    gw_ws *w = *pw;
    if (!w)
        return;
    if (w->ctx)
        lws_context_destroy(w->ctx);
    g_free(w->web_root);
    g_free(w);
    *pw = NULL;
}
