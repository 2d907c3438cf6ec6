/* SIP OPTIONS health checks of media servers (msml VoIP Service DNs) and the recorder. */
#include "gw_health.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ar_log.h"
#include "gw_dn.h"
#include "gw_rec.h"
#include "tl_msg.h"

typedef enum { HT_UNKNOWN, HT_IN, HT_OUT } ht_state;

typedef struct {
    gw_health *h;
    char *name;    /* the DN number, or "recorder" */
    char *label;   /* "media server msml", "recorder": log lines */
    char *dn;      /* DN to publish transitions on, NULL for the recorder */
    char *address; /* SIP URI pinged */
    const char *kind;
    int check_s, force;
    ht_state state;
    int misses;            /* in a row */
    uint64_t misses_total; /* since start */
    int64_t sent_us;       /* monotonic, when the ping in flight went out */
    int64_t last_ok_us;    /* wall clock of the last 2xx, 0 = never */
    int64_t rtt_us;        /* of the last 2xx, -1 = none yet */
    gw_sip_ping *ping;     /* in flight, NULL = none */
    guint timer;
} ht_target;

struct gw_health {
    gw_server *srv;
    gw_sip *sip;
    GPtrArray *targets; /* ht_target * */
};

static const char *state_name(ht_state s)
{
    return s == HT_IN ? "In service" : s == HT_OUT ? "Out of service" : "Unknown";
}

/* For a DN target: EventDNOutOfService / EventDNBackInService to its subscribers. */
static void publish(ht_target *t, bool in)
{
    if (!t->dn)
        return;
    gw_dn *dn = gw_dn_find(t->h->srv->dns, t->dn);
    if (!dn)
        return;
    tl_msg *m = tl_msg_new(in ? TL_M_EventDNBackInService : TL_M_EventDNOutOfService);
    if (m && tl_msg_set_str(m, TL_A_ThisDN, t->dn) == 0) {
        gw_server_publish(t->h->srv, dn, m);
        gw_server_flush(t->h->srv);
    }
    tl_msg_free(&m);
}

static void set_state(ht_target *t, ht_state s, const char *why)
{
    if (t->state == s)
        return;
    ht_state was = t->state;
    t->state = s;
    if (s == HT_OUT)
        LOG_WARN(rec, "%s (%s) out of service: %s", t->label, t->address, why);
    else
        LOG_INFO(rec, "%s (%s) in service", t->label, t->address);
    /* The first answer after start is no news: only a real change is an event. */
    if (s == HT_OUT || was == HT_OUT)
        publish(t, s == HT_IN);
}

static void miss(ht_target *t, const char *why)
{
    t->misses++;
    t->misses_total++;
    LOG_DEBUG(rec, "%s: check missed (%s), %d in a row", t->label, why, t->misses);
    if (t->misses >= t->force)
        set_state(t, HT_OUT, why);
}

