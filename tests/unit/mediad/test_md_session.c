/* Unit tests for mediad's recording-session state machine and parameter handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "md_params.h"
#include "md_ports.h"
#include "md_recfsm.h"
#include "md_session.h"
#include "md_siprec.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *PARTY =
    "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    "m=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";

/* Build a call with two legs on real sockets (engine not started: commands just queue). */
static md_call *two_leg_call(md_media_env *env)
{
    env->ports = md_ports_new("127.0.0.1", 47000, 47099, 0);
    env->engine = md_engine_new(64);
    env->media_addr = "127.0.0.1";
    assert_non_null(env->ports);
    assert_non_null(env->engine);
    md_call *c = md_call_new(NULL, "conf1");
    const char *dns[2] = {"1001", "1002"};
    for (int i = 0; i < 2; i++) {
        md_leg *l = md_call_add_leg(c, dns[i], "callid");
        char text[512];
        snprintf(text, sizeof(text), PARTY, 20000 + 10 * i, 20002 + 10 * i);
        ar_sdp *sdp = calloc(1, sizeof(*sdp));
        assert_int_equal(ar_sdp_parse(text, strlen(text), sdp), AR_E_OK);
        assert_int_equal(md_leg_apply_sdp(l, sdp, text, strlen(text), env), AR_E_OK);
        free(sdp);
    }
    return c;
}

static void test_plan_one_session(void **state)
{
    (void)state;
    md_media_env env;
    md_call *c = two_leg_call(&env);
    assert_int_equal(md_ports_in_use(env.ports), 4);
    md_params_set(&c->params, "dest", "sip:127.0.0.1:5070");
    md_params_set(&c->params, "id", "rec1");
    md_params_set(&c->params, "recmediactl", "1");
    md_params_set(&c->params, "calluuid", "UUID1");
    md_params_set(&c->params, "name", "value");
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_OK);
    assert_int_equal(c->nrecs, 1);
    md_rec *r = c->recs[0];
    assert_string_equal(r->ruri, "sip:record=rec1@127.0.0.1:5070;calluuid=UUID1;dn=1001;"
                                 "recordDN=1001;otherDN=1002;name=value");
    assert_int_equal(r->nm, 4); /* audio dn, audio otherDN, video dn, video otherDN */
    char buf[4096];
    assert_int_equal(md_rec_build_sdp(r, &env, buf, sizeof(buf)), AR_E_OK);
    assert_non_null(strstr(buf, "a=sendonly"));
    assert_non_null(strstr(buf, "a=label:1"));
    char *first_video = strstr(buf, "m=video");
    char *second_audio = strstr(strstr(buf, "m=audio") + 1, "m=audio");
    assert_true(second_audio && first_video && second_audio < first_video);
    /* the recorder rejects both videos with port 0 */
    const char *ans = "v=0\r\no=r 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio 6000 RTP/AVP 0\r\nm=audio 6002 RTP/AVP 0\r\n"
                      "m=video 0 RTP/AVP 96\r\nm=video 0 RTP/AVP 96\r\n";
    assert_int_equal(md_rec_apply_answer(r, ans, strlen(ans)), AR_E_OK);
    assert_false(r->m[0].rejected);
    assert_true(r->m[2].rejected && r->m[3].rejected);
    /* garbage and a wrong m= count are refused */
    assert_int_not_equal(md_rec_apply_answer(r, "garbage", 7), AR_E_OK);
    assert_int_equal(md_rec_apply_answer(r, ans, strstr(ans, "m=video") - ans), AR_E_SDP_MALFORMED);
    r->fsm.sent_paused = 1;
    r->version++;
    assert_int_equal(md_rec_build_sdp(r, &env, buf, sizeof(buf)), AR_E_OK);
    assert_non_null(strstr(buf, "a=inactive"));
    assert_null(strstr(buf, "a=sendonly"));
    assert_non_null(strstr(buf, " 2 IN IP4"));
    char stats[2048];
    md_call_stats_text(c, stats, sizeof(stats));
    assert_non_null(strstr(stats, "leg=1001 m=0"));
    assert_non_null(strstr(stats, "rec=rec1 m=3"));
    md_call_free(&c, &env);
    assert_int_equal(md_ports_in_use(env.ports), 0);
    md_engine_free(&env.engine);
    md_ports_free(&env.ports);
}

