/* Grows the receive buffer of this process's UDP sockets on a given port (SIP transports). */
#include "ar_sockbuf.h"

#include <dirent.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

/* sockaddr port of fd if it is a bound UDP (IPv4 or IPv6) socket, else -1. */
static int udp_port_of(int fd)
{
    int type = 0;
    socklen_t tl = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM)
        return -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int ar_sockbuf_udp_fds(uint16_t port, int *fds, int max)
{
    int n = 0;
    /* The library does not hand its sockets out: find them among our descriptors. */
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    int self = dirfd(d);
    struct dirent *e;
    while (n < max && (e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd < 0 || fd == self)
            continue;
        if (udp_port_of((int)fd) == port)
            fds[n++] = (int)fd;
    }
    closedir(d);
    return n;
}

int ar_sockbuf_grow_udp(uint16_t port, int bytes, int *effective)
{
    int changed = 0, fds[16];
    if (effective)
        *effective = 0;
    int n = ar_sockbuf_udp_fds(port, fds, 16);
    for (int i = 0; i < n; i++) {
        if (setsockopt(fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0 ||
            setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0) {
            changed++;
            int eff = 0;
            socklen_t len = sizeof eff;
            if (effective && getsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &eff, &len) == 0)
                *effective = eff;
        }
    }
    return changed;
}
