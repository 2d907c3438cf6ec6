/* Unit tests for two-step transfers to another site by REFER with Replaces (gw_site.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "call_fake.h"
#include "gw_sipif.h"

static const char *conf = "[gateway]\n"
                          "site = site-a\n"
                          "application-name = gw-a\n"
                          "oosp-transfer-enabled = true\n"
                          "client-queue-limit = 1048576\n"
                          "[dn 5001-5005]\n"
                          "type = Extension\n"
                          "[dn 7001-7002]\n"
                          "type = Routing Point\n"
                          "[dn to-site-b]\n"
                          "type = Trunk\n"
                          "contact = sip:127.0.0.1:5098\n"
                          "prefix = 62\n"
                          "location-name = gw-b@site-b\n"
                          "[application demo]\n"
                          "password = demo\n"
                          "dns = *\n";

#define REFER_OP "refer_replacing 5001 sip:6201@127.0.0.1:5098 replacing to-site-b"

typedef struct {
    cf *t;
    struct gw_leg *a, *b, *b2, *c;
    uint64_t main_id, consult_id;
} xs;

static bool has_op(cf *t, const char *op)
{
    for (guint i = 0; i < t->ops_log->len; i++)
        if (strcmp(t->ops_log->pdata[i], op) == 0)
            return true;
    return false;
}

static tl_msg *call_req(uint16_t type, int64_t ref, const char *dn, uint64_t connid)
{
    tl_msg *m = cf_req(type, ref, dn);
    tl_msg_set_connid(m, TL_A_ConnID, connid);
    return m;
}

/* 5001 talks with 5002, which consults 6201 (site B through to-site-b); it rings there. */
static void consult_to_site_b(xs *x)
{
    cf *t = x->t = cf_new_conf(false, conf);
    x->a = cf_incoming(t, "5001", "5002", "sdpA");
    x->b = cf_leg(t, "5002");
    cf_ringing(t, x->b);
    cf_answered(t, x->b, "sdpB");
    x->main_id = gw_call_connid(cf_only_call(t));
    tl_msg *m = call_req(TL_M_RequestInitiateTransfer, 10, "5002", x->main_id);
    tl_msg_set_str(m, TL_A_OtherDN, "6201");
    cf_request(t, m);
    x->b2 = cf_leg(t, "5002");
    cf_answered(t, x->b2, "offerB2");
    x->c = cf_leg(t, "to-site-b");
    cf_ringing(t, x->c);
    const tl_msg *dial = NULL;
    for (guint i = 0; i < t->events->len; i++)
        if (cf_event(t, i)->type == TL_M_EventDialing)
            dial = cf_event(t, i);
    assert_non_null(dial);
    x->consult_id = cf_connid_of(dial);
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->ops_log, 0);
    g_ptr_array_set_size(t->replies, 0);
}

static void complete(xs *x)
{
    tl_msg *m = call_req(TL_M_RequestCompleteTransfer, 11, "5002", x->main_id);
    tl_msg_set_connid(m, TL_A_TransferConnID, x->consult_id);
    cf_request(x->t, m);
}

/* The completion's media exchange: 5001's offer (to the offerless re-INVITE) goes to B,
   whose answer goes back to 5001. */
static void bridge_exchange(xs *x)
{
    cf *t = x->t;
    assert_true(has_op(t, "reinvite 5001 sdp=-"));
    assert_false(has_op(t, REFER_OP)); /* not while the offer / answer runs */
    gw_sipif_sdp_offer(t->calls, x->a->party, x->a, "offerA2");
    gw_server_flush(t->srv);
    assert_true(has_op(t, "reinvite to-site-b sdp=offerA2"));
    assert_false(has_op(t, REFER_OP));
    gw_sipif_sdp_answer(t->calls, x->c->party, x->c, "answerC2");
    gw_server_flush(t->srv);
    assert_true(has_op(t, "sdp_answer 5001 sdp=answerC2"));
}

