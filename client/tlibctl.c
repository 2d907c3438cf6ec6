/* tlibctl: command-line T-Lib client (watch DNs, send one request, send raw bytes). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ar_buf.h"
#include "tl_codec.h"
#include "tlclient.h"

/* Exit codes (documented in --help and README.md). */
enum { EX_DONE = 0, EX_ERROR_EVENT = 1, EX_CONN = 2, EX_USAGE = 3 };

#define CONNECT_TIMEOUT_MS 5000
#define SLICE_MS           200

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct {
    const char *addr, *app, *password;
    int64_t count;    /* watch/raw: stop after this many messages (0 = no limit) */
    double timeout;   /* seconds; < 0 = none */
    bool no_register; /* request: do not register ThisDN first */
    bool do_register; /* raw: register the client before sending */
    unsigned version;
} opts;

static void usage(FILE *f)
{
    fputs("usage: tlibctl [-a HOST:PORT] [-u APP] [-p PASSWORD] COMMAND ...\n"
          "\n"
          "commands:\n"
          "  watch DN... [--count N] [--timeout S]\n"
          "      register the DNs and print every event as one JSON object per line (the\n"
          "      WebSocket JSON). The EventRegistered lines are printed but not counted:\n"
          "      --count N stops after N events received once all DNs are registered.\n"
          "      Exit 0 on --count reached, on SIGINT/SIGTERM, or when --timeout passes\n"
          "      without --count; 1 if a DN registration gets EventError; 2 on connection\n"
          "      failure or loss, or when --timeout passes before --count events.\n"
          "  request 'JSON' [--timeout S] [--no-register]\n"
          "      send one request written as JSON ({\"message\":\"RequestQueryServer\"}),\n"
          "      ReferenceID filled in if absent. When it names ThisDN the DN is registered\n"
          "      quietly first (except for RequestRegisterAddress / RequestQueryAddress, or\n"
          "      with --no-register). Prints the events answering it (same ReferenceID) as\n"
          "      JSON lines. Exit 0 on EventACK or the request's own reply event, 1 on\n"
          "      EventError, 2 on connection failure or timeout (default 10 s).\n"
          "  raw FILE [--register] [--count N] [--timeout S]\n"
          "      send FILE's bytes (- = stdin) as they are, print what comes back as JSON\n"
          "      lines until the server closes (exit 0), N messages (exit 0), or timeout\n"
          "      (exit 2). --register registers the client first.\n"
          "  encode 'JSON'... [--version V]\n"
          "      write each message as a binary frame to stdout (no ReferenceID added).\n"
          "\n"
          "options:\n"
          "  -a HOST:PORT   gatewayd T-Lib address (default $TLIB_ADDR)\n"
          "  -u APP         application name (default $TLIB_APP, else demo)\n"
          "  -p PASSWORD    application password (default $TLIB_PASSWORD)\n"
          "  -h, --help     this text\n"
          "Exit 3 on a usage error or a request that is not valid JSON.\n",
          f);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_of(double seconds)
{
    return seconds < 0 ? -1 : now_ms() + (int64_t)(seconds * 1000);
}

static int left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t l = deadline - now_ms();
    return l < 0 ? 0 : (int)l;
}

/* One JSON line on stdout, flushed so pipes see it at once. */
static void print_msg(const tl_msg *m)
{
    char *s = tl_json_encode_str(m);
    if (!s) {
        fprintf(stderr, "tlibctl: cannot encode message %u as JSON\n", m->type);
        return;
    }
    fputs(s, stdout);
    fputc('\n', stdout);
    /* A reader that went away (watch | head -1) ends the program like a signal. */
    if (fflush(stdout) != 0)
        stop_flag = 1;
    free(s);
}

static void print_other(tl_msg *m, void *arg)
{
    (void)arg;
    print_msg(m);
    tl_msg_free(&m);
}

static void drop_other(tl_msg *m, void *arg)
{
    (void)arg;
    tl_msg_free(&m);
}

