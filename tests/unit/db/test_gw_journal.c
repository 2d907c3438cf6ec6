/* Unit tests for the database journal: format, replay order, truncation and corruption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ar_log.h"
#include "gw_journal.h"

typedef struct {
    char *dir;
    char *path;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = g_dir_make_tmp(NULL, NULL);
    f->path = g_build_filename(f->dir, "j", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    g_free(f->path);
    g_free(f->dir);
    free(f);
    return 0;
}

static gw_journal *open_j(const char *path, uint64_t max)
{
    char *err = NULL;
    gw_journal *j = gw_journal_open(path, max, 0, &err);
    if (!j)
        fail_msg("open: %s", err);
    return j;
}

/* Record i: "rec-<i>-" followed by i bytes of filler, so sizes differ. */
static void make_payload(int i, char *buf, uint32_t *len)
{
    int n = sprintf(buf, "rec-%d-", i);
    memset(buf + n, 'a' + i % 26, (size_t)i);
    *len = (uint32_t)(n + i);
}

static void append_n(gw_journal *j, int from, int to)
{
    char buf[4096];
    uint32_t len;
    for (int i = from; i < to; i++) {
        make_payload(i, buf, &len);
        assert_int_equal(gw_journal_append(j, buf, len), GW_JOURNAL_OK);
    }
}

