/* Unit tests for the call model: single-step and two-step transfer, consultation, conference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "ar_err.h"
#include "call_fake.h"

typedef struct {
    cf *t;
    struct gw_leg *a, *b, *b2, *c;
    uint64_t main_id, consult_id;
} xf;

static tl_msg *call_req(uint16_t type, int64_t ref, const char *dn, uint64_t connid)
{
    tl_msg *m = cf_req(type, ref, dn);
    tl_msg_set_connid(m, TL_A_ConnID, connid);
    return m;
}

static tl_msg *pair_req(uint16_t type, int64_t ref, const char *dn, uint64_t connid,
                        uint64_t transfer)
{
    tl_msg *m = call_req(type, ref, dn, connid);
    tl_msg_set_connid(m, TL_A_TransferConnID, transfer);
    return m;
}

/* 5001 calls 5002, answered. */
static void established(xf *x)
{
    cf *t = x->t;
    x->a = cf_incoming(t, "5001", "5002", "sdpA");
    x->b = cf_leg(t, "5002");
    cf_ringing(t, x->b);
    cf_answered(t, x->b, "sdpB");
    x->main_id = gw_call_connid(cf_only_call(t));
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->ops_log, 0);
}

/* 5002 starts a consultation to 5003 (transfer or conference); 5003 rings. */
static void consult_ringing(xf *x, uint16_t req)
{
    cf *t = x->t;
    established(x);
    tl_msg *m = call_req(req, 100, "5002", x->main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_no_replies(t);
    const tl_msg *held = cf_event(t, 0), *dial = cf_event(t, 1);
    assert_int_equal(cf_connid_of(held), x->main_id);
    assert_int_equal(cf_int(held, TL_A_ReferenceID), 100);
    x->consult_id = cf_connid_of(dial);
    assert_int_not_equal(x->consult_id, x->main_id);
    assert_int_equal(cf_int(dial, TL_A_CallType), TL_CALLTYPE_CONSULT);
    assert_int_equal(cf_int(dial, TL_A_ReferenceID), 100);
    uint64_t prev = 0;
    assert_true(tl_msg_get_connid(dial, TL_A_PreviousConnID, &prev));
    assert_int_equal(prev, x->main_id);
    cf_expect_events(t, "EventHeld:5002 EventDialing:5002");
    /* Dual dialog: the consultation is a second call to 5002's phone (RFC 3725). */
    cf_expect_ops(t, "originate 5002 sdp=- auto|hold 5001 on");
    x->b2 = cf_leg(t, "5002");
    assert_ptr_not_equal(x->b2, x->b);
    cf_answered(t, x->b2, "offerB2");
    cf_expect_ops(t, "originate 5003 sdp=offerB2");
    x->c = cf_leg(t, "5003");
    cf_ringing(t, x->c);
    assert_int_equal(cf_connid_of(cf_event(t, 0)), x->consult_id);
    cf_expect_events(t, "EventRinging:5003");
    cf_expect_ops(t, "");
}

static void consult_established(xf *x, uint16_t req)
{
    consult_ringing(x, req);
    cf_answered(x->t, x->c, "ansC");
    cf_expect_events(x->t, "EventEstablished:5003 EventEstablished:5002");
    cf_expect_ops(x->t, "sdp_answer 5002 sdp=ansC");
}

static void complete_transfer(xf *x)
{
    cf *t = x->t;
    cf_request(t, pair_req(TL_M_RequestCompleteTransfer, 200, "5002", x->main_id, x->consult_id));
    cf_no_replies(t);
    const tl_msg *r1 = cf_event(t, 0), *r2 = cf_event(t, 1);
    assert_int_equal(cf_connid_of(r1), x->main_id);
    assert_int_equal(cf_connid_of(r2), x->consult_id);
    assert_int_equal(cf_int(r1, TL_A_CallState), TL_CS_TRANSFERRED);
    assert_int_equal(cf_int(r1, TL_A_ReferenceID), 200);
    for (guint i = 2; i < 4; i++) {
        const tl_msg *pc = cf_event(t, i);
        uint64_t prev = 0;
        assert_int_equal(cf_connid_of(pc), x->main_id);
        assert_true(tl_msg_get_connid(pc, TL_A_PreviousConnID, &prev));
        assert_int_equal(prev, x->consult_id);
        assert_int_equal(cf_int(pc, TL_A_CallState), TL_CS_TRANSFERRED);
        assert_string_equal(cf_str(pc, TL_A_ThirdPartyDN), "5002");
        assert_int_equal(cf_int(pc, TL_A_ThirdPartyDNRole), TL_ROLE_TRANSFERRED_BY);
    }
    assert_string_equal(cf_str(cf_event(t, 2), TL_A_OtherDN), "5003");
    assert_string_equal(cf_str(cf_event(t, 3), TL_A_OtherDN), "5001");
    cf_expect_events(t, "EventReleased:5002 EventReleased:5002 EventPartyChanged:5001 "
                        "EventPartyChanged:5003");
    assert_null(gw_calls_find(t->calls, x->consult_id));
    assert_true(x->b->released && x->b2->released);
}

/* After the transfer 5001 and 5003 talk on the main ConnID; 5003 hangs up. */
static void transferred_talk_and_end(xf *x)
{
    cf *t = x->t;
    gw_sipif_sdp_offer(t->calls, x->a->party, x->a, "offerA2");
    cf_expect_ops(t, "reinvite 5003 sdp=offerA2");
    gw_sipif_sdp_answer(t->calls, x->c->party, x->c, "ansC2");
    cf_expect_ops(t, "sdp_answer 5001 sdp=ansC2");
    gw_call *call = cf_only_call(t);
    assert_int_equal(gw_call_connid(call), x->main_id);
    assert_int_equal(gw_call_nparties(call), 2);
    cf_bye(t, x->c);
    assert_int_equal(cf_connid_of(cf_event(t, 0)), x->main_id);
    cf_expect_events(t, "EventReleased:5003 EventReleased:5001");
    cf_expect_ops(t, "release 5001 0");
    assert_int_equal(gw_calls_count(t->calls), 0);
}

static void test_two_step_after_answer(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    consult_established(&x, TL_M_RequestInitiateTransfer);
    complete_transfer(&x);
    /* 5001 is connected to 5003: offerless re-INVITE, its offer goes on to 5003. */
    cf_expect_ops(x.t, "release 5002 0|release 5002 0|reinvite 5001 sdp=-");
    transferred_talk_and_end(&x);
    cf_free(x.t);
}

static void test_two_step_before_answer(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    consult_ringing(&x, TL_M_RequestInitiateTransfer);
    complete_transfer(&x);
    cf_expect_ops(x.t, "release 5002 0|release 5002 0");
    /* 5003 answers B's old offer (the SIP layer ACKs it); its media is then re-bridged. */
    cf_answered(x.t, x.c, "ansC");
    assert_int_equal(cf_connid_of(cf_event(x.t, 0)), x.main_id);
    cf_expect_events(x.t, "EventEstablished:5003");
    cf_expect_ops(x.t, "reinvite 5001 sdp=-");
    transferred_talk_and_end(&x);
    cf_free(x.t);
}

static void test_transfer_errors(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    consult_established(&x, TL_M_RequestInitiateTransfer);
    /* ConnID must be the held call. */
    cf_request(t, pair_req(TL_M_RequestCompleteTransfer, 1, "5002", x.consult_id, x.main_id));
    cf_expect_error(t, AR_E_CALL_NOT_HELD);
    cf_request(t, pair_req(TL_M_RequestCompleteTransfer, 2, "5002", x.main_id, 0x1234));
    cf_expect_error(t, AR_E_UNKNOWN_CONNID);
    cf_request(t, pair_req(TL_M_RequestCompleteTransfer, 3, "5001", x.main_id, x.consult_id));
    cf_expect_error(t, AR_E_DN_NOT_ON_CALL);
    cf_request(t, pair_req(TL_M_RequestCompleteTransfer, 4, "5004", x.main_id, x.consult_id));
    cf_expect_error(t, AR_E_DN_NOT_ON_CALL);
    /* A second consultation from the held call. */
    tl_msg *m = call_req(TL_M_RequestInitiateTransfer, 5, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5004");
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_CALL_STATE);
    cf_expect_events(t, "");
    cf_expect_ops(t, "");
    cf_free(t);
}

static void test_single_step_transfer(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    established(&x);
    tl_msg *m = call_req(TL_M_RequestSingleStepTransfer, 300, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_no_replies(t);
    const tl_msg *rel = cf_event(t, 0), *chg = cf_event(t, 1);
    assert_int_equal(cf_int(rel, TL_A_CallState), TL_CS_TRANSFERRED);
    assert_int_equal(cf_int(rel, TL_A_ReferenceID), 300);
    assert_string_equal(cf_str(chg, TL_A_OtherDN), "5003");
    assert_string_equal(cf_str(chg, TL_A_ThirdPartyDN), "5002");
    assert_int_equal(cf_int(chg, TL_A_CallState), TL_CS_TRANSFERRED);
    cf_expect_events(t, "EventReleased:5002 EventPartyChanged:5001");
    /* Late offer toward the new party: its offer is then answered by the remaining one. */
    cf_expect_ops(t, "originate 5003 sdp=-|release 5002 0");
    x.c = cf_leg(t, "5003");
    cf_ringing(t, x.c);
    cf_answered(t, x.c, "offerC");
    cf_expect_events(t, "EventRinging:5003 EventEstablished:5003");
    cf_expect_ops(t, "reinvite 5001 sdp=offerC");
    gw_sipif_sdp_answer(t->calls, x.a->party, x.a, "ansA");
    cf_expect_ops(t, "sdp_answer 5003 sdp=ansA");
    assert_int_equal(gw_call_connid(cf_only_call(t)), x.main_id);
    cf_bye(t, x.a);
    cf_expect_events(t, "EventReleased:5001 EventReleased:5003");
    cf_free(t);
}

static void test_single_step_to_busy(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    established(&x);
    tl_msg *m = call_req(TL_M_RequestSingleStepTransfer, 301, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->ops_log, 0);
    cf_failed(t, cf_leg(t, "5003"), 486);
    cf_expect_events(t, "EventDestinationBusy:5001 EventReleased:5001");
    cf_expect_ops(t, "release 5001 486");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_consult_then_reconnect(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    consult_established(&x, TL_M_RequestInitiateTransfer);
    /* Either order of ConnID / TransferConnID is accepted for reconnect. */
    cf_request(t, pair_req(TL_M_RequestReconnectCall, 400, "5002", x.consult_id, x.main_id));
    cf_no_replies(t);
    const tl_msg *ret = cf_event(t, 2);
    assert_int_equal(cf_connid_of(ret), x.main_id);
    assert_int_equal(cf_int(ret, TL_A_ReferenceID), 400);
    cf_expect_events(t, "EventReleased:5002 EventReleased:5003 EventRetrieved:5002");
    cf_expect_ops(t, "release 5002 0|release 5003 0|hold 5001 off");
    assert_int_equal(gw_calls_count(t->calls), 1);
    gw_party_state st;
    assert_true(gw_call_dn_state(cf_only_call(t), "5002", &st));
    assert_int_equal(st, GW_PS_ESTABLISHED);
    cf_free(t);
}

static void test_consult_alternate(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    consult_established(&x, TL_M_RequestInitiateTransfer);
    cf_request(t, pair_req(TL_M_RequestAlternateCall, 500, "5002", x.consult_id, x.main_id));
    assert_int_equal(cf_connid_of(cf_event(t, 0)), x.consult_id);
    assert_int_equal(cf_connid_of(cf_event(t, 1)), x.main_id);
    cf_expect_events(t, "EventHeld:5002 EventRetrieved:5002");
    cf_expect_ops(t, "hold 5003 on|hold 5001 off");
    /* And back. */
    cf_request(t, pair_req(TL_M_RequestAlternateCall, 501, "5002", x.main_id, x.consult_id));
    cf_expect_events(t, "EventHeld:5002 EventRetrieved:5002");
    cf_no_replies(t);
    cf_free(t);
}

static void test_caller_leaves_during_consult(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    consult_established(&x, TL_M_RequestInitiateTransfer);
    cf_bye(t, x.a);
    assert_int_equal(cf_connid_of(cf_event(t, 1)), x.main_id);
    cf_expect_events(t, "EventReleased:5001 EventReleased:5002");
    cf_expect_ops(t, "release 5002 0");
    assert_int_equal(gw_calls_count(t->calls), 1);
    assert_non_null(gw_calls_find(t->calls, x.consult_id));
    cf_request(t, pair_req(TL_M_RequestCompleteTransfer, 2, "5002", x.main_id, x.consult_id));
    cf_expect_error(t, AR_E_UNKNOWN_CONNID);
    cf_free(t);
}

/* Without a media server there is no mixer: CompleteConference is refused, nothing changes. */
static void test_conference_needs_mediad(void **state)
{
    (void)state;
    xf x = {.t = cf_new(false)};
    cf *t = x.t;
    consult_established(&x, TL_M_RequestInitiateConference);
    cf_request(t, pair_req(TL_M_RequestCompleteConference, 600, "5002", x.main_id, x.consult_id));
    cf_expect_error(t, AR_E_UNSUPPORTED_OPERATION);
    tl_msg *m = call_req(TL_M_RequestDeleteFromConference, 601, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5001");
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_CALL_STATE); /* a two-party call is no conference */
    cf_expect_events(t, "");
    /* Nothing changed: the consultation can still be abandoned. */
    cf_request(t, pair_req(TL_M_RequestReconnectCall, 602, "5002", x.main_id, x.consult_id));
    cf_expect_events(t, "EventReleased:5002 EventReleased:5003 EventRetrieved:5002");
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_step_after_answer),
        cmocka_unit_test(test_two_step_before_answer),
        cmocka_unit_test(test_transfer_errors),
        cmocka_unit_test(test_single_step_transfer),
        cmocka_unit_test(test_single_step_to_busy),
        cmocka_unit_test(test_consult_then_reconnect),
        cmocka_unit_test(test_consult_alternate),
        cmocka_unit_test(test_caller_leaves_during_consult),
        cmocka_unit_test(test_conference_needs_mediad),
    };
    /* AREC_TEST_FILTER=test_busy runs one test (with AREC_TEST_DUMP_JSON=1: its events). */
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
