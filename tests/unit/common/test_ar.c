/* Unit tests for ar_buf, the ar_err table and ar_log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ar_buf.h"
#include "ar_err.h"
#include "ar_log.h"

static void buf_put_be(void **state)
{
    (void)state;
    ar_buf b = {0};
    assert_int_equal(ar_buf_put_u8(&b, 0x01), 0);
    assert_int_equal(ar_buf_put_u16(&b, 0x0203), 0);
    assert_int_equal(ar_buf_put_u32(&b, 0x04050607), 0);
    assert_int_equal(ar_buf_put_u64(&b, 0x08090a0b0c0d0e0full), 0);
    assert_int_equal(ar_buf_append(&b, "\x10\x11", 2), 0);
    assert_int_equal(ar_buf_append(&b, NULL, 0), 0);
    static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
    assert_int_equal(ar_buf_pending(&b), sizeof want);
    assert_memory_equal(ar_buf_head(&b), want, sizeof want);
    ar_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len + b.cap + b.off, 0);
}

static void buf_grow_consume(void **state)
{
    (void)state;
    ar_buf b = {0};
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(ar_buf_put_u32(&b, i), 0);
    assert_int_equal(ar_buf_pending(&b), 40000);
    ar_buf_consume(&b, 4 * 9000); /* more than half: compacts */
    assert_int_equal(b.off, 0);
    assert_int_equal(ar_buf_pending(&b), 4000);
    const uint8_t *h = ar_buf_head(&b);
    assert_int_equal(h[3] | h[2] << 8, 9000);
    ar_buf_consume(&b, 4);
    assert_int_equal(b.off, 4);
    assert_int_equal(ar_buf_head(&b)[3] | ar_buf_head(&b)[2] << 8, 9001);
    ar_buf_consume(&b, 1u << 30); /* clamps, everything consumed resets */
    assert_int_equal(b.len, 0);
    assert_int_equal(b.off, 0);
    assert_int_equal(ar_buf_reserve(&b, 100), 0);
    assert_true(b.cap - b.len >= 100);
    assert_int_equal(ar_buf_reserve(&b, SIZE_MAX - 8), -1);
    ar_buf_put_u8(&b, 1);
    ar_buf_reset(&b);
    assert_int_equal(ar_buf_pending(&b), 0);
    ar_buf_free(&b);
}

static void buf_printf(void **state)
{
    (void)state;
    ar_buf b = {0};
    assert_int_equal(ar_buf_printf(&b, "a=%d ", 5), 0);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(ar_buf_printf(&b, "%s|", big), 0);
    assert_int_equal(ar_buf_pending(&b), 4 + 4999 + 1);
    assert_memory_equal(b.data, "a=5 xx", 6);
    assert_int_equal(b.data[b.len - 1], '|');
    ar_buf_free(&b);
}

static void err_table(void **state)
{
    (void)state;
    static const int codes[] = {
#define C(name, num, msg) num,
        AR_ERRORS(C)
#undef C
    };
    static const char *const names[] = {
#define N(name, num, msg) #name,
        AR_ERRORS(N)
#undef N
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(ar_errname(codes[i]), names[i]);
        assert_string_not_equal(ar_strerror(codes[i]), "unknown error");
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(codes[i], codes[j]);
    }
    assert_string_equal(ar_errname(AR_E_FRAME_TOO_LARGE), "FRAME_TOO_LARGE");
    assert_int_equal(AR_E_FRAME_TOO_LARGE, 102);
    assert_null(ar_errname(12345));
    assert_string_equal(ar_strerror(-1), "unknown error");
}

/* Runs fn with stderr redirected to a temp file and returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long n = ftell(tmp);
    char *out = calloc(1, (size_t)n + 1);
    rewind(tmp);
    assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return out;
}

static void log_some(void)
{
    ar_log_set_ident("unit");
    ar_log_set_level(-1, AR_LOG_INFO);
    LOG_INFO(tlib, "hello %d\nforged", 7);
    LOG_DEBUG(tlib, "hidden");
    ar_log_set_level(AR_LOG_sip, AR_LOG_DEBUG);
    LOG_DEBUG(sip, "shown");
    char big[3000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = 0;
    LOG_ERR(core, "%s", big);
}

static void log_output(void **state)
{
    (void)state;
    char *out = capture_stderr(log_some);
    /* Exactly three records, each one line. */
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    assert_non_null(strstr(out, "Z unit INFO tlib: hello 7 forged\n"));
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "unit DEBUG sip: shown\n"));
    char *e = strstr(out, "unit ERROR core: ");
    assert_non_null(e);
    assert_int_equal(strspn(e + strlen("unit ERROR core: "), "y"), 2999);
    /* ISO-8601 UTC timestamp at the start. */
    assert_int_equal(out[4], '-');
    assert_int_equal(out[10], 'T');
    free(out);
}

static void log_parse(void **state)
{
    (void)state;
    assert_int_equal(ar_log_parse("warn"), 0);
    assert_false(ar_log_enabled(AR_LOG_tlib, AR_LOG_INFO));
    assert_true(ar_log_enabled(AR_LOG_tlib, AR_LOG_WARN));
    assert_int_equal(ar_log_parse("info,tlib=debug,sip=error"), 0);
    assert_true(ar_log_enabled(AR_LOG_tlib, AR_LOG_DEBUG));
    assert_false(ar_log_enabled(AR_LOG_sip, AR_LOG_WARN));
    assert_true(ar_log_enabled(AR_LOG_ws, AR_LOG_INFO));
    /* A bad spec changes nothing. */
    assert_int_equal(ar_log_parse("tlib=info,nosuch=debug"), -1);
    assert_true(ar_log_enabled(AR_LOG_tlib, AR_LOG_DEBUG));
    assert_int_equal(ar_log_parse("tlib=loud"), -1);
    assert_int_equal(ar_log_parse(""), -1);
    assert_int_equal(ar_log_parse("verbose"), -1);
    assert_false(ar_log_enabled((ar_log_subsys)99, AR_LOG_ERROR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_put_be), cmocka_unit_test(buf_grow_consume),
        cmocka_unit_test(buf_printf), cmocka_unit_test(err_table),
        cmocka_unit_test(log_output), cmocka_unit_test(log_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
