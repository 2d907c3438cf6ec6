/* sip-batch-io: the SIP stack thread's UDP read and sent in recvmmsg / sendmmsg batches. */
#ifndef GW_SIPIO_H
#define GW_SIPIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

/*
 * sofia-sip reads one datagram per wake-up of its reactor, with three system calls
 * (epoll_wait, ioctl FIONREAD for the size, recvmsg), and sends each with two
 * (getsockopt SO_ERROR, sendmsg): 33 system calls per basic call on the stack thread,
 * measured. Its library calls those through the PLT, so gatewayd defines them (as it
 * does epoll_wait, gw_sipthread.c) and, on the stack thread and for the SIP UDP sockets
 * only, answers from a batch:
 *
 *  - FIONREAD reads up to GW_SIPIO_BATCH queued datagrams with one recvmmsg() and gives
 *    the first one's size; recvmsg() then hands them out in order. While some are kept,
 *    the reactor's epoll_wait() reports the socket ready (with the registration data it
 *    was seen to return for that socket), so none waits for a new datagram.
 *  - sendmsg() copies the datagram into a queue and reports it sent; the queue goes out
 *    with one sendmmsg() when it is full, when the thread would block in epoll_wait(),
 *    or after GW_SIPIO_FLUSH_ROUNDS reactor rounds / GW_SIPIO_FLUSH_US, whichever is
 *    first. A datagram the kernel refuses is tried once more (the refusal consumed the
 *    socket's pending ICMP error, which sofia's SO_ERROR read was there to clear) and
 *    then dropped like a lost datagram: SIP's retransmissions cover it.
 *  - getsockopt(SO_ERROR) answers 0 without a system call (see above).
 *
 * Every other thread, socket and call goes to libc unchanged.
 */
#define GW_SIPIO_BATCH        32
#define GW_SIPIO_SEND_SLOT    8192 /* larger datagrams go out at once, after the queue */
#define GW_SIPIO_FLUSH_ROUNDS 32
#define GW_SIPIO_FLUSH_US     500
#define GW_SIPIO_MAX_FDS      4

/* Turns batching on for these UDP sockets (the SIP port's, found after nua started);
 * a later call (another stack, in tests) replaces them. */
void gw_sipio_enable(const int *fds, int n);

/*
 * From the stack thread's epoll_wait (gw_sipthread.c), before it calls libc's:
 * gw_sipio_ready() writes events for sockets with datagrams kept (at most max) and
 * returns how many; gw_sipio_round() flushes the send queue when it is due (block =
 * the thread is about to wait with a timeout).
 */
int gw_sipio_ready(int epfd, struct epoll_event *events, int max);
void gw_sipio_round(bool block);
/* After libc's epoll_wait returned events to the reactor: learns which registration
 * data stands for which socket. */
void gw_sipio_returned(int epfd, const struct epoll_event *events, int n);

/* Counters for /metrics and the benchmark. */
typedef struct {
    uint64_t recv_calls, recv_datagrams; /* recvmmsg() calls, datagrams they read */
    uint64_t send_calls, send_datagrams; /* sendmmsg() calls, datagrams they sent */
    uint64_t send_dropped;               /* refused twice */
    uint64_t ready_rounds;               /* reactor rounds on datagrams read ahead */
} gw_sipio_stats;
void gw_sipio_get_stats(gw_sipio_stats *out);

#endif
