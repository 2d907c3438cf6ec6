/* WebSocket (JSON T-Lib on /tlib, status stream on /status) and HTTP on one lws vhost. */
#include "gw_ws.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_desk.h"
#include "gw_http.h"
#include "gw_http_status.h"
#include "gw_metrics.h"
#include "gw_tcp.h"
#include "gw_tlib.h"
#include "gw_uvloop.h"
#include "gw_wsdelay.h"

#define WS_WRITE_BUDGET (1024 * 1024) /* bytes written per WRITEABLE callback at most */
#define WS_RX_CHUNK     8192          /* lws receive buffer per connection */
#define WS_WRITE_CLOSE  4             /* lws_write opcode of a close frame (see gw_ws_close_now) */
#define STATUS_RX_MAX   4096          /* the status stream only ever receives Authenticate */

_Static_assert(GW_WS_PAD >= LWS_PRE, "GW_WS_PAD must leave room for the lws header");

struct gw_ws {
    gw_server *srv;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    gw_uvloop *uv; /* lws runs on libuv (epoll) nested in the GLib loop: gw_uvloop.h */
    void *loops[1];
    char *web_root;
    char *tls_cert, *tls_key, *tls_ca; /* copies: a reload frees the config, lws keeps these */
    struct lws_http_mount mount_files, mount_health, mount_metrics;
    lws_retry_bo_t idle_policy;
    int port;
    gw_desk *desk;
    gw_status *status;
    GHashTable *per_source; /* peer address -> open WebSocket sessions (GINT) */
    uint64_t refused_logged;
    bool shutting_down;
};

typedef enum { K_HTTP = 0, K_TLIB, K_STATUS } ws_kind;

/* Per lws connection: an HTTP request, a T-Lib WebSocket or a status stream. */
typedef struct {
    ws_kind kind;
    struct lws *wsi;
    gw_client *client;   /* K_TLIB; NULL once the session moved away or closed */
    gw_status_sub *stat; /* K_STATUS */
    ar_buf rx;           /* fragments of the message being received */
    bool rx_overflow;
    int kick_code; /* K_TLIB without client: close with this code */
    char source[48];
    bool counted; /* counted in per_source */
    int64_t last_rx_us;
    bool normal_close; /* the peer closed with 1000: the desktop is done, no resume */
    bool close_sent;   /* our close frame is out: waiting for the peer's (gw_ws_close_now) */
    gw_http_resp resp;
} ws_sess;

static void ws_flush(gw_client *c);
static void ws_close(gw_client *c);

static const gw_client_ops ws_ops = {
    .name = "ws",
    .flush = ws_flush,
    .close = ws_close,
    .queue_json = gw_desk_queue_json,
};

static gw_ws *ws_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void ws_flush(gw_client *c)
{
    gw_desk_sess *d = c->tp;
    if (d->wsi)
        lws_callback_on_writable(d->wsi);
    else
        ar_buf_reset(&c->out); /* detached: the replay ring keeps what matters */
}

static void free_client(gw_client *c)
{
    gw_desk_sess *d = c->tp;
    gw_desk_sess_free(&d);
    gw_client_free(&c);
}

static void ws_close(gw_client *c)
{
    gw_desk_sess *d = c->tp;
    if (!d->wsi) { /* detached session ended: nothing to tear down but the session */
        free_client(c);
        return;
    }
    /*
     * The WRITEABLE callback sees `closing`, sends what is left and closes. A peer that
     * stopped reading may never become writable: the timeout closes it anyway.
     */
    lws_set_timeout(d->wsi, PENDING_TIMEOUT_USER_OK, 5);
    lws_callback_on_writable(d->wsi);
}

