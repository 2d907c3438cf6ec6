/* Asynchronous PostgreSQL writer: libpq non-blocking pipeline on the GLib loop, journal spill. */
#include <glib-unix.h>
#include <glib.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_db_cdr.h"
#include "gw_db_int.h"
#include "gw_journal.h"

typedef enum { IT_PREP, IT_ROW, IT_SYNC } item_kind;

/* One entry of the pipeline: what was sent, in order, and what came back. */
typedef struct {
    item_kind kind;
    bool got; /* a result arrived */
    ExecStatusType status;
    char sqlstate[6];
    char *msg;
    gw_db_row *row;
} item;

struct gw_db {
    gw_db_opts o;
    char *dsn, *site;
    GMainContext *ctx;
    PGconn *conn;
    gw_db_state state;
    GSource *io, *timer, *kick;
    GSource *jflush; /* writes the journal's pending records before each poll */
    int io_fd;
    GIOCondition io_cond;
    int backoff_ms;
    /* Rows: queue = not yet sent (direct mode), retry = to resend first, inflight = sent. */
    GQueue queue, retry, inflight;
    GQueue batch; /* items of the current batch with their results, settled at its sync */
    size_t inflight_rows;
    int batch_open; /* rows sent since the last pipeline sync */
    bool prep_failed;
    /* Journal: journal_mode = new rows are appended and replayed from replay_off. */
    gw_journal *j;
    bool journal_mode;
    uint64_t replay_off;
    /* Migrations (simple query protocol, before the pipeline starts). */
    bool mig_bootstrap;
    size_t mig_next;
    int *mig_applied;
    size_t n_mig_applied;
    char *mig_error;
    char instance[40];
    uint64_t seq;
    char write_id[64];
    gw_db_stats st;
    gw_db_cdr *cdr; /* call events seen so far (gw_db_cdr.c) */
};

static void pump(gw_db *db);
static void kick(gw_db *db);
static void conn_lost(gw_db *db, const char *why);
static void connect_start(gw_db *db);

static const char *const state_names[] = {"down", "connecting", "migrating", "preparing", "ready"};

const char *gw_db_state_name(gw_db_state s)
{
    return (unsigned)s < G_N_ELEMENTS(state_names) ? state_names[s] : "?";
}

void gw_db_opts_default(gw_db_opts *o)
{
    memset(o, 0, sizeof *o);
    o->site = "site";
    o->journal_path = "gatewayd.journal";
    o->journal_max_bytes = 256ull * 1024 * 1024;
    o->journal_sync_ms = 200;
    o->batch_rows = 256;
    o->queue_max_rows = 20000;
    o->backoff_min_ms = 250;
    o->backoff_max_ms = 30000;
    o->migrate = true;
}

const char *gw_db_next_write_id(gw_db *db)
{
    snprintf(db->write_id, sizeof db->write_id, "%s-%llu", db->instance,
             (unsigned long long)++db->seq);
    return db->write_id;
}

const char *gw_db_site(const gw_db *db)
{
    return db->site;
}

gw_db_cdr **gw_db_cdr_slot(gw_db *db)
{
    return &db->cdr;
}

static void item_free(item *it)
{
    gw_db_row_free(&it->row);
    g_free(it->msg);
    g_free(it);
}

/* ---- fd watch ---------------------------------------------------------------------- */

static gboolean on_io(gint fd, GIOCondition cond, gpointer ud);

static void io_clear(gw_db *db)
{
    if (db->io) {
        g_source_destroy(db->io);
        g_source_unref(db->io);
        db->io = NULL;
    }
    db->io_fd = -1;
}

/* Watch fd for cond; the source is remade only when fd or cond change. */
static void io_watch(gw_db *db, int fd, GIOCondition cond)
{
    if (db->io && db->io_fd == fd && db->io_cond == cond)
        return;
    io_clear(db);
    db->io = g_unix_fd_source_new(fd, cond);
    g_source_set_callback(db->io, (GSourceFunc)(void (*)(void))on_io, db, NULL);
    g_source_attach(db->io, db->ctx);
    db->io_fd = fd;
    db->io_cond = cond;
}

