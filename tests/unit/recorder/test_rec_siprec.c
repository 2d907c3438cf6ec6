/* Unit tests for SIPREC multipart splitting and rs-metadata parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "rec_siprec.h"

#include <string.h>

static const char body[] = "--XyZ\r\n"
                           "Content-Type: application/sdp\r\n"
                           "\r\n"
                           "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
                           "\r\n--XyZ\r\n"
                           "Content-Type: application/rs-metadata+xml\r\n"
                           "Content-Disposition: recording-session\r\n"
                           "\r\n"
                           "<recording/>\r\n"
                           "--XyZ--\r\n";

static void test_split(void **state)
{
    (void)state;
    rec_mime_part parts[4];
    int n = 0;
    assert_int_equal(rec_multipart_split(body, strlen(body), "XyZ", parts, 4, &n), AR_E_OK);
    assert_int_equal(n, 2);
    assert_int_equal(parts[0].ctype_len, strlen("application/sdp"));
    assert_memory_equal(parts[0].body, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", parts[0].body_len);
    assert_int_equal(parts[1].body_len, strlen("<recording/>"));
    assert_non_null(parts[1].disp);
    assert_memory_equal(parts[1].disp, "recording-session", parts[1].disp_len);

    const char *sdp, *xml;
    size_t sl, xl;
    assert_int_equal(rec_siprec_split_body(body, strlen(body), "XyZ", &sdp, &sl, &xml, &xl),
                     AR_E_OK);
    assert_non_null(sdp);
    assert_non_null(xml);
    assert_int_equal(xl, strlen("<recording/>"));
}

static void test_split_lf_only(void **state)
{
    (void)state;
    const char b[] = "preamble\n--b\nContent-Type: application/sdp\n\nv=0\n--b--\n";
    rec_mime_part parts[2];
    int n;
    assert_int_equal(rec_multipart_split(b, strlen(b), "b", parts, 2, &n), AR_E_OK);
    assert_int_equal(n, 1);
    assert_int_equal(parts[0].body_len, 3);
}

static void test_split_rejects(void **state)
{
    (void)state;
    rec_mime_part parts[2];
    int n;
    /* Every truncation of a valid body fails cleanly (the close delimiter goes first). */
    for (size_t cut = 0; cut + 4 < strlen(body); cut++)
        assert_int_equal(rec_multipart_split(body, cut, "XyZ", parts, 2, &n),
                         AR_E_SIPREC_MALFORMED);
    assert_int_equal(rec_multipart_split(body, strlen(body), "nope", parts, 2, &n),
                     AR_E_SIPREC_MALFORMED);
    assert_int_equal(rec_multipart_split(body, strlen(body), "", parts, 2, &n),
                     AR_E_SIPREC_MALFORMED);
    assert_int_equal(rec_multipart_split(body, strlen(body), "XyZ", parts, 1, &n),
                     AR_E_SIPREC_MALFORMED);
    const char noblank[] = "--b\r\nContent-Type: application/sdp\r\n--b--\r\n";
    assert_int_equal(rec_multipart_split(noblank, strlen(noblank), "b", parts, 2, &n),
                     AR_E_SIPREC_MALFORMED);
}

static const char meta_xml[] =
    "<?xml version='1.0'?>"
    "<recording xmlns='urn:ietf:params:xml:ns:recording:1'>"
    "<datamode>complete</datamode>"
    "<session session_id='S1'><sipSessionID>abc</sipSessionID></session>"
    "<participant participant_id='P1'><nameID aor='sip:a@x'><name>A</name></nameID></participant>"
    "<participant participant_id='P2'><nameID aor='sip:b@x'/></participant>"
    "<stream stream_id='T1' session_id='S1'><label>1</label></stream>"
    "<stream stream_id='T2' session_id='S1'><label> 2 </label></stream>"
    "<participantstreamassoc participant_id='P1'><send>T1</send><recv>T2</recv>"
    "</participantstreamassoc>"
    "<participantstreamassoc participant_id='P2'><send>T2</send></participantstreamassoc>"
    "</recording>";

static void test_metadata(void **state)
{
    (void)state;
    rec_siprec_meta m;
    const char *why;
    assert_int_equal(rec_siprec_parse_metadata(meta_xml, strlen(meta_xml), &m, &why), AR_E_OK);
    assert_string_equal(m.ns, "urn:ietf:params:xml:ns:recording:1");
    assert_string_equal(m.datamode, "complete");
    assert_string_equal(m.session_id, "S1");
    assert_string_equal(m.sip_session_id, "abc");
    assert_int_equal(m.nparticipants, 2);
    assert_string_equal(m.participants[0].aor, "sip:a@x");
    assert_string_equal(m.participants[0].name, "A");
    assert_int_equal(m.nstreams, 2);
    assert_string_equal(m.streams[1].label, "2");
    const rec_siprec_participant *p;
    const rec_siprec_stream *s = rec_siprec_stream_by_label(&m, "2", &p);
    assert_non_null(s);
    assert_string_equal(s->id, "T2");
    assert_non_null(p);
    assert_string_equal(p->id, "P2");
    assert_null(rec_siprec_stream_by_label(&m, "9", &p));
    assert_null(p);
}

static void test_metadata_liberal_and_bad(void **state)
{
    (void)state;
    rec_siprec_meta m;
    const char *why;
    const char nons[] = "<recording><participant id='p'><aor>sip:c@x</aor></participant>"
                        "<stream id='s'><label>L</label></stream></recording>";
    assert_int_equal(rec_siprec_parse_metadata(nons, strlen(nons), &m, &why), AR_E_OK);
    assert_string_equal(m.participants[0].aor, "sip:c@x");
    assert_string_equal(m.streams[0].id, "s");

    const char *bad[] = {
        "",
        "<recording>",
        "not xml",
        "<other xmlns='urn:ietf:params:xml:ns:recording:1'/>",
        "<recording xmlns='urn:example:evil'/>",
        "<!DOCTYPE r [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><recording>&e;</recording>x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_int_equal(rec_siprec_parse_metadata(bad[i], strlen(bad[i]), &m, &why),
                         AR_E_SIPREC_MALFORMED);
        assert_non_null(why);
    }
    /* External entities are never loaded. */
    const char xxe[] = "<!DOCTYPE r [<!ENTITY e SYSTEM 'file:///etc/hostname'>]>"
                       "<recording><datamode>&e;</datamode></recording>";
    if (rec_siprec_parse_metadata(xxe, strlen(xxe), &m, &why) == AR_E_OK)
        assert_string_equal(m.datamode, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_lf_only),
        cmocka_unit_test(test_split_rejects),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_metadata_liberal_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
