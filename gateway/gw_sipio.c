/* sip-batch-io: the SIP stack thread's UDP read and sent in recvmmsg / sendmmsg batches. */
#include "gw_sipio.h"

#include <dlfcn.h>
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ar_log.h"
#include "gw_sipthread.h"

#define RECV_SLOT 65536 /* the largest UDP payload fits: nothing read ahead is ever cut */

typedef struct {
    int fd;
    /* The reactor's registration of the socket, as its epoll_wait returned it. */
    bool learned;
    int epfd;
    epoll_data_t data;
    /* Datagrams read ahead: rmsg[rhead..rn) not handed out yet. */
    uint8_t *rbuf;
    struct mmsghdr rmsg[GW_SIPIO_BATCH];
    struct iovec riov[GW_SIPIO_BATCH];
    struct sockaddr_storage rfrom[GW_SIPIO_BATCH];
    int rhead, rn;
    /* Datagrams queued for sending, in order. */
    uint8_t *sbuf;
    struct mmsghdr smsg[GW_SIPIO_BATCH];
    struct iovec siov[GW_SIPIO_BATCH];
    struct sockaddr_storage sto[GW_SIPIO_BATCH];
    int sn, sflags;
} fdstate;

/* Published by the loop thread (gw_sipio_enable), read by the stack thread. */
static atomic_int en_fd[GW_SIPIO_MAX_FDS] = {-1, -1, -1, -1};
static atomic_int en_n;
/* The stack thread's own. */
static fdstate *states[GW_SIPIO_MAX_FDS];
static int n_queued; /* datagrams queued on every socket */
static int queued_rounds;
static int64_t queued_since;
static int last_epfd = -1, last_n;
static epoll_data_t last_data;

static atomic_ullong n_recv_calls, n_recv_dgrams, n_send_calls, n_send_dgrams, n_send_dropped,
    n_ready;

typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*getsockopt_fn)(int, int, int, void *restrict, socklen_t *restrict);

/* libc's functions (or a sanitizer's wrappers of them): the next definition after ours. */
static void *next_sym(_Atomic(void *) *slot, const char *name)
{
    void *p = atomic_load_explicit(slot, memory_order_acquire);
    if (!p) {
        p = dlsym(RTLD_NEXT, name);
        atomic_store_explicit(slot, p, memory_order_release);
    }
    return p;
}
static _Atomic(void *) p_ioctl, p_recvmsg, p_sendmsg, p_getsockopt;
#define REAL(fn, type) ((type)(uintptr_t)next_sym(&p_##fn, #fn))

void gw_sipio_enable(const int *fds, int n)
{
    /* Resolved here, on the loop thread, not on the stack's under load. */
    (void)REAL(ioctl, ioctl_fn);
    (void)REAL(recvmsg, recvmsg_fn);
    (void)REAL(sendmsg, sendmsg_fn);
    (void)REAL(getsockopt, getsockopt_fn);
    if (n > GW_SIPIO_MAX_FDS)
        n = GW_SIPIO_MAX_FDS;
    atomic_store_explicit(&en_n, 0, memory_order_release);
    for (int i = 0; i < n; i++)
        atomic_store_explicit(&en_fd[i], fds[i], memory_order_relaxed);
    atomic_store_explicit(&en_n, n, memory_order_release);
}

static fdstate *state_new(fdstate *s, int fd)
{
    if (!s) {
        s = g_new0(fdstate, 1);
        s->rbuf = g_malloc((size_t)GW_SIPIO_BATCH * RECV_SLOT);
        s->sbuf = g_malloc((size_t)GW_SIPIO_BATCH * GW_SIPIO_SEND_SLOT);
    }
    n_queued -= s->sn; /* an earlier stack's socket: what it left queued is gone with it */
    s->fd = fd;
    s->learned = false;
    s->rhead = s->rn = s->sn = 0;
    return s;
}

/* The state of an enabled socket, on the stack thread; NULL for anything else. */
static fdstate *state_of(int fd)
{
    if (fd < 0 || !gw_sipthread_on_stack())
        return NULL;
    int n = atomic_load_explicit(&en_n, memory_order_acquire);
    for (int i = 0; i < n; i++) {
        if (atomic_load_explicit(&en_fd[i], memory_order_relaxed) != fd)
            continue;
        if (!states[i] || states[i]->fd != fd)
            states[i] = state_new(states[i], fd); /* a new stack's sockets (tests) */
        return states[i];
    }
    return NULL;
}

