/* RTP/RTCP receive sockets for recorded streams, read from the GLib loop through one epoll set. */
#include "rec_rtp.h"

#include "ar_err.h"
#include "ar_log.h"
#include "ar_rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Datagrams read per wake-up before yielding back to the loop (fairness to SIP). */
#define REC_RTP_BURST 64

struct rec_rtp_sock {
    int fd[2];      /* RTP, RTCP */
    bool polled[2]; /* in the epoll set */
    uint16_t port;
    rec_rtp_packet_cb cb;
    void *ctx;
    rec_rtp_unprotect_fn unprotect;
    void *uctx;
    uint64_t unprotect_failed;
    int latched;
    struct sockaddr_in peer; /* RTP source once latched */
    uint64_t foreign;
};

/* Receive buffers shared by every socket: the loop is single-threaded and callbacks
 * consume each packet before returning. One recvmmsg() fills up to REC_RTP_BATCH of
 * them, so a socket with k queued datagrams costs one system call instead of k + 1
 * (the last recvfrom() of a drain only returned EAGAIN). */
#define REC_RTP_BATCH 16
#define REC_RTP_SLOT  8192 /* larger datagrams are truncated by the kernel and dropped */
static uint8_t rx_buf[REC_RTP_BATCH][REC_RTP_SLOT];
static struct sockaddr_in rx_from[REC_RTP_BATCH];
static struct iovec rx_iov[REC_RTP_BATCH];
static struct mmsghdr rx_msg[REC_RTP_BATCH];
/* SO_TIMESTAMPNS: each datagram's kernel receive time (see arrival_us()). */
static union {
    struct cmsghdr align;
    uint8_t buf[CMSG_SPACE(sizeof(struct timespec))];
} rx_ctl[REC_RTP_BATCH];

/* Every socket sits in one epoll set, and the GLib loop watches only that set's fd:
 * one GSource per socket made each loop iteration walk (prepare, poll, check) all of
 * them, which cost more than the packets themselves with hundreds of calls recorded. */
#define REC_RTP_EVENTS 64
static int ep_fd = -1;
static guint ep_watch;
static unsigned ep_users;
/* The batch being dispatched: rec_rtp_free() clears the entries of a socket freed by a
 * callback, so a later entry of the same batch never reaches freed memory. */
static struct epoll_event *ep_batch;
static int ep_batch_n;

static int bind_udp(const char *addr, uint16_t port, int *fd_out)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return AR_E_CONFIG;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return AR_E_IO;
    int on = 1; /* without it the arrival is the read time (arrival_us()) */
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return AR_E_MEDIA_NO_PORTS;
    }
    *fd_out = fd;
    return AR_E_OK;
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        return 0;
    return ntohs(sa.sin_port);
}

static void rx_prepare(void)
{
    for (int i = 0; i < REC_RTP_BATCH; i++) {
        rx_iov[i] = (struct iovec){.iov_base = rx_buf[i], .iov_len = REC_RTP_SLOT};
        rx_msg[i].msg_hdr = (struct msghdr){.msg_name = &rx_from[i],
                                            .msg_namelen = sizeof rx_from[i],
                                            .msg_iov = &rx_iov[i],
                                            .msg_iovlen = 1,
                                            .msg_control = rx_ctl[i].buf,
                                            .msg_controllen = sizeof rx_ctl[i].buf};
    }
}

/*
 * When the datagram reached the socket, on the monotonic clock: the kernel's receive
 * time (wall clock) moved back from the read time. The recorder is the measuring end
 * of the recording-start latency and of jitter; the time it waited for a CPU before
 * reading (on a loaded host, tens to hundreds of ms) belongs to neither.
 */
static int64_t arrival_us(const struct msghdr *h, int64_t now_mono, int64_t now_real)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_TIMESTAMPNS)
            continue;
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        int64_t ago = now_real - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        return ago > 0 ? now_mono - ago : now_mono; /* a clock step: the read time */
    }
    return now_mono;
}

