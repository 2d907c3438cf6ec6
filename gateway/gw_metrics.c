/* gatewayd counters, events/s, recent errors and the Prometheus text of /metrics. */
#include "gw_metrics.h"

#include <stdio.h>
#include <string.h>

#include "ar_buf.h"
#include "ar_log.h"
#include "gw_db.h"
#include "gw_desk.h"
#include "gw_health.h"
#include "gw_pool.h"
#include "gw_looptime.h"
#include "gw_sipio.h"
#include "gw_wsdelay.h"
#include "gw_dn.h"

#define RATE_SLOTS  10 /* seconds averaged by gw_metrics_events_rate() */
#define ERRORS_KEPT 32 /* recent WARN/ERROR records kept for the status page */

gw_metrics_counters gw_ctr;

static struct {
    gw_server *srv;
    guint tick;
    uint64_t samples[RATE_SLOTS + 1]; /* events_sent at the last ticks, oldest first */
    size_t nsamples;
    /* Recent errors: the log hook may run on any thread, hence the lock. */
    GMutex lock;
    gw_recent_error errors[ERRORS_KEPT];
    uint64_t errors_total;
} m;

static const char *const subsys_names[] = {
#define GW_M_SUB_NAME(n) #n,
    AR_LOG_SUBSYS(GW_M_SUB_NAME)
#undef GW_M_SUB_NAME
};

static void on_log(ar_log_subsys s, ar_log_level lvl, const char *msg)
{
    g_mutex_lock(&m.lock);
    gw_recent_error *e = &m.errors[m.errors_total % ERRORS_KEPT];
    e->us = g_get_real_time();
    g_strlcpy(e->subsys, (unsigned)s < G_N_ELEMENTS(subsys_names) ? subsys_names[s] : "?",
              sizeof e->subsys);
    g_strlcpy(e->level, lvl == AR_LOG_ERROR ? "error" : "warn", sizeof e->level);
    g_strlcpy(e->text, msg, sizeof e->text);
    m.errors_total++;
    g_mutex_unlock(&m.lock);
}

/* Once a second: remember the delivered-events counter (a sample, not a histogram). */
static gboolean on_tick(gpointer ud)
{
    (void)ud;
    if (m.nsamples == G_N_ELEMENTS(m.samples)) {
        memmove(m.samples, m.samples + 1, sizeof m.samples - sizeof m.samples[0]);
        m.nsamples--;
    }
    m.samples[m.nsamples++] = m.srv->events_sent;
    return G_SOURCE_CONTINUE;
}

void gw_metrics_start(gw_server *srv)
{
    m.srv = srv;
    m.nsamples = 0;
    m.tick = g_timeout_add_seconds(1, on_tick, NULL);
    ar_log_set_hook(on_log);
}

void gw_metrics_stop(void)
{
    ar_log_set_hook(NULL);
    if (m.tick)
        g_source_remove(m.tick);
    m.tick = 0;
    m.srv = NULL;
}

double gw_metrics_events_rate(void)
{
    if (m.nsamples < 2)
        return 0.0;
    return (double)(m.samples[m.nsamples - 1] - m.samples[0]) / (double)(m.nsamples - 1);
}

uint64_t gw_metrics_errors_total(void)
{
    g_mutex_lock(&m.lock);
    uint64_t n = m.errors_total;
    g_mutex_unlock(&m.lock);
    return n;
}

size_t gw_metrics_errors(gw_recent_error *out, size_t max)
{
    g_mutex_lock(&m.lock);
    size_t have = m.errors_total < ERRORS_KEPT ? (size_t)m.errors_total : ERRORS_KEPT;
    size_t n = have < max ? have : max;
    for (size_t i = 0; i < n; i++)
        out[i] = m.errors[(m.errors_total - 1 - i) % ERRORS_KEPT];
    g_mutex_unlock(&m.lock);
    return n;
}

