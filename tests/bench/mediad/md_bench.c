/* mediad load generator: N recorded G.711 calls; loss, latency, CPU vs bare relay/rtpengine. */

/* Plays N recorded calls (2 streams x 50 pps) through mediad to a sink recorder it
 * answers itself, then the same streams through a bare recvmmsg/sendmmsg relay thread
 * (the machine's limit) and, when given, rtpengine in userspace mode. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ar_crypto.h"
#include "ar_err.h"
#include "ar_srtp.h"

#define PAYLOAD 160
#define PKT     (12 + PAYLOAD)
#define PKTCAP  (PKT + AR_SRTP_TRAILER_ROOM) /* room for an SRTP tag (--srtp) */
#define BATCH   64
#define HIST_US 20000

typedef struct {
    int port_a, port_b; /* mediad ports of the two legs */
    char callid[2][64];
    char totag[2][64];
} bcall;

typedef struct {
    int sip, media, sink; /* sockets */
    struct sockaddr_in mediad;
    int sip_port, media_port, sink_port;
    int ncalls;
    bcall *calls;
    uint64_t sent, bridged_rx, rec_rx;
    int rec_invites; /* recording INVITEs answered as the sink */
    uint64_t hist_bridge[HIST_US + 1], hist_rec[HIST_US + 1];
    int pid;
} bench;

/* Extra recording parameters ("name=value;name=value") for every call, e.g. a tone or
 * localrecord, and the label the figures are printed under (run_bench.sh). */
static const char *g_params = "";
static const char *g_label = "mediad";
/* --srtp: parties speak RTP/SAVP with one bench key (a=crypto), the sink answers RTP/SAVP
 * with its own; mediad decrypts each packet once and encrypts it per output. */
static int g_srtp;
static char g_party_crypto[AR_CRYPTO_LINE_MAX], g_sink_crypto[AR_CRYPTO_LINE_MAX];
static ar_srtp **g_tx; /* one outbound context per party stream, as a phone has */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int udp_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("socket");
        exit(1);
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* ---- minimal SIP over UDP (both the gateway side and the recorder side) ---- */

static void sip_send(bench *b, const struct sockaddr_in *to, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    sendto(b->sip, buf, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
}

static int hdr(const char *msg, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), "\r\n%s:", name);
    const char *p = strcasestr(msg, key);
    if (!p)
        return -1;
    p += strlen(key);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\r\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static const char *body_of(const char *msg)
{
    const char *p = strstr(msg, "\r\n\r\n");
    return p ? p + 4 : "";
}

/* Answer a request from mediad: INVITE (as the recorder sink), BYE, INFO, OPTIONS. */
static void uas_answer(bench *b, const char *msg, const struct sockaddr_in *from)
{
    char via[512] = "", fr[256] = "", to[256] = "", cid[128] = "", cseq[64] = "";
    hdr(msg, "Via", via, sizeof(via));
    hdr(msg, "From", fr, sizeof(fr));
    hdr(msg, "To", to, sizeof(to));
    hdr(msg, "Call-ID", cid, sizeof(cid));
    hdr(msg, "CSeq", cseq, sizeof(cseq));
    if (!strstr(to, "tag="))
        strncat(to, ";tag=sink", sizeof(to) - strlen(to) - 1);
    char sdp[2048] = "";
    if (!strncmp(msg, "INVITE", 6)) {
        b->rec_invites++;
        int n = snprintf(
            sdp, sizeof(sdp),
            "v=0\r\no=sink 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n");
        for (const char *m = strstr(msg, "\nm="); m && n < 1800; m = strstr(m + 1, "\nm="))
            n += snprintf(sdp + n, sizeof(sdp) - (size_t)n,
                          "m=audio %d %s 0\r\na=recvonly\r\n%s%s%s", b->sink_port,
                          g_srtp ? "RTP/SAVP" : "RTP/AVP", g_srtp ? "a=crypto:" : "",
                          g_srtp ? g_sink_crypto : "", g_srtp ? "\r\n" : "");
    }
    sip_send(b, from,
             "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
             "Contact: <sip:sink@127.0.0.1:%d>\r\n%sContent-Length: %zu\r\n\r\n%s",
             via, fr, to, cid, cseq, b->sip_port, sdp[0] ? "Content-Type: application/sdp\r\n" : "",
             strlen(sdp), sdp);
}

