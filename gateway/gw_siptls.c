/* gatewayd SIPS: sofia-sip's TLS transport settings (certificates, verify policy, URIs). */
#include "gw_siptls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdbool.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/tport_tag.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ar_tlsverify.h"

struct gw_siptls {
    char *dir;    /* what TPTAG_CERTIFICATE names */
    char *tmpdir; /* our private copy (files given one by one), NULL otherwise */
    char *host;   /* sips-listen host */
    int port;     /* sips-listen port (0 = pick one) */
    int policy;   /* TPTLS_VERIFY_* */
    char *policy_name;
};

/* dir must hold readable agent.pem and cafile.pem: the layout sofia-sip reads. */
static char *check_dir(const char *dir)
{
    static const char *files[] = {"agent.pem", "cafile.pem"};
    for (size_t i = 0; i < 2; i++) {
        char *path = g_build_filename(dir, files[i], NULL);
        int ok = access(path, R_OK) == 0;
        g_free(path);
        if (!ok)
            return g_strdup_printf("sip-tls-cert-dir %s: %s missing or unreadable", dir, files[i]);
    }
    return NULL;
}

/* Append the file at path to out (0600), for the private copy. */
static char *append_file(FILE *out, const char *key, const char *path)
{
    char *text = NULL;
    gsize n = 0;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &text, &n, &ge)) {
        char *e = g_strdup_printf("%s %s: %s", key, path, ge->message);
        g_error_free(ge);
        return e;
    }
    /* A PEM without a final newline would glue its END line to the next BEGIN. */
    bool nl = n > 0 && text[n - 1] == '\n';
    size_t w = fwrite(text, 1, n, out);
    if (!nl)
        fputc('\n', out);
    memset(text, 0, n); /* may be the private key */
    g_free(text);
    return w == n ? NULL : g_strdup_printf("%s: cannot copy %s", key, path);
}

static char *write_pem(const char *dir, const char *name, const char *k1, const char *p1,
                       const char *k2, const char *p2)
{
    char *path = g_build_filename(dir, name, NULL);
    char *err = NULL;
    mode_t old = umask(077);
    FILE *f = fopen(path, "w");
    umask(old);
    if (!f) {
        err = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
        goto cleanup;
    }
    err = append_file(f, k1, p1);
    if (!err && p2)
        err = append_file(f, k2, p2);
    if (fclose(f) != 0 && !err)
        err = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
cleanup:
    g_free(path);
    return err;
}

/* sip-tls-cert / -key / -ca: sofia-sip's directory layout in a private temporary dir. */
static char *make_private_dir(gw_siptls *t, const struct gw_sip_tls_conf *c)
{
    if (!c->cert || !c->key || !c->ca)
        return g_strdup("SIPS needs sip-tls-cert-dir, or sip-tls-cert, sip-tls-key and "
                        "sip-tls-ca");
    /* g_dir_make_tmp's default template: a fresh 0700 directory in the temporary dir. */
    GError *ge = NULL;
    char *tmpl = g_dir_make_tmp(NULL, &ge);
    if (!tmpl) {
        char *e = g_strdup_printf("cannot create a private certificate dir: %s", ge->message);
        g_error_free(ge);
        return e;
    }
    t->tmpdir = tmpl;
    t->dir = g_strdup(tmpl);
    char *err = write_pem(tmpl, "agent.pem", "sip-tls-key", c->key, "sip-tls-cert", c->cert);
    if (!err)
        err = write_pem(tmpl, "cafile.pem", "sip-tls-ca", c->ca, NULL, NULL);
    return err;
}

gw_siptls *gw_siptls_new(const gw_config *cfg, char **err)
{
    *err = NULL;
    if (!cfg->sips_listen.host)
        return NULL;
    const struct gw_sip_tls_conf *c = &cfg->sip_tls;
    gw_siptls *t = g_new0(gw_siptls, 1);
    t->host = g_strdup(cfg->sips_listen.host);
    t->port = cfg->sips_listen.port;
    t->policy_name = g_strdup(c->verify ? c->verify : "out");
    t->policy = ar_tls_verify_policy(t->policy_name);
    if (t->policy < 0) {
        *err = g_strdup_printf("sip-tls-verify: expected all, out, in or none, got \"%s\"",
                               t->policy_name);
        goto fail;
    }
    if (c->cert_dir && (c->cert || c->key || c->ca)) {
        *err = g_strdup("give sip-tls-cert-dir or sip-tls-cert/-key/-ca, not both");
        goto fail;
    }
    if (c->cert_dir) {
        t->dir = g_strdup(c->cert_dir);
        *err = check_dir(t->dir);
    } else {
        *err = make_private_dir(t, c);
    }
    if (*err)
        goto fail;
    return t;
fail:
    gw_siptls_free(&t);
    return NULL;
}