static void test_plan_per_party_and_duplicate(void **state)
{
    (void)state;
    md_media_env env;
    md_call *c = two_leg_call(&env);
    md_params_set(&c->params, "dest", "sip:10.0.0.1");
    md_params_set(&c->params, "dest2", "sip:rec@10.0.0.2:5080;transport=udp");
    md_params_set(&c->params, "id", "x");
    md_params_set(&c->params, "audio-only", "true");
    md_params_set(&c->params, "dialect2", "siprec");
    c->legs[1]->joined = 1; /* only the joined party ... */
    c->legs[0]->joined = 1; /* ... both joined: order stays leg order */
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_OK);
    assert_int_equal(c->nrecs, 4);
    assert_string_equal(c->recs[0]->record_id, "x-1001");
    assert_string_equal(c->recs[1]->record_id, "x-1002");
    assert_string_equal(c->recs[2]->record_id, "x-2-1001");
    assert_non_null(strstr(c->recs[2]->ruri, "@10.0.0.2:5080;"));
    assert_null(strstr(c->recs[1]->ruri, "otherDN"));
    assert_false(c->recs[0]->siprec);
    assert_true(c->recs[3]->siprec);
    for (int i = 0; i < 4; i++)
        assert_int_equal(c->recs[i]->nm, 1); /* audio only */
    md_call_free(&c, &env);
    md_engine_free(&env.engine);
    md_ports_free(&env.ports);

    /* Join order, not leg order, names recordDN (a conference's legs come in party order):
       the second leg joined first is the recorded DN. */
    c = two_leg_call(&env);
    md_params_set(&c->params, "dest", "sip:10.0.0.1");
    md_params_set(&c->params, "recmediactl", "1");
    c->legs[1]->joined = 1;
    c->legs[0]->joined = 2;
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_OK);
    assert_int_equal(c->nrecs, 1);
    assert_ptr_equal(c->recs[0]->party[0], c->legs[1]);
    assert_ptr_equal(c->recs[0]->party[1], c->legs[0]);
    md_call_free(&c, &env);
    md_engine_free(&env.engine);
    md_ports_free(&env.ports);

    c = two_leg_call(&env);
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_MISSING_ATTRIBUTE);
    md_call_free(&c, &env);
    md_engine_free(&env.engine);
    md_ports_free(&env.ports);
}

