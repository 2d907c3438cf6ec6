/* Unit tests for the MSML parser and builder (common/ar_msml). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_msml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The seed's own example, no namespace declaration for gvp. */
static const char *SEED = "<msml version=\"1.1\">\n"
                          "  <createconference name=\"recorder\">\n"
                          "    <gvp:recorder>\n"
                          "      <gvp:params>\n"
                          "        <gvp:param name=\"record\">source</gvp:param>\n"
                          "        <gvp:param name=\"id\">2134980asdf320990adsflkjag</gvp:param>\n"
                          "        <gvp:param name=\"dest\">sip:10.0.0.101</gvp:param>\n"
                          "        <gvp:param name=\"tonesilenceduration\"> 30000 </gvp:param>\n"
                          "        <gvp:param name=\"recordDN\">9000</gvp:param>\n"
                          "      </gvp:params>\n"
                          "    </gvp:recorder>\n"
                          "  </createconference>\n"
                          "  <join id1=\"conf:recorder\" id2=\"conn:1234\"/>\n"
                          "  <join id1=\"conf:recorder\" id2=\"conn:2345\"/>\n"
                          "</msml>\n";

static ar_msml *parse_ok(const char *s)
{
    ar_msml *m = calloc(1, sizeof(*m));
    assert_int_equal(ar_msml_parse(s, strlen(s), m), AR_E_OK);
    return m;
}

static void expect_err(const char *s, int err)
{
    ar_msml *m = calloc(1, sizeof(*m));
    assert_int_equal(ar_msml_parse(s, strlen(s), m), err);
    assert_int_equal(m->nops, 0);
    free(m);
}

static void test_seed_example(void **state)
{
    (void)state;
    ar_msml *m = parse_ok(SEED);
    assert_int_equal(m->nops, 3);
    assert_int_equal(m->ops[0].type, AR_MSML_OP_CREATE);
    assert_string_equal(m->ops[0].conf, "recorder");
    assert_int_equal(m->ops[1].type, AR_MSML_OP_JOIN);
    assert_string_equal(m->ops[1].id1, "conf:recorder");
    assert_string_equal(m->ops[2].id2, "conn:2345");
    assert_int_equal(m->nparams, 5);
    assert_string_equal(ar_msml_get_param(m, "record"), "source");
    assert_string_equal(ar_msml_get_param(m, "dest"), "sip:10.0.0.101");
    assert_string_equal(ar_msml_get_param(m, "tonesilenceduration"), "30000");
    assert_null(ar_msml_get_param(m, "dest2"));
    free(m);
}

static void test_modify_destroy(void **state)
{
    (void)state;
    ar_msml *m = parse_ok("<msml version=\"1.1\"><modifyconference id=\"conf:recorder\">"
                          "<gvp:recorder state=\"pause\"/></modifyconference></msml>");
    assert_int_equal(m->nops, 1);
    assert_int_equal(m->ops[0].type, AR_MSML_OP_PAUSE);
    assert_string_equal(m->ops[0].conf, "recorder");
    free(m);
    m = parse_ok("<msml version=\"1.1\" xmlns:gvp=\"urn:x\"><modifyconference id=\"conf:r\">"
                 "<gvp:recorder state=\"resume\"/></modifyconference>"
                 "<destroyconference id=\"conf:r\"/></msml>");
    assert_int_equal(m->ops[0].type, AR_MSML_OP_RESUME);
    assert_int_equal(m->ops[1].type, AR_MSML_OP_DESTROY);
    assert_string_equal(m->ops[1].conf, "r");
    free(m);
}