static void flush(fdstate *s)
{
    sendmsg_fn real = REAL(sendmsg, sendmsg_fn);
    int i = 0;
    while (i < s->sn) {
        int r = sendmmsg(s->fd, s->smsg + i, (unsigned)(s->sn - i), s->sflags | MSG_DONTWAIT);
        atomic_fetch_add_explicit(&n_send_calls, 1, memory_order_relaxed);
        if (r > 0) {
            atomic_fetch_add_explicit(&n_send_dgrams, (unsigned long long)r, memory_order_relaxed);
            i += r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        /* Datagram i refused: once more on its own, as sofia would have sent it after
         * clearing the socket's error; then it counts as lost. */
        if (real(s->fd, &s->smsg[i].msg_hdr, s->sflags | MSG_DONTWAIT) < 0) {
            atomic_fetch_add_explicit(&n_send_dropped, 1, memory_order_relaxed);
            LOG_DEBUG(sip, "SIP datagram of %zu bytes not sent: %s", s->siov[i].iov_len,
                      g_strerror(errno));
        } else {
            atomic_fetch_add_explicit(&n_send_dgrams, 1, memory_order_relaxed);
        }
        i++;
    }
    n_queued -= s->sn;
    s->sn = 0;
}

static void flush_all(void)
{
    for (int i = 0; i < GW_SIPIO_MAX_FDS; i++)
        if (states[i] && states[i]->sn)
            flush(states[i]);
    queued_rounds = 0;
}

void gw_sipio_round(bool block)
{
    if (!n_queued)
        return;
    if (block || ++queued_rounds >= GW_SIPIO_FLUSH_ROUNDS ||
        g_get_monotonic_time() - queued_since >= GW_SIPIO_FLUSH_US)
        flush_all();
}

int gw_sipio_ready(int epfd, struct epoll_event *events, int max)
{
    int k = 0;
    for (int i = 0; i < GW_SIPIO_MAX_FDS && k < max; i++) {
        fdstate *s = states[i];
        if (s && s->learned && s->epfd == epfd && s->rhead < s->rn)
            events[k++] = (struct epoll_event){.events = EPOLLIN, .data = s->data};
    }
    if (k)
        atomic_fetch_add_explicit(&n_ready, 1, memory_order_relaxed);
    return k;
}

void gw_sipio_returned(int epfd, const struct epoll_event *events, int n)
{
    last_epfd = epfd;
    last_n = n;
    if (n == 1)
        last_data = events[0].data;
}

/* The socket being read is the one the reactor's last wait reported alone. */
static void learn(fdstate *s)
{
    if (last_n != 1 || last_epfd < 0)
        return;
    s->learned = true;
    s->epfd = last_epfd;
    s->data = last_data;
}

static void refill(fdstate *s)
{
    for (int i = 0; i < GW_SIPIO_BATCH; i++) {
        s->riov[i] =
            (struct iovec){.iov_base = s->rbuf + (size_t)i * RECV_SLOT, .iov_len = RECV_SLOT};
        s->rmsg[i].msg_hdr = (struct msghdr){.msg_name = &s->rfrom[i],
                                             .msg_namelen = sizeof s->rfrom[i],
                                             .msg_iov = &s->riov[i],
                                             .msg_iovlen = 1};
    }
    int n = recvmmsg(s->fd, s->rmsg, GW_SIPIO_BATCH, MSG_DONTWAIT, NULL);
    atomic_fetch_add_explicit(&n_recv_calls, 1, memory_order_relaxed);
    s->rhead = 0;
    s->rn = n > 0 ? n : 0;
    if (n > 0)
        atomic_fetch_add_explicit(&n_recv_dgrams, (unsigned long long)n, memory_order_relaxed);
}

/* The next datagram read ahead, skipping empty ones (sofia would consume the socket's
 * next datagram for an empty one: it cannot be handed out). */
static struct mmsghdr *head(fdstate *s)
{
    while (s->rhead < s->rn && s->rmsg[s->rhead].msg_len == 0)
        s->rhead++;
    return s->rhead < s->rn ? &s->rmsg[s->rhead] : NULL;
}

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    fdstate *s;
    if (request == FIONREAD && (s = state_of(fd)) != NULL) {
        if (!s->learned)
            learn(s);
        if (s->learned) {
            if (!head(s))
                refill(s);
            struct mmsghdr *h = head(s);
            if (h) {
                *(int *)arg = (int)h->msg_len;
                return 0;
            }
        }
    }
    return REAL(ioctl, ioctl_fn)(fd, request, arg);
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
    fdstate *s;
    struct mmsghdr *h;
    if (flags != 0 || (s = state_of(fd)) == NULL || (h = head(s)) == NULL)
        return REAL(recvmsg, recvmsg_fn)(fd, m, flags);
    const uint8_t *p = h->msg_hdr.msg_iov[0].iov_base;
    size_t len = h->msg_len, off = 0;
    for (size_t i = 0; i < (size_t)m->msg_iovlen && off < len; i++) {
        size_t take = len - off < m->msg_iov[i].iov_len ? len - off : m->msg_iov[i].iov_len;
        memcpy(m->msg_iov[i].iov_base, p + off, take);
        off += take;
    }
    if (m->msg_name) {
        socklen_t nl = h->msg_hdr.msg_namelen;
        memcpy(m->msg_name, h->msg_hdr.msg_name, nl < m->msg_namelen ? nl : m->msg_namelen);
        m->msg_namelen = nl;
    }
    m->msg_controllen = 0;
    m->msg_flags = off < len ? MSG_TRUNC : 0;
    s->rhead++;
    return (ssize_t)off;
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    fdstate *s = state_of(fd);
    if (!s)
        return REAL(sendmsg, sendmsg_fn)(fd, m, flags);
    size_t len = 0;
    for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
        len += m->msg_iov[i].iov_len;
    if ((s->sn && flags != s->sflags) || m->msg_controllen || len > GW_SIPIO_SEND_SLOT ||
        m->msg_namelen > sizeof(struct sockaddr_storage)) {
        /* Not queueable: after what is queued, in order. */
        if (s->sn)
            flush(s);
        return REAL(sendmsg, sendmsg_fn)(fd, m, flags);
    }
    int k = s->sn;
    uint8_t *slot = s->sbuf + (size_t)k * GW_SIPIO_SEND_SLOT;
    size_t off = 0;
    for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
        memcpy(slot + off, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
        off += m->msg_iov[i].iov_len;
    }
    if (m->msg_name && m->msg_namelen)
        memcpy(&s->sto[k], m->msg_name, m->msg_namelen);
    s->siov[k] = (struct iovec){.iov_base = slot, .iov_len = len};
    s->smsg[k].msg_hdr = (struct msghdr){.msg_name = m->msg_namelen ? &s->sto[k] : NULL,
                                         .msg_namelen = m->msg_namelen,
                                         .msg_iov = &s->siov[k],
                                         .msg_iovlen = 1};
    s->sflags = flags;
    if (n_queued++ == 0) {
        queued_rounds = 0;
        queued_since = g_get_monotonic_time();
    }
    if (++s->sn == GW_SIPIO_BATCH)
        flush(s);
    return (ssize_t)len;
}

int getsockopt(int fd, int level, int optname, void *restrict optval, socklen_t *restrict optlen)
{
    /* sofia reads SO_ERROR before each send only to clear it; flush() retries a refused
     * datagram instead (gw_sipio.h). */
    if (level == SOL_SOCKET && optname == SO_ERROR && optval && optlen &&
        *optlen >= (socklen_t)sizeof(int) && state_of(fd)) {
        *(int *)optval = 0;
        *optlen = sizeof(int);
        return 0;
    }
    return REAL(getsockopt, getsockopt_fn)(fd, level, optname, optval, optlen);
}

void gw_sipio_get_stats(gw_sipio_stats *out)
{
    out->recv_calls = atomic_load_explicit(&n_recv_calls, memory_order_relaxed);
    out->recv_datagrams = atomic_load_explicit(&n_recv_dgrams, memory_order_relaxed);
    out->send_calls = atomic_load_explicit(&n_send_calls, memory_order_relaxed);
    out->send_datagrams = atomic_load_explicit(&n_send_dgrams, memory_order_relaxed);
    out->send_dropped = atomic_load_explicit(&n_send_dropped, memory_order_relaxed);
    out->ready_rounds = atomic_load_explicit(&n_ready, memory_order_relaxed);
}
