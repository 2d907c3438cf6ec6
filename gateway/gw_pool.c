/* Pools of mediad instances and recorders: members, port leases, selection, reload. */
#include "gw_pool.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_pool_int.h"

#define IMPLICIT_CAPACITY (UINT_MAX / 4) /* implicit members: no configured limit */

struct gw_pool_lease {
    unsigned ports;
    size_t n;
    gw_pool_member **m; /* holding ports; n > 1 only for an unsettled parallel lease */
};

/* --- members --- */

static void member_unref(gw_pool_member *m)
{
    if (!m || --m->refs > 0)
        return;
    g_free(m->name);
    g_free(m->label);
    g_free(m->uri);
    g_free(m->geo);
    g_free(m->dn);
    g_free(m->redundancy);
    g_free(m->stats_json);
    g_free(m);
}

void gw_pool_member_ref(gw_pool_member *m)
{
    m->refs++;
}

void gw_pool_member_unref(gw_pool_member *m)
{
    member_unref(m);
}

static gw_pool_member *member_new(const char *name, const char *kind_label, const char *uri)
{
    gw_pool_member *m = g_new0(gw_pool_member, 1);
    m->refs = 1;
    m->name = g_strdup(name);
    m->label = strcmp(kind_label, name) ? g_strdup_printf("%s %s", kind_label, name)
                                        : g_strdup(kind_label);
    m->uri = g_strdup(uri);
    m->rtt_us = -1;
    m->health = GW_POOL_UNKNOWN;
    return m;
}

static void set_str(char **dst, const char *src)
{
    char *n = src && *src ? g_strdup(src) : NULL;
    g_free(*dst);
    *dst = n;
}

static void pool_free(gpointer data)
{
    gw_pool *p = data;
    for (guint i = 0; i < p->members->len; i++) {
        gw_pool_member *m = g_ptr_array_index(p->members, i);
        m->pool = NULL;
        member_unref(m);
    }
    g_ptr_array_free(p->members, TRUE);
    g_free(p->name);
    g_free(p);
}

static gw_pool *pool_new(const char *name, gw_pool_kind kind, gw_pool_scheme scheme, bool implicit)
{
    gw_pool *p = g_new0(gw_pool, 1);
    p->name = g_strdup(name);
    p->kind = kind;
    p->scheme = scheme;
    p->implicit = implicit;
    p->members = g_ptr_array_new();
    return p;
}

/* --- building from the configuration --- */

/* Where a member's settings come from: both explicit and implicit members use this. */
typedef struct {
    const char *name, *uri, *geo, *dn, *redundancy;
    unsigned capacity;
    int check_s, force, line;
    int retry_s; /* monitor none: a failed member is retried after this */
} member_spec;

/* Take a member from old (matched by uri) or make one, then apply spec. */
static gw_pool_member *member_take(GHashTable *old, gw_pool *p, const member_spec *s)
{
    gw_pool_member *m = old ? g_hash_table_lookup(old, s->uri) : NULL;
    if (m) {
        g_hash_table_steal(old, s->uri); /* keeps its ref, ports in use, health, counters */
        if (strcmp(m->name, s->name) != 0) {
            set_str(&m->name, s->name);
            g_free(m->label);
            const char *kl = p->kind == GW_POOL_MEDIAD ? "media server" : "recorder";
            m->label = strcmp(kl, s->name) ? g_strdup_printf("%s %s", kl, s->name) : g_strdup(kl);
        }
    } else {
        m = member_new(s->name, p->kind == GW_POOL_MEDIAD ? "media server" : "recorder", s->uri);
    }
    m->pool = p;
    set_str(&m->geo, s->geo);
    set_str(&m->dn, s->dn);
    set_str(&m->redundancy, s->redundancy ? s->redundancy : "active");
    m->capacity = s->capacity;
    m->check_s = s->check_s;
    m->retry_s = s->retry_s > 0 ? s->retry_s : 10;
    m->force = s->force < 1 ? 1 : s->force;
    m->line = s->line;
    if (m->check_s <= 0 && m->health == GW_POOL_OUT_OF_SERVICE && !m->retry_at_us)
        m->health = GW_POOL_UNKNOWN; /* no monitor left to bring it back */
    g_ptr_array_add(p->members, m);
    return m;
}