/* Failover: fo_plan replans one copy only; answers without usable audio are refused. */
static void test_failover_plan_and_answer_checks(void **state)
{
    (void)state;
    md_media_env env;
    md_call *c = two_leg_call(&env);
    md_params_set(&c->params, "dest", "sip:10.0.0.1:5070");
    md_params_set(&c->params, "dest2", "sip:10.0.0.2:5070");
    md_params_set(&c->params, "id", "x");
    md_params_set(&c->params, "recmediactl", "1");
    md_params_set(&c->params, "audio-only", "1");
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_OK);
    assert_int_equal(c->nrecs, 2);
    md_rec *dup = c->recs[1];
    assert_int_equal(dup->dest_index, 1);
    assert_string_equal(dup->record_id, "x-2");
    md_rec_release(c->recs[0], &env); /* dest's recorder failed */
    assert_int_equal(c->nrecs, 1);
    md_params_set(&c->params, "dest", "sip:10.0.0.3:5070");
    c->fo_plan = 1;
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_OK);
    assert_int_equal(c->nrecs, 2);
    assert_ptr_equal(c->recs[0], dup); /* the duplicate is left alone */
    md_rec *r = c->recs[1];
    assert_int_equal(r->dest_index, 0);
    assert_string_equal(r->record_id, "x"); /* same record id */
    assert_non_null(strstr(r->ruri, "sip:record=x@10.0.0.3:5070;"));
    c->fo_plan = 2;
    md_params_set(&c->params, "dest2", "");
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_MISSING_ATTRIBUTE);
    c->fo_plan = 0;
    const char *hdr = "v=0\r\no=r 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
    char ans[1024];
    snprintf(ans, sizeof(ans), "%sm=audio 0 RTP/AVP 0\r\nm=audio 0 RTP/AVP 0\r\n", hdr);
    assert_int_equal(md_rec_apply_answer(r, ans, strlen(ans)), AR_E_SDP_NO_AUDIO);
    snprintf(ans, sizeof(ans),
             "%sm=audio 6000 RTP/AVP 98\r\na=rtpmap:98 FOO/8000\r\n"
             "m=audio 6002 RTP/AVP 98\r\na=rtpmap:98 FOO/8000\r\n",
             hdr);
    assert_int_equal(md_rec_apply_answer(r, ans, strlen(ans)), AR_E_SDP_NO_CODEC);
    snprintf(ans, sizeof(ans), "%sm=video 6000 RTP/AVP 96\r\n", hdr); /* no audio m= line */
    assert_int_equal(md_rec_apply_answer(r, ans, strlen(ans)), AR_E_SDP_MALFORMED);
    /* one audio stream kept with PCMU is enough */
    snprintf(ans, sizeof(ans), "%sm=audio 6000 RTP/AVP 0\r\nm=audio 0 RTP/AVP 0\r\n", hdr);
    assert_int_equal(md_rec_apply_answer(r, ans, strlen(ans)), AR_E_OK);
    md_call_free(&c, &env);
    assert_int_equal(md_ports_in_use(env.ports), 0);
    md_engine_free(&env.engine);
    md_ports_free(&env.ports);
}

static void test_siprec_bodies(void **state)
{
    (void)state;
    md_media_env env;
    md_call *c = two_leg_call(&env);
    md_params_set(&c->params, "dest", "sip:127.0.0.1:5070");
    md_params_set(&c->params, "recmediactl", "1");
    md_params_set(&c->params, "audio-only", "1");
    md_params_set(&c->params, "dialect", "siprec");
    free(c->legs[0]->dn);
    c->legs[0]->dn = strdup("<&1001>");
    assert_int_equal(md_call_plan_recording(c, &env), AR_E_OK);
    md_rec *r = c->recs[0];
    assert_true(r->siprec);
    char xml[8192], sdp[4096], body[16384];
    assert_int_equal(md_siprec_metadata(r, xml, sizeof(xml)), 0);
    /* Well-formed (the DN is escaped) and complete. */
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "m.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlFreeDoc(doc);
    assert_non_null(strstr(xml, "urn:ietf:params:xml:ns:recording:1"));
    assert_non_null(strstr(xml, "<sipSessionID>conf1</sipSessionID>"));
    assert_non_null(strstr(xml, "aor=\"sip:&lt;&amp;1001&gt;@mediad\""));
    assert_non_null(strstr(xml, "<label>2</label>"));
    assert_non_null(strstr(xml, "<participantstreamassoc participant_id=\"p1\"><send>st1</send>"
                                "<recv>st2</recv>"));
    assert_int_equal(md_siprec_metadata(r, xml, 100), -1);
    assert_int_equal(md_rec_build_sdp(r, &env, sdp, sizeof(sdp)), AR_E_OK);
    assert_int_equal(md_siprec_body(sdp, xml, body, sizeof(body)), 0);
    assert_non_null(strstr(body, "--" MD_SIPREC_BOUNDARY "\r\nContent-Type: application/sdp"));
    assert_non_null(strstr(body, "Content-Disposition: recording-session"));
    assert_non_null(strstr(body, "--" MD_SIPREC_BOUNDARY "--\r\n"));
    assert_int_equal(md_siprec_body(sdp, xml, body, 64), -1);
    md_call_free(&c, &env);
    md_engine_free(&env.engine);
    md_ports_free(&env.ports);
}

