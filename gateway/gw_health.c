/* SIP OPTIONS health checks of media servers (msml VoIP Service DNs) and the recorder. */
#include "gw_health.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_dn.h"
#include "gw_pool_int.h"
#include "gw_rec.h"
#include "tl_msg.h"

/* One monitored pool member; health and counters live in the member (gw_pool_int.h). */
typedef struct {
    gw_health *h;
    gw_pool_member *m; /* holds a reference: a reload may drop it from its pool */
    const char *kind;  /* "media server" | "recorder" */
    int64_t sent_us;   /* monotonic, when the ping in flight went out */
    gw_sip_ping *ping; /* in flight, NULL = none */
    guint timer;
} ht_target;

struct gw_health {
    gw_server *srv;
    gw_sip *sip;
    GPtrArray *targets; /* ht_target * */
};

static const char *state_name(gw_pool_health s)
{
    return s == GW_POOL_IN_SERVICE       ? "In service"
           : s == GW_POOL_OUT_OF_SERVICE ? "Out of service"
                                         : "Unknown";
}

/* Pool health change of a member with a DN: EventDNOutOfService / EventDNBackInService. */
static void publish(void *ud, gw_pool_member *m, bool in)
{
    gw_server *srv = ud;
    if (!in)
        gw_rec_member_down(srv, m); /* mediad failover for its calls (docs/failover.md) */
    if (!m->dn)
        return;
    gw_dn *dn = gw_dn_find(srv->dns, m->dn);
    if (!dn)
        return;
    tl_msg *msg = tl_msg_new(in ? TL_M_EventDNBackInService : TL_M_EventDNOutOfService);
    if (msg && tl_msg_set_str(msg, TL_A_ThisDN, m->dn) == 0) {
        gw_server_publish(srv, dn, msg);
        gw_server_flush(srv);
    }
    tl_msg_free(&msg);
}

static void miss(ht_target *t, const char *why)
{
    gw_pool_member *m = t->m;
    m->misses++;
    m->misses_total++;
    LOG_DEBUG(rec, "%s: check missed (%s), %d in a row", m->label, why, m->misses);
    if (m->misses >= m->force)
        gw_pool_member_set_health(t->h->srv->pools, m, GW_POOL_OUT_OF_SERVICE, why);
}

/* mediad's counters in a 2xx body (md_health.c): kept for /metrics and the status page. */
static void take_stats(ht_target *t, const char *ctype, const char *body)
{
    gw_pool_member *m = t->m;
    if (!body || !*body) {
        m->stats.valid = false; /* a recorder: no body, nothing to relay */
        return;
    }
    char why[128];
    gw_pool_stats st;
    if (gw_pool_stats_parse(ctype, body, strlen(body), &st, why, sizeof why) != AR_E_OK) {
        if (!m->stats_bad)
            LOG_WARN(rec, "%s (%s): OPTIONS answer body ignored: %s", m->label, m->uri, why);
        m->stats_bad = true;
        m->stats.valid = false;
        g_free(m->stats_json);
        m->stats_json = NULL;
        return;
    }
    m->stats_bad = false;
    m->stats = st;
    g_free(m->stats_json);
    m->stats_json = g_strdup(body);
}

static void on_answer(void *ud, int status, const char *phrase, const char *ctype, const char *body)
{
    ht_target *t = ud;
    t->ping = NULL; /* gw_sip frees it after this returns */
    if (status >= 200 && status < 300) {
        take_stats(t, ctype, body);
        t->m->rtt_us = g_get_monotonic_time() - t->sent_us;
        t->m->last_ok_us = g_get_real_time();
        t->m->misses = 0;
        gw_pool_member_set_health(t->h->srv->pools, t->m, GW_POOL_IN_SERVICE, NULL);
        return;
    }
    char why[96];
    snprintf(why, sizeof why, "OPTIONS answered %d %s", status, phrase ? phrase : "");
    miss(t, why);
}

static gboolean on_check(gpointer ud)
{
    ht_target *t = ud;
    if (t->ping) {
        /* No final answer within one period: a miss (nua's own timeout is 32 s). */
        gw_sip_ping_cancel(t->h->sip, &t->ping);
        miss(t, "no answer to OPTIONS");
    }
    t->sent_us = g_get_monotonic_time();
    t->ping = gw_sip_options_ping(t->h->sip, t->m->uri, on_answer, t);
    if (!t->ping)
        miss(t, "OPTIONS could not be sent");
    return G_SOURCE_CONTINUE;
}

static void target_free(gpointer data)
{
    ht_target *t = data;
    if (t->timer)
        g_source_remove(t->timer);
    gw_sip_ping_cancel(t->h->sip, &t->ping);
    gw_pool_member_unref(t->m);
    g_free(t);
}

static void add_target(gw_health *h, gw_pool *p, gw_pool_member *m)
{
    if (m->check_s <= 0)
        return;
    ht_target *t = g_new0(ht_target, 1);
    t->h = h;
    t->m = m;
    gw_pool_member_ref(m);
    t->kind = p->kind == GW_POOL_MEDIAD ? "media server" : "recorder";
    t->timer = g_timeout_add_seconds((guint)m->check_s, on_check, t);
    g_ptr_array_add(h->targets, t);
    LOG_INFO(rec, "%s (%s): OPTIONS every %d s, out of service after %d misses", m->label, m->uri,
             m->check_s, m->force);
    on_check(t); /* first check now: the page shows a state within one RTT */
}

