/* Desktop sessions on WebSocket: token auth, scope, per-connection seq, replay ring, snapshots. */
#include "gw_desk.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_desk_call.h"
#include "gw_dn.h"
#include "gw_metrics.h"
#include "gw_tlib.h"

#define SNAPSHOT_MAX_DNS 256 /* DN entries in one snapshot; "truncated" says when cut */
#define REC_HDR          (sizeof(uint64_t) + sizeof(uint32_t))

struct gw_desk {
    gw_server *srv;
    GHashTable *sessions; /* session id -> gw_desk_sess * (desktops only) */
};

gw_desk *gw_desk_new(gw_server *srv)
{
    gw_desk *d = g_new0(gw_desk, 1);
    d->srv = srv;
    d->sessions = g_hash_table_new(g_str_hash, g_str_equal);
    return d;
}

void gw_desk_free(gw_desk **pd)
{
    gw_desk *d = *pd;
    if (!d)
        return;
    g_hash_table_destroy(d->sessions);
    g_free(d);
    *pd = NULL;
}

gw_desk_sess *gw_desk_sess_new(gw_desk *d, struct lws *wsi)
{
    gw_desk_sess *s = g_new0(gw_desk_sess, 1);
    s->desk = d;
    s->wsi = wsi;
    s->ring_lo = 1;
    return s;
}

void gw_desk_sess_free(gw_desk_sess **ps)
{
    gw_desk_sess *s = *ps;
    if (!s)
        return;
    if (s->session[0])
        g_hash_table_remove(s->desk->sessions, s->session);
    if (s->expire)
        g_source_remove(s->expire);
    ar_buf_free(&s->ring);
    g_free(s);
    *ps = NULL;
}

bool gw_desk_secret_equal(const char *a, const char *b)
{
    /* Digests first: equal lengths, so neither the length nor a prefix leaks. */
    char *ha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, a, -1);
    char *hb = g_compute_checksum_for_string(G_CHECKSUM_SHA256, b, -1);
    unsigned char diff = 0;
    for (size_t i = 0; ha[i] && hb[i]; i++)
        diff |= (unsigned char)(ha[i] ^ hb[i]);
    g_free(ha);
    g_free(hb);
    return diff == 0;
}

/* ---- output: per-connection numbering and the replay ring ---------------------- */

/* Append one WebSocket record (u32 length, pad, payload) to c->out. */
static int out_record(gw_client *c, const char *head, size_t hn, const uint8_t *p, size_t n)
{
    uint32_t len = (uint32_t)(hn + n);
    uint8_t pad[GW_WS_PAD] = {0};
    if (ar_buf_append(&c->out, &len, sizeof len) || ar_buf_append(&c->out, pad, sizeof pad) ||
        ar_buf_append(&c->out, head, hn) || ar_buf_append(&c->out, p, n))
        return -1;
    return 0;
}

/* Keep a numbered message for Resume; the oldest go when the ring is over its bytes. */
static void ring_add(gw_desk_sess *s, uint64_t seq, const char *head, size_t hn, const uint8_t *p,
                     size_t n)
{
    size_t cap = (size_t)s->c->srv->cfg->resume_ring_bytes;
    if (!s->desktop || cap == 0)
        return;
    size_t rec = REC_HDR + hn + n;
    while (ar_buf_pending(&s->ring) > 0 && ar_buf_pending(&s->ring) + rec > cap) {
        uint32_t len;
        memcpy(&len, ar_buf_head(&s->ring) + sizeof(uint64_t), sizeof len);
        ar_buf_consume(&s->ring, REC_HDR + len);
        s->ring_lo++;
    }
    if (rec > cap) { /* bigger than the whole ring: Resume past it needs a snapshot */
        s->ring_lo = seq + 1;
        return;
    }
    uint32_t len = (uint32_t)(hn + n);
    if (ar_buf_append(&s->ring, &seq, sizeof seq) || ar_buf_append(&s->ring, &len, sizeof len) ||
        ar_buf_append(&s->ring, head, hn) || ar_buf_append(&s->ring, p, n)) {
        ar_buf_reset(&s->ring);
        s->ring_lo = seq + 1;
        return;
    }
    if (ar_buf_pending(&s->ring) == rec)
        s->ring_lo = seq;
}

