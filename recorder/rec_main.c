/* arec-recorder: reference SIP recorder writing a WAV file and a JSON sidecar per session. */
#include "rec_sip.h"

#include "ar_err.h"
#include "ar_heap.h"
#include "ar_log.h"

#include <getopt.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/tport_tag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static GMainLoop *loop;
static rec_sip *sip;

static void usage(FILE *fp)
{
    fprintf(fp, "usage: arec-recorder --sip HOST:PORT --dir DIR --ports-file FILE\n"
                "         [--reject-video] [--answer-delay MS] [--reject CODE]\n"
                "         [--drop-after SECONDS] [--rtp-ports LO-HI] [--log-level SPEC]\n"
                "         [--tls-cert-dir DIR] [--sips-port N] [--tls-verify all|out|in|none]\n");
}

/* The ports file tells tests and scripts where we listen; written whole or not at all. */
static int write_ports_file(const char *path, uint16_t port, uint16_t sips_port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp)
        return -1;
    int bad = fprintf(fp, "SIP_PORT=%u\nPID=%ld\n", (unsigned)port, (long)getpid()) < 0;
    if (sips_port)
        bad |= fprintf(fp, "SIPS_PORT=%u\n", (unsigned)sips_port) < 0;
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static void on_shutdown_done(void *arg)
{
    (void)arg;
    g_main_loop_quit(loop);
}

static gboolean on_signal(gpointer data)
{
    (void)data;
    LOG_INFO(core, "signal received, ending sessions");
    rec_sip_shutdown(sip, on_shutdown_done, NULL);
    return G_SOURCE_CONTINUE;
}

/* --tls-cert-dir must hold agent.pem (certificate + key) and cafile.pem (trusted CAs). */
static int tls_dir_ok(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/agent.pem", dir);
    int ok = access(path, R_OK) == 0;
    snprintf(path, sizeof path, "%s/cafile.pem", dir);
    if (!ok || access(path, R_OK) != 0) {
        fprintf(stderr, "arec-recorder: %s needs readable agent.pem and cafile.pem\n", dir);
        return 0;
    }
    return 1;
}

static int tls_verify_policy(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned v;
    } p[] = {{"all", TPTLS_VERIFY_ALL},
             {"out", TPTLS_VERIFY_OUT},
             {"in", TPTLS_VERIFY_IN},
             {"none", TPTLS_VERIFY_NONE}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        if (!strcmp(s, p[i].name)) {
            *out = p[i].v;
            return 0;
        }
    }
    return -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"sip", required_argument, NULL, 's'},
                                             {"dir", required_argument, NULL, 'd'},
                                             {"ports-file", required_argument, NULL, 'p'},
                                             {"reject-video", no_argument, NULL, 'v'},
                                             {"answer-delay", required_argument, NULL, 'a'},
                                             {"reject", required_argument, NULL, 'r'},
                                             {"drop-after", required_argument, NULL, 'D'},
                                             {"rtp-ports", required_argument, NULL, 'R'},
                                             {"log-level", required_argument, NULL, 'l'},
                                             {"tls-cert-dir", required_argument, NULL, 'T'},
                                             {"sips-port", required_argument, NULL, 'S'},
                                             {"tls-verify", required_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    ar_heap_tune();
    rec_sip_opts o;
    const char *sip_arg = "127.0.0.1:0", *ports_file = NULL;
    int rc = 1, opt, port = 0;
    su_root_t *root = NULL;
    char host[64];

    memset(&o, 0, sizeof o);
    o.tls_verify = TPTLS_VERIFY_ALL;
    ar_log_set_ident("arec-recorder");
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            sip_arg = optarg;
            break;
        case 'd':
            o.media.dir = optarg;
            break;
        case 'p':
            ports_file = optarg;
            break;
        case 'v':
            o.media.reject_video = 1;
            break;
        case 'a':
            if (parse_int(optarg, 0, 600000, &o.answer_delay_ms) != 0)
                goto bad_arg;
            break;
        case 'r':
            if (parse_int(optarg, 300, 699, &o.reject_code) != 0)
                goto bad_arg;
            break;
        case 'D':
            if (parse_int(optarg, 1, 86400, &o.drop_after_s) != 0)
                goto bad_arg;
            break;
        case 'R':
            if (rec_port_range_parse(optarg, &o.media.ports) != 0)
                goto bad_arg;
            break;
        case 'l':
            if (ar_log_parse(optarg) != 0)
                goto bad_arg;
            break;
        case 'T': /* SIPS: sofia-sip TLS with DIR/agent.pem and DIR/cafile.pem */
            if (!tls_dir_ok(optarg))
                goto bad_arg;
            o.tls_cert_dir = optarg;
            break;
        case 'S':
            if (parse_int(optarg, 0, 65535, &port) != 0)
                goto bad_arg;
            o.sips_port = (uint16_t)port;
            break;
        case 'V':
            if (tls_verify_policy(optarg, &o.tls_verify) != 0)
                goto bad_arg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    const char *colon = strrchr(sip_arg, ':');
    if (!colon || (size_t)(colon - sip_arg) >= sizeof host ||
        parse_int(colon + 1, 0, 65535, &port) != 0) {
        fprintf(stderr, "arec-recorder: --sip wants HOST:PORT\n");
        return 2;
    }
    memcpy(host, sip_arg, (size_t)(colon - sip_arg));
    host[colon - sip_arg] = '\0';
    o.host = host;
    o.port = (uint16_t)port;
    struct stat st;
    if (!o.media.dir || !ports_file || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (stat(o.media.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "arec-recorder: %s is not a directory\n", o.media.dir);
        return 2;
    }

    su_init();
    loop = g_main_loop_new(NULL, FALSE);
    root = su_glib_root_create(NULL);
    if (!root) {
        LOG_ERR(core, "cannot create the sofia-sip root");
        goto cleanup;
    }
    g_source_attach(su_glib_root_gsource(root), NULL);
    if (rec_sip_new(&sip, root, &o) != AR_E_OK) {
        LOG_ERR(core, "cannot bind SIP on %s", sip_arg);
        goto cleanup;
    }
    if (write_ports_file(ports_file, rec_sip_port(sip), rec_sip_sips_port(sip)) != 0) {
        LOG_ERR(core, "cannot write %s", ports_file);
        goto cleanup;
    }
    LOG_INFO(core, "listening for SIP on %s:%u (UDP+TCP), recording into %s", host,
             rec_sip_port(sip), o.media.dir);
    g_unix_signal_add(SIGTERM, on_signal, NULL);
    g_unix_signal_add(SIGINT, on_signal, NULL);
    g_main_loop_run(loop);
    rc = 0;
cleanup:
    rec_sip_free(&sip);
    if (root)
        su_root_destroy(root);
    if (loop)
        g_main_loop_unref(loop);
    su_deinit();
    return rc;

bad_arg:
    fprintf(stderr, "arec-recorder: bad value for option: %s\n", optarg);
    return 2;
}