static void build(gw_pools *pools, const gw_config *cfg, GHashTable *old)
{
    pools->geo_reject = cfg->geo_nomatch_reject;
    for (size_t i = 0; i < cfg->n_pools; i++) {
        const gw_pool_conf *pc = &cfg->pools[i];
        gw_pool *p = pool_new(pc->name, pc->kind == 1 ? GW_POOL_RECORDER : GW_POOL_MEDIAD,
                              (gw_pool_scheme)pc->scheme, false);
        for (size_t k = 0; k < pc->n_members; k++) {
            const gw_pool_member_conf *mc = &pc->members[k];
            /* Named by DN or address: stable across reloads (metric labels, log lines). */
            const char *addr = strchr(mc->uri, ':') + 1;
            char *name = g_strdup(mc->dn ? mc->dn : addr);
            member_spec s = {name,
                             mc->uri,
                             mc->geo_location ? mc->geo_location : pc->geo_location,
                             mc->dn,
                             mc->redundancy,
                             mc->ports,
                             pc->monitor ? pc->interval : 0,
                             pc->misses,
                             mc->line,
                             pc->interval};
            member_take(old, p, &s);
            g_free(name);
        }
        g_ptr_array_add(pools->pools, p);
    }
    /* Implicit pools keep older configurations working: only for kinds with no [pool]. */
    bool have[2] = {false, false};
    for (guint i = 0; i < pools->pools->len; i++)
        have[((gw_pool *)g_ptr_array_index(pools->pools, i))->kind] = true;
    if (!have[GW_POOL_MEDIAD]) {
        gw_pool *p = NULL;
        for (size_t i = 0; i < cfg->n_dns; i++) {
            const gw_dn_conf *d = &cfg->dns[i];
            if (d->type != GW_DN_VOIP_SERVICE || !d->contact || !d->service_type ||
                g_ascii_strcasecmp(d->service_type, "msml") != 0)
                continue;
            if (!p)
                p = pool_new("msml", GW_POOL_MEDIAD, GW_POOL_ROUND_ROBIN, true);
            member_spec s = {d->number,
                             d->contact,
                             d->geo_location,
                             d->number,
                             "active",
                             IMPLICIT_CAPACITY,
                             d->oos_check >= 0 ? d->oos_check : cfg->media_oos_check,
                             d->oos_force >= 0 ? d->oos_force : cfg->media_oos_force,
                             d->line,
                             10};
            member_take(old, p, &s);
        }
        if (p)
            g_ptr_array_add(pools->pools, p);
    }
    const char *rd = cfg->rec.recording_dest;
    if (!have[GW_POOL_RECORDER] && rd && *rd && !g_str_has_prefix(rd, "pool:")) {
        gw_pool *p = pool_new("recording-dest", GW_POOL_RECORDER, GW_POOL_ROUND_ROBIN, true);
        member_spec s = {"recorder",
                         rd,
                         NULL,
                         NULL,
                         "active",
                         IMPLICIT_CAPACITY,
                         cfg->recorder_oos_check,
                         cfg->recorder_oos_force,
                         0,
                         10};
        member_take(old, p, &s);
        g_ptr_array_add(pools->pools, p);
    }
}

gw_pools *gw_pools_new(const gw_config *cfg)
{
    gw_pools *pools = g_new0(gw_pools, 1);
    pools->pools = g_ptr_array_new_with_free_func(pool_free);
    build(pools, cfg, NULL);
    return pools;
}

