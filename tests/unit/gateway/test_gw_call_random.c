/* Call model robustness: random SIP events and T-Lib requests, checked for crashes and leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "call_fake.h"
#include "gw_call_int.h"

static const char *dns[] = {"5001", "5002", "5003", "5004", "7001", "7002", "0555", "nowhere"};

static const char *pick_dn(GRand *r)
{
    return dns[g_rand_int_range(r, 0, G_N_ELEMENTS(dns))];
}

/* A live leg the SIP layer could report on, or NULL. */
static struct gw_leg *pick_leg(cf *t, GRand *r)
{
    GPtrArray *live = g_ptr_array_new();
    for (guint i = 0; i < t->legs->len; i++) {
        struct gw_leg *l = t->legs->pdata[i];
        if (!l->released && l->party)
            g_ptr_array_add(live, l);
    }
    struct gw_leg *l = live->len ? live->pdata[g_rand_int_range(r, 0, (gint32)live->len)] : NULL;
    g_ptr_array_free(live, TRUE);
    return l;
}

static uint64_t pick_connid(cf *t, GRand *r)
{
    GList *all = g_hash_table_get_keys(t->calls->by_connid);
    guint n = g_list_length(all);
    uint64_t id = n ? *(uint64_t *)g_list_nth_data(all, g_rand_int_range(r, 0, (gint32)n))
                    : (uint64_t)g_rand_int(r);
    g_list_free(all);
    return g_rand_int_range(r, 0, 10) == 0 ? id ^ 1 : id;
}

/* Structural invariants of the call table. */
static void check(cf *t)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gw_call *call = v;
        assert_int_equal(*(uint64_t *)k, call->connid);
        size_t n = 0;
        for (gw_party *p = call->parties; p; p = p->next, n++) {
            assert_ptr_equal(p->call, call);
            if (p->leg) {
                assert_false(p->leg->released);
                assert_ptr_equal(p->leg->party, p);
            }
        }
        assert_int_equal(n, call->nparties);
        if (call->consult)
            assert_ptr_equal(call->consult->main, call);
        assert_true(gw_call_memory(call) < 16384);
    }
}

static void sip_event(cf *t, GRand *r)
{
    struct gw_leg *l = pick_leg(t, r);
    if (!l) {
        cf_incoming(t, pick_dn(r), pick_dn(r), g_rand_boolean(r) ? "sdp" : NULL);
        return;
    }
    static const int fails[] = {404, 408, 480, 486, 487, 500, 503, 603};
    switch (g_rand_int_range(r, 0, 9)) {
    case 0:
        cf_incoming(t, pick_dn(r), pick_dn(r), g_rand_boolean(r) ? "sdp" : NULL);
        break;
    case 1:
        if (l->outgoing)
            cf_ringing(t, l);
        break;
    case 2:
        if (l->outgoing)
            cf_answered(t, l, "sdp-ans");
        break;
    case 3:
        if (l->outgoing)
            cf_failed(t, l, fails[g_rand_int_range(r, 0, G_N_ELEMENTS(fails))]);
        break;
    case 4:
        cf_bye(t, l);
        break;
    case 5:
        gw_sipif_reinvite(t->calls, l->party, l, "re", (gw_media_dir)g_rand_int_range(r, 0, 4));
        break;
    case 6:
        gw_sipif_sdp_answer(t->calls, l->party, l, g_rand_boolean(r) ? "a" : NULL);
        break;
    case 7:
        gw_sipif_sdp_offer(t->calls, l->party, l, "o");
        break;
    default:
        if (cf_pending_timers(t))
            cf_fire_timer(t);
        break;
    }
}

static const uint16_t reqs[] = {
    TL_M_RequestMakeCall,           TL_M_RequestAnswerCall,
    TL_M_RequestReleaseCall,        TL_M_RequestClearCall,
    TL_M_RequestHoldCall,           TL_M_RequestRetrieveCall,
    TL_M_RequestInitiateTransfer,   TL_M_RequestInitiateConference,
    TL_M_RequestCompleteTransfer,   TL_M_RequestCompleteConference,
    TL_M_RequestReconnectCall,      TL_M_RequestAlternateCall,
    TL_M_RequestSingleStepTransfer, TL_M_RequestAttachUserData,
    TL_M_RequestUpdateUserData,     TL_M_RequestDeleteUserData,
    TL_M_RequestDeletePair,         TL_M_RequestRouteCall,
    TL_M_RequestQueryCall,          TL_M_RequestStartCallMonitoring,
    TL_M_RequestStopCallMonitoring, TL_M_RequestAgentLogin,
    TL_M_RequestAgentReady,         TL_M_RequestAgentLogout,
};

static void tlib_request(cf *t, GRand *r, int64_t ref)
{
    uint16_t type = reqs[g_rand_int_range(r, 0, G_N_ELEMENTS(reqs))];
    tl_msg *m = cf_req(type, ref, pick_dn(r));
    tl_msg_set_connid(m, TL_A_ConnID, pick_connid(t, r));
    tl_msg_set_connid(m, TL_A_TransferConnID, pick_connid(t, r));
    tl_msg_set_str(m, TL_A_OtherDN, pick_dn(r));
    tl_msg_set_str(m, TL_A_AgentID, g_rand_boolean(r) ? "9001" : "9002");
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, g_rand_boolean(r) ? "k1" : "k2", "v");
    tl_msg_set_kv(m, TL_A_UserData, ud);
    cf_request(t, m);
    g_ptr_array_set_size(t->replies, 0);
}

static void test_random(void **state)
{
    (void)state;
    /* AREC_RANDOM_SEEDS=N runs more seeds (a longer hunt); the default keeps CI fast. */
    const char *env = g_getenv("AREC_RANDOM_SEEDS");
    guint32 seeds = env ? (guint32)g_ascii_strtoull(env, NULL, 10) : 40;
    for (guint32 seed = 1; seed <= seeds; seed++) {
        GRand *r = g_rand_new_with_seed(seed);
        cf *t = cf_new(seed % 2 == 0);
        for (int step = 0; step < 400; step++) {
            if (g_rand_int_range(r, 0, 3) == 0)
                tlib_request(t, r, step + 1);
            else
                sip_event(t, r);
            check(t);
            g_ptr_array_set_size(t->events, 0);
            g_ptr_array_set_size(t->ops_log, 0);
        }
        /* Hang up everything that is left: every call must go away. */
        for (int guard = 0; guard < 1000; guard++) {
            struct gw_leg *l = pick_leg(t, r);
            if (!l)
                break;
            cf_bye(t, l);
            check(t);
        }
        while (cf_pending_timers(t))
            cf_fire_timer(t);
        assert_int_equal(gw_calls_count(t->calls), 0);
        cf_free(t);
        g_rand_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
