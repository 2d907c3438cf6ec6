/* gatewayd counters, events/s, recent errors and the Prometheus text of /metrics. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "gw_server.h"

/* Counters bumped inline where things happen (plain increments: one loop thread). */
typedef struct {
    uint64_t ws_auth_ok;           /* desktop authentications accepted */
    uint64_t ws_auth_failed;       /* bad or missing token (close 4001) */
    uint64_t ws_scope_denied;      /* requests outside a token's scope */
    uint64_t ws_refused_source;    /* WebSocket upgrades over max-connections-per-source */
    uint64_t ws_too_large;         /* messages over max-frame-size (close 1009) */
    uint64_t ws_resumed;           /* Resume answered from the replay ring */
    uint64_t ws_resume_snapshot;   /* Resume answered with a snapshot (too old) */
    uint64_t ws_resume_failed;     /* Resume refused (unknown session, future seq) */
    uint64_t ws_snapshots;         /* Snapshot messages sent */
    uint64_t ws_heartbeat_timeout; /* sessions closed by the lws idle policy */
    uint64_t ws_pings;             /* application-level Ping answered */
    uint64_t ws_detached_expired;  /* closed desktop sessions never resumed */
    uint64_t status_streams;       /* /status streams opened */
    uint64_t http_unauthorized;    /* /metrics or /status without the credential */
    uint64_t sip_shed[4];          /* INVITE / REGISTER refused 503 by gw_overload (by verdict) */
} gw_metrics_counters;

extern gw_metrics_counters gw_ctr;

/* One WARN/ERROR log record kept for the status page. */
typedef struct {
    int64_t us; /* wall clock */
    char subsys[8];
    char level[6];
    char text[240];
} gw_recent_error;

/* Start the 1 s events/s sampler and the recent-errors log hook. */
void gw_metrics_start(gw_server *srv);
void gw_metrics_stop(void);
/* Events delivered per second, averaged over the last 10 s. */
double gw_metrics_events_rate(void);
/* Count of WARN/ERROR records since start (changes when a new one arrives). */
uint64_t gw_metrics_errors_total(void);
/* Copy up to max recent errors, newest first; returns how many. */
size_t gw_metrics_errors(gw_recent_error *out, size_t max);
/* The /metrics body (Prometheus text format 0.0.4); g_free() it. */
char *gw_metrics_text(gw_server *srv);

#endif
