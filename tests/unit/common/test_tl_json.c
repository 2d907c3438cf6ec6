/* Unit tests for the JSON codec: encoding form, round trips, every decoding error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"
#include "tl_testmsg.h"

static tl_msg *decode_ok(const char *s)
{
    tl_msg *m = NULL;
    tl_decode_err e;
    tl_dec_result r = tl_json_decode(s, strlen(s), &m, &e);
    if (r != TL_DEC_OK)
        fail_msg("decoding %s: %s %s", s, ar_errname(e.code), e.detail);
    return m;
}

static tl_decode_err decode_err(const char *s, size_t n, int code, int64_t refid, uint16_t attr)
{
    tl_msg *m = (tl_msg *)1;
    tl_decode_err e;
    assert_int_equal(tl_json_decode(s, n, &m, &e), TL_DEC_ERROR);
    if (e.code != code)
        fail_msg("%.*s: expected %s, got %s (%s)", (int)n, s, ar_errname(code), ar_errname(e.code),
                 e.detail);
    assert_null(m);
    assert_false(e.fatal);
    assert_int_equal(e.reference_id, refid);
    assert_int_equal(e.attr, attr);
    assert_true(e.detail[0] != '\0');
    return e;
}
#define ERR(lit, code, refid, attr) decode_err(lit, strlen(lit), code, refid, attr)

static void encode_form(void **state)
{
    (void)state;
    tl_msg *m = tl_msg_new(TL_M_RequestAttachUserData);
    tl_msg_set_int(m, TL_A_ReferenceID, 9);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_connid(m, TL_A_ConnID, 0x009a021843038407ull);
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, "customer", "ACME");
    tl_kv_add_int(ud, "priority", 5);
    tl_kv *n = tl_kv_new();
    tl_kv_add_str(n, "lang", "en");
    tl_kv_add_kv(ud, "nested", n);
    tl_kv_add_bin(ud, "blob", "\x01\x02\x03\x04", 4);
    tl_kv_add_unicode(ud, "name", "J\xc3\xa9r\xc3\xb4me");
    tl_msg_set_kv(m, TL_A_UserData, ud);
    char *j = tl_json_encode_str(m);
    assert_string_equal(j, "{\"message\":\"RequestAttachUserData\",\"ReferenceID\":9,"
                           "\"ThisDN\":\"5001\",\"ConnID\":\"009a021843038407\","
                           "\"UserData\":{\"customer\":\"ACME\",\"priority\":5,"
                           "\"nested\":{\"lang\":\"en\"},\"blob\":{\"$binary\":\"AQIDBA==\"},"
                           "\"name\":\"J\xc3\xa9r\xc3\xb4me\"}}");
    /* UNICODE comes back as STR (documented asymmetry); everything else is equal. */
    tl_msg *d = decode_ok(j);
    const tl_value *v = tl_kv_get(tl_msg_get_kv(d, TL_A_UserData), "name");
    assert_int_equal(v->type, TL_T_STR);
    assert_false(tl_msg_equal(m, d));
    free(j);
    tl_msg_free(&d);
    tl_msg_free(&m);
}

