/* The DN table: configured DNs and, per DN, the clients registered on it. */
#ifndef GW_DN_H
#define GW_DN_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "gw_config.h"

struct gw_client;

typedef struct gw_dn {
    char *number;
    const gw_dn_conf *conf; /* points into the server's current configuration */
    GPtrArray *subs;        /* struct gw_client *, each at most once */
    void *calls;            /* call model state on this DN (owned by the call layer) */
} gw_dn;

typedef struct gw_dn_table gw_dn_table;

gw_dn_table *gw_dn_table_new(const gw_config *cfg);
void gw_dn_table_free(gw_dn_table **t);
gw_dn *gw_dn_find(const gw_dn_table *t, const char *number);
size_t gw_dn_table_size(const gw_dn_table *t);

/* Add a subscriber; false if it was already there. */
bool gw_dn_subscribe(gw_dn *dn, struct gw_client *c);
/* Remove a subscriber; false if it was not there. */
bool gw_dn_unsubscribe(gw_dn *dn, struct gw_client *c);
static inline size_t gw_dn_nsubs(const gw_dn *dn)
{
    return dn->subs->len;
}

/*
 * Switch the table to a new configuration: existing DNs keep their subscribers and
 * point at their new settings, new DNs are added, and for each DN that disappeared
 * `removed` is called (to detach its subscribers) before it is freed.
 */
typedef void (*gw_dn_removed_fn)(void *ud, gw_dn *dn);
void gw_dn_table_apply(gw_dn_table *t, const gw_config *cfg, gw_dn_removed_fn removed, void *ud);

#endif