/* Wait for the final response to (callid, cseq), answering requests meanwhile. */
static int wait_final(bench *b, const char *callid, int cseq, char *resp, size_t cap)
{
    uint64_t end = now_ns() + 5000000000ull;
    while (now_ns() < end) {
        struct pollfd pf = {.fd = b->sip, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(b->sip, resp, cap - 1, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        resp[n] = '\0';
        if (strncmp(resp, "SIP/2.0 ", 8) != 0) {
            if (strncmp(resp, "ACK", 3) != 0)
                uas_answer(b, resp, &from);
            continue;
        }
        char cid[128], cs[64];
        if (hdr(resp, "Call-ID", cid, sizeof(cid)) || hdr(resp, "CSeq", cs, sizeof(cs)))
            continue;
        if (strcmp(cid, callid) != 0 || atoi(cs) != cseq)
            continue;
        int status = atoi(resp + 8);
        if (status >= 200)
            return status;
    }
    return -1;
}

static int request(bench *b, const char *method, const char *ruri, const char *callid,
                   const char *totag, int cseq, const char *ctype, const char *body, char *resp,
                   size_t cap)
{
    sip_send(b, &b->mediad,
             "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d%s\r\n"
             "Max-Forwards: 70\r\nFrom: <sip:gw@127.0.0.1:%d>;tag=gw\r\nTo: <%s>%s%s\r\n"
             "Call-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:gw@127.0.0.1:%d>\r\n%s%s%s"
             "Content-Length: %zu\r\n\r\n%s",
             method, ruri, b->sip_port, callid, cseq, method, b->sip_port, ruri,
             totag ? ";tag=" : "", totag ? totag : "", callid, cseq, method, b->sip_port,
             ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "", strlen(body),
             body);
    if (!strcmp(method, "ACK"))
        return 200;
    return wait_final(b, callid, cseq, resp, cap);
}

static int setup_call(bench *b, int i, int record)
{
    bcall *c = &b->calls[i];
    char ruri[256], sdp[640], resp[8192], port[32];
    for (int leg = 0; leg < 2; leg++) {
        snprintf(c->callid[leg], sizeof(c->callid[leg]), "bench-%d-%d-%d", b->pid, i, leg);
        snprintf(ruri, sizeof(ruri), "sip:msml=bench%d@127.0.0.1:%d;dn=%d%d;record", i,
                 ntohs(b->mediad.sin_port), i, leg);
        snprintf(sdp, sizeof(sdp),
                 "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                 "m=audio %d %s 0\r\n%s%s%s",
                 b->media_port, g_srtp ? "RTP/SAVP" : "RTP/AVP", g_srtp ? "a=crypto:" : "",
                 g_srtp ? g_party_crypto : "", g_srtp ? "\r\n" : "");
        int st = request(b, "INVITE", ruri, c->callid[leg], NULL, 1, "application/sdp", sdp, resp,
                         sizeof(resp));
        if (st != 200)
            return -1;
        char to[256];
        hdr(resp, "To", to, sizeof(to));
        const char *tag = strstr(to, "tag=");
        snprintf(c->totag[leg], sizeof(c->totag[leg]), "%.*s",
                 tag ? (int)strcspn(tag + 4, ";>") : 0, tag ? tag + 4 : "");
        const char *m = strstr(body_of(resp), "m=audio ");
        if (!m || sscanf(m + 8, "%31s", port) != 1)
            return -1;
        (leg ? &c->port_b : &c->port_a)[0] = atoi(port);
        request(b, "ACK", ruri, c->callid[leg], c->totag[leg], 1, NULL, "", resp, sizeof(resp));
    }
    if (!record)
        return 0;
    char xml[2048], extra[1024] = "";
    size_t el = 0;
    for (const char *p = g_params; *p && el < sizeof(extra) - 64;) {
        size_t n = strcspn(p, ";"), eq = strcspn(p, "=");
        if (eq < n)
            el += (size_t)snprintf(extra + el, sizeof(extra) - el,
                                   "<gvp:param name=\"%.*s\">%.*s</gvp:param>", (int)eq, p,
                                   (int)(n - eq - 1), p + eq + 1);
        p += n + (p[n] == ';');
    }
    snprintf(xml, sizeof(xml),
             "<msml version=\"1.1\"><createconference name=\"recorder\"><gvp:recorder><gvp:params>"
             "<gvp:param name=\"dest\">sip:127.0.0.1:%d</gvp:param>"
             "<gvp:param name=\"id\">bench%d</gvp:param>"
             "<gvp:param name=\"recmediactl\">1</gvp:param>%s</gvp:params></gvp:recorder>"
             "</createconference></msml>",
             b->sip_port, i, extra);
    snprintf(ruri, sizeof(ruri), "sip:msml=bench%d@127.0.0.1:%d;dn=%d0;record", i,
             ntohs(b->mediad.sin_port), i);
    return request(b, "INFO", ruri, c->callid[0], c->totag[0], 2, "application/msml+xml", xml, resp,
                   sizeof(resp)) == 200
               ? 0
               : -1;
}

static void teardown(bench *b)
{
    char ruri[256], resp[8192];
    for (int i = 0; i < b->ncalls; i++)
        for (int leg = 0; leg < 2; leg++) {
            snprintf(ruri, sizeof(ruri), "sip:msml=bench%d@127.0.0.1:%d", i,
                     ntohs(b->mediad.sin_port));
            request(b, "BYE", ruri, b->calls[i].callid[leg], b->calls[i].totag[leg], 3, NULL, "",
                    resp, sizeof(resp));
        }
}

/* ---- rtpengine ng protocol (bencode over UDP), for the anchor run ---- */

/* Send one ng command and return the "sdp" of the answer's m=audio port, or -1. */
static int ng_call(int fd, const struct sockaddr_in *ng, const char *cmd, const char *callid,
                   const char *to_tag, int media_port)
{
    char sdp[512], msg[2048], resp[8192];
    int sl = snprintf(sdp, sizeof(sdp),
                      "v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio %d RTP/AVP 0\r\n",
                      media_port);
    int n =
        snprintf(msg, sizeof(msg), "%s_%s d7:command%zu:%s3:sdp%d:%s7:call-id%zu:%s8:from-tag2:ft",
                 callid, cmd, strlen(cmd), cmd, sl, sdp, strlen(callid), callid);
    if (to_tag)
        n += snprintf(msg + n, sizeof(msg) - (size_t)n, "6:to-tag%zu:%s", strlen(to_tag), to_tag);
    n += snprintf(msg + n, sizeof(msg) - (size_t)n, "e");
    sendto(fd, msg, (size_t)n, 0, (const struct sockaddr *)ng, sizeof(*ng));
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 3000) <= 0)
        return -1;
    ssize_t r = recv(fd, resp, sizeof(resp) - 1, 0);
    if (r <= 0)
        return -1;
    resp[r] = '\0';
    const char *m = strstr(resp, "m=audio ");
    return m ? atoi(m + 8) : -1;
}

