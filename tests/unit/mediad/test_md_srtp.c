/* Unit tests for mediad's SRTP negotiation (md_srtp): party keys, recorder keys, fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_crypto.h"
#include "ar_err.h"
#include "md_ports.h"
#include "md_session.h"
#include "md_srtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_A "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define KEY_B "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw"

static const char *SAVP = "v=0\r\no=p 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                          "t=0 0\r\nm=audio %d %s 0\r\n%s";

static int apply(md_leg *l, const md_media_env *env, int version, int port, const char *proto,
                 const char *attrs)
{
    char text[1024];
    snprintf(text, sizeof(text), SAVP, version, port, proto, attrs);
    ar_sdp *sdp = calloc(1, sizeof(*sdp));
    assert_int_equal(ar_sdp_parse(text, strlen(text), sdp), AR_E_OK);
    int rc = md_leg_apply_sdp(l, sdp, text, strlen(text), env);
    free(sdp);
    return rc;
}

static md_call *setup(md_media_env *env)
{
    memset(env, 0, sizeof(*env));
    env->ports = md_ports_new("127.0.0.1", 47100, 47199, 0);
    env->engine = md_engine_new(64);
    env->media_addr = "127.0.0.1";
    assert_non_null(env->ports);
    assert_non_null(env->engine);
    return md_call_new(NULL, "conf1");
}

static void teardown_call(md_call *c, md_media_env *env)
{
    md_call_free(&c, env);
    md_engine_free(&env->engine);
    md_ports_free(&env->ports);
}

static void test_pick_crypto(void **state)
{
    (void)state;
    ar_sdp_media m;
    memset(&m, 0, sizeof(m));
    snprintf(m.proto, sizeof(m.proto), "RTP/SAVP");
    ar_crypto c;
    assert_int_equal(md_srtp_pick_crypto(&m, -1, &c), AR_E_CRYPTO_MALFORMED);
    assert_false(md_srtp_media_usable(&m));
    snprintf(m.crypto[0], sizeof(m.crypto[0]), "1 AES_CM_128_HMAC_SHA1_80 inline:A*B");
    snprintf(m.crypto[1], sizeof(m.crypto[1]), "2 F8_128_HMAC_SHA1_80 inline:" KEY_A);
    m.ncrypto = 2;
    assert_int_equal(md_srtp_pick_crypto(&m, -1, &c), AR_E_CRYPTO_BAD_BASE64);
    snprintf(m.crypto[2], sizeof(m.crypto[2]), "3 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A);
    snprintf(m.crypto[3], sizeof(m.crypto[3]), "4 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B);
    m.ncrypto = 4;
    assert_int_equal(md_srtp_pick_crypto(&m, -1, &c), AR_E_OK);
    assert_int_equal(c.tag, 3);
    assert_int_equal(md_srtp_pick_crypto(&m, 4, &c), AR_E_OK); /* an answer picks our tag */
    assert_int_equal(c.tag, 4);
    assert_int_equal(md_srtp_pick_crypto(&m, 9, &c), AR_E_OK); /* lenient: first usable */
    assert_int_equal(c.tag, 3);
    assert_true(md_srtp_media_usable(&m));
    snprintf(m.proto, sizeof(m.proto), "RTP/AVP");
    m.ncrypto = 0;
    assert_true(md_srtp_media_usable(&m));
    assert_true(md_srtp_proto_secure("RTP/SAVPF") && !md_srtp_proto_secure("RTP/AVPF"));
}

/* Our crypto line toward the leg (the answer we would send). */
static void our_crypto(md_leg *l, const md_media_env *env, ar_crypto *out)
{
    char buf[4096];
    assert_int_equal(md_leg_build_sdp(l, 1, env, buf, sizeof(buf)), AR_E_OK);
    assert_non_null(strstr(buf, "RTP/SAVP"));
    const char *a = strstr(buf, "a=crypto:");
    assert_non_null(a);
    a += 9;
    assert_int_equal(ar_crypto_parse(a, strcspn(a, "\r\n"), out), AR_E_OK);
}