/* Receive in short slices so a signal can stop the wait. */
static int recv_interruptible(tlc *c, int64_t deadline, tl_msg **out)
{
    for (;;) {
        if (stop_flag)
            return AR_E_TIMEOUT;
        int l = left_ms(deadline);
        int slice = (l < 0 || l > SLICE_MS) ? SLICE_MS : l;
        int rc = tlc_recv(c, slice, out);
        if (rc != AR_E_TIMEOUT || (deadline >= 0 && left_ms(deadline) == 0))
            return rc;
    }
}

static void conn_error(const char *what, int rc, tlc *c)
{
    fprintf(stderr, "tlibctl: %s: %s (%d)%s%s\n", what, ar_strerror(rc), rc,
            c && *tlc_last_error(c) ? ": " : "", c ? tlc_last_error(c) : "");
}

/* Connect and register the client; prints the reason and returns an exit code on failure. */
static int open_session(const opts *o, tlc **out)
{
    tl_msg *reply = NULL;
    int rc = tlc_connect(o->addr, CONNECT_TIMEOUT_MS, out);
    if (rc) {
        fprintf(stderr, "tlibctl: cannot connect to %s: %s\n", o->addr, ar_strerror(rc));
        return EX_CONN;
    }
    rc = tlc_register(*out, o->app, o->password, o->version, CONNECT_TIMEOUT_MS, &reply);
    if (rc && reply && reply->type == TL_M_EventError) {
        print_msg(reply);
        tl_msg_free(&reply);
        return EX_ERROR_EVENT;
    }
    tl_msg_free(&reply);
    if (rc) {
        conn_error("client registration", rc, *out);
        return EX_CONN;
    }
    return EX_DONE;
}

/* Register one DN; prints and returns an exit code unless EventRegistered came back. */
static int register_dn(tlc *c, const char *dn, bool quiet, int64_t deadline,
                       void (*on_other)(tl_msg *, void *))
{
    tl_msg *m = tl_msg_new(TL_M_RequestRegisterAddress), *r = NULL;
    int64_t ref;
    int rc, ex = EX_CONN;

    if (!m || tl_msg_set_str(m, TL_A_ThisDN, dn) || tl_msg_set_int(m, TL_A_RegisterMode, 0))
        goto cleanup;
    rc = tlc_send(c, m, left_ms(deadline), &ref);
    if (!rc)
        rc = tlc_recv_reply(c, ref, left_ms(deadline), &r, on_other, NULL);
    if (rc) {
        conn_error("RequestRegisterAddress", rc, c);
        goto cleanup;
    }
    if (r->type == TL_M_EventError) {
        print_msg(r);
        ex = EX_ERROR_EVENT;
        goto cleanup;
    }
    if (!quiet)
        print_msg(r);
    ex = EX_DONE;
cleanup:
    tl_msg_free(&m);
    tl_msg_free(&r);
    return ex;
}

/* Drops the handshake's EventLinkConnected, prints anything else. */
static void watch_other(tl_msg *m, void *arg)
{
    if (m->type == TL_M_EventLinkConnected)
        tl_msg_free(&m);
    else
        print_other(m, arg);
}

static int cmd_watch(const opts *o, char **dns, int ndn)
{
    tlc *c = NULL;
    int64_t deadline = deadline_of(o->timeout), seen = 0;
    int ex;

    if (ndn == 0) {
        fputs("tlibctl: watch needs at least one DN\n", stderr);
        return EX_USAGE;
    }
    ex = open_session(o, &c);
    for (int i = 0; ex == EX_DONE && i < ndn; i++)
        ex = register_dn(c, dns[i], false, deadline < 0 ? now_ms() + 10000 : deadline, watch_other);
    while (ex == EX_DONE && (o->count == 0 || seen < o->count)) {
        tl_msg *m = NULL;
        int rc = recv_interruptible(c, deadline, &m);
        if (rc == AR_E_TIMEOUT) {
            /* Interrupted, or the timeout: only a failure when a count was not met. */
            ex = (!stop_flag && o->count > 0) ? EX_CONN : EX_DONE;
            if (ex)
                fprintf(stderr, "tlibctl: timeout after %lld of %lld events\n", (long long)seen,
                        (long long)o->count);
            break;
        }
        if (rc) {
            conn_error("watch", rc, c);
            ex = EX_CONN;
            break;
        }
        if (m->type == TL_M_EventLinkConnected && seen == 0) {
            tl_msg_free(&m);
            continue;
        }
        print_msg(m);
        tl_msg_free(&m);
        seen++;
    }
    tlc_free(&c);
    return ex;
}

