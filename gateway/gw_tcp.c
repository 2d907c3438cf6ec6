/* Binary T-Lib transport: non-blocking TCP listener and connections on the GLib loop. */
#include "gw_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_looptime.h"
#include "gw_tlib.h"
#include "gw_tlprio.h"
#include "tl_codec.h"

#define READ_CHUNK (64 * 1024)
/* Input handled per wakeup: bounds one batch, so the output it fans out stays well
 * under client-queue-limit before the flush, and other sources get their turn. */
#define READ_BUDGET (256 * 1024)

typedef struct tcp_conn tcp_conn;

struct gw_tcp {
    gw_server *srv;
    int fd;
    int port;
    guint watch;
    tcp_conn *conns; /* doubly linked */
};

struct tcp_conn {
    gw_tcp *tcp;
    int fd;
    GSource *in_src, *out_src; /* referenced; T-Lib priority (gw_tlprio.h) */
    guint timer;
    ar_buf in;
    gw_client *client;
    tcp_conn *prev, *next;
};

static void conn_flush(gw_client *c);
static void conn_close(gw_client *c);

static const gw_client_ops tcp_ops = {
    .name = "tcp",
    .flush = conn_flush,
    .close = conn_close,
};

/* A watch of the connection's fd at T-Lib priority, following gw_tlprio's guard. */
static GSource *watch_new(tcp_conn *k, GIOCondition cond, GUnixFDSourceFunc fn)
{
    GSource *s = g_unix_fd_source_new(k->fd, cond);
    g_source_set_callback(s, (GSourceFunc)(void (*)(void))fn, k, NULL);
    gw_tlprio_add(s);
    g_source_attach(s, NULL);
    return s;
}

/* Safe inside the source's own dispatch (GLib holds a reference meanwhile). */
static void watch_drop(GSource **ps)
{
    if (!*ps)
        return;
    gw_tlprio_remove(*ps);
    g_source_destroy(*ps);
    g_source_unref(*ps);
    *ps = NULL;
}

static void conn_free(tcp_conn *k)
{
    gw_tcp *t = k->tcp;
    watch_drop(&k->in_src);
    watch_drop(&k->out_src);
    if (k->timer)
        g_source_remove(k->timer);
    if (k->prev)
        k->prev->next = k->next;
    else
        t->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    close(k->fd);
    ar_buf_free(&k->in);
    gw_client_free(&k->client);
    g_free(k);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer ud);

