/* Unit tests for gw_sdpx: SDP direction read / rewrite and the per-dialog o= line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "ar_err.h"
#include "gw_sdpx.h"

static const char *OFFER = "v=0\r\n"
                           "o=alice 100 1 IN IP4 10.0.0.1\r\n"
                           "s=-\r\n"
                           "c=IN IP4 10.0.0.1\r\n"
                           "t=0 0\r\n"
                           "m=audio 4000 RTP/AVP 0 8\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "a=sendrecv\r\n"
                           "m=video 0 RTP/AVP 96\r\n";

static const char *OTHER = "v=0\r\n"
                           "o=bob 777 5 IN IP4 10.0.0.2\r\n"
                           "s=-\r\n"
                           "c=IN IP4 10.0.0.2\r\n"
                           "t=0 0\r\n"
                           "m=audio 5000 RTP/AVP 0\r\n";

static void test_dir_read(void **state)
{
    (void)state;
    gw_media_dir d;
    assert_int_equal(gw_sdpx_dir(OFFER, &d), AR_E_OK);
    assert_int_equal(d, GW_DIR_SENDRECV);
    char *held = gw_sdpx_set_dir(OFFER, GW_DIR_SENDONLY);
    assert_int_equal(gw_sdpx_dir(held, &d), AR_E_OK);
    assert_int_equal(d, GW_DIR_SENDONLY);
    g_free(held);
    /* RFC 2543 hold: c=0.0.0.0 counts as inactive. */
    char *old = g_strdup(OTHER);
    char *p = strstr(old, "c=IN IP4 10.0.0.2");
    memcpy(p, "c=IN IP4 0.0.0.0 ", 17);
    assert_int_equal(gw_sdpx_dir(old, &d), AR_E_OK);
    assert_int_equal(d, GW_DIR_INACTIVE);
    g_free(old);
    assert_int_equal(gw_sdpx_dir("v=0\r\nnonsense\r\n", &d), AR_E_SDP_MALFORMED);
    assert_int_not_equal(gw_sdpx_dir("", &d), AR_E_OK);
}

static void test_set_dir_one_line_per_media(void **state)
{
    (void)state;
    char *s = gw_sdpx_set_dir(OFFER, GW_DIR_INACTIVE);
    assert_null(strstr(s, "a=sendrecv"));
    /* One a=inactive closing each of the two media sections, none at session level. */
    const char *first = strstr(s, "a=inactive\r\n");
    assert_non_null(first);
    assert_true(first > strstr(s, "m=audio"));
    assert_true(first < strstr(s, "m=video"));
    assert_non_null(strstr(strstr(s, "m=video"), "a=inactive\r\n"));
    assert_null(strstr(first + 1, "a=inactive\r\nm=audio"));
    g_free(s);
    assert_int_equal(gw_sdpx_mirror(GW_DIR_SENDONLY), GW_DIR_RECVONLY);
    assert_int_equal(gw_sdpx_mirror(GW_DIR_RECVONLY), GW_DIR_SENDONLY);
    assert_int_equal(gw_sdpx_mirror(GW_DIR_INACTIVE), GW_DIR_INACTIVE);
}

static void test_restamp_keeps_origin(void **state)
{
    (void)state;
    gw_sdpx_origin o = {0};
    /* The first body goes out as it is and sets the dialog's origin. */
    assert_string_equal(gw_sdpx_restamp(&o, OFFER), OFFER);
    /* The same body again: unchanged, same version (a refresh). */
    assert_string_equal(gw_sdpx_restamp(&o, OFFER), OFFER);
    /* Another party's body (transfer): our origin, version + 1, the rest untouched. */
    const char *out = gw_sdpx_restamp(&o, OTHER);
    assert_non_null(strstr(out, "o=alice 100 2 IN IP4 10.0.0.1\r\n"));
    assert_non_null(strstr(out, "m=audio 5000 RTP/AVP 0"));
    assert_null(strstr(out, "o=bob"));
    /* Back to the first body: still a change, so version 3. */
    out = gw_sdpx_restamp(&o, OFFER);
    assert_non_null(strstr(out, "o=alice 100 3 IN IP4"));
    /* A body without o= is passed on as it is. */
    assert_string_equal(gw_sdpx_restamp(&o, "v=0\r\n"), "v=0\r\n");
    gw_sdpx_origin_clear(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_read),
        cmocka_unit_test(test_set_dir_one_line_per_media),
        cmocka_unit_test(test_restamp_keeps_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