void gw_pools_free(gw_pools **ppools)
{
    gw_pools *pools = *ppools;
    if (!pools)
        return;
    g_ptr_array_free(pools->pools, TRUE);
    g_free(pools);
    *ppools = NULL;
}

static void drop_member(gpointer data)
{
    gw_pool_member *m = data;
    if (m->used)
        LOG_INFO(rec, "%s (%s) removed from its pool: draining %u port(s) in use", m->label, m->uri,
                 m->used);
    m->pool = NULL;
    member_unref(m);
}

void gw_pools_reload(gw_pools *pools, const gw_config *cfg)
{
    /* Every current member by uri, each holding the pool's ref until taken or dropped. */
    GHashTable *old = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, drop_member);
    for (guint i = 0; i < pools->pools->len; i++) {
        gw_pool *p = g_ptr_array_index(pools->pools, i);
        for (guint k = 0; k < p->members->len; k++) {
            gw_pool_member *m = g_ptr_array_index(p->members, k);
            g_hash_table_insert(old, m->uri, m);
        }
        g_ptr_array_set_size(p->members, 0); /* refs moved into old */
    }
    GPtrArray *prev = pools->pools;
    pools->pools = g_ptr_array_new_with_free_func(pool_free);
    build(pools, cfg, old);
    /* Round-robin positions survive for pools kept by name. */
    for (guint i = 0; i < pools->pools->len; i++) {
        gw_pool *p = g_ptr_array_index(pools->pools, i);
        for (guint k = 0; k < prev->len; k++) {
            gw_pool *q = g_ptr_array_index(prev, k);
            if (strcmp(p->name, q->name) == 0 && p->members->len)
                p->cursor = q->cursor % p->members->len;
        }
    }
    g_ptr_array_free(prev, TRUE);
    g_hash_table_destroy(old); /* what is left was removed: drains */
}

/* --- health --- */

static const char *health_name(gw_pool_health h)
{
    return h == GW_POOL_IN_SERVICE       ? "In service"
           : h == GW_POOL_OUT_OF_SERVICE ? "Out of service"
                                         : "Unknown";
}

void gw_pool_member_set_health(gw_pools *pools, gw_pool_member *m, gw_pool_health h,
                               const char *why)
{
    if (m->health == h)
        return;
    gw_pool_health was = m->health;
    m->health = h;
    if (h == GW_POOL_OUT_OF_SERVICE)
        LOG_WARN(rec, "%s (%s) out of service: %s", m->label, m->uri, why ? why : "?");
    else
        LOG_INFO(rec, "%s (%s) in service", m->label, m->uri);
    /* The first answer after start is no news: only a real change is an event. */
    if ((h == GW_POOL_OUT_OF_SERVICE || was == GW_POOL_OUT_OF_SERVICE) && pools && pools->on_health)
        pools->on_health(pools->on_health_ud, m, h != GW_POOL_OUT_OF_SERVICE);
}

void gw_pool_member_failed(gw_pools *pools, const gw_pool_member *cm, const char *reason)
{
    gw_pool_member *m = (gw_pool_member *)cm;
    if (!m)
        return;
    m->failures++;
    if (m->check_s <= 0) /* no monitor: retried after the pool's interval (10 s default) */
        m->retry_at_us = g_get_monotonic_time() + (int64_t)m->retry_s * G_USEC_PER_SEC;
    gw_pool_member_set_health(pools, m, GW_POOL_OUT_OF_SERVICE, reason);
}

const char *gw_pool_member_uri(const gw_pool_member *m)
{
    return m->uri;
}

const char *gw_pool_member_dn(const gw_pool_member *m)
{
    return m->dn;
}

gw_pool_health gw_pool_member_health(const gw_pool_member *m)
{
    return m->health;
}

unsigned gw_pool_member_ports_used(const gw_pool_member *m)
{
    return m->used;
}

/* --- selection --- */