/* ---- media ---- */

static void drain(bench *b, int fd, uint64_t *count, uint64_t *hist)
{
    static uint8_t bufs[BATCH][2048];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = sizeof(bufs[i]);
            memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        uint64_t now = now_ns();
        for (int i = 0; i < n; i++) {
            if (mm[i].msg_len < PKT)
                continue;
            if (g_srtp) { /* the send time is encrypted: count only */
                (*count)++;
                continue;
            }
            uint64_t t;
            memcpy(&t, bufs[i] + 12, sizeof(t));
            uint64_t us = now > t ? (now - t) / 1000 : 0;
            hist[us > HIST_US ? HIST_US : us]++;
            (*count)++;
        }
    }
    (void)b;
}

static uint64_t pctl(const uint64_t *hist, uint64_t total, double p)
{
    uint64_t want = (uint64_t)(total * p), acc = 0;
    for (int i = 0; i <= HIST_US; i++) {
        acc += hist[i];
        if (acc > want)
            return (uint64_t)i;
    }
    return HIST_US;
}

/* Send one 20 ms tick: one packet per party stream, with the send time in the payload. */
static void tick(bench *b, int seq, uint8_t (*pk)[PKTCAP], struct sockaddr_in *dst,
                 struct mmsghdr *mm, struct iovec *iov)
{
    int total = b->ncalls * 2;
    /* Build (and with --srtp, protect) the whole tick first, then send it: the burst
     * reaches mediad with the same shape with and without SRTP, so the two CPU figures
     * compare the same wake-up pattern. */
    for (int s = 0; s < total; s++) {
        bcall *c = &b->calls[s / 2];
        uint8_t *p = pk[s];
        p[0] = 0x80;
        p[1] = 0;
        p[2] = (uint8_t)(seq >> 8);
        p[3] = (uint8_t)seq;
        uint32_t ts = htonl((uint32_t)seq * 160u), ssrc = htonl((uint32_t)s + 1);
        memcpy(p + 4, &ts, 4);
        memcpy(p + 8, &ssrc, 4);
        uint64_t t = now_ns();
        memcpy(p + 12, &t, sizeof(t));
        dst[s] = b->mediad;
        dst[s].sin_port = htons((uint16_t)(s % 2 ? c->port_b : c->port_a));
        iov[s].iov_base = p;
        iov[s].iov_len = PKT;
        size_t plen = PKT;
        if (g_srtp && ar_srtp_protect(g_tx[s], p, &plen, PKTCAP) == AR_E_OK)
            iov[s].iov_len = plen;
        memset(&mm[s].msg_hdr, 0, sizeof(mm[s].msg_hdr));
        mm[s].msg_hdr.msg_name = &dst[s];
        mm[s].msg_hdr.msg_namelen = sizeof(dst[s]);
        mm[s].msg_hdr.msg_iov = &iov[s];
        mm[s].msg_hdr.msg_iovlen = 1;
    }
    for (int first = 0; first < total; first += BATCH) {
        int n = total - first < BATCH ? total - first : BATCH, done = 0;
        while (done < n) {
            int r = sendmmsg(b->media, mm + first + done, (unsigned)(n - done), 0);
            if (r <= 0)
                break;
            done += r;
        }
        b->sent += (uint64_t)done;
    }
}

