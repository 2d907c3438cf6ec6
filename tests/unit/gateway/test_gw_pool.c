/* Unit tests for pools: [pool] parsing, schemes, capacity, geo, leases across failures/reloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "gw_config.h"
#include "gw_pool.h"
#include "gw_pool_int.h"
#include "gw_pool_select.h"

static gw_config *parse(const char *text)
{
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("p.conf", text, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.msgs[i]);
    assert_int_equal(errs.n, 0);
    gw_config_errors_clear(&errs);
    return c;
}

/* The errors of a bad text, joined with '|'. */
static char *errors_of(const char *text)
{
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("p.conf", text, &errs);
    assert_null(c);
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < errs.n; i++)
        g_string_append_printf(s, "%s|", errs.msgs[i]);
    gw_config_errors_clear(&errs);
    return g_string_free(s, FALSE);
}

static const char *three = "[pool recs]\n"
                           "kind = recorder\n"
                           "scheme = %s\n"
                           "monitor = none\n"
                           "member = sip:10.0.0.1:5060 ports=%d\n"
                           "member = sip:10.0.0.2 sip-port=5070 ports=%d geo-location=dallas\n"
                           "member = sips:r3.example.com sips-port=5071 ports=%d dn=rec3\n";

static gw_pools *pools_of(const char *scheme, int ports, gw_config **cfg)
{
    char *text = g_strdup_printf(three, scheme, ports, ports, ports);
    *cfg = parse(text);
    g_free(text);
    return gw_pools_new(*cfg);
}

static int pick(gw_pools *pools, unsigned ports, const char *geo, bool strict, gw_pool_lease **l)
{
    char why[256];
    gw_pool_req r = {.kind = GW_POOL_RECORDER, .geo = geo, .geo_strict = strict, .ports = ports};
    return gw_pool_pick(pools, &r, l, why, sizeof why);
}