static bool geo_eq(const char *a, const char *b)
{
    return a && b && g_ascii_strcasecmp(a, b) == 0;
}

static bool usable(gw_pool_member *m, int64_t now)
{
    /* Implicit pools (no [pool] section) behave as before pools existed: health is shown
       and published, but does not refuse recordings. */
    if (m->health != GW_POOL_OUT_OF_SERVICE || (m->pool && m->pool->implicit))
        return true;
    if (m->retry_at_us && now >= m->retry_at_us) {
        m->retry_at_us = 0;
        m->health = GW_POOL_UNKNOWN;
        LOG_INFO(rec, "%s (%s) retried (no monitor)", m->label, m->uri);
        return true;
    }
    return false;
}

static bool excluded(const gw_pool_req *r, const gw_pool_member *m)
{
    for (size_t i = 0; i < r->nexclude; i++)
        if (r->exclude[i] == m)
            return true;
    return false;
}

static bool pool_has_geo(const gw_pool *p, const char *geo, bool *tagged)
{
    bool hit = false;
    for (guint i = 0; i < p->members->len; i++) {
        const gw_pool_member *m = g_ptr_array_index(p->members, i);
        *tagged |= m->geo != NULL;
        hit |= geo_eq(m->geo, geo);
    }
    return hit;
}

/* The pool asked for, else the first of the kind having the geo, else the first of the kind. */
static gw_pool *find_pool(gw_pools *pools, const gw_pool_req *r, bool *tagged, bool *geo_hit)
{
    gw_pool *first = NULL;
    *tagged = *geo_hit = false;
    for (guint i = 0; i < pools->pools->len; i++) {
        gw_pool *p = g_ptr_array_index(pools->pools, i);
        if (p->kind != r->kind || (r->pool && strcmp(r->pool, p->name) != 0))
            continue;
        if (!first)
            first = p;
        if (r->geo && pool_has_geo(p, r->geo, tagged)) {
            *geo_hit = true;
            return p;
        }
    }
    return first;
}

static gw_pool_lease *lease_new(unsigned ports)
{
    gw_pool_lease *l = g_new0(gw_pool_lease, 1);
    l->ports = ports;
    return l;
}

static void lease_add(gw_pool_lease *l, gw_pool_member *m)
{
    l->m = g_renew(gw_pool_member *, l->m, l->n + 1);
    l->m[l->n++] = m;
    m->refs++;
    m->used += l->ports;
    m->picks++;
}