int gw_desk_queue_json(gw_client *c, const uint8_t *p, size_t n)
{
    gw_desk_sess *s = c->tp;
    if (n < 2 || p[0] != '{') /* not an object: cannot carry "seq"; never happens */
        return s->wsi ? out_record(c, "", 0, p, n) : 0;
    char head[40];
    uint64_t seq = ++s->seq;
    /* `{"seq":N,` replaces the '{'; an empty object keeps its '}' without a comma. */
    int hn = snprintf(head, sizeof head, "{\"seq\":%llu%s", (unsigned long long)seq,
                      p[1] == '}' ? "" : ",");
    ring_add(s, seq, head, (size_t)hn, p + 1, n - 1);
    if (!s->wsi) /* detached: the ring is all that remembers it */
        return 0;
    return out_record(c, head, (size_t)hn, p + 1, n - 1);
}

/* A control reply (json-c object, consumed): numbered like any message. */
static void send_obj(gw_client *c, json_object *o)
{
    const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    gw_client_queue(c, (const uint8_t *)txt, strlen(txt));
    json_object_put(o);
}

/* Unnumbered reply (Pong): not replayed, no "seq". */
static void send_unnumbered(gw_client *c, json_object *o)
{
    gw_desk_sess *s = c->tp;
    const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    if (s->wsi && !c->closing) {
        if (out_record(c, "", 0, (const uint8_t *)txt, strlen(txt)))
            gw_client_drop(c, "out of memory queueing output");
        else
            gw_server_mark_dirty(c->srv, c);
    }
    json_object_put(o);
}

static json_object *msg_new(const char *name, int64_t ref)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "message", json_object_new_string(name));
    if (ref >= 0)
        json_object_object_add(o, "ReferenceID", json_object_new_int64(ref));
    return o;
}

/* ---- snapshot ------------------------------------------------------------------ */

static void send_snapshot(gw_client *c, const char *reason, int64_t ref)
{
    gw_server *srv = c->srv;
    gw_desk_sess *s = c->tp;
    json_object *o = msg_new("Snapshot", ref);
    json_object_object_add(o, "reason", json_object_new_string(reason));
    json_object_object_add(o, "session", json_object_new_string(s->session));
    if (c->app_name)
        json_object_object_add(o, "desktop", json_object_new_string(c->app_name));
    json_object *dns = json_object_new_array();
    GPtrArray *numbers = g_ptr_array_new();
    bool truncated = false;
    for (size_t i = 0; c->app && i < srv->cfg->n_dns; i++) {
        const gw_dn_conf *dc = &srv->cfg->dns[i];
        gw_dn *dn = gw_dn_find(srv->dns, dc->number);
        bool mine = dn && gw_client_has_dn(c, dn);
        if (!mine && !gw_dn_set_contains(&c->app->dns, dc->number))
            continue;
        if (numbers->len >= SNAPSHOT_MAX_DNS) {
            truncated = true;
            break;
        }
        g_ptr_array_add(numbers, dc->number);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "dn", json_object_new_string(dc->number));
        json_object_object_add(e, "type", json_object_new_string(gw_dn_type_name(dc->type)));
        json_object_object_add(e, "registered", json_object_new_boolean(mine));
        json_object_object_add(e, "record", json_object_new_boolean(dc->record));
        json_object_object_add(e, "clients",
                               json_object_new_int64(dn ? (int64_t)gw_dn_nsubs(dn) : 0));
        gw_desk_dn_agent_json(srv, dc->number, e);
        json_object_array_add(dns, e);
    }
    json_object_object_add(o, "dns", dns);
    if (truncated)
        json_object_object_add(o, "truncated", json_object_new_boolean(true));
    json_object *agents = json_object_new_array();
    for (size_t i = 0; c->app && i < srv->cfg->n_agents && i < SNAPSHOT_MAX_DNS; i++) {
        const gw_agent_conf *a = &srv->cfg->agents[i];
        if (!gw_dn_set_contains(&c->app->agents, a->login))
            continue;
        json_object *e = json_object_new_object();
        json_object_object_add(e, "login", json_object_new_string(a->login));
        if (a->dn)
            json_object_object_add(e, "dn", json_object_new_string(a->dn));
        json_object_array_add(agents, e);
    }
    json_object_object_add(o, "agents", agents);
    json_object_object_add(
        o, "calls", gw_desk_calls_json(srv, (const char *const *)numbers->pdata, numbers->len));
    g_ptr_array_free(numbers, TRUE);
    gw_ctr.ws_snapshots++;
    send_obj(c, o);
}

/* ---- authentication ------------------------------------------------------------ */

static void new_session_id(gw_desk_sess *s)
{
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        for (size_t i = 0; i < sizeof rnd; i++) /* getrandom never fails this small */
            rnd[i] = (uint8_t)g_random_int();
    }
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(s->session + 2 * i, 3, "%02x", rnd[i]);
    g_hash_table_insert(s->desk->sessions, s->session, s);
}