static void test_parse(void **state)
{
    (void)state;
    gw_config *c;
    gw_pools *p = pools_of("least-used", 7, &c);
    assert_int_equal(c->n_pools, 1);
    const gw_pool_conf *pc = &c->pools[0];
    assert_string_equal(pc->name, "recs");
    assert_int_equal(pc->kind, 1);
    assert_int_equal(pc->scheme, 1);
    assert_false(pc->monitor);
    assert_int_equal(pc->n_members, 3);
    assert_string_equal(pc->members[1].uri, "sip:10.0.0.2:5070");
    assert_string_equal(pc->members[1].geo_location, "dallas");
    assert_string_equal(pc->members[2].uri, "sips:r3.example.com:5071");
    assert_string_equal(pc->members[2].dn, "rec3");
    assert_int_equal(pc->members[0].ports, 7);
    assert_int_equal(pc->members[0].line, 5);
    assert_true(c->geo_nomatch_reject); /* seed default */
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_parse_errors(void **state)
{
    (void)state;
    char *e = errors_of("[pool a]\nkind = recorder\nmember = sip:h1:5060\n"
                        "[pool b]\nkind = recorder\nmember = sip:H1:5060\n");
    assert_non_null(strstr(e, "p.conf:6: [pool b]: duplicate member address sip:H1:5060 (first "
                              "at line 3)"));
    g_free(e);
    e = errors_of("[pool a]\nkind = mediad\nscheme = parallel\nmember = sip:h:1\n"
                  "[pool b]\nmember = http://x\nmember = sip:y ports=0\nmember = sip:z bogus\n"
                  "colour = red\n[pool c]\nkind = recorder\n");
    assert_non_null(strstr(e, "p.conf:1: [pool a]: scheme parallel is for recorder pools only"));
    assert_non_null(strstr(e, "p.conf:5: [pool b]: missing mandatory key \"kind\""));
    assert_non_null(strstr(e, "p.conf:6: [pool b]: member \"http://x\" is not a sip:/sips: URI"));
    assert_non_null(strstr(e, "p.conf:7: [pool b]: bad member option \"ports=0\""));
    assert_non_null(strstr(e, "p.conf:8: [pool b]: member option \"bogus\" is not key=value"));
    assert_non_null(strstr(e, "p.conf:9: unknown key \"colour\" in [pool]"));
    assert_non_null(strstr(e, "p.conf:10: [pool c]: no member"));
    g_free(e);
}

static void test_implicit_pools(void **state)
{
    (void)state;
    gw_config *c = parse("[gateway]\nrecording-dest = sip:rec@127.0.0.1:5080\n"
                         "[dn msml]\ntype = VoIP Service\nservice-type = msml\n"
                         "contact = sip:127.0.0.1:5070\ngeo-location = paris\n");
    gw_pools *p = gw_pools_new(c);
    gw_pool_lease *l = NULL;
    char why[200];
    gw_pool_req r = {.kind = GW_POOL_MEDIAD, .ports = 2};
    assert_int_equal(gw_pool_pick(p, &r, &l, why, sizeof why), AR_E_OK);
    assert_string_equal(gw_pool_lease_uri(l), "sip:127.0.0.1:5070");
    assert_string_equal(gw_pool_member_dn(gw_pool_lease_member(l)), "msml");
    gw_pool_lease_release(&l);
    assert_int_equal(pick(p, 2, NULL, true, &l), AR_E_OK);
    assert_string_equal(gw_pool_lease_uri(l), "sip:rec@127.0.0.1:5080");
    /* Untagged recorders: any geo is accepted (one pool for every site). */
    gw_pool_lease *l2 = NULL;
    assert_int_equal(pick(p, 2, "tokyo", true, &l2), AR_E_OK);
    gw_pool_lease_release(&l2);
    gw_pool_lease_release(&l);
    gw_pool_lease_release(&l); /* second release: no-op */
    gw_pools_free(&p);
    gw_config_free(&c);
}

/* Picks of 100 recordings, each released at once (short calls). */
static void distribution(const char *scheme, unsigned counts[3])
{
    gw_config *c;
    gw_pools *p = pools_of(scheme, 10, &c);
    memset(counts, 0, 3 * sizeof *counts);
    for (int i = 0; i < 100; i++) {
        gw_pool_lease *l = NULL;
        assert_int_equal(pick(p, 2, NULL, true, &l), AR_E_OK);
        const char *u = gw_pool_lease_uri(l);
        counts[strstr(u, "10.0.0.1") ? 0 : strstr(u, "10.0.0.2") ? 1 : 2]++;
        gw_pool_lease_release(&l);
    }
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_schemes(void **state)
{
    (void)state;
    unsigned n[3];
    distribution("round-robin", n);
    assert_int_equal(n[0], 34);
    assert_int_equal(n[1], 33);
    assert_int_equal(n[2], 33);
    distribution("least-used", n); /* all idle: ties rotate */
    assert_int_equal(n[0] + n[1] + n[2], 100);
    assert_true(n[0] >= 33 && n[1] >= 33 && n[2] >= 33);

    /* least-used with load: the emptiest member wins. */
    gw_config *c;
    gw_pools *p = pools_of("least-used", 10, &c);
    gw_pool_lease *a = NULL, *b = NULL, *d = NULL;
    assert_int_equal(pick(p, 4, NULL, true, &a), AR_E_OK);
    assert_int_equal(pick(p, 2, NULL, true, &b), AR_E_OK);
    assert_int_equal(pick(p, 2, NULL, true, &d), AR_E_OK); /* the third, idle one */
    assert_ptr_not_equal(gw_pool_lease_member(a), gw_pool_lease_member(b));
    assert_ptr_not_equal(gw_pool_lease_member(a), gw_pool_lease_member(d));
    assert_ptr_not_equal(gw_pool_lease_member(b), gw_pool_lease_member(d));
    gw_pool_lease *e = NULL;
    assert_int_equal(pick(p, 2, NULL, true, &e), AR_E_OK); /* 4,2,2: one of the 2s */
    assert_ptr_not_equal(gw_pool_lease_member(e), gw_pool_lease_member(a));
    gw_pool_lease_release(&a);
    gw_pool_lease_release(&b);
    gw_pool_lease_release(&d);
    gw_pool_lease_release(&e);
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_parallel(void **state)
{
    (void)state;
    gw_config *c;
    gw_pools *p = pools_of("parallel", 4, &c);
    gw_pool_lease *l = NULL;
    assert_int_equal(pick(p, 2, NULL, true, &l), AR_E_OK);
    assert_int_equal(gw_pool_lease_count(l), 3);
    const gw_pool_member *m[3];
    for (size_t i = 0; i < 3; i++) {
        m[i] = ((gw_pool *)g_ptr_array_index(p->pools, 0))->members->pdata[i];
        assert_int_equal(gw_pool_member_ports_used(m[i]), 2);
    }
    gw_pool_lease_settle(l, "sip:10.0.0.2:5070");
    assert_int_equal(gw_pool_lease_count(l), 1);
    assert_string_equal(gw_pool_lease_uri(l), "sip:10.0.0.2:5070");
    assert_int_equal(gw_pool_member_ports_used(m[0]), 0);
    assert_int_equal(gw_pool_member_ports_used(m[1]), 2);
    assert_int_equal(gw_pool_member_ports_used(m[2]), 0);
    gw_pool_lease_release(&l);
    assert_int_equal(gw_pool_member_ports_used(m[1]), 0);
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_capacity_and_failures(void **state)
{
    (void)state;
    gw_config *c;
    gw_pools *p = pools_of("round-robin", 2, &c);
    gw_pool_lease *l[4] = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(pick(p, 2, NULL, true, &l[i]), AR_E_OK);
    assert_int_equal(pick(p, 2, NULL, true, &l[3]), AR_E_POOL_NO_MEMBER); /* all full */
    assert_null(l[3]);
    gw_pool_lease_release(&l[1]);
    assert_int_equal(pick(p, 2, NULL, true, &l[3]), AR_E_OK); /* the freed one */
    assert_ptr_equal(gw_pool_lease_member(l[3]),
                     ((gw_pool *)p->pools->pdata[0])->members->pdata[1]);
    for (int i = 0; i < 4; i++)
        gw_pool_lease_release(&l[i]);
    /* A failed member is skipped; an excluded one too; all gone = no member. */
    const gw_pool_member *m0 = ((gw_pool *)p->pools->pdata[0])->members->pdata[0];
    const gw_pool_member *m1 = ((gw_pool *)p->pools->pdata[0])->members->pdata[1];
    gw_pool_member_failed(p, m0, "INVITE timed out");
    assert_int_equal(gw_pool_member_health(m0), GW_POOL_OUT_OF_SERVICE);
    const gw_pool_member *ex[] = {m1};
    char why[256];
    gw_pool_req r = {.kind = GW_POOL_RECORDER, .ports = 2, .exclude = ex, .nexclude = 1};
    gw_pool_lease *x = NULL;
    assert_int_equal(gw_pool_pick(p, &r, &x, why, sizeof why), AR_E_OK);
    assert_non_null(strstr(gw_pool_lease_uri(x), "r3.example.com"));
    gw_pool_lease_release(&x);
    gw_pool_member_failed(p, ((gw_pool *)p->pools->pdata[0])->members->pdata[2], "dropped");
    assert_int_equal(gw_pool_pick(p, &r, &x, why, sizeof why), AR_E_POOL_NO_MEMBER);
    assert_non_null(strstr(why, "2 out of service"));
    assert_non_null(strstr(why, "1 excluded"));
    /* monitor none: a failed member comes back after the pool's interval (10 s here). */
    gw_pool_member *fm = (gw_pool_member *)m0;
    assert_true(fm->retry_at_us > g_get_monotonic_time() + 9 * G_USEC_PER_SEC);
    fm->retry_at_us = 1; /* the interval has passed */
    assert_int_equal(gw_pool_pick(p, &r, &x, why, sizeof why), AR_E_OK);
    assert_ptr_equal(gw_pool_lease_member(x), m0);
    assert_int_equal(gw_pool_member_health(m0), GW_POOL_UNKNOWN);
    gw_pool_lease_release(&x);
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_geo(void **state)
{
    (void)state;
    gw_config *c;
    gw_pools *p = pools_of("round-robin", 10, &c);
    for (int i = 0; i < 5; i++) {
        gw_pool_lease *l = NULL;
        assert_int_equal(pick(p, 2, "Dallas", true, &l), AR_E_OK);
        assert_string_equal(gw_pool_lease_uri(l), "sip:10.0.0.2:5070");
        gw_pool_lease_release(&l);
    }
    gw_pool_lease *l = NULL;
    assert_int_equal(pick(p, 2, "tokyo", true, &l), AR_E_POOL_GEO_NOMATCH);
    assert_int_equal(pick(p, 2, "tokyo", false, &l), AR_E_OK); /* any member */
    gw_pool_lease_release(&l);
    /* The tagged member full: a geo call does not spill over to other sites. */
    gw_pool_lease *f[5] = {0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(pick(p, 2, "dallas", true, &f[i]), AR_E_OK);
    assert_int_equal(pick(p, 2, "dallas", true, &l), AR_E_POOL_NO_MEMBER);
    for (int i = 0; i < 5; i++)
        gw_pool_lease_release(&f[i]);
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_reload_keeps_counts(void **state)
{
    (void)state;
    gw_config *c;
    gw_pools *p = pools_of("round-robin", 10, &c);
    gw_pool_lease *a = NULL, *b = NULL;
    assert_int_equal(pick(p, 2, NULL, true, &a), AR_E_OK); /* 10.0.0.1 */
    assert_int_equal(pick(p, 2, NULL, true, &b), AR_E_OK); /* 10.0.0.2 */
    const gw_pool_member *ma = gw_pool_lease_member(a);
    gw_pool_member_failed(p, gw_pool_lease_member(b), "test");
    /* New config: 10.0.0.1 kept (bigger), 10.0.0.2 removed, 10.0.0.9 added. */
    gw_config *c2 = parse("[pool recs]\nkind = recorder\nmonitor = none\n"
                          "member = sip:10.0.0.1:5060 ports=20\nmember = sip:10.0.0.9:5060\n");
    gw_pools_reload(p, c2);
    gw_config_free(&c);
    const gw_pool *pool = p->pools->pdata[0];
    assert_int_equal(pool->members->len, 2);
    assert_ptr_equal(pool->members->pdata[0], ma); /* same object: counts kept */
    assert_int_equal(gw_pool_member_ports_used(ma), 2);
    assert_int_equal(((gw_pool_member *)pool->members->pdata[0])->capacity, 20);
    /* The removed member drains: never picked, its lease still valid. */
    assert_int_equal(gw_pool_member_ports_used(gw_pool_lease_member(b)), 2);
    assert_null(gw_pool_lease_member(b)->pool);
    for (int i = 0; i < 10; i++) {
        gw_pool_lease *l = NULL;
        assert_int_equal(pick(p, 2, NULL, true, &l), AR_E_OK);
        assert_ptr_not_equal(gw_pool_lease_member(l), gw_pool_lease_member(b));
        gw_pool_lease_release(&l);
    }
    gw_pool_lease_release(&b); /* frees the drained member (ASan/LSan check) */
    gw_pool_lease_release(&a);
    assert_int_equal(gw_pool_member_ports_used(ma), 0);
    /* Reload with pools freed while a lease is out: the lease outlives them. */
    assert_int_equal(pick(p, 3, NULL, true, &a), AR_E_OK);
    gw_pools_free(&p);
    assert_non_null(gw_pool_lease_uri(a));
    gw_pool_lease_release(&a);
    gw_config_free(&c2);
}

static void test_metrics_escape(void **state)
{
    (void)state;
    gw_config *c = parse("[pool we\"ird\\]\nkind = recorder\nmember = sip:a\"b@h:1\n");
    gw_pools *p = gw_pools_new(c);
    ar_buf b = {0};
    gw_pools_metrics_text(p, &b);
    ar_buf_append(&b, "", 1);
    assert_non_null(strstr((char *)b.data, "gatewayd_pool_member_up{pool=\"we\\\"ird\\\\\","
                                           "member=\"a\\\"b@h:1\",uri=\"sip:a\\\"b@h:1\"} 1"));
    assert_non_null(strstr((char *)b.data, "gatewayd_pool_ports_capacity{"));
    ar_buf_free(&b);
    json_object *j = gw_pools_json(p);
    assert_int_equal(json_object_array_length(j), 1);
    json_object_put(j);
    gw_pools_free(&p);
    gw_config_free(&c);
}

static void test_geo_preference(void **state)
{
    (void)state;
    gw_config *c = parse("[dn rp]\ntype = Routing Point\ngeo-location = g-rp\n"
                         "[dn tin]\ntype = Trunk\ngeo-location = g-tin\n"
                         "[dn tout]\ntype = Trunk\ngeo-location = g-tout\n"
                         "[dn ag]\ntype = Extension\ngeo-location = g-ag\n"
                         "[dn rec]\ntype = Extension\ngeo-location = g-rec\n"
                         "[dn plain]\ntype = Extension\n");
    char from[64];
    gw_geo_facts f = {.started_by = "full-time",
                      .route_geo = "g-ext",
                      .rp = "rp",
                      .in_trunk = "tin",
                      .out_trunk = "tout",
                      .agent = "ag",
                      .recorded = "rec"};
    /* inbound: RouteCall extension, routing point, inbound trunk, recorded DN */
    assert_string_equal(gw_pool_geo_select(c, &f, from, sizeof from), "g-ext");
    assert_string_equal(from, "RouteCall extension");
    f.route_geo = NULL;
    assert_string_equal(gw_pool_geo_select(c, &f, from, sizeof from), "g-rp");
    assert_string_equal(from, "routing point rp");
    f.rp = "plain"; /* a DN without a tag is skipped */
    assert_string_equal(gw_pool_geo_select(c, &f, from, sizeof from), "g-tin");
    f.in_trunk = NULL;
    assert_string_equal(gw_pool_geo_select(c, &f, from, sizeof from), "g-rec");
    assert_string_equal(from, "recorded DN rec");
    /* outbound: RouteCall extension, routing point, agent DN, outbound trunk */
    f.outbound = true;
    assert_string_equal(gw_pool_geo_select(c, &f, from, sizeof from), "g-ag");
    f.agent = NULL;
    assert_string_equal(gw_pool_geo_select(c, &f, from, sizeof from), "g-tout");
    f.out_trunk = NULL;
    assert_null(gw_pool_geo_select(c, &f, from, sizeof from));
    assert_string_equal(from, "none");
    /* selective: source = inbound trunk, destination = agent; extension first */
    gw_geo_facts s = {
        .started_by = "selective", .side = "source", .rp = "rp", .in_trunk = "tin", .agent = "ag"};
    assert_string_equal(gw_pool_geo_select(c, &s, from, sizeof from), "g-tin");
    s.side = "destination";
    assert_string_equal(gw_pool_geo_select(c, &s, from, sizeof from), "g-ag");
    s.route_geo = "g-ext";
    assert_string_equal(gw_pool_geo_select(c, &s, from, sizeof from), "g-ext");
    /* dynamic: source = thisDN, destination = otherDN; nothing else counts */
    gw_geo_facts d = {.started_by = "dynamic",
                      .route_geo = "g-ext",
                      .rp = "rp",
                      .this_dn = "ag",
                      .other_dn = "tin"};
    assert_string_equal(gw_pool_geo_select(c, &d, from, sizeof from), "g-ag");
    assert_string_equal(from, "thisDN ag");
    d.side = "destination";
    assert_string_equal(gw_pool_geo_select(c, &d, from, sizeof from), "g-tin");
    gw_config_free(&c);
}

static void test_stats_parse(void **state)
{
    (void)state;
    gw_pool_stats st;
    char why[128];
    const char *ok = "{\"sessions\":3,\"packetsIn\":1200,\"packetsLost\":0,\"extra\":\"x\"}";
    assert_int_equal(gw_pool_stats_parse("application/json", ok, strlen(ok), &st, why, sizeof why),
                     AR_E_OK);
    assert_true(st.valid);
    assert_int_equal(st.v[GW_POOL_STAT_SESSIONS], 3);
    assert_int_equal(st.v[GW_POOL_STAT_PACKETS_IN], 1200);
    assert_int_equal(st.v[GW_POOL_STAT_PACKETS_OUT], 0);
    static const struct {
        const char *ct, *body;
        int err;
        const char *why;
    } bad[] = {
        {"text/plain", "{}", AR_E_INVALID_VALUE, "not application/json"},
        {NULL, "{}", AR_E_INVALID_VALUE, "missing"},
        {"application/json", "", AR_E_INVALID_VALUE, "body of 0 bytes"},
        {"application/json", "[1,2]", AR_E_BAD_JSON, "not one JSON object"},
        {"application/json", "{\"sessions\":1} trailing", AR_E_BAD_JSON, "not one JSON object"},
        {"application/json", "{\"sessions\":", AR_E_BAD_JSON, "not one JSON object"},
        {"application/json", "\xff\xfe garbage", AR_E_BAD_JSON, "not one JSON object"},
        {"application/json", "{\"packetsIn\":\"many\"}", AR_E_WRONG_TYPE, "not an integer"},
        {"application/json", "{\"packetsIn\":1.5}", AR_E_WRONG_TYPE, "not an integer"},
        {"application/json", "{\"streams\":-4}", AR_E_INVALID_VALUE, "out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i].body);
        assert_int_equal(gw_pool_stats_parse(bad[i].ct, bad[i].body, len, &st, why, sizeof why),
                         bad[i].err);
        assert_false(st.valid);
        assert_non_null(strstr(why, bad[i].why));
    }
    char *big = g_strnfill(GW_POOL_STATS_MAX + 1, ' ');
    assert_int_equal(
        gw_pool_stats_parse("application/json", big, strlen(big), &st, why, sizeof why),
        AR_E_INVALID_VALUE);
    g_free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_implicit_pools),
        cmocka_unit_test(test_schemes),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_capacity_and_failures),
        cmocka_unit_test(test_geo),
        cmocka_unit_test(test_reload_keeps_counts),
        cmocka_unit_test(test_metrics_escape),
        cmocka_unit_test(test_geo_preference),
        cmocka_unit_test(test_stats_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
