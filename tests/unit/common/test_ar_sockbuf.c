/* Unit tests for common/ar_sockbuf: only the UDP sockets on the given port are found and grown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ar_sockbuf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int bound_socket(int type, uint16_t port, uint16_t *port_out)
{
    int fd = socket(AF_INET, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    if (port_out)
        *port_out = ntohs(sa.sin_port);
    return fd;
}

static int rcvbuf(int fd)
{
    int v = 0;
    socklen_t l = sizeof v;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
    return v;
}

/* The kernel's cap for an unprivileged SO_RCVBUF (net.core.rmem_max). */
static int rmem_max(void)
{
    int v = 0;
    FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* A TCP socket on the UDP socket's port number: the kernel-chosen UDP port may be taken
 * for TCP by another test running meanwhile, so a few pairs are tried. */
static int tcp_on_same_port(int *udp, uint16_t *port)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int t = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(t >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(t, (struct sockaddr *)&sa, sizeof sa) == 0)
            return t;
        close(t);
        close(*udp);
        *udp = bound_socket(SOCK_DGRAM, 0, port);
    }
    fail_msg("no port free for both UDP and TCP in 50 tries");
    return -1;
}

static void test_grows_only_that_port(void **state)
{
    (void)state;
    uint16_t p = 0, q = 0;
    int a = bound_socket(SOCK_DGRAM, 0, &p);
    int b = bound_socket(SOCK_DGRAM, 0, &q);
    /* A TCP socket on the same port number is not a SIP UDP transport. */
    int t = tcp_on_same_port(&a, &p);
    int fds[4];
    assert_int_equal(ar_sockbuf_udp_fds(p, fds, 4), 1);
    assert_int_equal(fds[0], a);
    /* Small first, so the change is visible whatever the system defaults are. */
    int small = 4096;
    setsockopt(a, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    int before_a = rcvbuf(a), before_b = rcvbuf(b), before_t = rcvbuf(t);

    int want = 1 << 20;
    int eff = -1;
    assert_int_equal(ar_sockbuf_grow_udp(p, want, &eff), 1);
    assert_int_equal(eff, rcvbuf(a));
    /* Linux doubles the value it stores; unprivileged, it is capped by rmem_max. */
    int cap = rmem_max();
    int floor = cap > 0 && cap < want ? cap : want;
    assert_true(rcvbuf(a) > before_a);
    assert_true(rcvbuf(a) >= floor);
    assert_int_equal(rcvbuf(b), before_b);
    assert_int_equal(rcvbuf(t), before_t);
    close(a);
    close(b);
    close(t);
}

static void test_no_socket_on_port(void **state)
{
    (void)state;
    uint16_t p = 0;
    int a = bound_socket(SOCK_DGRAM, 0, &p);
    close(a); /* nothing of ours is bound there any more */
    assert_int_equal(ar_sockbuf_grow_udp(p, 1 << 20, NULL), 0);
    int fds[1];
    assert_int_equal(ar_sockbuf_udp_fds(p, fds, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grows_only_that_port),
        cmocka_unit_test(test_no_socket_on_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
