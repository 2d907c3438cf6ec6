/* Unit tests for conference calls: T-Lib events and the mediad legs of each party (gw_conf.c). */
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
#include "gw_conf.h"

/* A media server is configured: mediad legs are named "md:<DN>" by the fake SIP layer. */
static const char *conf_text = "[gateway]\nsite = unit\nclient-queue-limit = 1048576\n"
                               "[dn msml]\ntype = VoIP Service\nservice-type = msml\n"
                               "contact = sip:127.0.0.1:5999\n"
                               "[dn 5001-5005]\ntype = Extension\n"
                               "[application demo]\npassword = demo\ndns = *\n";

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

/* 5001 calls 5002, answered. */
static void established(xf *x)
{
    x->t = cf_new_conf(false, conf_text);
    cf *t = x->t;
    x->a = cf_incoming(t, "5001", "5002", "sdpA");
    x->b = cf_leg(t, "5002");
    cf_ringing(t, x->b);
    cf_answered(t, x->b, "sdpB");
    x->main_id = gw_call_connid(cf_only_call(t));
    cf_clear(t);
}

/* ... then 5002 consults 5003 (InitiateConference), who answers. */
static void consulted(xf *x)
{
    established(x);
    cf *t = x->t;
    tl_msg *m = call_req(TL_M_RequestInitiateConference, 100, "5002", x->main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    x->consult_id = cf_connid_of(cf_event(t, 1));
    x->b2 = cf_leg(t, "5002");
    cf_answered(t, x->b2, "offerB2");
    x->c = cf_leg(t, "5003");
    cf_ringing(t, x->c);
    cf_answered(t, x->c, "ansC");
    cf_clear(t);
}

/* Every mediad leg answers: each party is re-INVITEd with mediad's SDP. */
static void mediad_answers(cf *t, const char *const *dns, size_t n)
{
    GString *want = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        char leg[16], sdp[16];
        g_snprintf(leg, sizeof leg, "md:%s", dns[i]);
        g_snprintf(sdp, sizeof sdp, "md%s", dns[i]);
        cf_answered(t, cf_leg(t, leg), sdp);
        g_string_append_printf(want, "%sreinvite %s sdp=%s", i ? "|" : "", dns[i], sdp);
    }
    cf_expect_ops(t, want->str);
    g_string_free(want, TRUE);
}