int gw_pool_pick(gw_pools *pools, const gw_pool_req *r, gw_pool_lease **out, char *why, size_t cap)
{
    *out = NULL;
    const char *kind = r->kind == GW_POOL_MEDIAD ? "mediad" : "recorder";
    bool tagged, geo_hit;
    gw_pool *p = pools ? find_pool(pools, r, &tagged, &geo_hit) : NULL;
    if (!p) {
        snprintf(why, cap, "no %s pool%s%s", kind, r->pool ? " named " : "",
                 r->pool ? r->pool : "");
        return AR_E_POOL_NO_MEMBER;
    }
    /* Geo only narrows the choice when members are tagged (seed: untagged recorders = one
     * pool for every site). */
    bool by_geo = r->geo && tagged && geo_hit;
    if (r->geo && tagged && !geo_hit && r->geo_strict) {
        snprintf(why, cap, "no %s pool member has geo-location \"%s\"", kind, r->geo);
        return AR_E_POOL_GEO_NOMATCH;
    }
    unsigned ports = r->ports ? r->ports : 1;
    int64_t now = g_get_monotonic_time();
    guint n = p->members->len;
    unsigned down = 0, full = 0, skipped = 0;
    gw_pool_lease *l = lease_new(ports);
    gw_pool_member *best = NULL;
    guint best_i = 0;
    for (guint k = 0; k < n; k++) {
        guint i = (p->cursor + k) % n;
        gw_pool_member *m = g_ptr_array_index(p->members, i);
        if ((by_geo && !geo_eq(m->geo, r->geo)) || excluded(r, m)) {
            skipped++;
            continue;
        }
        if (!usable(m, now)) {
            down++;
            continue;
        }
        if (m->capacity - m->used < ports || m->used > m->capacity) {
            full++;
            continue;
        }
        if (p->scheme == GW_POOL_PARALLEL) {
            lease_add(l, m);
            continue;
        }
        /* least-used: the lowest share of its capacity; ties go to the first from cursor. */
        if (!best || (p->scheme == GW_POOL_LEAST_USED &&
                      (uint64_t)m->used * best->capacity < (uint64_t)best->used * m->capacity)) {
            best = m;
            best_i = i;
            if (p->scheme == GW_POOL_ROUND_ROBIN)
                break;
        }
    }
    if (best) {
        lease_add(l, best);
        p->cursor = (best_i + 1) % n;
    } else if (l->n) {
        p->cursor = (p->cursor + 1) % n;
    }
    if (!l->n) {
        g_free(l);
        snprintf(why, cap,
                 "%s pool %s%s%s%s: no member available (%u member(s): %u out of "
                 "service, %u without %u free port(s), %u excluded)",
                 kind, p->name, by_geo ? " (geo-location " : "", by_geo ? r->geo : "",
                 by_geo ? ")" : "", n, down, full, ports, skipped);
        return AR_E_POOL_NO_MEMBER;
    }
    *out = l;
    return AR_E_OK;
}

/* --- leases --- */

const char *gw_pool_lease_uri(const gw_pool_lease *l)
{
    return l && l->n ? l->m[0]->uri : NULL;
}

const gw_pool_member *gw_pool_lease_member(const gw_pool_lease *l)
{
    return l && l->n ? l->m[0] : NULL;
}

size_t gw_pool_lease_count(const gw_pool_lease *l)
{
    return l ? l->n : 0;
}

const char *gw_pool_lease_uri_at(const gw_pool_lease *l, size_t i)
{
    return l && i < l->n ? l->m[i]->uri : NULL;
}

static void give_back(gw_pool_lease *l, gw_pool_member *m)
{
    m->used = m->used >= l->ports ? m->used - l->ports : 0;
    if (!m->pool && m->used == 0 && m->refs == 1)
        LOG_INFO(rec, "%s (%s) drained", m->label, m->uri);
    member_unref(m);
}

void gw_pool_lease_settle(gw_pool_lease *l, const char *uri)
{
    if (!l || l->n <= 1 || !uri)
        return;
    size_t keep = l->n;
    for (size_t i = 0; i < l->n; i++)
        if (keep == l->n && g_ascii_strcasecmp(l->m[i]->uri, uri) == 0)
            keep = i;
    if (keep == l->n)
        return; /* not one of ours: keep holding all until release */
    for (size_t i = 0; i < l->n; i++)
        if (i != keep)
            give_back(l, l->m[i]);
    l->m[0] = l->m[keep];
    l->n = 1;
}

void gw_pool_lease_release(gw_pool_lease **pl)
{
    gw_pool_lease *l = pl ? *pl : NULL;
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        give_back(l, l->m[i]);
    g_free(l->m);
    g_free(l);
    *pl = NULL;
}

/* --- mediad counters from OPTIONS answers --- */