static void auth_fail(gw_client *c, int64_t ref, const char *why)
{
    gw_desk_sess *s = c->tp;
    gw_ctr.ws_auth_failed++;
    LOG_WARN(ws, "client #%llu (%s): desktop authentication failed: %s", (unsigned long long)c->id,
             c->peer, why);
    gw_tlib_send_error(c, AR_E_AUTH_FAILED, ref, "desktop authentication failed: %s", why);
    s->close_code = GW_WS_CLOSE_AUTH_FAILED;
    gw_client_drop(c, "desktop authentication failed: %s", why);
}

bool gw_desk_authenticate(gw_client *c, const char *token, int64_t ref)
{
    gw_desk_sess *s = c->tp;
    if (gw_client_registered(c)) {
        gw_tlib_send_error(c, AR_E_ALREADY_AUTHENTICATED, ref, "already authenticated as %s",
                           c->app_name);
        return false;
    }
    if (!token || !*token) {
        auth_fail(c, ref, "no token");
        return false;
    }
    /* Every desktop is compared, so the time does not depend on which one matches. */
    const gw_app_conf *found = NULL;
    const gw_config *cfg = c->srv->cfg;
    for (size_t i = 0; i < cfg->n_apps; i++) {
        const gw_app_conf *a = &cfg->apps[i];
        bool eq = gw_desk_secret_equal(token, a->password ? a->password : "");
        if (eq && a->desktop && !found)
            found = a;
    }
    if (!found) {
        auth_fail(c, ref, "token not configured");
        return false;
    }
    c->app = found;
    c->app_name = g_strdup(found->name);
    s->desktop = true;
    s->ring_lo = s->seq + 1;
    new_session_id(s);
    gw_ctr.ws_auth_ok++;
    LOG_INFO(ws, "client #%llu (%s) authenticated as desktop %s, session %.8s...",
             (unsigned long long)c->id, c->peer, c->app_name, s->session);
    json_object *o = msg_new("Authenticated", ref);
    json_object_object_add(o, "desktop", json_object_new_string(c->app_name));
    json_object_object_add(o, "session", json_object_new_string(s->session));
    json_object_object_add(o, "resumeWindow",
                           json_object_new_int64(cfg->resume_ring_bytes ? cfg->resume_window : 0));
    json_object_object_add(o, "heartbeat", json_object_new_int64(cfg->heartbeat_interval));
    send_obj(c, o);
    send_snapshot(c, "authenticated", -1);
    return true;
}

/* ---- resume -------------------------------------------------------------------- */

static void resume_error(gw_client *c, int code, int64_t ref, const char *text)
{
    gw_ctr.ws_resume_failed++;
    LOG_WARN(ws, "client #%llu (%s): resume refused: %s", (unsigned long long)c->id, c->peer, text);
    gw_tlib_send_error(c, code, ref, "%s", text);
}

/* Move the resumed session onto the connection of `fresh`, which is freed. */
static gw_client *adopt(gw_client *fresh, gw_desk_sess *old)
{
    gw_desk_sess *fs = fresh->tp;
    gw_client *oc = old->c;
    if (old->wsi) /* still attached (half-open connection): it loses the session */
        gw_ws_kick(old->wsi, GW_WS_CLOSE_TAKEN_OVER, "session resumed on another connection");
    if (old->expire) {
        g_source_remove(old->expire);
        old->expire = 0;
    }
    old->wsi = fs->wsi;
    /* Whatever the old connection had not written is in the ring; what the fresh one
     * queued (Authenticated, its snapshot) goes first. */
    ar_buf_reset(&oc->out);
    if (ar_buf_append(&oc->out, ar_buf_head(&fresh->out), ar_buf_pending(&fresh->out)))
        gw_client_drop(oc, "out of memory resuming");
    g_strlcpy(oc->peer, fresh->peer, sizeof oc->peer);
    fs->wsi = NULL;
    gw_desk_sess_free(&fs);
    gw_client_free(&fresh);
    gw_server_mark_dirty(oc->srv, oc);
    return oc;
}

