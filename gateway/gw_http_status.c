/* The status page's read-only WebSocket stream (/status): a snapshot, then deltas each second. */
#include "gw_http_status.h"

#include <json-c/json.h>
#include <libwebsockets.h>
#include <string.h>

#include "ar_log.h"
#include "gw_db.h"
#include "gw_desk.h"
#include "gw_desk_call.h"
#include "gw_dn.h"
#include "gw_health.h"
#include "gw_pool.h"
#include "gw_http.h"
#include "gw_metrics.h"

#define STATUS_QUEUE_MAX   (4u << 20) /* a page that stops reading is closed past this */
#define STATUS_MAX_ROWS    500        /* rows per list: the page is for people */
#define STATUS_MAX_DN_LIST 20         /* DNs listed per client */

/* The sections the page shows; each is sent whole when it changed. */
enum { SEC_SERVER, SEC_CLIENTS, SEC_DNS, SEC_CALLS, SEC_MEDIA, SEC_POOLS, SEC_ERRORS, NSEC };
static const char *const sec_names[NSEC] = {"server", "clients", "dns",   "calls",
                                            "media",  "pools",   "errors"};

struct gw_status {
    gw_server *srv;
    GList *subs; /* gw_status_sub * */
    guint tick;
    char *last[NSEC]; /* JSON text of each section as last built */
};

struct gw_status_sub {
    gw_status *st;
    struct lws *wsi;
    bool authed, primed; /* primed: the snapshot went out */
    int close_code;
    guint auth_timer;
    GQueue out; /* GBytes, each LWS_PRE + payload */
    size_t out_bytes;
};

/* ---- building the sections ------------------------------------------------------ */

static json_object *build_server(gw_server *srv)
{
    json_object *o = json_object_new_object();
    int64_t uptime = (g_get_monotonic_time() - srv->start_mono_us) / G_USEC_PER_SEC;
    json_object_object_add(o, "site", json_object_new_string(srv->cfg->site));
    json_object_object_add(o, "version", json_object_new_string(GW_SERVER_VERSION));
    json_object_object_add(o, "uptime", json_object_new_int64(uptime));
    json_object_object_add(o, "eventsSent", json_object_new_int64((int64_t)srv->events_sent));
    json_object_object_add(o, "eventsPerSecond", json_object_new_double(gw_metrics_events_rate()));
    json_object_object_add(o, "queueDrops", json_object_new_int64((int64_t)srv->clients_dropped));
    json_object_object_add(o, "authFailures",
                           json_object_new_int64((int64_t)gw_ctr.ws_auth_failed));
    json_object_object_add(o, "scopeDenied",
                           json_object_new_int64((int64_t)gw_ctr.ws_scope_denied));
    json_object_object_add(o, "refusedConnections",
                           json_object_new_int64((int64_t)gw_ctr.ws_refused_source));
    json_object_object_add(o, "resumes", json_object_new_int64((int64_t)gw_ctr.ws_resumed));
    json_object_object_add(o, "dnsConfigured", json_object_new_int64((int64_t)srv->cfg->n_dns));
    if (srv->db) {
        gw_db_stats st;
        gw_db_get_stats(srv->db, &st);
        json_object *db = json_object_new_object();
        json_object_object_add(db, "state", json_object_new_string(gw_db_state_name(st.state)));
        json_object_object_add(db, "backlog",
                               json_object_new_int64((int64_t)(st.queued + st.inflight)));
        json_object_object_add(db, "journalBytes",
                               json_object_new_int64((int64_t)st.journal_bytes));
        json_object_object_add(o, "db", db);
    }
    return o;
}

static json_object *build_clients(gw_server *srv)
{
    json_object *a = json_object_new_array();
    int64_t now = gw_now_us();
    size_t rows = 0;
    for (gw_client *c = srv->clients; c && rows < STATUS_MAX_ROWS; c = c->next, rows++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64((int64_t)c->id));
        json_object_object_add(o, "transport", json_object_new_string(c->ops->name));
        json_object_object_add(o, "peer", json_object_new_string(c->peer));
        json_object_object_add(o, "app", c->app_name ? json_object_new_string(c->app_name) : NULL);
        json_object_object_add(o, "desktop", json_object_new_boolean(c->app && c->app->desktop));
        json_object_object_add(o, "detached", json_object_new_boolean(gw_desk_detached(c)));
        json_object_object_add(o, "since",
                               json_object_new_int64((now - c->connected_us) / 1000000));
        json_object_object_add(o, "queued",
                               json_object_new_int64((int64_t)ar_buf_pending(&c->out)));
        json_object *dns = json_object_new_array();
        for (guint i = 0; i < c->dns->len && i < STATUS_MAX_DN_LIST; i++)
            json_object_array_add(dns, json_object_new_string(((gw_dn *)c->dns->pdata[i])->number));
        json_object_object_add(o, "dns", dns);
        json_object_object_add(o, "ndns", json_object_new_int64(c->dns->len));
        json_object_array_add(a, o);
    }
    return a;
}