static void test_ports_capacity(void **state)
{
    (void)state;
    md_ports *p = md_ports_new("127.0.0.1", 47101, 47120, 3);
    assert_non_null(p);
    md_port_pair pp[4];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(md_ports_alloc(p, &pp[i]), AR_E_OK);
        assert_int_equal(pp[i].port % 2, 0);
    }
    assert_int_equal(md_ports_alloc(p, &pp[3]), AR_E_MEDIA_NO_PORTS);
    md_ports_release(p, pp[0].port);
    close(pp[0].rtp_fd);
    close(pp[0].rtcp_fd);
    assert_int_equal(md_ports_alloc(p, &pp[3]), AR_E_OK);
    for (int i = 1; i < 4; i++) {
        close(pp[i].rtp_fd);
        close(pp[i].rtcp_fd);
    }
    md_ports_free(&p);
    assert_null(md_ports_new("not-an-ip", 1000, 2000, 0));
}

static void test_fsm_happy_path(void **state)
{
    (void)state;
    md_rec_fsm f = {0};
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_START), MD_ACT_INVITE);
    assert_int_equal(f.state, MD_REC_INVITING);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_MEDIA_ON);
    assert_int_equal(f.state, MD_REC_ACTIVE);
    /* pause: media off at once, re-INVITE inactive */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_PAUSE), MD_ACT_REINVITE | MD_ACT_MEDIA_OFF);
    assert_int_equal(f.state, MD_REC_UPDATING);
    assert_int_equal(f.sent_paused, 1);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_MEDIA_OFF);
    /* a second pause changes nothing */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_PAUSE), 0);
    /* resume: re-INVITE sendonly, media only after the OK */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_RESUME), MD_ACT_REINVITE);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_MEDIA_ON);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_STOP),
                     MD_ACT_BYE | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE);
    assert_int_equal(f.state, MD_REC_CLOSING);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), 0);
    assert_int_equal(f.state, MD_REC_CLOSED);
    assert_string_equal(md_rec_state_name(f.state), "closed");
}

static void test_fsm_serialises_updates(void **state)
{
    (void)state;
    md_rec_fsm f = {0};
    md_rec_fsm_step(&f, MD_EV_START);
    /* pause while the INVITE is pending: no second transaction, media stays off */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_PAUSE), MD_ACT_MEDIA_OFF);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_REINVITE | MD_ACT_MEDIA_OFF);
    assert_int_equal(f.state, MD_REC_UPDATING);
    /* pause + resume during the re-INVITE end where they started: one more re-INVITE */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_RESUME), 0);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_REINVITE);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_MEDIA_ON);
    /* party change: re-offer */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_UPDATE), MD_ACT_REINVITE);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_OK), MD_ACT_MEDIA_ON);
}