/* CPU seconds of pid: user + system, and the user part in *user when given. */
static double proc_cpu_user_s(int pid, double *user)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    if (user)
        *user = (double)ut / (double)sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_cpu_s(int pid)
{
    return proc_cpu_user_s(pid, NULL);
}

static long proc_rss_kb(int pid)
{
    char path[64], line[256];
    long kb = 0;
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* mediad's memory figures (--stats-file there): SIGUSR1, then wait (bounded) for the
 * line with the next seq. Fills the named fields; 0 on success. */
typedef struct {
    long seq, calls, streams, stream_size, own, inuse, mmap_b, rss_kb;
} md_mem;

static int read_mem(const char *path, md_mem *m)
{
    char line[512];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *ok = fgets(line, sizeof(line), f);
    fclose(f);
    if (!ok)
        return -1;
    const struct {
        const char *k;
        long *v;
    } keys[] = {{"seq=", &m->seq},           {"calls=", &m->calls},
                {"streams=", &m->streams},   {"stream_size=", &m->stream_size},
                {"own_bytes=", &m->own},     {"heap_inuse=", &m->inuse},
                {"mmap_bytes=", &m->mmap_b}, {"rss_kb=", &m->rss_kb}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *p = strstr(line, keys[i].k);
        if (!p)
            return -1;
        *keys[i].v = atol(p + strlen(keys[i].k));
    }
    return 0;
}

static int snap_mem(int pid, const char *path, md_mem *m)
{
    md_mem prev = {0};
    if (read_mem(path, &prev) != 0)
        prev.seq = 0;
    if (kill(pid, SIGUSR1) != 0)
        return -1;
    for (int i = 0; i < 500; i++) { /* 5 s */
        if (read_mem(path, m) == 0 && m->seq > prev.seq)
            return 0;
        poll(NULL, 0, 10);
    }
    return -1;
}

/* Per recorded call: mediad's own structs (sizeof sums + strings + stream slots) against
 * the malloc heap in use (mallinfo2) and RSS; the rest of the heap is sofia-sip's
 * dialogs/transactions/messages and glib. Stream slots live in the engine's pool
 * (allocated at start, so in RSS but not in the heap delta). */
static void print_mem(const char *when, const md_mem *m0, const md_mem *m1)
{
    if (m1->calls <= m0->calls)
        return;
    double n = (double)(m1->calls - m0->calls);
    double own = (double)(m1->own - m0->own) / n;
    double heap = (double)((m1->inuse + m1->mmap_b) - (m0->inuse + m0->mmap_b)) / n;
    double strm = (double)((m1->streams - m0->streams) * m1->stream_size) / n;
    printf("%s: memory per call %s (%ld calls): rss %.1f KiB, heap in use %.1f KiB, "
           "mediad own %.2f KiB (of which %.2f KiB stream slots, %ld B each), "
           "other heap (sofia-sip + glib) %.1f KiB\n",
           g_label, when, m1->calls - m0->calls, (double)(m1->rss_kb - m0->rss_kb) / n, heap / 1024,
           own / 1024, strm / 1024, m1->stream_size, (heap - own + strm) / 1024);
}

/* The machine's limit: a relay thread doing only recvmmsg + sendmmsg back to the sender. */
typedef struct {
    int fd, stop;
    uint64_t relayed;
} bare_relay;

static void *bare_main(void *arg)
{
    bare_relay *r = arg;
    static uint8_t bufs[BATCH][2048];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in src[BATCH];
    while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
        struct pollfd pf = {.fd = r->fd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = sizeof(bufs[i]);
            memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
            mm[i].msg_hdr.msg_name = &src[i];
            mm[i].msg_hdr.msg_namelen = sizeof(src[i]);
        }
        int n = recvmmsg(r->fd, mm, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; i++)
            iov[i].iov_len = mm[i].msg_len;
        /* Two copies per packet, like a recorded call: bridge + replica. */
        for (int k = 0; k < 2; k++)
            sendmmsg(r->fd, mm, (unsigned)n, 0);
        r->relayed += (uint64_t)n;
    }
    return NULL;
}