/* DNs with at least one T-Lib registration (the configured list may be very long). */
static json_object *build_dns(gw_server *srv, GPtrArray *numbers)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < srv->cfg->n_dns && numbers->len < STATUS_MAX_ROWS; i++) {
        gw_dn *dn = gw_dn_find(srv->dns, srv->cfg->dns[i].number);
        if (!dn || gw_dn_nsubs(dn) == 0)
            continue;
        g_ptr_array_add(numbers, dn->number);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "dn", json_object_new_string(dn->number));
        json_object_object_add(o, "type", json_object_new_string(gw_dn_type_name(dn->conf->type)));
        json_object_object_add(o, "record", json_object_new_boolean(dn->conf->record));
        json_object *who = json_object_new_array();
        for (guint k = 0; k < dn->subs->len && k < STATUS_MAX_DN_LIST; k++) {
            gw_client *c = dn->subs->pdata[k];
            char *label = g_strdup_printf("#%llu %s", (unsigned long long)c->id,
                                          c->app_name ? c->app_name : "-");
            json_object_array_add(who, json_object_new_string(label));
            g_free(label);
        }
        json_object_object_add(o, "clients", who);
        gw_desk_dn_agent_json(srv, dn->number, o);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *build_errors(void)
{
    gw_recent_error e[32];
    size_t n = gw_metrics_errors(e, G_N_ELEMENTS(e));
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "time", json_object_new_int64(e[i].us / 1000));
        json_object_object_add(o, "subsys", json_object_new_string(e[i].subsys));
        json_object_object_add(o, "level", json_object_new_string(e[i].level));
        json_object_object_add(o, "text", json_object_new_string(e[i].text));
        json_object_array_add(a, o);
    }
    return a;
}

/* ---- output -------------------------------------------------------------------- */

static void sub_send(gw_status_sub *s, const char *txt)
{
    size_t n = strlen(txt);
    if (s->close_code)
        return;
    if (s->out_bytes + n > STATUS_QUEUE_MAX) {
        LOG_WARN(ws, "status stream not reading (%zu bytes queued): closed", s->out_bytes);
        s->close_code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
        lws_callback_on_writable(s->wsi);
        return;
    }
    uint8_t *buf = g_malloc(LWS_PRE + n);
    memcpy(buf + LWS_PRE, txt, n);
    g_queue_push_tail(&s->out, g_bytes_new_take(buf, LWS_PRE + n));
    s->out_bytes += n;
    lws_callback_on_writable(s->wsi);
}

/* Once a second: rebuild each section; send changed ones, everything to new streams. */
static gboolean on_tick(gpointer ud)
{
    gw_status *st = ud;
    bool any = false;
    for (GList *l = st->subs; l; l = l->next)
        any |= ((gw_status_sub *)l->data)->authed;
    if (!any)
        return G_SOURCE_CONTINUE; /* nobody watching: build nothing */
    json_object *secs[NSEC];
    GPtrArray *numbers = g_ptr_array_new();
    secs[SEC_SERVER] = build_server(st->srv);
    secs[SEC_CLIENTS] = build_clients(st->srv);
    secs[SEC_DNS] = build_dns(st->srv, numbers);
    secs[SEC_CALLS] = gw_desk_calls_json(st->srv, NULL, 0);
    secs[SEC_MEDIA] = gw_health_json(st->srv->health);
    secs[SEC_POOLS] = gw_pools_json(st->srv->pools);
    secs[SEC_ERRORS] = build_errors();
    g_ptr_array_free(numbers, TRUE);
    json_object *delta = json_object_new_object(), *full = json_object_new_object();
    json_object_object_add(delta, "type", json_object_new_string("delta"));
    json_object_object_add(full, "type", json_object_new_string("snapshot"));
    bool changed = false;
    for (int i = 0; i < NSEC; i++) {
        const char *txt = json_object_to_json_string_ext(secs[i], JSON_C_TO_STRING_PLAIN);
        if (!st->last[i] || strcmp(st->last[i], txt) != 0) {
            g_free(st->last[i]);
            st->last[i] = g_strdup(txt);
            json_object_object_add(delta, sec_names[i], json_object_get(secs[i]));
            changed = true;
        }
        json_object_object_add(full, sec_names[i], secs[i]);
    }
    const char *dtxt = json_object_to_json_string_ext(delta, JSON_C_TO_STRING_PLAIN);
    const char *ftxt = json_object_to_json_string_ext(full, JSON_C_TO_STRING_PLAIN);
    for (GList *l = st->subs; l; l = l->next) {
        gw_status_sub *s = l->data;
        if (!s->authed)
            continue;
        if (!s->primed) {
            sub_send(s, ftxt);
            s->primed = true;
        } else if (changed) {
            sub_send(s, dtxt);
        }
    }
    json_object_put(delta);
    json_object_put(full);
    return G_SOURCE_CONTINUE;
}

