/* Unit tests: recording-filename template expansion and the screen-capture value check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "ar_err.h"
#include "gw_call_int.h"
#include "gw_rec.h"

static gw_call *fake_call(void)
{
    gw_call *call = g_new0(gw_call, 1);
    call->connid = 0x1234abcd00000007ULL;
    g_strlcpy(call->uuid, "01LG9J7UOB00RLFHLT9A000000000001", sizeof call->uuid);
    g_strlcpy(call->ani, "5001", sizeof call->ani);
    g_strlcpy(call->dnis, "5010", sizeof call->dnis);
    return call;
}

static void test_every_variable(void **state)
{
    (void)state;
    gw_call *call = fake_call();
    /* 2026-11-23 23:32:50 UTC */
    int64_t now = (int64_t)1795476770 * 1000000;
    char *s = gw_rec_expand_name("$UUID$_$CONNID$_$AGENTDN$_$OTHERDN$_$ANI$_$DNIS$_$DATE$_$TIME$_"
                                 "$ID$",
                                 call, "5010", "5001", "rec1", now);
    assert_string_equal(s, "01LG9J7UOB00RLFHLT9A000000000001_1234abcd00000007_5010_5001_5001_"
                           "5010_20261123_233250_rec1");
    g_free(s);
    g_free(call);
}

static void test_unknown_and_unsafe(void **state)
{
    (void)state;
    gw_call *call = fake_call();
    char *s = gw_rec_expand_name("a $NOPE$ b/c;d@e$ID", call, NULL, NULL, NULL, 0);
    assert_string_equal(s, "a__NOPE__b_c_d_e_ID");
    g_free(s);
    /* An id is inserted verbatim and then cleaned: a "$UUID$" inside it is not expanded. */
    s = gw_rec_expand_name("$ID$", call, NULL, NULL, "x$UUID$y", 0);
    assert_string_equal(s, "x_UUID_y");
    g_free(s);
    /* Empty result: the CallUUID. */
    s = gw_rec_expand_name("$AGENTDN$", call, NULL, NULL, NULL, 0);
    assert_string_equal(s, call->uuid);
    g_free(s);
    g_free(call);
}

static void test_length_cap(void **state)
{
    (void)state;
    gw_call *call = fake_call();
    char id[400];
    memset(id, 'L', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    char *s = gw_rec_expand_name("$ID$$ID$", call, NULL, NULL, id, 0);
    assert_int_equal(strlen(s), GW_REC_NAME_MAX);
    g_free(s);
    g_free(call);
}

static void test_screen_capture_values(void **state)
{
    (void)state;
    char why[160];
    static const char *const ok[] = {"start", "stop",    "pause",    "resume",
                                     "query", "enabled", "disabled", "paused"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tl_kv *kv = tl_kv_new();
        tl_kv_add_str(kv, "screen-capture", ok[i]);
        assert_int_equal(gw_rec_screen_capture_check(kv, why, sizeof why), AR_E_OK);
        tl_kv_free(&kv);
    }
    tl_kv *kv = tl_kv_new();
    assert_int_equal(gw_rec_screen_capture_check(kv, why, sizeof why), AR_E_OK); /* absent */
    assert_int_equal(gw_rec_screen_capture_check(NULL, why, sizeof why), AR_E_OK);
    tl_kv_add_str(kv, "screen-capture", "START");
    assert_int_equal(gw_rec_screen_capture_check(kv, why, sizeof why), AR_E_INVALID_VALUE);
    assert_non_null(strstr(why, "START"));
    tl_kv_free(&kv);
    kv = tl_kv_new();
    tl_kv_add_int(kv, "screen-capture", 1);
    assert_int_equal(gw_rec_screen_capture_check(kv, why, sizeof why), AR_E_WRONG_TYPE);
    tl_kv_free(&kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_variable),
        cmocka_unit_test(test_unknown_and_unsafe),
        cmocka_unit_test(test_length_cap),
        cmocka_unit_test(test_screen_capture_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
