/* Binary T-Lib transport: non-blocking TCP listener and connections on the GLib loop. */
#ifndef GW_TCP_H
#define GW_TCP_H

#include <stddef.h>
#include <sys/socket.h>

#include "gw_config.h"
#include "gw_server.h"

typedef struct gw_tcp gw_tcp;

/* Bind and listen on l (port 0 = ephemeral). NULL with *err (g_free) on failure. */
gw_tcp *gw_tcp_new(gw_server *srv, const gw_listen *l, char **err);
/* The port actually bound. */
int gw_tcp_port(const gw_tcp *t);
/* Close the listener and every connection it accepted. */
void gw_tcp_free(gw_tcp **t);

/* "host:port" ("[v6]:port") of an address / of a socket's peer, for logs. */
void gw_sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t n);
void gw_peer_name(int fd, char *out, size_t n);

#endif
