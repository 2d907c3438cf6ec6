/* Unit tests for gw_islink: the X-Arec-ISLink header codec, user data and the ISLink list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "ar_err.h"
#include "gw_islink.h"

#define ID   "01LG9R8M5AA1JQB0FLCU000000000001"
#define UUID "01LG9R8M5AA1JQB0FLCU000000000002"
#define ORIG "01LG9R8M5AA1JQB0FLCU000000000003"

static void test_roundtrip(void **state)
{
    (void)state;
    gw_islink_hdr h = {.id = ID,
                       .loc = "gw-a@site-a",
                       .connid = 0x009a021843038407ull,
                       .uuid = UUID,
                       .orig = ORIG,
                       .hop = 3,
                       .rec = true};
    char *s = gw_islink_hdr_format(&h);
    assert_string_equal(s, ID ";loc=gw-a@site-a;connid=009a021843038407;uuid=" UUID ";orig=" ORIG
                              ";hop=3;rec=1");
    gw_islink_hdr back;
    char why[96];
    assert_int_equal(gw_islink_hdr_parse(s, strlen(s), &back, why, sizeof why), AR_E_OK);
    assert_true(gw_islink_hdr_equal(&back, &h));
    g_free(s);
    /* Surrounding blanks, unknown parameters and any parameter order are fine. */
    const char *t =
        "  " ID ";hop=1;future=x;orig=" ORIG ";uuid=" UUID ";connid=0000000000000001;loc=x ";
    assert_int_equal(gw_islink_hdr_parse(t, strlen(t), &back, why, sizeof why), AR_E_OK);
    assert_int_equal(back.hop, 1);
    assert_false(back.rec);
    assert_string_equal(back.loc, "x");
}

static int parse(const char *s, char *why, size_t cap)
{
    gw_islink_hdr h;
    return gw_islink_hdr_parse(s, strlen(s), &h, why, cap);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        ID,
        "01lg9r8m5aa1jqb0flcu000000000001;loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG
        ";hop=1",
        ID "W;loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1",
        ID ";loc=a;connid=0000000000000000;uuid=" UUID ";orig=" ORIG ";hop=1",
        ID ";loc=a;connid=000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1",
        ID ";loc=a;connid=000000000000000G;uuid=" UUID ";orig=" ORIG ";hop=1",
        ID ";loc=a b;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1",
        ID ";loc=;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1",
        ID ";loc=a;connid=0000000000000001;uuid=short;orig=" ORIG ";hop=1",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=0",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=65",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=100",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG,
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1;hop=2",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1;rec=2",
        ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1;novalue",
    };
    char why[96];
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        why[0] = 0;
        assert_int_equal(parse(bad[i], why, sizeof why), AR_E_ISLINK_MALFORMED);
        assert_true(why[0] != 0);
    }
    assert_int_equal(parse(ID ";loc=a;connid=0000000000000001;uuid=" UUID ";orig=" ORIG
                              ";hop=1;hop=2",
                           why, sizeof why),
                     AR_E_ISLINK_MALFORMED);
    assert_non_null(strstr(why, "twice"));
    /* A location-name over 128 characters. */
    GString *g = g_string_new(ID ";connid=0000000000000001;uuid=" UUID ";orig=" ORIG ";hop=1;loc=");
    for (int i = 0; i < 129; i++)
        g_string_append_c(g, 'x');
    assert_int_equal(parse(g->str, why, sizeof why), AR_E_ISLINK_MALFORMED);
    g_string_free(g, TRUE);
}

static void test_user_data(void **state)
{
    (void)state;
    tl_kv *ud = tl_kv_new(), *inner = tl_kv_new();
    tl_kv_add_str(ud, "customer", "ACME; \"quoted\"\r\nX-Evil: 1");
    tl_kv_add_int(ud, "tier", 2);
    tl_kv_add_str(inner, "k", "v");
    tl_kv_add_kv(ud, "nested", inner);
    char *enc = gw_islink_ud_encode(ud);
    assert_non_null(enc);
    assert_null(strpbrk(enc, "\r\n;\" ")); /* safe as one header value */
    tl_kv *back = NULL;
    assert_int_equal(gw_islink_ud_decode(enc, strlen(enc), &back), AR_E_OK);
    assert_true(tl_kv_equal(ud, back));
    tl_kv_free(&back);
    g_free(enc);
    tl_kv_free(&ud);
    assert_int_equal(gw_islink_ud_decode("%%%", 3, &back), AR_E_ISLINK_MALFORMED);
    assert_int_equal(gw_islink_ud_decode("bm90IGpzb24=", 12, &back), AR_E_ISLINK_MALFORMED);
    assert_null(back);
}

static void test_list(void **state)
{
    (void)state;
    gw_islink_list *l = gw_islink_list_new();
    assert_true(gw_islink_list_add(l, ID, "gw-a@site-a", GW_ISLINK_TARGET));
    assert_true(gw_islink_list_add(l, UUID, "gw-a@site-a", GW_ISLINK_SOURCE));
    assert_false(gw_islink_list_add(l, ID, "gw-b@site-b", GW_ISLINK_SOURCE)); /* same id */
    assert_false(gw_islink_list_add(l, "short", "gw-b@site-b", GW_ISLINK_SOURCE));
    assert_int_equal(gw_islink_list_count(l), 2);
    tl_kv *kv = gw_islink_list_kv(l);
    assert_int_equal(tl_kv_count(kv), 2);
    const tl_kv_pair *p0 = tl_kv_at(kv, 0), *p1 = tl_kv_at(kv, 1);
    assert_string_equal(p0->key, ID);
    assert_string_equal(p1->key, UUID);
    assert_string_equal(tl_kv_get_str(p0->v.u.kv, "location-name"), "gw-a@site-a");
    assert_string_equal(tl_kv_get_str(p0->v.u.kv, "direction-role"), "target");
    assert_string_equal(tl_kv_get_str(p1->v.u.kv, "direction-role"), "source");
    tl_kv_free(&kv);
    gw_islink_list_free(&l);
    assert_null(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_user_data),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
