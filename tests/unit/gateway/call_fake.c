/* Call model test harness: a fake SIP layer recording ops, capturing T-Lib clients. */
#include "call_fake.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tl_codec.h"

#include "ar_err.h"
#include "ar_log.h"
#include "gw_tlib.h"

static const char *conf_text = "[gateway]\n"
                               "site = unit\n"
                               "client-queue-limit = 1048576\n"
                               "[dn 5001-5005]\n"
                               "type = Extension\n"
                               "[dn 7001]\n"
                               "type = Routing Point\n"
                               "default-dn = 5003\n"
                               "router-timeout = 5\n"
                               "[dn 7002]\n"
                               "type = Routing Point\n"
                               "router-timeout = 2\n"
                               "[dn trunk-out]\n"
                               "type = Trunk\n"
                               "contact = sip:127.0.0.1:5099\n"
                               "prefix = 0\n"
                               "[agent 9001-9003]\n"
                               "[agent 9005]\n"
                               "dn = 5005\n"
                               "password = secret\n"
                               "[application demo]\n"
                               "password = demo\n"
                               "dns = *\n"
                               "[application desk]\n"
                               "password = desk\n"
                               "dns = 5001\n";

static void log_op(cf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_op(cf *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(t->ops_log, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static gw_leg *op_originate(void *sip, gw_party *party, const gw_sip_target *tg, const char *sdp,
                            int *st)
{
    cf *t = sip;
    /* A media-server leg (explicit URI) is named "md:<from DN>". */
    char who[32];
    if (tg->dn)
        g_strlcpy(who, tg->dn, sizeof who);
    else
        g_snprintf(who, sizeof who, "md:%s", tg->from_user ? tg->from_user : "?");
    log_op(t, "originate %s sdp=%s%s", who, sdp ? sdp : "-", tg->auto_answer ? " auto" : "");
    if (t->originate_fail) {
        *st = t->originate_fail;
        return NULL;
    }
    gw_leg *l = g_new0(gw_leg, 1);
    g_strlcpy(l->dn, who, sizeof l->dn);
    l->party = party;
    l->outgoing = true;
    g_ptr_array_add(t->legs, l);
    return l;
}

static int op_ringing(void *sip, gw_leg *l, const char *sdp)
{
    log_op(sip, "ringing %s%s%s", l->dn, sdp ? " sdp=" : "", sdp ? sdp : "");
    return 0;
}

static int op_answer(void *sip, gw_leg *l, const char *sdp)
{
    log_op(sip, "answer %s sdp=%s", l->dn, sdp ? sdp : "-");
    return 0;
}

static int op_sdp_answer(void *sip, gw_leg *l, const char *sdp)
{
    log_op(sip, "sdp_answer %s sdp=%s", l->dn, sdp ? sdp : "-");
    return 0;
}

static int op_reinvite(void *sip, gw_leg *l, const char *sdp)
{
    log_op(sip, "reinvite %s sdp=%s", l->dn, sdp ? sdp : "-");
    return 0;
}

static int op_hold(void *sip, gw_leg *l, bool on)
{
    log_op(sip, "hold %s %s", l->dn, on ? "on" : "off");
    return 0;
}

static int op_remote_answer(void *sip, gw_leg *l)
{
    log_op(sip, "remote_answer %s", l->dn);
    return 0;
}

static void op_release(void *sip, gw_leg *l, int status, const char *reason)
{
    (void)reason;
    assert_false(l->released);
    l->released = true;
    l->rel_status = status;
    log_op(sip, "release %s %d", l->dn, status);
}

static int op_refer_replacing(void *sip, gw_leg *l, const char *refer_to, gw_leg *replaced)
{
    log_op(sip, "refer_replacing %s %s replacing %s", l->dn, refer_to, replaced->dn);
    return 0;
}

/* MSML toward mediad: refused (as without the op) unless the test sets info_ok. */
static int op_info(void *sip, gw_leg *l, const char *ctype, const char *body)
{
    cf *t = sip;
    (void)ctype;
    if (!t->info_ok)
        return AR_E_INVALID_CALL_STATE;
    const char *what = strstr(body, "createconference")   ? "create"
                       : strstr(body, "modifyconference") ? "modify"
                                                          : "other";
    bool modify = what[0] == 'm'; /* a modify naming otherDN: metadata after a transfer */
    log_op(t, "info %s %s%s%s", l->dn, what, modify && strstr(body, "otherDN") ? " otherDN" : "",
           modify && strstr(body, "\"resume\"") ? " resume" : "");
    return 0;
}

static const gw_sip_ops fake_ops = {
    .originate = op_originate,
    .ringing = op_ringing,
    .answer = op_answer,
    .sdp_answer = op_sdp_answer,
    .reinvite = op_reinvite,
    .hold = op_hold,
    .release = op_release,
    .refer_replacing = op_refer_replacing,
    .info = op_info,
};
static gw_sip_ops fake_ops_ra;

static unsigned t_add(void *ud, unsigned ms, bool (*fn)(void *), void *arg)
{
    cf *t = ud;
    for (unsigned i = 0; i < 8; i++) {
        if (!t->timer_fn[i]) {
            t->timer_fn[i] = fn;
            t->timer_arg[i] = arg;
            t->timer_ms[i] = ms;
            return i + 1;
        }
    }
    fail_msg("too many timers");
    return 0;
}

static void t_cancel(void *ud, unsigned id)
{
    cf *t = ud;
    if (id >= 1 && id <= 8)
        t->timer_fn[id - 1] = NULL;
}

int cf_pending_timers(const cf *t)
{
    int n = 0;
    for (unsigned i = 0; i < 8; i++)
        n += t->timer_fn[i] != NULL;
    return n;
}

void cf_fire_timer(cf *t)
{
    for (unsigned i = 0; i < 8; i++) {
        if (t->timer_fn[i]) {
            bool (*fn)(void *) = t->timer_fn[i];
            t->timer_fn[i] = NULL;
            fn(t->timer_arg[i]);
            gw_server_flush(t->srv);
            return;
        }
    }
    fail_msg("no timer pending");
}

static void cap_watch(gw_client *c, const tl_msg *m)
{
    cf *t = c->tp;
    g_ptr_array_add(t->events, tl_msg_copy(m));
    /* AREC_TEST_DUMP_JSON=1: print each DN event as `tlibctl watch` would (for docs/calls.md). */
    if (g_getenv("AREC_TEST_DUMP_JSON")) {
        char *j = tl_json_encode_str(m);
        if (j)
            print_message("%s\n", j);
        free(j);
    }
}

static void cap_client(gw_client *c, const tl_msg *m)
{
    cf *t = c->tp;
    g_ptr_array_add(t->replies, tl_msg_copy(m));
}

static void no_close(gw_client *c)
{
    (void)c;
}

static const gw_client_ops watch_ops = {.name = "watch", .close = no_close, .capture = cap_watch};
static const gw_client_ops client_ops = {.name = "req", .close = no_close, .capture = cap_client};

static void free_msg(gpointer p)
{
    tl_msg *m = p;
    tl_msg_free(&m);
}

static void register_client(cf *t, gw_client *c, const char *app, const char *pw)
{
    tl_msg *m = cf_req(TL_M_RequestRegisterClient, 1, NULL);
    tl_msg_set_str(m, TL_A_ApplicationName, app);
    tl_msg_set_str(m, TL_A_ApplicationPassword, pw);
    gw_tlib_handle(c, m);
    tl_msg_free(&m);
    assert_true(gw_client_registered(c));
    (void)t;
}

cf *cf_new(bool remote_answer)
{
    return cf_new_conf(remote_answer, NULL);
}

cf *cf_new_conf(bool remote_answer, const char *conf)
{
    cf *t = g_new0(cf, 1);
    if (!g_getenv("AREC_TEST_VERBOSE"))
        ar_log_parse("warn");
    gw_config_errors errs = {0};
    gw_config *cfg = gw_config_parse("unit.conf", conf ? conf : conf_text, &errs);
    for (size_t i = 0; i < errs.n; i++)
        print_message("%s\n", errs.msgs[i]);
    assert_non_null(cfg);
    t->srv = gw_server_new(cfg);
    t->calls = gw_calls_new(t->srv);
    t->srv->calls = t->calls;
    fake_ops_ra = fake_ops;
    fake_ops_ra.remote_answer = op_remote_answer;
    gw_calls_set_sip(t->calls, remote_answer ? &fake_ops_ra : &fake_ops, t);
    gw_timer_ops tops = {.add = t_add, .cancel = t_cancel, .ud = t};
    gw_calls_set_timers(t->calls, &tops);
    t->events = g_ptr_array_new_with_free_func(free_msg);
    t->replies = g_ptr_array_new_with_free_func(free_msg);
    t->ops_log = g_ptr_array_new_with_free_func(g_free);
    t->legs = g_ptr_array_new_with_free_func(g_free);
    t->watch = gw_client_new(t->srv, &watch_ops, t, GW_ENC_JSON, "watch:1");
    t->client = gw_client_new(t->srv, &client_ops, t, GW_ENC_JSON, "client:1");
    register_client(t, t->watch, "demo", "demo");
    register_client(t, t->client, "demo", "demo");
    static const char *dns[] = {"5001", "5002", "5003", "5004", "5005", "7001", "7002"};
    for (size_t i = 0; i < G_N_ELEMENTS(dns); i++) {
        tl_msg *m = cf_req(TL_M_RequestRegisterAddress, 2, dns[i]);
        gw_tlib_handle(t->watch, m);
        tl_msg_free(&m);
    }
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->replies, 0);
    return t;
}

void cf_clear(cf *t)
{
    g_ptr_array_set_size(t->events, 0);
    g_ptr_array_set_size(t->ops_log, 0);
}

void cf_free(cf *t)
{
    gw_calls_free(&t->calls);
    t->srv->calls = NULL;
    gw_client_free(&t->watch);
    gw_client_free(&t->client);
    gw_server_free(&t->srv);
    g_ptr_array_free(t->events, TRUE);
    g_ptr_array_free(t->replies, TRUE);
    g_ptr_array_free(t->ops_log, TRUE);
    g_ptr_array_free(t->legs, TRUE);
    g_free(t);
}

gw_leg *cf_incoming(cf *t, const char *caller, const char *called, const char *sdp)
{
    gw_leg *l = g_new0(gw_leg, 1);
    g_strlcpy(l->dn, caller, sizeof l->dn);
    g_ptr_array_add(t->legs, l);
    gw_sip_incoming in = {
        .caller_dn = caller, .from_user = caller, .called = called, .sdp = sdp, .call_id = "unit"};
    int st = -1;
    l->party = gw_sipif_incoming(t->calls, l, &in, &st);
    gw_server_flush(t->srv);
    if (!l->party)
        l->rel_status = st;
    return l;
}

gw_leg *cf_leg(cf *t, const char *dn)
{
    for (guint i = t->legs->len; i-- > 0;) {
        gw_leg *l = t->legs->pdata[i];
        if (l->outgoing && strcmp(l->dn, dn) == 0)
            return l;
    }
    fail_msg("no leg toward %s", dn);
    return NULL;
}

void cf_ringing(cf *t, gw_leg *l)
{
    gw_sipif_progress(t->calls, l->party, l, 180, NULL);
    gw_server_flush(t->srv);
}

void cf_answered(cf *t, gw_leg *l, const char *sdp)
{
    gw_sipif_answered(t->calls, l->party, l, sdp);
    gw_server_flush(t->srv);
}

void cf_bye(cf *t, gw_leg *l)
{
    gw_sipif_released(t->calls, l->party, l, 0);
    l->released = true;
    gw_server_flush(t->srv);
}

void cf_failed(cf *t, gw_leg *l, int status)
{
    gw_sipif_failed(t->calls, l->party, l, status);
    l->released = true;
    gw_server_flush(t->srv);
}

static const char *short_name(const tl_msg *m)
{
    const tl_msg_info *mi = tl_msg_info_get(m->type);
    return mi ? mi->name : "?";
}

void cf_expect_events(cf *t, const char *want)
{
    GString *got = g_string_new("");
    for (guint i = 0; i < t->events->len; i++) {
        const tl_msg *m = t->events->pdata[i];
        const char *dn = tl_msg_get_str(m, TL_A_ThisDN);
        g_string_append_printf(got, "%s%s:%s", i ? " " : "", short_name(m), dn ? dn : "-");
    }
    if (strcmp(got->str, want) != 0)
        fail_msg("DN events\n  want: %s\n  got:  %s", want, got->str);
    g_string_free(got, TRUE);
    g_ptr_array_set_size(t->events, 0);
}

void cf_expect_ops(cf *t, const char *want)
{
    GString *got = g_string_new("");
    for (guint i = 0; i < t->ops_log->len; i++)
        g_string_append_printf(got, "%s%s", i ? "|" : "", (char *)t->ops_log->pdata[i]);
    if (strcmp(got->str, want) != 0)
        fail_msg("SIP ops\n  want: %s\n  got:  %s", want, got->str);
    g_string_free(got, TRUE);
    g_ptr_array_set_size(t->ops_log, 0);
}

const tl_msg *cf_event(cf *t, guint i)
{
    assert_true(i < t->events->len);
    return t->events->pdata[i];
}

tl_msg *cf_req(uint16_t type, int64_t ref, const char *dn)
{
    tl_msg *m = tl_msg_new(type);
    tl_msg_set_int(m, TL_A_ReferenceID, ref);
    if (dn)
        tl_msg_set_str(m, TL_A_ThisDN, dn);
    return m;
}

void cf_request(cf *t, tl_msg *m)
{
    gw_tlib_handle(t->client, m);
    gw_server_flush(t->srv);
    tl_msg_free(&m);
}

tl_msg *cf_pop_reply(cf *t, uint16_t type)
{
    if (t->replies->len == 0)
        fail_msg("no reply, wanted %u", type);
    tl_msg *m = g_ptr_array_steal_index(t->replies, 0);
    if (m->type != type) {
        const char *txt = tl_msg_get_str(m, TL_A_ErrorMessage);
        fail_msg("reply %s, wanted %u (%s)", short_name(m), type, txt ? txt : "");
    }
    return m;
}

void cf_expect_error(cf *t, int code)
{
    tl_msg *m = cf_pop_reply(t, TL_M_EventError);
    int64_t got = -1;
    tl_msg_get_int(m, TL_A_ErrorCode, &got);
    if (got != code)
        fail_msg("ErrorCode %lld, wanted %d: %s", (long long)got, code,
                 cf_str(m, TL_A_ErrorMessage) ? cf_str(m, TL_A_ErrorMessage) : "");
    assert_non_null(tl_msg_get_str(m, TL_A_ErrorMessage));
    tl_msg_free(&m);
}

void cf_no_replies(cf *t)
{
    if (t->replies->len)
        fail_msg("unexpected reply %s", short_name(t->replies->pdata[0]));
}

gw_call *cf_only_call(cf *t)
{
    assert_int_equal(gw_calls_count(t->calls), 1);
    gw_call *out[2];
    for (int i = 0; i < 2; i++)
        out[i] = NULL;
    /* Every call has 5001..5005 or a trunk among its parties in these tests. */
    static const char *dns[] = {"5001", "5002", "5003", "5004", "5005", "7001", "7002"};
    for (size_t i = 0; i < G_N_ELEMENTS(dns); i++)
        if (gw_calls_of_dn(t->calls, dns[i], out, 1))
            return out[0];
    fail_msg("call has no known party");
    return NULL;
}

uint64_t cf_connid_of(const tl_msg *m)
{
    uint64_t v = 0;
    assert_true(tl_msg_get_connid(m, TL_A_ConnID, &v));
    return v;
}

int64_t cf_int(const tl_msg *m, uint16_t attr)
{
    int64_t v = -1;
    if (!tl_msg_get_int(m, attr, &v))
        return -1;
    return v;
}

const char *cf_str(const tl_msg *m, uint16_t attr)
{
    return tl_msg_get_str(m, attr);
}
