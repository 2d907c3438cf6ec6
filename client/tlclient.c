/* T-Lib client library: one non-blocking TCP connection with binary framing. */
#include "tlclient.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ar_buf.h"
#include "tl_codec.h"

struct tlc {
    int fd;
    unsigned version;
    size_t max_frame;
    int64_t next_ref;
    ar_buf in, out;
    bool closed; /* end of stream seen; buffered frames may still be decoded */
    char err[160];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1 = none) in the form poll() wants. */
static int remaining(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - now_ms();
    return left < 0 ? 0 : (int)(left > 1000000 ? 1000000 : left);
}

static int64_t deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

int tlc_split_hostport(const char *hostport, char *host, size_t hostsz, char *port, size_t portsz)
{
    const char *colon, *h = hostport;
    size_t hlen;

    if (!hostport)
        return AR_E_INVALID_VALUE;
    if (*h == '[') {
        const char *end = strchr(h, ']');
        if (!end || end[1] != ':')
            return AR_E_INVALID_VALUE;
        h++;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(h, ':');
        if (!colon)
            return AR_E_INVALID_VALUE;
        hlen = (size_t)(colon - h);
    }
    if (hlen == 0 || hlen >= hostsz || strlen(colon + 1) == 0 || strlen(colon + 1) >= portsz)
        return AR_E_INVALID_VALUE;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    strcpy(port, colon + 1);
    return 0;
}

/* Non-blocking connect to one address, waiting for completion until deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *fd_out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return AR_E_IO;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS)
            goto fail;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n = poll(&pfd, 1, remaining(deadline));
        if (n == 0) {
            close(fd);
            return AR_E_TIMEOUT;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0)
            goto fail;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fd_out = fd;
    return 0;
fail:
    close(fd);
    return AR_E_IO;
}

int tlc_connect(const char *hostport, int timeout_ms, tlc **out)
{
    char host[256], port[32];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int64_t deadline = deadline_of(timeout_ms);
    int rc, fd = -1;

    *out = NULL;
    rc = tlc_split_hostport(hostport, host, sizeof host, port, sizeof port);
    if (rc)
        return rc;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return AR_E_IO;
    rc = AR_E_IO;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        rc = connect_one(ai, deadline, &fd);
        if (rc == 0 || rc == AR_E_TIMEOUT)
            break;
    }
    freeaddrinfo(res);
    if (rc)
        return rc;

    tlc *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return AR_E_NOMEM;
    }
    c->fd = fd;
    c->version = TLC_PROTOCOL_VERSION;
    c->max_frame = TL_FRAME_DEFAULT_MAX;
    c->next_ref = 1;
    *out = c;
    return 0;
}

void tlc_free(tlc **cp)
{
    if (!cp || !*cp)
        return;
    tlc *c = *cp;
    if (c->fd >= 0)
        close(c->fd);
    ar_buf_free(&c->in);
    ar_buf_free(&c->out);
    free(c);
    *cp = NULL;
}

int tlc_fd(const tlc *c)
{
    return c->fd;
}

bool tlc_want_write(const tlc *c)
{
    return ar_buf_pending(&c->out) > 0;
}

void tlc_set_max_frame(tlc *c, size_t max)
{
    c->max_frame = max;
}

void tlc_set_version(tlc *c, unsigned version)
{
    c->version = version;
}

const char *tlc_last_error(const tlc *c)
{
    return c->err;
}

int tlc_flush(tlc *c)
{
    while (ar_buf_pending(&c->out) > 0) {
        ssize_t n = send(c->fd, ar_buf_head(&c->out), ar_buf_pending(&c->out), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            snprintf(c->err, sizeof c->err, "send: %s", strerror(errno));
            return errno == EPIPE || errno == ECONNRESET ? AR_E_CLOSED : AR_E_IO;
        }
        ar_buf_consume(&c->out, (size_t)n);
    }
    return 0;
}

/* Block until the output queue is empty or the deadline passes. */
static int drain(tlc *c, int64_t deadline)
{
    for (;;) {
        int rc = tlc_flush(c);
        if (rc || !tlc_want_write(c))
            return rc;
        struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
        int n = poll(&pfd, 1, remaining(deadline));
        if (n == 0)
            return AR_E_TIMEOUT;
        if (n < 0 && errno != EINTR)
            return AR_E_IO;
    }
}

int tlc_queue(tlc *c, tl_msg *m, int64_t *ref)
{
    const tl_msg_info *info = tl_msg_info_get(m->type);
    int64_t r = -1;

    if (!tl_msg_get_int(m, TL_A_ReferenceID, &r) && info && info->kind == TL_REQUEST) {
        r = c->next_ref++;
        if (tl_msg_set_int(m, TL_A_ReferenceID, r))
            return AR_E_NOMEM;
    } else if (r >= c->next_ref) {
        /* Keep automatic ids clear of the ones the caller chose. */
        c->next_ref = r + 1;
    }
    if (ref)
        *ref = r;
    int rc = tl_bin_encode(m, c->version, &c->out);
    if (rc)
        return rc;
    return tlc_flush(c);
}

int tlc_send(tlc *c, tl_msg *m, int timeout_ms, int64_t *ref)
{
    int rc = tlc_queue(c, m, ref);
    if (rc)
        return rc;
    return drain(c, deadline_of(timeout_ms));
}

