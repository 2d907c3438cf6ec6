/* gatewayd entry point: command line, configuration, listeners, signals, main loop. */
#include <errno.h>
#include <getopt.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ar_log.h"
#include "gw_call.h"
#include "gw_config.h"
#include "gw_db_cfg.h"
#include "gw_health.h"
#include "gw_looptime.h"
#include "gw_server.h"
#include "gw_sip.h"
#include "gw_stopguard.h"
#include "gw_tcp.h"
#include "gw_tlprio.h"
#include "gw_ws.h"

typedef struct {
    const char *config_path;
    const char *ports_file;
    const char *log_level;
    const char *log_file;
    bool check_only;
    bool migrate;
    const char *db_dsn, *db_journal; /* override [database] dsn / journal */
} gw_opts;

typedef struct {
    GMainLoop *loop;
    gw_server *srv;
    const gw_opts *opts;
    gw_stopguard *guard; /* armed at the first SIGTERM / SIGINT */
} gw_app;

static void usage(FILE *f)
{
    fprintf(f, "usage: gatewayd -c FILE [--check-config] [--ports-file FILE] "
               "[--log-level SPEC] [--log-file FILE]\n"
               "  -c, --config FILE      configuration file (docs/configuration.md)\n"
               "      --check-config     validate the configuration and exit (0 = valid)\n"
               "      --migrate          apply schema/ migrations to [database] dsn and exit\n"
               "      --db-dsn DSN       PostgreSQL to use instead of [database] dsn\n"
               "      --db-journal FILE  database journal instead of [database] journal\n"
               "      --ports-file FILE  when listening, write TLIB/WS/HTTP/SIP_PORT and PID\n"
               "      --log-level SPEC   \"info\" or \"tlib=debug,ws=info\" (overrides the file)\n"
               "      --log-file FILE    append the log to FILE instead of stderr\n");
}

static int parse_args(int argc, char **argv, gw_opts *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"migrate", no_argument, NULL, 'm'},
        {"db-dsn", required_argument, NULL, 'D'},
        {"db-journal", required_argument, NULL, 'J'},
        {"ports-file", required_argument, NULL, 'p'},
        {"log-level", required_argument, NULL, 'l'},
        {"log-file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'k':
            o->check_only = true;
            break;
        case 'm':
            o->migrate = true;
            break;
        case 'D':
            o->db_dsn = optarg;
            break;
        case 'J':
            o->db_journal = optarg;
            break;
        case 'p':
            o->ports_file = optarg;
            break;
        case 'l':
            o->log_level = optarg;
            break;
        case 'f':
            o->log_file = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (!o->config_path || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static void print_errors(const gw_config_errors *errs, FILE *f)
{
    for (size_t i = 0; i < errs->n; i++)
        fprintf(f, "%s\n", errs->msgs[i]);
}

/* 1,000+ clients need more descriptors than the usual soft limit of 1024. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        LOG_WARN(core, "cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)want,
                 g_strerror(errno));
}

/* Shell-sourcable port file, written atomically so a reader never sees half of it. */
static int write_ports_file(const char *path, int tlib_port, int ws_port, int sip_port,
                            int sips_port)
{
    char *tmp = g_strdup_printf("%s.tmp.%d", path, (int)getpid());
    char sip[64] = "";
    if (sip_port > 0)
        snprintf(sip, sizeof sip, "SIP_PORT=%d\n", sip_port);
    if (sips_port > 0) /* SIPS (docs/sip.md) */
        snprintf(sip + strlen(sip), sizeof sip - strlen(sip), "SIPS_PORT=%d\n", sips_port);
    char *text = g_strdup_printf("TLIB_PORT=%d\nWS_PORT=%d\nHTTP_PORT=%d\n%sPID=%d\n", tlib_port,
                                 ws_port, ws_port, sip, (int)getpid());
    GError *ge = NULL;
    int rc = 0;
    if (!g_file_set_contents(tmp, text, -1, &ge) || rename(tmp, path) != 0) {
        LOG_ERR(core, "cannot write ports file %s: %s", path, ge ? ge->message : g_strerror(errno));
        unlink(tmp);
        rc = -1;
    }
    if (ge)
        g_error_free(ge);
    g_free(tmp);
    g_free(text);
    return rc;
}

static void quit(gw_app *app)
{
    LOG_INFO(core, "signal received: shutting down");
    /* The stop waits shutdown-timeout-ms for the legs, then up to 1 s for nua: past that
     * plus a margin the guard ends the process (docs/calls.md "Shutdown"). */
    if (!app->guard)
        app->guard = gw_stopguard_start(app->srv->cfg->shutdown_timeout_ms +
                                            GW_SIP_FINAL_SHUTDOWN_MS + GW_STOPGUARD_MARGIN_MS,
                                        1);
    g_main_loop_quit(app->loop);
}

static void reload(gw_app *app)
{
    gw_config_errors errs = {0};
    const char *path = app->srv->cfg->path;
    LOG_INFO(config, "SIGHUP: reloading %s", path);
    gw_config *cfg = gw_config_load(path, &errs);
    if (!cfg) {
        for (size_t i = 0; i < errs.n; i++)
            LOG_ERR(config, "%s", errs.msgs[i]);
        LOG_ERR(config, "reload rejected (%zu error(s)); keeping the running configuration",
                errs.n);
        gw_config_errors_clear(&errs);
        return;
    }
    if (!app->opts->log_level && cfg->log_level)
        ar_log_parse(cfg->log_level);
    gw_server_reload(app->srv, cfg);
    gw_health_reload(app->srv->health);
}

/*
 * Signals arrive through a signalfd watched by the loop: no handler runs in signal
 * context and, unlike g_unix_signal_add(), no helper thread is started.
 */
static gboolean on_signal(gint fd, GIOCondition cond, gpointer ud)
{
    (void)cond;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP)
            reload(ud);
        else
            quit(ud);
    }
    return G_SOURCE_CONTINUE;
}