/* Read every record; returns the count and checks each matches the expected index list. */
static int read_all(gw_journal *j, const int *expect, int n_expect)
{
    uint64_t off = gw_journal_first(), rec_off;
    uint8_t *pl;
    uint32_t len;
    int n = 0, r;
    char buf[4096];
    uint32_t elen;
    while ((r = gw_journal_next(j, &off, &pl, &len, &rec_off)) == 1) {
        assert_true(n < n_expect);
        make_payload(expect[n], buf, &elen);
        assert_int_equal(len, elen);
        assert_memory_equal(pl, buf, len);
        free(pl);
        n++;
    }
    assert_int_equal(r, 0);
    return n;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(gw_crc32(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(gw_crc32(0, "", 0), 0);
}

static void test_round_trip_and_reopen(void **state)
{
    fixture *f = *state;
    int expect[50];
    for (int i = 0; i < 50; i++)
        expect[i] = i;
    gw_journal *j = open_j(f->path, 1 << 20);
    assert_true(gw_journal_empty(j));
    append_n(j, 0, 50);
    assert_false(gw_journal_empty(j));
    assert_int_equal(read_all(j, expect, 50), 50);
    gw_journal_free(&j);
    /* A restarted writer finds the same records in the same order. */
    j = open_j(f->path, 1 << 20);
    assert_int_equal(read_all(j, expect, 50), 50);
    append_n(j, 0, 1);
    gw_journal_free(&j);
}

static void test_header_layout(void **state)
{
    fixture *f = *state;
    gw_journal *j = open_j(f->path, 1 << 20);
    assert_int_equal(gw_journal_append(j, "hello", 5), GW_JOURNAL_OK);
    gw_journal_free(&j);
    gchar *data;
    gsize len;
    assert_true(g_file_get_contents(f->path, &data, &len, NULL));
    assert_int_equal(len, 8 + 8 + 5);
    assert_memory_equal(data, "ARECJNL1", 8);
    assert_int_equal((uint8_t)data[8], 5);
    assert_int_equal(data[9] | data[10] | data[11], 0);
    uint32_t crc = (uint32_t)(uint8_t)data[12] | (uint32_t)(uint8_t)data[13] << 8 |
                   (uint32_t)(uint8_t)data[14] << 16 | (uint32_t)(uint8_t)data[15] << 24;
    assert_int_equal(crc, gw_crc32(0, "hello", 5));
    assert_memory_equal(data + 16, "hello", 5);
    g_free(data);
}

static void test_truncated_tail(void **state)
{
    fixture *f = *state;
    int expect[] = {0, 1, 2, 3};
    gw_journal *j = open_j(f->path, 1 << 20);
    append_n(j, 0, 3);
    gw_journal_free(&j);
    uint64_t sz = file_size(f->path);
    assert_int_equal(truncate(f->path, (off_t)(sz - 3)), 0); /* torn last record */
    j = open_j(f->path, 1 << 20);
    assert_int_equal(read_all(j, expect, 2), 2);
    /* The torn bytes were cut: a new record follows the last good one. */
    char buf[64];
    uint32_t len;
    make_payload(3, buf, &len);
    assert_int_equal(gw_journal_append(j, buf, len), GW_JOURNAL_OK);
    int expect2[] = {0, 1, 3};
    assert_int_equal(read_all(j, expect2, 3), 3);
    gw_journal_free(&j);
}

static void test_truncated_header(void **state)
{
    fixture *f = *state;
    int expect[] = {0, 1};
    gw_journal *j = open_j(f->path, 1 << 20);
    append_n(j, 0, 2);
    gw_journal_free(&j);
    FILE *fp = fopen(f->path, "ab");
    fwrite("\x05\x00", 1, 2, fp); /* half a record header */
    fclose(fp);
    j = open_j(f->path, 1 << 20);
    assert_int_equal(read_all(j, expect, 2), 2);
    assert_int_equal(gw_journal_bad_bytes(j), 2);
    gw_journal_free(&j);
}

/* Damage one byte of the file at offset off. */
static void flip(const char *path, uint64_t off)
{
    int fd = open(path, O_RDWR);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= 0x5a;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

static uint64_t rec_offset(int k)
{
    /* Offset of record k written by append_n(0..): header + sum of earlier records. */
    uint64_t off = GW_JOURNAL_HDR;
    char buf[4096];
    uint32_t len;
    for (int i = 0; i < k; i++) {
        make_payload(i, buf, &len);
        off += GW_JOURNAL_REC_HDR + len;
    }
    return off;
}

static void test_corrupt_payload(void **state)
{
    fixture *f = *state;
    gw_journal *j = open_j(f->path, 1 << 20);
    append_n(j, 0, 6);
    gw_journal_free(&j);
    flip(f->path, rec_offset(2) + GW_JOURNAL_REC_HDR + 3);
    j = open_j(f->path, 1 << 20);
    int expect[] = {0, 1, 3, 4, 5};
    assert_int_equal(read_all(j, expect, 5), 5);
    assert_int_equal(gw_journal_bad_bytes(j), rec_offset(3) - rec_offset(2));
    /* Reading again reports nothing new. */
    assert_int_equal(read_all(j, expect, 5), 5);
    assert_int_equal(gw_journal_bad_bytes(j), rec_offset(3) - rec_offset(2));
    gw_journal_free(&j);
}

static void test_corrupt_length(void **state)
{
    fixture *f = *state;
    gw_journal *j = open_j(f->path, 1 << 20);
    append_n(j, 0, 6);
    gw_journal_free(&j);
    flip(f->path, rec_offset(4) + 3); /* length's top byte: far out of range */
    j = open_j(f->path, 1 << 20);
    int expect[] = {0, 1, 2, 3, 5};
    assert_int_equal(read_all(j, expect, 5), 5);
    gw_journal_free(&j);
}

static void test_garbage_everywhere(void **state)
{
    fixture *f = *state;
    gw_journal *j = open_j(f->path, 1 << 20);
    append_n(j, 0, 3);
    gw_journal_free(&j);
    /* Random bytes appended, then a good record written by a later run. */
    FILE *fp = fopen(f->path, "ab");
    for (int i = 0; i < 1000; i++)
        fputc((i * 7919) & 0xff, fp);
    fclose(fp);
    j = open_j(f->path, 1 << 20); /* cuts the garbage tail */
    append_n(j, 3, 4);
    int expect[] = {0, 1, 2, 3};
    assert_int_equal(read_all(j, expect, 4), 4);
    gw_journal_free(&j);
}

static void test_not_a_journal(void **state)
{
    fixture *f = *state;
    assert_true(g_file_set_contents(f->path, "hello world, not a journal", -1, NULL));
    gw_journal *j = open_j(f->path, 1 << 20);
    assert_true(gw_journal_empty(j));
    gw_journal_free(&j);
    /* The foreign file was kept aside, never deleted. */
    GDir *d = g_dir_open(f->dir, 0, NULL);
    const char *name;
    int aside = 0;
    while ((name = g_dir_read_name(d)))
        aside += g_str_has_prefix(name, "j.bad.");
    g_dir_close(d);
    assert_int_equal(aside, 1);
}

static void test_bound_and_reset(void **state)
{
    fixture *f = *state;
    char buf[1000];
    memset(buf, 'z', sizeof buf);
    gw_journal *j = open_j(f->path, 8192);
    int ok = 0;
    while (gw_journal_append(j, buf, sizeof buf) == GW_JOURNAL_OK)
        ok++;
    assert_int_equal(ok, (8192 - 8) / 1008);
    assert_true(gw_journal_size(j) <= 8192);
    assert_int_equal(gw_journal_append(j, buf, sizeof buf), GW_JOURNAL_FULL);
    assert_int_equal(gw_journal_reset(j), 0);
    assert_true(gw_journal_empty(j));
    assert_int_equal(gw_journal_append(j, buf, sizeof buf), GW_JOURNAL_OK);
    gw_journal_free(&j);
    assert_int_equal(file_size(f->path), 8 + 1008);
}

/* Appends wait in memory until a flush, a read, a full batch or the close; a reset drops
 * them with the rest. */
static void test_batched_writes(void **state)
{
    fixture *f = *state;
    gw_journal *j = open_j(f->path, 1 << 24);
    append_n(j, 0, 5);
    assert_int_equal(file_size(f->path), 8); /* nothing written yet */
    assert_int_equal(gw_journal_size(j), rec_offset(5));
    assert_false(gw_journal_empty(j));
    assert_int_equal(gw_journal_flush(j), 0);
    assert_int_equal(file_size(f->path), rec_offset(5));
    assert_int_equal(gw_journal_flush(j), 0); /* nothing pending: no-op */
    append_n(j, 5, 8);
    int expect[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(read_all(j, expect, 8), 8); /* the read flushed the three */
    assert_int_equal(file_size(f->path), rec_offset(8));
    append_n(j, 8, 10);
    assert_int_equal(gw_journal_reset(j), 0); /* drops the pending ones as well */
    assert_true(gw_journal_empty(j));
    append_n(j, 8, 10);
    int kept[2] = {8, 9};
    assert_int_equal(read_all(j, kept, 2), 2);
    /* A batch of GW_JOURNAL_FLUSH_BYTES goes out by itself. */
    char big[4096];
    memset(big, 'b', sizeof big);
    uint64_t before = file_size(f->path);
    for (size_t n = 0; n * (sizeof big + 8) < GW_JOURNAL_FLUSH_BYTES; n++)
        assert_int_equal(gw_journal_append(j, big, sizeof big), GW_JOURNAL_OK);
    assert_true(file_size(f->path) > before);
    assert_int_equal(gw_journal_lost(j), 0);
    append_n(j, 10, 11);
    gw_journal_free(&j); /* the close writes the last one */
    j = open_j(f->path, 1 << 24);
    uint64_t off = gw_journal_first(), ro;
    uint8_t *pl;
    uint32_t len;
    int n = 0;
    while (gw_journal_next(j, &off, &pl, &len, &ro) == 1)
        free(pl), n++;
    assert_int_equal(n, 2 + 16 + 1);
    gw_journal_free(&j);
}

static void test_sync_thread(void **state)
{
    fixture *f = *state;
    char *err = NULL;
    gw_journal *j = gw_journal_open(f->path, 1 << 20, 5, &err);
    assert_non_null(j);
    append_n(j, 0, 20);
    gw_journal_free(&j);
    int expect[20];
    for (int i = 0; i < 20; i++)
        expect[i] = i;
    j = open_j(f->path, 1 << 20);
    assert_int_equal(read_all(j, expect, 20), 20);
    gw_journal_free(&j);
}

/*
 * Random damage: flip a few random bytes of a 30-record journal, many times over. Every
 * record whose bytes were not touched must come back, in order, and no damaged one.
 */
static void test_random_damage(void **state)
{
    fixture *f = *state;
    GRand *rnd = g_rand_new_with_seed(7);
    uint64_t ends[31];
    for (int k = 0; k <= 30; k++)
        ends[k] = rec_offset(k);
    for (int iter = 0; iter < 200; iter++) {
        unlink(f->path);
        gw_journal *j = open_j(f->path, 1 << 20);
        append_n(j, 0, 30);
        gw_journal_free(&j);
        bool hit[30] = {false};
        int nflip = g_rand_int_range(rnd, 1, 4);
        for (int k = 0; k < nflip; k++) {
            uint64_t off = (uint64_t)g_rand_int_range(rnd, GW_JOURNAL_HDR, (gint32)ends[30]);
            flip(f->path, off);
            for (int r = 0; r < 30; r++)
                if (off >= ends[r] && off < ends[r + 1])
                    hit[r] = true;
        }
        int expect[30], n = 0;
        for (int r = 0; r < 30; r++)
            if (!hit[r])
                expect[n++] = r;
        j = open_j(f->path, 1 << 20);
        assert_int_equal(read_all(j, expect, n), n);
        gw_journal_free(&j);
    }
    g_rand_free(rnd);
}

int main(void)
{
    ar_log_set_level(-1, AR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test_setup_teardown(test_round_trip_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound_and_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_damage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
