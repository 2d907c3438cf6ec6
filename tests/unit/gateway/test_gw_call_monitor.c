/* Unit tests for supervisor monitoring: RequestMonitorNextCall / CancelMonitoring (gw_monitor.c).
 */
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

static const char *conf_text = "[gateway]\nsite = unit\nclient-queue-limit = 1048576\n"
                               "[dn msml]\ntype = VoIP Service\nservice-type = msml\n"
                               "contact = sip:127.0.0.1:5999\n"
                               "[dn 5001-5005]\ntype = Extension\n"
                               "[application demo]\npassword = demo\ndns = *\n";

static tl_msg *mon_req(int64_t ref, const char *sup, const char *agent)
{
    tl_msg *m = cf_req(TL_M_RequestMonitorNextCall, ref, sup);
    if (agent)
        tl_msg_set_str(m, TL_A_OtherDN, agent);
    return m;
}

static void expect_ack(cf *t)
{
    tl_msg *r = cf_pop_reply(t, TL_M_EventACK);
    assert_non_null(r);
    tl_msg_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf_text);
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 1, "5003"));
    cf_expect_error(t, AR_E_NOT_MONITORING);
    cf_request(t, mon_req(2, "5003", NULL));
    cf_expect_error(t, AR_E_MISSING_ATTRIBUTE);
    cf_request(t, mon_req(3, "5003", "9999"));
    cf_expect_error(t, AR_E_UNKNOWN_DN);
    cf_request(t, mon_req(4, "5003", "msml"));
    cf_expect_error(t, AR_E_NOT_AGENT_DN);
    cf_request(t, mon_req(5, "5003", "5003"));
    cf_expect_error(t, AR_E_INVALID_VALUE);
    tl_msg *m = mon_req(6, "5003", "5002");
    tl_kv *ext = tl_kv_new();
    tl_kv_add_int(ext, "MonitorMode", 3);
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    cf_request(t, m);
    cf_expect_error(t, AR_E_WRONG_TYPE);
    m = mon_req(7, "5003", "5002");
    ext = tl_kv_new();
    tl_kv_add_str(ext, "MonitorNextCallType", "Sometimes");
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    cf_request(t, m);
    cf_expect_error(t, AR_E_INVALID_VALUE);
    cf_request(t, mon_req(8, "5003", "5002"));
    expect_ack(t);
    cf_request(t, mon_req(9, "5004", "5002"));
    cf_expect_error(t, AR_E_ALREADY_MONITORED);
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 10, "5003"));
    expect_ack(t);
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 11, "5003"));
    cf_expect_error(t, AR_E_NOT_MONITORING);
    cf_free(t);
}

static void test_silent_next_call(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf_text);
    cf_request(t, mon_req(20, "5003", "5002"));
    expect_ack(t);
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_clear(t);
    cf_answered(t, b, "sdpB");
    /* Established: the supervisor's phone is called (no offer) and both parties go
       through mediad. */
    const tl_msg *added = cf_event(t, 2);
    assert_string_equal(cf_str(added, TL_A_OtherDN), "5003");
    assert_int_equal(cf_int(added, TL_A_OtherDNRole), TL_ROLE_OBSERVER);
    assert_string_equal(cf_str(added, TL_A_ThirdPartyDN), "5002");
    cf_expect_events(t, "EventEstablished:5002 EventEstablished:5001 EventPartyAdded:5001 "
                        "EventPartyAdded:5002");
    cf_expect_ops(t, "answer 5001 sdp=sdpB|originate 5003 sdp=-|originate md:5001 sdp=sdpA|"
                     "originate md:5002 sdp=sdpB");
    cf_answered(t, cf_leg(t, "md:5001"), "md5001");
    cf_answered(t, cf_leg(t, "md:5002"), "md5002");
    struct gw_leg *s = cf_leg(t, "5003");
    cf_ringing(t, s);
    cf_clear(t);
    cf_answered(t, s, "offerS");
    assert_int_equal(cf_int(cf_event(t, 0), TL_A_ThisDNRole), TL_ROLE_OBSERVER);
    cf_expect_events(t, "EventEstablished:5003");
    cf_expect_ops(t, "originate md:5003 sdp=offerS");
    cf_answered(t, cf_leg(t, "md:5003"), "md5003");
    cf_expect_ops(t, "sdp_answer 5003 sdp=md5003");
    /* The customer hangs up: nothing left to monitor, the supervisor goes and the call ends. */
    cf_clear(t);
    cf_bye(t, a);
    cf_expect_events(t, "EventReleased:5001 EventPartyDeleted:5002 EventPartyDeleted:5003 "
                        "EventReleased:5003 EventReleased:5002");
    assert_int_equal(gw_calls_count(t->calls), 0);
    /* OneCall: the subscription was used up (and no call is monitored any more). */
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 21, "5003"));
    cf_expect_error(t, AR_E_NOT_MONITORING);
    cf_free(t);
}

/* RequestCancelMonitoring while the supervisor's phone still rings: CANCEL, and the
   parties learn it once; OtherDN naming another agent leaves it alone. */
static void test_cancel_ringing_supervisor(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, conf_text);
    cf_request(t, mon_req(40, "5003", "5002"));
    expect_ack(t);
    cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_answered(t, b, "sdpB");
    struct gw_leg *s = cf_leg(t, "5003");
    cf_ringing(t, s);
    cf_clear(t);
    tl_msg *m = cf_req(TL_M_RequestCancelMonitoring, 41, "5003");
    tl_msg_set_str(m, TL_A_OtherDN, "5004");
    cf_request(t, m);
    cf_expect_error(t, AR_E_NOT_MONITORING);
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 42, "5003"));
    expect_ack(t);
    cf_expect_events(t, "EventReleased:5003 EventPartyDeleted:5001 EventPartyDeleted:5002");
    cf_expect_ops(t, "release 5003 487");
    assert_int_equal(cf_only_call(t)->nparties, 2);
    cf_free(t);
}

