/* Unit tests for the T-Lib message model, key-value lists, validation and tl_error_new. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ar_err.h"
#include "tl_testmsg.h"

static void setters_getters(void **state)
{
    (void)state;
    tl_msg *m = tl_msg_new(TL_M_RequestRegisterAddress);
    assert_int_equal(tl_msg_set_str(m, TL_A_ThisDN, "5001"), 0);
    assert_int_equal(tl_msg_set_int(m, TL_A_ReferenceID, 1), 0);
    assert_int_equal(tl_msg_set_str(m, TL_A_ThisDN, "5002"), 0); /* replaces */
    assert_int_equal(m->n, 2);
    assert_int_equal(m->attrs[0].id, TL_A_ThisDN); /* keeps its position */
    assert_string_equal(tl_msg_get_str(m, TL_A_ThisDN), "5002");
    int64_t i = 0;
    assert_true(tl_msg_get_int(m, TL_A_ReferenceID, &i));
    assert_int_equal(i, 1);
    assert_false(tl_msg_get_int(m, TL_A_ThisDN, &i));
    assert_null(tl_msg_get_str(m, TL_A_ReferenceID));
    assert_null(tl_msg_get_kv(m, TL_A_ThisDN));
    uint64_t c = 0;
    assert_false(tl_msg_get_connid(m, TL_A_ConnID, &c));
    assert_int_equal(tl_msg_set_connid(m, TL_A_ConnID, 77), 0);
    assert_true(tl_msg_get_connid(m, TL_A_ConnID, &c));
    assert_int_equal(c, 77);
    assert_int_equal(tl_msg_set_bin(m, TL_A_ErrorMessage, "a\0b", 3), 0);
    const tl_value *v = tl_msg_get(m, TL_A_ErrorMessage);
    assert_int_equal(v->type, TL_T_BIN);
    assert_int_equal(v->u.s.len, 3);
    assert_int_equal(v->u.s.p[3], 0);
    assert_int_equal(tl_msg_set_strn(m, TL_A_AgentID, "abcdef", 3), 0);
    assert_string_equal(tl_msg_get_str(m, TL_A_AgentID), "abc");
    tl_msg_remove(m, TL_A_ThisDN);
    tl_msg_remove(m, TL_A_ThisDN);
    assert_null(tl_msg_get(m, TL_A_ThisDN));
    assert_int_equal(m->n, 4);
    assert_int_equal(m->attrs[0].id, TL_A_ReferenceID);
    assert_int_equal(tl_msg_set_kv(m, TL_A_UserData, NULL), -1);
    tl_msg_free(&m);
    assert_null(m);
    tl_msg_free(&m);
}

static void many_attrs(void **state)
{
    (void)state;
    tl_msg *m = tl_msg_new(TL_M_EventUserEvent);
    for (uint16_t id = 1; id < 2000; id++)
        assert_int_equal(tl_msg_set_int(m, id, id), 0);
    assert_int_equal(m->n, 1999);
    tl_msg *c = tl_msg_copy(m);
    assert_true(tl_msg_equal(m, c));
    tl_msg_set_int(c, 1500, 0);
    assert_false(tl_msg_equal(m, c));
    tl_msg_free(&c);
    tl_msg_free(&m);
}

static void copy_equal(void **state)
{
    (void)state;
    tl_msg *a = sample_full();
    tl_msg *b = tl_msg_copy(a);
    assert_true(tl_msg_equal(a, b));
    /* Attribute order does not matter for equality; KV order does. */
    tl_msg_remove(b, TL_A_ThisDN);
    assert_false(tl_msg_equal(a, b));
    tl_msg_set_str(b, TL_A_ThisDN, "5001");
    assert_true(tl_msg_equal(a, b));
    b->type = TL_M_RequestUpdateUserData;
    assert_false(tl_msg_equal(a, b));
    tl_msg_free(&b);
    b = tl_msg_copy(a);
    tl_msg_set_int(b, TL_A_CallState, -8);
    assert_false(tl_msg_equal(a, b));
    tl_msg_set_int(b, TL_A_CallState, -7);
    tl_msg_set_str(b, TL_A_CallState, "-7");
    assert_false(tl_msg_equal(a, b));
    tl_msg_free(&b);
    b = tl_msg_copy(a);
    tl_kv *ud = tl_kv_copy(tl_msg_get_kv(a, TL_A_UserData));
    tl_kv_add_int(ud, "extra", 1);
    tl_msg_set_kv(b, TL_A_UserData, ud);
    assert_false(tl_msg_equal(a, b));
    tl_msg_free(&a);
    tl_msg_free(&b);
}

