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

static const char *conf_text = "[gateway]\nsite = unit\nclient-queue-limit = 1048576\n"
                               "[dn msml]\ntype = VoIP Service\nservice-type = msml\n"
                               "contact = sip:127.0.0.1:5999\n"
                               "[dn 5001-5005]\ntype = Extension\n"
                               "[application demo]\npassword = demo\ndns = *\n";

static void clear(cf *t)
{
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->ops_log, 0);
}

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
    clear(t);
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
    clear(t);
    cf_answered(t, s, "offerS");
    assert_int_equal(cf_int(cf_event(t, 0), TL_A_ThisDNRole), TL_ROLE_OBSERVER);
    cf_expect_events(t, "EventEstablished:5003");
    cf_expect_ops(t, "originate md:5003 sdp=offerS");
    cf_answered(t, cf_leg(t, "md:5003"), "md5003");
    cf_expect_ops(t, "sdp_answer 5003 sdp=md5003");
    /* OneCall: the subscription is used up. */
    cf_request(t, cf_req(TL_M_RequestCancelMonitoring, 21, "5003"));
    cf_expect_error(t, AR_E_NOT_MONITORING);
    /* The customer hangs up: nothing left to monitor, the supervisor goes and the call ends. */
    clear(t);
    cf_bye(t, a);
    cf_expect_events(t, "EventReleased:5001 EventPartyDeleted:5002 EventPartyDeleted:5003 "
                        "EventReleased:5003 EventReleased:5002");
    assert_int_equal(gw_calls_count(t->calls), 0);
    cf_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_silent_next_call),
    };
    if (g_getenv("AREC_TEST_FILTER"))
        cmocka_set_test_filter(g_getenv("AREC_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
