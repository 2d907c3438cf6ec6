/* Unit tests for gw_siptls: SIPS settings, the private certificate dir, URIs and Contacts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/tport_tag.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ar_tlsverify.h"
#include "gw_config.h"
#include "gw_siptls.h"

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *p = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(p, text, -1, NULL));
    return p;
}

static void test_policy_and_uris(void **state)
{
    (void)state;
    assert_int_equal(ar_tls_verify_policy("all"), TPTLS_VERIFY_ALL);
    assert_int_equal(ar_tls_verify_policy("out"), TPTLS_VERIFY_OUT);
    assert_int_equal(ar_tls_verify_policy("in"), TPTLS_VERIFY_IN);
    assert_int_equal(ar_tls_verify_policy("none"), TPTLS_VERIFY_NONE);
    assert_int_equal(ar_tls_verify_policy("yes"), -1);
    assert_string_equal(gw_siptls_scheme("sips:10.0.0.1:5061"), "sips");
    assert_string_equal(gw_siptls_scheme("SIPS:x"), "sips");
    assert_string_equal(gw_siptls_scheme("sip:10.0.0.1"), "sip");
    assert_string_equal(gw_siptls_scheme(NULL), "sip");
    char buf[24];
    assert_string_equal(gw_siptls_transport("sip:h:5061;transport=tls", buf, sizeof buf),
                        ";transport=tls");
    assert_string_equal(gw_siptls_transport("sip:h;transport=TCP;lr", buf, sizeof buf),
                        ";transport=TCP");
    assert_string_equal(gw_siptls_transport("sip:h:5060", buf, sizeof buf), "");
    /* not a token: nothing passed on (no header injection through the contact) */
    assert_string_equal(gw_siptls_transport("sip:h;transport=t\r\nX", buf, sizeof buf), "");
    assert_string_equal(gw_siptls_transport(NULL, buf, sizeof buf), "");
}

static gw_config *cfg_new(void)
{
    gw_config *c = g_new0(gw_config, 1);
    c->sips_listen.host = g_strdup("127.0.0.1");
    c->sips_listen.port = 5061;
    return c;
}

static void cfg_free(gw_config *c)
{
    g_free(c->sips_listen.host);
    g_free(c->sip_tls.cert_dir);
    g_free(c->sip_tls.cert);
    g_free(c->sip_tls.key);
    g_free(c->sip_tls.ca);
    g_free(c->sip_tls.verify);
    g_free(c);
}

