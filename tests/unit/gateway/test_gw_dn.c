/* Unit tests for the DN table and its subscriptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "gw_dn.h"

static gw_config *parse(const char *text)
{
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("t", text, &errs);
    assert_non_null(c);
    return c;
}

static void test_table(void **state)
{
    (void)state;
    gw_config *c = parse("[dn 5001-5003]\ntype=Extension\n[dn 7001]\ntype=Routing Point\n");
    gw_dn_table *t = gw_dn_table_new(c);
    assert_int_equal(gw_dn_table_size(t), 4);
    gw_dn *d = gw_dn_find(t, "5002");
    assert_non_null(d);
    assert_string_equal(d->number, "5002");
    assert_ptr_equal(d->conf, gw_config_find_dn(c, "5002"));
    assert_null(gw_dn_find(t, "5004"));

    int a, b; /* any distinct addresses stand for clients */
    struct gw_client *ca = (struct gw_client *)&a, *cb = (struct gw_client *)&b;
    assert_true(gw_dn_subscribe(d, ca));
    assert_false(gw_dn_subscribe(d, ca));
    assert_true(gw_dn_subscribe(d, cb));
    assert_int_equal(gw_dn_nsubs(d), 2);
    assert_true(gw_dn_unsubscribe(d, ca));
    assert_false(gw_dn_unsubscribe(d, ca));
    assert_int_equal(gw_dn_nsubs(d), 1);
    assert_ptr_equal(d->subs->pdata[0], cb);
    gw_dn_table_free(&t);
    assert_null(t);
    gw_config_free(&c);
}

static void on_removed(void *ud, gw_dn *dn)
{
    g_ptr_array_add(ud, g_strdup(dn->number));
    assert_int_equal(gw_dn_nsubs(dn), 1); /* subscribers still visible to the callback */
}

static void test_apply(void **state)
{
    (void)state;
    gw_config *c1 = parse("[dn 5001-5003]\ntype=Extension\n");
    gw_config *c2 = parse("[dn 5001-5002]\ntype=Extension\nrecord=true\n[dn 6000]\ntype=Trunk\n");
    gw_dn_table *t = gw_dn_table_new(c1);
    int a;
    struct gw_client *ca = (struct gw_client *)&a;
    gw_dn *d1 = gw_dn_find(t, "5001");
    gw_dn_subscribe(d1, ca);
    gw_dn_subscribe(gw_dn_find(t, "5003"), ca);

    GPtrArray *removed = g_ptr_array_new_with_free_func(g_free);
    gw_dn_table_apply(t, c2, on_removed, removed);
    gw_config_free(&c1);
    assert_int_equal(removed->len, 1);
    assert_string_equal(removed->pdata[0], "5003");
    assert_int_equal(gw_dn_table_size(t), 3);
    /* Same object, subscribers kept, new settings. */
    assert_ptr_equal(gw_dn_find(t, "5001"), d1);
    assert_int_equal(gw_dn_nsubs(d1), 1);
    assert_true(d1->conf->record);
    assert_int_equal(gw_dn_find(t, "6000")->conf->type, GW_DN_TRUNK);
    assert_null(gw_dn_find(t, "5003"));
    g_ptr_array_free(removed, TRUE);
    gw_dn_table_free(&t);
    gw_config_free(&c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
