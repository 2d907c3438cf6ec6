/* Unit tests for gw_rec_video: video m= lines in a party's SDP, Extensions audio-only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "gw_rec_video.h"

static void test_sdp_has_video(void **state)
{
    (void)state;
    const char *av = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                     "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\n";
    assert_true(gw_rec_sdp_has_video(av));
    assert_true(gw_rec_sdp_has_video("m=video 5000/2 RTP/AVP 96\n"));
    assert_false(gw_rec_sdp_has_video("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"));
    assert_false(gw_rec_sdp_has_video("m=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n"));
    assert_false(gw_rec_sdp_has_video("m=video x RTP/AVP 96\r\n"));
    assert_false(gw_rec_sdp_has_video("m=video 70000 RTP/AVP 96\r\n"));
    assert_false(gw_rec_sdp_has_video("m=video 4002"));
    assert_false(gw_rec_sdp_has_video("a=x m=video 4002 RTP/AVP 96\r\n"));
    assert_false(gw_rec_sdp_has_video(""));
    assert_false(gw_rec_sdp_has_video(NULL));
}

static void test_audio_only(void **state)
{
    (void)state;
    bool ao = true;
    assert_int_equal(gw_rec_ext_audio_only(NULL, &ao), AR_E_OK);
    assert_false(ao);
    tl_kv *kv = tl_kv_new();
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_OK);
    assert_false(ao);
    tl_kv_add_str(kv, "audio-only", "true");
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_OK);
    assert_true(ao);
    tl_kv_remove(kv, "audio-only");
    tl_kv_add_str(kv, "audio-only", "0");
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_OK);
    assert_false(ao);
    tl_kv_remove(kv, "audio-only");
    tl_kv_add_int(kv, "audio-only", 1);
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_OK);
    assert_true(ao);
    tl_kv_remove(kv, "audio-only");
    tl_kv_add_int(kv, "audio-only", 7);
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_INVALID_VALUE);
    tl_kv_remove(kv, "audio-only");
    tl_kv_add_str(kv, "audio-only", "video please");
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_INVALID_VALUE);
    tl_kv_remove(kv, "audio-only");
    tl_kv_add_kv(kv, "audio-only", tl_kv_new());
    assert_int_equal(gw_rec_ext_audio_only(kv, &ao), AR_E_WRONG_TYPE);
    tl_kv_free(&kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdp_has_video),
        cmocka_unit_test(test_audio_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
