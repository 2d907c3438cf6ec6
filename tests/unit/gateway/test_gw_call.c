/* Unit tests for the call model: basic calls, failures, routing, hold, user data, agents. */
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
#include "gw_ids.h"

/* A -> B answered: the common start of many tests. Returns B's leg; *a gets A's. */
static struct gw_leg *basic_established(cf *t, struct gw_leg **a)
{
    *a = cf_incoming(t, "5001", "5002", "sdpA");
    assert_non_null((*a)->party);
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_answered(t, b, "sdpB");
    cf_expect_events(t, "EventDialing:5001 EventRinging:5002 EventEstablished:5002 "
                        "EventEstablished:5001");
    cf_expect_ops(t, "originate 5002 sdp=sdpA|ringing 5001|answer 5001 sdp=sdpB");
    return b;
}

static void test_ids(void **state)
{
    (void)state;
    gw_ids *ids = gw_ids_new("site-a", 1700000000000000LL, 42);
    uint64_t c1 = gw_ids_next_connid(ids), c2 = gw_ids_next_connid(ids);
    assert_int_equal(c1 >> 48, c2 >> 48);
    assert_int_equal(c1 >> 48, gw_ids_prefix(ids));
    assert_int_not_equal(c1, c2);
    assert_int_not_equal(c1, 0);
    char u1[33], u2[33];
    gw_ids_next_uuid(ids, u1);
    gw_ids_next_uuid(ids, u2);
    assert_true(gw_ids_uuid_valid(u1));
    assert_true(gw_ids_uuid_valid(u2));
    assert_string_not_equal(u1, u2);
    assert_memory_equal(u1, u2, 20);        /* same instance head */
    assert_string_equal(u2 + 26, "000002"); /* counter-like tail */
    gw_ids *other = gw_ids_new("site-b", 1700000000000000LL, 42);
    char u3[33];
    gw_ids_next_uuid(other, u3);
    assert_string_not_equal(u1, u3);
    assert_false(gw_ids_uuid_valid("00RP30KH7088L1IC08GB82LAES00031W"));
    assert_false(gw_ids_uuid_valid("short"));
    gw_ids_free(&other);
    gw_ids_free(&ids);
}

static void test_basic_call_caller_hangs_up(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    struct gw_leg *b = basic_established(t, &a);
    (void)b;
    gw_call *call = cf_only_call(t);
    assert_int_equal(gw_call_type(call), TL_CALLTYPE_INTERNAL);
    assert_true(gw_ids_uuid_valid(gw_call_uuid(call)));
    assert_string_equal(gw_call_ani(call), "5001");
    assert_string_equal(gw_call_dnis(call), "5002");
    gw_party_state st;
    assert_true(gw_call_dn_state(call, "5001", &st));
    assert_int_equal(st, GW_PS_ESTABLISHED);

    cf_incoming(t, "5003", "5004", "x"); /* unrelated: shows ConnIDs differ, same prefix */
    assert_int_equal(gw_calls_count(t->calls), 2);
    cf_expect_events(t, "EventDialing:5003");
    cf_expect_ops(t, "originate 5004 sdp=x");

    uint64_t connid = gw_call_connid(call);
    cf_bye(t, a);
    cf_expect_events(t, "EventReleased:5001 EventReleased:5002");
    cf_expect_ops(t, "release 5002 0");
    assert_int_equal(gw_calls_count(t->calls), 1);
    assert_null(gw_calls_find(t->calls, connid));
    cf_free(t);
}