gw_status *gw_status_new(gw_server *srv)
{
    gw_status *st = g_new0(gw_status, 1);
    st->srv = srv;
    st->tick = g_timeout_add(1000, on_tick, st);
    return st;
}

void gw_status_free(gw_status **pst)
{
    gw_status *st = *pst;
    if (!st)
        return;
    g_source_remove(st->tick);
    for (int i = 0; i < NSEC; i++)
        g_free(st->last[i]);
    g_list_free(st->subs);
    g_free(st);
    *pst = NULL;
}

static gboolean on_auth_timeout(gpointer ud)
{
    gw_status_sub *s = ud;
    s->auth_timer = 0;
    LOG_WARN(ws, "status stream: no credential within auth-timeout: closed");
    s->close_code = GW_WS_CLOSE_AUTH_TIMEOUT;
    lws_callback_on_writable(s->wsi);
    return G_SOURCE_REMOVE;
}

/* Authenticated: the first tick sends the snapshot; do it now so the page fills at once. */
static void sub_authed(gw_status_sub *s)
{
    s->authed = true;
    if (s->auth_timer)
        g_source_remove(s->auth_timer);
    s->auth_timer = 0;
    gw_ctr.status_streams++;
    for (int i = 0; i < NSEC; i++) { /* everyone else gets the same sections again: harmless */
        g_free(s->st->last[i]);
        s->st->last[i] = NULL;
    }
    on_tick(s->st);
}

gw_status_sub *gw_status_sub_new(gw_status *st, struct lws *wsi, bool authed)
{
    gw_status_sub *s = g_new0(gw_status_sub, 1);
    s->st = st;
    s->wsi = wsi;
    g_queue_init(&s->out);
    st->subs = g_list_prepend(st->subs, s);
    if (authed)
        sub_authed(s);
    else
        s->auth_timer =
            g_timeout_add_seconds((guint)st->srv->cfg->auth_timeout, on_auth_timeout, s);
    return s;
}

void gw_status_sub_free(gw_status_sub **ps)
{
    gw_status_sub *s = *ps;
    if (!s)
        return;
    s->st->subs = g_list_remove(s->st->subs, s);
    if (s->auth_timer)
        g_source_remove(s->auth_timer);
    g_queue_clear_full(&s->out, (GDestroyNotify)g_bytes_unref);
    g_free(s);
    *ps = NULL;
}

int gw_status_receive(gw_status_sub *s, const char *p, size_t n)
{
    if (s->authed)
        return 0; /* read-only stream: anything else is ignored */
    json_tokener *tok = json_tokener_new_ex(8);
    json_object *o = json_tokener_parse_ex(tok, p, (int)n);
    bool ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    json_object *jm, *jt;
    const char *token = NULL;
    if (ok && json_object_is_type(o, json_type_object) &&
        json_object_object_get_ex(o, "message", &jm) &&
        strcmp(json_object_get_string(jm), "Authenticate") == 0 &&
        json_object_object_get_ex(o, "token", &jt) && json_object_is_type(jt, json_type_string))
        token = json_object_get_string(jt);
    bool good = gw_http_status_token_ok(s->st->srv, token);
    json_object_put(o);
    if (!good) {
        gw_ctr.http_unauthorized++;
        char peer[64] = "?";
        lws_get_peer_simple(s->wsi, peer, sizeof peer);
        LOG_WARN(ws, "status stream from %s: authentication failed (%s)", peer,
                 s->st->srv->cfg->status_token ? "wrong or missing token"
                                               : "no status-token configured");
        s->close_code = GW_WS_CLOSE_AUTH_FAILED;
        lws_callback_on_writable(s->wsi);
        return 0;
    }
    sub_authed(s);
    return 0;
}

int gw_status_writeable(gw_status_sub *s)
{
    if (s->close_code) {
        const char *why = s->close_code == GW_WS_CLOSE_AUTH_FAILED    ? "authentication failed"
                          : s->close_code == GW_WS_CLOSE_AUTH_TIMEOUT ? "authentication timeout"
                                                                      : "not reading";
        return gw_ws_close_now(s->wsi, s->close_code, why);
    }
    GBytes *b = g_queue_pop_head(&s->out);
    if (!b)
        return 0;
    gsize len;
    uint8_t *data = (uint8_t *)g_bytes_get_data(b, &len);
    size_t n = len - LWS_PRE;
    int w = lws_write(s->wsi, data + LWS_PRE, n, LWS_WRITE_TEXT);
    s->out_bytes -= n;
    g_bytes_unref(b);
    if (w < (int)n)
        return -1;
    if (s->out.length)
        lws_callback_on_writable(s->wsi);
    return 0;
}