/* Push buffered output; watch for writability while some remains. */
static bool flush_and_watch(gw_db *db)
{
    int r = PQflush(db->conn);
    if (r < 0) {
        conn_lost(db, PQerrorMessage(db->conn));
        return false;
    }
    io_watch(db, PQsocket(db->conn), G_IO_IN | (r == 1 ? G_IO_OUT : 0));
    return true;
}

/* ---- journal ----------------------------------------------------------------------- */

static void journal_row(gw_db *db, gw_db_row *row)
{
    gw_journal_rc rc = gw_journal_append(db->j, row->buf, row->len);
    if (rc == GW_JOURNAL_OK)
        db->st.journaled++;
    else
        db->st.dropped++;
}

/* From now on new rows go to the journal, behind the rows still queued in memory. */
static void enter_journal_mode(gw_db *db, const char *why)
{
    gw_db_row *row;
    if (db->journal_mode)
        return;
    if (db->state == GW_DB_DOWN || db->state == GW_DB_READY)
        LOG_WARN(db, "database %s: rows go to the journal %s until it catches up", why,
                 gw_journal_path(db->j));
    else
        LOG_INFO(db, "database not ready yet (%s): rows wait in the journal %s",
                 gw_db_state_name(db->state), gw_journal_path(db->j));
    while ((row = g_queue_pop_head(&db->queue)))
        journal_row(db, row), gw_db_row_free(&row);
    db->journal_mode = true;
}

/* ---- connection -------------------------------------------------------------------- */

static gboolean on_timer(gpointer ud)
{
    gw_db *db = ud;
    g_source_unref(db->timer);
    db->timer = NULL;
    connect_start(db);
    return G_SOURCE_REMOVE;
}

static void schedule_reconnect(gw_db *db)
{
    if (!db->dsn || db->timer)
        return;
    db->timer = g_timeout_source_new((guint)db->backoff_ms);
    g_source_set_callback(db->timer, on_timer, db, NULL);
    g_source_attach(db->timer, db->ctx);
    db->backoff_ms =
        db->backoff_ms * 2 > db->o.backoff_max_ms ? db->o.backoff_max_ms : db->backoff_ms * 2;
}

/*
 * Drop the connection and keep every unacknowledged row: rows that came from the
 * journal are still in it (replay restarts at the oldest of them), rows from memory
 * are appended to it, in the order they were sent.
 */
static void spill_pending(gw_db *db)
{
    item *it;
    gw_db_row *row;
    int64_t min_joff = -1;
    GQueue rows = G_QUEUE_INIT;
    /* Oldest first: rows to resend, the unsettled batch, rows in flight, the queue. */
    while ((row = g_queue_pop_head(&db->retry)))
        g_queue_push_tail(&rows, row);
    while ((it = g_queue_pop_head(&db->batch))) {
        g_queue_push_tail(&rows, it->row), it->row = NULL;
        item_free(it);
    }
    while ((it = g_queue_pop_head(&db->inflight))) {
        if (it->row)
            g_queue_push_tail(&rows, it->row), it->row = NULL;
        item_free(it);
    }
    while ((row = g_queue_pop_head(&db->queue)))
        g_queue_push_tail(&rows, row);
    while ((row = g_queue_pop_head(&rows))) {
        if (row->joff >= 0) {
            if (min_joff < 0 || row->joff < min_joff)
                min_joff = row->joff;
        } else {
            journal_row(db, row);
        }
        gw_db_row_free(&row);
    }
    if (min_joff >= 0 && (uint64_t)min_joff < db->replay_off)
        db->replay_off = (uint64_t)min_joff;
    db->inflight_rows = 0;
    db->batch_open = 0;
    if (!gw_journal_empty(db->j))
        db->journal_mode = true;
}

