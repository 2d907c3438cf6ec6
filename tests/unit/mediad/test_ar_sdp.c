/* Unit tests for the SDP parser and builder (common/ar_sdp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *OFFER =
    "v=0\r\n"
    "o=alice 2890844526 7 IN IP4 10.0.0.1\r\n"
    "s=call\r\n"
    "c=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=label:1\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
    "m=video 51372 RTP/AVP 96\r\n"
    "c=IN IP4 10.0.0.2/127\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=sendonly\r\n";

static ar_sdp *new_sdp(void)
{
    ar_sdp *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    return s;
}

static void test_parse_offer(void **state)
{
    (void)state;
    ar_sdp *s = new_sdp();
    assert_int_equal(ar_sdp_parse(OFFER, strlen(OFFER), s), AR_E_OK);
    assert_string_equal(s->o_user, "alice");
    assert_true(s->o_sess_id == 2890844526ULL);
    assert_true(s->o_version == 7);
    assert_int_equal(s->nmedia, 2);
    ar_sdp_media *a = &s->media[0];
    assert_string_equal(a->type, "audio");
    assert_int_equal(a->port, 49170);
    assert_string_equal(a->proto, "RTP/AVP");
    assert_string_equal(a->addr, "10.0.0.1");
    assert_int_equal(a->nfmt, 3);
    assert_int_equal(a->fmt[0].pt, 0);
    assert_string_equal(a->fmt[0].enc, "PCMU");
    assert_int_equal(a->fmt[0].clock, 8000);
    assert_string_equal(a->fmt[2].enc, "telephone-event");
    assert_string_equal(a->fmt[2].fmtp, "0-15");
    assert_string_equal(a->label, "1");
    assert_int_equal(a->ncrypto, 1);
    assert_int_equal(a->dir, AR_SDP_DIR_SENDRECV); /* inherited from the session */
    ar_sdp_media *v = &s->media[1];
    assert_string_equal(v->addr, "10.0.0.2");
    assert_int_equal(v->dir, AR_SDP_DIR_SENDONLY);
    assert_int_equal(v->fmt[0].clock, 90000);
    const ar_sdp_fmt *f = ar_sdp_media_find_enc(a, "pcma");
    assert_non_null(f);
    assert_int_equal(f->pt, 8);
    assert_null(ar_sdp_media_find_enc(v, "PCMU"));
    free(s);
}

static void test_lf_only_and_no_trailing_newline(void **state)
{
    (void)state;
    const char *t = "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nm=audio 0 RTP/AVP 0";
    ar_sdp *s = new_sdp();
    assert_int_equal(ar_sdp_parse(t, strlen(t), s), AR_E_OK);
    assert_int_equal(s->nmedia, 1);
    assert_int_equal(s->media[0].port, 0);
    free(s);
}

static void expect_err(const char *t, int err)
{
    ar_sdp *s = new_sdp();
    assert_int_equal(ar_sdp_parse(t, strlen(t), s), err);
    free(s);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_err("", AR_E_SDP_MALFORMED);
    expect_err("hello world", AR_E_SDP_MALFORMED);
    expect_err("v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n", AR_E_SDP_MALFORMED);
    expect_err("v=0\r\ns=-\r\n", AR_E_SDP_MALFORMED); /* no o= */
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", AR_E_SDP_BAD_PORT);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.1.1.1\r\n"
               "m=audio 65535/4 RTP/AVP 0\r\n",
               AR_E_SDP_BAD_PORT);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 99999999999999999999999 RTP/AVP 0\r\n",
               AR_E_SDP_MALFORMED);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n",
               AR_E_SDP_NO_CONNECTION);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.1.1.1\r\nm=audio 4000 RTP/AVP\r\n",
               AR_E_SDP_MALFORMED);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN XX 1.1.1.1\r\n", AR_E_SDP_MALFORMED);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.1.1.1\r\n"
               "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
               AR_E_SDP_MALFORMED);
    expect_err("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.1.1.1\r\n"
               "m=audio 4000 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\r\n",
               AR_E_SDP_TOO_MANY_FORMATS);
}

