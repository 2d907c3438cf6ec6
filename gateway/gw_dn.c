/* The DN table: configured DNs and, per DN, the clients registered on it. */
#include "gw_dn.h"

#include <string.h>

struct gw_dn_table {
    GHashTable *by_number; /* number (owned by the gw_dn) -> gw_dn */
};

static gw_dn *dn_new(const gw_dn_conf *conf)
{
    gw_dn *dn = g_new0(gw_dn, 1);
    dn->number = g_strdup(conf->number);
    dn->conf = conf;
    dn->subs = g_ptr_array_new();
    return dn;
}

static void dn_free(gpointer p)
{
    gw_dn *dn = p;
    g_ptr_array_free(dn->subs, TRUE);
    g_free(dn->number);
    g_free(dn);
}

gw_dn_table *gw_dn_table_new(const gw_config *cfg)
{
    gw_dn_table *t = g_new0(gw_dn_table, 1);
    t->by_number = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, dn_free);
    for (size_t i = 0; i < cfg->n_dns; i++) {
        gw_dn *dn = dn_new(&cfg->dns[i]);
        g_hash_table_insert(t->by_number, dn->number, dn);
    }
    return t;
}

void gw_dn_table_free(gw_dn_table **pt)
{
    gw_dn_table *t = *pt;
    if (!t)
        return;
    g_hash_table_destroy(t->by_number);
    g_free(t);
    *pt = NULL;
}

gw_dn *gw_dn_find(const gw_dn_table *t, const char *number)
{
    return g_hash_table_lookup(t->by_number, number);
}

size_t gw_dn_table_size(const gw_dn_table *t)
{
    return g_hash_table_size(t->by_number);
}

bool gw_dn_subscribe(gw_dn *dn, struct gw_client *c)
{
    for (guint i = 0; i < dn->subs->len; i++)
        if (dn->subs->pdata[i] == c)
            return false;
    g_ptr_array_add(dn->subs, c);
    return true;
}

bool gw_dn_unsubscribe(gw_dn *dn, struct gw_client *c)
{
    /* Order of delivery among subscribers does not matter, so remove_fast is fine. */
    return g_ptr_array_remove_fast(dn->subs, c);
}

void gw_dn_table_apply(gw_dn_table *t, const gw_config *cfg, gw_dn_removed_fn removed, void *ud)
{
    GHashTable *keep = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const gw_dn_conf *conf = &cfg->dns[i];
        gw_dn *dn = g_hash_table_lookup(t->by_number, conf->number);
        if (dn) {
            dn->conf = conf;
        } else {
            dn = dn_new(conf);
            g_hash_table_insert(t->by_number, dn->number, dn);
        }
        g_hash_table_add(keep, dn->number);
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->by_number);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (g_hash_table_contains(keep, k))
            continue;
        if (removed)
            removed(ud, v);
        g_hash_table_iter_remove(&it);
    }
    g_hash_table_destroy(keep);
}