static void escaping(void **state)
{
    (void)state;
    tl_msg *m = tl_msg_new(TL_M_EventError);
    tl_msg_set_str(m, TL_A_ErrorMessage, "\"\\/\b\f\n\r\t\x01\x1f\x7f");
    char *j = tl_json_encode_str(m);
    assert_string_equal(j, "{\"message\":\"EventError\",\"ErrorMessage\":\"\\\"\\\\/"
                           "\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"}");
    tl_msg *d = decode_ok(j);
    assert_true(tl_msg_equal(m, d));
    free(j);
    tl_msg_free(&d);
    /* Invalid UTF-8 is replaced, never passed through (WebSocket text must be UTF-8). */
    tl_msg_set_str(m, TL_A_ErrorMessage,
                   "a\xff"
                   "b\xc3"
                   "c\xed\xa0\x80"
                   "d\xf0\x9f\x98\x80");
    j = tl_json_encode_str(m);
    assert_string_equal(j, "{\"message\":\"EventError\",\"ErrorMessage\":"
                           "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffdd\xf0\x9f\x98\x80\"}");
    d = decode_ok(j);
    assert_string_equal(tl_msg_get_str(d, TL_A_ErrorMessage),
                        "a\xef\xbf\xbd"
                        "b\xef\xbf\xbd"
                        "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                        "d\xf0\x9f\x98\x80");
    free(j);
    tl_msg_free(&d);
    /* NUL inside a model string is escaped on output and refused on input. */
    tl_msg_set_strn(m, TL_A_ErrorMessage, "a\0b", 3);
    j = tl_json_encode_str(m);
    assert_non_null(strstr(j, "a\\u0000b"));
    ERR(j, AR_E_INVALID_VALUE, -1, TL_A_ErrorMessage);
    free(j);
    tl_msg_free(&m);
}

static void round_trips(void **state)
{
    (void)state;
    tl_msg *m = sample_full();
    ar_buf b = {0};
    ar_buf_append(&b, "prefix", 6);
    assert_int_equal(tl_json_encode(m, &b), AR_E_OK);
    assert_memory_equal(b.data, "prefix{\"message\":\"RequestAttachUserData\",", 41);
    tl_msg *d = NULL;
    assert_int_equal(tl_json_decode((char *)b.data + 6, b.len - 6, &d, NULL), TL_DEC_OK);
    assert_true(tl_msg_equal(m, d));
    /* Attribute order is preserved. */
    for (uint16_t i = 0; i < m->n; i++)
        assert_int_equal(m->attrs[i].id, d->attrs[i].id);
    /* Through binary and back. */
    ar_buf bin = {0};
    assert_int_equal(tl_bin_encode(d, 1, &bin), AR_E_OK);
    tl_msg *d2 = NULL;
    size_t used;
    assert_int_equal(tl_bin_decode(bin.data, bin.len, 0, &d2, &used, NULL), TL_DEC_OK);
    assert_true(tl_msg_equal(m, d2));
    tl_msg_free(&d2);
    tl_msg_free(&d);
    tl_msg_free(&m);
    ar_buf_free(&b);
    ar_buf_free(&bin);

    /* The example, whitespace and key order of a human writer. */
    m = decode_ok(" {\n \"ThisDN\" : \"5001\", \"message\":\"RequestRegisterAddress\",\n"
                  "  \"ReferenceID\": 7 }\n");
    assert_int_equal(m->type, TL_M_RequestRegisterAddress);
    assert_int_equal(tl_msg_validate(m, NULL), AR_E_OK);
    assert_int_equal(m->attrs[0].id, TL_A_ThisDN);
    char *j = tl_json_encode_str(m);
    assert_string_equal(j, "{\"message\":\"RequestRegisterAddress\",\"ThisDN\":\"5001\","
                           "\"ReferenceID\":7}");
    free(j);
    tl_msg_free(&m);

    /* "$binary" with a non-string value, or with other keys, is a nested list. */
    m = decode_ok("{\"message\":\"EventUserEvent\",\"UserData\":{\"a\":{\"$binary\":1},"
                  "\"b\":{\"$binary\":\"AA==\",\"x\":\"y\"},\"c\":{\"$binary\":\"\"}}}");
    const tl_kv *ud = tl_msg_get_kv(m, TL_A_UserData);
    assert_int_equal(tl_kv_get(ud, "a")->type, TL_T_KV);
    assert_int_equal(tl_kv_get(ud, "b")->type, TL_T_KV);
    assert_int_equal(tl_kv_get(ud, "c")->type, TL_T_BIN);
    assert_int_equal(tl_kv_get(ud, "c")->u.s.len, 0);
    tl_msg_free(&m);
    /* Base64 lengths 1, 2, 3 bytes. */
    m = tl_msg_new(TL_M_EventUserEvent);
    tl_kv *kv = tl_kv_new();
    tl_kv_add_bin(kv, "1", "\xfb", 1);
    tl_kv_add_bin(kv, "2", "\xfb\xff", 2);
    tl_kv_add_bin(kv, "3", "\xfb\xff\x00", 3);
    tl_msg_set_kv(m, TL_A_UserData, kv);
    j = tl_json_encode_str(m);
    assert_non_null(strstr(j, "\"1\":{\"$binary\":\"+w==\"},\"2\":{\"$binary\":\"+/8=\"},"
                              "\"3\":{\"$binary\":\"+/8A\"}"));
    d = decode_ok(j);
    assert_true(tl_msg_equal(m, d));
    free(j);
    tl_msg_free(&d);
    tl_msg_free(&m);
}

static void decode_errors(void **state)
{
    (void)state;
    /* Not JSON at all, truncated, trailing garbage, raw NUL, invalid UTF-8. */
    tl_decode_err e = ERR("{\"message\":", AR_E_BAD_JSON, -1, 0);
    assert_non_null(strstr(e.detail, "end of input"));
    ERR("hello", AR_E_BAD_JSON, -1, 0);
    ERR("", AR_E_BAD_JSON, -1, 0);
    ERR("{\"message\":\"EventACK\"} {}", AR_E_BAD_JSON, -1, 0);
    ERR("{'message':'EventACK'}", AR_E_BAD_JSON, -1, 0);
    decode_err("{\"message\":\"EventACK\"\0}", 23, AR_E_BAD_JSON, -1, 0);
    ERR("{\"message\":\"EventError\",\"ErrorMessage\":\"\xff\"}", AR_E_BAD_JSON, -1, 0);
    /* Overlong form and an encoded surrogate: json-c alone would accept these. */
    ERR("{\"message\":\"EventError\",\"ErrorMessage\":\"\xe0\x82\xac\"}", AR_E_BAD_JSON, -1, 0);
    ERR("{\"message\":\"EventError\",\"ErrorMessage\":\"\xed\xa0\x80\"}", AR_E_BAD_JSON, -1, 0);
    ERR("{\"message\":\"EventError\",\"UserData\":{\"\xc0\xaf\":1}}", AR_E_BAD_JSON, -1, 0);
    /* Non-object top level. */
    e = ERR("[{\"message\":\"EventACK\"}]", AR_E_BAD_JSON, -1, 0);
    assert_non_null(strstr(e.detail, "array"));
    ERR("42", AR_E_BAD_JSON, -1, 0);
    ERR("\"s\"", AR_E_BAD_JSON, -1, 0);
    ERR("null", AR_E_BAD_JSON, -1, 0);
    /* Message name. */
    ERR("{\"ReferenceID\":3}", AR_E_MISSING_ATTRIBUTE, 3, 0);
    ERR("{\"message\":\"RequestNoSuch\",\"ReferenceID\":4}", AR_E_UNKNOWN_MESSAGE, 4, 0);
    ERR("{\"message\":14,\"ReferenceID\":5}", AR_E_WRONG_TYPE, 5, 0);
    /* Attributes. */
    e = ERR("{\"message\":\"RequestRegisterAddress\",\"ReferenceID\":6,\"Bogus\":1}",
            AR_E_UNKNOWN_ATTRIBUTE, 6, 0);
    assert_int_equal(e.msg_type, TL_M_RequestRegisterAddress);
    assert_non_null(strstr(e.detail, "Bogus"));
    ERR("{\"message\":\"RequestRegisterAddress\",\"ThisDN\":5001,\"ReferenceID\":7}",
        AR_E_WRONG_TYPE, 7, TL_A_ThisDN);
    ERR("{\"message\":\"RequestRegisterAddress\",\"ReferenceID\":\"7\"}", AR_E_WRONG_TYPE, -1,
        TL_A_ReferenceID);
    ERR("{\"message\":\"RequestRegisterAddress\",\"ReferenceID\":7.5}", AR_E_WRONG_TYPE, -1,
        TL_A_ReferenceID);
    ERR("{\"message\":\"RequestRegisterAddress\",\"ReferenceID\":8,\"ThisDN\":null}",
        AR_E_WRONG_TYPE, 8, TL_A_ThisDN);
    ERR("{\"message\":\"RequestRegisterAddress\",\"ReferenceID\":8,\"ThisDN\":[\"5001\"]}",
        AR_E_WRONG_TYPE, 8, TL_A_ThisDN);
    ERR("{\"message\":\"RequestRegisterAddress\",\"ReferenceID\":8,\"RegisterMode\":true}",
        AR_E_WRONG_TYPE, 8, TL_A_RegisterMode);
    ERR("{\"message\":\"EventError\",\"ErrorCode\":99999999999999999999}", AR_E_INVALID_VALUE, -1,
        TL_A_ErrorCode);
    /* ConnID. */
    ERR("{\"message\":\"RequestHoldCall\",\"ReferenceID\":9,\"ConnID\":\"xyz\"}",
        AR_E_INVALID_VALUE, 9, TL_A_ConnID);
    ERR("{\"message\":\"RequestHoldCall\",\"ReferenceID\":9,\"ConnID\":\"009a02184303840\"}",
        AR_E_INVALID_VALUE, 9, TL_A_ConnID);
    ERR("{\"message\":\"RequestHoldCall\",\"ReferenceID\":9,\"ConnID\":12345}", AR_E_WRONG_TYPE, 9,
        TL_A_ConnID);
    /* KV lists. */
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":10,\"UserData\":\"x\"}", AR_E_WRONG_TYPE,
        10, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":10,\"UserData\":{\"a\":1.5}}",
        AR_E_WRONG_TYPE, 10, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":10,\"UserData\":{\"a\":[1]}}",
        AR_E_WRONG_TYPE, 10, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":10,\"UserData\":{\"a\":false}}",
        AR_E_WRONG_TYPE, 10, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":10,\"UserData\":{\"a\":null}}",
        AR_E_WRONG_TYPE, 10, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":11,\"UserData\":{\"a\":2147483648}}",
        AR_E_INVALID_VALUE, 11, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":11,\"UserData\":{\"a\":-2147483649}}",
        AR_E_INVALID_VALUE, 11, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":12,\"UserData\":{\"b\":{\"$binary\":"
        "\"!!!!\"}}}",
        AR_E_INVALID_VALUE, 12, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":12,\"UserData\":{\"b\":{\"$binary\":"
        "\"AAA\"}}}",
        AR_E_INVALID_VALUE, 12, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":12,\"UserData\":{\"b\":{\"$binary\":"
        "\"A===\"}}}",
        AR_E_INVALID_VALUE, 12, TL_A_UserData);
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":12,\"UserData\":{\"b\":{\"$binary\":"
        "\"AB==\"}}}",
        AR_E_INVALID_VALUE, 12, TL_A_UserData); /* non-canonical trailing bits */
    ERR("{\"message\":\"RequestSendEvent\",\"ReferenceID\":13,\"UserData\":{\"s\":\"a\\u0000\"}}",
        AR_E_INVALID_VALUE, 13, TL_A_UserData);
    /* Nesting: TL_KV_MAX_DEPTH levels are fine, one more is refused. */
    char deep[512];
    for (int depth = TL_KV_MAX_DEPTH; depth <= TL_KV_MAX_DEPTH + 1; depth++) {
        int n = snprintf(deep, sizeof deep,
                         "{\"message\":\"EventUserEvent\",\"ReferenceID\":14,"
                         "\"UserData\":");
        for (int i = 1; i < depth; i++)
            n += snprintf(deep + n, sizeof deep - (size_t)n, "{\"k\":");
        n += snprintf(deep + n, sizeof deep - (size_t)n, "{}");
        for (int i = 0; i < depth; i++)
            n += snprintf(deep + n, sizeof deep - (size_t)n, "}");
        if (depth > TL_KV_MAX_DEPTH) {
            decode_err(deep, (size_t)n, AR_E_KV_MALFORMED, 14, TL_A_UserData);
        } else {
            tl_msg *m = decode_ok(deep);
            tl_msg_free(&m);
        }
    }
    /* Deeper than the JSON parser's own limit: BAD_JSON, no crash. */
    char *huge = malloc(20000);
    size_t hn = 0;
    for (int i = 0; i < 5000; i++)
        huge[hn++] = '[';
    decode_err(huge, hn, AR_E_BAD_JSON, -1, 0);
    free(huge);
}

