/* Unit tests: a half-inserted recording bridges the phones again once their re-INVITE is over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "ar_err.h"
#include "call_fake.h"
#include "gw_call_int.h"
#include "gw_rec.h"
#include "gw_sipif.h"

/* 5002 records full-time; the one mediad of the stack refuses the second leg. */
static const char *conf_text = CF_CONF_RECORDING "[dn 5001]\ntype = Extension\n"
                                                 "[dn 5002]\ntype = Extension\nrecord = true\n"
                                                 "[dn 5003-5005]\ntype = Extension\n"
                                                 "[application demo]\npassword = demo\ndns = *\n";

/* mediad answered 5002's leg (5002 is re-INVITEd with its SDP) and then refused 5001's:
   the bridge of the phones waits until 5002 answered that re-INVITE, else its offerless
   re-INVITE would cross the one still out and lose its bookkeeping. */
static void test_bridge_waits_for_the_reinvite_out(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf_text);
    t->info_ok = true;
    cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_answered(t, b, "sdpB");
    struct gw_leg *m2 = cf_leg(t, "md:5002"), *m1 = cf_leg(t, "md:5001");
    cf_clear(t);
    cf_answered(t, m2, "m2");
    cf_expect_ops(t, "reinvite 5002 sdp=m2");
    cf_failed(t, m1, 503);
    cf_expect_ops(t, "release md:5002 0"); /* no bridge yet: 5002's re-INVITE is out */
    assert_string_equal(gw_rec_state_name(cf_only_call(t)), "Off");
    gw_sipif_sdp_answer(t->calls, b->party, b, "sdpB2");
    cf_expect_ops(t, "reinvite 5002 sdp=-"); /* now: 5002's offer goes on to 5001 */
    gw_sipif_sdp_offer(t->calls, b->party, b, "offerB");
    cf_expect_ops(t, "reinvite 5001 sdp=offerB");
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bridge_waits_for_the_reinvite_out),
    };
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
