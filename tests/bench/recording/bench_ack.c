/* Lean T-Lib client timing RequestPrivateService START/STOP -> EventACK over TCP or WebSocket. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ar_buf.h"
#include "tl_codec.h"
#include "tlclient.h"

/*
 * Why a C client: the Python WebSocket client of bench_sipp.py hands every send and
 * receive to an asyncio thread, and its scheduling was part of the figure. This one is
 * single-threaded, poll()-driven, TCP_NODELAY on both transports, and times each
 * request from just before its send() to the decode of its answer (CLOCK_MONOTONIC).
 *
 * On every EventEstablished of a registered DN it sends GSIP_RECORD_START, then
 * alternates STOP / START every --gap-ms, --pairs START/STOP pairs in all (the call must
 * last long enough). --probe-ms adds a RequestQueryAddress every so often (no SIP or
 * MSML work behind it: the loop's queueing alone); --floor N first times N of them one
 * by one before anything else runs (the client's and the transport's floor).
 *
 * Output (stdout), one line each: "sample KIND US ok|err SERVER_US" (KIND start, stop,
 * probe, floor) and "started RECORD_ID EPOCH_S" for each START acknowledged. SERVER_US
 * ends at the kernel's receive timestamp of the answer (SO_TIMESTAMPNS): the round trip
 * without this client's own wake-up and reading (-1 when the kernel gave none).
 */

#define SETUP_MS     10000
#define MAX_ACTIONS  8192
#define MAX_PENDING  1024
#define MAX_DNS      256
#define WS_KEY       "dGhlIHNhbXBsZSBub25jZQ=="
#define DRAIN_MS     3000
#define PSM_START    3013
#define PSM_STOP     3014
#define RX_CHUNK     65536
#define MAX_WS_FRAME (16u << 20)

typedef enum { K_START, K_STOP, K_PROBE, K_FLOOR } kind;
static const char *const kind_names[] = {"start", "stop", "probe", "floor"};

typedef struct {
    int64_t due_ns;
    kind k;
    char dn[32];
    uint64_t connid;
} action;

typedef struct {
    int64_t ref, sent_ns, sent_rt_ns;
    kind k;
    char rid[48];
    double sent_epoch;
} pending;

typedef struct {
    bool ws;
    tlc *tc;             /* TCP: the client library */
    int fd;              /* WebSocket: our own socket */
    ar_buf in, msg, out; /* WebSocket: received bytes, message being reassembled, encoding */
    int64_t next_ref;
    int64_t rx_rt_ns; /* kernel receive timestamp of the last bytes read, CLOCK_REALTIME */
} conn;

static struct {
    conn c;
    char dns[MAX_DNS][32];
    int ndns;
    action act[MAX_ACTIONS];
    int nact;
    pending pend[MAX_PENDING];
    int npend;
    int pairs, gap_ms, probe_ms;
    uint64_t calls, sent, answered, errors;
    int64_t next_probe_ns;
} g;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t rt_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- WebSocket: handshake, masked text frames out, unmasked frames in ------------ */

