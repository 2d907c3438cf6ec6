/* Unit tests for CDR rows derived from T-Lib call events (journal-only writer, no database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ar_log.h"
#include "gw_db.h"
#include "gw_db_cdr.h"
#include "gw_db_row.h"
#include "gw_journal.h"

#define CONNID 0x00a1b2c3d4e5f601ull

static tl_msg *call_ev(uint16_t type, const char *dn, int role, tl_kv *ud)
{
    tl_msg *m = tl_msg_new(type);
    assert_int_equal(tl_msg_set_str(m, TL_A_ThisDN, dn), 0);
    assert_int_equal(tl_msg_set_connid(m, TL_A_ConnID, CONNID), 0);
    assert_int_equal(tl_msg_set_str(m, TL_A_CallUUID, "uuid-cdr-1"), 0);
    assert_int_equal(tl_msg_set_int(m, TL_A_CallType, TL_CALLTYPE_INTERNAL), 0);
    assert_int_equal(tl_msg_set_int(m, TL_A_ThisDNRole, role), 0);
    assert_int_equal(tl_msg_set_str(m, TL_A_ANI, "5002"), 0);
    if (ud)
        assert_int_equal(tl_msg_set_kv(m, TL_A_UserData, ud), 0);
    return m;
}

static void feed(gw_db *db, tl_msg *m, bool full_time, int64_t t)
{
    gw_db_cdr_event(db, m, full_time, t);
    tl_msg_free(&m);
}

/* Rows found in the journal, as "kind|$2|$3|..." strings (NULL as "-"; write id left out). */
static GPtrArray *journal_rows(const char *path)
{
    char *err = NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gw_journal *j = gw_journal_open(path, 1 << 20, 0, &err);
    assert_non_null(j);
    uint64_t off = gw_journal_first(), ro;
    uint8_t *pl;
    uint32_t len;
    while (gw_journal_next(j, &off, &pl, &len, &ro) == 1) {
        const char *why;
        gw_db_row *row = gw_db_row_decode(pl, len, &why);
        assert_non_null(row);
        GString *s = g_string_new(gw_db_stmt_get(row->kind)->name);
        for (int i = 1; i < row->n; i++)
            g_string_append_printf(s, "|%s", row->val[i] ? row->val[i] : "-");
        g_ptr_array_add(out, g_string_free(s, FALSE));
        gw_db_row_free(&row);
        free(pl);
    }
    gw_journal_free(&j);
    return out;
}

static void test_call_flow_rows(void **state)
{
    (void)state;
    char *dir = g_dir_make_tmp(NULL, NULL);
    char *path = g_build_filename(dir, "j", NULL);
    gw_db_opts o;
    gw_db_opts_default(&o);
    o.dsn = NULL;
    o.site = "s1";
    o.journal_path = path;
    o.journal_sync_ms = 0;
    char *err = NULL;
    gw_db *db = gw_db_new(&o, NULL, &err);
    assert_non_null(db);

    tl_msg *login = tl_msg_new(TL_M_EventAgentLogin);
    tl_msg_set_str(login, TL_A_ThisDN, "5001");
    tl_msg_set_str(login, TL_A_AgentID, "agent7");
    feed(db, login, false, 1);
    feed(db, call_ev(TL_M_EventDialing, "5002", TL_ROLE_ORIGINATION, NULL), false, 100);
    feed(db, call_ev(TL_M_EventRinging, "5001", TL_ROLE_DESTINATION, NULL), true, 200);
    feed(db, call_ev(TL_M_EventEstablished, "5001", TL_ROLE_DESTINATION, NULL), true, 300);
    feed(db, call_ev(TL_M_EventEstablished, "5002", TL_ROLE_ORIGINATION, NULL), false, 301);
    assert_int_equal(gw_db_cdr_calls(db), 1);
    assert_int_equal(gw_db_cdr_parties(db), 2);
    tl_kv *ud = tl_kv_new();
    tl_kv_add_int(ud, "a", 1);
    tl_kv_add_str(ud, "b", "x'y");
    tl_kv *ud2 = tl_kv_copy(ud);
    /* The same change published to both parties: one set of rows. */
    feed(db, call_ev(TL_M_EventAttachedDataChanged, "5001", TL_ROLE_DESTINATION, ud), true, 400);
    feed(db, call_ev(TL_M_EventAttachedDataChanged, "5002", TL_ROLE_ORIGINATION, ud2), false, 400);
    tl_kv *ud3 = tl_kv_new();
    tl_kv_add_int(ud3, "a", 2);
    tl_kv_add_bin(ud3, "bin", "\xff\x01", 2);
    feed(db, call_ev(TL_M_EventAttachedDataChanged, "5001", TL_ROLE_DESTINATION, ud3), true, 500);
    feed(db, call_ev(TL_M_EventAttachedDataChanged, "5001", TL_ROLE_DESTINATION, NULL), true, 550);
    feed(db, call_ev(TL_M_EventReleased, "5002", TL_ROLE_ORIGINATION, NULL), false, 600);
    feed(db, call_ev(TL_M_EventReleased, "5001", TL_ROLE_DESTINATION, NULL), true, 700);
    /* Late duplicates and events of unknown calls write nothing. */
    feed(db, call_ev(TL_M_EventReleased, "5001", TL_ROLE_DESTINATION, NULL), true, 701);
    tl_msg *ue = call_ev(TL_M_EventUserEvent, "5001", 0, NULL);
    feed(db, ue, true, 702);
    assert_int_equal(gw_db_cdr_calls(db), 0);
    assert_int_equal(gw_db_cdr_parties(db), 0);
    gw_db_free(&db);

    GPtrArray *rows = journal_rows(path);
    const char *expect[] = {
        "call|00a1b2c3d4e5f601|uuid-cdr-1|s1|Internal|5002|-|100|-|-|-",
        "party|00a1b2c3d4e5f601|5002|Origination|-|f|100|-",
        "party|00a1b2c3d4e5f601|5001|Destination|agent7|t|200|-",
        "call|00a1b2c3d4e5f601|uuid-cdr-1|s1|Internal|5002|-|100|300|-|-",
        "user_data|00a1b2c3d4e5f601|400|add|a|1|-",
        "user_data|00a1b2c3d4e5f601|400|add|b|x'y|-",
        "user_data|00a1b2c3d4e5f601|500|update|a|2|-",
        "user_data|00a1b2c3d4e5f601|500|add|bin|\\xff\x01|\xff\x01",
        "user_data|00a1b2c3d4e5f601|500|delete|b|-|-",
        "user_data|00a1b2c3d4e5f601|550|delete-all|-|-|-",
        "party|00a1b2c3d4e5f601|5002|Origination|-|f|100|600",
        "party|00a1b2c3d4e5f601|5001|Destination|agent7|t|200|700",
        "call|00a1b2c3d4e5f601|uuid-cdr-1|s1|Internal|5002|-|100|-|700|normal",
    };
    for (size_t i = 0; i < rows->len && i < G_N_ELEMENTS(expect); i++)
        assert_string_equal(g_ptr_array_index(rows, i), expect[i]);
    assert_int_equal(rows->len, G_N_ELEMENTS(expect));
    g_ptr_array_free(rows, TRUE);
    unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void test_null_db_is_noop(void **state)
{
    (void)state;
    tl_msg *m = call_ev(TL_M_EventRinging, "5001", TL_ROLE_DESTINATION, NULL);
    gw_db_cdr_event(NULL, m, false, 1);
    tl_msg_free(&m);
}

int main(void)
{
    ar_log_set_level(-1, AR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_flow_rows),
        cmocka_unit_test(test_null_db_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
