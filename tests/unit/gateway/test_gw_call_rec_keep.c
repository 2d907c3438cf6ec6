/* Unit tests: a recording kept across a transfer goes on when the offer/answer ends, no polling. */
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
#include "gw_rec_int.h"
#include "gw_sipif.h"

/* 5001 records full-time (the origination side stays through 5002's transfers). */
static const char *conf_text = CF_CONF_RECORDING "[dn 5001]\ntype = Extension\nrecord = true\n"
                                                 "[dn 5002-5005]\ntype = Extension\n"
                                                 "[application demo]\npassword = demo\ndns = *\n";

/* 5001 -> 5002 answered, recorded through mediad (both mediad legs up, recording On). */
static struct gw_leg *recorded_call(cf *t)
{
    t->info_ok = true;
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_clear(t);
    cf_answered(t, b, "sdpB");
    cf_expect_ops(t, "answer 5001 sdp=sdpB|originate md:5001 sdp=sdpA|originate md:5002 sdp=sdpB");
    struct gw_leg *m1 = cf_leg(t, "md:5001"), *m2 = cf_leg(t, "md:5002");
    cf_answered(t, m1, "m1");
    cf_answered(t, m2, "m2");
    cf_expect_ops(t, "reinvite 5001 sdp=m1|reinvite 5002 sdp=m2|info md:5001 create");
    gw_sipif_sdp_answer(t->calls, a->party, a, "sdpA");
    gw_sipif_sdp_answer(t->calls, b->party, b, "sdpB");
    gw_sipif_info(t->calls, m1->party, m1, 200, NULL);
    assert_string_equal(gw_rec_state_name(cf_only_call(t)), "On");
    assert_int_equal(cf_pending_timers(t), 0);
    cf_clear(t);
    return a;
}

static void test_single_step_transfer_keeps_recording(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf_text);
    struct gw_leg *a = recorded_call(t);
    gw_call *call = cf_only_call(t);
    tl_msg *m = cf_req(TL_M_RequestSingleStepTransfer, 300, "5002");
    tl_msg_set_connid(m, TL_A_ConnID, call->connid);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_expect_ops(t, "originate 5003 sdp=-|release 5002 0");
    assert_int_equal(cf_pending_timers(t), 1); /* the safety net only */
    struct gw_leg *c = cf_leg(t, "5003");
    cf_ringing(t, c);
    cf_answered(t, c, "offerC");
    /* The model connects 5001 with 5003 itself first; the recording waits for that
       offer/answer to end, with only the safety net armed. */
    cf_expect_ops(t, "reinvite 5001 sdp=offerC");
    assert_int_equal(cf_pending_timers(t), 1);
    gw_sipif_sdp_answer(t->calls, a->party, a, "ansA");
    /* Settled: each mediad leg at once gets its party's SDP (5002's leg now 5003's). */
    cf_expect_ops(t, "sdp_answer 5003 sdp=ansA|reinvite md:5001 sdp=ansA|reinvite md:5002 "
                     "sdp=offerC");
    assert_int_equal(cf_pending_timers(t), 0);
    struct gw_leg *m1 = cf_leg(t, "md:5001"), *m2 = cf_leg(t, "md:5002");
    gw_sipif_sdp_answer(t->calls, m1->party, m1, "m1b");
    gw_sipif_sdp_answer(t->calls, m2->party, m2, "m2b");
    /* Both legs carry the new pair: the parties get mediad's answers and the recorder's
       metadata names 5003 (a modify keeping the state On, with otherDN). */
    cf_expect_ops(t, "reinvite 5001 sdp=m1b|reinvite 5003 sdp=m2b|info md:5001 modify otherDN "
                     "resume");
    assert_string_equal(gw_rec_main_dn(call, 1), "5003");
    /* mediad's answer to that modify changes nothing the parties see. */
    cf_clear(t);
    gw_sipif_info(t->calls, m1->party, m1, 200, NULL);
    assert_int_equal(t->events->len, 0);
    assert_string_equal(gw_rec_state_name(call), "On");
    cf_free(t);
}

/* The model's offer/answer never ends: the safety net fails the recording, once. A
   safety net that fires while the new phone still rings does nothing. */