static void on_answer(void *ud, int status, const char *phrase)
{
    ht_target *t = ud;
    t->ping = NULL; /* gw_sip frees it after this returns */
    if (status >= 200 && status < 300) {
        t->rtt_us = g_get_monotonic_time() - t->sent_us;
        t->last_ok_us = g_get_real_time();
        t->misses = 0;
        set_state(t, HT_IN, NULL);
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
    t->ping = gw_sip_options_ping(t->h->sip, t->address, on_answer, t);
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
    g_free(t->name);
    g_free(t->label);
    g_free(t->dn);
    g_free(t->address);
    g_free(t);
}

static void add_target(gw_health *h, const char *kind, const char *name, const char *dn,
                       const char *address, int check_s, int force)
{
    if (check_s <= 0 || !address || !*address)
        return;
    ht_target *t = g_new0(ht_target, 1);
    t->h = h;
    t->kind = kind;
    t->name = g_strdup(name);
    t->label = strcmp(kind, name) ? g_strdup_printf("%s %s", kind, name) : g_strdup(kind);
    t->dn = g_strdup(dn);
    t->address = g_strdup(address);
    t->check_s = check_s;
    t->force = force < 1 ? 1 : force;
    t->rtt_us = -1;
    t->timer = g_timeout_add_seconds((guint)check_s, on_check, t);
    g_ptr_array_add(h->targets, t);
    LOG_INFO(rec, "%s (%s): OPTIONS every %d s, out of service after %d misses", t->label, address,
             check_s, t->force);
    on_check(t); /* first check now: the page shows a state within one RTT */
}

gw_health *gw_health_new(gw_server *srv, gw_sip *sip)
{
    if (!sip)
        return NULL;
    const gw_config *cfg = srv->cfg;
    gw_health *h = g_new0(gw_health, 1);
    h->srv = srv;
    h->sip = sip;
    h->targets = g_ptr_array_new_with_free_func(target_free);
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const gw_dn_conf *d = &cfg->dns[i];
        if (d->type != GW_DN_VOIP_SERVICE || !d->service_type || strcmp(d->service_type, "msml"))
            continue;
        add_target(h, "media server", d->number, d->number, d->contact,
                   d->oos_check >= 0 ? d->oos_check : cfg->media_oos_check,
                   d->oos_force >= 0 ? d->oos_force : cfg->media_oos_force);
    }
    add_target(h, "recorder", "recorder", NULL, cfg->rec.recording_dest, cfg->recorder_oos_check,
               cfg->recorder_oos_force);
    if (h->targets->len == 0)
        gw_health_free(&h);
    return h;
}

void gw_health_free(gw_health **ph)
{
    gw_health *h = *ph;
    if (!h)
        return;
    g_ptr_array_free(h->targets, TRUE);
    g_free(h);
    *ph = NULL;
}

/* Recordings in progress through this media server / to this recorder. */
static size_t recordings(const ht_target *t)
{
    gw_calls *calls = t->h->srv->calls;
    return t->dn ? gw_rec_count(calls, t->dn, NULL) : gw_rec_count(calls, NULL, t->address);
}

json_object *gw_health_json(const gw_health *h)
{
    json_object *a = json_object_new_array();
    for (guint i = 0; h && i < h->targets->len; i++) {
        const ht_target *t = g_ptr_array_index(h->targets, i);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(t->name));
        json_object_object_add(o, "kind", json_object_new_string(t->kind));
        json_object_object_add(o, "address", json_object_new_string(t->address));
        json_object_object_add(o, "state", json_object_new_string(state_name(t->state)));
        json_object_object_add(
            o, "rttMs", t->rtt_us >= 0 ? json_object_new_double((double)t->rtt_us / 1000.0) : NULL);
        json_object_object_add(o, "misses", json_object_new_int(t->misses));
        json_object_object_add(o, "recordings", json_object_new_int64((int64_t)recordings(t)));
        json_object_object_add(o, "lastAnswer",
                               json_object_new_int64(t->last_ok_us / G_USEC_PER_SEC));
        json_object_array_add(a, o);
    }
    return a;
}

void gw_health_metrics_text(const gw_health *h, ar_buf *b)
{
    if (!h)
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
    for (int k = 0; k < 4; k++) {
        ar_buf_printf(b, "%s", head[k]);
        for (guint i = 0; i < h->targets->len; i++) {
            const ht_target *t = g_ptr_array_index(h->targets, i);
            if (k == 0)
                ar_buf_printf(b, "gatewayd_media_up{name=\"%s\",kind=\"%s\"} %d\n", t->name,
                              t->kind, t->state == HT_IN);
            else if (k == 1 && t->rtt_us >= 0)
                ar_buf_printf(b, "gatewayd_media_rtt_seconds{name=\"%s\"} %.6f\n", t->name,
                              (double)t->rtt_us / 1e6);
            else if (k == 2)
                ar_buf_printf(b, "gatewayd_media_misses_total{name=\"%s\"} %llu\n", t->name,
                              (unsigned long long)t->misses_total);
            else if (k == 3)
                ar_buf_printf(b, "gatewayd_media_recordings{name=\"%s\"} %zu\n", t->name,
                              recordings(t));
        }
    }
}
