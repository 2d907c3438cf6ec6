/* Benchmark: T-Lib event fan-out through gatewayd (events/s delivered, request->ACK p99). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tl_codec.h"
#include "tlclient.h"

#define SETUP_TIMEOUT_MS 10000
#define MAX_WINDOW       4096

typedef struct {
    int fd;
    uint8_t hdr[TL_FRAME_HDR + 2]; /* frame header + message number */
    size_t hdr_have;
    size_t skip_left; /* bytes of the current frame body still to skip */
    uint64_t events;
} receiver;

typedef struct {
    tlc *c;
    int64_t next_ref, acked, errors;
    int outstanding;
    int64_t sent_ns[MAX_WINDOW];
    unsigned next_dn;
    bool want_out;
} sender;

typedef struct {
    const char *addr, *app, *password;
    int clients, dns, dn_base, senders, window, payload;
    double duration;
} config;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < (rlim_t)need)
            fprintf(stderr, "bench_fanout: RLIMIT_NOFILE %llu may be too low for %d sockets\n",
                    (unsigned long long)rl.rlim_cur, need);
    }
}

/* Connect and register one client (and, for receivers, one DN). */
static int open_client(const config *cf, const char *dn, tlc **out)
{
    tl_msg *m = NULL, *r = NULL;
    int64_t ref;
    int rc = tlc_connect(cf->addr, SETUP_TIMEOUT_MS, out);
    if (rc)
        return rc;
    rc = tlc_register(*out, cf->app, cf->password, TLC_PROTOCOL_VERSION, SETUP_TIMEOUT_MS, NULL);
    if (rc || !dn)
        return rc;
    m = tl_msg_new(TL_M_RequestRegisterAddress);
    if (!m || tl_msg_set_str(m, TL_A_ThisDN, dn)) {
        rc = AR_E_NOMEM;
        goto cleanup;
    }
    rc = tlc_send(*out, m, SETUP_TIMEOUT_MS, &ref);
    if (!rc)
        rc = tlc_recv_reply(*out, ref, SETUP_TIMEOUT_MS, &r, NULL, NULL);
    if (!rc && r->type != TL_M_EventRegistered) {
        int64_t code = AR_E_INTERNAL;
        tl_msg_get_int(r, TL_A_ErrorCode, &code);
        rc = (int)code;
    }
cleanup:
    tl_msg_free(&m);
    tl_msg_free(&r);
    return rc;
}

/* Count EventUserEvent frames from the byte stream without decoding their bodies. */
static void receiver_consume(receiver *rv, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (rv->skip_left > 0) {
            size_t k = n < rv->skip_left ? n : rv->skip_left;
            rv->skip_left -= k;
            p += k;
            n -= k;
            continue;
        }
        size_t k = sizeof rv->hdr - rv->hdr_have;
        if (k > n)
            k = n;
        memcpy(rv->hdr + rv->hdr_have, p, k);
        rv->hdr_have += k;
        p += k;
        n -= k;
        if (rv->hdr_have < sizeof rv->hdr)
            break;
        uint32_t len = (uint32_t)rv->hdr[4] << 24 | (uint32_t)rv->hdr[5] << 16 |
                       (uint32_t)rv->hdr[6] << 8 | rv->hdr[7];
        unsigned type = (unsigned)rv->hdr[8] << 8 | rv->hdr[9];
        if (type == TL_M_EventUserEvent)
            rv->events++;
        rv->skip_left = len >= 2 ? len - 2 : 0;
        rv->hdr_have = 0;
    }
}

static int send_one(sender *s, const config *cf, tl_msg **templates)
{
    tl_msg *m = templates[s->next_dn++ % (unsigned)cf->dns];
    int64_t ref = s->next_ref++;
    if (tl_msg_set_int(m, TL_A_ReferenceID, ref))
        return AR_E_NOMEM;
    s->sent_ns[ref % MAX_WINDOW] = now_ns();
    s->outstanding++;
    return tlc_queue(s->c, m, NULL);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fputs("usage: bench_fanout -a HOST:PORT [-u APP] [-p PASSWORD] [--clients N] [--dns N]\n"
          "         [--dn-base N] [--senders N] [--window N] [--duration S] [--payload BYTES]\n"
          "Connects N receivers spread over the DNs (dn-base .. dn-base+dns-1), then senders\n"
          "issue RequestDistributeUserEvent round-robin over the DNs, each keeping `window`\n"
          "requests in flight, for `duration` seconds. Prints delivered events/s and the\n"
          "request -> EventACK latency percentiles.\n",
          stderr);
}