static int ws_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, 1000);
            continue;
        }
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int ws_connect(conn *c, const char *hostport)
{
    char host[256], port[16];
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (tlc_split_hostport(hostport, host, sizeof host, port, sizeof port) ||
        getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    c->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (c->fd < 0 || connect(c->fd, res->ai_addr, res->ai_addrlen) != 0) {
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /tlib HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     hostport);
    if (ws_write_all(c->fd, (const uint8_t *)req, (size_t)n))
        return -1;
    /* The 101 answer, read to its blank line; anything after it is frames. */
    for (;;) {
        if (ar_buf_reserve(&c->in, 4096))
            return -1;
        ssize_t r = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (r <= 0)
            return -1;
        c->in.len += (size_t)r;
        const char *p = (const char *)ar_buf_head(&c->in);
        const char *end = memmem(p, ar_buf_pending(&c->in), "\r\n\r\n", 4);
        if (!end)
            continue;
        if (strncmp(p, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "bench_ack: WebSocket upgrade refused: %.*s\n", (int)(end - p), p);
            return -1;
        }
        ar_buf_consume(&c->in, (size_t)(end + 4 - p));
        break;
    }
    /* Blocking for the handshake only: frames are read after poll() says so. */
    return 0;
}

static int ws_send_text(conn *c, const uint8_t *p, size_t n)
{
    static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    uint8_t hdr[14];
    size_t h = 0;
    hdr[h++] = 0x81; /* FIN, text */
    if (n < 126) {
        hdr[h++] = (uint8_t)(0x80 | n);
    } else if (n <= 0xffff) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(n >> 8);
        hdr[h++] = (uint8_t)n;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    memcpy(hdr + h, mask, 4);
    h += 4;
    ar_buf_reset(&c->out);
    if (ar_buf_append(&c->out, hdr, h) || ar_buf_reserve(&c->out, n))
        return -1;
    uint8_t *q = c->out.data + c->out.len;
    for (size_t i = 0; i < n; i++)
        q[i] = p[i] ^ mask[i & 3];
    c->out.len += n;
    /* One send() per message, as a desktop would. */
    return ws_write_all(c->fd, ar_buf_head(&c->out), ar_buf_pending(&c->out));
}

/* Next complete text message decoded from c->in: 1 and *out, 0 for more bytes, -1. */
static int ws_next(conn *c, tl_msg **out)
{
    for (;;) {
        const uint8_t *p = ar_buf_head(&c->in);
        size_t have = ar_buf_pending(&c->in);
        if (have < 2)
            return 0;
        int op = p[0] & 0x0f;
        bool fin = p[0] & 0x80;
        uint64_t len = p[1] & 0x7f;
        size_t h = 2;
        if (len == 126) {
            if (have < 4)
                return 0;
            len = ((uint64_t)p[2] << 8) | p[3];
            h = 4;
        } else if (len == 127) {
            if (have < 10)
                return 0;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = (len << 8) | p[2 + i];
            h = 10;
        }
        if (len > MAX_WS_FRAME)
            return -1;
        if (have < h + len)
            return 0;
        const uint8_t *payload = p + h;
        if (op == 0x8)
            return -1;                /* close */
        if (op == 0x9 && len < 126) { /* ping: pong with its payload (mask 0: unchanged) */
            uint8_t pong[6 + 125] = {0x8a, (uint8_t)(0x80 | len)};
            memcpy(pong + 6, payload, (size_t)len);
            if (ws_write_all(c->fd, pong, 6 + (size_t)len))
                return -1;
        } else if (op == 0x1 || op == 0x0) {
            if (ar_buf_append(&c->msg, payload, (size_t)len))
                return -1;
        }
        ar_buf_consume(&c->in, h + (size_t)len);
        if ((op == 0x1 || op == 0x0) && fin) {
            /* gatewayd numbers desktop messages: `{"seq":N,` is not a T-Lib attribute. */
            const char *j = (const char *)ar_buf_head(&c->msg);
            size_t jn = ar_buf_pending(&c->msg), skip = 0;
            if (jn > 7 && memcmp(j, "{\"seq\":", 7) == 0) {
                skip = 7;
                while (skip < jn && j[skip] >= '0' && j[skip] <= '9')
                    skip++;
                if (skip < jn && j[skip] == ',')
                    skip++;
                c->msg.data[c->msg.off + --skip] = '{';
            }
            tl_decode_err err;
            tl_dec_result r = tl_json_decode(j + skip, jn - skip, out, &err);
            ar_buf_reset(&c->msg);
            if (r != TL_DEC_OK) {
                fprintf(stderr, "bench_ack: unreadable JSON from gatewayd: %s\n", err.detail);
                return -1;
            }
            return 1;
        }
    }
}

/* ---- one transport interface ------------------------------------------------------ */

static int conn_fd(conn *c)
{
    return c->ws ? c->fd : tlc_fd(c->tc);
}

/* Send a request with the next ReferenceID (returned). */
static int conn_request(conn *c, tl_msg *m, int64_t *ref)
{
    *ref = ++c->next_ref;
    if (tl_msg_set_int(m, TL_A_ReferenceID, *ref))
        return -1;
    if (!c->ws)
        return tlc_queue(c->tc, m, NULL) ? -1 : 0;
    ar_buf enc = {0};
    int rc =
        tl_json_encode(m, &enc) ? -1 : ws_send_text(c, ar_buf_head(&enc), ar_buf_pending(&enc));
    ar_buf_free(&enc);
    return rc;
}

/* Read what the socket has (poll said readable), with the kernel's receive timestamp. */
static int conn_feed(conn *c)
{
    uint8_t tmp[RX_CHUNK];
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = tmp, .iov_len = sizeof tmp};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t r = recvmsg(conn_fd(c), &mh, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (r <= 0)
        return -1;
    c->rx_rt_ns = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            c->rx_rt_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        }
    }
    if (!c->ws)
        return tlc_feed_bytes(c->tc, tmp, (size_t)r) ? -1 : 0;
    return ar_buf_append(&c->in, tmp, (size_t)r) ? -1 : 0;
}

