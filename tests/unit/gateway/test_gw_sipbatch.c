/* Unit tests for gw_sipbatch (datagrams per loop iteration). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ar_err.h"
#include "gw_sipbatch.h"

/* A source that behaves like sofia-sip's: one datagram per readable fd per dispatch,
 * then the source's callback. */
typedef struct {
    GSource base;
    GPollFD pfd;
    int reads;
    int dispatches;
} fake_src;

static gboolean fake_prepare(GSource *gs, gint *tout)
{
    (void)gs;
    *tout = -1;
    return FALSE;
}

static gboolean fake_check(GSource *gs)
{
    return ((fake_src *)gs)->pfd.revents != 0;
}

static gboolean fake_dispatch(GSource *gs, GSourceFunc cb, gpointer ud)
{
    fake_src *f = (fake_src *)gs;
    char buf[64];
    f->dispatches++;
    if ((f->pfd.revents & G_IO_IN) && recv(f->pfd.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        f->reads++;
    return cb ? cb(ud) : TRUE;
}

static GSourceFuncs fake_funcs = {fake_prepare, fake_check, fake_dispatch, NULL, NULL, NULL};

static int udp_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void send_n(int port, int n)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < n; i++)
        assert_int_equal(sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
    close(s);
}

static int begins, ends;
static void on_begin(void *ud)
{
    (void)ud;
    begins++;
}
static void on_end(void *ud)
{
    (void)ud;
    ends++;
}

/* Reads done by one loop iteration with 10 datagrams queued, for max_rounds. */
static int reads_in_one_iteration(int max_rounds, int queued, uint64_t *rounds)
{
    GMainContext *ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    int port;
    int fd = udp_socket(&port);
    fake_src *f = (fake_src *)g_source_new(&fake_funcs, sizeof(fake_src));
    f->pfd.fd = fd;
    f->pfd.events = G_IO_IN;
    g_source_add_poll(&f->base, &f->pfd);
    g_source_attach(&f->base, ctx);
    gw_sipbatch *b = gw_sipbatch_new(&f->base, max_rounds);
    gw_sipbatch_set_hooks(b, on_begin, on_end, NULL);
    send_n(port, queued);
    begins = ends = 0;
    g_main_context_iteration(ctx, TRUE);
    int reads = f->reads;
    *rounds = gw_sipbatch_rounds(b);
    gw_sipbatch_free(&b);
    assert_null(b);
    g_source_destroy(&f->base);
    g_source_unref(&f->base);
    close(fd);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return reads;
}

static void test_batch_drains_the_socket(void **state)
{
    (void)state;
    uint64_t rounds;
    assert_int_equal(reads_in_one_iteration(64, 10, &rounds), 10);
    assert_int_equal(rounds, 9); /* the first read is GLib's own dispatch */
    assert_int_equal(begins, 1);
    assert_int_equal(ends, 1);
}

static void test_batch_bounded(void **state)
{
    (void)state;
    uint64_t rounds;
    assert_int_equal(reads_in_one_iteration(4, 10, &rounds), 4);
    assert_int_equal(rounds, 3);
}

static void test_batch_off(void **state)
{
    (void)state;
    uint64_t rounds;
    assert_int_equal(reads_in_one_iteration(1, 10, &rounds), 1);
    assert_int_equal(rounds, 0);
    assert_int_equal(begins, 0);
    assert_int_equal(ends, 0);
}

static void test_batch_single_datagram_no_hooks(void **state)
{
    (void)state;
    uint64_t rounds;
    assert_int_equal(reads_in_one_iteration(64, 1, &rounds), 1);
    assert_int_equal(rounds, 0);
    assert_int_equal(begins, 0); /* nothing was held, nothing to release */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_drains_the_socket),
        cmocka_unit_test(test_batch_bounded),
        cmocka_unit_test(test_batch_off),
        cmocka_unit_test(test_batch_single_datagram_no_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