/* 5002 records full-time: a recording inserts mediad when its call is established. */
static const char *rec_text = CF_CONF_RECORDING "[dn 5001]\ntype = Extension\n"
                                                "[dn 5002]\ntype = Extension\nrecord = true\n"
                                                "[dn 5003-5005]\ntype = Extension\n"
                                                "[application demo]\npassword = demo\ndns = *\n";

/* 5003 monitors 5002; 5001 calls 5002, who answers: the full-time recording starts. */
static struct gw_leg *recorded_monitored_call(cf *t)
{
    t->info_ok = true;
    cf_request(t, mon_req(30, "5003", "5002"));
    expect_ack(t);
    struct gw_leg *a = cf_incoming(t, "5001", "5002", "sdpA");
    struct gw_leg *b = cf_leg(t, "5002");
    cf_ringing(t, b);
    cf_clear(t);
    cf_answered(t, b, "sdpB");
    /* The recording's mediad legs are on their way; the supervisor is not called yet, and
       the only timer is the join's safety net (nothing polls). */
    cf_expect_ops(t, "answer 5001 sdp=sdpB|originate md:5002 sdp=sdpB|originate md:5001 sdp=sdpA");
    assert_int_equal(cf_pending_timers(t), 1);
    return a;
}

static const tl_msg *find_event(cf *t, uint16_t type, const char *dn)
{
    for (guint i = 0; i < t->events->len; i++) {
        const tl_msg *m = g_ptr_array_index(t->events, i);
        const char *d = tl_msg_get_str(m, TL_A_ThisDN);
        if (m->type == type && d && !strcmp(d, dn))
            return m;
    }
    return NULL;
}

/* The join waits for the recording's hook, not a timer; then the supervisor joins the
   recording's conference; RequestCancelMonitoring takes it out of the call again. */
static void test_join_on_recording_up_then_cancel(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, rec_text);
    recorded_monitored_call(t);
    struct gw_leg *m1 = cf_leg(t, "md:5001"), *m2 = cf_leg(t, "md:5002");
    cf_answered(t, m1, "md5001");
    cf_answered(t, m2, "md5002");
    cf_expect_ops(t, "reinvite 5001 sdp=md5001|reinvite 5002 sdp=md5002|info md:5002 create");
    cf_clear(t);
    gw_sipif_info(t->calls, m2->party, m2, 200, NULL); /* mediad: the recording is on */
    cf_expect_ops(t, "originate 5003 sdp=-");
    assert_int_equal(cf_pending_timers(t), 0); /* the safety net went with the wait */
    struct gw_leg *s = cf_leg(t, "5003");
    cf_ringing(t, s);
    cf_answered(t, s, "offerS");
    gw_call *call = cf_only_call(t);
    assert_int_equal(call->nparties, 3);
    cf_clear(t);
    /* Cancel: ACK, the supervisor leaves (BYE, its mediad leg out of the mixer), the
       parties learn it; the subscription was OneCall, so nothing is left to cancel. */
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 31, "5003"));
    expect_ack(t);
    const tl_msg *del = find_event(t, TL_M_EventPartyDeleted, "5002");
    assert_non_null(del);
    assert_string_equal(cf_str(del, TL_A_OtherDN), "5003");
    assert_int_equal(cf_int(del, TL_A_OtherDNRole), TL_ROLE_OBSERVER);
    assert_non_null(find_event(t, TL_M_EventReleased, "5003"));
    cf_expect_events(t, "EventReleased:5003 EventPartyDeleted:5001 EventPartyDeleted:5002");
    cf_expect_ops(t, "release 5003 0|release md:5003 0");
    assert_int_equal(call->nparties, 2);
    assert_string_equal(gw_rec_state_name(call), "On"); /* the recording goes on */
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 32, "5003"));
    cf_expect_error(t, AR_E_NOT_MONITORING);
    cf_free(t);
}

/* The recording the join waits for fails: the supervisor gets its EventError at once. */
static void test_join_fails_with_recording(void **state)
{
    (void)state;
    cf *t = cf_new_conf(false, rec_text);
    recorded_monitored_call(t);
    cf_clear(t);
    cf_failed(t, cf_leg(t, "md:5001"), 503);
    const tl_msg *e = find_event(t, TL_M_EventError, "5003");
    assert_non_null(e);
    assert_int_equal(cf_int(e, TL_A_ErrorCode), AR_E_MONITOR_JOIN_FAILED);
    assert_string_equal(cf_str(e, TL_A_OtherDN), "5002");
    assert_non_null(strstr(cf_str(e, TL_A_ErrorMessage), "503"));
    assert_int_equal(cf_pending_timers(t), 0);
    /* The supervisor is not called; the subscription stays for the next call. */
    for (guint i = 0; i < t->ops_log->len; i++)
        assert_null(strstr(g_ptr_array_index(t->ops_log, i), "originate 5003"));
    cf_clear(t);
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 33, "5003"));
    expect_ack(t);
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_silent_next_call),
        cmocka_unit_test(test_join_on_recording_up_then_cancel),
        cmocka_unit_test(test_join_fails_with_recording),
        cmocka_unit_test(test_cancel_ringing_supervisor),
    };
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
