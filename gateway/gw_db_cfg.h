/* Glue between gatewayd's configuration ([database]) and the database writer. */
#ifndef GW_DB_CFG_H
#define GW_DB_CFG_H

#include "gw_config.h"
#include "gw_db.h"

/*
 * Start the writer described by cfg->db on the default main context. Returns NULL
 * with *err NULL when no dsn is configured (no writer), or NULL with *err set when
 * the journal cannot be opened.
 */
gw_db *gw_db_from_config(const gw_config *cfg, char **err);

/* `gatewayd --migrate`: apply the migrations to cfg's dsn, blocking. Returns an exit code. */
int gw_db_migrate_config(const gw_config *cfg);

#endif