/* One target per monitored member of every pool. */
static void build(gw_health *h)
{
    const gw_pools *pools = h->srv->pools;
    for (guint i = 0; pools && i < pools->pools->len; i++) {
        gw_pool *p = g_ptr_array_index(pools->pools, i);
        for (guint k = 0; k < p->members->len; k++)
            add_target(h, p, g_ptr_array_index(p->members, k));
    }
}

gw_health *gw_health_new(gw_server *srv, gw_sip *sip)
{
    if (!sip || !srv->pools)
        return NULL;
    gw_health *h = g_new0(gw_health, 1);
    h->srv = srv;
    h->sip = sip;
    h->targets = g_ptr_array_new_with_free_func(target_free);
    srv->pools->on_health = publish;
    srv->pools->on_health_ud = srv;
    build(h);
    return h;
}

void gw_health_reload(gw_health *h)
{
    if (!h)
        return;
    g_ptr_array_set_size(h->targets, 0);
    build(h);
}

void gw_health_free(gw_health **ph)
{
    gw_health *h = *ph;
    if (!h)
        return;
    if (h->srv->pools)
        h->srv->pools->on_health = NULL;
    g_ptr_array_free(h->targets, TRUE);
    g_free(h);
    *ph = NULL;
}

/* Recordings in progress through this media server / to this recorder. */
static size_t recordings(const ht_target *t)
{
    gw_calls *calls = t->h->srv->calls;
    if (!t->m->pool || !t->m->pool->implicit)
        return t->m->used / 2; /* a recording holds one port per recorded stream (two) */
    return t->m->dn ? gw_rec_count(calls, t->m->dn, NULL) : gw_rec_count(calls, NULL, t->m->uri);
}

json_object *gw_health_json(const gw_health *h)
{
    json_object *a = json_object_new_array();
    for (guint i = 0; h && i < h->targets->len; i++) {
        const ht_target *t = g_ptr_array_index(h->targets, i);
        const gw_pool_member *m = t->m;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(m->name));
        json_object_object_add(o, "kind", json_object_new_string(t->kind));
        json_object_object_add(o, "pool", m->pool ? json_object_new_string(m->pool->name) : NULL);
        json_object_object_add(o, "address", json_object_new_string(m->uri));
        json_object_object_add(o, "state", json_object_new_string(state_name(m->health)));
        json_object_object_add(
            o, "rttMs", m->rtt_us >= 0 ? json_object_new_double((double)m->rtt_us / 1000.0) : NULL);
        json_object_object_add(o, "misses", json_object_new_int(m->misses));
        json_object_object_add(o, "recordings", json_object_new_int64((int64_t)recordings(t)));
        json_object_object_add(o, "portsInUse", json_object_new_int64(m->used));
        json_object_object_add(o, "lastAnswer",
                               json_object_new_int64(m->last_ok_us / G_USEC_PER_SEC));
        json_object_array_add(a, o);
    }
    return a;
}

void gw_health_metrics_text(const gw_health *h, ar_buf *b)
{
    if (!h || !h->targets->len)
        return;
    static const char *const head[4] = {
        "# HELP gatewayd_media_up 1 when the media server / recorder answers OPTIONS.\n"
        "# TYPE gatewayd_media_up gauge\n",
        "# HELP gatewayd_media_rtt_seconds Round trip of the last answered OPTIONS.\n"
        "# TYPE gatewayd_media_rtt_seconds gauge\n",
        "# HELP gatewayd_media_misses_total OPTIONS checks missed (no answer or not 2xx).\n"
        "# TYPE gatewayd_media_misses_total counter\n",
        "# HELP gatewayd_media_recordings Recordings in progress through it.\n"
        "# TYPE gatewayd_media_recordings gauge\n",
    };
    static const char *const names[4] = {"gatewayd_media_up", "gatewayd_media_rtt_seconds",
                                         "gatewayd_media_misses_total",
                                         "gatewayd_media_recordings"};
    for (int k = 0; k < 4; k++) {
        ar_buf_printf(b, "%s", head[k]);
        for (guint i = 0; i < h->targets->len; i++) {
            const ht_target *t = g_ptr_array_index(h->targets, i);
            const gw_pool_member *m = t->m;
            if (k == 1 && m->rtt_us < 0)
                continue;
            ar_buf_printf(b, "%s{name=\"", names[k]);
            gw_pool_label(b, m->name);
            if (k == 0) {
                ar_buf_printf(b, "\",kind=\"");
                gw_pool_label(b, t->kind);
            }
            ar_buf_printf(b, "\"} ");
            if (k == 0)
                ar_buf_printf(b, "%d\n", m->health == GW_POOL_IN_SERVICE);
            else if (k == 1)
                ar_buf_printf(b, "%.6f\n", (double)m->rtt_us / 1e6);
            else if (k == 2)
                ar_buf_printf(b, "%llu\n", (unsigned long long)m->misses_total);
            else
                ar_buf_printf(b, "%zu\n", recordings(t));
        }
    }
}
