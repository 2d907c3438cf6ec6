/* Receive buffers of UDP sockets a library opened for us (sofia-sip's SIP transport). */
#ifndef AR_SOCKBUF_H
#define AR_SOCKBUF_H

#include <stdint.h>

/* Default SIP receive buffer: a burst of a few thousand messages while the loop is busy. */
#define AR_SOCKBUF_SIP_RCVBUF (4 << 20)

/*
 * Sets SO_RCVBUF (SO_RCVBUFFORCE when allowed, else capped by net.core.rmem_max) to
 * bytes on every UDP socket of this process bound to local port `port`. sofia-sip
 * keeps the kernel default (net.core.rmem_default, often 208 KiB): a loop stalled for
 * a few tens of ms under load then drops SIP datagrams, and each drop costs a 500 ms
 * retransmission (T1). Returns the number of sockets changed (0 if none matched);
 * *effective (when not NULL) gets the size the kernel reports for the last one (Linux
 * reports twice the request; 0 when none changed).
 */
int ar_sockbuf_grow_udp(uint16_t port, int bytes, int *effective);

/* The descriptors of this process's UDP sockets bound to local port `port` (at most
 * max, in descriptor order); returns how many were found. */
int ar_sockbuf_udp_fds(uint16_t port, int *fds, int max);

#endif
