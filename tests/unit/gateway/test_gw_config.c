/* Unit tests for the gatewayd configuration parser, validation and reload diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "gw_config.h"

static const char *good = "# comment\n"
                          "[gateway]\n"
                          "site = lab\n"
                          "tlib-listen = 127.0.0.1:0\n"
                          "ws-listen = [::1]:8081\n"
                          "client-queue-limit = 65536\n"
                          "msml-record-support = true\n"
                          "\n"
                          "[dn 5001-5003]\n"
                          "type = Extension\n"
                          "record = true\n"
                          "[dn 0098-0100]\n"
                          "type = ACD Position\n"
                          "[dn 7001]\n"
                          "type = Routing Point\n"
                          "default-dn = 5001\n"
                          "[dn vs]\n"
                          "type = VoIP Service\n"
                          "service-type = msml\n"
                          "[agent 9001-9002]\n"
                          "password = \"a b\"\n"
                          "[application demo]\n"
                          "password = demo\n"
                          "dns = *\n"
                          "[application desk]\n"
                          "password = d\n"
                          "dns = 5001, 5003-5004, vs\n"
                          "record-consult-calls = false\n";

static void test_parse_good(void **state)
{
    (void)state;
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("good.conf", good, &errs);
    assert_non_null(c);
    assert_int_equal(errs.n, 0);
    assert_string_equal(c->site, "lab");
    assert_int_equal(c->tlib_listen.port, 0);
    assert_string_equal(c->ws_listen.host, "::1");
    assert_int_equal(c->ws_listen.port, 8081);
    assert_int_equal(c->client_queue_limit, 65536);
    assert_int_equal(c->frame_timeout, 30); /* default */
    assert_int_equal(c->max_frame_size, 1u << 20);
    assert_int_equal(c->rec.msml_record_support, 1);
    assert_int_equal(c->rec.msml_support, -1);
    assert_int_equal(c->n_dns, 3 + 3 + 1 + 1);
    const gw_dn_conf *d = gw_config_find_dn(c, "5002");
    assert_non_null(d);
    assert_true(d->record);
    assert_int_equal(d->type, GW_DN_EXTENSION);
    assert_true(d->dual_dialog_enabled);
    assert_int_equal(d->line, 9);
    assert_non_null(gw_config_find_dn(c, "0099")); /* leading zeros keep the width */
    assert_null(gw_config_find_dn(c, "99"));
    assert_int_equal(gw_config_find_dn(c, "7001")->type, GW_DN_ROUTING_POINT);
    assert_string_equal(gw_config_find_dn(c, "vs")->service_type, "msml");
    assert_string_equal(gw_config_find_agent(c, "9002")->password, "a b");
    const gw_app_conf *a = gw_config_find_app(c, "desk");
    assert_non_null(a);
    assert_true(gw_dn_set_contains(&a->dns, "5001"));
    assert_false(gw_dn_set_contains(&a->dns, "5002"));
    assert_true(gw_dn_set_contains(&a->dns, "5004"));
    assert_true(gw_dn_set_contains(&a->dns, "vs"));
    assert_false(gw_dn_set_contains(&a->dns, "v"));
    assert_int_equal(a->rec.record_consult_calls, 0);
    assert_true(gw_dn_set_contains(&gw_config_find_app(c, "demo")->dns, "anything"));
    gw_config_free(&c);
    assert_null(c);
}

/* Each bad line with the exact "FILE:LINE:" prefix and a telling word. */
static void expect_errors(const char *text, const char *const *want, size_t n)
{
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("t.conf", text, &errs);
    assert_null(c);
    for (size_t i = 0; i < errs.n; i++)
        print_message("  %s\n", errs.msgs[i]);
    assert_int_equal(errs.n, n);
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(want[i], '|');
        size_t plen = (size_t)(colon - want[i]);
        assert_int_equal(strncmp(errs.msgs[i], want[i], plen), 0);
        assert_non_null(strstr(errs.msgs[i], colon + 1));
    }
    gw_config_errors_clear(&errs);
}

