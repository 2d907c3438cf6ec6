/* Database rows: the statement table, the row encoding shared by the queue and the journal. */
#ifndef GW_DB_ROW_H
#define GW_DB_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar_buf.h"

#define GW_DB_MAX_PARAMS 24
/* A row larger than this is refused (a handful of 64 KiB values fit easily). */
#define GW_DB_MAX_ROW (4u * 1024 * 1024)
/* Longest text value accepted; longer values are cut at a UTF-8 boundary and logged. */
#define GW_DB_MAX_TEXT (256u * 1024)

/*
 * X(name, nparams, binary-param mask, SQL). Parameter $1 is always the row's unique
 * write id. Every statement is an upsert on a natural key or an insert that does
 * nothing when the write id is already stored, so replaying a row is harmless.
 */
#define GW_DB_STATEMENTS(X)                                                                        \
    X(call, 11, 0,                                                                                 \
      "INSERT INTO calls (write_id, connid, call_uuid, site, call_type, ani, dnis, started_at, "   \
      "answered_at, ended_at, end_cause) VALUES ($1, $2, $3, $4, $5, $6, $7, arec_ts($8), "        \
      "arec_ts($9), arec_ts($10), $11) ON CONFLICT (connid, site) DO UPDATE SET "                  \
      "write_id = EXCLUDED.write_id, "                                                             \
      "ani = coalesce(EXCLUDED.ani, calls.ani), dnis = coalesce(EXCLUDED.dnis, calls.dnis), "      \
      "call_type = CASE WHEN EXCLUDED.call_type = 'Unknown' THEN calls.call_type "                 \
      "ELSE EXCLUDED.call_type END, "                                                              \
      "answered_at = coalesce(calls.answered_at, EXCLUDED.answered_at), "                          \
      "ended_at = coalesce(EXCLUDED.ended_at, calls.ended_at), "                                   \
      "end_cause = coalesce(EXCLUDED.end_cause, calls.end_cause)")                                 \
    X(party, 8, 0,                                                                                 \
      "INSERT INTO parties (write_id, connid, dn, role, agent_login, full_time, joined_at, "       \
      "left_at) VALUES ($1, $2, $3, $4, $5, $6, arec_ts($7), arec_ts($8)) "                        \
      "ON CONFLICT (connid, dn, joined_at) DO UPDATE SET write_id = EXCLUDED.write_id, "           \
      "agent_login = coalesce(EXCLUDED.agent_login, parties.agent_login), "                        \
      "full_time = parties.full_time OR EXCLUDED.full_time, "                                      \
      "left_at = coalesce(EXCLUDED.left_at, parties.left_at)")                                     \
    X(user_data, 7, 1u << 6,                                                                       \
      "INSERT INTO call_user_data (write_id, connid, changed_at, op, key, value, value_raw) "      \
      "VALUES ($1, $2, arec_ts($3), $4, $5, $6, $7) ON CONFLICT (write_id) DO NOTHING")            \
    X(recording, 21, 0,                                                                            \
      "INSERT INTO recordings (write_id, record_id, connid, call_uuid, recorded_dn, other_dn, "    \
      "side, started_by, mediad, recorder, recorder2, dest, dest2, file_name, dialect, "           \
      "audio_state, video_state, state, fail_reason, started_at, ended_at, other_dns) VALUES "     \
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "    \
      "arec_ts($20), arec_ts($21), CASE WHEN $6::text IS NULL THEN '{}'::text[] "                  \
      "ELSE ARRAY[$6::text] END) ON CONFLICT (record_id) DO UPDATE SET "                           \
      "write_id = EXCLUDED.write_id, "                                                             \
      "other_dn = coalesce(EXCLUDED.other_dn, recordings.other_dn), "                              \
      "other_dns = CASE WHEN EXCLUDED.other_dn IS NULL OR "                                        \
      "EXCLUDED.other_dn = recordings.other_dn THEN coalesce(recordings.other_dns, '{}') "         \
      "ELSE coalesce(recordings.other_dns, '{}') || EXCLUDED.other_dn END, "                       \
      "mediad = coalesce(EXCLUDED.mediad, recordings.mediad), "                                    \
      "recorder = coalesce(EXCLUDED.recorder, recordings.recorder), "                              \
      "recorder2 = coalesce(EXCLUDED.recorder2, recordings.recorder2), "                           \
      "dest = coalesce(EXCLUDED.dest, recordings.dest), "                                          \
      "dest2 = coalesce(EXCLUDED.dest2, recordings.dest2), "                                       \
      "file_name = coalesce(EXCLUDED.file_name, recordings.file_name), "                           \
      "dialect = coalesce(EXCLUDED.dialect, recordings.dialect), "                                 \
      "audio_state = coalesce(EXCLUDED.audio_state, recordings.audio_state), "                     \
      "video_state = coalesce(EXCLUDED.video_state, recordings.video_state), "                     \
      "state = CASE WHEN arec_rec_state_rank(EXCLUDED.state) >= "                                  \
      "arec_rec_state_rank(recordings.state) THEN EXCLUDED.state ELSE recordings.state END, "      \
      "fail_reason = coalesce(EXCLUDED.fail_reason, recordings.fail_reason), "                     \
      "ended_at = coalesce(EXCLUDED.ended_at, recordings.ended_at)")                               \
    X(segment, 5, 0,                                                                               \
      "INSERT INTO recording_segments (write_id, record_id, event, at, reason) "                   \
      "VALUES ($1, $2, $3, arec_ts($4), $5) ON CONFLICT (write_id) DO NOTHING")                    \
    X(tone, 6, 0,                                                                                  \
      "INSERT INTO tone_settings (write_id, record_id, audiosrc, silence_ms, heard_by, at) "       \
      "VALUES ($1, $2, $3, $4, $5, arec_ts($6)) ON CONFLICT (write_id) DO NOTHING")                \
    X(screen, 8, 0,                                                                                \
      "INSERT INTO screen_capture_events (write_id, at, site, dn, connid, agent_login, action, "   \
      "detail) VALUES ($1, arec_ts($2), $3, $4, $5, $6, $7, $8) ON CONFLICT (write_id) DO "        \
      "NOTHING")                                                                                   \
    X(islink, 8, 0,                                                                                \
      "INSERT INTO islinks (write_id, islink_id, site, call_uuid, connid, location_name, "         \
      "direction_role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, arec_ts($8)) "              \
      "ON CONFLICT (islink_id, site, call_uuid) DO UPDATE SET write_id = EXCLUDED.write_id, "      \
      "connid = coalesce(EXCLUDED.connid, islinks.connid)")                                        \
    X(tlib_event, 9, 0,                                                                            \
      "INSERT INTO tlib_events (write_id, at, site, event, client, dn, connid, error_code, "       \
      "detail) VALUES ($1, arec_ts($2), $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (write_id) DO "    \
      "NOTHING")

typedef enum {
#define GW_DB_STMT_ENUM(name, n, bin, sql) GW_DB_S_##name,
    GW_DB_STATEMENTS(GW_DB_STMT_ENUM)
#undef GW_DB_STMT_ENUM
        GW_DB_NSTMT
} gw_db_stmt;

typedef struct {
    const char *name; /* prepared statement name */
    int nparams;
    uint32_t binary; /* bit i set: parameter $(i+1) is sent in binary (bytea) */
    const char *sql;
} gw_db_stmt_info;

const gw_db_stmt_info *gw_db_stmt_get(unsigned kind);

/*
 * One row: an encoded payload (the exact bytes a journal record holds) plus pointers
 * into it. Payload: u8 kind, u8 n, then per value u32 little-endian length
 * (0xffffffff = NULL) followed by the bytes and a NUL, so text values can be handed
 * to libpq without copying.
 */
typedef struct gw_db_row {
    uint8_t *buf;
    uint32_t len;
    uint8_t kind, n;
    const char *val[GW_DB_MAX_PARAMS];
    int vlen[GW_DB_MAX_PARAMS];
    int64_t joff; /* offset of the journal record it was read from, -1 = memory only */
} gw_db_row;

/* Builder: values appended in parameter order, then finished into a row. */
typedef struct {
    ar_buf b;
    uint8_t kind, n;
    bool escaped; /* a text value had bytes escaped */
    bool cut;     /* a text value was longer than GW_DB_MAX_TEXT */
    bool nomem;
} gw_db_row_builder;

void gw_db_rb_init(gw_db_row_builder *rb, gw_db_stmt kind);
/* Raw value (NULL p = SQL NULL). */
void gw_db_rb_bytes(gw_db_row_builder *rb, const void *p, size_t len);
/* Text value: invalid UTF-8 and NUL bytes become \xNN, see gw_db_text_escape. */
void gw_db_rb_text(gw_db_row_builder *rb, const char *s);
void gw_db_rb_textn(gw_db_row_builder *rb, const char *s, size_t len);
/* Integer value, as decimal text. */
void gw_db_rb_int(gw_db_row_builder *rb, int64_t v);
/* Microsecond timestamp; 0 = NULL (unknown). */
void gw_db_rb_time(gw_db_row_builder *rb, int64_t us);
void gw_db_rb_bool(gw_db_row_builder *rb, bool v);
/* Finish: NULL when out of memory or the parameter count is wrong. Frees the builder. */
gw_db_row *gw_db_rb_finish(gw_db_row_builder *rb);

/* Decode a payload (copied). Returns NULL with a reason on malformed bytes. */
gw_db_row *gw_db_row_decode(const uint8_t *p, size_t len, const char **why);
void gw_db_row_free(gw_db_row **row);

/*
 * Append s[0..len) to out as valid UTF-8 without NUL: every byte that is not part of
 * a valid UTF-8 sequence, and every NUL, becomes the four characters \xNN. Returns
 * true when something was escaped.
 */
bool gw_db_text_escape(const char *s, size_t len, ar_buf *out);

#endif