int gw_ws_close_now(struct lws *wsi, int code, const char *why)
{
    uint8_t buf[LWS_PRE + 2 + 123];
    size_t n = why ? strlen(why) : 0;
    if (n > 123)
        n = 123; /* a control frame's payload is at most 125 bytes */
    buf[LWS_PRE] = (uint8_t)(code >> 8);
    buf[LWS_PRE + 1] = (uint8_t)(code & 0xff);
    if (n)
        memcpy(buf + LWS_PRE + 2, why, n);
    /* Opcode 4 is the close frame; lws-write.h reserves it ("handled by lws_close_reason"). */
    lws_write(wsi, buf + LWS_PRE, 2 + n, (enum lws_write_protocol)WS_WRITE_CLOSE);
    /*
     * Closing the socket now would reset it if the peer is still sending (a 16 MiB
     * message) and the peer could lose the close frame: read and drop until its close
     * frame, then close without echoing it; a peer that never answers goes after 5 s.
     */
    ws_sess *s = lws_wsi_user(wsi);
    if (s)
        s->close_sent = true;
    lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, 5);
    return 0;
}

void gw_ws_kick(struct lws *wsi, int code, const char *why)
{
    ws_sess *s = lws_wsi_user(wsi);
    if (!s)
        return;
    LOG_INFO(ws, "closing WebSocket of client #%llu with %d: %s",
             s->client ? (unsigned long long)s->client->id : 0ULL, code, why);
    s->client = NULL;
    s->kick_code = code;
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 5);
    lws_callback_on_writable(wsi);
}

/* ---- per-source limit ----------------------------------------------------------- */

static bool source_admit(gw_ws *w, struct lws *wsi)
{
    char src[48] = "?";
    lws_get_peer_simple(wsi, src, sizeof src);
    int n = GPOINTER_TO_INT(g_hash_table_lookup(w->per_source, src));
    int max = w->srv->cfg->max_conns_per_source;
    if (n < max)
        return true;
    gw_ctr.ws_refused_source++;
    /* One line per burst is enough: the counter has the rest. */
    if (w->refused_logged++ % 100 == 0)
        LOG_WARN(ws,
                 "refused WebSocket from %s: %d sessions open from this source "
                 "(max-connections-per-source %d; %llu refused so far)",
                 src, n, max, (unsigned long long)gw_ctr.ws_refused_source);
    return false;
}

static void source_count(gw_ws *w, ws_sess *s, int delta)
{
    if (delta > 0) {
        lws_get_peer_simple(s->wsi, s->source, sizeof s->source);
        s->counted = true;
    } else if (!s->counted) {
        return;
    }
    int n = GPOINTER_TO_INT(g_hash_table_lookup(w->per_source, s->source)) + delta;
    if (n > 0)
        g_hash_table_insert(w->per_source, g_strdup(s->source), GINT_TO_POINTER(n));
    else
        g_hash_table_remove(w->per_source, s->source);
    s->counted = delta > 0;
}

/* ---- /tlib ---------------------------------------------------------------------- */

static void tlib_established(gw_ws *w, struct lws *wsi, ws_sess *s)
{
    char peer[64];
    gw_peer_name(lws_get_socket_fd(wsi), peer, sizeof peer);
    bool full = w->srv->n_clients >= (size_t)w->srv->cfg->max_clients;
    gw_desk_sess *d = gw_desk_sess_new(w->desk, wsi);
    s->client = gw_client_new(w->srv, &ws_ops, d, GW_ENC_JSON, peer);
    d->c = s->client;
    LOG_INFO(ws, "client #%llu connected from %s", (unsigned long long)s->client->id, peer);
    if (full) {
        gw_tlib_send_error(s->client, AR_E_TOO_MANY_CLIENTS, -1, "too many clients");
        gw_client_drop(s->client, "max-clients %d reached", w->srv->cfg->max_clients);
    } else {
        /* A token in the upgrade's Authorization header authenticates at once. */
        char auth[512];
        int n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
        if (n > 0) {
            bool bearer = n > 7 && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0;
            gw_desk_authenticate(s->client, bearer ? g_strstrip(auth + 7) : NULL, -1);
        }
    }
    gw_server_flush(w->srv);
}

