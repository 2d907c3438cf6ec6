/* gatewayd configuration: [pool NAME] sections (resource groups of mediad and recorders). */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "gw_config_int.h"

#define POOL_PORTS_DEFAULT 100 /* a member line without ports= */

void gw_config_pool_begin(gw_pool_conf *p, const char *name, int line)
{
    memset(p, 0, sizeof *p);
    p->name = g_strdup(name);
    p->kind = -1; /* mandatory */
    p->scheme = 0;
    p->monitor = true;
    p->interval = 10;
    p->misses = 2;
    p->line = line;
}

static void member_clear(gw_pool_member_conf *m)
{
    g_free(m->uri);
    g_free(m->geo_location);
    g_free(m->redundancy);
    g_free(m->dn);
}

void gw_config_pool_clear(gw_pool_conf *p)
{
    g_free(p->name);
    g_free(p->geo_location);
    for (size_t i = 0; i < p->n_members; i++)
        member_clear(&p->members[i]);
    g_free(p->members);
    memset(p, 0, sizeof *p);
}

static bool int_in(const char *v, long lo, long hi, long *out)
{
    char *end;
    if (!*v)
        return false;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool has_port(const char *uri)
{
    /* "sip:host:port", "sip:[v6]:port", "sip:user@host:port": a ':' after the host part. */
    const char *h = strchr(uri, ':') + 1;
    const char *at = strchr(h, '@');
    if (at)
        h = at + 1;
    if (*h == '[')
        h = strchr(h, ']') ? strchr(h, ']') : h;
    const char *semi = strchr(h, ';');
    const char *colon = strchr(h, ':');
    return colon && (!semi || colon < semi);
}

/* member = URI [ports=N] [geo-location=TAG] [redundancy=active] [sip-port=N] [sips-port=N] [dn=DN]
 */
static void parse_member(gw_pool_conf *p, const char *val, const char *file, int line,
                         gw_config_errors *errs)
{
    char **tok = g_strsplit_set(val, " \t", -1);
    gw_pool_member_conf m = {.ports = POOL_PORTS_DEFAULT, .line = line};
    bool ok = true;
    size_t n = 0;
    for (size_t i = 0; tok[i] && ok; i++) {
        const char *t = tok[i];
        if (!*t)
            continue;
        if (n++ == 0) {
            if (g_ascii_strncasecmp(t, "sip:", 4) != 0 && g_ascii_strncasecmp(t, "sips:", 5) != 0) {
                gw_config_err_add(errs, file, line,
                                  "[pool %s]: member \"%s\" is not a sip:/sips: URI", p->name, t);
                ok = false;
            } else if (!t[t[3] == ':' ? 4 : 5]) {
                gw_config_err_add(errs, file, line, "[pool %s]: member URI \"%s\" has no host",
                                  p->name, t);
                ok = false;
            }
            m.uri = g_strdup(t);
            continue;
        }
        const char *eq = strchr(t, '=');
        long x;
        if (!eq) {
            gw_config_err_add(errs, file, line, "[pool %s]: member option \"%s\" is not key=value",
                              p->name, t);
            ok = false;
        } else if (g_str_has_prefix(t, "ports=") && int_in(eq + 1, 1, 1000000, &x)) {
            m.ports = (unsigned)x;
        } else if (g_str_has_prefix(t, "sip-port=") && int_in(eq + 1, 1, 65535, &x)) {
            m.sip_port = (int)x;
        } else if (g_str_has_prefix(t, "sips-port=") && int_in(eq + 1, 1, 65535, &x)) {
            m.sips_port = (int)x;
        } else if (g_str_has_prefix(t, "geo-location=") && eq[1]) {
            g_free(m.geo_location);
            m.geo_location = g_strdup(eq + 1);
        } else if (g_str_has_prefix(t, "dn=") && eq[1]) {
            g_free(m.dn);
            m.dn = g_strdup(eq + 1);
        } else if (g_str_has_prefix(t, "redundancy=") && strcmp(eq + 1, "active") == 0) {
            g_free(m.redundancy);
            m.redundancy = g_strdup(eq + 1);
        } else {
            gw_config_err_add(errs, file, line,
                              "[pool %s]: bad member option \"%s\" (ports=1..1000000, "
                              "sip-port=/sips-port=1..65535, geo-location=TAG, dn=DN, "
                              "redundancy=active)",
                              p->name, t);
            ok = false;
        }
    }
    g_strfreev(tok);
    if (ok && !m.uri) {
        gw_config_err_add(errs, file, line, "[pool %s]: member without a URI", p->name);
        ok = false;
    }
    if (!ok) {
        member_clear(&m);
        return;
    }
    /* sip-port / sips-port complete a URI given without a port (the seed's member ports). */
    bool sips = g_ascii_strncasecmp(m.uri, "sips:", 5) == 0;
    int port = sips ? m.sips_port : m.sip_port;
    if (port && !has_port(m.uri)) {
        char *semi = strchr(m.uri, ';');
        char *u = semi ? g_strdup_printf("%.*s:%d%s", (int)(semi - m.uri), m.uri, port, semi)
                       : g_strdup_printf("%s:%d", m.uri, port);
        g_free(m.uri);
        m.uri = u;
    }
    if (!m.redundancy)
        m.redundancy = g_strdup("active");
    p->members = g_renew(gw_pool_member_conf, p->members, p->n_members + 1);
    p->members[p->n_members++] = m;
}

void gw_config_pool_kv(gw_pool_conf *p, const char *key, const char *val, const char *file,
                       int line, gw_config_errors *errs)
{
    long x;
    if (strcmp(key, "member") == 0) {
        parse_member(p, val, file, line, errs);
    } else if (strcmp(key, "kind") == 0) {
        if (strcmp(val, "mediad") == 0)
            p->kind = 0;
        else if (strcmp(val, "recorder") == 0)
            p->kind = 1;
        else
            gw_config_err_add(errs, file, line, "kind: expected mediad or recorder, got \"%s\"",
                              val);
    } else if (strcmp(key, "scheme") == 0) {
        if (strcmp(val, "round-robin") == 0)
            p->scheme = 0;
        else if (strcmp(val, "least-used") == 0)
            p->scheme = 1;
        else if (strcmp(val, "parallel") == 0)
            p->scheme = 2;
        else
            gw_config_err_add(errs, file, line,
                              "scheme: expected round-robin, least-used or parallel, got \"%s\"",
                              val);
    } else if (strcmp(key, "monitor") == 0) {
        if (strcmp(val, "options") == 0)
            p->monitor = true;
        else if (strcmp(val, "none") == 0)
            p->monitor = false;
        else
            gw_config_err_add(errs, file, line, "monitor: expected options or none, got \"%s\"",
                              val);
    } else if (strcmp(key, "interval") == 0) {
        if (int_in(val, 1, 86400, &x))
            p->interval = (int)x;
        else
            gw_config_err_add(errs, file, line,
                              "interval: expected an integer from 1 to 86400, got \"%s\"", val);
    } else if (strcmp(key, "misses") == 0) {
        if (int_in(val, 1, 1000, &x))
            p->misses = (int)x;
        else
            gw_config_err_add(errs, file, line,
                              "misses: expected an integer from 1 to 1000, got \"%s\"", val);
    } else if (strcmp(key, "geo-location") == 0) {
        g_free(p->geo_location);
        p->geo_location = *val ? g_strdup(val) : NULL;
    } else {
        gw_config_err_add(errs, file, line, "unknown key \"%s\" in [pool]", key);
    }
}

void gw_config_pool_end(gw_config *cfg, gw_pool_conf *p, const char *file, gw_config_errors *errs)
{
    bool ok = true;
    if (p->kind < 0) {
        gw_config_err_add(errs, file, p->line, "[pool %s]: missing mandatory key \"kind\"",
                          p->name);
        ok = false;
    }
    if (p->scheme == 2 && p->kind == 0) {
        gw_config_err_add(errs, file, p->line,
                          "[pool %s]: scheme parallel is for recorder pools only", p->name);
        ok = false;
    }
    if (p->n_members == 0) {
        gw_config_err_add(errs, file, p->line, "[pool %s]: no member", p->name);
        ok = false;
    }
    for (size_t i = 0; i < cfg->n_pools; i++) {
        if (strcmp(cfg->pools[i].name, p->name) == 0) {
            gw_config_err_add(errs, file, p->line, "duplicate pool %s (first at line %d)", p->name,
                              cfg->pools[i].line);
            ok = false;
        }
    }
    /* One address, one member: two entries would count the same ports twice. */
    for (size_t k = 0; k < p->n_members; k++) {
        const gw_pool_member_conf *m = &p->members[k];
        for (size_t i = 0; i <= cfg->n_pools; i++) {
            const gw_pool_conf *q = i < cfg->n_pools ? &cfg->pools[i] : p;
            size_t lim = q == p ? k : q->n_members;
            for (size_t j = 0; j < lim; j++) {
                if (g_ascii_strcasecmp(q->members[j].uri, m->uri) == 0) {
                    gw_config_err_add(errs, file, m->line,
                                      "[pool %s]: duplicate member address %s (first at line %d)",
                                      p->name, m->uri, q->members[j].line);
                    ok = false;
                }
            }
        }
    }
    if (!ok) {
        gw_config_pool_clear(p);
        return;
    }
    cfg->pools = g_renew(gw_pool_conf, cfg->pools, cfg->n_pools + 1);
    cfg->pools[cfg->n_pools++] = *p;
    memset(p, 0, sizeof *p); /* moved */
}