static void encode_errors(void **state)
{
    (void)state;
    ar_buf b = {0};
    ar_buf_append(&b, "keep", 4);
    tl_msg *m = tl_msg_new(4321);
    assert_int_equal(tl_json_encode(m, &b), AR_E_UNKNOWN_MESSAGE);
    assert_null(tl_json_encode_str(m));
    m->type = TL_M_EventUserEvent;
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_int(m, 4444, 1);
    assert_int_equal(tl_json_encode(m, &b), AR_E_UNKNOWN_ATTRIBUTE);
    assert_int_equal(b.len, 4);
    tl_msg_remove(m, 4444);
    tl_kv *kv = tl_kv_new();
    tl_value v = {.type = TL_T_INT, .u.i = (int64_t)INT32_MIN - 1};
    tl_kv_add_value(kv, "big", 3, &v);
    tl_msg_set_kv(m, TL_A_UserData, kv);
    assert_int_equal(tl_json_encode(m, &b), AR_E_INVALID_VALUE);
    kv = tl_kv_new();
    v = (tl_value){.type = TL_T_CONNID, .u.connid = 1};
    tl_kv_add_value(kv, "c", 1, &v);
    tl_msg_set_kv(m, TL_A_UserData, kv);
    assert_int_equal(tl_json_encode(m, &b), AR_E_INVALID_VALUE);
    kv = tl_kv_new();
    for (int i = 0; i < TL_KV_MAX_DEPTH; i++) {
        tl_kv *outer = tl_kv_new();
        tl_kv_add_kv(outer, "k", kv);
        kv = outer;
    }
    tl_msg_set_kv(m, TL_A_UserData, kv);
    assert_int_equal(tl_json_encode(m, &b), AR_E_KV_MALFORMED);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "keep", 4);
    /* A model with a wrongly typed attribute encodes; decoding then reports it. */
    tl_msg_remove(m, TL_A_UserData);
    tl_msg_set_int(m, TL_A_ThisDN, 5001);
    tl_msg_set_bin(m, TL_A_AgentID, "\x00\x01", 2);
    char *j = tl_json_encode_str(m);
    assert_string_equal(j, "{\"message\":\"EventUserEvent\",\"ThisDN\":5001,\"AgentID\":\"AAE=\"}");
    ERR(j, AR_E_WRONG_TYPE, -1, TL_A_ThisDN);
    free(j);
    tl_msg_free(&m);
    ar_buf_free(&b);
}