static void tlib_receive(gw_ws *w, struct lws *wsi, ws_sess *s, const void *in, size_t len)
{
    gw_server *srv = w->srv;
    gw_client *c = s->client;
    if (!c || c->closing)
        return;
    size_t max = srv->cfg->max_frame_size;
    if (!s->rx_overflow && ar_buf_pending(&s->rx) + len > max) {
        s->rx_overflow = true;
        ar_buf_free(&s->rx);
        gw_ctr.ws_too_large++;
        ((gw_desk_sess *)c->tp)->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
        gw_tlib_send_error(c, AR_E_FRAME_TOO_LARGE, -1,
                           "WebSocket message larger than max-frame-size %zu", max);
        gw_client_drop(c, "WebSocket message larger than max-frame-size %zu (close 1009)", max);
    } else if (!s->rx_overflow && ar_buf_append(&s->rx, in, len)) {
        gw_client_drop(c, "out of memory receiving");
    }
    if (!c->closing && lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        const char *p = (const char *)ar_buf_head(&s->rx);
        size_t n = ar_buf_pending(&s->rx);
        if (!gw_desk_control(&s->client, p, n))
            gw_tlib_input_json(s->client, p, n);
        ar_buf_reset(&s->rx);
    }
    gw_server_flush(srv);
}

/*
 * Send queued messages while the socket takes them, like one TCP write of everything
 * queued (bounded so one busy desktop cannot hog the loop); close once a dropped
 * client's queue is done.
 */
static int tlib_writeable(struct lws *wsi, ws_sess *s)
{
    gw_client *c = s->client;
    if (!c) {
        if (!s->kick_code)
            return 0;
        return gw_ws_close_now(wsi, s->kick_code, "session resumed elsewhere");
    }
    ar_buf *out = &c->out;
    size_t budget = WS_WRITE_BUDGET;
    for (int i = 0; budget > 0 && ar_buf_pending(out) >= sizeof(uint32_t) + GW_WS_PAD; i++) {
        if (i > 0 && lws_send_pipe_choked(wsi))
            break;
        uint32_t len;
        uint8_t *head = out->data + out->off;
        memcpy(&len, head, sizeof len);
        uint8_t *payload = head + sizeof len + GW_WS_PAD;
        gw_wsdelay_note(payload, len);
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
        int code = ((gw_desk_sess *)c->tp)->close_code;
        return gw_ws_close_now(wsi, code ? code : LWS_CLOSE_STATUS_POLICY_VIOLATION, why);
    }
    return 0;
}

static void tlib_closed(gw_ws *w, ws_sess *s)
{
    gw_client *c = s->client;
    s->client = NULL;
    if (!c)
        return;
    /* Silent for the whole hangup period: the idle policy is what closed it. */
    int hangup = w->idle_policy.secs_since_valid_hangup;
    if (hangup > 0 && !c->closing &&
        g_get_monotonic_time() - s->last_rx_us >= (int64_t)hangup * 1000000) {
        gw_ctr.ws_heartbeat_timeout++;
        LOG_WARN(ws, "client #%llu (%s): no traffic or pong for %d s: closed by the heartbeat",
                 (unsigned long long)c->id, c->peer, hangup);
    }
    LOG_DEBUG(ws, "client #%llu (%s) closed", (unsigned long long)c->id, c->peer);
    if (!w->shutting_down && !s->normal_close && gw_desk_detach(c))
        return;
    free_client(c);
}

/* ---- /status -------------------------------------------------------------------- */

static void status_receive(struct lws *wsi, ws_sess *s, const void *in, size_t len)
{
    if (s->rx_overflow)
        return;
    if (ar_buf_pending(&s->rx) + len > STATUS_RX_MAX) {
        s->rx_overflow = true;
        ar_buf_free(&s->rx);
        gw_ws_close_now(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL);
        return;
    }
    ar_buf_append(&s->rx, in, len);
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        gw_status_receive(s->stat, (const char *)ar_buf_head(&s->rx), ar_buf_pending(&s->rx));
        ar_buf_reset(&s->rx);
    }
}