int gw_pool_stats_parse(const char *ctype, const char *body, size_t len, gw_pool_stats *out,
                        char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (!ctype || g_ascii_strcasecmp(ctype, "application/json") != 0) {
        snprintf(why, cap, "Content-Type %s, not application/json", ctype ? ctype : "missing");
        return AR_E_INVALID_VALUE;
    }
    if (!body || len == 0 || len > GW_POOL_STATS_MAX) {
        snprintf(why, cap, "body of %zu bytes (1-%d expected)", body ? len : 0, GW_POOL_STATS_MAX);
        return AR_E_INVALID_VALUE;
    }
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    bool complete = json_tokener_get_error(tok) == json_tokener_success &&
                    json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    int err = AR_E_OK;
    if (!o || !complete || !json_object_is_type(o, json_type_object)) {
        snprintf(why, cap, "body is not one JSON object");
        err = AR_E_BAD_JSON;
        goto cleanup;
    }
    static const char *const keys[GW_POOL_NSTATS] = {
#define GW_POOL_STAT_KEY(e, key, metric, help) key,
        GW_POOL_STATS(GW_POOL_STAT_KEY)
#undef GW_POOL_STAT_KEY
    };
    for (int i = 0; i < GW_POOL_NSTATS; i++) {
        json_object *v;
        if (!json_object_object_get_ex(o, keys[i], &v))
            continue;
        if (!json_object_is_type(v, json_type_int)) {
            snprintf(why, cap, "\"%s\" is not an integer", keys[i]);
            err = AR_E_WRONG_TYPE;
            goto cleanup;
        }
        errno = 0;
        int64_t x = json_object_get_int64(v);
        if (x < 0 || errno) {
            snprintf(why, cap, "\"%s\" out of range", keys[i]);
            err = AR_E_INVALID_VALUE;
            goto cleanup;
        }
        out->v[i] = (uint64_t)x;
    }
    out->valid = true;
cleanup:
    if (err != AR_E_OK)
        memset(out, 0, sizeof *out);
    json_object_put(o);
    return err;
}

/* --- status page and metrics --- */

json_object *gw_pools_json(const gw_pools *pools)
{
    json_object *a = json_object_new_array();
    for (guint i = 0; pools && i < pools->pools->len; i++) {
        const gw_pool *p = g_ptr_array_index(pools->pools, i);
        static const char *const schemes[] = {"round-robin", "least-used", "parallel"};
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(
            o, "kind", json_object_new_string(p->kind == GW_POOL_MEDIAD ? "mediad" : "recorder"));
        json_object_object_add(o, "scheme", json_object_new_string(schemes[p->scheme]));
        json_object_object_add(o, "implicit", json_object_new_boolean(p->implicit));
        json_object *ms = json_object_new_array();
        for (guint k = 0; k < p->members->len; k++) {
            const gw_pool_member *m = g_ptr_array_index(p->members, k);
            json_object *mo = json_object_new_object();
            json_object_object_add(mo, "name", json_object_new_string(m->name));
            json_object_object_add(mo, "uri", json_object_new_string(m->uri));
            json_object_object_add(mo, "geoLocation",
                                   m->geo ? json_object_new_string(m->geo) : NULL);
            json_object_object_add(mo, "state", json_object_new_string(health_name(m->health)));
            json_object_object_add(mo, "monitor", json_object_new_boolean(m->check_s > 0));
            json_object_object_add(mo, "portsInUse", json_object_new_int64(m->used));
            json_object_object_add(
                mo, "portsCapacity",
                m->capacity == IMPLICIT_CAPACITY ? NULL : json_object_new_int64(m->capacity));
            json_object_object_add(mo, "picks", json_object_new_int64((int64_t)m->picks));
            json_object_object_add(mo, "failures", json_object_new_int64((int64_t)m->failures));
            json_object_object_add(mo, "stats",
                                   m->stats_json ? json_tokener_parse(m->stats_json) : NULL);
            json_object_array_add(ms, mo);
        }
        json_object_object_add(o, "members", ms);
        json_object_array_add(a, o);
    }
    return a;
}

void gw_pool_label(ar_buf *b, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            ar_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            ar_buf_printf(b, "\\n");
        else
            ar_buf_printf(b, "%c", *v);
    }
}