static void test_party_keys(void **state)
{
    (void)state;
    md_media_env env;
    md_call *c = setup(&env);
    md_leg *l = md_call_add_leg(c, "1001", "cid");
    /* A secure line without a usable key gets no stream (port 0 in the answer). */
    assert_int_equal(apply(l, &env, 1, 20000, "RTP/SAVP", ""), AR_E_OK);
    assert_null(l->st[0]);
    md_call_remove_leg(c, l, &env);
    l = md_call_add_leg(c, "1001", "cid2");
    assert_int_equal(apply(l, &env, 1, 20000, "RTP/SAVP",
                           "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n"),
                     AR_E_OK);
    assert_non_null(l->st[0]);
    assert_non_null(l->srtp);
    ar_crypto ours, again;
    our_crypto(l, &env, &ours);
    assert_int_equal(ours.tag, 7);
    assert_int_equal(ours.suite, AR_CRYPTO_AES_CM_128_HMAC_SHA1_32);
    assert_memory_not_equal(ours.key, l->srtp->m[0].in.key, AR_CRYPTO_KEY_LEN); /* never echoed */
    /* Rekey: the party's key changes, ours stays (tag follows the offer). */
    assert_int_equal(apply(l, &env, 2, 20000, "RTP/SAVP",
                           "a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n"),
                     AR_E_OK);
    our_crypto(l, &env, &again);
    assert_int_equal(again.tag, 8);
    assert_memory_equal(again.key, ours.key, AR_CRYPTO_KEY_LEN);
    assert_memory_not_equal(l->srtp->m[0].in.key, ours.key, AR_CRYPTO_KEY_LEN);
    /* A re-INVITE with a broken key is refused and changes nothing. */
    assert_int_equal(
        apply(l, &env, 3, 20000, "RTP/SAVP", "a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:AAAA\r\n"),
        AR_E_CRYPTO_BAD_KEY_LEN);
    assert_true(l->srtp->m[0].secure);
    /* Back to RTP/AVP: clear. */
    assert_int_equal(apply(l, &env, 4, 20000, "RTP/AVP", ""), AR_E_OK);
    assert_false(l->srtp->m[0].secure);
    char buf[4096];
    assert_int_equal(md_leg_build_sdp(l, 1, &env, buf, sizeof(buf)), AR_E_OK);
    assert_null(strstr(buf, "a=crypto"));
    teardown_call(c, &env);
}

static md_rec *plan(md_call *c, md_media_env *env, const char *dest, const char *srtp)
{
    md_params_clear(&c->params);
    md_params_set(&c->params, "dest", dest);
    md_params_set(&c->params, "recmediactl", "1");
    if (srtp)
        md_params_set(&c->params, "srtp", srtp);
    assert_int_equal(md_call_plan_recording(c, env), AR_E_OK);
    return c->recs[c->nrecs - 1];
}

