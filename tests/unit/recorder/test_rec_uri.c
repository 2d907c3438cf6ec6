/* Unit tests for the recorder's Request-URI parsing and file-name sanitising. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "rec_uri.h"

#include <string.h>

static void test_seed_uri(void **state)
{
    (void)state;
    rec_uri u;
    assert_int_equal(
        rec_uri_parse("record=abc-1", "calluuid=U1;dn=1001;recordDN=1001;otherDN=1002;x=y", &u),
        AR_E_OK);
    assert_string_equal(u.record, "abc-1");
    assert_string_equal(u.calluuid, "U1");
    assert_string_equal(u.dn, "1001");
    assert_string_equal(u.record_dn, "1001");
    assert_string_equal(u.other_dn, "1002");
}

static void test_case_escapes_and_missing(void **state)
{
    (void)state;
    rec_uri u;
    assert_int_equal(rec_uri_parse("RECORD=a%2Fb", "RECORDDN=%2B1555;flag;dn=", &u), AR_E_OK);
    assert_string_equal(u.record, "a/b");
    assert_string_equal(u.record_dn, "+1555");
    assert_string_equal(u.dn, "");
    assert_int_equal(rec_uri_parse("srs", NULL, &u), AR_E_OK);
    assert_string_equal(u.record, "");
    assert_int_equal(rec_uri_parse(NULL, NULL, &u), AR_E_OK);
}

static void test_bad_values(void **state)
{
    (void)state;
    rec_uri u;
    char longv[400];
    memset(longv, 'a', sizeof longv);
    memcpy(longv, "dn=", 3);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(rec_uri_parse(NULL, longv, &u), AR_E_INVALID_VALUE);
    assert_int_equal(rec_uri_parse("record=%4", NULL, &u), AR_E_INVALID_VALUE);
    assert_int_equal(rec_uri_parse("record=%zz", NULL, &u), AR_E_INVALID_VALUE);
    assert_int_equal(rec_uri_parse("record=a%00b", NULL, &u), AR_E_INVALID_VALUE);
    assert_int_equal(rec_uri_parse(NULL, "dn=%", &u), AR_E_INVALID_VALUE);
}

static void test_file_safe(void **state)
{
    (void)state;
    char out[16];
    rec_uri_file_safe("../../etc/passwd", out, sizeof out);
    assert_null(strchr(out, '/'));
    assert_int_not_equal(out[0], '.');
    rec_uri_file_safe("ok-id_1.2", out, sizeof out);
    assert_string_equal(out, "ok-id_1.2");
    rec_uri_file_safe("abcdefghijklmnopqrstuvwxyz", out, sizeof out);
    assert_int_equal(strlen(out), 15);
}

/* X-Record-Params: the params of a pause / resume / stop, as mediad escapes them. */
static void test_kv_list(void **state)
{
    (void)state;
    rec_uri_kv kv[REC_URI_MAX_KV];
    int n = -1;
    assert_int_equal(
        rec_uri_kv_parse("reason=pin%20entry;agent=5010;;flag", kv, REC_URI_MAX_KV, &n), AR_E_OK);
    assert_int_equal(n, 3);
    assert_string_equal(kv[0].name, "reason");
    assert_string_equal(kv[0].value, "pin entry");
    assert_string_equal(kv[1].value, "5010");
    assert_string_equal(kv[2].name, "flag");
    assert_string_equal(kv[2].value, "");
    assert_int_equal(rec_uri_kv_parse("", kv, REC_URI_MAX_KV, &n), AR_E_OK);
    assert_int_equal(n, 0);
    /* Malformed: nothing is kept. */
    assert_int_equal(rec_uri_kv_parse("=v", kv, REC_URI_MAX_KV, &n), AR_E_INVALID_VALUE);
    assert_int_equal(n, 0);
    assert_int_equal(rec_uri_kv_parse("a=%zz", kv, REC_URI_MAX_KV, &n), AR_E_INVALID_VALUE);
    assert_int_equal(rec_uri_kv_parse("a=%00", kv, REC_URI_MAX_KV, &n), AR_E_INVALID_VALUE);
    assert_int_equal(rec_uri_kv_parse("a=1;b=2;c=3", kv, 2, &n), AR_E_INVALID_VALUE);
    assert_int_equal(n, 0);
    char longn[REC_URI_NAME_LEN + 8];
    memset(longn, 'n', sizeof longn);
    longn[sizeof longn - 1] = '\0';
    assert_int_equal(rec_uri_kv_parse(longn, kv, REC_URI_MAX_KV, &n), AR_E_INVALID_VALUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_uri),   cmocka_unit_test(test_case_escapes_and_missing),
        cmocka_unit_test(test_bad_values), cmocka_unit_test(test_file_safe),
        cmocka_unit_test(test_kv_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