static tl_msg *parse_json_arg(const char *json)
{
    tl_msg *m = NULL;
    tl_decode_err err;
    memset(&err, 0, sizeof err);
    if (tl_json_decode(json, strlen(json), &m, &err) != TL_DEC_OK) {
        fprintf(stderr, "tlibctl: invalid message JSON: %s (%s)\n", err.detail,
                ar_errname(err.code) ? ar_errname(err.code) : "?");
        tl_msg_free(&m);
        return NULL;
    }
    return m;
}

static int cmd_request(const opts *o, const char *json)
{
    tlc *c = NULL;
    tl_msg *m = parse_json_arg(json), *r = NULL;
    int64_t deadline = deadline_of(o->timeout < 0 ? 10 : o->timeout), ref;
    int ex = EX_USAGE, rc;

    if (!m)
        return EX_USAGE;
    const tl_msg_info *info = tl_msg_info_get(m->type);
    if (!info || info->kind != TL_REQUEST) {
        fprintf(stderr, "tlibctl: %s is not a request\n", info ? info->name : "message");
        goto cleanup;
    }
    ex = open_session(o, &c);
    if (ex)
        goto cleanup;
    const char *dn = tl_msg_get_str(m, TL_A_ThisDN);
    if (dn && !o->no_register && m->type != TL_M_RequestRegisterAddress &&
        m->type != TL_M_RequestQueryAddress) {
        ex = register_dn(c, dn, true, deadline, drop_other);
        if (ex)
            goto cleanup;
    }
    rc = tlc_send(c, m, left_ms(deadline), &ref);
    ex = EX_CONN;
    while (rc == 0) {
        rc = tlc_recv_reply(c, ref, left_ms(deadline), &r, drop_other, NULL);
        if (rc)
            break;
        print_msg(r);
        if (r->type == TL_M_EventError) {
            ex = EX_ERROR_EVENT;
            break;
        }
        if (r->type == TL_M_EventACK || r->type == info->reply) {
            ex = EX_DONE;
            break;
        }
        tl_msg_free(&r);
    }
    if (rc)
        conn_error(info->name, rc, c);
cleanup:
    tl_msg_free(&r);
    tl_msg_free(&m);
    tlc_free(&c);
    return ex;
}

