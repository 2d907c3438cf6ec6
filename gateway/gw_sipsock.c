/* SIP UDP socket tuning: SO_RCVBUF on the stack's UDP sockets, found by local port. */
#include "gw_sipsock.h"

#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ar_err.h"

/* Local port of fd when it is an IPv4 / IPv6 datagram socket, else -1. */
static int udp_port(int fd)
{
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM)
        return -1;
    struct sockaddr_storage ss;
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int gw_sipsock_set_rcvbuf(int port, int bytes, gw_sipsock_result *res)
{
    res->sockets = 0;
    res->effective = 0;
    if (port <= 0 || bytes <= 0)
        return AR_E_INVALID_VALUE;
    /* The descriptors are not ours to track (sofia-sip opened them): list them. */
    GDir *dir = g_dir_open("/proc/self/fd", 0, NULL);
    if (!dir)
        return AR_E_IO;
    int rc = AR_E_OK;
    const char *name;
    while ((name = g_dir_read_name(dir))) {
        char *end = NULL;
        long fd = strtol(name, &end, 10);
        if (!end || *end || fd < 0 || udp_port((int)fd) != port)
            continue;
        if (setsockopt((int)fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0) {
            rc = AR_E_IO;
            continue;
        }
        int eff = 0;
        socklen_t len = sizeof(eff);
        if (getsockopt((int)fd, SOL_SOCKET, SO_RCVBUF, &eff, &len) == 0)
            res->effective = eff;
        res->sockets++;
    }
    g_dir_close(dir);
    return rc;
}
