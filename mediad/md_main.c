/* mediad entry point: options, config file, ports file, GLib loop, clean shutdown. */
#include "ar_err.h"
#include "ar_heap.h"
#include "ar_log.h"
#include "ar_tlsverify.h"
#include "md_fetch.h"
#include "md_localwav.h"
#include "md_memstat.h"
#include "md_ports.h"
#include "md_shutdown.h"
#include "md_sip.h"
#include "md_tls.h"

#include <glib-unix.h>
#include <glib.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(
        stderr,
        "usage: mediad [--sip ADDR:PORT] [--rtp-ports LO-HI] [--max-ports N]\n"
        "              [--ports-file FILE] [--log-level SPEC] [--session-timer S] [--min-se S]\n"
        "              [--stats-file FILE] [--shutdown-timeout-ms MS]\n"
        "              [--scheduling default|rr:N|fifo:N|slice:US]\n"
        "              [--rec-timeout MS] [--rec-keepalive MS] [--fetch-timeout MS] "
        "[--recorder-srtp on|off]\n"
        "              [--recorder-srtp-fallback clear|refuse] [--local-dir DIR]\n"
        "              [--tls-cert-dir DIR] [--sips-port N] [--tls-verify all|out|in|none]\n"
        "              [-c FILE]\n");
}

static int parse_hostport(const char *s, md_config *cfg)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(cfg->sip_addr))
        return -1;
    memcpy(cfg->sip_addr, s, (size_t)(colon - s));
    cfg->sip_addr[colon - s] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    cfg->sip_port = (int)p;
    return 0;
}

static int parse_range(const char *s, md_config *cfg)
{
    unsigned lo, hi;
    char tail;
    if (sscanf(s, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 || hi > 65535 || lo >= hi)
        return -1;
    cfg->rtp_lo = (uint16_t)lo;
    cfg->rtp_hi = (uint16_t)hi;
    return 0;
}

/* One option, from the command line or the [mediad] group of the config file. */
static int apply_opt(md_config *cfg, char **ports_file, char **log_spec, const char *name,
                     const char *val)
{
    char *end = NULL;
    if (!strcmp(name, "sip"))
        return parse_hostport(val, cfg);
    if (!strcmp(name, "rtp-ports"))
        return parse_range(val, cfg);
    if (!strcmp(name, "max-ports")) {
        cfg->max_ports = (unsigned)strtoul(val, &end, 10);
        return *end ? -1 : 0;
    }
    if (!strcmp(name, "session-timer")) {
        cfg->session_timer = (unsigned)strtoul(val, &end, 10);
        return *end ? -1 : 0; /* checked against --min-se once every option is read */
    }
    if (!strcmp(name, "min-se")) {
        /* RFC 4028 floor; below 90 (its default) only for tests that need a refresh in seconds. */
        cfg->min_se = (unsigned)strtoul(val, &end, 10);
        return *end || cfg->min_se < 2 ? -1 : 0;
    }
    if (!strcmp(name, "rec-timeout")) {
        cfg->rec_timeout_ms = (unsigned)strtoul(val, &end, 10);
        return *end ? -1 : 0;
    }
    if (!strcmp(name, "scheduling")) {
        char why[160];
        if (ar_sched_parse(val, &cfg->scheduling, why, sizeof why))
            return 0;
        fprintf(stderr, "mediad: --scheduling %s\n", why);
        return -1;
    }
    if (!strcmp(name, "shutdown-timeout-ms")) {
        cfg->shutdown_ms = (unsigned)strtoul(val, &end, 10);
        return *end ? -1 : 0;
    }
    if (!strcmp(name, "rec-keepalive")) {
        cfg->rec_keepalive_ms = (unsigned)strtoul(val, &end, 10);
        return *end || (cfg->rec_keepalive_ms && cfg->rec_keepalive_ms < 100) ? -1 : 0;
    }
    if (!strcmp(name, "local-dir")) {
        if (strlen(val) >= sizeof(cfg->local_dir))
            return -1;
        snprintf(cfg->local_dir, sizeof(cfg->local_dir), "%s", val);
        return 0;
    }
    if (!strcmp(name, "stats-file")) {
        if (strlen(val) >= sizeof(cfg->stats_file))
            return -1;
        snprintf(cfg->stats_file, sizeof(cfg->stats_file), "%s", val);
        return 0;
    }
    if (!strcmp(name, "fetch-timeout")) {
        cfg->fetch_timeout_ms = (unsigned)strtoul(val, &end, 10);
        return *end || cfg->fetch_timeout_ms == 0 ? -1 : 0;
    }
    if (!strcmp(name, "recorder-srtp")) { /* SRTP options: docs/mediad.md "SRTP" */
        cfg->rec_srtp = !strcmp(val, "on") || !strcmp(val, "true") || !strcmp(val, "1");
        return cfg->rec_srtp || !strcmp(val, "off") || !strcmp(val, "false") || !strcmp(val, "0")
                   ? 0
                   : -1;
    }
    if (!strcmp(name, "tls-cert-dir")) { /* SIPS: docs/mediad.md "SIPS" */
        const char *why = NULL;
        if (strlen(val) >= sizeof(cfg->tls_cert_dir) || md_tls_check_dir(val, &why) != 0) {
            fprintf(stderr, "mediad: --tls-cert-dir %s: %s\n", val, why ? why : "too long");
            return -1;
        }
        snprintf(cfg->tls_cert_dir, sizeof(cfg->tls_cert_dir), "%s", val);
        return 0;
    }
    if (!strcmp(name, "sips-port")) {
        cfg->sips_port = (int)strtol(val, &end, 10);
        return *end || cfg->sips_port < 0 || cfg->sips_port > 65535 ? -1 : 0;
    }
    if (!strcmp(name, "tls-verify"))
        return (cfg->tls_verify = ar_tls_verify_policy(val)) < 0 ? -1 : 0;
    if (!strcmp(name, "recorder-srtp-fallback")) {
        cfg->rec_srtp_fallback = !strcmp(val, "clear");
        return cfg->rec_srtp_fallback || !strcmp(val, "refuse") ? 0 : -1;
    }
    if (!strcmp(name, "ports-file")) {
        g_free(*ports_file);
        *ports_file = g_strdup(val);
        return 0;
    }
    if (!strcmp(name, "log-level")) {
        g_free(*log_spec);
        *log_spec = g_strdup(val);
        return 0;
    }
    return -1;
}

static int load_config(const char *path, md_config *cfg, char **ports_file, char **log_spec)
{
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    int rc = 0;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        fprintf(stderr, "mediad: %s: %s\n", path, err->message);
        g_error_free(err);
        g_key_file_free(kf);
        return -1;
    }
    gchar **keys = g_key_file_get_keys(kf, "mediad", NULL, NULL);
    for (int i = 0; keys && keys[i] && rc == 0; i++) {
        gchar *v = g_key_file_get_string(kf, "mediad", keys[i], NULL);
        if (!v || apply_opt(cfg, ports_file, log_spec, keys[i], v) != 0) {
            fprintf(stderr, "mediad: %s: bad option %s\n", path, keys[i]);
            rc = -1;
        }
        g_free(v);
    }
    g_strfreev(keys);
    g_key_file_free(kf);
    return rc;
}