static int signals_open(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, set, NULL) != 0)
        return -1;
    return signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
    gw_opts opts = {0};
    gw_config_errors errs = {0};
    gw_config *cfg = NULL;
    gw_server *srv = NULL;
    gw_tcp *tcp = NULL;
    gw_ws *ws = NULL;
    gw_sip *sip = NULL;
    GMainLoop *loop = NULL;
    char *err = NULL;
    int rc = 1;
    guint sig_watch = 0;
    int sig_fd = -1;
    sigset_t sigs;
    gw_app app = {0};

    ar_log_set_ident("gatewayd");
    if (parse_args(argc, argv, &opts) != 0)
        return 2;
    if (opts.log_file && !freopen(opts.log_file, "a", stderr)) {
        fprintf(stdout, "gatewayd: cannot open log file %s: %s\n", opts.log_file, strerror(errno));
        return 1;
    }
    if (opts.log_file)
        setvbuf(stderr, NULL, _IOLBF, 0); /* freopen made it fully buffered */
    if (opts.log_level && ar_log_parse(opts.log_level) != 0) {
        fprintf(stderr, "gatewayd: bad --log-level \"%s\"\n", opts.log_level);
        return 2;
    }
    cfg = gw_config_load(opts.config_path, &errs);
    if (opts.check_only) {
        print_errors(&errs, stdout);
        if (cfg)
            printf("%s: OK (%zu DNs, %zu agents, %zu applications)\n", opts.config_path, cfg->n_dns,
                   cfg->n_agents, cfg->n_apps);
        rc = cfg ? 0 : 1;
        goto cleanup;
    }
    if (!cfg) {
        print_errors(&errs, stderr);
        goto cleanup;
    }
    if (opts.db_dsn)
        g_free(cfg->db.dsn), cfg->db.dsn = g_strdup(opts.db_dsn);
    if (opts.db_journal)
        g_free(cfg->db.journal), cfg->db.journal = g_strdup(opts.db_journal);
    if (opts.migrate) {
        rc = gw_db_migrate_config(cfg);
        goto cleanup;
    }
    if (!opts.log_level && cfg->log_level)
        ar_log_parse(cfg->log_level);
    raise_nofile();

    loop = g_main_loop_new(NULL, FALSE);
    srv = gw_server_new(cfg);
    cfg = NULL;
    /* Before the transports create their sources (docs/sip.md "Throughput"). */
    gw_looptime_install(g_main_loop_get_context(loop));
    gw_tlprio_configure(srv->cfg->tlib_first);
    srv->calls = gw_calls_new(srv);
    /* The CDR writer never blocks the loop: it connects (and migrates) in the background. */
    srv->db = gw_db_from_config(srv->cfg, &err);
    if (!srv->db && err) {
        LOG_ERR(core, "%s", err);
        goto cleanup;
    }
    tcp = gw_tcp_new(srv, &srv->cfg->tlib_listen, &err);
    if (tcp)
        ws = gw_ws_new(srv, loop, &srv->cfg->ws_listen, srv->cfg->web_root, &err);
    if (!tcp || !ws) {
        LOG_ERR(core, "%s", err);
        goto cleanup;
    }
    /* SIP (sip-listen set): the B2BUA reports to the call model, which drives it back. */
    if (srv->cfg->sip_listen.host) {
        sip = gw_sip_new(srv, srv->calls, &err);
        if (!sip) {
            LOG_ERR(core, "%s", err);
            goto cleanup;
        }
        gw_calls_set_sip(srv->calls, gw_sip_ops_table(), sip);
        srv->health = gw_health_new(srv, sip); /* OPTIONS to mediad and the recorder */
    }
    /* The loop thread's (T-Lib, WebSocket, the call model), once the SIP stack's thread
     * runs: that one keeps the default. At real-time priority it would hold a core against
     * mediad and the recorder on the same host whenever SIP is busy (measured: recording
     * start p99 0.7 s instead of 60-90 ms at 200 calls/s). */
    ar_sched_apply_logged(&srv->cfg->scheduling, 0, AR_LOG_core, "scheduling",
                          "the main loop's thread");
    if (opts.ports_file && write_ports_file(opts.ports_file, gw_tcp_port(tcp), gw_ws_port(ws),
                                            gw_sip_port(sip), gw_sip_sips_port(sip)))
        goto cleanup;

    app.loop = loop;
    app.srv = srv;
    app.opts = &opts;
    signal(SIGPIPE, SIG_IGN);
    sig_fd = signals_open(&sigs);
    if (sig_fd < 0) {
        LOG_ERR(core, "signalfd: %s", g_strerror(errno));
        goto cleanup;
    }
    sig_watch = g_unix_fd_add(sig_fd, G_IO_IN, on_signal, &app);
    LOG_INFO(core, "%s started: site %s, %zu DNs, %zu applications (pid %d)", GW_SERVER_VERSION,
             srv->cfg->site, gw_dn_table_size(srv->dns), srv->cfg->n_apps, (int)getpid());
    g_main_loop_run(loop);
    rc = 0;

cleanup:
    if (sig_watch)
        g_source_remove(sig_watch);
    if (sig_fd >= 0)
        close(sig_fd);
    gw_ws_free(&ws);
    gw_tcp_free(&tcp);
    if (srv)
        gw_calls_free(&srv->calls); /* releases every leg while the SIP layer still exists */
    if (srv)
        gw_health_free(&srv->health); /* its pings live on the SIP stack */
    gw_sip_free(&sip);
    if (srv)
        gw_db_free(&srv->db); /* unwritten rows stay in the journal for the next start */
    gw_server_free(&srv);
    gw_config_free(&cfg);
    gw_config_errors_clear(&errs);
    g_free(err);
    if (loop)
        g_main_loop_unref(loop);
    gw_stopguard_free(&app.guard); /* the stop finished in time */
    return rc;
}
