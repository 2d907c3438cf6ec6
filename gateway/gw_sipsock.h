/* SIP UDP socket tuning: a receive buffer big enough that load bursts queue, not drop. */
#ifndef GW_SIPSOCK_H
#define GW_SIPSOCK_H

/*
 * sofia-sip has no transport tag for SO_RCVBUF, and the kernel default (208 KiB, about
 * a hundred SIP datagrams once the per-packet overhead counts) overflows whenever the
 * loop spends a few tens of milliseconds on one batch of work: every datagram dropped
 * then costs a 500 ms retransmission and a second parse. The stack's UDP sockets are
 * found by their local port once nua has bound them.
 */
typedef struct {
    int sockets;   /* UDP sockets bound to the port that were tuned */
    int effective; /* SO_RCVBUF read back from the last one (the kernel doubles the request
                      and clamps it to net.core.rmem_max) */
} gw_sipsock_result;

/* Set SO_RCVBUF = bytes on every UDP socket of this process bound to port (> 0); AR_E_IO
 * when a setsockopt failed, res->sockets = 0 when none is bound to port. */
int gw_sipsock_set_rcvbuf(int port, int bytes, gw_sipsock_result *res);

#endif