static void test_fsm_failures(void **state)
{
    (void)state;
    md_rec_fsm f = {0};
    md_rec_fsm_step(&f, MD_EV_START);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_ANSWER_FAIL),
                     MD_ACT_REPORT | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE);
    assert_int_equal(f.state, MD_REC_FAILED);
    /* nothing happens to a failed session (no double report, no pause re-INVITE) */
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_PAUSE), 0);
    assert_int_equal(md_rec_fsm_step(&f, MD_EV_PEER_BYE), 0);

    md_rec_fsm g = {0};
    md_rec_fsm_step(&g, MD_EV_START);
    md_rec_fsm_step(&g, MD_EV_ANSWER_OK);
    md_rec_fsm_step(&g, MD_EV_PAUSE);
    /* a rejected re-INVITE leaves a dialog: BYE it */
    assert_int_equal(md_rec_fsm_step(&g, MD_EV_ANSWER_FAIL),
                     MD_ACT_REPORT | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE | MD_ACT_BYE);

    md_rec_fsm h = {0};
    md_rec_fsm_step(&h, MD_EV_START);
    md_rec_fsm_step(&h, MD_EV_ANSWER_OK);
    assert_int_equal(md_rec_fsm_step(&h, MD_EV_PEER_BYE),
                     MD_ACT_REPORT | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE);
    /* stop before start: nothing was sent */
    md_rec_fsm i = {0};
    assert_int_equal(md_rec_fsm_step(&i, MD_EV_STOP), MD_ACT_RELEASE);
    /* started paused: the INVITE already says inactive */
    md_rec_fsm j = {0};
    md_rec_fsm_step(&j, MD_EV_PAUSE);
    assert_int_equal(md_rec_fsm_step(&j, MD_EV_START), MD_ACT_INVITE);
    assert_int_equal(j.sent_paused, 1);
    assert_int_equal(md_rec_fsm_step(&j, MD_EV_ANSWER_OK), MD_ACT_MEDIA_OFF);
}

static void test_params(void **state)
{
    (void)state;
    md_params uri, msml;
    md_params_init(&uri);
    md_params_init(&msml);
    const char *u = "dn=8403;record;audiosrc=http%3A%2F%2Fexample.com%2Ftone.wav;"
                    "tonesilenceduration=30000;recmediactl=2";
    assert_int_equal(md_params_parse_uri(&uri, u, strlen(u)), 0);
    assert_string_equal(md_params_get(&uri, "audiosrc"), "http://example.com/tone.wav");
    assert_true(md_params_flag(&uri, "record"));
    assert_false(md_params_flag(&uri, "audio-only"));
    assert_int_equal(md_params_int(&uri, "tonesilenceduration", 0), 30000);
    md_params_set(&msml, "recmediactl", "1");
    md_params_set(&msml, "dest", "sip:10.0.0.1");
    md_params_merge(&uri, &msml); /* gvp:param overrides the Request-URI */
    assert_int_equal(md_params_int(&uri, "recmediactl", 2), 1);
    assert_string_equal(md_params_get(&uri, "dest"), "sip:10.0.0.1");
    assert_int_equal(md_params_int(&uri, "dest", 7), 7);
    /* bad escapes and empty names are refused */
    md_params bad;
    md_params_init(&bad);
    assert_int_equal(md_params_parse_uri(&bad, "a=%G1", 5), -1);
    assert_int_equal(md_params_parse_uri(&bad, "a=%4", 4), -1);
    assert_int_equal(md_params_parse_uri(&bad, "=x", 2), -1);
    assert_int_equal(md_params_parse_uri(&bad, "a=%00", 5), -1);
    char buf[64] = "sip:record=1@h";
    assert_int_equal(md_params_append_uri(buf, sizeof(buf), "dn", "a b;c"), 0);
    assert_string_equal(buf, "sip:record=1@h;dn=a%20b%3Bc");
    assert_int_equal(md_params_append_uri(buf, 20, "x", "yyyyyyyyyyyy"), -1);
    assert_true(md_params_is_known("dest2"));
    assert_false(md_params_is_known("name"));
    md_params_clear(&uri);
    md_params_clear(&msml);
    md_params_clear(&bad);
    assert_int_equal(uri.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsm_happy_path),
        cmocka_unit_test(test_fsm_serialises_updates),
        cmocka_unit_test(test_fsm_failures),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_plan_one_session),
        cmocka_unit_test(test_plan_per_party_and_duplicate),
        cmocka_unit_test(test_failover_plan_and_answer_checks),
        cmocka_unit_test(test_siprec_bodies),
        cmocka_unit_test(test_ports_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
