/* Unit tests for database rows: safe text, encoding, decoding of damaged payloads, spill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "ar_log.h"
#include "gw_db.h"
#include "gw_db_row.h"
#include "gw_journal.h"

static char *escape(const char *s, size_t len, bool *changed)
{
    ar_buf b = {0};
    *changed = gw_db_text_escape(s, len, &b);
    char *r = g_strndup(b.data ? (char *)b.data : "", b.len);
    ar_buf_free(&b);
    return r;
}

static void test_escape(void **state)
{
    (void)state;
    bool ch;
    char *r = escape("plain 'quoted' \"text\"", 21, &ch);
    assert_false(ch);
    assert_string_equal(r, "plain 'quoted' \"text\"");
    g_free(r);
    r = escape("a\xff"
               "b\x80",
               4, &ch);
    assert_true(ch);
    assert_string_equal(r, "a\\xffb\\x80");
    g_free(r);
    r = escape("n\0l", 3, &ch);
    assert_true(ch);
    assert_string_equal(r, "n\\x00l");
    g_free(r);
    r = escape("caf\xc3\xa9 \xe2\x82\xac", 9, &ch); /* valid UTF-8 untouched */
    assert_false(ch);
    assert_string_equal(r, "caf\xc3\xa9 \xe2\x82\xac");
    g_free(r);
    r = escape("\xe2\x82", 2, &ch); /* truncated sequence */
    assert_true(ch);
    assert_string_equal(r, "\\xe2\\x82");
    g_free(r);
}

static gw_db_row *segment_row(const char *id, const char *ev)
{
    gw_db_row_builder rb;
    gw_db_rb_init(&rb, GW_DB_S_segment);
    gw_db_rb_text(&rb, "wid-1");
    gw_db_rb_text(&rb, id);
    gw_db_rb_text(&rb, ev);
    gw_db_rb_time(&rb, 1700000000000000LL);
    gw_db_rb_text(&rb, NULL);
    return gw_db_rb_finish(&rb);
}

static void test_build_decode(void **state)
{
    (void)state;
    gw_db_row *row = segment_row("rec\xff", "stop");
    assert_non_null(row);
    assert_int_equal(row->kind, GW_DB_S_segment);
    assert_int_equal(row->n, 5);
    assert_string_equal(row->val[1], "rec\\xff");
    assert_string_equal(row->val[3], "1700000000000000");
    assert_null(row->val[4]);
    const char *why = NULL;
    gw_db_row *copy = gw_db_row_decode(row->buf, row->len, &why);
    assert_non_null(copy);
    assert_string_equal(copy->val[2], "stop");
    gw_db_row_free(&copy);
    gw_db_row_free(&row);
    assert_null(row);
}

static void test_builder_wrong_count(void **state)
{
    (void)state;
    gw_db_row_builder rb;
    gw_db_rb_init(&rb, GW_DB_S_segment);
    gw_db_rb_text(&rb, "only one");
    assert_null(gw_db_rb_finish(&rb));
}

static void test_big_text(void **state)
{
    (void)state;
    char *big = g_malloc(64 * 1024 + 1);
    memset(big, 'q', 64 * 1024);
    big[64 * 1024] = 0;
    gw_db_row_builder rb;
    gw_db_rb_init(&rb, GW_DB_S_segment);
    gw_db_rb_text(&rb, "w");
    gw_db_rb_text(&rb, big);
    gw_db_rb_text(&rb, "fail");
    gw_db_rb_time(&rb, 1);
    gw_db_rb_text(&rb, big);
    gw_db_row *row = gw_db_rb_finish(&rb);
    assert_non_null(row);
    assert_int_equal(row->vlen[1], 64 * 1024);
    assert_int_equal(strlen(row->val[4]), 64 * 1024);
    gw_db_row_free(&row);
    g_free(big);
}

static void test_decode_rejects(void **state)
{
    (void)state;
    gw_db_row *row = segment_row("r1", "start");
    const char *why;
    uint8_t *b = g_memdup2(row->buf, row->len);
    uint32_t len = row->len;
    b[0] = 200;
    assert_null(gw_db_row_decode(b, len, &why));
    assert_string_equal(why, "unknown statement kind");
    b[0] = row->buf[0];
    b[1] = 3;
    assert_null(gw_db_row_decode(b, len, &why));
    assert_non_null(why);
    b[1] = row->buf[1];
    for (uint32_t cut = 0; cut < len; cut++) /* every truncation is refused */
        assert_null(gw_db_row_decode(b, cut, &why));
    /* A text value made invalid UTF-8 (a CRC-valid but hand-made record). */
    char *p = memmem(b, len, "r1", 2);
    p[1] = (char)0xff;
    assert_null(gw_db_row_decode(b, len, &why));
    assert_string_equal(why, "text value is not valid UTF-8");
    g_free(b);
    b = g_malloc(len + 1);
    memcpy(b, row->buf, len);
    b[len] = 0;
    assert_null(gw_db_row_decode(b, len + 1, &why));
    g_free(b);
    gw_db_row_free(&row);
}

/* Without a database every row lands in the journal, decodable, in order. */
static void test_journal_only_writer(void **state)
{
    (void)state;
    char *dir = g_dir_make_tmp(NULL, NULL);
    char *path = g_build_filename(dir, "j", NULL);
    gw_db_opts o;
    gw_db_opts_default(&o);
    o.dsn = NULL;
    o.journal_path = path;
    o.journal_sync_ms = 0;
    char *err = NULL;
    gw_db *db = gw_db_new(&o, NULL, &err);
    assert_non_null(db);
    for (int i = 0; i < 10; i++) {
        char rid[16];
        snprintf(rid, sizeof rid, "r%d", i);
        gw_db_segment s = {rid, "start", NULL, 1000 + i};
        assert_int_equal(gw_db_write_segment(db, &s), 0);
    }
    gw_db_stats st;
    gw_db_get_stats(db, &st);
    assert_int_equal(st.journaled, 10);
    assert_true(st.journal_mode);
    assert_false(gw_db_idle(db));
    gw_db_free(&db);
    gw_journal *j = gw_journal_open(path, 1 << 20, 0, &err);
    assert_non_null(j);
    uint64_t off = gw_journal_first(), ro;
    uint8_t *pl;
    uint32_t len;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(gw_journal_next(j, &off, &pl, &len, &ro), 1);
        const char *why;
        gw_db_row *row = gw_db_row_decode(pl, len, &why);
        assert_non_null(row);
        char rid[16];
        snprintf(rid, sizeof rid, "r%d", i);
        assert_string_equal(row->val[1], rid);
        gw_db_row_free(&row);
        free(pl);
    }
    assert_int_equal(gw_journal_next(j, &off, &pl, &len, &ro), 0);
    gw_journal_free(&j);
    unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

int main(void)
{
    ar_log_set_level(-1, AR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_build_decode),
        cmocka_unit_test(test_builder_wrong_count),
        cmocka_unit_test(test_big_text),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_journal_only_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