static void test_recorder_keys_and_fallback(void **state)
{
    (void)state;
    md_media_env env;
    md_call *c = setup(&env);
    md_leg *a = md_call_add_leg(c, "1001", "a");
    md_leg *b = md_call_add_leg(c, "1002", "b");
    assert_int_equal(apply(a, &env, 1, 20000, "RTP/SAVP",
                           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"),
                     AR_E_OK);
    assert_int_equal(apply(b, &env, 1, 20010, "RTP/AVP", ""), AR_E_OK);
    /* Default: clear toward a sip: recorder. */
    md_rec *r = plan(c, &env, "sip:127.0.0.1:5070", NULL);
    assert_null(r->srtp);
    char buf[4096];
    assert_int_equal(md_rec_build_sdp(r, &env, buf, sizeof(buf)), AR_E_OK);
    assert_null(strstr(buf, "SAVP"));
    md_rec_release(r, &env);
    /* srtp=true: fresh keys per line, never the party's. */
    r = plan(c, &env, "sip:127.0.0.1:5070", "true");
    assert_non_null(r->srtp);
    assert_int_equal(r->nm, 2);
    assert_true(r->srtp->m[0].secure && r->srtp->m[1].secure);
    assert_memory_not_equal(r->srtp->m[0].out.key, r->srtp->m[1].out.key, AR_CRYPTO_KEY_LEN);
    assert_memory_not_equal(r->srtp->m[0].out.key, a->srtp->m[0].in.key, AR_CRYPTO_KEY_LEN);
    assert_memory_not_equal(r->srtp->m[0].out.key, a->srtp->m[0].out.key, AR_CRYPTO_KEY_LEN);
    assert_int_equal(md_rec_build_sdp(r, &env, buf, sizeof(buf)), AR_E_OK);
    assert_non_null(strstr(buf, "m=audio"));
    assert_null(strstr(buf, "RTP/AVP "));
    assert_non_null(strstr(strstr(buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") + 1,
                           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
    assert_null(strstr(buf, KEY_A));
    /* An RTP/AVP answer is refused by default... */
    const char *avp = "v=0\r\no=r 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio 6000 RTP/AVP 0\r\nm=audio 6002 RTP/AVP 0\r\n";
    assert_int_equal(md_rec_apply_answer(r, avp, strlen(avp)), AR_E_SRTP_REFUSED);
    /* ...and a SAVP answer with a broken key is refused too; a good one is accepted. */
    char savp[1024];
    snprintf(savp, sizeof(savp),
             "v=0\r\no=r 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 6000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
             "m=audio 6002 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
             KEY_B, "bad!");
    assert_int_equal(md_rec_apply_answer(r, savp, strlen(savp)), AR_E_CRYPTO_BAD_BASE64);
    snprintf(savp, sizeof(savp),
             "v=0\r\no=r 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 6000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
             "m=audio 6002 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
             KEY_B, KEY_A);
    assert_int_equal(md_rec_apply_answer(r, savp, strlen(savp)), AR_E_OK);
    md_rec_release(r, &env);
    /* With the clear fallback, an RTP/AVP answer turns the lines clear. */
    env.rec_srtp_fallback = 1;
    r = plan(c, &env, "sip:127.0.0.1:5070", "1");
    assert_int_equal(md_rec_apply_answer(r, avp, strlen(avp)), AR_E_OK);
    assert_false(r->srtp->m[0].secure || r->srtp->m[1].secure);
    assert_int_equal(md_rec_build_sdp(r, &env, buf, sizeof(buf)), AR_E_OK);
    assert_null(strstr(buf, "SAVP"));
    md_rec_release(r, &env);
    /* A sips: dest is secure by default, srtp=false overrides; so does --recorder-srtp. */
    r = plan(c, &env, "sips:127.0.0.1:5071", NULL);
    assert_non_null(r->srtp);
    assert_true(strncmp(r->ruri, "sips:record=", 12) == 0);
    md_rec_release(r, &env);
    r = plan(c, &env, "sips:127.0.0.1:5071", "false");
    assert_null(r->srtp);
    md_rec_release(r, &env);
    r = plan(c, &env, "sip:127.0.0.1:5070", "savpf");
    assert_int_equal(md_rec_build_sdp(r, &env, buf, sizeof(buf)), AR_E_OK);
    assert_non_null(strstr(buf, "m=audio 47")); /* our port range */
    assert_non_null(strstr(buf, " RTP/SAVPF 0"));
    md_rec_release(r, &env);
    env.rec_srtp = 1;
    r = plan(c, &env, "sip:127.0.0.1:5070;transport=tls", NULL);
    assert_non_null(r->srtp);
    assert_non_null(strstr(r->ruri, "@127.0.0.1:5070;transport=tls;"));
    md_rec_release(r, &env);
    teardown_call(c, &env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_crypto),
        cmocka_unit_test(test_party_keys),
        cmocka_unit_test(test_recorder_keys_and_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
