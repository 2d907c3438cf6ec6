/* Pools of mediad instances and recorders: members, port leases, health, geo selection. */
#ifndef GW_POOL_H
#define GW_POOL_H

/*
 * A pool (the seed's resource group) is a `[pool NAME]` section of gatewayd.conf with a
 * kind (mediad | recorder), a balancing scheme (round-robin | least-used | parallel,
 * parallel for recorders only), a monitor (options | none) with interval and misses,
 * an optional geo-location and member lines (uri, ports, geo-location, redundancy,
 * sip-port, sips-port). Without any [pool] section the msml VoIP Service DNs form an
 * implicit mediad pool "msml" and [gateway] recording-dest an implicit recorder pool
 * "recording-dest" (one member each), so older configurations behave as before.
 *
 * A lease holds `ports` ports on one member (or, for a parallel pool, on every member
 * the INVITE is forked to until gw_pool_lease_settle()). Every path that ends a mediad
 * leg or a recording session releases its lease exactly once; ports in use are the sum
 * of live leases, so they stay exact across call ends, failures and reloads. A member
 * removed by a reload is kept (draining, never picked) until its last lease is released.
 * Full description: docs/pools.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ar_buf.h"
#include "gw_config.h"

typedef enum { GW_POOL_MEDIAD, GW_POOL_RECORDER } gw_pool_kind;
typedef enum { GW_POOL_ROUND_ROBIN, GW_POOL_LEAST_USED, GW_POOL_PARALLEL } gw_pool_scheme;
typedef enum { GW_POOL_UNKNOWN, GW_POOL_IN_SERVICE, GW_POOL_OUT_OF_SERVICE } gw_pool_health;

typedef struct gw_pools gw_pools;
typedef struct gw_pool_member gw_pool_member;
typedef struct gw_pool_lease gw_pool_lease;

/* Pools from the configuration (explicit [pool] sections, else the implicit ones). */
gw_pools *gw_pools_new(const gw_config *cfg);
void gw_pools_free(gw_pools **pools);
/*
 * SIGHUP: rebuild from cfg. Members are matched by (pool, uri): a kept member keeps its
 * ports in use, health and counters; a new member starts Unknown (pickable); a removed
 * one drains. Calls in progress keep their leases.
 */
void gw_pools_reload(gw_pools *pools, const gw_config *cfg);

/* What to pick. */
typedef struct {
    gw_pool_kind kind;
    const char *pool; /* pool name, NULL = the first pool of this kind */
    const char *geo;  /* call's geo-location (gw_pool_geo_for_call), NULL = none */
    bool geo_strict;  /* reject-recording-request-on-geo-location-nomatch */
    const gw_pool_member *const *exclude; /* members not to pick (failed for this call) */
    size_t nexclude;
    unsigned ports; /* ports to hold: one per recorded stream */
} gw_pool_req;

/*
 * Pick a member (round-robin / least-used among in-service members with room, matching
 * geo when the pool's members are tagged) and hold the ports. Returns AR_E_OK with *out
 * set, or AR_E_POOL_NO_MEMBER (no pool, all out of service or full) or
 * AR_E_POOL_GEO_NOMATCH (geo_strict and no member has the tag), with why filled.
 */
int gw_pool_pick(gw_pools *pools, const gw_pool_req *req, gw_pool_lease **out, char *why,
                 size_t cap);

/* The member's SIP URI; for an unsettled parallel lease the first of the fork set. */
const char *gw_pool_lease_uri(const gw_pool_lease *l);
const gw_pool_member *gw_pool_lease_member(const gw_pool_lease *l);
/* Parallel pools: the members the INVITE is forked to (1 for other schemes). */
size_t gw_pool_lease_count(const gw_pool_lease *l);
const char *gw_pool_lease_uri_at(const gw_pool_lease *l, size_t i);
/* Parallel pools: uri answered first; the ports on the other members are released. */
void gw_pool_lease_settle(gw_pool_lease *l, const char *uri);
/* Give the ports back (NULL-safe, sets *l = NULL: a second call is a no-op). */
void gw_pool_lease_release(gw_pool_lease **l);

/*
 * A call found member broken (INVITE rejected/timed out, dropped mid-call): it goes out of
 * service at once, logged with reason; the monitor puts it back on its next answer (with
 * monitor none: after the pool's interval).
 */
void gw_pool_member_failed(gw_pools *pools, const gw_pool_member *m, const char *reason);

const char *gw_pool_member_uri(const gw_pool_member *m);
const char *gw_pool_member_dn(const gw_pool_member *m); /* DN for events, NULL = none */
gw_pool_health gw_pool_member_health(const gw_pool_member *m);
unsigned gw_pool_member_ports_used(const gw_pool_member *m);

/* The status page's "pools" section and /metrics lines (gatewayd_pool_*). */
json_object *gw_pools_json(const gw_pools *pools);
void gw_pools_metrics_text(const gw_pools *pools, ar_buf *b);

#endif