static int parse_args(int argc, char **argv, config *cf)
{
    static const struct option lo[] = {{"clients", required_argument, NULL, 'c'},
                                       {"dns", required_argument, NULL, 'd'},
                                       {"dn-base", required_argument, NULL, 'b'},
                                       {"senders", required_argument, NULL, 's'},
                                       {"window", required_argument, NULL, 'w'},
                                       {"duration", required_argument, NULL, 't'},
                                       {"payload", required_argument, NULL, 'P'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "a:u:p:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'a':
            cf->addr = optarg;
            break;
        case 'u':
            cf->app = optarg;
            break;
        case 'p':
            cf->password = optarg;
            break;
        case 'c':
            cf->clients = atoi(optarg);
            break;
        case 'd':
            cf->dns = atoi(optarg);
            break;
        case 'b':
            cf->dn_base = atoi(optarg);
            break;
        case 's':
            cf->senders = atoi(optarg);
            break;
        case 'w':
            cf->window = atoi(optarg);
            break;
        case 't':
            cf->duration = atof(optarg);
            break;
        case 'P':
            cf->payload = atoi(optarg);
            break;
        default:
            return -1;
        }
    }
    if (!cf->addr || cf->clients < 1 || cf->dns < 1 || cf->senders < 1 || cf->window < 1 ||
        cf->window > MAX_WINDOW || cf->duration <= 0 || cf->payload < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    config cf = {.addr = getenv("TLIB_ADDR"),
                 .app = "demo",
                 .password = "demo",
                 .clients = 1000,
                 .dns = 100,
                 .dn_base = 5001,
                 .senders = 2,
                 .window = 64,
                 .duration = 5,
                 .payload = 16};
    receiver *rv = NULL;
    sender *sd = NULL;
    tlc **rtlc = NULL;
    tl_msg **templates = NULL;
    int64_t *lat = NULL;
    size_t nlat = 0, latcap = 0;
    int ep = -1, rc = 1;
    char dn[32];

    if (parse_args(argc, argv, &cf)) {
        usage();
        return 2;
    }
    raise_nofile(cf.clients + cf.senders + 64);
    rv = calloc((size_t)cf.clients, sizeof *rv);
    rtlc = calloc((size_t)cf.clients, sizeof *rtlc);
    sd = calloc((size_t)cf.senders, sizeof *sd);
    templates = calloc((size_t)cf.dns, sizeof *templates);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!rv || !rtlc || !sd || !templates || ep < 0)
        goto cleanup;

    char *pad = calloc((size_t)cf.payload + 1, 1);
    if (!pad)
        goto cleanup;
    memset(pad, 'x', (size_t)cf.payload);
    for (int d = 0; d < cf.dns; d++) {
        tl_kv *kv = tl_kv_new();
        snprintf(dn, sizeof dn, "%d", cf.dn_base + d);
        templates[d] = tl_msg_new(TL_M_RequestDistributeUserEvent);
        if (!kv || !templates[d] || tl_kv_add_str(kv, "pad", pad) ||
            tl_msg_set_str(templates[d], TL_A_ThisDN, dn) ||
            tl_msg_set_kv(templates[d], TL_A_UserData, kv)) {
            free(pad);
            goto cleanup;
        }
    }
    free(pad);

    int64_t t_setup = now_ns();
    for (int i = 0; i < cf.clients; i++) {
        snprintf(dn, sizeof dn, "%d", cf.dn_base + i % cf.dns);
        int e = open_client(&cf, dn, &rtlc[i]);
        if (e) {
            fprintf(stderr, "bench_fanout: receiver %d (DN %s): %s\n", i, dn, ar_strerror(e));
            goto cleanup;
        }
        /* Handshake leftovers (EventLinkConnected) are read raw and ignored. */
        rv[i].fd = tlc_fd(rtlc[i]);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, rv[i].fd, &ev);
    }
    for (int s = 0; s < cf.senders; s++) {
        int e = open_client(&cf, NULL, &sd[s].c);
        if (e) {
            fprintf(stderr, "bench_fanout: sender %d: %s\n", s, ar_strerror(e));
            goto cleanup;
        }
        sd[s].next_ref = 1000;
        sd[s].next_dn = (unsigned)s;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)(cf.clients + s)};
        epoll_ctl(ep, EPOLL_CTL_ADD, tlc_fd(sd[s].c), &ev);
    }
    printf("setup: %d receivers on %d DNs (%d..%d), %d senders, window %d, %.1f s in %.2f s\n",
           cf.clients, cf.dns, cf.dn_base, cf.dn_base + cf.dns - 1, cf.senders, cf.window,
           cf.duration, (double)(now_ns() - t_setup) / 1e9);
    fflush(stdout);

    /* From here receivers are read raw: their tlc buffers ended at EventRegistered, a
     * frame boundary, since nothing else is sent to a receiver before the first event. */
    int64_t t0 = now_ns(), t_end = t0 + (int64_t)(cf.duration * 1e9), t_stop = 0;
    uint64_t events_at_end = 0;
    for (int s = 0; s < cf.senders; s++)
        for (int w = 0; w < cf.window; w++)
            if (send_one(&sd[s], &cf, templates))
                goto cleanup;

    static uint8_t buf[1 << 18];
    struct epoll_event evs[256];
    bool sending = true;
    for (;;) {
        int64_t now = now_ns();
        if (sending && now >= t_end) {
            sending = false;
            t_stop = now;
            for (int i = 0; i < cf.clients; i++)
                events_at_end += rv[i].events;
        }
        if (!sending) {
            int out = 0;
            for (int s = 0; s < cf.senders; s++)
                out += sd[s].outstanding;
            if (out == 0 || now - t_stop > 5000000000LL)
                break;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        if (n < 0 && errno != EINTR)
            goto cleanup;
        for (int k = 0; k < n; k++) {
            uint64_t id = evs[k].data.u64;
            if (id < (uint64_t)cf.clients) {
                receiver *r = &rv[id];
                ssize_t got = recv(r->fd, buf, sizeof buf, 0);
                if (got > 0) {
                    receiver_consume(r, buf, (size_t)got);
                } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                    fprintf(stderr, "bench_fanout: receiver %llu lost its connection\n",
                            (unsigned long long)id);
                    goto cleanup;
                }
                continue;
            }
            sender *s = &sd[id - (uint64_t)cf.clients];
            if (evs[k].events & EPOLLOUT && tlc_flush(s->c))
                goto cleanup;
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                int e = tlc_feed(s->c);
                if (e) {
                    fprintf(stderr, "bench_fanout: sender: %s\n", ar_strerror(e));
                    goto cleanup;
                }
                tl_msg *m;
                int r;
                while ((r = tlc_next(s->c, &m)) == 1) {
                    int64_t ref;
                    if (tl_msg_get_int(m, TL_A_ReferenceID, &ref) && ref >= 1000) {
                        if (nlat == latcap) {
                            latcap = latcap ? latcap * 2 : 65536;
                            int64_t *nl = realloc(lat, latcap * sizeof *lat);
                            if (!nl)
                                goto cleanup;
                            lat = nl;
                        }
                        lat[nlat++] = now_ns() - s->sent_ns[ref % MAX_WINDOW];
                        if (m->type == TL_M_EventACK)
                            s->acked++;
                        else
                            s->errors++;
                        s->outstanding--;
                        if (sending && send_one(s, &cf, templates)) {
                            tl_msg_free(&m);
                            goto cleanup;
                        }
                    }
                    tl_msg_free(&m);
                }
                if (r < 0)
                    goto cleanup;
            }
            bool want = tlc_want_write(s->c);
            if (want != s->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u64 = id};
                epoll_ctl(ep, EPOLL_CTL_MOD, tlc_fd(s->c), &ev);
                s->want_out = want;
            }
        }
    }

    double secs = (double)(t_stop - t0) / 1e9;
    int64_t acked = 0, errs = 0;
    uint64_t delivered = 0;
    for (int s = 0; s < cf.senders; s++) {
        acked += sd[s].acked;
        errs += sd[s].errors;
    }
    for (int i = 0; i < cf.clients; i++)
        delivered += rv[i].events;
    qsort(lat, nlat, sizeof *lat, cmp_i64);
    double p50 = nlat ? (double)lat[nlat / 2] / 1e6 : 0;
    double p99 = nlat ? (double)lat[(size_t)((double)nlat * 0.99)] / 1e6 : 0;
    double pmax = nlat ? (double)lat[nlat - 1] / 1e6 : 0;
    /* Every DN has clients/dns receivers, so each ACKed request yields that many events. */
    uint64_t expected = (uint64_t)acked * (uint64_t)cf.clients / (uint64_t)cf.dns;
    printf("requests: %lld acked, %lld errors in %.2f s = %.0f requests/s\n", (long long)acked,
           (long long)errs, secs, (double)acked / secs);
    printf("events delivered: %llu during the run = %.0f events/s (all: %llu of %llu expected)\n",
           (unsigned long long)events_at_end, (double)events_at_end / secs,
           (unsigned long long)delivered, (unsigned long long)expected);
    printf("request -> EventACK latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms (%zu samples)\n",
           p50, p99, pmax, nlat);
    rc = (acked > 0 && errs == 0 && delivered > 0) ? 0 : 1;

cleanup:
    if (rc)
        fprintf(stderr, "bench_fanout: failed\n");
    for (int i = 0; rtlc && i < cf.clients; i++)
        tlc_free(&rtlc[i]);
    for (int s = 0; sd && s < cf.senders; s++)
        tlc_free(&sd[s].c);
    for (int d = 0; templates && d < cf.dns; d++)
        tl_msg_free(&templates[d]);
    if (ep >= 0)
        close(ep);
    free(lat);
    free(templates);
    free(sd);
    free(rtlc);
    free(rv);
    return rc;
}