static void labels(ar_buf *b, const gw_pool *p, const gw_pool_member *m)
{
    ar_buf_printf(b, "{pool=\"");
    gw_pool_label(b, p->name);
    ar_buf_printf(b, "\",member=\"");
    gw_pool_label(b, m->name);
    ar_buf_printf(b, "\",uri=\"");
    gw_pool_label(b, m->uri);
    ar_buf_printf(b, "\"}");
}

/* mediad counters relayed from its OPTIONS answers: one family per counter. */
static void stats_metrics(const gw_pools *pools, ar_buf *b)
{
    static const char *const names[GW_POOL_NSTATS] = {
#define GW_POOL_STAT_NAME(e, key, metric, help) metric,
        GW_POOL_STATS(GW_POOL_STAT_NAME)
#undef GW_POOL_STAT_NAME
    };
    static const char *const helps[GW_POOL_NSTATS] = {
#define GW_POOL_STAT_HELP(e, key, metric, help) help,
        GW_POOL_STATS(GW_POOL_STAT_HELP)
#undef GW_POOL_STAT_HELP
    };
    for (int k = 0; k < GW_POOL_NSTATS; k++) {
        bool head = false;
        for (guint i = 0; i < pools->pools->len; i++) {
            const gw_pool *p = g_ptr_array_index(pools->pools, i);
            for (guint j = 0; j < p->members->len; j++) {
                const gw_pool_member *m = g_ptr_array_index(p->members, j);
                if (!m->stats.valid)
                    continue;
                if (!head)
                    ar_buf_printf(b, "# HELP gatewayd_%s %s\n# TYPE gatewayd_%s gauge\n", names[k],
                                  helps[k], names[k]);
                head = true;
                ar_buf_printf(b, "gatewayd_%s", names[k]);
                labels(b, p, m);
                ar_buf_printf(b, " %llu\n", (unsigned long long)m->stats.v[k]);
            }
        }
    }
}

void gw_pools_metrics_text(const gw_pools *pools, ar_buf *b)
{
    if (!pools || !pools->pools->len)
        return;
    stats_metrics(pools, b);
    static const char *const head[5] = {
        "# HELP gatewayd_pool_member_up 1 unless the member is out of service.\n"
        "# TYPE gatewayd_pool_member_up gauge\n",
        "# HELP gatewayd_pool_ports_in_use Ports held by calls on the member.\n"
        "# TYPE gatewayd_pool_ports_in_use gauge\n",
        "# HELP gatewayd_pool_ports_capacity Ports the member may hold.\n"
        "# TYPE gatewayd_pool_ports_capacity gauge\n",
        "# HELP gatewayd_pool_picks_total Times the member was picked.\n"
        "# TYPE gatewayd_pool_picks_total counter\n",
        "# HELP gatewayd_pool_failures_total Calls that found the member broken.\n"
        "# TYPE gatewayd_pool_failures_total counter\n",
    };
    for (int k = 0; k < 5; k++) {
        ar_buf_printf(b, "%s", head[k]);
        for (guint i = 0; i < pools->pools->len; i++) {
            const gw_pool *p = g_ptr_array_index(pools->pools, i);
            for (guint j = 0; j < p->members->len; j++) {
                const gw_pool_member *m = g_ptr_array_index(p->members, j);
                if (k == 2 && m->capacity == IMPLICIT_CAPACITY)
                    continue;
                static const char *const names[5] = {
                    "gatewayd_pool_member_up", "gatewayd_pool_ports_in_use",
                    "gatewayd_pool_ports_capacity", "gatewayd_pool_picks_total",
                    "gatewayd_pool_failures_total"};
                ar_buf_printf(b, "%s", names[k]);
                labels(b, p, m);
                unsigned long long v = k == 0   ? m->health != GW_POOL_OUT_OF_SERVICE
                                       : k == 1 ? m->used
                                       : k == 2 ? m->capacity
                                       : k == 3 ? m->picks
                                                : m->failures;
                ar_buf_printf(b, " %llu\n", v);
            }
        }
    }
}
