/* RTP/RTCP receive sockets for recorded streams, read from the GLib loop (one epoll set). */
#ifndef REC_RTP_H
#define REC_RTP_H

#include <stddef.h>
#include <stdint.h>

/* Port range for RTP/RTCP pairs (RTP even, RTCP = RTP + 1). lo == 0: any free pair. */
typedef struct {
    uint16_t lo, hi;
} rec_port_range;

typedef struct rec_rtp_sock rec_rtp_sock;

/*
 * Called for each datagram, on the loop thread. pkt is a shared receive buffer,
 * valid only during the call (writable so an unprotect step can work in place).
 * arrival_us is g_get_monotonic_time() at receipt.
 */
typedef void (*rec_rtp_packet_cb)(void *ctx, uint8_t *pkt, size_t len, int is_rtcp,
                                  int64_t arrival_us);

/*
 * Optional transform applied before the packet callback (SRTP/SRTCP unprotect slots
 * in here). Returns 0 and updates *len, or -1 to drop the packet (the socket counts
 * it as unprotect_failed).
 */
typedef int (*rec_rtp_unprotect_fn)(void *uctx, uint8_t *pkt, size_t *len, int is_rtcp);

/*
 * Source latching: the first RTP datagram fixes the peer address; datagrams from any
 * other address are dropped and counted (a stray sender cannot splice into a
 * recording). rec_rtp_relatch forgets the peer, for a re-INVITE that may move it.
 */
void rec_rtp_relatch(rec_rtp_sock *s);
uint64_t rec_rtp_foreign(const rec_rtp_sock *s);

/* Binds an RTP/RTCP pair on addr inside range and starts watching both sockets on
 * the default GLib main context. Returns AR_E_OK, AR_E_MEDIA_NO_PORTS or AR_E_IO. */
int rec_rtp_open(rec_rtp_sock **out, const char *addr, const rec_port_range *range,
                 rec_rtp_packet_cb cb, void *ctx);
void rec_rtp_set_unprotect(rec_rtp_sock *s, rec_rtp_unprotect_fn fn, void *uctx);
uint16_t rec_rtp_port(const rec_rtp_sock *s);
uint64_t rec_rtp_unprotect_failed(const rec_rtp_sock *s);
/* Stops watching, closes both sockets, *s = NULL. */
void rec_rtp_free(rec_rtp_sock **s);

/* Parses "LO-HI" (1024 <= LO < HI <= 65535). Returns 0 or -1. */
int rec_port_range_parse(const char *text, rec_port_range *out);

#endif