static void on_resume(gw_client **pc, json_object *req, int64_t ref)
{
    gw_client *c = *pc;
    gw_desk_sess *s = c->tp;
    if (!s->desktop) {
        gw_tlib_send_error(c, AR_E_NOT_AUTHENTICATED, ref, "Resume before Authenticate");
        return;
    }
    json_object *js, *jq;
    const char *id =
        json_object_object_get_ex(req, "session", &js) && json_object_is_type(js, json_type_string)
            ? json_object_get_string(js)
            : NULL;
    if (!id || !json_object_object_get_ex(req, "seq", &jq) ||
        !json_object_is_type(jq, json_type_int) || json_object_get_int64(jq) < 0) {
        gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref,
                           "Resume needs \"session\" (string) and \"seq\" (integer >= 0)");
        return;
    }
    uint64_t last = (uint64_t)json_object_get_int64(jq);
    gw_desk_sess *old = g_hash_table_lookup(s->desk->sessions, id);
    /* Another desktop's session is as unknown as an expired one. */
    if (!old || old == s || !old->c->app_name || strcmp(old->c->app_name, c->app_name) != 0 ||
        old->c->closing) {
        resume_error(c, AR_E_RESUME_UNKNOWN_SESSION, ref,
                     "no such session for this desktop (expired, ended or never existed): "
                     "authenticate again and use the snapshot");
        return;
    }
    if (last > old->seq) {
        char text[128];
        snprintf(text, sizeof text, "seq %llu is ahead of the session (last sent %llu)",
                 (unsigned long long)last, (unsigned long long)old->seq);
        resume_error(c, AR_E_RESUME_FUTURE_SEQ, ref, text);
        return;
    }
    c = *pc = adopt(c, old);
    s = old;
    json_object *o = msg_new("Resumed", ref);
    json_object_object_add(o, "session", json_object_new_string(s->session));
    json_object_object_add(o, "from", json_object_new_int64((int64_t)last));
    if (last + 1 < s->ring_lo) {
        gw_ctr.ws_resume_snapshot++;
        LOG_INFO(ws,
                 "client #%llu (%s) resumed session %.8s... from %llu: older than the ring "
                 "(%llu): snapshot",
                 (unsigned long long)c->id, c->peer, s->session, (unsigned long long)last,
                 (unsigned long long)s->ring_lo);
        json_object_object_add(o, "replayed", json_object_new_int64(0));
        json_object_object_add(o, "snapshot", json_object_new_boolean(true));
        send_obj(c, o);
        send_snapshot(c, "resume-too-old", -1);
        return;
    }
    /* Replay the records after `last`, as they were first sent (same seq). */
    size_t n = 0;
    const uint8_t *p = ar_buf_head(&s->ring), *end = p + ar_buf_pending(&s->ring);
    while (p + REC_HDR <= end) {
        uint64_t seq;
        uint32_t len;
        memcpy(&seq, p, sizeof seq);
        memcpy(&len, p + sizeof seq, sizeof len);
        if (seq > last) {
            if (out_record(c, "", 0, p + REC_HDR, len)) {
                gw_client_drop(c, "out of memory replaying");
                return;
            }
            n++;
        }
        p += REC_HDR + len;
    }
    gw_ctr.ws_resumed++;
    LOG_INFO(ws, "client #%llu (%s) resumed session %.8s... after seq %llu: %zu replayed",
             (unsigned long long)c->id, c->peer, s->session, (unsigned long long)last, n);
    json_object_object_add(o, "replayed", json_object_new_int64((int64_t)n));
    json_object_object_add(o, "snapshot", json_object_new_boolean(false));
    send_obj(c, o);
}

/* ---- control messages ---------------------------------------------------------- */

