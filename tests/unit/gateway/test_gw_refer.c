/* Unit tests for gw_refer: the Call-ID of a Refer-To's Replaces header parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "gw_refer.h"

static void expect_cid(const char *headers, const char *want)
{
    char *got = gw_refer_replaces_call_id(headers);
    if (want) {
        assert_non_null(got);
        assert_string_equal(got, want);
    } else {
        assert_null(got);
    }
    g_free(got);
}

static void test_escaped_replaces(void **state)
{
    (void)state;
    expect_cid("Replaces=1-23501%40127.0.0.1%3Bto-tag%3Dgw%3Bfrom-tag%3Dphone",
               "1-23501@127.0.0.1");
    expect_cid("replaces=abc;to-tag=1;from-tag=2", "abc");
    expect_cid("Require=replaces&Replaces=x%2Fy&Other=1", "x/y");
    expect_cid("Replaces=only-the-id", "only-the-id");
}

static void test_none_or_malformed(void **state)
{
    (void)state;
    expect_cid(NULL, NULL);
    expect_cid("", NULL);
    expect_cid("Require=replaces", NULL);
    expect_cid("Replaces=", NULL);
    expect_cid("Replaces=%3Bto-tag%3D1", NULL); /* empty Call-ID */
    expect_cid("Replaces=ab%4", NULL);          /* cut escape */
    expect_cid("Replaces=ab%zz", NULL);         /* not hex */
    expect_cid("Replaces=a%20b", NULL);         /* space */
    expect_cid("Replaces=a%00b", NULL);         /* NUL */
    expect_cid("Replaces=a%7Fb", NULL);         /* DEL */
    expect_cid("Replacesx=abc", NULL);
    char *big = g_strnfill(GW_REFER_CALL_ID_MAX + 1, 'a');
    char *h = g_strconcat("Replaces=", big, NULL);
    expect_cid(h, NULL);
    h[strlen(h) - 1] = '\0';
    char *got = gw_refer_replaces_call_id(h);
    assert_non_null(got);
    assert_int_equal(strlen(got), GW_REFER_CALL_ID_MAX);
    g_free(got);
    g_free(h);
    g_free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaped_replaces),
        cmocka_unit_test(test_none_or_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
