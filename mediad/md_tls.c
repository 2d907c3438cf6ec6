/* mediad SIPS helpers: certificate directory checks, verify policies, recorder URI scheme. */
#include "md_tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sofia-sip/tport_tag.h>
#include <unistd.h>

int md_tls_check_dir(const char *dir, const char **why)
{
    static const char *files[] = {"agent.pem", "cafile.pem"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (access(path, R_OK) != 0) {
            *why = i == 0 ? "agent.pem (certificate + key) missing or unreadable"
                          : "cafile.pem (trusted CAs) missing or unreadable";
            return -1;
        }
    }
    return 0;
}

int md_tls_probe_port(const char *addr)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd >= 0 && inet_pton(AF_INET, addr, &sa.sin_addr) == 1 &&
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

const char *md_tls_dest_scheme(const char *dest)
{
    return strncasecmp(dest, "sips:", 5) == 0 ? "sips" : "sip";
}

const char *md_tls_dest_transport(const char *dest, char *buf, size_t cap)
{
    buf[0] = '\0';
    const char *p = strcasestr(dest, ";transport=");
    if (!p || cap < 2)
        return buf;
    p += 11;
    size_t n = 0;
    while (p[n] && p[n] != ';' && p[n] != '>' && p[n] != '?' && n < 8)
        n++;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]))
            return buf; /* not a transport token: pass nothing */
    snprintf(buf, cap, ";transport=%.*s", (int)n, p);
    return buf;
}