bool gw_desk_control(gw_client **pc, const char *p, size_t len)
{
    gw_client *c = *pc;
    /* Cheap test first: T-Lib requests all start with "Request". */
    static const char *const names[] = {"Authenticate", "Resume", "Ping", "GetSnapshot",
                                        "CallView"};
    bool maybe = false;
    for (size_t i = 0; i < G_N_ELEMENTS(names) && !maybe; i++) {
        char q[24];
        int qn = snprintf(q, sizeof q, "\"%s\"", names[i]);
        maybe = g_strstr_len(p, (gssize)len, q) != NULL && qn > 0;
    }
    if (!maybe)
        return false;
    json_tokener *tok = json_tokener_new_ex(16);
    json_object *req = json_tokener_parse_ex(tok, p, (int)len);
    bool complete = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    json_object *jm = NULL;
    const char *name = complete && json_object_is_type(req, json_type_object) &&
                               json_object_object_get_ex(req, "message", &jm) &&
                               json_object_is_type(jm, json_type_string)
                           ? json_object_get_string(jm)
                           : NULL;
    size_t k = 0;
    while (name && k < G_N_ELEMENTS(names) && strcmp(name, names[k]) != 0)
        k++;
    if (!name || k == G_N_ELEMENTS(names)) {
        json_object_put(req);
        return false; /* the T-Lib decoder reports what is wrong with it */
    }
    int64_t ref = -1;
    json_object *jr;
    if (json_object_object_get_ex(req, "ReferenceID", &jr) &&
        json_object_is_type(jr, json_type_int))
        ref = json_object_get_int64(jr);
    json_object *jt;
    switch (k) {
    case 0:
        /* "callView": true asks for CallState messages (gw_desk_call.c). */
        ((gw_desk_sess *)c->tp)->call_view =
            json_object_object_get_ex(req, "callView", &jt) && json_object_get_boolean(jt);
        gw_desk_authenticate(c,
                             json_object_object_get_ex(req, "token", &jt) &&
                                     json_object_is_type(jt, json_type_string)
                                 ? json_object_get_string(jt)
                                 : NULL,
                             ref);
        break;
    case 1:
        on_resume(pc, req, ref);
        break;
    case 2: {
        gw_ctr.ws_pings++;
        json_object *o = msg_new("Pong", ref);
        json_object *jd;
        if (json_object_object_get_ex(req, "data", &jd))
            json_object_object_add(o, "data", json_object_get(jd));
        send_unnumbered(c, o);
        break;
    }
    case 3:
        if (!((gw_desk_sess *)c->tp)->desktop)
            gw_tlib_send_error(c, AR_E_NOT_AUTHENTICATED, ref, "GetSnapshot before Authenticate");
        else
            send_snapshot(c, "requested", ref);
        break;
    default: {
        /* {"message":"CallView","enabled":bool}: switch CallState messages on or off. */
        gw_desk_sess *s = c->tp;
        s->call_view =
            json_object_object_get_ex(req, "enabled", &jt) && json_object_get_boolean(jt);
        json_object *o = msg_new("CallViewSet", ref);
        json_object_object_add(o, "enabled", json_object_new_boolean(s->call_view));
        send_obj(c, o);
        break;
    }
    }
    json_object_put(req);
    return true;
}

/* ---- detach and expiry --------------------------------------------------------- */

static gboolean on_expire(gpointer ud)
{
    gw_desk_sess *s = ud;
    s->expire = 0;
    gw_ctr.ws_detached_expired++;
    gw_client_drop(s->c, "desktop session not resumed within desktop-resume-window");
    gw_server_flush(s->c->srv);
    return G_SOURCE_REMOVE;
}

bool gw_desk_detach(gw_client *c)
{
    gw_desk_sess *s = c->tp;
    const gw_config *cfg = c->srv->cfg;
    s->wsi = NULL;
    if (!s->desktop || c->closing || cfg->resume_window == 0 || cfg->resume_ring_bytes == 0)
        return false;
    ar_buf_reset(&c->out);
    s->expire = g_timeout_add_seconds((guint)cfg->resume_window, on_expire, s);
    LOG_INFO(ws, "desktop %s (client #%llu, %s) disconnected: session %.8s... resumable for %d s",
             c->app_name, (unsigned long long)c->id, c->peer, s->session, cfg->resume_window);
    return true;
}

bool gw_desk_detached(const gw_client *c)
{
    return c->enc == GW_ENC_JSON && c->ops->queue_json && c->tp &&
           ((const gw_desk_sess *)c->tp)->wsi == NULL;
}

/* ---- scope --------------------------------------------------------------------- */

bool gw_desk_scope_ok(gw_client *c, const tl_msg *m, int64_t ref)
{
    if (!c->app)
        return true;
    const char *agent = tl_msg_get_str(m, TL_A_AgentID);
    if (agent && !gw_dn_set_contains(&c->app->agents, agent)) {
        gw_ctr.ws_scope_denied++;
        LOG_WARN(tlib, "client #%llu (%s, %s): agent %s outside its scope",
                 (unsigned long long)c->id, c->peer, c->app_name, agent);
        gw_tlib_send_error(c, AR_E_DN_NOT_ALLOWED, ref, "agent login %s not allowed for %s", agent,
                           c->app_name);
        return false;
    }
    const char *dn = tl_msg_get_str(m, TL_A_ThisDN);
    if (c->app->desktop && dn && !gw_dn_set_contains(&c->app->dns, dn)) {
        gw_ctr.ws_scope_denied++;
        LOG_WARN(tlib, "client #%llu (%s, desktop %s): DN %s outside its scope",
                 (unsigned long long)c->id, c->peer, c->app_name, dn);
        gw_tlib_send_error(c, AR_E_DN_NOT_ALLOWED, ref, "DN %s not allowed for desktop %s", dn,
                           c->app_name);
        return false;
    }
    return true;
}
