/* Internal to the pool modules (gw_pool.c, gw_pool_select.c, gw_health.c): the structures. */
#ifndef GW_POOL_INT_H
#define GW_POOL_INT_H

#include <glib.h>

#include "gw_pool.h"

typedef struct gw_pool gw_pool;

/* mediad's counters from its OPTIONS answer (md_health.c), relayed to /metrics. */
#define GW_POOL_STATS(X)                                                                           \
    X(SESSIONS, "sessions", "mediad_sessions", "Calls in progress on the mediad.")                 \
    X(RECORDINGS, "recordings", "mediad_recordings", "Recording sessions on the mediad.")          \
    X(STREAMS, "streams", "mediad_streams", "RTP streams open on the mediad.")                     \
    X(PACKETS_IN, "packetsIn", "mediad_packets_in", "RTP packets received (calls in progress).")   \
    X(PACKETS_OUT, "packetsOut", "mediad_packets_out", "RTP packets sent (calls in progress).")    \
    X(PACKETS_LOST, "packetsLost", "mediad_packets_lost", "RTP packets lost (calls in progress).") \
    X(MALFORMED, "malformed", "mediad_packets_malformed", "Malformed RTP/RTCP packets dropped.")
typedef enum {
#define GW_POOL_STAT_ENUM(e, key, metric, help) GW_POOL_STAT_##e,
    GW_POOL_STATS(GW_POOL_STAT_ENUM)
#undef GW_POOL_STAT_ENUM
        GW_POOL_NSTATS
} gw_pool_stat;

typedef struct {
    bool valid;
    uint64_t v[GW_POOL_NSTATS];
} gw_pool_stats;

#define GW_POOL_STATS_MAX 4096 /* longest OPTIONS body taken */

/*
 * Parse an OPTIONS answer body: Content-Type application/json, a JSON object whose known
 * keys (GW_POOL_STATS) are non-negative integers (unknown keys are ignored). Returns
 * AR_E_OK with *out filled, else AR_E_BAD_JSON / AR_E_WRONG_TYPE / AR_E_INVALID_VALUE with
 * why filled (out->valid false). A network parser: never trusts len or content.
 */
int gw_pool_stats_parse(const char *ctype, const char *body, size_t len, gw_pool_stats *out,
                        char *why, size_t cap);

struct gw_pool_member {
    gw_pool *pool; /* NULL once removed by a reload (draining) */
    char *name;    /* "msml" (DN), "recorder", or the member's dn= / "POOL/N" */
    char *label;   /* "media server msml", "recorder recs/1": log lines */
    char *uri;
    char *geo;        /* own or the pool's, NULL = untagged */
    char *dn;         /* DN for events, NULL = none */
    char *redundancy; /* "active" */
    unsigned capacity, used;
    unsigned refs;      /* the pool's (while not removed) + one per lease holding it */
    int check_s, force; /* OPTIONS period (0 = no monitor) and misses before out of service */
    int retry_s;        /* monitor none: seconds a failed member stays out (the interval) */
    gw_pool_health health;
    int misses;            /* in a row */
    uint64_t misses_total; /* since start */
    uint64_t picks, failures;
    int64_t rtt_us;      /* of the last answered OPTIONS, -1 = none */
    int64_t last_ok_us;  /* wall clock of the last 2xx, 0 = never */
    int64_t retry_at_us; /* monitor none: failed until (monotonic), 0 = not failed */
    char *stats_json;    /* mediad's OPTIONS body (packet counters), NULL = none */
    gw_pool_stats stats; /* the same, parsed (stats.valid false = none) */
    bool stats_bad;      /* the last body was rejected (logged once per change) */
    int line;
};

struct gw_pool {
    char *name;
    gw_pool_kind kind;
    gw_pool_scheme scheme;
    bool implicit;      /* from msml DNs / recording-dest */
    GPtrArray *members; /* gw_pool_member *, config order */
    guint cursor;       /* round-robin / least-used tie-break start */
};

/* Health transitions: gw_health publishes EventDNOutOfService / EventDNBackInService. */
typedef void (*gw_pools_health_fn)(void *ud, gw_pool_member *m, bool in_service);

struct gw_pools {
    GPtrArray *pools; /* gw_pool * */
    bool geo_reject;  /* reject-recording-request-on-geo-location-nomatch */
    gw_pools_health_fn on_health;
    void *on_health_ud;
};

/* A reference for a holder outside the pool (the OPTIONS monitor's targets). */
void gw_pool_member_ref(gw_pool_member *m);
void gw_pool_member_unref(gw_pool_member *m);

/* Append v as a Prometheus label value: backslash, double quote and newline escaped. */
void gw_pool_label(ar_buf *b, const char *v);

/* Set a member's health (logs the change, calls on_health on a real change). */
void gw_pool_member_set_health(gw_pools *pools, gw_pool_member *m, gw_pool_health h,
                               const char *why);

#endif