static void test_bad(void **state)
{
    (void)state;
    expect_err("", AR_E_MSML_NOT_XML);
    expect_err("this is not xml", AR_E_MSML_NOT_XML);
    expect_err("<msml version=\"1.1\"><join id1=\"a\"", AR_E_MSML_NOT_XML);
    expect_err("<foo/>", AR_E_MSML_BAD_ROOT);
    expect_err("<msml version=\"2.0\"><join id1=\"a\" id2=\"b\"/></msml>", AR_E_MSML_BAD_ROOT);
    expect_err("<msml><join id1=\"a\" id2=\"b\"/></msml>", AR_E_MSML_BAD_ROOT);
    expect_err("<msml version=\"1.1\"><dialogstart/></msml>", AR_E_MSML_UNKNOWN_OP);
    expect_err("<msml version=\"1.1\"></msml>", AR_E_MSML_UNKNOWN_OP);
    expect_err("<msml version=\"1.1\"><join id1=\"a\"/></msml>", AR_E_MSML_MISSING_ATTR);
    expect_err("<msml version=\"1.1\"><createconference/></msml>", AR_E_MSML_MISSING_ATTR);
    expect_err("<msml version=\"1.1\"><modifyconference id=\"conf:r\">"
               "<gvp:recorder state=\"explode\"/></modifyconference></msml>",
               AR_E_MSML_UNKNOWN_OP);
    expect_err("<msml version=\"1.1\"><modifyconference id=\"conf:r\">"
               "<gvp:recorder/></modifyconference></msml>",
               AR_E_MSML_MISSING_ATTR);
    /* A DTD with an entity bomb is refused without expansion. */
    expect_err("<?xml version=\"1.0\"?><!DOCTYPE msml [<!ENTITY a \"aaaaaaaaaa\">"
               "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
               "<msml version=\"1.1\"><join id1=\"&b;\" id2=\"x\"/></msml>",
               AR_E_MSML_NOT_XML);
    /* External entity: never fetched. */
    expect_err("<?xml version=\"1.0\"?><!DOCTYPE msml SYSTEM \"http://127.0.0.1:1/x.dtd\">"
               "<msml version=\"1.1\"><join id1=\"a\" id2=\"x\"/></msml>",
               AR_E_MSML_NOT_XML);
    char *big = malloc(AR_MSML_MAX_LEN + 2);
    memset(big, ' ', AR_MSML_MAX_LEN + 1);
    big[AR_MSML_MAX_LEN + 1] = '\0';
    expect_err(big, AR_E_MSML_TOO_LARGE);
    free(big);
    /* Too many ops. */
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "<msml version=\"1.1\">");
    for (int i = 0; i < AR_MSML_MAX_OPS + 1; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "<join id1=\"a\" id2=\"b\"/>");
    snprintf(buf + n, sizeof(buf) - n, "</msml>");
    expect_err(buf, AR_E_MSML_TOO_MANY);
}

static void test_build_roundtrip(void **state)
{
    (void)state;
    ar_msml *m = calloc(1, sizeof(*m)), *back = calloc(1, sizeof(*back));
    ar_msml_init(m);
    assert_non_null(ar_msml_add_op(m, AR_MSML_OP_CREATE, "recorder"));
    assert_int_equal(ar_msml_add_param(m, "id", "rec<&>\"1'"), 0);
    assert_int_equal(ar_msml_add_param(m, "recmediactl", "1"), 0);
    assert_non_null(ar_msml_add_join(m, "conf:recorder", "conn:a"));
    assert_non_null(ar_msml_add_op(m, AR_MSML_OP_STOP, "recorder"));
    char buf[4096];
    size_t len;
    assert_int_equal(ar_msml_build(m, buf, sizeof(buf), &len), AR_E_OK);
    assert_int_equal(len, strlen(buf));
    assert_int_equal(ar_msml_parse(buf, len, back), AR_E_OK);
    assert_int_equal(back->nops, 3);
    assert_string_equal(ar_msml_get_param(back, "id"), "rec<&>\"1'");
    assert_int_equal(back->ops[2].type, AR_MSML_OP_STOP);
    assert_int_equal(ar_msml_build(m, buf, 30, &len), AR_E_MSML_TOO_LARGE);

    /* The failure event mediad sends to the gateway. */
    ar_msml_init(m);
    ar_msml_op *ev = ar_msml_add_op(m, AR_MSML_OP_EVENT, "recorder");
    snprintf(ev->event, sizeof(ev->event), "msml.recorder.error");
    ar_msml_add_param(m, "reason", "recorder answered 486 Busy Here");
    ar_msml_add_param(m, "id", "rec1");
    assert_int_equal(ar_msml_build(m, buf, sizeof(buf), &len), AR_E_OK);
    assert_int_equal(ar_msml_parse(buf, len, back), AR_E_OK);
    assert_int_equal(back->ops[0].type, AR_MSML_OP_EVENT);
    assert_string_equal(back->ops[0].event, "msml.recorder.error");
    assert_string_equal(back->ops[0].conf, "recorder");
    assert_string_equal(ar_msml_get_param(back, "reason"), "recorder answered 486 Busy Here");
    assert_string_equal(ar_msml_get_param(back, "id"), "rec1");

    assert_int_equal(ar_msml_build_result(200, "ok", buf, sizeof(buf), &len), AR_E_OK);
    assert_non_null(strstr(buf, "<result response=\"200\">"));
    assert_string_equal(ar_msml_op_name(AR_MSML_OP_PAUSE), "pause");
    free(m);
    free(back);
}