static void on_datagram(rec_rtp_sock *s, int which, uint8_t *pkt, size_t len,
                        const struct mmsghdr *m, int64_t now)
{
    const struct sockaddr_in *from = m->msg_hdr.msg_name;
    if (m->msg_hdr.msg_flags & MSG_TRUNC) {
        /* No RTP we record is this large: the session counts it as malformed (an empty
         * datagram fails its parse) rather than writing a cut packet. */
        s->cb(s->ctx, pkt, 0, which, now);
        return;
    }
    int check = which == 0 && m->msg_hdr.msg_namelen == sizeof *from;
    if (check && s->latched &&
        (from->sin_addr.s_addr != s->peer.sin_addr.s_addr || from->sin_port != s->peer.sin_port)) {
        s->foreign++; /* dropped before any decryption work */
        return;
    }
    if (s->unprotect && s->unprotect(s->uctx, pkt, &len, which) != 0) {
        s->unprotect_failed++;
        return;
    }
    /* Only a packet that is RTP (and, with SRTP, authentic) may fix the peer, so
     * garbage sent first cannot lock the real sender out. */
    ar_rtp_hdr h;
    if (check && !s->latched && !ar_rtp_is_rtcp(pkt, len) &&
        ar_rtp_parse(pkt, len, &h) == AR_E_OK) {
        s->latched = 1;
        s->peer = *from;
    }
    s->cb(s->ctx, pkt, len, which, now);
}

static gboolean on_readable(rec_rtp_sock *s, int which)
{
    for (int got = 0; got < REC_RTP_BURST;) {
        /* The headers are reset each time: the kernel rewrote the name lengths and flags. */
        rx_prepare();
        int n = recvmmsg(s->fd[which], rx_msg, REC_RTP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                LOG_WARN(rtp, "recv on port %u: %s", (unsigned)s->port + which, strerror(errno));
            break;
        }
        /* One read of each clock per batch; each datagram's own arrival from its stamp. */
        int64_t now = g_get_monotonic_time(), real = g_get_real_time();
        for (int i = 0; i < n; i++)
            on_datagram(s, which, rx_buf[i], rx_msg[i].msg_len, &rx_msg[i],
                        arrival_us(&rx_msg[i].msg_hdr, now, real));
        got += n;
        if (n < REC_RTP_BATCH)
            break; /* drained: no EAGAIN round trip needed */
    }
    return G_SOURCE_CONTINUE;
}

/* An epoll entry: the socket's address with the RTCP flag in bit 0 (it is aligned). */
static uint64_t ep_key(rec_rtp_sock *s, int which)
{
    return (uint64_t)(uintptr_t)s | (uint64_t)which;
}

static gboolean on_epoll(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    (void)data;
    struct epoll_event evs[REC_RTP_EVENTS];
    int n = epoll_wait(fd, evs, REC_RTP_EVENTS, 0);
    if (n < 0 && errno != EINTR)
        LOG_WARN(rtp, "epoll_wait: %s", strerror(errno));
    ep_batch = evs;
    ep_batch_n = n > 0 ? n : 0;
    for (int i = 0; i < ep_batch_n; i++) {
        uint64_t key = evs[i].data.u64;
        if (key == 0)
            continue; /* its socket was freed by an earlier callback of this batch */
        on_readable((rec_rtp_sock *)(uintptr_t)(key & ~(uint64_t)1), (int)(key & 1));
    }
    ep_batch = NULL;
    ep_batch_n = 0;
    return G_SOURCE_CONTINUE;
}

static int ep_add(rec_rtp_sock *s, int which)
{
    if (ep_fd < 0) {
        ep_fd = epoll_create1(EPOLL_CLOEXEC);
        if (ep_fd < 0)
            return AR_E_IO;
        ep_watch = g_unix_fd_add(ep_fd, G_IO_IN, on_epoll, NULL);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ep_key(s, which)};
    if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, s->fd[which], &ev) != 0)
        return AR_E_IO;
    s->polled[which] = true;
    ep_users++;
    return AR_E_OK;
}

static void ep_del(rec_rtp_sock *s, int which)
{
    if (!s->polled[which])
        return;
    epoll_ctl(ep_fd, EPOLL_CTL_DEL, s->fd[which], NULL);
    s->polled[which] = false;
    for (int i = 0; i < ep_batch_n; i++)
        if (ep_batch[i].data.u64 == ep_key(s, which))
            ep_batch[i].data.u64 = 0;
    if (--ep_users == 0) {
        /* The last socket: nothing is left to watch (no fd outlives the sessions). */
        g_source_remove(ep_watch);
        ep_watch = 0;
        close(ep_fd);
        ep_fd = -1;
    }
}

