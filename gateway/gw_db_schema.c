/* Schema migrations: the bootstrap, the per-migration transaction, synchronous apply. */
#include <glib.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include "ar_log.h"
#include "gw_db_int.h"

/* Serialises migrations between gateways sharing one database ("arec" in ASCII). */
#define MIGRATION_LOCK "1634887011"

const char gw_db_bootstrap_sql[] =
    "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK "); "
    "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
    "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); COMMIT; "
    "SELECT version FROM schema_version ORDER BY version";

char *gw_db_migration_sql(const gw_db_migration *m)
{
    /* The name comes from a file name in schema/ (build time), never from input. */
    return g_strdup_printf("BEGIN;\nSELECT pg_advisory_xact_lock(" MIGRATION_LOCK ");\n%s\n;\n"
                           "INSERT INTO schema_version (version, name) VALUES (%d, '%s') "
                           "ON CONFLICT (version) DO NOTHING;\nCOMMIT;",
                           m->sql, m->version, m->name);
}

static bool is_applied(PGresult *r, int version)
{
    for (int i = 0; i < PQntuples(r); i++)
        if (atoi(PQgetvalue(r, i, 0)) == version)
            return true;
    return false;
}

static void on_notice(void *ud, const char *msg)
{
    (void)ud;
    LOG_DEBUG(db, "server notice: %s", msg);
}

int gw_db_migrate_sync(const char *dsn, char **err)
{
    int rc = -1, applied = 0;
    PGresult *vers = NULL;
    PGconn *c = PQconnectdb(dsn ? dsn : "");
    if (PQstatus(c) != CONNECTION_OK) {
        *err = g_strdup_printf("cannot connect: %s", PQerrorMessage(c));
        goto cleanup;
    }
    PQsetNoticeProcessor(c, on_notice, NULL);
    /* PQexec returns the last result: the version list. */
    vers = PQexec(c, gw_db_bootstrap_sql);
    if (PQresultStatus(vers) != PGRES_TUPLES_OK) {
        *err = g_strdup_printf("schema_version: %s", PQerrorMessage(c));
        goto cleanup;
    }
    for (size_t i = 0; i < gw_db_migration_count; i++) {
        const gw_db_migration *m = &gw_db_migration_list[i];
        if (is_applied(vers, m->version))
            continue;
        char *sql = gw_db_migration_sql(m);
        PGresult *r = PQexec(c, sql);
        g_free(sql);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            *err = g_strdup_printf("migration %s failed: %s", m->name, PQerrorMessage(c));
            goto cleanup;
        }
        LOG_INFO(db, "schema: applied %s", m->name);
        applied++;
    }
    LOG_INFO(db, "schema: up to date (%zu migration(s), %d applied now)", gw_db_migration_count,
             applied);
    rc = 0;
cleanup:
    PQclear(vers);
    PQfinish(c);
    return rc;
}
