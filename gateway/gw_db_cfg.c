/* Glue between gatewayd's configuration ([database]) and the database writer. */
#include <glib.h>
#include <stdio.h>

#include "ar_log.h"
#include "gw_db_cfg.h"

gw_db *gw_db_from_config(const gw_config *cfg, char **err)
{
    *err = NULL;
    if (!cfg->db.dsn || !*cfg->db.dsn) {
        LOG_INFO(db, "no [database] dsn configured: CDR rows are not stored");
        return NULL;
    }
    gw_db_opts o;
    gw_db_opts_default(&o);
    char *dir = g_path_get_dirname(cfg->path ? cfg->path : ".");
    char *journal = cfg->db.journal ? g_strdup(cfg->db.journal)
                                    : g_build_filename(dir, "gatewayd.journal", NULL);
    o.dsn = cfg->db.dsn;
    o.site = cfg->site;
    o.journal_path = journal;
    o.journal_max_bytes = cfg->db.journal_max_bytes;
    o.journal_sync_ms = cfg->db.journal_sync_ms;
    o.batch_rows = cfg->db.batch_rows;
    o.queue_max_rows = cfg->db.queue_max_rows;
    o.migrate = cfg->db.migrate;
    gw_db *db = gw_db_new(&o, NULL, err);
    if (db)
        LOG_INFO(db, "database writer started (journal %s)", journal);
    g_free(journal);
    g_free(dir);
    return db;
}

int gw_db_migrate_config(const gw_config *cfg)
{
    char *err = NULL;
    if (!cfg->db.dsn || !*cfg->db.dsn) {
        fprintf(stderr, "gatewayd: --migrate needs [database] dsn in %s\n", cfg->path);
        return 2;
    }
    if (gw_db_migrate_sync(cfg->db.dsn, &err) != 0) {
        fprintf(stderr, "gatewayd: %s\n", err);
        g_free(err);
        return 1;
    }
    printf("gatewayd: schema up to date\n");
    return 0;
}