static void test_transfer_not_settling_fails_on_safety_net(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf_text);
    recorded_call(t);
    gw_call *call = cf_only_call(t);
    tl_msg *m = cf_req(TL_M_RequestSingleStepTransfer, 301, "5002");
    tl_msg_set_connid(m, TL_A_ConnID, call->connid);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    struct gw_leg *c = cf_leg(t, "5003");
    cf_ringing(t, c);
    cf_fire_timer(t); /* 5003 rings longer than the bound: the recording waits on */
    assert_string_equal(gw_rec_state_name(call), "On");
    assert_int_equal(cf_pending_timers(t), 0);
    cf_answered(t, c, "offerC");
    assert_int_equal(cf_pending_timers(t), 1);
    cf_clear(t);
    cf_fire_timer(t);
    assert_string_equal(gw_rec_state_name(call), "Off");
    assert_string_equal(tl_kv_get_str(call->ud, "GSIP_RECORD_REASON"),
                        "the parties' media did not settle after the transfer");
    assert_int_equal(cf_pending_timers(t), 0);
    cf_free(t);
}

/* recording-sessions = 2: a quality session (dest2 copy) on the same call. */
static const char *conf2_text = "[gateway]\nsite = unit\nclient-queue-limit = 1048576\n"
                                "recording-dest = sip:127.0.0.1:5998\nrecording-sessions = 2\n"
                                "[dn msml]\ntype = VoIP Service\nservice-type = msml\n"
                                "contact = sip:127.0.0.1:5999\n"
                                "[dn 5001]\ntype = Extension\nrecord = true\n"
                                "[dn 5002-5005]\ntype = Extension\n"
                                "[application demo]\npassword = demo\ndns = *\n";

/* With a second session both recorders learn the new party: one modify per copy. */
static void test_second_session_told_too(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf2_text);
    struct gw_leg *a = recorded_call(t);
    gw_call *call = cf_only_call(t);
    tl_msg *m = cf_req(TL_M_RequestPrivateService, 310, "5001");
    tl_msg_set_int(m, TL_A_PrivateMsgID, 3013);
    tl_msg_set_connid(m, TL_A_ConnID, call->connid);
    tl_kv *ext = tl_kv_new();
    tl_kv_add_str(ext, "dest", "sip:127.0.0.1:5997");
    tl_kv_add_str(ext, "id", "quality");
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    cf_request(t, m);
    tl_msg *r = cf_pop_reply(t, TL_M_EventACK);
    assert_non_null(r);
    tl_msg_free(&r);
    cf_expect_ops(t, "info md:5001 create");
    struct gw_leg *m1 = cf_leg(t, "md:5001"), *m2 = cf_leg(t, "md:5002");
    gw_sipif_info(t->calls, m1->party, m1, 200, NULL); /* the quality session is on */
    assert_string_equal(tl_kv_get_str(call->ud, "GSIP_RECORD:quality"), "On");
    m = cf_req(TL_M_RequestSingleStepTransfer, 311, "5002");
    tl_msg_set_connid(m, TL_A_ConnID, call->connid);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    struct gw_leg *c = cf_leg(t, "5003");
    cf_ringing(t, c);
    cf_answered(t, c, "offerC");
    gw_sipif_sdp_answer(t->calls, a->party, a, "ansA");
    gw_sipif_sdp_answer(t->calls, m1->party, m1, "m1b");
    cf_clear(t);
    gw_sipif_sdp_answer(t->calls, m2->party, m2, "m2b");
    cf_expect_ops(t, "reinvite 5003 sdp=m2b|info md:5001 modify otherDN resume|"
                     "info md:5001 modify otherDN resume");
    /* Both answers change nothing the parties see; both sessions record on. */
    gw_sipif_info(t->calls, m1->party, m1, 200, NULL);
    gw_sipif_info(t->calls, m1->party, m1, 200, NULL);
    assert_int_equal(t->events->len, 0);
    assert_string_equal(gw_rec_state_name(call), "On");
    assert_string_equal(tl_kv_get_str(call->ud, "GSIP_RECORD:quality"), "On");
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_step_transfer_keeps_recording),
        cmocka_unit_test(test_transfer_not_settling_fails_on_safety_net),
        cmocka_unit_test(test_second_session_told_too),
    };
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