static void kv_ops(void **state)
{
    (void)state;
    tl_kv *kv = tl_kv_new();
    assert_int_equal(tl_kv_add_str(kv, "a", "1"), 0);
    assert_int_equal(tl_kv_add_int(kv, "b", 2), 0);
    assert_int_equal(tl_kv_add_unicode(kv, "a", "3"), 0); /* keys may repeat */
    assert_int_equal(tl_kv_count(kv), 3);
    assert_string_equal(tl_kv_get_str(kv, "a"), "1");
    assert_null(tl_kv_get_str(kv, "b"));
    assert_null(tl_kv_get(kv, "zz"));
    assert_int_equal(tl_kv_at(kv, 2)->v.type, TL_T_UNICODE);
    assert_null(tl_kv_at(kv, 3));
    tl_value v = {.type = TL_T_INT, .u.i = 9};
    assert_int_equal(tl_kv_set_value(kv, "a", &v), 0); /* replaces the first "a" */
    assert_int_equal(tl_kv_get(kv, "a")->u.i, 9);
    assert_int_equal(tl_kv_count(kv), 3);
    assert_int_equal(tl_kv_set_value(kv, "c", &v), 0); /* appends */
    assert_int_equal(tl_kv_count(kv), 4);
    assert_int_equal(tl_kv_remove(kv, "a"), 2);
    assert_int_equal(tl_kv_count(kv), 2);
    assert_string_equal(tl_kv_at(kv, 0)->key, "b");
    assert_string_equal(tl_kv_at(kv, 1)->key, "c");
    assert_int_equal(tl_kv_remove(kv, "a"), 0);

    tl_kv *src = tl_kv_new();
    tl_kv_add_str(src, "b", "new");
    tl_kv_add_bin(src, "d", "\0\1", 2);
    assert_int_equal(tl_kv_update(kv, src), 0);
    assert_string_equal(tl_kv_get_str(kv, "b"), "new");
    assert_int_equal(tl_kv_get(kv, "d")->u.s.len, 2);
    assert_int_equal(tl_kv_count(kv), 3);

    tl_kv *c = tl_kv_copy(kv);
    assert_true(tl_kv_equal(kv, c));
    assert_false(tl_kv_equal(kv, src));
    tl_kv_add_kv(c, "n", tl_kv_new());
    assert_false(tl_kv_equal(kv, c));
    assert_int_equal(tl_kv_add_kv(c, "n", NULL), -1);
    assert_int_equal(tl_kv_count(NULL), 0);
    assert_true(tl_kv_equal(NULL, NULL));
    tl_kv_free(&c);
    tl_kv_free(&src);
    tl_kv_free(&kv);
    assert_null(kv);
}

static void validate(void **state)
{
    (void)state;
    uint16_t bad = 99;
    tl_msg *m = sample_full();
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_OK);
    assert_int_equal(bad, 0);
    tl_msg_remove(m, TL_A_ReferenceID);
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_MISSING_ATTRIBUTE);
    assert_int_equal(bad, TL_A_ReferenceID);
    tl_msg_set_int(m, TL_A_ReferenceID, 1);
    tl_msg_remove(m, TL_A_UserData);
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_MISSING_ATTRIBUTE);
    assert_int_equal(bad, TL_A_UserData);
    tl_msg_set_str(m, TL_A_UserData, "not a list");
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_WRONG_TYPE);
    assert_int_equal(bad, TL_A_UserData);
    tl_msg_remove(m, TL_A_UserData);
    tl_msg_set_int(m, 999, 1);
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_UNKNOWN_ATTRIBUTE);
    assert_int_equal(bad, 999);
    m->type = 1234;
    assert_int_equal(tl_msg_validate(m, NULL), AR_E_UNKNOWN_MESSAGE);
    tl_msg_free(&m);
    /* Events need no ReferenceID. */
    m = tl_msg_new(TL_M_EventRegistered);
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_MISSING_ATTRIBUTE);
    assert_int_equal(bad, TL_A_ThisDN);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    assert_int_equal(tl_msg_validate(m, &bad), AR_E_OK);
    tl_msg_free(&m);
}

static void error_new(void **state)
{
    (void)state;
    tl_msg *m = tl_error_new(AR_E_DN_NOT_ALLOWED, 17, NULL);
    assert_int_equal(m->type, TL_M_EventError);
    int64_t v;
    assert_true(tl_msg_get_int(m, TL_A_ErrorCode, &v));
    assert_int_equal(v, 204);
    assert_true(tl_msg_get_int(m, TL_A_ReferenceID, &v));
    assert_int_equal(v, 17);
    assert_string_equal(tl_msg_get_str(m, TL_A_ErrorMessage), ar_strerror(AR_E_DN_NOT_ALLOWED));
    assert_int_equal(tl_msg_validate(m, NULL), AR_E_OK);
    tl_msg_free(&m);
    m = tl_error_new(AR_E_BAD_JSON, -1, "oops");
    assert_false(tl_msg_get_int(m, TL_A_ReferenceID, &v));
    assert_string_equal(tl_msg_get_str(m, TL_A_ErrorMessage), "oops");
    tl_msg_free(&m);
    m = tl_error_new(AR_E_BAD_JSON, 0, "zero is a valid id");
    assert_true(tl_msg_get_int(m, TL_A_ReferenceID, &v));
    assert_int_equal(v, 0);
    tl_msg_free(&m);
}

static void connid_text(void **state)
{
    (void)state;
    char s[17];
    tl_connid_format(0x009a021843038407ull, s);
    assert_string_equal(s, "009a021843038407");
    tl_connid_format(UINT64_MAX, s);
    assert_string_equal(s, "ffffffffffffffff");
    uint64_t v;
    assert_true(tl_connid_parse("009A021843038407", &v));
    assert_int_equal(v, 0x009a021843038407ull);
    assert_true(tl_connid_parse("0000000000000000", &v));
    assert_int_equal(v, 0);
    assert_false(tl_connid_parse("009a02184303840", &v));
    assert_false(tl_connid_parse("009a0218430384070", &v));
    assert_false(tl_connid_parse("009a02184303840g", &v));
    assert_false(tl_connid_parse("", &v));
    assert_false(tl_connid_parse(NULL, &v));
    assert_false(tl_connid_parse(" 09a021843038407", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(setters_getters), cmocka_unit_test(many_attrs),
        cmocka_unit_test(copy_equal),      cmocka_unit_test(kv_ops),
        cmocka_unit_test(validate),        cmocka_unit_test(error_new),
        cmocka_unit_test(connid_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