static void test_errors(void **state)
{
    (void)state;
    const char *text = "[gateway]\n"             /* 1 */
                       "bogus = 1\n"             /* 2 unknown key */
                       "max-clients = lots\n"    /* 3 int */
                       "tlib-listen = nohost\n"  /* 4 listen */
                       "frame-timeout = 0\n"     /* 5 range */
                       "log-level = tlib=loud\n" /* 6 log spec */
                       "[dn 5001-5010]\n"        /* 7 */
                       "type = Extension\n"      /* 8 */
                       "record = maybe\n"        /* 9 bool */
                       "[dn 5005-5015]\n"        /* 10 overlap */
                       "type = Extension\n"      /* 11 */
                       "[dn 6000]\n"             /* 12 */
                       "type = Phone\n"          /* 13 enum */
                       "[dn 6000]\n"             /* 14 duplicate */
                       "type = Trunk\n"          /* 15 */
                       "type = Trunk\n"          /* 16 twice */
                       "[weird]\n"               /* 17 section */
                       "x = 1\n"                 /* 18 ignored under a bad section */
                       "[application a]\n"       /* 19 no password */
                       "dns = 5001\n"            /* 20 */
                       "[application b]\n"       /* 21 */
                       "password = x\n"          /* 22 */
                       "dns = 5-2\n"             /* 23 bad range */
                       "[dn 6001]\n"             /* 24 missing type */
                       "just text\n"             /* 25 not key = value */
                       "[dn 9-1]\n"              /* 26 backwards range */
                       "type = Trunk\n";
    static const char *const want[] = {
        "t.conf:2: |unknown key \"bogus\"",
        "t.conf:3: |max-clients",
        "t.conf:4: |tlib-listen",
        "t.conf:5: |frame-timeout",
        "t.conf:6: |log-level",
        "t.conf:9: |boolean",
        "t.conf:10: |overlaps the section at line 7",
        "t.conf:13: |\"Phone\" is not one of",
        "t.conf:14: |duplicate dn 6000 (first defined at line 12)",
        "t.conf:16: |given twice",
        "t.conf:17: |unknown section [weird]",
        "t.conf:19: |missing mandatory key \"password\"",
        "t.conf:23: |bad DN range \"5-2\"",
        "t.conf:24: |missing mandatory key \"type\"",
        "t.conf:25: |expected \"key = value\"",
        "t.conf:26: |ends before it starts",
    };
    expect_errors(text, want, G_N_ELEMENTS(want));
}

/* Pre-recording keys (docs/recording.md "Pre-recording"): parsed, bounded. */
static void test_pre_recording(void **state)
{
    (void)state;
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("p.conf",
                                   "[gateway]\npre-recording-window-ms = 5000\n"
                                   "pre-recording-dir = /var/lib/mediad\n"
                                   "[dn 6400-6401]\ntype = Extension\npre-recording = true\n"
                                   "[dn 6402]\ntype = Extension\n",
                                   &errs);
    assert_non_null(c);
    assert_int_equal(c->pre_recording_window_ms, 5000);
    assert_string_equal(c->pre_recording_dir, "/var/lib/mediad");
    assert_true(gw_config_find_dn(c, "6401")->pre_recording);
    assert_false(gw_config_find_dn(c, "6402")->pre_recording);
    gw_config_free(&c);
    static const char *const w[] = {"t.conf:2: |pre-recording-window-ms"};
    expect_errors("[gateway]\npre-recording-window-ms = 600001\n", w, 1);
}

static void test_more_errors(void **state)
{
    (void)state;
    static const char *const w1[] = {"t.conf:1: |outside of any section"};
    expect_errors("orphan = 1\n", w1, 1);
    static const char *const w2[] = {"t.conf:4: |duplicate application a"};
    expect_errors("[application a]\npassword=1\n\n[application a]\npassword=2\n", w2, 1);
    static const char *const w3[] = {"t.conf:1: |default-dn 5999 is not a configured DN"};
    expect_errors("[dn 7001]\ntype = Routing Point\ndefault-dn = 5999\n", w3, 1);
    static const char *const w4[] = {"t.conf:1: |more than"};
    expect_errors("[dn 1-999999]\ntype = Extension\n", w4, 1);
    static const char *const w5[] = {"t.conf:3: |duplicate agent 9001",
                                     "t.conf:5: |without closing"};
    expect_errors("[agent 9001]\n\n[agent 9001]\n\n[dn 1\n", w5, 2);
    static const char *const w6[] = {"t.conf:2: |make-call-rfc3725-flow"};
    expect_errors("[dn 1]\nmake-call-rfc3725-flow = 2\ntype = Trunk\n", w6, 1);
    static const char *const w7[] = {"t.conf:2: |scheduling: \"rr:0\": the real-time priority"};
    expect_errors("[gateway]\nscheduling = rr:0\n", w7, 1);
}