/* One write of everything queued; the rest waits for G_IO_OUT. */
static void conn_write(tcp_conn *k)
{
    gw_client *c = k->client;
    while (ar_buf_pending(&c->out) > 0) {
        ssize_t n = send(k->fd, ar_buf_head(&c->out), ar_buf_pending(&c->out), MSG_NOSIGNAL);
        if (n > 0) {
            ar_buf_consume(&c->out, (size_t)n);
            if (ar_buf_pending(&c->out) > 0)
                break; /* short write: the socket buffer is full */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        gw_client_drop(c, "write failed: %s", n < 0 ? g_strerror(errno) : "closed");
        return;
    }
    if (ar_buf_pending(&c->out) > 0 && !k->out_src)
        k->out_src = watch_new(k, G_IO_OUT, on_writable);
    else if (ar_buf_pending(&c->out) == 0)
        watch_drop(&k->out_src);
}

static void conn_flush(gw_client *c)
{
    conn_write(c->tp);
}

static void conn_close(gw_client *c)
{
    tcp_conn *k = c->tp;
    /* Last chance for a queued EventError to leave before the close. */
    if (ar_buf_pending(&c->out) > 0)
        (void)!send(k->fd, ar_buf_head(&c->out), ar_buf_pending(&c->out),
                    MSG_NOSIGNAL | MSG_DONTWAIT);
    conn_free(k);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer ud)
{
    (void)fd;
    (void)cond;
    tcp_conn *k = ud;
    gw_server *srv = k->tcp->srv;
    gw_tlprio_begin();
    conn_write(k);
    gboolean keep = k->out_src != NULL && !k->client->closing;
    if (!keep)
        watch_drop(&k->out_src);
    gw_server_flush(srv);
    gw_tlprio_end();
    return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean on_frame_timeout(gpointer ud)
{
    tcp_conn *k = ud;
    gw_server *srv = k->tcp->srv;
    k->timer = 0;
    LOG_WARN(tlib, "client #%llu (%s): partial frame of %zu bytes not completed in %d s",
             (unsigned long long)k->client->id, k->client->peer, ar_buf_pending(&k->in),
             srv->cfg->frame_timeout);
    gw_tlib_send_error(k->client, AR_E_FRAME_TIMEOUT, -1,
                       "incomplete frame (%zu bytes) not completed within %d s",
                       ar_buf_pending(&k->in), srv->cfg->frame_timeout);
    gw_client_drop(k->client, "frame timeout");
    gw_server_flush(srv);
    return G_SOURCE_REMOVE;
}

/*
 * recv() that, when `stamp`, also notes how long the data sat in the socket: the kernel's
 * receive timestamp (SO_TIMESTAMPNS, set at accept) against the clock now. That wait is
 * the loop's queueing plus gatewayd being descheduled, which the loop's own clock misses.
 */
static ssize_t recv_stamped(int fd, uint8_t *p, size_t n, bool stamp)
{
    if (!stamp)
        return recv(fd, p, n, 0);
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = p, .iov_len = n};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t r = recvmsg(fd, &mh, 0);
    for (struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            gw_looptime_tlib_read_delay((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        }
    }
    return r;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer ud)
{
    (void)cond;
    tcp_conn *k = ud;
    gw_client *c = k->client;
    gw_server *srv = k->tcp->srv;
    size_t got = 0, frames = 0;
    bool eof = false;
    gw_looptime_tlib_input();
    gw_tlprio_begin();

    while (got < READ_BUDGET && !c->closing) {
        if (ar_buf_reserve(&k->in, READ_CHUNK)) {
            gw_client_drop(c, "out of memory reading");
            break;
        }
        ssize_t n = recv_stamped(fd, k->in.data + k->in.len, k->in.cap - k->in.len, got == 0);
        if (n > 0) {
            k->in.len += (size_t)n;
            got += (size_t)n;
            frames += gw_tlib_input_bin(c, &k->in);
            if ((size_t)n < READ_CHUNK)
                break; /* drained for now */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        eof = true;
        if (ar_buf_pending(&k->in) > 0)
            LOG_INFO(tlib, "client #%llu (%s) closed with %zu bytes of a partial frame",
                     (unsigned long long)c->id, c->peer, ar_buf_pending(&k->in));
        break;
    }

    if (!eof && !c->closing) {
        /* The frame timeout runs while a partial frame waits; a new frame restarts it. */
        if (ar_buf_pending(&k->in) == 0 || frames > 0) {
            if (k->timer)
                g_source_remove(k->timer);
            k->timer = 0;
        }
        if (ar_buf_pending(&k->in) > 0 && !k->timer)
            k->timer = g_timeout_add_seconds((guint)srv->cfg->frame_timeout, on_frame_timeout, k);
    }
    if (eof) {
        LOG_DEBUG(tlib, "client #%llu (%s) disconnected", (unsigned long long)c->id, c->peer);
        conn_free(k);
        gw_server_flush(srv);
        gw_tlprio_end();
        return G_SOURCE_REMOVE;
    }
    /* Decide before the flush: it may free this connection when the client is dropped. */
    gboolean keep = !c->closing;
    if (!keep)
        watch_drop(&k->in_src);
    gw_server_flush(srv);
    gw_looptime_tlib_served();
    gw_tlprio_end();
    return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void gw_sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        port = ntohs(s4->sin_port);
        snprintf(out, n, "%s:%d", host, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        port = ntohs(s6->sin6_port);
        snprintf(out, n, "[%s]:%d", host, port);
    } else {
        snprintf(out, n, "?");
    }
}

/* Refuse a connection above max-clients with an EventError written straight away. */
static void refuse(gw_server *srv, int fd, const char *peer, int max)
{
    tl_msg *e = tl_error_new(AR_E_TOO_MANY_CLIENTS, -1, "too many clients");
    if (e)
        gw_server_stamp(srv, e);
    ar_buf b = {0};
    if (e && tl_bin_encode(e, TL_PROTO_VERSION_MAX, &b) == 0)
        (void)!send(fd, ar_buf_head(&b), ar_buf_pending(&b), MSG_NOSIGNAL | MSG_DONTWAIT);
    ar_buf_free(&b);
    tl_msg_free(&e);
    LOG_WARN(tlib, "refusing %s: max-clients %d reached", peer, max);
    close(fd);
}

static gboolean on_accept(gint lfd, GIOCondition cond, gpointer ud)
{
    (void)cond;
    gw_tcp *t = ud;
    for (int i = 0; i < 256; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                LOG_ERR(tlib, "accept: %s", g_strerror(errno));
            break;
        }
        char peer[64];
        gw_sockaddr_format(&ss, peer, sizeof peer);
        if (t->srv->n_clients >= (size_t)t->srv->cfg->max_clients) {
            refuse(t->srv, fd, peer, t->srv->cfg->max_clients);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one); /* recv_stamped */
        tcp_conn *k = g_new0(tcp_conn, 1);
        k->tcp = t;
        k->fd = fd;
        k->client = gw_client_new(t->srv, &tcp_ops, k, GW_ENC_BIN, peer);
        k->in_src = watch_new(k, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable);
        k->next = t->conns;
        if (t->conns)
            t->conns->prev = k;
        t->conns = k;
        LOG_INFO(tlib, "client #%llu connected from %s", (unsigned long long)k->client->id, peer);
    }
    return G_SOURCE_CONTINUE;
}

gw_tcp *gw_tcp_new(gw_server *srv, const gw_listen *l, char **err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", l->port);
    const char *host = strcmp(l->host, "*") == 0 ? NULL : l->host;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        *err = g_strdup_printf("tlib-listen %s:%d: %s", l->host, l->port, gai_strerror(rc));
        return NULL;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        *err = g_strdup_printf("tlib-listen %s:%d: %s", l->host, l->port, g_strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (!*err)
            *err = g_strdup_printf("tlib-listen %s:%d: no usable address", l->host, l->port);
        return NULL;
    }
    g_free(*err);
    *err = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    gw_tcp *t = g_new0(gw_tcp, 1);
    t->srv = srv;
    t->fd = fd;
    t->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    t->watch = g_unix_fd_add(fd, G_IO_IN, on_accept, t);
    LOG_INFO(tlib, "T-Lib (binary) listening on %s:%d", l->host, t->port);
    return t;
}

void gw_peer_name(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
        ss.ss_family = AF_UNSPEC;
    gw_sockaddr_format(&ss, out, n);
}

int gw_tcp_port(const gw_tcp *t)
{
    return t->port;
}

void gw_tcp_free(gw_tcp **pt)
{
    gw_tcp *t = *pt;
    if (!t)
        return;
    while (t->conns)
        conn_free(t->conns);
    if (t->watch)
        g_source_remove(t->watch);
    close(t->fd);
    g_free(t);
    *pt = NULL;
}