/* Write atomically (temp + rename) so a waiting test never reads half a file. */
static int write_ports_file(const char *path, int sip_port, int sips_port)
{
    char *tmp = g_strdup_printf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f) {
        fprintf(f, "SIP_PORT=%d\nPID=%d\n", sip_port, (int)getpid());
        if (sips_port)
            fprintf(f, "SIPS_PORT=%d\n", sips_port);
        if (fclose(f) == 0 && rename(tmp, path) == 0)
            rc = 0;
    }
    g_free(tmp);
    return rc;
}

static gboolean on_signal(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_CONTINUE;
}

/* SIGUSR1 with --stats-file: the memory figures, on the loop (it walks the call table). */
static gboolean on_stats(gpointer data)
{
    md_ctx *ctx = data;
    static unsigned seq;
    if (md_memstat_write(ctx, ctx->cfg.stats_file, ++seq) != AR_E_OK)
        LOG_WARN(core, "cannot write %s", ctx->cfg.stats_file);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    md_ctx ctx;
    ar_heap_tune();
    memset(&ctx, 0, sizeof(ctx));
    snprintf(ctx.cfg.sip_addr, sizeof(ctx.cfg.sip_addr), "127.0.0.1");
    ctx.cfg.rtp_lo = 30000;
    ctx.cfg.rtp_hi = 39999;
    ctx.cfg.session_timer = 1800;
    ctx.cfg.min_se = 90;
    /* Well below Timer B (32 s): a silent recorder must not hold the failover back. */
    ctx.cfg.rec_timeout_ms = 2000;
    ctx.cfg.rec_keepalive_ms = 1000;
    ctx.cfg.tls_verify = ar_tls_verify_policy("all");
    ctx.cfg.fetch_timeout_ms = 5000;
    ctx.cfg.shutdown_ms = MD_SHUTDOWN_TIMEOUT_MS;
    char *ports_file = NULL, *log_spec = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        }
        if (i + 1 >= argc) {
            usage();
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "-c")) {
            if (load_config(v, &ctx.cfg, &ports_file, &log_spec))
                return 2;
        } else if (strncmp(a, "--", 2) != 0 ||
                   apply_opt(&ctx.cfg, &ports_file, &log_spec, a + 2, v) != 0) {
            fprintf(stderr, "mediad: bad option %s %s\n", a, v);
            usage();
            return 2;
        }
    }
    if (ctx.cfg.session_timer && ctx.cfg.session_timer < ctx.cfg.min_se) {
        fprintf(stderr, "mediad: --session-timer %u is below --min-se %u\n", ctx.cfg.session_timer,
                ctx.cfg.min_se);
        return 2;
    }
    ar_log_set_ident("mediad");
    if (log_spec && ar_log_parse(log_spec) != 0) {
        fprintf(stderr, "mediad: bad --log-level %s\n", log_spec);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Before the engine's and the WAV writer's threads start: they inherit it. */
    ar_sched_apply_logged(&ctx.cfg.scheduling, 0, AR_LOG_core, "scheduling", "every thread");

    unsigned pairs = (unsigned)(ctx.cfg.rtp_hi - ctx.cfg.rtp_lo + 1) / 2;
    if (ctx.cfg.max_ports && ctx.cfg.max_ports < pairs)
        pairs = ctx.cfg.max_ports;
    ctx.env.ports =
        md_ports_new(ctx.cfg.sip_addr, ctx.cfg.rtp_lo, ctx.cfg.rtp_hi, ctx.cfg.max_ports);
    ctx.env.engine = md_engine_new(pairs);
    ctx.fetch = md_fetch_new(MD_AUDIOSRC_MAX_BYTES, ctx.cfg.fetch_timeout_ms);
    if (ctx.cfg.local_dir[0] && !(ctx.lw = md_lw_sys_new(ctx.cfg.local_dir)))
        LOG_ERR(core, "local recording directory %s is not writable", ctx.cfg.local_dir);
    ctx.env.media_addr = ctx.cfg.sip_addr;
    ctx.env.rec_srtp = ctx.cfg.rec_srtp;
    ctx.env.rec_srtp_fallback = ctx.cfg.rec_srtp_fallback;
    ctx.calls = g_hash_table_new(g_str_hash, g_str_equal);
    ctx.loop = g_main_loop_new(NULL, FALSE);
    if (!ctx.env.ports || !ctx.env.engine || !ctx.fetch || (ctx.cfg.local_dir[0] && !ctx.lw)) {
        LOG_ERR(core, "cannot set up media (address %s, ports %u-%u)", ctx.cfg.sip_addr,
                ctx.cfg.rtp_lo, ctx.cfg.rtp_hi);
        goto cleanup;
    }
    if (md_engine_start(ctx.env.engine) != AR_E_OK || md_sip_start(&ctx) != AR_E_OK) {
        LOG_ERR(core, "cannot start (SIP %s:%d)", ctx.cfg.sip_addr, ctx.cfg.sip_port);
        goto cleanup;
    }
    if (ports_file && write_ports_file(ports_file, ctx.bound_port, ctx.bound_sips) != 0) {
        LOG_ERR(core, "cannot write %s", ports_file);
        goto cleanup;
    }
    LOG_INFO(core, "mediad ready: SIP %s:%d, RTP %u-%u, %u port pairs", ctx.cfg.sip_addr,
             ctx.bound_port, ctx.cfg.rtp_lo, ctx.cfg.rtp_hi, pairs);
    g_unix_signal_add(SIGTERM, on_signal, ctx.loop);
    g_unix_signal_add(SIGINT, on_signal, ctx.loop);
    if (ctx.cfg.stats_file[0])
        g_unix_signal_add(SIGUSR1, on_stats, &ctx);
    g_main_loop_run(ctx.loop);
    LOG_INFO(core, "shutting down");
    rc = 0;
cleanup:
    md_sip_stop(&ctx);
    md_engine_free(&ctx.env.engine);
    md_fetch_free(&ctx.fetch); /* after the engine: its streams point into the tone cache */
    md_lw_sys_free(&ctx.lw);   /* after the engine: it closes the files the streams fed */
    md_ports_free(&ctx.env.ports);
    if (ctx.calls)
        g_hash_table_destroy(ctx.calls);
    if (ctx.loop)
        g_main_loop_unref(ctx.loop);
    g_free(ports_file);
    g_free(log_spec);
    return rc;
}