static void test_scheduling(void **state)
{
    (void)state;
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("s.conf", "[gateway]\nscheduling = slice:250\n", &errs);
    assert_non_null(c);
    assert_int_equal(c->scheduling.kind, AR_SCHED_SLICE);
    assert_int_equal(c->scheduling.slice_us, 250);
    gw_config_free(&c);
    c = gw_config_parse("s.conf", "[gateway]\n", &errs);
    assert_non_null(c);
    assert_int_equal(c->scheduling.kind, AR_SCHED_DEFAULT); /* not asked for: left alone */
    gw_config_free(&c);
    gw_config_errors_clear(&errs);
}

static void test_listen_parse(void **state)
{
    (void)state;
    gw_listen l;
    assert_true(gw_listen_parse("0.0.0.0:7000", &l));
    assert_string_equal(l.host, "0.0.0.0");
    assert_int_equal(l.port, 7000);
    g_free(l.host);
    assert_false(gw_listen_parse("host:70000", &l));
    assert_false(gw_listen_parse(":70", &l));
    assert_false(gw_listen_parse("[::1]70", &l));
    assert_false(gw_listen_parse("h:x", &l));
}

static void collect(void *ud, const char *line)
{
    g_ptr_array_add(ud, g_strdup(line));
}

static bool has_line(GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(a->pdata[i], s) == 0)
            return true;
    return false;
}

static void test_diff(void **state)
{
    (void)state;
    gw_config_errors errs = {0};
    gw_config *a = gw_config_parse("a",
                                   "[gateway]\nsite=x\n[dn 5001-5002]\ntype=Extension\n"
                                   "[agent 1]\n[application p]\npassword=1\ndns=5001\n"
                                   "[application q]\npassword=1\n",
                                   &errs);
    gw_config *b = gw_config_parse("b",
                                   "[gateway]\nsite=y\n[dn 5001]\ntype=Extension\n"
                                   "record=true\n[dn 5003]\ntype=Trunk\n[agent 2]\n"
                                   "[application p]\npassword=2\ndns=5001-5003\n",
                                   &errs);
    assert_non_null(a);
    assert_non_null(b);
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    size_t n = gw_config_diff(a, b, collect, lines);
    for (guint i = 0; i < lines->len; i++)
        print_message("  %s\n", (char *)lines->pdata[i]);
    assert_int_equal(n, lines->len);
    assert_true(has_line(lines, "gateway: site x -> y"));
    assert_true(has_line(lines, "dn 5001: record false -> true"));
    assert_true(has_line(lines, "dn 5003 added (Trunk)"));
    assert_true(has_line(lines, "dn 5002 removed"));
    assert_true(has_line(lines, "agent 2 added"));
    assert_true(has_line(lines, "agent 1 removed"));
    assert_true(has_line(lines, "application p: password changed"));
    assert_true(has_line(lines, "application p: dns 5001 -> 5001-5003"));
    assert_true(has_line(lines, "application q removed"));
    assert_int_equal(n, 9);
    assert_int_equal(gw_config_diff(a, a, collect, lines), 0);
    g_ptr_array_free(lines, TRUE);
    gw_config_free(&a);
    gw_config_free(&b);
}

static void test_demo_config_file(void **state)
{
    (void)state;
    gw_config_errors errs = {0};
    gw_config *c = gw_config_load(AREC_SOURCE_DIR "/config/gatewayd.conf", &errs);
    for (size_t i = 0; i < errs.n; i++)
        print_message("  %s\n", errs.msgs[i]);
    assert_non_null(c);
    assert_true(gw_config_find_dn(c, "5010")->record);
    assert_false(gw_config_find_dn(c, "5009")->record);
    assert_int_equal(gw_config_find_dn(c, "7001")->type, GW_DN_ROUTING_POINT);
    assert_non_null(gw_config_find_agent(c, "9020"));
    const gw_app_conf *desk = gw_config_find_app(c, "desk5001");
    assert_true(gw_dn_set_contains(&desk->dns, "5001"));
    assert_false(gw_dn_set_contains(&desk->dns, "5002"));
    gw_config_free(&c);
    gw_config *m = gw_config_load("/nonexistent/gw.conf", &errs);
    assert_null(m);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "/nonexistent/gw.conf:0: cannot read"));
    gw_config_errors_clear(&errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_more_errors),      cmocka_unit_test(test_scheduling),
        cmocka_unit_test(test_listen_parse),     cmocka_unit_test(test_diff),
        cmocka_unit_test(test_demo_config_file), cmocka_unit_test(test_pre_recording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
