/* Unit tests: full-time recording of consultation calls (dual-dialog, record-consult-calls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "call_fake.h"
#include "gw_call_int.h"

/* No msml media server is configured: a full-time recording that is attempted fails at
   once and leaves GSIP_RECORD=Off + RECORDING_NO in the call's user data, which tells
   whether the recording was attempted on a call. */
static char *conf(const char *dn5002, const char *gateway)
{
    return g_strdup_printf("[gateway]\nsite = unit\nclient-queue-limit = 1048576\n%s"
                           "[dn 5001]\ntype = Extension\n"
                           "[dn 5002]\ntype = Extension\n%s"
                           "[dn 5003-5005]\ntype = Extension\n"
                           "[application demo]\npassword = demo\ndns = *\n",
                           gateway, dn5002);
}

typedef struct {
    uint64_t main_id, consult_id;
} ids;

/* 5001 -> 5002 answered; 5002 consults 5003, who answers. */
static ids consult(cf *t)
{
    ids r = {0, 0};
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    (void)a;
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_answered(t, b, "sdpB");
    r.main_id = gw_call_connid(cf_only_call(t));
    tl_msg *m = cf_req(TL_M_RequestInitiateTransfer, 100, "5002");
    tl_msg_set_connid(m, TL_A_ConnID, r.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    struct gw_leg *b2 = cf_leg(t, "5002");
    assert_ptr_not_equal(b2, b);
    cf_answered(t, b2, "offerB2");
    struct gw_leg *c = cf_leg(t, "5003");
    cf_ringing(t, c);
    cf_answered(t, c, "ansC");
    gw_call *main = gw_calls_find(t->calls, r.main_id);
    assert_non_null(main);
    assert_non_null(main->consult);
    r.consult_id = gw_call_connid(main->consult);
    return r;
}

/* Was a recording attempted on this call (the controller's state exists)? */
static bool attempted(cf *t, uint64_t connid)
{
    gw_call *call = gw_calls_find(t->calls, connid);
    assert_non_null(call);
    return call->rec != NULL;
}

static const char *rec_state(cf *t, uint64_t connid)
{
    return tl_kv_get_str(gw_calls_find(t->calls, connid)->ud, "GSIP_RECORD");
}

static void run(const char *dn5002, const char *gateway, bool main_rec, bool consult_rec)
{
    char *text = conf(dn5002, gateway);
    cf *t = cf_new_conf(false, text);
    ids r = consult(t);
    assert_int_equal(attempted(t, r.main_id), main_rec);
    if (main_rec)
        assert_string_equal(rec_state(t, r.main_id), "Off"); /* failed: no mediad */
    assert_int_equal(attempted(t, r.consult_id), consult_rec);
    /* Either its own (failed) attempt or the main call's inherited user data: never On. */
    assert_string_equal(rec_state(t, r.consult_id), "Off");
    cf_free(t);
    g_free(text);
}

/* The seed's default: the agent is recorded, its consultation call is not. */
static void test_dual_dialog_default_not_recorded(void **state)
{
    (void)state;
    run("record = true\n", "", true, false);
}

/* dual-dialog-enabled = false: single-dialog mode, the consultation is recorded. */
static void test_single_dialog_recorded(void **state)
{
    (void)state;
    run("record = true\ndual-dialog-enabled = false\n", "", true, true);
}

/* record-consult-calls = true at the application level does the same. */
static void test_record_consult_calls(void **state)
{
    (void)state;
    run("record = true\n", "record-consult-calls = true\n", true, true);
}

/* Never the consulted party: 5003 with record = true is not recorded in the consultation. */
static void test_consulted_party_not_recorded(void **state)
{
    (void)state;
    char *text = g_strdup_printf("[gateway]\nsite = unit\nrecord-consult-calls = true\n"
                                 "[dn 5001-5002]\ntype = Extension\n"
                                 "[dn 5003]\ntype = Extension\nrecord = true\n"
                                 "dual-dialog-enabled = false\n"
                                 "[application demo]\npassword = demo\ndns = *\n");
    cf *t = cf_new_conf(false, text);
    ids r = consult(t);
    assert_false(attempted(t, r.main_id));
    assert_false(attempted(t, r.consult_id));
    assert_null(rec_state(t, r.consult_id));
    cf_free(t);
    g_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dual_dialog_default_not_recorded),
        cmocka_unit_test(test_single_dialog_recorded),
        cmocka_unit_test(test_record_consult_calls),
        cmocka_unit_test(test_consulted_party_not_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