static void test_basic_call_attributes(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_answered(t, b, "sdpB");
    const tl_msg *dial = cf_event(t, 0), *ring = cf_event(t, 1);
    const tl_msg *est_b = cf_event(t, 2), *est_a = cf_event(t, 3);
    assert_int_equal(dial->type, TL_M_EventDialing);
    assert_string_equal(cf_str(dial, TL_A_ThisDN), "5001");
    assert_int_equal(cf_int(dial, TL_A_ThisDNRole), TL_ROLE_ORIGINATION);
    assert_string_equal(cf_str(dial, TL_A_OtherDN), "5002");
    assert_int_equal(cf_int(dial, TL_A_OtherDNRole), TL_ROLE_DESTINATION);
    assert_int_equal(cf_int(dial, TL_A_CallType), TL_CALLTYPE_INTERNAL);
    assert_string_equal(cf_str(ring, TL_A_ThisDN), "5002");
    assert_int_equal(cf_int(ring, TL_A_ThisDNRole), TL_ROLE_DESTINATION);
    assert_string_equal(cf_str(ring, TL_A_OtherDN), "5001");
    assert_int_equal(cf_int(ring, TL_A_OtherDNRole), TL_ROLE_ORIGINATION);
    assert_string_equal(cf_str(ring, TL_A_ANI), "5001");
    assert_string_equal(cf_str(ring, TL_A_DNIS), "5002");
    uint64_t id = cf_connid_of(dial);
    assert_int_equal(id, cf_connid_of(ring));
    assert_int_equal(id, cf_connid_of(est_a));
    assert_int_equal(id, cf_connid_of(est_b));
    assert_string_equal(cf_str(dial, TL_A_CallUUID), cf_str(est_b, TL_A_CallUUID));
    assert_true(cf_int(dial, TL_A_EventSequenceNumber) < cf_int(ring, TL_A_EventSequenceNumber));
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->ops_log, 0);

    /* The callee hangs up this time. */
    cf_bye(t, b);
    const tl_msg *r1 = cf_event(t, 0);
    assert_int_equal(cf_int(r1, TL_A_CallState), TL_CS_OK);
    cf_expect_events(t, "EventReleased:5002 EventReleased:5001");
    cf_expect_ops(t, "release 5001 0");
    assert_true(a->released);
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_late_offer_caller(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    /* INVITE without SDP: the callee's offer goes to the caller in 200, its answer in ACK. */
    struct gw_leg *a = cf_incoming(t, "5001", "5002", NULL);
    struct gw_leg *b = cf_leg(t, "5002");
    cf_answered(t, b, "offerB");
    cf_expect_ops(t, "originate 5002 sdp=-|answer 5001 sdp=offerB");
    gw_sipif_sdp_answer(t->calls, a->party, a, "answerA");
    cf_expect_ops(t, "sdp_answer 5002 sdp=answerA");
    cf_expect_events(t, "EventDialing:5001 EventRinging:5002 EventEstablished:5002 "
                        "EventEstablished:5001");
    cf_free(t);
}

