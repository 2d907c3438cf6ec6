/* Asynchronous PostgreSQL writer for the CDR correlation tables, with an on-disk journal. */
#ifndef GW_DB_H
#define GW_DB_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw_db gw_db;

typedef struct {
    const char *dsn;          /* libpq connection string or URI; NULL/"" = journal only */
    const char *site;         /* this gateway's site name, stored on every row */
    const char *journal_path; /* journal file (created) */
    uint64_t journal_max_bytes;
    int journal_sync_ms; /* fdatasync period of the journal, 0 = never */
    int batch_rows;      /* rows per pipeline sync (one implicit transaction) */
    int queue_max_rows;  /* rows waiting in memory before new rows spill to the journal */
    int backoff_min_ms, backoff_max_ms;
    bool migrate; /* apply schema/ migrations after each connect */
} gw_db_opts;

/* Fill o with the defaults (docs/database.md). */
void gw_db_opts_default(gw_db_opts *o);

/*
 * Start the writer on ctx (NULL = the default main context): opens the journal and
 * starts connecting in the background; never blocks on the database. Returns NULL
 * with *err set (g_free it) when the journal cannot be opened.
 */
gw_db *gw_db_new(const gw_db_opts *o, GMainContext *ctx, char **err);
/* Stop: rows not yet acknowledged by the server are appended to the journal. */
void gw_db_free(gw_db **db);

typedef enum {
    GW_DB_DOWN = 0,   /* waiting to reconnect */
    GW_DB_CONNECTING, /* TCP / TLS / auth */
    GW_DB_MIGRATING,  /* applying schema migrations */
    GW_DB_PREPARING,  /* preparing statements */
    GW_DB_READY,
} gw_db_state;

typedef struct {
    gw_db_state state;
    uint64_t submitted; /* rows handed to the writer */
    uint64_t written;   /* rows acknowledged by the server (replays included) */
    uint64_t rejected;  /* rows the server refused as bad data (logged) */
    uint64_t journaled; /* rows appended to the journal */
    uint64_t replayed;  /* journal rows acknowledged by the server */
    uint64_t dropped;   /* rows lost: journal full or unwritable (logged) */
    uint64_t queued;    /* rows in memory waiting to be sent */
    uint64_t inflight;  /* rows sent, not yet acknowledged */
    uint64_t journal_bytes;
    uint64_t connects; /* successful connections */
    bool journal_mode; /* new rows go to the journal first */
} gw_db_stats;

void gw_db_get_stats(const gw_db *db, gw_db_stats *st);
/* True when every submitted row was acknowledged, rejected or dropped. */
bool gw_db_idle(const gw_db *db);
const char *gw_db_state_name(gw_db_state s);

/*
 * Typed writes. Strings may be NULL (SQL NULL) unless marked; invalid UTF-8 and NUL
 * bytes are stored escaped as \xNN (logged). Times are microseconds since the Unix
 * epoch, 0 = unknown. Each returns 0, or an ar_err code when the row was dropped
 * (out of memory, journal full); the caller never waits.
 */
typedef struct {
    const char *connid;    /* required, 16 lowercase hex digits */
    const char *call_uuid; /* required */
    const char *call_type; /* Unknown | Internal | Inbound | Outbound | Consult */
    const char *ani, *dnis, *end_cause;
    int64_t started_us, answered_us, ended_us;
} gw_db_call;

typedef struct {
    const char *connid, *dn; /* required */
    const char *role;        /* Origination | Destination | ConferenceMember | Observer | Other */
    const char *agent_login;
    bool full_time; /* the DN is configured for full-time recording */
    int64_t joined_us, left_us;
} gw_db_party;

typedef struct {
    const char *connid;
    int64_t at_us;
    const char *op; /* add | update | delete | delete-all */
    const char *key;
    const char *value; /* value_len bytes, may hold any byte */
    size_t value_len;
} gw_db_user_data;

typedef struct {
    const char *record_id, *connid, *call_uuid, *recorded_dn, *other_dn;
    const char *side;       /* both | dn | other */
    const char *started_by; /* full-time | selective | dynamic */
    const char *mediad, *recorder, *recorder2, *dest, *dest2, *file_name, *dialect;
    const char *audio_state, *video_state; /* sendonly | inactive | none */
    const char *state;                     /* active | paused | completed | failed */
    const char *fail_reason;
    int64_t started_us, ended_us;
} gw_db_recording;

typedef struct {
    const char *record_id;
    const char *event; /* start | pause | resume | stop | fail */
    const char *reason;
    int64_t at_us;
} gw_db_segment;

typedef struct {
    const char *record_id, *audiosrc;
    int silence_ms;       /* < 0 = not set */
    const char *heard_by; /* both | dn | other | none */
    int64_t at_us;
} gw_db_tone;

typedef struct {
    const char *dn, *connid, *agent_login, *action, *detail;
    int64_t at_us;
} gw_db_screen;

typedef struct {
    const char *islink_id, *call_uuid, *connid, *location_name;
    const char *direction_role; /* source | target (schema/003_multisite.sql) */
    int64_t at_us;
} gw_db_islink;

typedef struct {
    const char *event, *client, *dn, *connid, *detail;
    int error_code; /* < 0 = none */
    int64_t at_us;
} gw_db_tlib_event;

int gw_db_write_call(gw_db *db, const gw_db_call *r);
int gw_db_write_party(gw_db *db, const gw_db_party *r);
int gw_db_write_user_data(gw_db *db, const gw_db_user_data *r);
int gw_db_write_recording(gw_db *db, const gw_db_recording *r);
int gw_db_write_segment(gw_db *db, const gw_db_segment *r);
int gw_db_write_tone(gw_db *db, const gw_db_tone *r);
int gw_db_write_screen(gw_db *db, const gw_db_screen *r);
int gw_db_write_islink(gw_db *db, const gw_db_islink *r);
int gw_db_write_tlib_event(gw_db *db, const gw_db_tlib_event *r);

/* Audit a T-Lib event happening now (a tlib_events row); db NULL = no writer, no-op. */
void gw_db_audit(gw_db *db, const char *event, const char *client, const char *dn,
                 const char *connid, int error_code, const char *detail);

/*
 * Apply the embedded schema migrations synchronously (for `gatewayd --migrate` and
 * tools, never on the event loop). Returns 0, or -1 with *err set (g_free it).
 */
int gw_db_migrate_sync(const char *dsn, char **err);

#endif
