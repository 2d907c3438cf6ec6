/* RTP/RTCP port-pair allocator over a configurable range, with a capacity limit. */
#ifndef MD_PORTS_H
#define MD_PORTS_H

#include <stdint.h>

typedef struct md_ports md_ports;

/* A bound pair: RTP on an even port, RTCP on port + 1; fds are non-blocking UDP. */
typedef struct {
    uint16_t port;
    int rtp_fd;
    int rtcp_fd;
} md_port_pair;

/* Range lo..hi (inclusive, lo rounded up to even); at most max_pairs in use at once
 * (0 = as many as the range holds). addr is the IPv4 address to bind. */
md_ports *md_ports_new(const char *addr, uint16_t lo, uint16_t hi, unsigned max_pairs);
void md_ports_free(md_ports **pp);
/* Bind a free pair; returns AR_E_OK or AR_E_MEDIA_NO_PORTS (capacity or range exhausted). */
int md_ports_alloc(md_ports *p, md_port_pair *out);
/* Return a pair's port to the pool (the fds are closed by whoever owns them). */
void md_ports_release(md_ports *p, uint16_t port);
unsigned md_ports_in_use(const md_ports *p);
unsigned md_ports_capacity(const md_ports *p);

#endif