static void test_busy(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    cf_failed(t, cf_leg(t, "5002"), 486);
    const tl_msg *busy = cf_event(t, 1);
    assert_string_equal(cf_str(busy, TL_A_OtherDN), "5002");
    assert_int_equal(cf_int(cf_event(t, 2), TL_A_CallState), TL_CS_BUSY);
    assert_string_equal(cf_str(cf_event(t, 2), TL_A_OtherDN), "5002");
    cf_expect_events(t, "EventDialing:5001 EventDestinationBusy:5001 EventReleased:5001");
    cf_expect_ops(t, "originate 5002 sdp=sdpA|release 5001 486");
    assert_int_equal(a->rel_status, 486);
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_no_answer(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_failed(t, b, 408);
    assert_int_equal(cf_int(cf_event(t, 2), TL_A_CallState), TL_CS_NO_ANSWER);
    assert_int_equal(cf_int(cf_event(t, 3), TL_A_CallState), TL_CS_NO_ANSWER);
    cf_expect_events(t, "EventDialing:5001 EventRinging:5002 EventReleased:5002 "
                        "EventReleased:5001");
    cf_expect_ops(t, "originate 5002 sdp=sdpA|ringing 5001|release 5001 408");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_unreachable(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    t->originate_fail = 480; /* 5002 not registered */
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    assert_null(a->party);
    assert_int_equal(a->rel_status, 480);
    assert_int_equal(cf_int(cf_event(t, 1), TL_A_CallState), TL_CS_NO_ANSWER);
    cf_expect_events(t, "EventDialing:5001 EventReleased:5001");
    /* Unknown number: rejected before a call exists. */
    a = cf_incoming(t, "5001", "9999", "sdpA");
    assert_null(a->party);
    assert_int_equal(a->rel_status, 404);
    cf_expect_events(t, "");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_abandon_while_ringing(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_expect_ops(t, "originate 5002 sdp=sdpA|ringing 5001");
    gw_sipif_released(t->calls, a->party, a, 487); /* CANCEL */
    gw_server_flush(t->srv);
    cf_expect_events(t, "EventDialing:5001 EventRinging:5002 EventReleased:5001 "
                        "EventAbandoned:5002");
    cf_expect_ops(t, "release 5002 487");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_outbound_trunk(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    cf_incoming(t, "5001", "0123456", "sdpA");
    struct gw_leg *o = cf_leg(t, "trunk-out");
    gw_call *call = cf_only_call(t);
    assert_int_equal(gw_call_type(call), TL_CALLTYPE_OUTBOUND);
    cf_ringing(t, o);
    cf_answered(t, o, "sdpT");
    /* No events on the trunk; the caller sees the network reached, then established. */
    cf_expect_events(t, "EventDialing:5001 EventNetworkReached:5001 EventEstablished:5001");
    cf_expect_ops(t, "originate trunk-out sdp=sdpA|ringing 5001|answer 5001 sdp=sdpT");
    cf_free(t);
}

static void test_inbound_trunk(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *in = g_new0(struct gw_leg, 1);
    g_strlcpy(in->dn, "trunk-out", sizeof in->dn);
    g_ptr_array_add(t->legs, in);
    gw_sip_incoming inv = {.caller_dn = "trunk-out",
                           .from_trunk = true,
                           .from_user = "0611223344",
                           .called = "5002",
                           .sdp = "sdpT"};
    int st = -1;
    in->party = gw_sipif_incoming(t->calls, in, &inv, &st);
    assert_non_null(in->party);
    gw_call *call = cf_only_call(t);
    assert_int_equal(gw_call_type(call), TL_CALLTYPE_INBOUND);
    assert_string_equal(gw_call_ani(call), "0611223344");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    const tl_msg *ring = cf_event(t, 0);
    assert_string_equal(cf_str(ring, TL_A_OtherDN), "0611223344");
    assert_int_equal(cf_int(ring, TL_A_CallType), TL_CALLTYPE_INBOUND);
    cf_answered(t, b, "sdpB");
    /* The trunk gets no events: only the agent's DN. */
    cf_expect_events(t, "EventRinging:5002 EventEstablished:5002");
    cf_expect_ops(t, "originate 5002 sdp=sdpT|ringing trunk-out|answer trunk-out sdp=sdpB");
    cf_bye(t, in);
    cf_expect_events(t, "EventReleased:5002");
    cf_free(t);
}

static void test_routing_point_router(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    cf_incoming(t, "5001", "7001", "sdpA");
    const tl_msg *rr = cf_event(t, 2);
    assert_string_equal(cf_str(rr, TL_A_ThisQueue), "7001");
    assert_string_equal(cf_str(rr, TL_A_OtherDN), "5001");
    assert_int_equal(cf_int(rr, TL_A_CallType), TL_CALLTYPE_INTERNAL);
    assert_true(cf_int(rr, TL_A_CallID) >= 0);
    uint64_t connid = cf_connid_of(rr);
    cf_expect_events(t, "EventDialing:5001 EventQueued:7001 EventRouteRequest:7001");
    cf_expect_ops(t, "");
    assert_int_equal(cf_pending_timers(t), 1);

    tl_msg *m = cf_req(TL_M_RequestRouteCall, 76, "7001");
    tl_msg_set_connid(m, TL_A_ConnID, connid);
    tl_msg_set_str(m, TL_A_OtherDN, "no-such-number");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DEST_UNREACHABLE);
    cf_expect_events(t, "");
    assert_int_equal(cf_pending_timers(t), 1); /* still queued */

    m = cf_req(TL_M_RequestRouteCall, 77, "7001");
    tl_msg_set_connid(m, TL_A_ConnID, connid);
    tl_msg_set_str(m, TL_A_OtherDN, "5004");
    tl_kv *ext = tl_kv_new();
    tl_kv_add_str(ext, "skill", "gold");
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    cf_request(t, m);
    assert_int_equal(cf_pending_timers(t), 0);
    const tl_msg *used = cf_event(t, 0);
    assert_int_equal(cf_int(used, TL_A_ReferenceID), 77);
    assert_string_equal(cf_str(used, TL_A_ThirdPartyDN), "5004");
    assert_string_equal(tl_kv_get_str(tl_msg_get_kv(used, TL_A_Extensions), "skill"), "gold");
    cf_expect_events(t, "EventRouteUsed:7001 EventDiverted:7001");
    cf_expect_ops(t, "originate 5004 sdp=sdpA");
    struct gw_leg *d = cf_leg(t, "5004");
    cf_ringing(t, d);
    const tl_msg *ring = cf_event(t, 0);
    assert_int_equal(cf_connid_of(ring), connid);
    assert_string_equal(cf_str(ring, TL_A_ThisQueue), "7001");
    assert_string_equal(tl_kv_get_str(tl_msg_get_kv(ring, TL_A_Extensions), "skill"), "gold");
    cf_answered(t, d, "sdpD");
    cf_expect_events(t, "EventRinging:5004 EventEstablished:5004 EventEstablished:5001");
    cf_expect_ops(t, "ringing 5001|answer 5001 sdp=sdpD");

    /* Routing a call that is no longer on the routing point. */
    m = cf_req(TL_M_RequestRouteCall, 78, "7001");
    tl_msg_set_connid(m, TL_A_ConnID, connid);
    tl_msg_set_str(m, TL_A_OtherDN, "5003");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DN_NOT_ON_CALL);
    cf_free(t);
}

static void test_routing_point_default(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    cf_incoming(t, "5002", "7001", "sdpA");
    cf_expect_events(t, "EventDialing:5002 EventQueued:7001 EventRouteRequest:7001");
    assert_int_equal(t->timer_ms[0], 5000);
    cf_fire_timer(t);
    const tl_msg *used = cf_event(t, 0);
    assert_string_equal(cf_str(used, TL_A_ThirdPartyDN), "5003");
    assert_int_equal(cf_int(used, TL_A_RouteType), 1);
    cf_expect_events(t, "EventRouteUsed:7001 EventDiverted:7001");
    cf_expect_ops(t, "originate 5003 sdp=sdpA");
    cf_free(t);
}

static void test_routing_point_no_default(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a = cf_incoming(t, "5002", "7002", "sdpA");
    cf_expect_events(t, "EventDialing:5002 EventQueued:7002 EventRouteRequest:7002");
    assert_int_equal(t->timer_ms[0], 2000);
    cf_fire_timer(t);
    cf_expect_events(t, "EventReleased:5002");
    cf_expect_ops(t, "release 5002 480");
    assert_true(a->released);
    /* Caller gives up while queued: the routing point sees EventAbandoned. */
    a = cf_incoming(t, "5002", "7002", "sdpA");
    cf_bye(t, a);
    cf_expect_events(t, "EventDialing:5002 EventQueued:7002 EventRouteRequest:7002 "
                        "EventReleased:5002 EventAbandoned:7002");
    assert_int_equal(cf_pending_timers(t), 0);
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static tl_msg *call_req(uint16_t type, int64_t ref, const char *dn, uint64_t connid)
{
    tl_msg *m = cf_req(type, ref, dn);
    tl_msg_set_connid(m, TL_A_ConnID, connid);
    return m;
}

static void test_hold_retrieve_phone(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    struct gw_leg *b = basic_established(t, &a);
    gw_sipif_reinvite(t->calls, a->party, a, "sdpA-sendonly", GW_DIR_SENDONLY);
    gw_server_flush(t->srv);
    cf_expect_events(t, "EventHeld:5001");
    cf_expect_ops(t, "reinvite 5002 sdp=sdpA-sendonly");
    gw_sipif_sdp_answer(t->calls, b->party, b, "sdpB-recvonly");
    cf_expect_ops(t, "sdp_answer 5001 sdp=sdpB-recvonly");
    gw_sipif_reinvite(t->calls, a->party, a, "sdpA2", GW_DIR_SENDRECV);
    gw_server_flush(t->srv);
    cf_expect_events(t, "EventRetrieved:5001");
    cf_expect_ops(t, "reinvite 5002 sdp=sdpA2");
    gw_sipif_sdp_answer(t->calls, b->party, b, "sdpB2");
    cf_expect_ops(t, "sdp_answer 5001 sdp=sdpB2");
    cf_free(t);
}

static void test_hold_retrieve_request(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    basic_established(t, &a);
    uint64_t id = gw_call_connid(cf_only_call(t));
    cf_request(t, call_req(TL_M_RequestRetrieveCall, 5, "5001", id));
    cf_expect_error(t, AR_E_CALL_NOT_HELD);
    cf_request(t, call_req(TL_M_RequestHoldCall, 6, "5001", id));
    assert_int_equal(cf_int(cf_event(t, 0), TL_A_ReferenceID), 6);
    cf_expect_events(t, "EventHeld:5001");
    cf_expect_ops(t, "hold 5002 on");
    cf_request(t, call_req(TL_M_RequestHoldCall, 7, "5001", id));
    cf_expect_error(t, AR_E_INVALID_CALL_STATE);
    /* The phone's own re-INVITE while held by request is answered locally. */
    gw_sipif_reinvite(t->calls, a->party, a, "sdpA3", GW_DIR_SENDRECV);
    cf_expect_ops(t, "sdp_answer 5001 sdp=-");
    cf_expect_events(t, "");
    cf_request(t, call_req(TL_M_RequestRetrieveCall, 8, "5001", id));
    cf_expect_events(t, "EventRetrieved:5001");
    cf_expect_ops(t, "hold 5002 off");
    cf_no_replies(t);
    cf_free(t);
}

static void test_bad_input(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    basic_established(t, &a);
    uint64_t id = gw_call_connid(cf_only_call(t));
    cf_request(t, call_req(TL_M_RequestHoldCall, 1, "5001", id ^ 0xffff));
    cf_expect_error(t, AR_E_UNKNOWN_CONNID);
    cf_request(t, call_req(TL_M_RequestHoldCall, 2, "5003", id));
    cf_expect_error(t, AR_E_DN_NOT_ON_CALL);
    cf_request(t, call_req(TL_M_RequestReleaseCall, 3, "5999", id));
    cf_expect_error(t, AR_E_UNKNOWN_DN);
    tl_msg *m = call_req(TL_M_RequestCompleteTransfer, 4, "5001", id);
    tl_msg_set_connid(m, TL_A_TransferConnID, id);
    cf_request(t, m);
    cf_expect_error(t, AR_E_CALL_NOT_HELD);
    m = call_req(TL_M_RequestSingleStepTransfer, 5, "5001", id);
    tl_msg_set_str(m, TL_A_OtherDN, "nowhere");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DEST_UNREACHABLE);
    cf_request(t, call_req(TL_M_RequestAnswerCall, 6, "5002", id));
    cf_expect_error(t, AR_E_INVALID_CALL_STATE);
    m = cf_req(TL_M_RequestMakeCall, 7, "7001");
    tl_msg_set_str(m, TL_A_OtherDN, "5002");
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_VALUE);
    cf_expect_events(t, "");
    cf_free(t);
}

static void test_release_request(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    struct gw_leg *b = basic_established(t, &a);
    uint64_t id = gw_call_connid(cf_only_call(t));
    cf_request(t, call_req(TL_M_RequestReleaseCall, 9, "5002", id));
    assert_int_equal(cf_int(cf_event(t, 0), TL_A_ReferenceID), 9);
    cf_expect_events(t, "EventReleased:5002 EventReleased:5001");
    cf_expect_ops(t, "release 5002 0|release 5001 0");
    assert_true(a->released && b->released);
    cf_request(t, call_req(TL_M_RequestReleaseCall, 10, "5002", id));
    cf_expect_error(t, AR_E_UNKNOWN_CONNID);
    cf_free(t);
}

static void test_user_data(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    basic_established(t, &a);
    gw_call *call = cf_only_call(t);
    uint64_t id = gw_call_connid(call);
    tl_msg *m = call_req(TL_M_RequestAttachUserData, 11, "5001", id);
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, "customer", "ACME");
    tl_kv_add_int(ud, "tier", 2);
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    const tl_msg *e = cf_event(t, 0);
    assert_int_equal(cf_int(e, TL_A_ReferenceID), 11);
    assert_string_equal(tl_kv_get_str(tl_msg_get_kv(e, TL_A_UserData), "customer"), "ACME");
    cf_expect_events(t, "EventAttachedDataChanged:5001 EventAttachedDataChanged:5002");

    m = call_req(TL_M_RequestUpdateUserData, 12, "5002", id);
    ud = tl_kv_new();
    tl_kv_add_str(ud, "customer", "Initech");
    tl_kv_add_str(ud, "case", "42");
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    cf_expect_events(t, "EventAttachedDataChanged:5001 EventAttachedDataChanged:5002");
    assert_int_equal(tl_kv_count(gw_call_user_data(call)), 3);
    assert_string_equal(tl_kv_get_str(gw_call_user_data(call), "customer"), "Initech");

    m = call_req(TL_M_RequestDeletePair, 13, "5001", id);
    ud = tl_kv_new();
    tl_kv_add_str(ud, "case", "41"); /* value differs: kept */
    tl_kv_add_int(ud, "tier", 2);
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    cf_expect_events(t, "EventAttachedDataChanged:5001 EventAttachedDataChanged:5002");
    assert_int_equal(tl_kv_count(gw_call_user_data(call)), 2);
    assert_null(tl_kv_get(gw_call_user_data(call), "tier"));

    m = call_req(TL_M_RequestDeleteUserData, 14, "5001", id);
    ud = tl_kv_new();
    tl_kv_add_str(ud, "case", "");
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    assert_int_equal(tl_kv_count(gw_call_user_data(call)), 1);
    cf_request(t, call_req(TL_M_RequestDeleteUserData, 15, "5001", id));
    assert_int_equal(tl_kv_count(gw_call_user_data(call)), 0);
    cf_expect_events(t, "EventAttachedDataChanged:5001 EventAttachedDataChanged:5002 "
                        "EventAttachedDataChanged:5001 EventAttachedDataChanged:5002");

    /* The per-call limit. */
    m = call_req(TL_M_RequestAttachUserData, 16, "5001", id);
    ud = tl_kv_new();
    char big[9000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tl_kv_add_str(ud, "big", big);
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    cf_expect_error(t, AR_E_USER_DATA_LIMIT);
    cf_expect_events(t, "");
    cf_free(t);
}

static void test_query_call(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    struct gw_leg *a;
    basic_established(t, &a);
    uint64_t id = gw_call_connid(cf_only_call(t));
    cf_request(t, call_req(TL_M_RequestQueryCall, 21, "5002", id));
    tl_msg *r = cf_pop_reply(t, TL_M_EventPartyInfo);
    assert_int_equal(cf_int(r, TL_A_ReferenceID), 21);
    assert_int_equal(cf_connid_of(r), id);
    const tl_kv *parties = tl_kv_get(tl_msg_get_kv(r, TL_A_Extensions), "Parties")->u.kv;
    const tl_value *p1 = tl_kv_get(parties, "5001");
    assert_non_null(p1);
    assert_string_equal(tl_kv_get_str(p1->u.kv, "state"), "Established");
    tl_msg_free(&r);
    cf_expect_events(t, "");
    cf_free(t);
}

static void test_agents(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    tl_msg *m = cf_req(TL_M_RequestAgentLogin, 31, "5001");
    tl_msg_set_str(m, TL_A_AgentID, "9001");
    cf_request(t, m);
    assert_string_equal(cf_str(cf_event(t, 0), TL_A_AgentID), "9001");
    assert_int_equal(cf_int(cf_event(t, 0), TL_A_ReferenceID), 31);
    cf_request(t, cf_req(TL_M_RequestAgentReady, 32, "5001"));
    m = cf_req(TL_M_RequestAgentNotReady, 33, "5001");
    tl_msg_set_int(m, TL_A_AgentWorkMode, 3);
    cf_request(t, m);
    assert_int_equal(cf_int(cf_event(t, 2), TL_A_AgentWorkMode), 3);
    cf_expect_events(t, "EventAgentLogin:5001 EventAgentReady:5001 EventAgentNotReady:5001");
    /* Same agent elsewhere, another agent on the DN, unknown agent, wrong DN, password. */
    m = cf_req(TL_M_RequestAgentLogin, 34, "5002");
    tl_msg_set_str(m, TL_A_AgentID, "9001");
    cf_request(t, m);
    cf_expect_error(t, AR_E_AGENT_LOGGED_IN);
    m = cf_req(TL_M_RequestAgentLogin, 35, "5001");
    tl_msg_set_str(m, TL_A_AgentID, "9002");
    cf_request(t, m);
    cf_expect_error(t, AR_E_AGENT_LOGGED_IN);
    m = cf_req(TL_M_RequestAgentLogin, 36, "5002");
    tl_msg_set_str(m, TL_A_AgentID, "9999");
    cf_request(t, m);
    cf_expect_error(t, AR_E_UNKNOWN_AGENT);
    m = cf_req(TL_M_RequestAgentLogin, 37, "5002");
    tl_msg_set_str(m, TL_A_AgentID, "9005");
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_VALUE);
    m = cf_req(TL_M_RequestAgentLogin, 38, "5005");
    tl_msg_set_str(m, TL_A_AgentID, "9005");
    cf_request(t, m);
    cf_expect_error(t, AR_E_AUTH_FAILED);
    m = cf_req(TL_M_RequestAgentLogin, 39, "5005");
    tl_msg_set_str(m, TL_A_AgentID, "9005");
    tl_kv *ext = tl_kv_new();
    tl_kv_add_str(ext, "password", "secret");
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    cf_request(t, m);
    cf_expect_events(t, "EventAgentLogin:5005");
    cf_request(t, cf_req(TL_M_RequestAgentLogout, 40, "5001"));
    cf_expect_events(t, "EventAgentLogout:5001");
    cf_request(t, cf_req(TL_M_RequestAgentReady, 41, "5001"));
    cf_expect_error(t, AR_E_AGENT_NOT_LOGGED_IN);
    cf_no_replies(t);
    cf_free(t);
}

