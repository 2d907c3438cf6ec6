/* Typed CDR writes: each record becomes one row with a fresh write id, built safely. */
#include <glib.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_db_int.h"

/* Begin a row: parameter $1 is always the write id. */
static void begin(gw_db *db, gw_db_row_builder *rb, gw_db_stmt kind)
{
    gw_db_rb_init(rb, kind);
    gw_db_rb_text(rb, gw_db_next_write_id(db));
}

/* Finish a row; say so when bytes had to be escaped or text was cut (first ten, then
 * every thousandth: bad input must not flood the log). */
static int finish(gw_db *db, gw_db_row_builder *rb, const char *what, const char *key)
{
    static uint64_t n_escaped;
    if (rb->escaped && (++n_escaped <= 10 || n_escaped % 1000 == 0))
        LOG_WARN(db, "%s %s: non-UTF-8 or NUL bytes stored escaped as \\xNN (%llu so far)", what,
                 key ? key : "-", (unsigned long long)n_escaped);
    if (rb->cut)
        LOG_WARN(db, "%s %s: a text value longer than %u bytes was cut", what, key ? key : "-",
                 GW_DB_MAX_TEXT);
    return gw_db_submit(db, gw_db_rb_finish(rb));
}

int gw_db_write_call(gw_db *db, const gw_db_call *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_call);
    gw_db_rb_text(&rb, r->connid);
    gw_db_rb_text(&rb, r->call_uuid);
    gw_db_rb_text(&rb, gw_db_site(db));
    gw_db_rb_text(&rb, r->call_type ? r->call_type : "Unknown");
    gw_db_rb_text(&rb, r->ani);
    gw_db_rb_text(&rb, r->dnis);
    gw_db_rb_time(&rb, r->started_us);
    gw_db_rb_time(&rb, r->answered_us);
    gw_db_rb_time(&rb, r->ended_us);
    gw_db_rb_text(&rb, r->end_cause);
    return finish(db, &rb, "call", r->connid);
}

int gw_db_write_party(gw_db *db, const gw_db_party *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_party);
    gw_db_rb_text(&rb, r->connid);
    gw_db_rb_text(&rb, r->dn);
    gw_db_rb_text(&rb, r->role ? r->role : "Other");
    gw_db_rb_text(&rb, r->agent_login);
    gw_db_rb_bool(&rb, r->full_time);
    gw_db_rb_time(&rb, r->joined_us);
    gw_db_rb_time(&rb, r->left_us);
    return finish(db, &rb, "party on call", r->connid);
}

int gw_db_write_user_data(gw_db *db, const gw_db_user_data *r)
{
    gw_db_row_builder rb;
    const char *v = r->value;
    size_t vlen = v ? r->value_len : 0;
    begin(db, &rb, GW_DB_S_user_data);
    gw_db_rb_text(&rb, r->connid);
    gw_db_rb_time(&rb, r->at_us);
    gw_db_rb_text(&rb, r->op);
    gw_db_rb_text(&rb, r->key);
    gw_db_rb_textn(&rb, v, vlen);
    /* The exact bytes go to value_raw (bytea) only when the text had to be escaped. */
    ar_buf tmp = {0};
    bool raw = v && gw_db_text_escape(v, vlen, &tmp);
    ar_buf_free(&tmp);
    gw_db_rb_bytes(&rb, raw ? v : NULL, raw ? vlen : 0);
    return finish(db, &rb, "user data of call", r->connid);
}

int gw_db_write_recording(gw_db *db, const gw_db_recording *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_recording);
    const char *t[] = {r->record_id,   r->connid,     r->call_uuid,  r->recorded_dn, r->other_dn,
                       r->side,        r->started_by, r->mediad,     r->recorder,    r->recorder2,
                       r->dest,        r->dest2,      r->file_name,  r->dialect,     r->audio_state,
                       r->video_state, r->state,      r->fail_reason};
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        gw_db_rb_text(&rb, t[i]);
    gw_db_rb_time(&rb, r->started_us);
    gw_db_rb_time(&rb, r->ended_us);
    return finish(db, &rb, "recording", r->record_id);
}

int gw_db_write_segment(gw_db *db, const gw_db_segment *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_segment);
    gw_db_rb_text(&rb, r->record_id);
    gw_db_rb_text(&rb, r->event);
    gw_db_rb_time(&rb, r->at_us);
    gw_db_rb_text(&rb, r->reason);
    return finish(db, &rb, "segment of recording", r->record_id);
}

int gw_db_write_tone(gw_db *db, const gw_db_tone *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_tone);
    gw_db_rb_text(&rb, r->record_id);
    gw_db_rb_text(&rb, r->audiosrc);
    if (r->silence_ms >= 0)
        gw_db_rb_int(&rb, r->silence_ms);
    else
        gw_db_rb_bytes(&rb, NULL, 0);
    gw_db_rb_text(&rb, r->heard_by);
    gw_db_rb_time(&rb, r->at_us);
    return finish(db, &rb, "tone of recording", r->record_id);
}

int gw_db_write_screen(gw_db *db, const gw_db_screen *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_screen);
    gw_db_rb_time(&rb, r->at_us);
    gw_db_rb_text(&rb, gw_db_site(db));
    gw_db_rb_text(&rb, r->dn);
    gw_db_rb_text(&rb, r->connid);
    gw_db_rb_text(&rb, r->agent_login);
    gw_db_rb_text(&rb, r->action);
    gw_db_rb_text(&rb, r->detail);
    return finish(db, &rb, "screen capture on DN", r->dn);
}

int gw_db_write_islink(gw_db *db, const gw_db_islink *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_islink);
    gw_db_rb_text(&rb, r->islink_id);
    gw_db_rb_text(&rb, gw_db_site(db));
    gw_db_rb_text(&rb, r->call_uuid);
    gw_db_rb_text(&rb, r->connid);
    gw_db_rb_text(&rb, r->location_name);
    gw_db_rb_text(&rb, r->direction_role);
    gw_db_rb_time(&rb, r->at_us);
    return finish(db, &rb, "ISLink", r->islink_id);
}

int gw_db_write_tlib_event(gw_db *db, const gw_db_tlib_event *r)
{
    gw_db_row_builder rb;
    begin(db, &rb, GW_DB_S_tlib_event);
    gw_db_rb_time(&rb, r->at_us);
    gw_db_rb_text(&rb, gw_db_site(db));
    gw_db_rb_text(&rb, r->event);
    gw_db_rb_text(&rb, r->client);
    gw_db_rb_text(&rb, r->dn);
    gw_db_rb_text(&rb, r->connid);
    if (r->error_code >= 0)
        gw_db_rb_int(&rb, r->error_code);
    else
        gw_db_rb_bytes(&rb, NULL, 0);
    gw_db_rb_text(&rb, r->detail);
    return finish(db, &rb, "T-Lib event", r->event);
}

void gw_db_audit(gw_db *db, const char *event, const char *client, const char *dn,
                 const char *connid, int error_code, const char *detail)
{
    if (!db)
        return;
    gw_db_tlib_event ev = {event, client, dn, connid, detail, error_code, g_get_real_time()};
    gw_db_write_tlib_event(db, &ev);
}