/* The customer's last event is EventReleased with CallState Transferred. */
static void customer_transferred(cf *t)
{
    const tl_msg *last = NULL;
    for (guint i = 0; i < t->events->len; i++) {
        const tl_msg *m = cf_event(t, i);
        if (m->type == TL_M_EventReleased && strcmp(cf_str(m, TL_A_ThisDN), "5001") == 0)
            last = m;
    }
    assert_non_null(last);
    assert_int_equal(cf_int(last, TL_A_CallState), TL_CS_TRANSFERRED);
}

static void test_refer_after_the_answered_completion(void **state)
{
    (void)state;
    xs x = {0};
    consult_to_site_b(&x);
    cf_answered(x.t, x.c, "sdpC");
    g_ptr_array_set_size(x.t->ops_log, 0);
    complete(&x);
    bridge_exchange(&x);
    assert_true(has_op(x.t, REFER_OP));
    g_ptr_array_set_size(x.t->ops_log, 0);
    /* The phone's NOTIFY: 200. The call ends here, both remaining legs released. */
    gw_sipif_refer_result(x.t->calls, x.a->party, x.a, 200);
    gw_server_flush(x.t->srv);
    customer_transferred(x.t);
    assert_true(has_op(x.t, "release 5001 0"));
    assert_true(has_op(x.t, "release to-site-b 0"));
    assert_int_equal(gw_calls_count(x.t->calls), 0);
    cf_free(x.t);
}

static void test_bye_of_the_replaced_dialog_first(void **state)
{
    (void)state;
    xs x = {0};
    consult_to_site_b(&x);
    cf_answered(x.t, x.c, "sdpC");
    complete(&x);
    bridge_exchange(&x);
    assert_true(has_op(x.t, REFER_OP));
    g_ptr_array_set_size(x.t->ops_log, 0);
    g_ptr_array_set_size(x.t->events, 0);
    /* Site B ends the replaced dialog before the phone's NOTIFY arrives. */
    cf_bye(x.t, x.c);
    customer_transferred(x.t);
    cf_expect_ops(x.t, "release 5001 0");
    assert_int_equal(gw_calls_count(x.t->calls), 0);
    cf_free(x.t);
}

static void test_completed_while_ringing_refers_after_the_answer(void **state)
{
    (void)state;
    xs x = {0};
    consult_to_site_b(&x);
    complete(&x);
    assert_false(has_op(x.t, REFER_OP));
    g_ptr_array_set_size(x.t->ops_log, 0);
    cf_answered(x.t, x.c, "sdpC");
    bridge_exchange(&x);
    assert_true(has_op(x.t, REFER_OP));
    cf_free(x.t);
}

static void test_failed_refer_stays_in_the_path(void **state)
{
    (void)state;
    xs x = {0};
    consult_to_site_b(&x);
    cf_answered(x.t, x.c, "sdpC");
    complete(&x);
    bridge_exchange(&x);
    g_ptr_array_set_size(x.t->ops_log, 0);
    g_ptr_array_set_size(x.t->events, 0);
    gw_sipif_refer_result(x.t->calls, x.a->party, x.a, 603);
    gw_server_flush(x.t->srv);
    cf_expect_ops(x.t, "");
    cf_expect_events(x.t, "");
    assert_int_equal(gw_calls_count(x.t->calls), 1);
    /* A later BYE of the trunk dialog is an ordinary release now. */
    cf_bye(x.t, x.c);
    cf_expect_ops(x.t, "release 5001 0");
    assert_int_equal(gw_calls_count(x.t->calls), 0);
    cf_free(x.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refer_after_the_answered_completion),
        cmocka_unit_test(test_bye_of_the_replaced_dialog_first),
        cmocka_unit_test(test_completed_while_ringing_refers_after_the_answer),
        cmocka_unit_test(test_failed_refer_stays_in_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