const char *gw_siptls_dir(const gw_siptls *t)
{
    return t->dir;
}

unsigned gw_siptls_policy(const gw_siptls *t)
{
    return (unsigned)t->policy;
}

const char *gw_siptls_policy_name(const gw_siptls *t)
{
    return t->policy_name;
}

/* Bind one socket of type to host:port (0 = any); its port, or -1. fd is left open. */
static int bind_one(const char *host, int type, int port, int *fd)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    bool v6 = strchr(host, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return -1;
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return -1;
        sl = sizeof *a;
    }
    *fd = socket(ss.ss_family, type, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&ss, sl) != 0 ||
        getsockname(*fd, (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    return ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                    : ((struct sockaddr_in *)&ss)->sin_port);
}

int gw_siptls_probe_port(const char *host, bool udp_too)
{
    /* A few tries: the TCP port the kernel picks may be taken for UDP. */
    for (int i = 0; i < 20; i++) {
        int tfd = -1, ufd = -1;
        int port = bind_one(host, SOCK_STREAM, 0, &tfd);
        if (port > 0 && udp_too && bind_one(host, SOCK_DGRAM, port, &ufd) != port)
            port = 0;
        if (tfd >= 0)
            close(tfd);
        if (ufd >= 0)
            close(ufd);
        if (port != 0)
            return port;
    }
    return -1;
}

int gw_siptls_port(const gw_siptls *t)
{
    /* sofia-sip reports only one transport's port back: pick a free one ourselves. */
    return t->port > 0 ? t->port : gw_siptls_probe_port(t->host, false);
}

void gw_siptls_loaded(gw_siptls *t)
{
    if (!t || !t->tmpdir)
        return;
    static const char *files[] = {"agent.pem", "cafile.pem"};
    for (size_t i = 0; i < 2; i++) {
        char *path = g_build_filename(t->tmpdir, files[i], NULL);
        g_unlink(path);
        g_free(path);
    }
    g_rmdir(t->tmpdir);
    g_free(t->tmpdir);
    t->tmpdir = NULL;
}

void gw_siptls_free(gw_siptls **pt)
{
    gw_siptls *t = *pt;
    if (!t)
        return;
    gw_siptls_loaded(t);
    g_free(t->dir);
    g_free(t->host);
    g_free(t->policy_name);
    g_free(t);
    *pt = NULL;
}

const char *gw_siptls_scheme(const char *uri)
{
    return uri && strncasecmp(uri, "sips:", 5) == 0 ? "sips" : "sip";
}

const char *gw_siptls_transport(const char *uri, char *buf, size_t cap)
{
    if (cap)
        buf[0] = '\0';
    const char *p = uri ? strcasestr(uri, ";transport=") : NULL;
    if (!p || cap < 2)
        return buf;
    p += 11;
    size_t n = 0;
    while (p[n] && p[n] != ';' && p[n] != '>' && p[n] != '?' && n < 8)
        n++;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]))
            return buf; /* not a transport token: pass nothing */
    snprintf(buf, cap, ";transport=%.*s", (int)n, p);
    return buf;
}

char *gw_siptls_contact(const gw_siptls *t, const char *host, int port, int sips_port,
                        const char *ruri, const void *sipv)
{
    if (!t)
        return NULL;
    const sip_t *sip = sipv;
    char tp[24];
    bool sips = false, tls = false, tcp = false;
    if (ruri) {
        sips = strcmp(gw_siptls_scheme(ruri), "sips") == 0;
        gw_siptls_transport(ruri, tp, sizeof tp);
        tls = sips || strcasecmp(tp, ";transport=tls") == 0;
        tcp = strcasecmp(tp, ";transport=tcp") == 0;
    } else if (sip && sip->sip_via && sip->sip_via->v_protocol) {
        const char *proto = sip->sip_via->v_protocol;
        tls = strcasecmp(proto, "SIP/2.0/TLS") == 0;
        tcp = strcasecmp(proto, "SIP/2.0/TCP") == 0;
        sips = tls && sip->sip_request && sip->sip_request->rq_url->url_type == url_sips;
    }
    if (sips || tls) { /* the TLS transport may listen on another address (sips-listen) */
        bool v6 = strchr(t->host, ':') != NULL;
        return g_strdup_printf(sips ? "<sips:%s%s%s:%d>" : "<sip:%s%s%s:%d;transport=tls>",
                               v6 ? "[" : "", t->host, v6 ? "]" : "", sips_port);
    }
    const char *h1 = strchr(host, ':') ? "[" : "", *h2 = strchr(host, ':') ? "]" : "";
    return g_strdup_printf("<sip:%s%s%s:%d%s>", h1, host, h2, port, tcp ? ";transport=tcp" : "");
}