static void test_monitoring(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    cf_incoming(t, "5001", "5002", "sdpA");
    gw_call *call = cf_only_call(t);
    uint64_t id = gw_call_connid(call);
    tl_msg *m = cf_req(TL_M_RequestStartCallMonitoring, 51, NULL);
    tl_msg_set_connid(m, TL_A_ConnID, id);
    cf_request(t, m);
    tl_msg *r = cf_pop_reply(t, TL_M_EventACK);
    tl_msg_free(&r);
    r = cf_pop_reply(t, TL_M_EventCallCreated);
    assert_int_equal(cf_connid_of(r), id);
    tl_msg_free(&r);
    r = cf_pop_reply(t, TL_M_EventCallPartyAdded);
    assert_string_equal(cf_str(r, TL_A_ThisDN), "5001");
    tl_msg_free(&r);
    r = cf_pop_reply(t, TL_M_EventCallPartyAdded);
    assert_string_equal(cf_str(r, TL_A_ThisDN), "5002");
    tl_msg_free(&r);
    cf_no_replies(t);

    struct gw_leg *b = cf_leg(t, "5002");
    cf_answered(t, b, "sdpB");
    r = cf_pop_reply(t, TL_M_EventCallPartyState);
    assert_string_equal(cf_str(r, TL_A_ThisDN), "5002");
    assert_string_equal(tl_kv_get_str(tl_msg_get_kv(r, TL_A_Extensions), "PartyState"),
                        "Established");
    tl_msg_free(&r);
    r = cf_pop_reply(t, TL_M_EventCallPartyState);
    tl_msg_free(&r);
    m = call_req(TL_M_RequestAttachUserData, 52, "5001", id);
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, "k", "v");
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    r = cf_pop_reply(t, TL_M_EventCallDataChanged);
    assert_string_equal(tl_kv_get_str(tl_msg_get_kv(r, TL_A_UserData), "k"), "v");
    tl_msg_free(&r);
    cf_bye(t, b);
    r = cf_pop_reply(t, TL_M_EventCallPartyDeleted);
    tl_msg_free(&r);
    r = cf_pop_reply(t, TL_M_EventCallPartyDeleted);
    tl_msg_free(&r);
    r = cf_pop_reply(t, TL_M_EventCallDeleted);
    tl_msg_free(&r);
    cf_no_replies(t);

    /* Stop before the end: nothing more arrives. */
    cf_incoming(t, "5003", "5004", "s");
    id = gw_call_connid(cf_only_call(t));
    m = cf_req(TL_M_RequestStartCallMonitoring, 53, NULL);
    tl_msg_set_connid(m, TL_A_ConnID, id);
    cf_request(t, m);
    g_ptr_array_set_size(t->replies, 0);
    m = cf_req(TL_M_RequestStopCallMonitoring, 54, NULL);
    tl_msg_set_connid(m, TL_A_ConnID, id);
    cf_request(t, m);
    r = cf_pop_reply(t, TL_M_EventACK);
    tl_msg_free(&r);
    m = cf_req(TL_M_RequestStopCallMonitoring, 55, NULL);
    tl_msg_set_connid(m, TL_A_ConnID, id);
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_CALL_STATE);
    cf_bye(t, cf_leg(t, "5004"));
    cf_no_replies(t);
    cf_free(t);
}