static void test_fifty_media_lines(void **state)
{
    (void)state;
    char *t = malloc(AR_SDP_MAX_LEN);
    size_t n = (size_t)snprintf(t, AR_SDP_MAX_LEN,
                                "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n");
    for (int i = 0; i < 50; i++)
        n += (size_t)snprintf(t + n, AR_SDP_MAX_LEN - n, "m=audio %d RTP/AVP 0\r\n", 4000 + 2 * i);
    expect_err(t, AR_E_SDP_TOO_MANY_MEDIA);
    free(t);
    char *big = malloc(AR_SDP_MAX_LEN + 10);
    memset(big, 'a', AR_SDP_MAX_LEN + 10);
    ar_sdp *s = new_sdp();
    assert_int_equal(ar_sdp_parse(big, AR_SDP_MAX_LEN + 10, s), AR_E_SDP_TOO_LARGE);
    free(s);
    free(big);
}

static void test_answer_and_build_roundtrip(void **state)
{
    (void)state;
    ar_sdp *offer = new_sdp(), *ans = new_sdp(), *back = new_sdp();
    assert_int_equal(ar_sdp_parse(OFFER, strlen(OFFER), offer), AR_E_OK);
    uint16_t ports[2] = {30000, 0};
    ar_sdp_make_answer(offer, "mediad", 42, 1, "127.0.0.1", ports, AR_SDP_DIR_UNSET, ans);
    assert_int_equal(ans->nmedia, 2);
    assert_int_equal(ans->media[0].dir, AR_SDP_DIR_SENDRECV);
    assert_int_equal(ans->media[1].dir, AR_SDP_DIR_RECVONLY); /* mirror of sendonly */
    assert_int_equal(ans->media[1].port, 0);
    assert_int_equal(ans->media[0].ncrypto, 0);
    char buf[2048];
    size_t len = 0;
    assert_int_equal(ar_sdp_build(ans, buf, sizeof(buf), &len), AR_E_OK);
    assert_int_equal(len, strlen(buf));
    assert_non_null(strstr(buf, "m=audio 30000 RTP/AVP 0 8 101\r\n"));
    assert_non_null(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
    assert_non_null(strstr(buf, "a=fmtp:101 0-15\r\n"));
    assert_non_null(strstr(buf, "m=video 0 RTP/AVP 96\r\n"));
    assert_non_null(strstr(buf, "a=label:1\r\n"));
    assert_int_equal(ar_sdp_parse(buf, len, back), AR_E_OK);
    assert_int_equal(back->nmedia, 2);
    assert_true(back->o_sess_id == 42);
    assert_string_equal(back->media[0].fmt[2].fmtp, "0-15");
    assert_int_equal(back->media[1].dir, AR_SDP_DIR_RECVONLY);
    /* Too small a buffer is an error, never a truncated SDP. */
    assert_int_equal(ar_sdp_build(ans, buf, 40, &len), AR_E_SDP_TOO_LARGE);
    free(offer);
    free(ans);
    free(back);
}

static void test_builder(void **state)
{
    (void)state;
    ar_sdp *s = new_sdp();
    ar_sdp_init(s, "mediad", 7, 3, "127.0.0.1");
    ar_sdp_media *m = ar_sdp_add_media(s, "audio", 40000, NULL);
    assert_non_null(m);
    assert_int_equal(ar_sdp_media_add_fmt(m, 0, "PCMU", 8000, 0, NULL), 0);
    assert_int_equal(ar_sdp_media_add_fmt(m, 128, "X", 8000, 0, NULL), -1);
    m->dir = AR_SDP_DIR_INACTIVE;
    snprintf(m->label, sizeof(m->label), "%s", "dn-8403");
    for (int i = 1; i < AR_SDP_MAX_MEDIA; i++)
        assert_non_null(ar_sdp_add_media(s, "audio", 0, NULL));
    assert_null(ar_sdp_add_media(s, "audio", 0, NULL));
    s->nmedia = 1;
    char buf[1024];
    size_t len;
    assert_int_equal(ar_sdp_build(s, buf, sizeof(buf), &len), AR_E_OK);
    assert_non_null(strstr(buf, "o=mediad 7 3 IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(buf, "a=inactive\r\n"));
    assert_non_null(strstr(buf, "a=label:dn-8403\r\n"));
    assert_string_equal(ar_sdp_dir_name(AR_SDP_DIR_UNSET), "sendrecv");
    assert_int_equal(ar_sdp_dir_mirror(AR_SDP_DIR_RECVONLY), AR_SDP_DIR_SENDONLY);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_offer),
        cmocka_unit_test(test_lf_only_and_no_trailing_newline),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_fifty_media_lines),
        cmocka_unit_test(test_answer_and_build_roundtrip),
        cmocka_unit_test(test_builder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