/* The seed's `params` of a pause / resume / stop travel inside the modifyconference. */
static void test_modify_params(void **state)
{
    (void)state;
    ar_msml *m = calloc(1, sizeof(*m)), *back = calloc(1, sizeof(*back));
    ar_msml_init(m);
    assert_non_null(ar_msml_add_op(m, AR_MSML_OP_PAUSE, "recorder"));
    assert_int_equal(ar_msml_add_param(m, "reason", "pin <entry>"), 0);
    assert_int_equal(ar_msml_add_param(m, "agent", "5010"), 0);
    char buf[4096];
    size_t len;
    assert_int_equal(ar_msml_build(m, buf, sizeof(buf), &len), AR_E_OK);
    assert_non_null(strstr(buf, "state=\"pause\"><gvp:params>"));
    assert_int_equal(ar_msml_parse(buf, len, back), AR_E_OK);
    assert_int_equal(back->nops, 1);
    assert_int_equal(back->ops[0].type, AR_MSML_OP_PAUSE);
    assert_int_equal(back->nparams, 2);
    assert_string_equal(ar_msml_get_param(back, "reason"), "pin <entry>");
    assert_string_equal(ar_msml_get_param(back, "agent"), "5010");
    /* Without params the element stays empty, as before. */
    ar_msml_init(m);
    ar_msml_add_op(m, AR_MSML_OP_RESUME, "recorder");
    assert_int_equal(ar_msml_build(m, buf, sizeof(buf), &len), AR_E_OK);
    assert_non_null(strstr(buf, "state=\"resume\"/>"));
    free(m);
    free(back);
    /* One params list per document: not with a CREATE, an EVENT, or twice. */
    expect_err("<msml version=\"1.1\"><modifyconference id=\"conf:r\"><gvp:recorder "
               "state=\"pause\"><gvp:params><gvp:param name=\"a\">1</gvp:param></gvp:params>"
               "</gvp:recorder></modifyconference><createconference name=\"r\"/></msml>",
               AR_E_MSML_TOO_MANY);
    expect_err("<msml version=\"1.1\"><modifyconference id=\"conf:r\"><gvp:recorder "
               "state=\"pause\"><gvp:params/><gvp:params/></gvp:recorder></modifyconference>"
               "</msml>",
               AR_E_MSML_TOO_MANY);
    expect_err("<msml version=\"1.1\"><modifyconference id=\"conf:r\"><gvp:recorder "
               "state=\"stop\"><gvp:params><gvp:param>1</gvp:param></gvp:params></gvp:recorder>"
               "</modifyconference></msml>",
               AR_E_MSML_MISSING_ATTR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_example),  cmocka_unit_test(test_modify_destroy),
        cmocka_unit_test(test_bad),           cmocka_unit_test(test_build_roundtrip),
        cmocka_unit_test(test_modify_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