/* ---- the callback --------------------------------------------------------------- */

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    ws_sess *s = user;
    char uri[64];
    gw_ws *w;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        w = ws_of(wsi);
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
            return 1;
        return gw_http_request(w->srv, wsi, uri, &s->resp);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return gw_http_writeable(wsi, &s->resp);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (s)
            gw_http_resp_clear(&s->resp);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* T-Lib JSON lives on /tlib, the status stream on /status. */
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
            (strcmp(uri, "/tlib") != 0 && strcmp(uri, "/status") != 0))
            return -1;
        return source_admit(ws_of(wsi), wsi) ? 0 : -1;
    case LWS_CALLBACK_ESTABLISHED:
        w = ws_of(wsi);
        memset(s, 0, sizeof *s);
        s->wsi = wsi;
        s->last_rx_us = g_get_monotonic_time();
        source_count(w, s, +1);
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 &&
            strcmp(uri, "/status") == 0) {
            s->kind = K_STATUS;
            s->stat = gw_status_sub_new(w->status, wsi, gw_http_token_ok(w->srv, wsi));
            return 0;
        }
        s->kind = K_TLIB;
        tlib_established(w, wsi, s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        s->last_rx_us = g_get_monotonic_time();
        if (s->close_sent)
            return 0; /* the peer's last data before its close frame */
        if (s->kind == K_STATUS)
            status_receive(wsi, s, in, len);
        else
            tlib_receive(ws_of(wsi), wsi, s, in, len);
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (s->close_sent)
            return -1; /* it answers ours: close without echoing */
        s->normal_close = len >= 2 && ((const uint8_t *)in)[0] == 0x03 &&
                          ((const uint8_t *)in)[1] == 0xe8; /* 1000, network order */
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        s->last_rx_us = g_get_monotonic_time();
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (s->close_sent)
            return 0;
        if (s->kind == K_STATUS)
            return gw_status_writeable(s->stat);
        return tlib_writeable(wsi, s);
    case LWS_CALLBACK_CLOSED:
        w = ws_of(wsi);
        if (s->kind == K_STATUS)
            gw_status_sub_free(&s->stat);
        else
            tlib_closed(w, s);
        source_count(w, s, -1);
        ar_buf_free(&s->rx);
        return 0;
    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
        /*
         * ws-tls-ca: len is OpenSSL's verdict on the client's certificate. lws accepts
         * whatever this returns (0 = accept), so the verdict must be passed on here.
         */
        if (!len) {
            char src[48] = "?";
            lws_get_peer_simple(wsi, src, sizeof src);
            LOG_WARN(ws, "TLS client %s refused: its certificate is not signed by ws-tls-ca", src);
        }
        return len ? 0 : 1;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"tlib", ws_callback, sizeof(ws_sess), WS_RX_CHUNK, 0, NULL, 0},
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

static void mount_callback(struct lws_http_mount *m, const char *path)
{
    m->mountpoint = path;
    m->mountpoint_len = (unsigned char)strlen(path);
    m->origin = "tlib";
    m->origin_protocol = LWSMPRO_CALLBACK;
}

