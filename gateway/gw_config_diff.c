/* Configuration reload diff: one human-readable line per changed option or object. */
#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "gw_config.h"
#include "gw_config_int.h"

/* Text form of one option's value, for comparisons and change lines. */
static char *opt_format(const opt_desc *d, const void *base)
{
    const void *f = (const char *)base + d->off;
    switch (d->kind) {
    case OPT_STR:
    case OPT_LOGSPEC:
        return g_strdup(*(char *const *)f ? *(char *const *)f : "(unset)");
    case OPT_BOOL:
        return g_strdup(*(const bool *)f ? "true" : "false");
    case OPT_TRI:
        return g_strdup(*(const int *)f < 0 ? "(unset)" : *(const int *)f ? "true" : "false");
    case OPT_INT:
        return g_strdup_printf("%d", *(const int *)f);
    case OPT_U32:
        return g_strdup_printf("%u", *(const uint32_t *)f);
    case OPT_U64:
        return g_strdup_printf("%llu", (unsigned long long)*(const uint64_t *)f);
    case OPT_DNTYPE:
        return g_strdup(gw_dn_type_name(*(const gw_dn_type *)f));
    case OPT_ANSWER:
        return g_strdup(gw_remote_answer_name(*(const gw_remote_answer *)f));
    case OPT_SCHED: {
        char buf[32];
        return g_strdup(ar_sched_format(f, buf, sizeof buf));
    }
    case OPT_LISTEN: {
        const gw_listen *l = f;
        return g_strdup_printf("%s:%d", l->host, l->port);
    }
    case OPT_DNSET: {
        const gw_dn_set *s = f;
        GString *g = g_string_new(s->all ? "*" : "");
        for (size_t i = 0; i < s->n; i++) {
            if (g->len)
                g_string_append_c(g, ',');
            if (s->r[i].text)
                g_string_append(g, s->r[i].text);
            else if (s->r[i].lo == s->r[i].hi)
                g_string_append_printf(g, "%llu", (unsigned long long)s->r[i].lo);
            else
                g_string_append_printf(g, "%llu-%llu", (unsigned long long)s->r[i].lo,
                                       (unsigned long long)s->r[i].hi);
        }
        return g_string_free(g, FALSE);
    }
    }
    return g_strdup("?");
}

/* Compare every option of one object; passwords are reported as changed, not shown. */
static size_t diff_opts(const opt_desc *tab, const void *a, const void *b, const char *what,
                        gw_config_diff_fn fn, void *ud)
{
    size_t n = 0;
    for (; tab->name; tab++) {
        char *va = opt_format(tab, a), *vb = opt_format(tab, b);
        if (strcmp(va, vb) != 0) {
            /* Secrets are never logged, only that they changed. */
            bool secret = strstr(tab->name, "password") || strstr(tab->name, "token");
            char *line = secret ? g_strdup_printf("%s: %s changed", what, tab->name)
                                : g_strdup_printf("%s: %s %s -> %s", what, tab->name, va, vb);
            fn(ud, line);
            g_free(line);
            n++;
        }
        g_free(va);
        g_free(vb);
    }
    return n;
}

static size_t diff_line(gw_config_diff_fn fn, void *ud, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static size_t diff_line(gw_config_diff_fn fn, void *ud, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fn(ud, line);
    g_free(line);
    return 1;
}

size_t gw_config_diff(const gw_config *old, const gw_config *cur, gw_config_diff_fn fn, void *ud)
{
    size_t n = diff_opts(gw_gateway_opts, old, cur, "gateway", fn, ud);
    GHashTable *idx = g_hash_table_new(g_str_hash, g_str_equal);

    for (size_t i = 0; i < old->n_dns; i++)
        g_hash_table_insert(idx, old->dns[i].number, &old->dns[i]);
    for (size_t i = 0; i < cur->n_dns; i++) {
        const gw_dn_conf *o = g_hash_table_lookup(idx, cur->dns[i].number);
        char *what = g_strdup_printf("dn %s", cur->dns[i].number);
        if (!o)
            n += diff_line(fn, ud, "%s added (%s)", what, gw_dn_type_name(cur->dns[i].type));
        else
            n += diff_opts(gw_dn_opts, o, &cur->dns[i], what, fn, ud);
        g_free(what);
    }
    for (size_t i = 0; i < old->n_dns; i++)
        if (!gw_config_find_dn(cur, old->dns[i].number))
            n += diff_line(fn, ud, "dn %s removed", old->dns[i].number);

    g_hash_table_remove_all(idx);
    for (size_t i = 0; i < old->n_agents; i++)
        g_hash_table_insert(idx, old->agents[i].login, &old->agents[i]);
    for (size_t i = 0; i < cur->n_agents; i++) {
        const gw_agent_conf *o = g_hash_table_lookup(idx, cur->agents[i].login);
        char *what = g_strdup_printf("agent %s", cur->agents[i].login);
        if (!o)
            n += diff_line(fn, ud, "%s added", what);
        else
            n += diff_opts(gw_agent_opts, o, &cur->agents[i], what, fn, ud);
        g_free(what);
    }
    for (size_t i = 0; i < old->n_agents; i++)
        if (!gw_config_find_agent(cur, old->agents[i].login))
            n += diff_line(fn, ud, "agent %s removed", old->agents[i].login);

    for (size_t i = 0; i < cur->n_apps; i++) {
        const gw_app_conf *o = gw_config_find_app(old, cur->apps[i].name);
        char *what = g_strdup_printf("application %s", cur->apps[i].name);
        if (!o)
            n += diff_line(fn, ud, "%s added", what);
        else
            n += diff_opts(gw_app_opts, o, &cur->apps[i], what, fn, ud);
        g_free(what);
    }
    for (size_t i = 0; i < old->n_apps; i++)
        if (!gw_config_find_app(cur, old->apps[i].name))
            n += diff_line(fn, ud, "application %s removed", old->apps[i].name);
    g_hash_table_destroy(idx);
    return n;
}