/* One metric: HELP and TYPE lines, then the sample. */
static void metric(ar_buf *b, const char *name, const char *type, const char *help, double v)
{
    ar_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

char *gw_metrics_text(gw_server *srv)
{
    ar_buf b = {0};
    size_t by_tp[2] = {0, 0}, registered = 0, detached = 0;
    for (gw_client *c = srv->clients; c; c = c->next) {
        by_tp[c->enc == GW_ENC_JSON ? 1 : 0]++;
        registered += gw_client_registered(c);
        detached += gw_desk_detached(c);
    }
    size_t dns_registered = 0;
    for (size_t i = 0; i < srv->cfg->n_dns; i++) {
        gw_dn *dn = gw_dn_find(srv->dns, srv->cfg->dns[i].number);
        dns_registered += dn && gw_dn_nsubs(dn) > 0;
    }
    int64_t uptime = (g_get_monotonic_time() - srv->start_mono_us) / G_USEC_PER_SEC;

    ar_buf_printf(&b,
                  "# HELP gatewayd_clients Connected T-Lib clients by transport.\n"
                  "# TYPE gatewayd_clients gauge\n"
                  "gatewayd_clients{transport=\"tcp\"} %zu\n"
                  "gatewayd_clients{transport=\"ws\"} %zu\n",
                  by_tp[0], by_tp[1]);
    metric(&b, "gatewayd_clients_registered", "gauge",
           "Clients registered as an application or authenticated as a desktop.",
           (double)registered);
    metric(&b, "gatewayd_uptime_seconds", "gauge", "Seconds since gatewayd started.",
           (double)uptime);
    metric(&b, "gatewayd_events_sent_total", "counter",
           "T-Lib messages queued to clients (events and replies).", (double)srv->events_sent);
    metric(&b, "gatewayd_events_per_second", "gauge",
           "Messages delivered per second, averaged over the last 10 s.", gw_metrics_events_rate());
    metric(&b, "gatewayd_queue_drops_total", "counter",
           "Clients dropped because their output queue passed client-queue-limit.",
           (double)srv->clients_dropped);
    metric(&b, "gatewayd_dns_configured", "gauge", "DNs in the configuration.",
           (double)srv->cfg->n_dns);
    metric(&b, "gatewayd_dns_registered", "gauge",
           "DNs with at least one T-Lib client registered on them.", (double)dns_registered);
    metric(&b, "gatewayd_ws_auth_total", "counter", "Desktop authentications accepted.",
           (double)gw_ctr.ws_auth_ok);
    metric(&b, "gatewayd_ws_auth_failures_total", "counter",
           "Desktop authentications refused (close 4001).", (double)gw_ctr.ws_auth_failed);
    metric(&b, "gatewayd_ws_scope_denied_total", "counter",
           "Requests outside a token's DN or agent scope.", (double)gw_ctr.ws_scope_denied);
    metric(&b, "gatewayd_ws_refused_source_total", "counter",
           "WebSocket upgrades refused by max-connections-per-source.",
           (double)gw_ctr.ws_refused_source);
    metric(&b, "gatewayd_ws_too_large_total", "counter",
           "WebSocket messages over max-frame-size (close 1009).", (double)gw_ctr.ws_too_large);
    ar_buf_printf(&b,
                  "# HELP gatewayd_ws_resume_total Resume requests by outcome.\n"
                  "# TYPE gatewayd_ws_resume_total counter\n"
                  "gatewayd_ws_resume_total{outcome=\"replayed\"} %llu\n"
                  "gatewayd_ws_resume_total{outcome=\"snapshot\"} %llu\n"
                  "gatewayd_ws_resume_total{outcome=\"refused\"} %llu\n",
                  (unsigned long long)gw_ctr.ws_resumed,
                  (unsigned long long)gw_ctr.ws_resume_snapshot,
                  (unsigned long long)gw_ctr.ws_resume_failed);
    metric(&b, "gatewayd_ws_snapshots_total", "counter", "Desktop snapshots sent.",
           (double)gw_ctr.ws_snapshots);
    metric(&b, "gatewayd_ws_heartbeat_timeouts_total", "counter",
           "WebSocket sessions closed for not answering pings.",
           (double)gw_ctr.ws_heartbeat_timeout);
    metric(&b, "gatewayd_ws_detached_sessions", "gauge",
           "Closed desktop sessions waiting to be resumed.", (double)detached);
    metric(&b, "gatewayd_status_streams_total", "counter", "Status page streams opened.",
           (double)gw_ctr.status_streams);
    metric(&b, "gatewayd_http_unauthorized_total", "counter",
           "/metrics or /status requests without the status-token.",
           (double)gw_ctr.http_unauthorized);
    ar_buf_printf(&b,
                  "# HELP gatewayd_sip_shed_total SIP requests refused 503 by load shedding.\n"
                  "# TYPE gatewayd_sip_shed_total counter\n"
                  "gatewayd_sip_shed_total{reason=\"max_calls\"} %llu\n"
                  "gatewayd_sip_shed_total{reason=\"call_rate\"} %llu\n"
                  "gatewayd_sip_shed_total{reason=\"register_rate\"} %llu\n",
                  (unsigned long long)gw_ctr.sip_shed[1], (unsigned long long)gw_ctr.sip_shed[2],
                  (unsigned long long)gw_ctr.sip_shed[3]);
    metric(&b, "gatewayd_log_errors_total", "counter", "WARN and ERROR log records.",
           (double)gw_metrics_errors_total());
    gw_desk_metrics_text(srv, &b);
    gw_wsdelay_metrics_text(&b);
    gw_looptime_metrics_text(&b);
    gw_sipio_stats io;
    gw_sipio_get_stats(&io);
    ar_buf_printf(&b,
                  "# HELP gatewayd_sip_udp_batch_calls_total recvmmsg / sendmmsg calls of the "
                  "SIP stack thread (sip-batch-io).\n"
                  "# TYPE gatewayd_sip_udp_batch_calls_total counter\n"
                  "gatewayd_sip_udp_batch_calls_total{dir=\"recv\"} %llu\n"
                  "gatewayd_sip_udp_batch_calls_total{dir=\"send\"} %llu\n"
                  "# HELP gatewayd_sip_udp_batch_datagrams_total SIP datagrams they moved; "
                  "refused = not sent after a retry.\n"
                  "# TYPE gatewayd_sip_udp_batch_datagrams_total counter\n"
                  "gatewayd_sip_udp_batch_datagrams_total{dir=\"recv\"} %llu\n"
                  "gatewayd_sip_udp_batch_datagrams_total{dir=\"send\"} %llu\n"
                  "gatewayd_sip_udp_batch_datagrams_total{dir=\"refused\"} %llu\n",
                  (unsigned long long)io.recv_calls, (unsigned long long)io.send_calls,
                  (unsigned long long)io.recv_datagrams, (unsigned long long)io.send_datagrams,
                  (unsigned long long)io.send_dropped);
    gw_health_metrics_text(srv->health, &b);
    gw_pools_metrics_text(srv->pools, &b);
    if (srv->db) {
        gw_db_stats st;
        gw_db_get_stats(srv->db, &st);
        metric(&b, "gatewayd_db_up", "gauge", "1 when the PostgreSQL writer is ready.",
               st.state == GW_DB_READY);
        metric(&b, "gatewayd_db_backlog_rows", "gauge",
               "Rows waiting for PostgreSQL (queued and in flight).",
               (double)(st.queued + st.inflight));
        metric(&b, "gatewayd_db_journal_bytes", "gauge",
               "Bytes in the journal kept while the database is away.", (double)st.journal_bytes);
        metric(&b, "gatewayd_db_rows_written_total", "counter", "Rows acknowledged by PostgreSQL.",
               (double)st.written);
        metric(&b, "gatewayd_db_rows_dropped_total", "counter",
               "Rows lost (journal full or unwritable).", (double)st.dropped);
    }
    if (ar_buf_append(&b, "", 1)) {
        ar_buf_free(&b);
        return NULL;
    }
    char *s = g_strdup((const char *)ar_buf_head(&b));
    ar_buf_free(&b);
    return s;
}