static void conn_lost(gw_db *db, const char *why)
{
    char *w = g_strchomp(g_strdup(why && *why ? why : "connection closed"));
    if (db->state == GW_DB_READY)
        LOG_WARN(db, "database connection lost: %s; reconnecting in %d ms", w, db->backoff_ms);
    else
        LOG_WARN(db, "database unavailable (%s): %s; retrying in %d ms",
                 gw_db_state_name(db->state), w, db->backoff_ms);
    g_free(w);
    io_clear(db);
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->state = GW_DB_DOWN;
    spill_pending(db);
    schedule_reconnect(db);
}

static void connect_start(gw_db *db)
{
    db->conn = PQconnectStart(db->dsn);
    if (!db->conn || PQstatus(db->conn) == CONNECTION_BAD) {
        conn_lost(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
        return;
    }
    db->state = GW_DB_CONNECTING;
    io_watch(db, PQsocket(db->conn), G_IO_OUT);
}

static bool send_simple(gw_db *db, const char *sql)
{
    if (!PQsendQuery(db->conn, sql)) {
        conn_lost(db, PQerrorMessage(db->conn));
        return false;
    }
    return flush_and_watch(db);
}

static void start_prepare(gw_db *db)
{
    if (!PQenterPipelineMode(db->conn)) {
        conn_lost(db, PQerrorMessage(db->conn));
        return;
    }
    db->state = GW_DB_PREPARING;
    db->prep_failed = false;
    for (unsigned k = 0; k < GW_DB_NSTMT; k++) {
        const gw_db_stmt_info *si = gw_db_stmt_get(k);
        if (!PQsendPrepare(db->conn, si->name, si->sql, si->nparams, NULL)) {
            conn_lost(db, PQerrorMessage(db->conn));
            return;
        }
        item *it = g_new0(item, 1);
        it->kind = IT_PREP;
        g_queue_push_tail(&db->inflight, it);
    }
    if (!PQpipelineSync(db->conn)) {
        conn_lost(db, PQerrorMessage(db->conn));
        return;
    }
    item *s = g_new0(item, 1);
    s->kind = IT_SYNC;
    g_queue_push_tail(&db->inflight, s);
    flush_and_watch(db);
}

/* Send the next migration that is not applied yet, or go on to preparing. */
static void migrate_next(gw_db *db)
{
    while (db->mig_next < gw_db_migration_count) {
        const gw_db_migration *m = &gw_db_migration_list[db->mig_next++];
        bool done = false;
        for (size_t i = 0; i < db->n_mig_applied; i++)
            done = done || db->mig_applied[i] == m->version;
        if (done)
            continue;
        LOG_INFO(db, "schema: applying %s", m->name);
        char *sql = gw_db_migration_sql(m);
        send_simple(db, sql);
        g_free(sql);
        return;
    }
    start_prepare(db);
}

/* Server notices ("relation already exists, skipping") go to the debug log, not stderr. */
static void on_notice(void *ud, const char *msg)
{
    (void)ud;
    LOG_DEBUG(db, "server notice: %s", msg);
}

static void on_connected(gw_db *db)
{
    PQsetnonblocking(db->conn, 1);
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    db->st.connects++;
    LOG_INFO(db, "connected to PostgreSQL %d (%s:%s/%s)", PQserverVersion(db->conn),
             PQhost(db->conn), PQport(db->conn), PQdb(db->conn));
    if (!db->o.migrate) {
        start_prepare(db);
        return;
    }
    db->state = GW_DB_MIGRATING;
    db->mig_bootstrap = true;
    db->mig_next = 0;
    g_free(db->mig_applied);
    db->mig_applied = NULL;
    db->n_mig_applied = 0;
    g_free(db->mig_error);
    db->mig_error = NULL;
    send_simple(db, gw_db_bootstrap_sql);
}

static void connect_poll(gw_db *db)
{
    switch (PQconnectPoll(db->conn)) {
    case PGRES_POLLING_READING:
        io_watch(db, PQsocket(db->conn), G_IO_IN);
        break;
    case PGRES_POLLING_WRITING:
        io_watch(db, PQsocket(db->conn), G_IO_OUT);
        break;
    case PGRES_POLLING_OK:
        on_connected(db);
        break;
    default:
        conn_lost(db, PQerrorMessage(db->conn));
        break;
    }
}

/* Results of the simple-protocol migration queries. */
static void migration_results(gw_db *db)
{
    while (db->conn && !PQisBusy(db->conn)) {
        PGresult *r = PQgetResult(db->conn);
        if (!r) {
            if (db->mig_error) {
                char *e = g_strdup_printf("schema migration failed: %s", db->mig_error);
                LOG_ERR(db, "%s", e);
                conn_lost(db, e);
                g_free(e);
                return;
            }
            db->mig_bootstrap = false;
            migrate_next(db);
            return;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_FATAL_ERROR && !db->mig_error)
            db->mig_error = g_strdup(PQresultErrorMessage(r));
        if (st == PGRES_TUPLES_OK && db->mig_bootstrap) {
            /* The lock SELECT answers too: the last result is the version list. */
            g_free(db->mig_applied);
            db->n_mig_applied = (size_t)PQntuples(r);
            db->mig_applied = g_new0(int, db->n_mig_applied + 1);
            for (size_t i = 0; i < db->n_mig_applied; i++)
                db->mig_applied[i] = atoi(PQgetvalue(r, (int)i, 0));
        }
        PQclear(r);
    }
}

/* ---- pipeline ---------------------------------------------------------------------- */

/* SQLSTATE classes that say "try again later", not "this row is bad". */
static bool transient(const char *ss)
{
    static const char *const classes[] = {"08", "25", "26", "40", "53",
                                          "54", "55", "57", "58", "XX"};
    for (size_t i = 0; i < G_N_ELEMENTS(classes); i++)
        if (strncmp(ss, classes[i], 2) == 0)
            return true;
    /* Missing table or function: the schema is not there yet; keep the rows. */
    return strcmp(ss, "42P01") == 0 || strcmp(ss, "42883") == 0;
}

static void ready(gw_db *db)
{
    db->state = GW_DB_READY;
    db->backoff_ms = db->o.backoff_min_ms;
    LOG_INFO(db, "database ready%s", db->journal_mode ? "; replaying the journal" : "");
}

static bool row_ok(const item *it)
{
    return it->status == PGRES_COMMAND_OK || it->status == PGRES_TUPLES_OK;
}

/*
 * A batch's sync arrived: its rows are committed, or - when one failed - the whole
 * implicit transaction was rolled back, so rows that had answered OK must be sent again
 * along with the aborted ones. Only the failing row itself is dropped (bad data) or
 * kept for later (the server is in trouble).
 */
static void settle_batch(gw_db *db, bool *reconnect)
{
    bool failed = false;
    item *it;
    for (GList *l = db->batch.head; l; l = l->next)
        failed = failed || !row_ok(l->data);
    while ((it = g_queue_pop_head(&db->batch))) {
        gw_db_row *row = it->row;
        it->row = NULL;
        db->inflight_rows--;
        if (row_ok(it) && !failed) {
            db->st.written++;
            if (row->joff >= 0)
                db->st.replayed++;
            gw_db_row_free(&row);
        } else if (row_ok(it) || it->status == PGRES_PIPELINE_ABORTED || transient(it->sqlstate)) {
            g_queue_push_tail(&db->retry, row);
            if (!row_ok(it) && it->status != PGRES_PIPELINE_ABORTED) {
                LOG_WARN(db, "%s row failed (SQLSTATE %s: %s); will retry",
                         gw_db_stmt_get(row->kind)->name, it->sqlstate, it->msg ? it->msg : "");
                *reconnect = true;
            }
        } else {
            db->st.rejected++;
            char *m = g_strchomp(g_strdup(it->msg ? it->msg : "?"));
            LOG_ERR(db, "%s row refused by the database (SQLSTATE %s: %s); write id %s dropped",
                    gw_db_stmt_get(row->kind)->name, it->sqlstate, m, row->val[0]);
            g_free(m);
            gw_db_row_free(&row);
        }
        item_free(it);
    }
}

/* A pipeline entry got all its results: a row waits for its batch's sync. */
static void complete(gw_db *db, item *it)
{
    if (it->kind == IT_PREP) {
        if (it->status != PGRES_COMMAND_OK) {
            LOG_ERR(db, "prepare failed: %s", it->msg ? it->msg : "?");
            db->prep_failed = true;
        }
        item_free(it);
        return;
    }
    g_queue_push_tail(&db->batch, it);
}

/* Handle the results libpq has; at most one batch per call (the rest from an idle callback). */
static void pipeline_results(gw_db *db)
{
    bool reconnect = false;
    int nulls = 0, done = 0;
    while (db->conn && !PQisBusy(db->conn)) {
        if (done >= db->o.batch_rows) {
            kick(db); /* results may already sit in libpq's buffer: no fd event will come */
            break;
        }
        PGresult *r = PQgetResult(db->conn);
        item *h = g_queue_peek_head(&db->inflight);
        if (!r) {
            /* NULL ends one query's results; a stray one can follow a sync. */
            if (h && h->kind != IT_SYNC && h->got) {
                g_queue_pop_head(&db->inflight);
                complete(db, h);
                nulls = 0;
                done++;
                continue;
            }
            if (!h || ++nulls >= 2)
                break;
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (!h || h->kind != IT_SYNC) {
                conn_lost(db, "pipeline out of step (unexpected sync)");
                return;
            }
            g_queue_pop_head(&db->inflight);
            item_free(h);
            settle_batch(db, &reconnect);
            if (db->state == GW_DB_PREPARING) {
                if (db->prep_failed) {
                    conn_lost(db, "statements could not be prepared");
                    return;
                }
                ready(db);
            }
            continue;
        }
        if (!h || h->kind == IT_SYNC) {
            PQclear(r);
            conn_lost(db, "pipeline out of step (unexpected result)");
            return;
        }
        if (!h->got) {
            h->got = true;
            h->status = st;
            const char *ss = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            g_strlcpy(h->sqlstate, ss ? ss : "", sizeof h->sqlstate);
            if (st == PGRES_FATAL_ERROR)
                h->msg = g_strdup(PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    if (reconnect && db->conn)
        conn_lost(db, "server error");
}

/* The next row to send: retries first, then the journal (in journal mode), then memory. */
static gw_db_row *next_row(gw_db *db)
{
    gw_db_row *row = g_queue_pop_head(&db->retry);
    if (row)
        return row;
    while (db->journal_mode) {
        uint8_t *pl = NULL;
        uint32_t len = 0;
        uint64_t roff = 0;
        int r = gw_journal_next(db->j, &db->replay_off, &pl, &len, &roff);
        if (r < 0)
            return NULL;
        if (r == 0) {
            if (db->inflight_rows > 0)
                return NULL; /* wait: a replayed row may still fail and need the journal */
            LOG_INFO(db, "journal replayed; writing directly again");
            gw_journal_reset(db->j);
            db->replay_off = gw_journal_first();
            db->journal_mode = false;
            break;
        }
        const char *why = NULL;
        row = gw_db_row_decode(pl, len, &why);
        free(pl);
        if (row) {
            row->joff = (int64_t)roff;
            return row;
        }
        LOG_ERR(db, "journal %s: record at offset %llu dropped: %s", gw_journal_path(db->j),
                (unsigned long long)roff, why);
        db->st.dropped++;
    }
    return g_queue_pop_head(&db->queue);
}

static bool send_sync(gw_db *db)
{
    if (!PQpipelineSync(db->conn)) {
        conn_lost(db, PQerrorMessage(db->conn));
        return false;
    }
    item *s = g_new0(item, 1);
    s->kind = IT_SYNC;
    g_queue_push_tail(&db->inflight, s);
    db->batch_open = 0;
    return true;
}

/*
 * Send rows while the window allows; each batch ends with a sync (one transaction).
 * At most one batch per call: the rest follows from an idle callback, so one dispatch
 * never holds the loop for long.
 */
static void pump(gw_db *db)
{
    size_t window = (size_t)db->o.batch_rows * 4;
    int n = 0;
    bool sent = false;
    if (db->state != GW_DB_READY)
        return;
    while (db->inflight_rows < window) {
        if (n++ >= db->o.batch_rows) {
            kick(db);
            break;
        }
        gw_db_row *row = next_row(db);
        if (!row)
            break;
        const gw_db_stmt_info *si = gw_db_stmt_get(row->kind);
        int fmt[GW_DB_MAX_PARAMS];
        for (int i = 0; i < row->n; i++)
            fmt[i] = (si->binary >> i) & 1;
        item *it = g_new0(item, 1);
        it->kind = IT_ROW;
        it->row = row;
        g_queue_push_tail(&db->inflight, it);
        db->inflight_rows++;
        if (!PQsendQueryPrepared(db->conn, si->name, row->n, row->val, row->vlen, fmt, 0)) {
            conn_lost(db, PQerrorMessage(db->conn));
            return;
        }
        sent = true;
        if (++db->batch_open >= db->o.batch_rows && !send_sync(db))
            return;
    }
    if (db->batch_open > 0 && !send_sync(db))
        return;
    if (sent)
        flush_and_watch(db);
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer ud)
{
    gw_db *db = ud;
    (void)fd;
    if (db->state == GW_DB_CONNECTING) {
        connect_poll(db);
        return G_SOURCE_CONTINUE;
    }
    if ((cond & G_IO_OUT) && !flush_and_watch(db))
        return G_SOURCE_CONTINUE;
    if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !PQconsumeInput(db->conn)) {
        conn_lost(db, PQerrorMessage(db->conn));
        return G_SOURCE_CONTINUE;
    }
    if (db->state == GW_DB_MIGRATING)
        migration_results(db);
    else
        pipeline_results(db);
    if (db->conn && db->state == GW_DB_READY) {
        pump(db);
        if (db->conn)
            flush_and_watch(db);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_kick(gpointer ud)
{
    gw_db *db = ud;
    g_source_unref(db->kick);
    db->kick = NULL;
    if (db->conn && db->state == GW_DB_READY)
        pipeline_results(db);
    pump(db);
    return G_SOURCE_REMOVE;
}

/* Rows submitted during one loop iteration are sent together, after it. */
static void kick(gw_db *db)
{
    if (db->kick || db->state != GW_DB_READY)
        return;
    db->kick = g_idle_source_new();
    g_source_set_priority(db->kick, G_PRIORITY_DEFAULT);
    g_source_set_callback(db->kick, on_kick, db, NULL);
    g_source_attach(db->kick, db->ctx);
}

int gw_db_submit(gw_db *db, gw_db_row *row)
{
    if (!row) {
        db->st.dropped++;
        LOG_ERR(db, "row dropped: out of memory or oversized");
        return AR_E_NOMEM;
    }
    db->st.submitted++;
    if (!db->journal_mode && db->state == GW_DB_READY &&
        g_queue_get_length(&db->queue) < (guint)db->o.queue_max_rows) {
        g_queue_push_tail(&db->queue, row);
        kick(db);
        return AR_E_OK;
    }
    if (!db->journal_mode)
        enter_journal_mode(db, db->state == GW_DB_READY ? "is slow" : "is not available");
    uint64_t dropped = db->st.dropped;
    journal_row(db, row);
    gw_db_row_free(&row);
    kick(db);
    return db->st.dropped == dropped ? AR_E_OK : AR_E_IO;
}

/* ---- lifetime ---------------------------------------------------------------------- */

/* A source that is never ready: its prepare runs once per loop iteration, before the
 * loop polls, and writes what the iteration journaled in one write(2). */
typedef struct {
    GSource src;
    gw_db *db;
} jflush_source;

static gboolean jflush_prepare(GSource *src, gint *timeout)
{
    gw_db *db = ((jflush_source *)src)->db;
    if (db->j)
        gw_journal_flush(db->j);
    *timeout = -1;
    return FALSE;
}

static gboolean jflush_never(GSource *src)
{
    (void)src;
    return FALSE;
}

static gboolean jflush_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    (void)src, (void)cb, (void)ud;
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs jflush_funcs = {jflush_prepare, jflush_never, jflush_dispatch,
                                    NULL,           NULL,         NULL};

gw_db *gw_db_new(const gw_db_opts *o, GMainContext *ctx, char **err)
{
    gw_db *db = g_new0(gw_db, 1);
    db->o = *o;
    db->dsn = o->dsn && *o->dsn ? g_strdup(o->dsn) : NULL;
    db->site = g_strdup(o->site && *o->site ? o->site : "site");
    db->o.dsn = db->o.site = db->o.journal_path = NULL;
    if (db->o.batch_rows < 1)
        db->o.batch_rows = 1;
    if (db->o.queue_max_rows < 1)
        db->o.queue_max_rows = 1;
    if (db->o.backoff_min_ms < 10)
        db->o.backoff_min_ms = 10;
    if (db->o.backoff_max_ms < db->o.backoff_min_ms)
        db->o.backoff_max_ms = db->o.backoff_min_ms;
    db->backoff_ms = db->o.backoff_min_ms;
    db->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
    db->io_fd = -1;
    char *uuid = g_uuid_string_random();
    g_strlcpy(db->instance, uuid, sizeof db->instance);
    g_free(uuid);
    db->j = gw_journal_open(o->journal_path, o->journal_max_bytes, o->journal_sync_ms, err);
    if (!db->j) {
        gw_db_free(&db);
        return NULL;
    }
    db->replay_off = gw_journal_first();
    db->journal_mode = !gw_journal_empty(db->j);
    db->jflush = g_source_new(&jflush_funcs, sizeof(jflush_source));
    ((jflush_source *)db->jflush)->db = db;
    g_source_attach(db->jflush, db->ctx);
    if (db->dsn)
        connect_start(db);
    else
        LOG_WARN(db, "no database configured: rows are kept in the journal %s", o->journal_path);
    return db;
}

void gw_db_free(gw_db **dbp)
{
    gw_db *db = dbp ? *dbp : NULL;
    if (!db)
        return;
    io_clear(db);
    if (db->timer)
        g_source_destroy(db->timer), g_source_unref(db->timer);
    if (db->kick)
        g_source_destroy(db->kick), g_source_unref(db->kick);
    if (db->jflush)
        g_source_destroy(db->jflush), g_source_unref(db->jflush);
    if (db->conn)
        PQfinish(db->conn);
    if (db->j) {
        uint64_t before = db->st.journaled;
        spill_pending(db);
        if (db->st.journaled > before)
            LOG_INFO(db, "%llu unwritten row(s) kept in the journal for the next start",
                     (unsigned long long)(db->st.journaled - before));
        gw_journal_free(&db->j);
    }
    gw_db_cdr_free(&db->cdr);
    g_free(db->mig_applied);
    g_free(db->mig_error);
    g_free(db->dsn);
    g_free(db->site);
    g_main_context_unref(db->ctx);
    g_free(db);
    *dbp = NULL;
}

void gw_db_get_stats(const gw_db *db, gw_db_stats *st)
{
    *st = db->st;
    st->state = db->state;
    st->queued =
        g_queue_get_length((GQueue *)&db->queue) + g_queue_get_length((GQueue *)&db->retry);
    st->inflight = db->inflight_rows;
    st->journal_bytes = gw_journal_size(db->j);
    st->journal_mode = db->journal_mode;
}

bool gw_db_idle(const gw_db *db)
{
    return !db->journal_mode && db->inflight_rows == 0 && g_queue_is_empty((GQueue *)&db->queue) &&
           g_queue_is_empty((GQueue *)&db->retry);
}
