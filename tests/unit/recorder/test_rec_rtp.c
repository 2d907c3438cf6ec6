/* Unit tests for recorder/rec_rtp: packets reach their socket's callback through the shared
 * epoll set in recvmmsg batches (in order, oversized ones as empty), and a socket freed by
 * another socket's callback is never dispatched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_err.h"
#include "rec_rtp.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    rec_rtp_sock *sock;
    int packets;
    int rtcp;
    rec_rtp_sock **victim; /* freed by this socket's first packet, if set */
    int empty;             /* callbacks with len 0 (a datagram too large for a slot) */
    int out_of_order;      /* RTP sequence numbers not one above the previous one */
    int last_seq;
} sink;

static int total;

static void on_packet(void *ctx, uint8_t *pkt, size_t len, int is_rtcp, int64_t arrival_us)
{
    (void)arrival_us;
    sink *k = ctx;
    if (len == 0) {
        k->empty++;
    } else if (!is_rtcp && len >= 4) {
        int seq = pkt[2] << 8 | pkt[3];
        if (k->packets > 0 && seq != k->last_seq + 1)
            k->out_of_order++;
        k->last_seq = seq;
    }
    k->packets++;
    k->rtcp += is_rtcp;
    total++;
    if (k->victim && *k->victim)
        rec_rtp_free(k->victim);
}

/* One sender for every packet: the first RTP packet latches its source address. */
static int sender = -1;

static void send_rtp_len(uint16_t port, uint16_t seq, size_t len)
{
    static uint8_t pkt[9000];
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x80;
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    pkt[11] = 1; /* SSRC 1 */
    if (sender < 0)
        sender = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(sender >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(sendto(sender, pkt, len, 0, (struct sockaddr *)&sa, sizeof sa), (ssize_t)len);
}

static void send_rtp(uint16_t port, uint16_t seq)
{
    send_rtp_len(port, seq, 172);
}

static gboolean on_deadline(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the default context until total reaches want (10 s bound). */
static void run_until(int want)
{
    gboolean expired = FALSE;
    guint t = g_timeout_add(10000, on_deadline, &expired);
    while (total < want && !expired)
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(t);
    assert_true(total >= want);
}

/* Loopback datagrams already sent are queued: drain without blocking. */
static void drain(void)
{
    for (int i = 0; i < 20; i++)
        g_main_context_iteration(NULL, FALSE);
}

static void test_packets_reach_their_socket(void **state)
{
    (void)state;
    total = 0;
    sink a = {0}, b = {0};
    assert_int_equal(rec_rtp_open(&a.sock, "127.0.0.1", NULL, on_packet, &a), AR_E_OK);
    assert_int_equal(rec_rtp_open(&b.sock, "127.0.0.1", NULL, on_packet, &b), AR_E_OK);
    send_rtp(rec_rtp_port(a.sock), 1);
    send_rtp(rec_rtp_port(b.sock), 1);
    send_rtp(rec_rtp_port(b.sock), 2);
    send_rtp((uint16_t)(rec_rtp_port(a.sock) + 1), 1); /* its RTCP port */
    run_until(4);
    drain();
    assert_int_equal(a.packets, 2);
    assert_int_equal(a.rtcp, 1);
    assert_int_equal(b.packets, 2);
    assert_int_equal(b.rtcp, 0);
    rec_rtp_free(&a.sock);
    rec_rtp_free(&b.sock);
    assert_null(a.sock);
}

static void test_freed_in_same_batch(void **state)
{
    (void)state;
    total = 0;
    sink a = {0}, b = {0};
    assert_int_equal(rec_rtp_open(&a.sock, "127.0.0.1", NULL, on_packet, &a), AR_E_OK);
    assert_int_equal(rec_rtp_open(&b.sock, "127.0.0.1", NULL, on_packet, &b), AR_E_OK);
    /* Whichever is dispatched first frees the other (a session ending on a packet):
       both are ready in one epoll batch, so the second entry must be skipped. */
    a.victim = &b.sock;
    b.victim = &a.sock;
    send_rtp(rec_rtp_port(a.sock), 1);
    send_rtp(rec_rtp_port(b.sock), 1);
    run_until(1);
    drain();
    assert_int_equal(total, 1);
    assert_true((a.sock == NULL) != (b.sock == NULL));
    rec_rtp_free(&a.sock);
    rec_rtp_free(&b.sock);

    /* Every socket gone: a new one still receives (the set is made again). */
    sink c = {0};
    assert_int_equal(rec_rtp_open(&c.sock, "127.0.0.1", NULL, on_packet, &c), AR_E_OK);
    send_rtp(rec_rtp_port(c.sock), 1);
    run_until(2);
    assert_int_equal(c.packets, 1);
    rec_rtp_free(&c.sock);
}

static void test_batches_in_order(void **state)
{
    (void)state;
    total = 0;
    sink a = {0};
    assert_int_equal(rec_rtp_open(&a.sock, "127.0.0.1", NULL, on_packet, &a), AR_E_OK);
    /* More than one recvmmsg batch and more than one wake-up's burst, then a datagram
     * larger than a receive slot: it must reach the session as an empty (malformed)
     * packet, never as a cut one. */
    for (uint16_t seq = 1; seq <= 100; seq++)
        send_rtp(rec_rtp_port(a.sock), seq);
    send_rtp_len(rec_rtp_port(a.sock), 101, 9000);
    run_until(101);
    drain();
    assert_int_equal(a.packets, 101);
    assert_int_equal(a.out_of_order, 0);
    assert_int_equal(a.last_seq, 100);
    assert_int_equal(a.empty, 1);
    rec_rtp_free(&a.sock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packets_reach_their_socket),
        cmocka_unit_test(test_freed_in_same_batch),
        cmocka_unit_test(test_batches_in_order),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (sender >= 0)
        close(sender);
    return rc;
}
