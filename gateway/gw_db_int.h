/* Internal interface between the database writer, its typed writes and its migrations. */
#ifndef GW_DB_INT_H
#define GW_DB_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_db.h"
#include "gw_db_row.h"

/* Queue a finished row (takes ownership; NULL = the builder failed). Returns 0 or an ar_err. */
int gw_db_submit(gw_db *db, gw_db_row *row);
/* The next unique write id ("<instance uuid>-<sequence>"), valid until the next call. */
const char *gw_db_next_write_id(gw_db *db);
const char *gw_db_site(const gw_db *db);
/* Where the CDR event state (gw_db_cdr.c) hangs off the writer. */
struct gw_db_cdr **gw_db_cdr_slot(gw_db *db);

typedef struct {
    int version;
    const char *name; /* file name without ".sql" */
    const char *sql;
} gw_db_migration;

/* The schema/ files compiled in (generated at build time), in version order. */
extern const gw_db_migration gw_db_migration_list[];
extern const size_t gw_db_migration_count;

/* Creates schema_version if needed, then lists the applied versions (one column). */
extern const char gw_db_bootstrap_sql[];
/* One migration wrapped in a transaction holding the migration lock (g_free it). */
char *gw_db_migration_sql(const gw_db_migration *m);

#endif
