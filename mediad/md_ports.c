/* RTP/RTCP port-pair allocator: a bitmap over the range, binding both sockets at once. */
#include "md_ports.h"

#include "ar_err.h"
#include "ar_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct md_ports {
    struct in_addr addr;
    uint16_t lo;       /* first even port */
    unsigned npairs;   /* pairs in the range */
    unsigned max_used; /* capacity limit */
    unsigned used;
    unsigned next; /* round-robin cursor so a released port is not reused at once */
    uint8_t *busy; /* one byte per pair: simple and small enough (range / 2) */
};

md_ports *md_ports_new(const char *addr, uint16_t lo, uint16_t hi, unsigned max_pairs)
{
    if (lo % 2)
        lo++;
    if (lo == 0 || hi <= lo)
        return NULL;
    md_ports *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (inet_pton(AF_INET, addr, &p->addr) != 1) {
        free(p);
        return NULL;
    }
    p->lo = lo;
    p->npairs = (unsigned)(hi - lo + 1) / 2;
    p->max_used = max_pairs && max_pairs < p->npairs ? max_pairs : p->npairs;
    p->busy = calloc(p->npairs ? p->npairs : 1, 1);
    if (!p->busy) {
        free(p);
        return NULL;
    }
    return p;
}

void md_ports_free(md_ports **pp)
{
    if (!*pp)
        return;
    free((*pp)->busy);
    free(*pp);
    *pp = NULL;
}

static int bind_udp(struct in_addr a, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = a};
    int sz = 1 << 20; /* room for bursts: the worker drains in batches */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int md_ports_alloc(md_ports *p, md_port_pair *out)
{
    if (p->used >= p->max_used)
        return AR_E_MEDIA_NO_PORTS;
    for (unsigned n = 0; n < p->npairs; n++) {
        unsigned i = (p->next + n) % p->npairs;
        if (p->busy[i])
            continue;
        uint16_t port = (uint16_t)(p->lo + 2 * i);
        int a = bind_udp(p->addr, port);
        if (a < 0)
            continue; /* taken by another process: try the next pair */
        int b = bind_udp(p->addr, (uint16_t)(port + 1));
        if (b < 0) {
            close(a);
            continue;
        }
        p->busy[i] = 1;
        p->used++;
        p->next = (i + 1) % p->npairs;
        out->port = port;
        out->rtp_fd = a;
        out->rtcp_fd = b;
        return AR_E_OK;
    }
    LOG_WARN(media, "no free RTP port pair in range (%u in use)", p->used);
    return AR_E_MEDIA_NO_PORTS;
}

void md_ports_release(md_ports *p, uint16_t port)
{
    if (port < p->lo)
        return;
    unsigned i = (unsigned)(port - p->lo) / 2;
    if (i < p->npairs && p->busy[i]) {
        p->busy[i] = 0;
        p->used--;
    }
}

unsigned md_ports_in_use(const md_ports *p)
{
    return p->used;
}

unsigned md_ports_capacity(const md_ports *p)
{
    return p->max_used;
}