static int conn_next(conn *c, tl_msg **out)
{
    if (!c->ws)
        return tlc_next(c->tc, out);
    return ws_next(c, out);
}

/* Blocking request -> answer, for the setup and the floor. */
static int request_wait(conn *c, tl_msg *m, int timeout_ms, tl_msg **reply, int64_t *rtt_ns)
{
    int64_t ref, t0 = now_ns(), deadline = t0 + (int64_t)timeout_ms * 1000000;
    *reply = NULL;
    if (conn_request(c, m, &ref))
        return -1;
    for (;;) {
        tl_msg *r = NULL;
        int n;
        while ((n = conn_next(c, &r)) == 1) {
            int64_t got;
            if (tl_msg_get_int(r, TL_A_ReferenceID, &got) && got == ref) {
                if (rtt_ns)
                    *rtt_ns = now_ns() - t0;
                *reply = r;
                return 0;
            }
            tl_msg_free(&r);
        }
        if (n < 0)
            return -1;
        int left = (int)((deadline - now_ns()) / 1000000);
        if (left <= 0)
            return -1;
        struct pollfd pf = {.fd = conn_fd(c), .events = POLLIN};
        if (poll(&pf, 1, left) > 0 && conn_feed(c))
            return -1;
    }
}

static int setup(conn *c, const char *app, const char *password)
{
    tl_msg *m = tl_msg_new(TL_M_RequestRegisterClient), *r = NULL;
    int rc = -1;
    if (!m || tl_msg_set_str(m, TL_A_ApplicationName, app) ||
        tl_msg_set_str(m, TL_A_ApplicationPassword, password) ||
        tl_msg_set_int(m, TL_A_ProtocolVersion, TLC_PROTOCOL_VERSION) ||
        request_wait(c, m, SETUP_MS, &r, NULL) || r->type != TL_M_EventServerConnected)
        goto cleanup;
    for (int i = 0; i < g.ndns; i++) {
        tl_msg_free(&m);
        tl_msg_free(&r);
        m = tl_msg_new(TL_M_RequestRegisterAddress);
        if (!m || tl_msg_set_str(m, TL_A_ThisDN, g.dns[i]) ||
            request_wait(c, m, SETUP_MS, &r, NULL) || r->type != TL_M_EventRegistered) {
            fprintf(stderr, "bench_ack: RequestRegisterAddress %s refused\n", g.dns[i]);
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    tl_msg_free(&m);
    tl_msg_free(&r);
    return rc;
}

/* ---- the measured requests --------------------------------------------------------- */

static tl_msg *probe_msg(void)
{
    tl_msg *m = tl_msg_new(TL_M_RequestQueryAddress);
    if (m && tl_msg_set_str(m, TL_A_ThisDN, g.dns[0]))
        tl_msg_free(&m);
    return m;
}

static void floor_run(conn *c, int n)
{
    for (int i = 0; i < n && !stopping; i++) {
        tl_msg *m = probe_msg(), *r = NULL;
        int64_t rtt;
        int64_t t0 = rt_ns();
        if (m && request_wait(c, m, SETUP_MS, &r, &rtt) == 0)
            printf("sample floor %lld %s %lld\n", (long long)(rtt / 1000),
                   r->type == TL_M_EventAddressInfo ? "ok" : "err",
                   c->rx_rt_ns > 0 ? (long long)((c->rx_rt_ns - t0) / 1000) : -1LL);
        tl_msg_free(&m);
        tl_msg_free(&r);
        struct timespec ts = {0, 2000000}; /* spaced: one at a time, as at a quiet moment */
        nanosleep(&ts, NULL);
    }
}

static void send_one(conn *c, kind k, const char *dn, uint64_t connid)
{
    if (g.npend >= MAX_PENDING)
        return;
    pending *p = &g.pend[g.npend];
    memset(p, 0, sizeof *p);
    tl_msg *m = NULL;
    if (k == K_PROBE) {
        m = probe_msg();
    } else {
        m = tl_msg_new(TL_M_RequestPrivateService);
        tl_kv *ext = k == K_START ? tl_kv_new() : NULL;
        if (ext)
            snprintf(p->rid, sizeof p->rid, "ack-%d-%llu", (int)getpid(),
                     (unsigned long long)g.sent);
        if (!m || tl_msg_set_str(m, TL_A_ThisDN, dn) ||
            tl_msg_set_int(m, TL_A_PrivateMsgID, k == K_START ? PSM_START : PSM_STOP) ||
            tl_msg_set_connid(m, TL_A_ConnID, connid) ||
            (ext && (tl_kv_add_str(ext, "id", p->rid) || tl_msg_set_kv(m, TL_A_Extensions, ext))))
            tl_msg_free(&m);
        else
            ext = NULL;
        tl_kv_free(&ext);
    }
    if (!m)
        return;
    p->k = k;
    p->sent_rt_ns = rt_ns();
    p->sent_epoch = (double)p->sent_rt_ns / 1e9;
    p->sent_ns = now_ns();
    if (conn_request(c, m, &p->ref) == 0) {
        g.npend++;
        g.sent++;
    }
    tl_msg_free(&m);
}

static void schedule(int64_t due, kind k, const char *dn, uint64_t connid)
{
    if (g.nact >= MAX_ACTIONS)
        return;
    action *a = &g.act[g.nact++];
    a->due_ns = due;
    a->k = k;
    snprintf(a->dn, sizeof a->dn, "%s", dn);
    a->connid = connid;
}

static bool is_ours(const char *dn)
{
    for (int i = 0; dn && i < g.ndns; i++)
        if (strcmp(g.dns[i], dn) == 0)
            return true;
    return false;
}

static void on_message(conn *c, tl_msg *m)
{
    int64_t ref;
    if (tl_msg_get_int(m, TL_A_ReferenceID, &ref)) {
        for (int i = 0; i < g.npend; i++) {
            if (g.pend[i].ref != ref)
                continue;
            pending *p = &g.pend[i];
            bool ok = m->type == (p->k == K_PROBE ? TL_M_EventAddressInfo : TL_M_EventACK);
            printf("sample %s %lld %s %lld\n", kind_names[p->k],
                   (long long)((now_ns() - p->sent_ns) / 1000), ok ? "ok" : "err",
                   c->rx_rt_ns > 0 ? (long long)((c->rx_rt_ns - p->sent_rt_ns) / 1000) : -1LL);
            if (ok && p->k == K_START)
                printf("started %s %.6f\n", p->rid, p->sent_epoch);
            g.answered++;
            g.errors += !ok;
            g.pend[i] = g.pend[--g.npend];
            return;
        }
        return;
    }
    const char *dn = tl_msg_get_str(m, TL_A_ThisDN);
    uint64_t connid;
    if (!is_ours(dn) || !tl_msg_get_connid(m, TL_A_ConnID, &connid))
        return;
    if (m->type == TL_M_EventEstablished && !stopping) {
        /* START now, then STOP / START every gap: pairs x (START, STOP). */
        int64_t t = now_ns();
        g.calls++;
        for (int i = 0; i < 2 * g.pairs; i++)
            schedule(t + (int64_t)i * g.gap_ms * 1000000, i % 2 ? K_STOP : K_START, dn, connid);
    } else if (m->type == TL_M_EventReleased) {
        for (int i = 0; i < g.nact;) /* the call is over: what is left would be refused */
            if (g.act[i].connid == connid)
                g.act[i] = g.act[--g.nact];
            else
                i++;
    }
}

static int run(conn *c, double duration_s)
{
    int64_t end = duration_s > 0 ? now_ns() + (int64_t)(duration_s * 1e9) : INT64_MAX;
    int64_t drain_end = 0;
    g.next_probe_ns = g.probe_ms > 0 ? now_ns() + (int64_t)g.probe_ms * 1000000 : INT64_MAX;
    for (;;) {
        int64_t t = now_ns();
        if ((stopping || t >= end) && !drain_end) {
            stopping = 1;
            drain_end = t + (int64_t)DRAIN_MS * 1000000;
            g.nact = 0; /* the calls end by themselves: their recordings with them */
        }
        if (drain_end && (g.npend == 0 || t >= drain_end))
            return 0;
        int64_t next = drain_end ? drain_end : end;
        for (int i = 0; i < g.nact;) {
            if (g.act[i].due_ns <= t) {
                action a = g.act[i];
                g.act[i] = g.act[--g.nact];
                send_one(c, a.k, a.dn, a.connid);
                continue;
            }
            if (g.act[i].due_ns < next)
                next = g.act[i].due_ns;
            i++;
        }
        if (!drain_end && g.next_probe_ns <= t) {
            send_one(c, K_PROBE, NULL, 0);
            g.next_probe_ns = t + (int64_t)g.probe_ms * 1000000;
        }
        if (!drain_end && g.next_probe_ns < next)
            next = g.next_probe_ns;
        tl_msg *m = NULL;
        int n;
        while ((n = conn_next(c, &m)) == 1) {
            on_message(c, m);
            tl_msg_free(&m);
        }
        if (n < 0)
            return -1;
        t = now_ns();
        int wait_ms = next <= t ? 0 : (int)((next - t + 999999) / 1000000);
        struct pollfd pf = {.fd = conn_fd(c), .events = POLLIN};
        int r = poll(&pf, 1, wait_ms);
        if (r > 0 && conn_feed(c))
            return -1;
    }
}

static void add_dns(const char *spec)
{
    int lo, hi;
    if (sscanf(spec, "%d-%d", &lo, &hi) != 2)
        lo = hi = atoi(spec);
    for (int d = lo; d <= hi && g.ndns < MAX_DNS; d++)
        snprintf(g.dns[g.ndns++], sizeof g.dns[0], "%d", d);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_ack (--tcp HOST:PORT | --ws HOST:PORT) --dns LO-HI [--app A "
            "--password P]\n"
            "       [--pairs N] [--gap-ms MS] [--probe-ms MS] [--floor N] [--duration S]\n");
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *app = "demo", *password = "demo";
    int floor_n = 0;
    double duration = 0;
    bool ws = false;
    g.pairs = 1;
    g.gap_ms = 1000;
    static const struct option opts[] = {{"tcp", required_argument, NULL, 't'},
                                         {"ws", required_argument, NULL, 'w'},
                                         {"dns", required_argument, NULL, 'd'},
                                         {"app", required_argument, NULL, 'a'},
                                         {"password", required_argument, NULL, 'p'},
                                         {"pairs", required_argument, NULL, 'n'},
                                         {"gap-ms", required_argument, NULL, 'g'},
                                         {"probe-ms", required_argument, NULL, 'r'},
                                         {"floor", required_argument, NULL, 'f'},
                                         {"duration", required_argument, NULL, 'D'},
                                         {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't':
        case 'w':
            addr = optarg;
            ws = o == 'w';
            break;
        case 'd':
            add_dns(optarg);
            break;
        case 'a':
            app = optarg;
            break;
        case 'p':
            password = optarg;
            break;
        case 'n':
            g.pairs = atoi(optarg);
            break;
        case 'g':
            g.gap_ms = atoi(optarg);
            break;
        case 'r':
            g.probe_ms = atoi(optarg);
            break;
        case 'f':
            floor_n = atoi(optarg);
            break;
        case 'D':
            duration = atof(optarg);
            break;
        default:
            usage();
            return 2;
        }
    }
    if (!addr || g.ndns == 0 || g.pairs < 1 || g.gap_ms < 1) {
        usage();
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    conn *c = &g.c;
    c->ws = ws;
    c->fd = -1;
    int rc = 1;
    if (ws ? ws_connect(c, addr) : tlc_connect(addr, SETUP_MS, &c->tc)) {
        fprintf(stderr, "bench_ack: cannot connect to %s\n", addr);
        goto cleanup;
    }
    int one = 1;
    setsockopt(conn_fd(c), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one); /* conn_feed */
    if (setup(c, app, password)) {
        fprintf(stderr, "bench_ack: registration failed\n");
        goto cleanup;
    }
    floor_run(c, floor_n);
    /* The bench waits for this line before it starts the load. */
    printf("ready %s\n", ws ? "ws" : "tcp");
    if (run(c, duration) == 0)
        rc = 0;
    else
        fprintf(stderr, "bench_ack: connection lost\n");
    fprintf(stderr,
            "bench_ack (%s): %llu calls, %llu requests sent, %llu answered, %llu not ACKed, "
            "%d unanswered\n",
            ws ? "ws" : "tcp", (unsigned long long)g.calls, (unsigned long long)g.sent,
            (unsigned long long)g.answered, (unsigned long long)g.errors, g.npend);
cleanup:
    tlc_free(&c->tc);
    if (c->fd >= 0)
        close(c->fd);
    ar_buf_free(&c->in);
    ar_buf_free(&c->msg);
    ar_buf_free(&c->out);
    return rc;
}
