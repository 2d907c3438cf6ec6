/* Recording controller's use of the pools: geo-location, mediad and recorder picks per call. */
#include "gw_rec_pool.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_pool_select.h"

char *gw_rec_pool_geo(gw_call *call, const gw_rec_req *r)
{
    const gw_config *cfg = call->calls->srv->cfg;
    gw_geo_facts f;
    gw_pool_geo_facts(call, r->started_by, r->side, r->record_dn, r->req_dn, r->geo, &f);
    if (r->route_target)
        f.agent = r->route_target; /* routing: the agent is not a party of the call yet */
    char from[96];
    const char *g = gw_pool_geo_select(cfg, &f, from, sizeof from);
    if (g)
        LOG_INFO(rec, "call %016llx: geo-location %s (from %s, %s recording)",
                 (unsigned long long)call->connid, g, from, r->started_by ? r->started_by : "?");
    return g ? g_strdup(g) : NULL;
}

int gw_rec_pool_mediad(gw_call *call, const char *geo, const gw_pool_member *const *exclude,
                       size_t nexclude, gw_pool_lease **out, char *why, size_t cap)
{
    gw_server *srv = call->calls->srv;
    gw_pool_req q = {.kind = GW_POOL_MEDIAD,
                     .geo = geo,
                     .geo_strict = srv->cfg->geo_nomatch_reject,
                     .exclude = exclude,
                     .nexclude = nexclude,
                     .ports = GW_REC_MEDIAD_PORTS};
    int err = gw_pool_pick(srv->pools, &q, out, why, cap);
    if (err == AR_E_POOL_NO_MEMBER && !srv->pools) {
        snprintf(why, cap, "no media server: configure a VoIP Service DN with service-type msml");
        return AR_E_UNSUPPORTED_OPERATION;
    }
    if (err == AR_E_POOL_NO_MEMBER && strncmp(why, "no mediad pool", 14) == 0) {
        snprintf(why, cap,
                 "no media server: configure a VoIP Service DN with service-type msml or a "
                 "[pool] of kind mediad");
        return AR_E_UNSUPPORTED_OPERATION;
    }
    return err;
}

static bool is_sip_uri(const char *s)
{
    return s && (g_str_has_prefix(s, "sip:") || g_str_has_prefix(s, "sips:")) && s[4] &&
           !strpbrk(s, " \t\r\n<>\"");
}

int gw_rec_pool_recorder(gw_call *call, const char *req_dest, const char *geo,
                         const gw_pool_member *const *exclude, size_t nexclude, gw_pool_lease **out,
                         char **dest, char *why, size_t cap)
{
    gw_server *srv = call->calls->srv;
    const char *conf = srv->cfg->rec.recording_dest;
    const char *d = req_dest ? req_dest : conf && *conf ? conf : NULL;
    *out = NULL;
    *dest = NULL;
    gw_pool_req q = {.kind = GW_POOL_RECORDER,
                     .geo = geo,
                     .geo_strict = srv->cfg->geo_nomatch_reject,
                     .exclude = exclude,
                     .nexclude = nexclude,
                     .ports = GW_REC_RECORDER_PORTS};
    if (d && g_str_has_prefix(d, "pool:")) {
        q.pool = d + 5;
    } else if (d) {
        if (!is_sip_uri(d)) {
            snprintf(why, cap, "dest \"%s\" is not a SIP URI", d);
            return AR_E_INVALID_VALUE;
        }
        /* The implicit pool is recording-dest itself: picked only to count its ports. */
        if (req_dest || !srv->pools || !conf) {
            *dest = g_strdup(d);
            return AR_E_OK;
        }
        q.pool = "recording-dest";
        q.geo = NULL; /* one configured recorder: geo does not apply */
        if (gw_pool_pick(srv->pools, &q, out, why, cap) != AR_E_OK)
            *out = NULL; /* e.g. a [pool] of kind recorder replaced it: use it as given */
        *dest = g_strdup(d);
        return AR_E_OK;
    }
    int err = gw_pool_pick(srv->pools, &q, out, why, cap);
    if (err == AR_E_POOL_NO_MEMBER && !q.pool && strncmp(why, "no recorder pool", 16) == 0) {
        snprintf(why, cap, "no dest given and no recording-dest or recorder pool configured");
        return AR_E_MISSING_ATTRIBUTE;
    }
    if (err != AR_E_OK)
        return err;
    *dest = g_strdup(gw_pool_lease_uri(*out));
    return AR_E_OK;
}

char *gw_rec_pool_fork_list(const gw_pool_lease *l)
{
    size_t n = gw_pool_lease_count(l);
    if (n < 2)
        return NULL;
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", gw_pool_lease_uri_at(l, i));
    return g_string_free(s, FALSE);
}

bool gw_rec_pool_settle(gw_pool_lease *l, const char *uri)
{
    size_t n = gw_pool_lease_count(l);
    for (size_t i = 0; i < n; i++) {
        if (g_ascii_strcasecmp(gw_pool_lease_uri_at(l, i), uri) == 0) {
            gw_pool_lease_settle(l, uri);
            return true;
        }
    }
    return false;
}