static void test_make_call(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    tl_msg *m = cf_req(TL_M_RequestMakeCall, 61, "5001");
    tl_msg_set_str(m, TL_A_OtherDN, "5002");
    cf_request(t, m);
    const tl_msg *d = cf_event(t, 0);
    assert_int_equal(cf_int(d, TL_A_ReferenceID), 61);
    assert_string_equal(cf_str(d, TL_A_OtherDN), "5002");
    cf_expect_events(t, "EventDialing:5001");
    /* RFC 3725: the requester's phone first, without an offer, asked to answer by itself. */
    cf_expect_ops(t, "originate 5001 sdp=- auto");
    struct gw_leg *a = cf_leg(t, "5001");
    cf_ringing(t, a);
    cf_expect_events(t, "");
    cf_answered(t, a, "offerA");
    cf_expect_ops(t, "originate 5002 sdp=offerA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_answered(t, b, "answerB");
    cf_expect_events(t, "EventRinging:5002 EventEstablished:5002 EventEstablished:5001");
    cf_expect_ops(t, "sdp_answer 5001 sdp=answerB");
    cf_bye(t, b);
    cf_expect_events(t, "EventReleased:5002 EventReleased:5001");

    /* The requester's phone does not answer. */
    m = cf_req(TL_M_RequestMakeCall, 62, "5001");
    tl_msg_set_str(m, TL_A_OtherDN, "5002");
    cf_request(t, m);
    cf_failed(t, cf_leg(t, "5001"), 480);
    cf_expect_events(t, "EventDialing:5001 EventReleased:5001");
    /* Unregistered requester: EventError, no call. */
    t->originate_fail = 480;
    m = cf_req(TL_M_RequestMakeCall, 63, "5001");
    tl_msg_set_str(m, TL_A_OtherDN, "5002");
    cf_request(t, m);
    cf_expect_error(t, AR_E_DEST_UNREACHABLE);
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

static void test_answer_call(void **state)
{
    (void)state;
    for (int ra = 0; ra < 2; ra++) {
        cf *t = cf_new(ra == 1);
        cf_incoming(t, "5001", "5002", "sdpA");
        struct gw_leg *b = cf_leg(t, "5002");
        cf_ringing(t, b);
        uint64_t id = gw_call_connid(cf_only_call(t));
        cf_request(t, call_req(TL_M_RequestAnswerCall, 71, "5002", id));
        if (ra == 0) {
            cf_expect_error(t, AR_E_UNSUPPORTED_OPERATION);
        } else {
            cf_no_replies(t);
            cf_expect_ops(t, "originate 5002 sdp=sdpA|ringing 5001|remote_answer 5002");
            g_ptr_array_set_size(t->events, 0);
            cf_answered(t, b, "sdpB");
            assert_int_equal(cf_int(cf_event(t, 0), TL_A_ReferenceID), 71);
            cf_expect_events(t, "EventEstablished:5002 EventEstablished:5001");
        }
        cf_free(t);
    }
}

static void test_calls_of_dn(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    cf_incoming(t, "5003", "5004", "s1");
    cf_incoming(t, "5001", "5003", "s2");
    gw_call *out[4];
    assert_int_equal(gw_calls_of_dn(t->calls, "5003", out, 4), 2);
    assert_true(gw_call_connid(out[0]) > gw_call_connid(out[1])); /* newest first */
    assert_string_equal(gw_call_dnis(out[0]), "5003");
    assert_int_equal(gw_calls_of_dn(t->calls, "5003", out, 1), 1);
    assert_int_equal(gw_calls_of_dn(t->calls, "5005", out, 4), 0);
    cf_free(t);
}

static void test_dn_service(void **state)
{
    (void)state;
    cf *t = cf_new(false);
    gw_sipif_dn_service(t->calls, "5003", false);
    gw_sipif_dn_service(t->calls, "5003", true);
    cf_expect_events(t, "EventDNOutOfService:5003 EventDNBackInService:5003");
    cf_free(t);
}

static void test_call_size(void **state)
{
    (void)state;
    /* A typical call: two parties with realistic SDPs and some user data, < 16 KiB. */
    cf *t = cf_new(false);
    char sdp[640];
    memset(sdp, 'v', sizeof sdp - 1);
    sdp[sizeof sdp - 1] = '\0';
    cf_incoming(t, "5001", "5002", sdp);
    cf_answered(t, cf_leg(t, "5002"), sdp);
    gw_call *call = cf_only_call(t);
    tl_msg *m = cf_req(TL_M_RequestAttachUserData, 1, "5001");
    tl_msg_set_connid(m, TL_A_ConnID, gw_call_connid(call));
    tl_kv *ud = tl_kv_new();
    for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "key%d", i);
        tl_kv_add_str(ud, k, "a value of some thirty bytes..");
    }
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    size_t bytes = gw_call_memory(call);
    print_message("one call: %zu bytes\n", bytes);
    assert_true(bytes > 2 * sizeof sdp);
    assert_true(bytes < 16384);
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_basic_call_caller_hangs_up),
        cmocka_unit_test(test_basic_call_attributes),
        cmocka_unit_test(test_late_offer_caller),
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_abandon_while_ringing),
        cmocka_unit_test(test_outbound_trunk),
        cmocka_unit_test(test_inbound_trunk),
        cmocka_unit_test(test_routing_point_router),
        cmocka_unit_test(test_routing_point_default),
        cmocka_unit_test(test_routing_point_no_default),
        cmocka_unit_test(test_hold_retrieve_phone),
        cmocka_unit_test(test_hold_retrieve_request),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_release_request),
        cmocka_unit_test(test_user_data),
        cmocka_unit_test(test_query_call),
        cmocka_unit_test(test_agents),
        cmocka_unit_test(test_monitoring),
        cmocka_unit_test(test_make_call),
        cmocka_unit_test(test_answer_call),
        cmocka_unit_test(test_calls_of_dn),
        cmocka_unit_test(test_dn_service),
        cmocka_unit_test(test_call_size),
    };
    /* AREC_TEST_FILTER=test_busy runs one test (with AREC_TEST_DUMP_JSON=1: its events). */
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