gw_ws *gw_ws_new(gw_server *srv, GMainLoop *loop, const gw_listen *l, const char *web_root,
                 char **err)
{
    gw_ws *w = g_new0(gw_ws, 1);
    w->srv = srv;
    w->web_root = g_strdup(web_root);
    w->desk = gw_desk_new(srv);
    w->status = gw_status_new(srv);
    w->per_source = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gw_metrics_start(srv);

    /* Longest mountpoint wins: /healthz and /metrics go to the callback, the rest to files. */
    mount_callback(&w->mount_health, "/healthz");
    mount_callback(&w->mount_metrics, "/metrics");
    w->mount_health.mount_next = &w->mount_metrics;
    if (w->web_root) {
        w->mount_metrics.mount_next = &w->mount_files;
        w->mount_files.mountpoint = "/";
        w->mount_files.mountpoint_len = 1;
        w->mount_files.origin = w->web_root;
        w->mount_files.def = "index.html";
        w->mount_files.origin_protocol = LWSMPRO_FILE;
    }
    /* Heartbeat: lws pings a WebSocket idle this long and hangs up if nothing answers. */
    int hb = srv->cfg->heartbeat_interval;
    w->idle_policy.secs_since_valid_ping = (uint16_t)(hb > 0 ? hb : 0);
    w->idle_policy.secs_since_valid_hangup = (uint16_t)(hb > 0 ? 2 * hb + 1 : 0);

    w->uv = gw_uvloop_new(g_main_loop_get_context(loop));
    if (!w->uv) {
        *err = g_strdup("ws-listen: cannot create the libuv loop");
        goto fail;
    }
    w->loops[0] = gw_uvloop_loop(w->uv);
    lws_set_log_level(ar_log_enabled(AR_LOG_ws, AR_LOG_DEBUG) ? LLL_ERR | LLL_WARN | LLL_NOTICE
                                                              : LLL_ERR | LLL_WARN,
                      lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = l->port;
    info.iface = strcmp(l->host, "*") == 0 ? NULL : l->host;
    info.protocols = protocols;
    info.mounts = &w->mount_health;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.foreign_loops = w->loops;
    info.user = w;
    info.vhost_name = "gatewayd";
    if (hb > 0)
        info.retry_and_idle_policy = &w->idle_policy;
    const struct gw_ws_tls_conf *tls = &srv->cfg->ws_tls;
    if (tls->cert && tls->key) {
        /*
         * TLS only: without LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT lws fails the
         * handshake of a plain ws:// or http:// client. HTTP/1.1 only over ALPN: the
         * status page and /tlib are served by the HTTP/1.1 code paths.
         */
        w->tls_cert = g_strdup(tls->cert);
        w->tls_key = g_strdup(tls->key);
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = w->tls_cert;
        info.ssl_private_key_filepath = w->tls_key;
        info.alpn = "http/1.1";
        if (tls->ca) {
            w->tls_ca = g_strdup(tls->ca);
            info.ssl_ca_filepath = w->tls_ca;
            info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
        }
    }
    /*
     * Context first, vhost (listener, TLS) second: a vhost that fails leaves a context
     * that closes its libuv handles cleanly; a failed lws_create_context leaves them
     * pointing into the unloaded event-library plugin.
     */
    info.options |= LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        *err = g_strdup_printf("ws-listen %s:%d: cannot create the libwebsockets context "
                               "(the libuv event library missing?)",
                               l->host, l->port);
        goto fail;
    }
    if (!lws_create_vhost(w->ctx, &info)) {
        *err = w->tls_cert
                   ? g_strdup_printf("ws-listen %s:%d: cannot create the libwebsockets context "
                                     "(address in use, or ws-tls-cert %s / ws-tls-key %s%s%s "
                                     "not a valid PEM certificate and matching key)",
                                     l->host, l->port, w->tls_cert, w->tls_key,
                                     w->tls_ca ? " / ws-tls-ca " : "", w->tls_ca ? w->tls_ca : "")
                   : g_strdup_printf("ws-listen %s:%d: cannot create the libwebsockets context "
                                     "(address in use?)",
                                     l->host, l->port);
        goto fail;
    }
    w->vh = lws_get_vhost_by_name(w->ctx, "gatewayd");
    w->port = w->vh ? lws_get_vhost_listen_port(w->vh) : -1;
    if (w->port <= 0) {
        *err = g_strdup_printf("ws-listen %s:%d: not listening", l->host, l->port);
        goto fail;
    }
    LOG_INFO(ws, "WebSocket /tlib and /status, HTTP /healthz and /metrics on %s:%d%s%s%s%s%s",
             l->host, w->port, w->tls_cert ? " over TLS only (wss://, https://), certificate " : "",
             w->tls_cert ? w->tls_cert : "", w->tls_ca ? ", client certificates required" : "",
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
    w->shutting_down = true;
    if (w->ctx) {
        /*
         * On a foreign loop lws closes its handles asynchronously: the first call starts,
         * the loop runs the close callbacks, the second call frees the context.
         */
        lws_context_destroy(w->ctx);
        gw_uvloop_drain(w->uv);
        lws_context_destroy(w->ctx);
    }
    gw_uvloop_free(&w->uv);
    /* Desktop sessions waiting for a resume have no connection left to close. */
    for (gw_client *c = w->srv->clients, *next; c; c = next) {
        next = c->next;
        if (c->ops == &ws_ops)
            free_client(c);
    }
    gw_metrics_stop();
    gw_status_free(&w->status);
    gw_desk_free(&w->desk);
    g_hash_table_destroy(w->per_source);
    g_free(w->web_root);
    g_free(w->tls_cert);
    g_free(w->tls_key);
    g_free(w->tls_ca);
    g_free(w);
    *pw = NULL;
}
