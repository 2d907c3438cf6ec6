/* Unit tests for the recorder session: SDP answers, pause/resume state, files written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "ar_sdp.h"
#include "ar_wav.h"
#include "rec_session.h"

#include <glib.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char *offer_fmt = "v=0\r\n"
                               "o=mediad 1 %d IN IP4 127.0.0.1\r\n"
                               "s=-\r\n"
                               "c=IN IP4 127.0.0.1\r\n"
                               "t=0 0\r\n"
                               "m=audio 40000 RTP/AVP 0 101\r\n"
                               "a=rtpmap:101 telephone-event/8000\r\n"
                               "a=%s\r\n"
                               "m=audio 40002 RTP/AVP 8\r\n"
                               "a=%s\r\n"
                               "m=video 40004 RTP/AVP 96\r\n"
                               "a=rtpmap:96 H264/90000\r\n"
                               "a=%s\r\n";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_rec_session_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static rec_session *new_session(int reject_video)
{
    rec_config cfg = {.dir = dir, .addr = "127.0.0.1", .reject_video = reject_video};
    rec_uri uri;
    assert_int_equal(rec_uri_parse("record=u1", "calluuid=C1;dn=1001;otherDN=1002", &uri), AR_E_OK);
    return rec_session_new(&cfg, "sip:record=u1@h", &uri, REC_DIALECT_SEED, "cid", "sip:m@h");
}

static int offer(rec_session *s, int version, const char *dir_attr, ar_sdp *ans)
{
    char sdp[1024], answer[4096];
    const char *why;
    snprintf(sdp, sizeof sdp, offer_fmt, version, dir_attr, dir_attr, dir_attr);
    int status = rec_session_offer(s, sdp, strlen(sdp), NULL, answer, sizeof answer, &why);
    if (status == 200)
        assert_int_equal(ar_sdp_parse(answer, strlen(answer), ans), AR_E_OK);
    return status;
}

static json_object *sidecar(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/u1.json", dir);
    json_object *o = json_object_from_file(path);
    assert_non_null(o);
    return o;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_string(v);
}

static void test_offer_pause_resume_end(void **state)
{
    (void)state;
    static ar_sdp ans;
    rec_session *s = new_session(0);
    assert_int_equal(offer(s, 1, "sendonly", &ans), 200);
    assert_int_equal(ans.nmedia, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_not_equal(ans.media[i].port, 0);
        assert_int_equal(ans.media[i].dir, AR_SDP_DIR_RECVONLY);
        assert_int_equal(ans.media[i].rtcp_port, ans.media[i].port + 1);
    }
    assert_int_equal(ans.o_version, 0);
    assert_string_equal(ans.media[0].addr, "127.0.0.1");
    rec_session_start(s);

    json_object *j = sidecar();
    assert_string_equal(jstr(j, "state"), "recording");
    assert_string_equal(jstr(j, "dialect"), "seed");
    json_object_put(j);

    /* Pause: answer inactive, o= version moves because our SDP changed. */
    assert_int_equal(offer(s, 2, "inactive", &ans), 200);
    assert_int_equal(ans.media[0].dir, AR_SDP_DIR_INACTIVE);
    assert_int_equal(ans.o_version, 1);
    j = sidecar();
    assert_string_equal(jstr(j, "state"), "paused");
    json_object_put(j);
    /* Same offer again (refresh): nothing changes, nor does our version. */
    assert_int_equal(offer(s, 2, "inactive", &ans), 200);
    assert_int_equal(ans.o_version, 1);

    assert_int_equal(offer(s, 3, "sendonly", &ans), 200);
    assert_int_equal(ans.o_version, 2);
    j = sidecar();
    assert_string_equal(jstr(j, "state"), "recording");
    json_object_put(j);

    /* Removing m= lines is refused; the session is untouched. */
    const char *why;
    char answer[2048];
    const char one[] = "v=0\r\no=m 1 4 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio 40000 RTP/AVP 0\r\n";
    assert_int_equal(rec_session_offer(s, one, strlen(one), NULL, answer, sizeof answer, &why),
                     488);

    rec_session_end(s, "bye");
    j = sidecar();
    assert_string_equal(jstr(j, "state"), "ended");
    assert_string_equal(jstr(j, "end_reason"), "bye");
    json_object *pauses, *wav, *ch;
    assert_true(json_object_object_get_ex(j, "pauses", &pauses));
    assert_int_equal(json_object_array_length(pauses), 1);
    assert_true(json_object_object_get_ex(j, "wav", &wav));
    assert_true(json_object_object_get_ex(wav, "channels", &ch));
    assert_int_equal(json_object_get_int(ch), 2);
    json_object_put(j);

    char path[128];
    uint8_t *buf;
    size_t len;
    ar_wav_info info;
    snprintf(path, sizeof path, "%s/u1.wav", dir);
    assert_int_equal(ar_wav_read_file(path, &buf, &len, &info, &why), AR_E_OK);
    assert_int_equal(info.channels, 2);
    assert_int_equal(info.format, AR_WAV_MULAW); /* first stream is PCMU */
    free(buf);
    rec_session_free(&s);
    assert_null(s);
}

static void test_reject_video_and_bad_offers(void **state)
{
    (void)state;
    static ar_sdp ans;
    const char *why;
    char answer[2048];
    rec_session *s = new_session(1);
    assert_int_equal(offer(s, 1, "sendonly", &ans), 200);
    assert_int_equal(ans.media[2].port, 0);
    assert_int_not_equal(ans.media[1].port, 0);
    rec_session_free(&s);

    s = new_session(0);
    const char junk[] = "hello\r\nm=audio x\r\n";
    assert_int_equal(rec_session_offer(s, junk, strlen(junk), NULL, answer, sizeof answer, &why),
                     488);
    rec_session_free(&s);

    s = new_session(0);
    const char g729[] = "v=0\r\no=m 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                        "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    assert_int_equal(rec_session_offer(s, g729, strlen(g729), NULL, answer, sizeof answer, &why),
                     488);
    assert_string_equal(why, "no G.711 audio stream to record");
    rec_session_free(&s);
    /* A hostile offer: 50 m= lines. */
    s = new_session(0);
    GString *many = g_string_new("v=0\r\no=m 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                                 "t=0 0\r\n");
    for (int i = 0; i < 50; i++)
        g_string_append_printf(many, "m=audio %d RTP/AVP 0\r\n", 40000 + 2 * i);
    assert_int_equal(rec_session_offer(s, many->str, many->len, NULL, answer, sizeof answer, &why),
                     488);
    g_string_free(many, TRUE);
    rec_session_free(&s);
    /* Refused sessions leave no files. */
    char path[128];
    snprintf(path, sizeof path, "%s/u1.json", dir);
    assert_int_not_equal(access(path, F_OK), 0);
}

static void test_port_range(void **state)
{
    (void)state;
    rec_port_range r;
    assert_int_equal(rec_port_range_parse("30000-30100", &r), 0);
    assert_int_equal(r.lo, 30000);
    assert_int_equal(r.hi, 30100);
    const char *bad[] = {"",           "30000",        "30000-", "-1", "100-200", "30000-20000",
                         "1024-70000", "30000-30100x", "a-b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rec_port_range_parse(bad[i], &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offer_pause_resume_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_video_and_bad_offers, setup, teardown),
        cmocka_unit_test(test_port_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