static void test_complete_then_delete(void **state)
{
    (void)state;
    xf x = {0};
    consulted(&x);
    cf *t = x.t;
    tl_msg *m = call_req(TL_M_RequestCompleteConference, 600, "5002", x.main_id);
    tl_msg_set_connid(m, TL_A_TransferConnID, x.consult_id);
    cf_request(t, m);
    cf_no_replies(t);
    /* The consultation ends for 5002; 5003 is now a party of the main call. */
    const tl_msg *rel = cf_event(t, 0), *chg = cf_event(t, 2), *add = cf_event(t, 3);
    assert_int_equal(cf_connid_of(rel), x.consult_id);
    assert_int_equal(cf_int(rel, TL_A_CallState), TL_CS_CONFERENCED);
    assert_int_equal(cf_connid_of(chg), x.main_id);
    uint64_t prev = 0;
    assert_true(tl_msg_get_connid(chg, TL_A_PreviousConnID, &prev));
    assert_int_equal(prev, x.consult_id);
    assert_string_equal(cf_str(chg, TL_A_ThirdPartyDN), "5002");
    assert_int_equal(cf_int(chg, TL_A_ThisDNRole), TL_ROLE_CONFERENCE_MEMBER);
    assert_string_equal(cf_str(add, TL_A_OtherDN), "5003");
    assert_int_equal(cf_int(add, TL_A_ThirdPartyDNRole), TL_ROLE_ADDED_BY);
    assert_int_equal(cf_int(cf_event(t, 4), TL_A_ReferenceID), 600); /* 5002's PartyAdded */
    cf_expect_events(t, "EventReleased:5002 EventRetrieved:5002 EventPartyChanged:5003 "
                        "EventPartyAdded:5001 EventPartyAdded:5002");
    /* One mediad leg per party, each offered the party's own SDP. */
    cf_expect_ops(t, "release 5002 0|originate md:5001 sdp=sdpA|originate md:5002 "
                     "sdp=sdpB|originate md:5003 sdp=ansC");
    gw_call *call = gw_calls_find(t->calls, x.main_id);
    assert_int_equal(gw_call_nparties(call), 3);
    assert_null(gw_calls_find(t->calls, x.consult_id));
    assert_true(gw_conf_active(call));
    static const char *const dns[] = {"5001", "5002", "5003"};
    mediad_answers(t, dns, 3);

    /* A re-INVITE from a phone goes to its mediad leg; mediad's answer comes back. */
    struct gw_leg *md1 = cf_leg(t, "md:5001");
    gw_sipif_reinvite(t->calls, gw_call_find_party(call, "5001"), x.a, "sdpA2", GW_DIR_SENDRECV);
    cf_expect_ops(t, "reinvite md:5001 sdp=sdpA2");
    gw_sipif_sdp_answer(t->calls, md1->party, md1, "md5001b");
    cf_expect_ops(t, "sdp_answer 5001 sdp=md5001b");

    /* Errors: not a party, itself. */
    m = call_req(TL_M_RequestDeleteFromConference, 601, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5004");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DN_NOT_ON_CALL);
    m = call_req(TL_M_RequestDeleteFromConference, 602, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5002");
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_CALL_STATE);

    m = call_req(TL_M_RequestDeleteFromConference, 603, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_no_replies(t);
    const tl_msg *del = cf_event(t, 1);
    assert_string_equal(cf_str(del, TL_A_OtherDN), "5003");
    assert_int_equal(cf_int(del, TL_A_OtherDNRole), TL_ROLE_DELETED_PARTY);
    assert_string_equal(cf_str(del, TL_A_ThirdPartyDN), "5002");
    assert_int_equal(cf_int(cf_event(t, 0), TL_A_ThirdPartyDNRole), TL_ROLE_DELETED_BY);
    cf_expect_events(t, "EventReleased:5003 EventPartyDeleted:5001 EventPartyDeleted:5002");
    cf_expect_ops(t, "release 5003 0|release md:5003 0");
    assert_int_equal(gw_call_nparties(call), 2);

    /* mediad drops a leg: the other one goes, and the two are bridged directly again. */
    cf_bye(t, md1);
    cf_expect_ops(t, "release md:5002 0|reinvite 5001 sdp=-");
    assert_false(gw_conf_active(call));
    cf_expect_events(t, "");
    cf_bye(t, x.a);
    cf_expect_events(t, "EventReleased:5001 EventReleased:5002");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_hangup_in_conference(void **state)
{
    (void)state;
    xf x = {0};
    consulted(&x);
    cf *t = x.t;
    tl_msg *m = call_req(TL_M_RequestCompleteConference, 600, "5002", x.consult_id);
    tl_msg_set_connid(m, TL_A_TransferConnID, x.main_id); /* either order */
    cf_request(t, m);
    cf_no_replies(t);
    cf_clear(t);
    cf_bye(t, x.a);
    cf_expect_events(t, "EventReleased:5001 EventPartyDeleted:5002 EventPartyDeleted:5003");
    cf_expect_ops(t, "release md:5001 0");
    cf_bye(t, x.c);
    cf_expect_events(t, "EventReleased:5003 EventReleased:5002");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

/* A fourth party by a second consultation from the conference: the held phones are
   re-INVITEd back onto their mediad legs. */
static void test_fourth_party(void **state)
{
    (void)state;
    xf x = {0};
    consulted(&x);
    cf *t = x.t;
    tl_msg *m = call_req(TL_M_RequestCompleteConference, 600, "5002", x.main_id);
    tl_msg_set_connid(m, TL_A_TransferConnID, x.consult_id);
    cf_request(t, m);
    static const char *const dns[] = {"5001", "5002", "5003"};
    cf_clear(t);
    mediad_answers(t, dns, 3);
    m = call_req(TL_M_RequestInitiateConference, 610, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5004");
    cf_request(t, m);
    struct gw_leg *b3 = cf_leg(t, "5002");
    cf_answered(t, b3, "offerB3");
    struct gw_leg *d = cf_leg(t, "5004");
    cf_ringing(t, d);
    cf_answered(t, d, "ansD");
    uint64_t k2 = gw_call_connid(gw_calls_find(t->calls, x.main_id)->consult);
    cf_clear(t);
    m = call_req(TL_M_RequestCompleteConference, 611, "5002", x.main_id);
    tl_msg_set_connid(m, TL_A_TransferConnID, k2);
    cf_request(t, m);
    cf_no_replies(t);
    cf_expect_events(t, "EventReleased:5002 EventRetrieved:5002 EventPartyChanged:5004 "
                        "EventPartyAdded:5001 EventPartyAdded:5002 EventPartyAdded:5003");
    cf_expect_ops(t, "release 5002 0|reinvite 5001 sdp=md5001|reinvite 5002 sdp=md5002|"
                     "reinvite 5003 sdp=md5003|originate md:5004 sdp=ansD");
    assert_int_equal(gw_call_nparties(gw_calls_find(t->calls, x.main_id)), 4);
    cf_free(t);
}

static void test_single_step(void **state)
{
    (void)state;
    xf x = {0};
    established(&x);
    cf *t = x.t;
    tl_msg *m = call_req(TL_M_RequestSingleStepConference, 700, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_no_replies(t);
    assert_int_equal(cf_int(cf_event(t, 1), TL_A_ReferenceID), 700);
    cf_expect_events(t, "EventPartyAdded:5001 EventPartyAdded:5002");
    cf_expect_ops(t, "originate 5003 sdp=-|originate md:5001 sdp=sdpA|originate md:5002 sdp=sdpB");
    static const char *const dns[] = {"5001", "5002"};
    mediad_answers(t, dns, 2);
    x.c = cf_leg(t, "5003");
    cf_ringing(t, x.c);
    cf_answered(t, x.c, "offerC");
    cf_expect_events(t, "EventRinging:5003 EventEstablished:5003");
    cf_expect_ops(t, "originate md:5003 sdp=offerC");
    /* mediad's answer to the late offer goes in 5003's ACK. */
    cf_answered(t, cf_leg(t, "md:5003"), "md5003");
    cf_expect_ops(t, "sdp_answer 5003 sdp=md5003");
    gw_call *call = gw_calls_find(t->calls, x.main_id);
    assert_int_equal(gw_call_nparties(call), 3);
    cf_bye(t, x.c);
    cf_expect_events(t, "EventReleased:5003 EventPartyDeleted:5001 EventPartyDeleted:5002");
    cf_bye(t, x.a);
    cf_expect_events(t, "EventReleased:5001 EventReleased:5002");
    cf_free(t);
}

static void test_single_step_busy(void **state)
{
    (void)state;
    xf x = {0};
    established(&x);
    cf *t = x.t;
    tl_msg *m = call_req(TL_M_RequestSingleStepConference, 701, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_clear(t);
    x.c = cf_leg(t, "5003");
    cf_failed(t, x.c, 486);
    /* The others learn it never joined; their call goes on. */
    cf_expect_events(t, "EventDestinationBusy:5001 EventPartyDeleted:5001 EventPartyDeleted:5002");
    assert_int_equal(gw_call_nparties(gw_calls_find(t->calls, x.main_id)), 2);
    /* Errors: a party already there, no route. */
    m = call_req(TL_M_RequestSingleStepConference, 702, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "5001");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DEST_UNREACHABLE);
    m = call_req(TL_M_RequestSingleStepConference, 703, "5002", x.main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "nowhere");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DEST_UNREACHABLE);
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_then_delete), cmocka_unit_test(test_hangup_in_conference),
        cmocka_unit_test(test_fourth_party),         cmocka_unit_test(test_single_step),
        cmocka_unit_test(test_single_step_busy),
    };
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