/* Tries to bind RTP on port (0 = any) and RTCP on the next port. */
static int try_pair(rec_rtp_sock *s, const char *addr, uint16_t port)
{
    int rc = bind_udp(addr, port, &s->fd[0]);
    if (rc != AR_E_OK)
        return rc;
    uint16_t p = local_port(s->fd[0]);
    if (p == 0 || p == 65535 || (p & 1)) {
        close(s->fd[0]);
        s->fd[0] = -1;
        return AR_E_MEDIA_NO_PORTS;
    }
    rc = bind_udp(addr, (uint16_t)(p + 1), &s->fd[1]);
    if (rc != AR_E_OK) {
        close(s->fd[0]);
        s->fd[0] = -1;
        return rc;
    }
    s->port = p;
    return AR_E_OK;
}

int rec_rtp_open(rec_rtp_sock **out, const char *addr, const rec_port_range *range,
                 rec_rtp_packet_cb cb, void *ctx)
{
    int rc = AR_E_MEDIA_NO_PORTS;
    rec_rtp_sock *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return AR_E_NOMEM;
    s->fd[0] = s->fd[1] = -1;
    s->cb = cb;
    s->ctx = ctx;
    if (range && range->lo) {
        /* Start at a random even port so concurrent sessions rarely collide. */
        unsigned span = (unsigned)(range->hi - range->lo + 1) / 2;
        unsigned start = span ? (unsigned)g_random_int_range(0, (gint32)span) : 0;
        for (unsigned i = 0; i < span && rc != AR_E_OK; i++) {
            unsigned port = ((unsigned)range->lo + 1) / 2 * 2 + 2 * ((start + i) % span);
            if (port + 1 > range->hi)
                continue;
            rc = try_pair(s, addr, (uint16_t)port);
            if (rc != AR_E_OK && rc != AR_E_MEDIA_NO_PORTS)
                break;
        }
    } else {
        /* Ephemeral even port whose successor is free; a few attempts suffice. */
        for (int i = 0; i < 64 && rc != AR_E_OK; i++) {
            rc = try_pair(s, addr, 0);
            if (rc != AR_E_OK && rc != AR_E_MEDIA_NO_PORTS)
                break;
        }
    }
    if (rc != AR_E_OK)
        goto cleanup;
    for (int i = 0; i < 2 && rc == AR_E_OK; i++)
        rc = ep_add(s, i);
    if (rc != AR_E_OK)
        goto cleanup;
    *out = s;
    s = NULL;
cleanup:
    rec_rtp_free(&s);
    return rc;
}

void rec_rtp_set_unprotect(rec_rtp_sock *s, rec_rtp_unprotect_fn fn, void *uctx)
{
    s->unprotect = fn;
    s->uctx = uctx;
}

void rec_rtp_relatch(rec_rtp_sock *s)
{
    s->latched = 0;
}

uint64_t rec_rtp_foreign(const rec_rtp_sock *s)
{
    return s->foreign;
}

uint16_t rec_rtp_port(const rec_rtp_sock *s)
{
    return s->port;
}

uint64_t rec_rtp_unprotect_failed(const rec_rtp_sock *s)
{
    return s->unprotect_failed;
}

void rec_rtp_free(rec_rtp_sock **sp)
{
    rec_rtp_sock *s = *sp;
    if (!s)
        return;
    *sp = NULL;
    for (int i = 0; i < 2; i++) {
        ep_del(s, i);
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    }
    free(s);
}

int rec_port_range_parse(const char *text, rec_port_range *out)
{
    char *end;
    unsigned long lo = strtoul(text, &end, 10);
    if (*end != '-')
        return -1;
    unsigned long hi = strtoul(end + 1, &end, 10);
    if (*end != '\0' || lo < 1024 || hi > 65535 || lo >= hi)
        return -1;
    out->lo = (uint16_t)lo;
    out->hi = (uint16_t)hi;
    return 0;
}