static void test_settings(void **state)
{
    (void)state;
    char *err = NULL;
    gw_config *c = cfg_new();
    /* SIPS off: no settings, no error */
    g_free(c->sips_listen.host);
    c->sips_listen.host = NULL;
    assert_null(gw_siptls_new(c, &err));
    assert_null(err);
    c->sips_listen.host = g_strdup("127.0.0.1");
    /* no certificate given */
    assert_null(gw_siptls_new(c, &err));
    assert_non_null(strstr(err, "sip-tls-cert-dir"));
    g_free(err);
    /* a dir without the files sofia-sip reads */
    char *dir = g_dir_make_tmp(NULL, NULL);
    c->sip_tls.cert_dir = g_strdup(dir);
    assert_null(gw_siptls_new(c, &err));
    assert_non_null(strstr(err, "agent.pem"));
    g_free(err);
    char *agent = write_file(dir, "agent.pem", "KEY\nCERT\n");
    char *ca = write_file(dir, "cafile.pem", "CA\n");
    c->sip_tls.verify = g_strdup("maybe");
    assert_null(gw_siptls_new(c, &err));
    assert_non_null(strstr(err, "sip-tls-verify"));
    g_free(err);
    g_free(c->sip_tls.verify);
    c->sip_tls.verify = NULL;
    gw_siptls *t = gw_siptls_new(c, &err);
    assert_non_null(t);
    assert_string_equal(gw_siptls_dir(t), dir);
    assert_int_equal(gw_siptls_policy(t), TPTLS_VERIFY_OUT); /* the default */
    assert_int_equal(gw_siptls_port(t), 5061);
    gw_siptls_loaded(t); /* the operator's dir is left alone */
    assert_int_equal(access(agent, R_OK), 0);
    gw_siptls_free(&t);
    /* both ways at once: refused */
    c->sip_tls.cert = g_strdup(agent);
    assert_null(gw_siptls_new(c, &err));
    g_free(err);
    g_free(c->sip_tls.cert_dir);
    c->sip_tls.cert_dir = NULL;
    /* files one by one: a private 0700 copy, key first, removed once loaded */
    c->sip_tls.key = write_file(dir, "k.pem", "KEY"); /* no final newline */
    c->sip_tls.ca = g_strdup(ca);
    c->sip_tls.verify = g_strdup("all");
    t = gw_siptls_new(c, &err);
    assert_non_null(t);
    assert_null(err);
    assert_int_equal(gw_siptls_policy(t), TPTLS_VERIFY_ALL);
    char *copy = g_strdup(gw_siptls_dir(t));
    assert_string_not_equal(copy, dir);
    struct stat st;
    assert_int_equal(stat(copy, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char *pa = g_build_filename(copy, "agent.pem", NULL), *text = NULL;
    assert_true(g_file_get_contents(pa, &text, NULL, NULL));
    assert_string_equal(text, "KEY\nKEY\nCERT\n");
    g_free(text);
    gw_siptls_loaded(t);
    assert_int_not_equal(access(pa, F_OK), 0);
    assert_int_not_equal(access(copy, F_OK), 0);
    gw_siptls_free(&t);
    g_free(pa);
    g_free(copy);
    /* port 0: a free one is probed */
    c->sips_listen.port = 0;
    t = gw_siptls_new(c, &err);
    int port = gw_siptls_port(t);
    assert_true(port > 0 && port < 65536);
    gw_siptls_free(&t);
    assert_true(gw_siptls_probe_port("127.0.0.1", true) > 0);
    assert_int_equal(gw_siptls_probe_port("not-an-address", false), -1);
    g_unlink(c->sip_tls.key);
    g_unlink(agent);
    g_unlink(ca);
    g_rmdir(dir);
    g_free(agent);
    g_free(ca);
    g_free(dir);
    cfg_free(c);
}

static void test_contact(void **state)
{
    (void)state;
    gw_config *c = cfg_new();
    char *dir = g_dir_make_tmp(NULL, NULL);
    g_free(write_file(dir, "agent.pem", "K\n"));
    g_free(write_file(dir, "cafile.pem", "C\n"));
    c->sip_tls.cert_dir = g_strdup(dir);
    char *err = NULL;
    gw_siptls *t = gw_siptls_new(c, &err);
    assert_non_null(t);
    /* SIPS off: nua's own Contact */
    assert_null(gw_siptls_contact(NULL, "10.0.0.1", 5060, 0, "sip:a@b", NULL));
    char *m = gw_siptls_contact(t, "10.0.0.1", 5060, 5061, "sips:1001@10.0.0.9:5061", NULL);
    assert_string_equal(m, "<sips:127.0.0.1:5061>");
    g_free(m);
    m = gw_siptls_contact(t, "10.0.0.1", 5060, 5061, "sip:1001@h:7;transport=tls", NULL);
    assert_string_equal(m, "<sip:127.0.0.1:5061;transport=tls>");
    g_free(m);
    m = gw_siptls_contact(t, "10.0.0.1", 5060, 5061, "sip:1001@h:7;transport=tcp", NULL);
    assert_string_equal(m, "<sip:10.0.0.1:5060;transport=tcp>");
    g_free(m);
    m = gw_siptls_contact(t, "::1", 5060, 5061, "sip:1001@h:7", NULL);
    assert_string_equal(m, "<sip:[::1]:5060>");
    g_free(m);
    /* an incoming INVITE: by its Via */
    su_home_t *home = su_home_new(sizeof(su_home_t));
    static const char inv[] = "INVITE sips:5010@127.0.0.1:5061 SIP/2.0\r\n"
                              "Via: SIP/2.0/TLS 127.0.0.1:4000;branch=z9hG4bK1\r\n"
                              "From: <sip:a@b>;tag=1\r\nTo: <sip:5010@c>\r\n"
                              "Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    msg_t *msg = msg_make(sip_default_mclass(), 0, inv, sizeof inv - 1);
    assert_non_null(msg);
    m = gw_siptls_contact(t, "10.0.0.1", 5060, 5061, NULL, sip_object(msg));
    assert_string_equal(m, "<sips:127.0.0.1:5061>");
    g_free(m);
    msg_destroy(msg);
    static const char udp[] = "INVITE sip:5010@127.0.0.1 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bK1\r\n"
                              "From: <sip:a@b>;tag=1\r\nTo: <sip:5010@c>\r\n"
                              "Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    msg = msg_make(sip_default_mclass(), 0, udp, sizeof udp - 1);
    m = gw_siptls_contact(t, "10.0.0.1", 5060, 5061, NULL, sip_object(msg));
    assert_string_equal(m, "<sip:10.0.0.1:5060>");
    g_free(m);
    msg_destroy(msg);
    su_home_unref(home);
    gw_siptls_free(&t);
    char *p = g_build_filename(dir, "agent.pem", NULL);
    g_unlink(p);
    g_free(p);
    p = g_build_filename(dir, "cafile.pem", NULL);
    g_unlink(p);
    g_free(p);
    g_rmdir(dir);
    g_free(dir);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_and_uris),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_contact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