static int read_all(const char *path, ar_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char tmp[65536];
    size_t n;
    if (!f) {
        fprintf(stderr, "tlibctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        ar_buf_append(out, tmp, n);
    if (f != stdin)
        fclose(f);
    return 0;
}

static int cmd_raw(const opts *o, const char *path)
{
    ar_buf data = {0};
    tlc *c = NULL;
    int64_t deadline = deadline_of(o->timeout < 0 ? 10 : o->timeout), seen = 0;
    int ex = EX_USAGE, rc;

    if (read_all(path, &data))
        goto cleanup;
    if (o->do_register) {
        ex = open_session(o, &c);
        if (ex)
            goto cleanup;
    } else if ((rc = tlc_connect(o->addr, CONNECT_TIMEOUT_MS, &c))) {
        fprintf(stderr, "tlibctl: cannot connect to %s: %s\n", o->addr, ar_strerror(rc));
        ex = EX_CONN;
        goto cleanup;
    }
    rc = tlc_send_raw(c, ar_buf_head(&data), ar_buf_pending(&data), left_ms(deadline));
    while (rc == 0 && (o->count == 0 || seen < o->count)) {
        tl_msg *m = NULL;
        rc = recv_interruptible(c, deadline, &m);
        if (rc == 0) {
            print_msg(m);
            tl_msg_free(&m);
            seen++;
        }
    }
    if (rc == 0 || rc == AR_E_CLOSED) {
        ex = EX_DONE;
        fprintf(stderr, "tlibctl: %s after %lld messages\n",
                rc ? "connection closed by server" : "done", (long long)seen);
    } else {
        conn_error("raw", rc, c);
        ex = rc == AR_E_TIMEOUT || rc == AR_E_IO ? EX_CONN : EX_ERROR_EVENT;
    }
cleanup:
    ar_buf_free(&data);
    tlc_free(&c);
    return ex;
}

static int cmd_encode(const opts *o, char **jsons, int n)
{
    ar_buf out = {0};
    int ex = EX_DONE;
    for (int i = 0; i < n && ex == EX_DONE; i++) {
        tl_msg *m = parse_json_arg(jsons[i]);
        if (!m || tl_bin_encode(m, o->version, &out))
            ex = EX_USAGE;
        tl_msg_free(&m);
    }
    if (ex == EX_DONE &&
        fwrite(ar_buf_head(&out), 1, ar_buf_pending(&out), stdout) != ar_buf_pending(&out))
        ex = EX_CONN;
    fflush(stdout);
    ar_buf_free(&out);
    return ex;
}

/* Parses the options that follow the command; positional arguments stay in argv. */
static int parse_cmd_opts(opts *o, int argc, char **argv, char **pos, int *npos)
{
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--count") == 0 && i + 1 < argc) {
            o->count = strtoll(argv[++i], &end, 10);
            if (*end || o->count < 0)
                return -1;
        } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
            o->timeout = strtod(argv[++i], &end);
            if (*end || o->timeout < 0)
                return -1;
        } else if (strcmp(a, "--version") == 0 && i + 1 < argc) {
            o->version = (unsigned)strtoul(argv[++i], &end, 10);
            if (*end)
                return -1;
        } else if (strcmp(a, "--no-register") == 0) {
            o->no_register = true;
        } else if (strcmp(a, "--register") == 0) {
            o->do_register = true;
        } else if (a[0] == '-' && a[1] == '-' && a[2]) {
            fprintf(stderr, "tlibctl: unknown option %s\n", a);
            return -1;
        } else {
            pos[(*npos)++] = argv[i];
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    opts o = {.addr = getenv("TLIB_ADDR"),
              .app = getenv("TLIB_APP"),
              .password = getenv("TLIB_PASSWORD"),
              .timeout = -1,
              .version = TLC_PROTOCOL_VERSION};
    int ch, npos, ex;

    while ((ch = getopt_long(argc, argv, "+a:u:p:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            o.addr = optarg;
            break;
        case 'u':
            o.app = optarg;
            break;
        case 'p':
            o.password = optarg;
            break;
        case 'h':
            usage(stdout);
            return EX_DONE;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    const char *cmd = argv[optind++];
    char **pos = calloc((size_t)(argc + 1), sizeof *pos);
    if (!pos || parse_cmd_opts(&o, argc - optind, argv + optind, pos, &npos)) {
        usage(stderr);
        free(pos);
        return EX_USAGE;
    }
    if (!o.app)
        o.app = "demo";
    if (strcmp(cmd, "encode") != 0 && !o.addr) {
        fputs("tlibctl: no address: give -a HOST:PORT or set TLIB_ADDR\n", stderr);
        free(pos);
        return EX_USAGE;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (strcmp(cmd, "watch") == 0)
        ex = cmd_watch(&o, pos, npos);
    else if (strcmp(cmd, "request") == 0 && npos == 1)
        ex = cmd_request(&o, pos[0]);
    else if (strcmp(cmd, "raw") == 0 && npos == 1)
        ex = cmd_raw(&o, pos[0]);
    else if (strcmp(cmd, "encode") == 0 && npos >= 1)
        ex = cmd_encode(&o, pos, npos);
    else {
        usage(stderr);
        ex = EX_USAGE;
    }
    free(pos);
    return ex;
}
