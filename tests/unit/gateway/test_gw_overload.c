/* Unit tests for gw_overload: max-calls, the new-call and REGISTER token buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gw_overload.h"

#define SEC 1000000

static void test_no_limits_admit_everything(void **state)
{
    (void)state;
    gw_overload *o = gw_overload_new();
    gw_ol_limits lim = {0, 0, 0};
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(gw_overload_call(o, &lim, 100000, SEC), GW_OL_ADMIT);
        assert_int_equal(gw_overload_register(o, &lim, SEC), GW_OL_ADMIT);
    }
    assert_int_equal(gw_overload_shed(o, GW_OL_MAX_CALLS), 0);
    gw_overload_free(&o);
    assert_null(o);
}

static void test_max_calls(void **state)
{
    (void)state;
    gw_overload *o = gw_overload_new();
    gw_ol_limits lim = {2, 0, 0};
    assert_int_equal(gw_overload_call(o, &lim, 0, SEC), GW_OL_ADMIT);
    assert_int_equal(gw_overload_call(o, &lim, 1, SEC), GW_OL_ADMIT);
    assert_int_equal(gw_overload_call(o, &lim, 2, SEC), GW_OL_MAX_CALLS);
    assert_int_equal(gw_overload_call(o, &lim, 7, SEC), GW_OL_MAX_CALLS);
    assert_int_equal(gw_overload_shed(o, GW_OL_MAX_CALLS), 2);
    gw_overload_free(&o);
}

static void test_call_rate_bucket(void **state)
{
    (void)state;
    gw_overload *o = gw_overload_new();
    gw_ol_limits lim = {0, 10, 0};
    int64_t t = 5 * SEC;
    /* One second's worth as a burst, then refused. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(gw_overload_call(o, &lim, 0, t), GW_OL_ADMIT);
    assert_int_equal(gw_overload_call(o, &lim, 0, t), GW_OL_CALL_RATE);
    /* 100 ms later: one more token. */
    t += SEC / 10;
    assert_int_equal(gw_overload_call(o, &lim, 0, t), GW_OL_ADMIT);
    assert_int_equal(gw_overload_call(o, &lim, 0, t), GW_OL_CALL_RATE);
    /* A long pause saves no more than the burst. */
    t += 60 * SEC;
    int ok = 0;
    while (gw_overload_call(o, &lim, 0, t) == GW_OL_ADMIT)
        ok++;
    assert_int_equal(ok, 10);
    assert_int_equal(gw_overload_shed(o, GW_OL_CALL_RATE), 3);
    gw_overload_free(&o);
}

static void test_capacity_does_not_spend_rate(void **state)
{
    (void)state;
    gw_overload *o = gw_overload_new();
    gw_ol_limits lim = {1, 2, 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(gw_overload_call(o, &lim, 1, SEC), GW_OL_MAX_CALLS);
    assert_int_equal(gw_overload_call(o, &lim, 0, SEC), GW_OL_ADMIT);
    assert_int_equal(gw_overload_call(o, &lim, 0, SEC), GW_OL_ADMIT);
    assert_int_equal(gw_overload_call(o, &lim, 0, SEC), GW_OL_CALL_RATE);
    gw_overload_free(&o);
}

static void test_register_rate_and_reload(void **state)
{
    (void)state;
    gw_overload *o = gw_overload_new();
    gw_ol_limits lim = {0, 0, 3};
    for (int i = 0; i < 3; i++)
        assert_int_equal(gw_overload_register(o, &lim, SEC), GW_OL_ADMIT);
    assert_int_equal(gw_overload_register(o, &lim, SEC), GW_OL_REGISTER_RATE);
    /* A reload with another rate starts a fresh bucket. */
    lim.max_register_rate = 5;
    for (int i = 0; i < 5; i++)
        assert_int_equal(gw_overload_register(o, &lim, SEC), GW_OL_ADMIT);
    assert_int_equal(gw_overload_register(o, &lim, SEC), GW_OL_REGISTER_RATE);
    assert_int_equal(gw_overload_shed(o, GW_OL_REGISTER_RATE), 2);
    assert_string_equal(gw_overload_reason(GW_OL_REGISTER_RATE),
                        "overload: max-register-rate exceeded");
    gw_overload_free(&o);
}

static void test_log_once_a_second(void **state)
{
    (void)state;
    gw_overload *o = gw_overload_new();
    assert_true(gw_overload_should_log(o, GW_OL_MAX_CALLS, SEC));
    assert_false(gw_overload_should_log(o, GW_OL_MAX_CALLS, SEC + SEC / 2));
    assert_true(gw_overload_should_log(o, GW_OL_CALL_RATE, SEC + SEC / 2));
    assert_true(gw_overload_should_log(o, GW_OL_MAX_CALLS, 2 * SEC + 1));
    assert_false(gw_overload_should_log(o, (gw_ol_verdict)9, SEC));
    gw_overload_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_limits_admit_everything),
        cmocka_unit_test(test_max_calls),
        cmocka_unit_test(test_call_rate_bucket),
        cmocka_unit_test(test_capacity_does_not_spend_rate),
        cmocka_unit_test(test_register_rate_and_reload),
        cmocka_unit_test(test_log_once_a_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