int tlc_send_raw(tlc *c, const void *p, size_t len, int timeout_ms)
{
    if (ar_buf_append(&c->out, p, len))
        return AR_E_NOMEM;
    return drain(c, deadline_of(timeout_ms));
}

int tlc_feed_bytes(tlc *c, const void *p, size_t len)
{
    return ar_buf_append(&c->in, p, len) ? AR_E_NOMEM : 0;
}

int tlc_feed(tlc *c)
{
    for (;;) {
        if (ar_buf_reserve(&c->in, 65536))
            return AR_E_NOMEM;
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (n > 0) {
            c->in.len += (size_t)n;
            continue;
        }
        if (n == 0) {
            c->closed = true;
            return AR_E_CLOSED;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        snprintf(c->err, sizeof c->err, "recv: %s", strerror(errno));
        c->closed = true;
        return errno == ECONNRESET ? AR_E_CLOSED : AR_E_IO;
    }
}

int tlc_next(tlc *c, tl_msg **out)
{
    size_t consumed = 0;
    tl_decode_err err;

    *out = NULL;
    if (ar_buf_pending(&c->in) == 0)
        return 0;
    memset(&err, 0, sizeof err);
    tl_dec_result r = tl_bin_decode(ar_buf_head(&c->in), ar_buf_pending(&c->in), c->max_frame, out,
                                    &consumed, &err);
    if (r == TL_DEC_NEED_MORE)
        return 0;
    if (r == TL_DEC_ERROR) {
        snprintf(c->err, sizeof c->err, "%s (%d): %s",
                 ar_errname(err.code) ? ar_errname(err.code) : "?", err.code, err.detail);
        if (err.fatal || consumed == 0)
            return err.code > 0 ? -err.code : -AR_E_FRAME_MALFORMED;
        /* A well-framed but undecodable message: skip it, report it. */
        ar_buf_consume(&c->in, consumed);
        return err.code > 0 ? -err.code : -AR_E_FRAME_MALFORMED;
    }
    ar_buf_consume(&c->in, consumed);
    return 1;
}

int tlc_recv(tlc *c, int timeout_ms, tl_msg **out)
{
    int64_t deadline = deadline_of(timeout_ms);

    *out = NULL;
    for (;;) {
        int r = tlc_next(c, out);
        if (r == 1)
            return 0;
        if (r < 0)
            return -r;
        if (c->closed)
            return AR_E_CLOSED;
        short ev = POLLIN | (tlc_want_write(c) ? POLLOUT : 0);
        struct pollfd pfd = {.fd = c->fd, .events = ev};
        int n = poll(&pfd, 1, remaining(deadline));
        if (n < 0 && errno != EINTR)
            return AR_E_IO;
        if (n == 0)
            return AR_E_TIMEOUT;
        if (n < 0)
            continue;
        if (pfd.revents & POLLOUT) {
            int rc = tlc_flush(c);
            if (rc)
                return rc;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            int rc = tlc_feed(c);
            /* Frames that arrived before the close are still delivered. */
            if (rc && rc != AR_E_CLOSED)
                return rc;
        }
    }
}

int tlc_recv_reply(tlc *c, int64_t ref, int timeout_ms, tl_msg **out,
                   void (*on_other)(tl_msg *m, void *arg), void *arg)
{
    int64_t deadline = deadline_of(timeout_ms);

    *out = NULL;
    for (;;) {
        tl_msg *m = NULL;
        int rc = tlc_recv(c, remaining(deadline), &m);
        if (rc)
            return rc;
        int64_t r;
        if (tl_msg_get_int(m, TL_A_ReferenceID, &r) && r == ref) {
            *out = m;
            return 0;
        }
        if (on_other)
            on_other(m, arg);
        else
            tl_msg_free(&m);
    }
}

int tlc_register(tlc *c, const char *app, const char *password, unsigned version, int timeout_ms,
                 tl_msg **reply)
{
    int64_t deadline = deadline_of(timeout_ms), ref;
    tl_msg *m = tl_msg_new(TL_M_RequestRegisterClient), *r = NULL;
    int rc = AR_E_NOMEM;

    if (reply)
        *reply = NULL;
    if (!m || tl_msg_set_str(m, TL_A_ApplicationName, app ? app : "") ||
        (password && tl_msg_set_str(m, TL_A_ApplicationPassword, password)) ||
        tl_msg_set_int(m, TL_A_ProtocolVersion, version))
        goto cleanup;
    rc = tlc_send(c, m, remaining(deadline), &ref);
    if (rc)
        goto cleanup;
    rc = tlc_recv_reply(c, ref, remaining(deadline), &r, NULL, NULL);
    if (rc)
        goto cleanup;
    if (r->type == TL_M_EventError) {
        int64_t code = AR_E_INTERNAL;
        tl_msg_get_int(r, TL_A_ErrorCode, &code);
        snprintf(c->err, sizeof c->err, "%s",
                 tl_msg_get_str(r, TL_A_ErrorMessage) ? tl_msg_get_str(r, TL_A_ErrorMessage)
                                                      : ar_strerror((int)code));
        rc = (int)code;
    } else if (r->type != TL_M_EventServerConnected) {
        snprintf(c->err, sizeof c->err, "unexpected reply %u to RequestRegisterClient", r->type);
        rc = AR_E_INVALID_VALUE;
    }
    if (rc == 0 && version != c->version)
        c->version = version;
cleanup:
    tl_msg_free(&m);
    if (reply)
        *reply = r;
    else
        tl_msg_free(&r);
    return rc;
}
