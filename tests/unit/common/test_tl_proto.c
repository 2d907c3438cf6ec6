/* Unit tests for the T-Lib table: lookups by number and name, table consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tl_proto.h"

struct mrow {
    const char *name;
    unsigned num;
    tl_kind kind;
    unsigned reply;
    uint16_t mand[TL_MAND_MAX + 1];
};
static const struct mrow mrows[] = {
#define R(name, num, kind, reply, mand) {#name, num, kind, TL_M_##reply, mand},
    TL_MESSAGES(R)
#undef R
};
struct arow {
    const char *name;
    unsigned num;
    tl_type type;
};
static const struct arow arows[] = {
#define R(name, num, type) {#name, num, type},
    TL_ATTRS(R)
#undef R
};
#define NM (sizeof mrows / sizeof mrows[0])
#define NA (sizeof arows / sizeof arows[0])

static void every_message_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < NM; i++) {
        const tl_msg_info *a = tl_msg_info_get(mrows[i].num);
        const tl_msg_info *b = tl_msg_info_by_name(mrows[i].name);
        assert_non_null(a);
        assert_ptr_equal(a, b);
        assert_string_equal(a->name, mrows[i].name);
        assert_int_equal(a->num, mrows[i].num);
        assert_int_equal(a->kind, mrows[i].kind);
        assert_memory_equal(a->mandatory, mrows[i].mand, sizeof a->mandatory);
        /* Naming convention matches the kind. */
        if (a->kind == TL_REQUEST) {
            assert_int_equal(strncmp(a->name, "Request", 7), 0);
            const tl_msg_info *r = tl_msg_info_get(a->reply);
            assert_non_null(r);
            assert_int_equal(r->kind, TL_EVENT);
        } else {
            assert_int_equal(a->kind, TL_EVENT);
            assert_int_equal(strncmp(a->name, "Event", 5), 0);
            assert_int_equal(a->reply, TL_M_None);
        }
        /* Mandatory attributes exist and are 0-terminated within the array. */
        size_t k = 0;
        for (; k <= TL_MAND_MAX && a->mandatory[k]; k++)
            assert_non_null(tl_attr_info_get(a->mandatory[k]));
        assert_true(k <= TL_MAND_MAX);
        /* Unique names and numbers. */
        for (size_t j = i + 1; j < NM; j++) {
            assert_int_not_equal(mrows[i].num, mrows[j].num);
            assert_string_not_equal(mrows[i].name, mrows[j].name);
        }
    }
}

static void every_attribute_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < NA; i++) {
        const tl_attr_info *a = tl_attr_info_get(arows[i].num);
        assert_non_null(a);
        assert_ptr_equal(a, tl_attr_info_by_name(arows[i].name));
        assert_string_equal(a->name, arows[i].name);
        assert_int_equal(a->num, arows[i].num);
        assert_int_equal(a->type, arows[i].type);
        /* UNICODE is a KV-only type. */
        assert_int_not_equal(a->type, TL_T_UNICODE);
        for (size_t j = i + 1; j < NA; j++) {
            assert_int_not_equal(arows[i].num, arows[j].num);
            assert_string_not_equal(arows[i].name, arows[j].name);
        }
    }
}

static void misses(void **state)
{
    (void)state;
    /* Every number not in the table is a miss, including past the array ends. */
    size_t hits = 0;
    for (unsigned n = 0; n < 70000; n++)
        hits += tl_msg_info_get(n) != NULL;
    assert_int_equal(hits, NM);
    hits = 0;
    for (unsigned n = 0; n < 70000; n++)
        hits += tl_attr_info_get(n) != NULL;
    assert_int_equal(hits, NA);
    assert_null(tl_msg_info_by_name("RequestNoSuch"));
    assert_null(tl_msg_info_by_name(""));
    assert_null(tl_msg_info_by_name(NULL));
    assert_null(tl_msg_info_by_name("requestregisterclient"));
    assert_null(tl_attr_info_by_name("thisdn"));
    assert_null(tl_attr_info_by_name("message"));
    assert_null(tl_attr_info_by_name(NULL));
}

static void known_values(void **state)
{
    (void)state;
    assert_int_equal(tl_msg_info_by_name("RequestRegisterClient")->num, 0);
    assert_int_equal(tl_msg_info_by_name("EventError")->num, 52);
    assert_int_equal(tl_msg_info_by_name("RequestRegisterAddress")->reply, TL_M_EventRegistered);
    assert_int_equal(tl_attr_info_by_name("ThisDN")->num, 20);
    assert_int_equal(tl_attr_info_by_name("ConnID")->type, TL_T_CONNID);
    assert_int_equal(tl_attr_info_by_name("UserData")->type, TL_T_KV);
    assert_string_equal(tl_type_name(TL_T_STR), "string");
    assert_string_equal(tl_type_name(TL_T_INT), "int");
    assert_string_equal(tl_type_name(TL_T_BIN), "binary");
    assert_string_equal(tl_type_name(TL_T_KV), "list");
    assert_string_equal(tl_type_name(TL_T_UNICODE), "unicode");
    assert_string_equal(tl_type_name(TL_T_CONNID), "connid");
    assert_string_equal(tl_type_name((tl_type)77), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_message_row),
        cmocka_unit_test(every_attribute_row),
        cmocka_unit_test(misses),
        cmocka_unit_test(known_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