static double thread_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * Answer whatever requests mediad sent the sink meanwhile (non-blocking): its keepalive
 * OPTIONS toward the recorder (--rec-keepalive, 1 s) must be answered during the media
 * phase too, or mediad drops the recording after a second and stops replicating.
 */
static void sip_pump(bench *b)
{
    char msg[8192];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n =
            recvfrom(b->sip, msg, sizeof(msg) - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            return;
        msg[n] = '\0';
        if (strncmp(msg, "SIP/2.0", 7) != 0 && strncmp(msg, "ACK", 3) != 0)
            uas_answer(b, msg, &from);
    }
}

static void run_media(bench *b, double seconds, int self_pid_cpu)
{
    int total = b->ncalls * 2;
    uint8_t(*pk)[PKTCAP] = calloc((size_t)total, PKTCAP);
    struct sockaddr_in *dst = calloc((size_t)total, sizeof(*dst));
    struct mmsghdr *mm = calloc((size_t)total, sizeof(*mm));
    struct iovec *iov = calloc((size_t)total, sizeof(*iov));
    uint64_t start = now_ns(), next = start;
    int seq = 0;
    (void)self_pid_cpu;
    while (now_ns() - start < (uint64_t)(seconds * 1e9)) {
        tick(b, seq++, pk, dst, mm, iov);
        next += 20000000ull;
        for (;;) {
            uint64_t t = now_ns();
            if (t >= next)
                break;
            struct pollfd pf[3] = {{.fd = b->media, .events = POLLIN},
                                   {.fd = b->sink, .events = POLLIN},
                                   {.fd = b->sip, .events = POLLIN}};
            poll(pf, 3, (int)((next - t) / 1000000));
            drain(b, b->media, &b->bridged_rx, b->hist_bridge);
            drain(b, b->sink, &b->rec_rx, b->hist_rec);
            if (pf[2].revents & POLLIN)
                sip_pump(b);
        }
    }
    /* Let the last packets arrive (bounded). */
    uint64_t end = now_ns() + 200000000ull;
    while (now_ns() < end) {
        struct pollfd pf[2] = {{.fd = b->media, .events = POLLIN},
                               {.fd = b->sink, .events = POLLIN}};
        poll(pf, 2, 20);
        drain(b, b->media, &b->bridged_rx, b->hist_bridge);
        drain(b, b->sink, &b->rec_rx, b->hist_rec);
    }
    free(pk);
    free(dst);
    free(mm);
    free(iov);
}