/* Random and mutated text never crashes the decoder. */
static void random_text(void **state)
{
    (void)state;
    srand(777);
    tl_msg *m = sample_full();
    char *j = tl_json_encode_str(m);
    size_t n = strlen(j);
    char *mut = malloc(n + 1);
    static const char alphabet[] = "{}[]\":,0123456789-.eE\\u$abtrue \xff\xc3";
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(mut, j, n + 1);
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++)
            mut[(size_t)rand() % n] = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
        size_t len = iter % 3 ? n : (size_t)rand() % n;
        tl_msg *d = NULL;
        tl_decode_err e;
        if (tl_json_decode(mut, len, &d, &e) == TL_DEC_OK) {
            /* Whatever decodes re-encodes and decodes to the same model. */
            char *j2 = tl_json_encode_str(d);
            tl_msg *d2 = NULL;
            assert_int_equal(tl_json_decode(j2, strlen(j2), &d2, NULL), TL_DEC_OK);
            assert_true(tl_msg_equal(d, d2));
            free(j2);
            tl_msg_free(&d2);
            tl_msg_free(&d);
        } else {
            assert_int_not_equal(e.code, AR_E_OK);
        }
    }
    free(mut);
    free(j);
    tl_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_form),   cmocka_unit_test(escaping),
        cmocka_unit_test(round_trips),   cmocka_unit_test(decode_errors),
        cmocka_unit_test(encode_errors), cmocka_unit_test(random_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