int main(int argc, char **argv)
{
    const char *target = NULL, *ng_target = NULL;
    int ncalls = 100, mediad_pid = 0, ng_pid = 0, anchors = 1;
    const char *stats_file = NULL; /* mediad's --stats-file: precise memory figures */
    int idle_s = 0; /* --idle: memory again after this long without media (transactions gone) */
    double seconds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--mediad"))
            target = argv[i + 1];
        else if (!strcmp(argv[i], "--calls"))
            ncalls = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid"))
            mediad_pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rtpengine"))
            ng_target = argv[i + 1];
        else if (!strcmp(argv[i], "--rtpengine-pid"))
            ng_pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--params"))
            g_params = argv[i + 1];
        else if (!strcmp(argv[i], "--label"))
            g_label = argv[i + 1];
        else if (!strcmp(argv[i], "--anchors"))
            anchors = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--srtp"))
            g_srtp = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--stats-file"))
            stats_file = argv[i + 1];
        else if (!strcmp(argv[i], "--idle"))
            idle_s = atoi(argv[i + 1]);
    }
    if (!target || ncalls <= 0) {
        fprintf(stderr, "usage: md_bench --mediad 127.0.0.1:PORT --pid MEDIAD_PID [--calls N] "
                        "[--seconds S] [--params 'k=v;k=v'] [--label NAME] [--anchors 0|1] "
                        "[--srtp 0|1] [--stats-file MEDIAD_STATS_FILE] [--idle S]\n");
        return 2;
    }
    if (g_srtp) {
        ar_crypto pk, sk;
        if (ar_crypto_generate(&pk, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80) != AR_E_OK ||
            ar_crypto_generate(&sk, 1, AR_CRYPTO_AES_CM_128_HMAC_SHA1_80) != AR_E_OK ||
            ar_crypto_build(&pk, g_party_crypto, sizeof(g_party_crypto)) != AR_E_OK ||
            ar_crypto_build(&sk, g_sink_crypto, sizeof(g_sink_crypto)) != AR_E_OK ||
            !(g_tx = calloc((size_t)ncalls * 2, sizeof(*g_tx)))) {
            fprintf(stderr, "md_bench: SRTP setup failed\n");
            return 1;
        }
        for (int i = 0; i < ncalls * 2; i++)
            if (ar_srtp_new(&g_tx[i], &pk, AR_SRTP_OUTBOUND) != AR_E_OK) {
                fprintf(stderr, "md_bench: SRTP setup failed\n");
                return 1;
            }
        anchors = 0; /* the anchors relay clear RTP: compare with a plain run instead */
    }
    bench *b = calloc(1, sizeof(*b));
    b->pid = getpid();
    b->ncalls = ncalls;
    b->calls = calloc((size_t)ncalls, sizeof(bcall));
    b->sip = udp_socket(&b->sip_port);
    b->media = udp_socket(&b->media_port);
    b->sink = udp_socket(&b->sink_port);
    b->mediad.sin_family = AF_INET;
    b->mediad.sin_port = htons((uint16_t)atoi(strchr(target, ':') + 1));
    inet_pton(AF_INET, "127.0.0.1", &b->mediad.sin_addr);

    md_mem mem0 = {0}, mem1 = {0};
    int have_mem = stats_file && mediad_pid && snap_mem(mediad_pid, stats_file, &mem0) == 0;
    long rss0 = mediad_pid ? proc_rss_kb(mediad_pid) : 0;
    for (int i = 0; i < ncalls; i++) {
        if (setup_call(b, i, 1) != 0) {
            fprintf(stderr, "md_bench: call %d setup failed\n", i);
            return 1;
        }
    }
    /* Answer the recording INVITEs mediad sends our sink until all calls have one. */
    char resp[8192];
    uint64_t until = now_ns() + 10000000000ull;
    while (b->rec_invites < ncalls && now_ns() < until) {
        struct pollfd pf = {.fd = b->sip, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(b->sip, resp, sizeof(resp) - 1, 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        resp[n] = '\0';
        if (strncmp(resp, "SIP/2.0", 7) != 0 && strncmp(resp, "ACK", 3) != 0)
            uas_answer(b, resp, &from);
    }
    if (b->rec_invites < ncalls)
        fprintf(stderr, "md_bench: only %d of %d recording sessions arrived\n", b->rec_invites,
                ncalls);
    long rss1 = mediad_pid ? proc_rss_kb(mediad_pid) : 0;
    have_mem = have_mem && snap_mem(mediad_pid, stats_file, &mem1) == 0;
    if (have_mem)
        print_mem("after setup", &mem0, &mem1);
    else if (stats_file)
        fprintf(stderr, "md_bench: no memory figures from %s\n", stats_file);
    if (have_mem && idle_s > 0) {
        /* sofia keeps finished transactions for 64*T1 (32 s): the steady state comes later. */
        poll(NULL, 0, idle_s * 1000);
        if (snap_mem(mediad_pid, stats_file, &mem1) == 0) {
            char what[64];
            snprintf(what, sizeof(what), "after %d s idle", idle_s);
            print_mem(what, &mem0, &mem1);
        }
    }
    double user0 = 0, user1 = 0;
    double cpu0 = mediad_pid ? proc_cpu_user_s(mediad_pid, &user0) : 0;
    run_media(b, seconds, 0);
    double cpu1 = mediad_pid ? proc_cpu_user_s(mediad_pid, &user1) : 0;
    teardown(b);

    uint64_t exp_bridge = b->sent, exp_rec = b->sent;
    double loss_b =
        exp_bridge
            ? 100.0 *
                  (double)(exp_bridge - (b->bridged_rx < exp_bridge ? b->bridged_rx : exp_bridge)) /
                  (double)exp_bridge
            : 0;
    double loss_r = exp_rec
                        ? 100.0 * (double)(exp_rec - (b->rec_rx < exp_rec ? b->rec_rx : exp_rec)) /
                              (double)exp_rec
                        : 0;
    double cpu_ns = b->sent ? (cpu1 - cpu0) * 1e9 / (double)b->sent : 0;
    printf("%s: calls=%d seconds=%.1f sent=%llu bridged=%llu replicated=%llu\n", g_label, ncalls,
           seconds, (unsigned long long)b->sent, (unsigned long long)b->bridged_rx,
           (unsigned long long)b->rec_rx);
    if (g_srtp) {
        printf("%s: loss bridged=%.4f%% replicated=%.4f%%  latency n/a (send time encrypted)\n",
               g_label, loss_b, loss_r);
    } else {
        printf("%s: loss bridged=%.4f%% replicated=%.4f%%  latency p50=%lluus p99=%lluus (bridged) "
               "p99=%lluus (replicated)\n",
               g_label, loss_b, loss_r,
               (unsigned long long)pctl(b->hist_bridge, b->bridged_rx, 0.5),
               (unsigned long long)pctl(b->hist_bridge, b->bridged_rx, 0.99),
               (unsigned long long)pctl(b->hist_rec, b->rec_rx, 0.99));
    }
    printf("%s: cpu=%.2fs  %.0f ns per received packet (each relayed + replicated); "
           "rss growth %ld KiB for %d calls = %.1f KiB/call\n",
           g_label, cpu1 - cpu0, cpu_ns, rss1 - rss0, ncalls,
           ncalls ? (double)(rss1 - rss0) / ncalls : 0);
    /* Capacity: how many calls like these one core of mediad carries (CPU bound). */
    if (cpu1 > cpu0 && ncalls > 0 && seconds > 0)
        printf("%s: recorded calls per core %.0f (%.0f received packets/s per call)\n", g_label,
               ncalls * seconds / (cpu1 - cpu0), (double)b->sent / (ncalls * seconds));
    /* Where a difference lies: mediad's own code and libraries (user) or the kernel's
     * sockets and scheduling (system). The kernel splits by tick samples, so a run of a
     * few seconds gives only a rough split; the sum above is exact. */
    if (b->sent)
        printf("%s: cpu split user %.0f ns + system %.0f ns per received packet\n", g_label,
               (user1 - user0) * 1e9 / (double)b->sent,
               ((cpu1 - cpu0) - (user1 - user0)) * 1e9 / (double)b->sent);

    fflush(stdout);
    if (!anchors)
        return 0;
    /* Anchor: a bare recvmmsg/sendmmsg relay at the same packet rate, in this process. */
    bare_relay br = {0};
    int bare_port;
    br.fd = udp_socket(&bare_port);
    pthread_t th;
    pthread_create(&th, NULL, bare_main, &br);
    double t0 = 0;
    bench *bb = calloc(1, sizeof(*bb));
    *bb = *b;
    bb->sent = bb->bridged_rx = bb->rec_rx = 0;
    memset(bb->hist_bridge, 0, sizeof(bb->hist_bridge));
    memset(bb->hist_rec, 0, sizeof(bb->hist_rec));
    bb->mediad.sin_port = htons((uint16_t)bare_port);
    for (int i = 0; i < ncalls; i++)
        bb->calls[i].port_a = bb->calls[i].port_b = bare_port;
    (void)t0;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    double relay_cpu0 = thread_cpu_s();
    run_media(bb, seconds, 0);
    __atomic_store_n(&br.stop, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    getrusage(RUSAGE_SELF, &ru1);
    double self_cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                      (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                      ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                       (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) /
                          1e6;
    double main_cpu = thread_cpu_s() - relay_cpu0;
    double bare_ns = br.relayed ? (self_cpu - main_cpu) * 1e9 / (double)br.relayed : 0;
    printf("bare:   relayed=%llu  %.0f ns per received packet (2 sends each)  p99=%lluus\n",
           (unsigned long long)br.relayed, bare_ns,
           (unsigned long long)pctl(bb->hist_bridge, bb->bridged_rx, 0.99));
    if (bare_ns > 0)
        printf("ratio:  mediad/bare CPU per packet = %.2f\n", cpu_ns / bare_ns);

    /* Anchor: rtpengine (userspace) relaying the same streams, without recording. */
    if (ng_target && ng_pid) {
        struct sockaddr_in ng = {.sin_family = AF_INET};
        ng.sin_port = htons((uint16_t)atoi(strchr(ng_target, ':') + 1));
        inet_pton(AF_INET, "127.0.0.1", &ng.sin_addr);
        int ngp, ngfd = udp_socket(&ngp);
        bench *rb = bb;
        rb->sent = rb->bridged_rx = rb->rec_rx = 0;
        memset(rb->hist_bridge, 0, sizeof(rb->hist_bridge));
        rb->mediad.sin_port = 0; /* only the address is used; ports are per call */
        for (int i = 0; i < ncalls; i++) {
            char cid[64];
            snprintf(cid, sizeof(cid), "ng-%d-%d", b->pid, i);
            int to_b = ng_call(ngfd, &ng, "offer", cid, NULL, b->media_port);
            int to_a = ng_call(ngfd, &ng, "answer", cid, "tt", b->media_port);
            if (to_a <= 0 || to_b <= 0) {
                fprintf(stderr, "md_bench: rtpengine offer/answer failed for call %d\n", i);
                return 1;
            }
            rb->calls[i].port_a = to_a;
            rb->calls[i].port_b = to_b;
        }
        double c0 = proc_cpu_s(ng_pid);
        run_media(rb, seconds, 0);
        double c1 = proc_cpu_s(ng_pid);
        double ng_ns = rb->sent ? (c1 - c0) * 1e9 / (double)rb->sent : 0;
        printf("rtpengine: sent=%llu relayed=%llu  %.0f ns per received packet (relay only)  "
               "p99=%lluus\n",
               (unsigned long long)rb->sent, (unsigned long long)rb->bridged_rx, ng_ns,
               (unsigned long long)pctl(rb->hist_bridge, rb->bridged_rx, 0.99));
        if (ng_ns > 0)
            printf("ratio:  mediad/rtpengine CPU per packet = %.2f (mediad also replicates)\n",
                   cpu_ns / ng_ns);
        for (int i = 0; i < ncalls; i++) {
            char cid[64], msg[256];
            snprintf(cid, sizeof(cid), "ng-%d-%d", b->pid, i);
            int n = snprintf(msg, sizeof(msg), "del_%d d7:command6:delete7:call-id%zu:%se", i,
                             strlen(cid), cid);
            sendto(ngfd, msg, (size_t)n, 0, (struct sockaddr *)&ng, sizeof(ng));
        }
        close(ngfd);
    }
    return 0;
}
