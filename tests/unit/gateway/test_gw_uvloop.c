/* Unit tests for the libuv loop nested in GLib (gw_uvloop) and the write-delay histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gw_server.h"
#include "gw_uvloop.h"
#include "gw_wsdelay.h"

#define WAIT_US (10 * G_USEC_PER_SEC) /* generous: the CI machine may be loaded */

static int fired;

static void on_timer(uv_timer_t *t)
{
    (void)t;
    fired++;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    (void)p;
    if (status == 0 && (events & UV_READABLE))
        fired++;
}

static gboolean tick(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

/*
 * Iterate the GLib context until fired reaches n or WAIT_US; a 100 ms tick wakes it so a
 * broken GSource fails the test instead of blocking it.
 */
static void iterate_until(GMainContext *ctx, int n)
{
    GSource *t = g_timeout_source_new(100);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, ctx);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (fired < n && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(t);
    g_source_unref(t);
}

/* A libuv timer fires from GLib's loop: the GSource waits for libuv's next timeout. */
static void test_timer(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    gw_uvloop *u = gw_uvloop_new(ctx);
    assert_non_null(u);
    uv_timer_t t;
    uv_timer_init(gw_uvloop_loop(u), &t);
    fired = 0;
    uv_timer_start(&t, on_timer, 20, 0);
    iterate_until(ctx, 1);
    assert_int_equal(fired, 1);
    uv_close((uv_handle_t *)&t, NULL);
    gw_uvloop_free(&u);
    assert_null(u);
    g_main_context_unref(ctx);
}

/*
 * A poll started from outside libuv (as lws_callback_on_writable does from a SIP event) is
 * only applied to epoll by uv_run: the GSource must run the loop for it, not wait forever.
 */
static void test_poll_started_outside(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    gw_uvloop *u = gw_uvloop_new(ctx);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    uv_poll_t p;
    uv_poll_init(gw_uvloop_loop(u), &p, fds[0]);
    fired = 0;
    assert_int_equal(write(fds[1], "x", 1), 1);
    uv_poll_start(&p, UV_READABLE, on_readable);
    iterate_until(ctx, 1);
    assert_true(fired >= 1);
    uv_poll_stop(&p);
    uv_close((uv_handle_t *)&p, NULL);
    gw_uvloop_free(&u);
    close(fds[0]);
    close(fds[1]);
    g_main_context_unref(ctx);
}

/* Handles left open are closed by gw_uvloop_free (no leak, no EBUSY). */
static void test_free_closes_left_handles(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    gw_uvloop *u = gw_uvloop_new(ctx);
    uv_timer_t *t = g_new0(uv_timer_t, 1);
    uv_timer_init(gw_uvloop_loop(u), t);
    uv_timer_start(t, on_timer, 100000, 0);
    gw_uvloop_free(&u);
    g_free(t);
    g_main_context_unref(ctx);
}

static uint64_t sample(const char *text, const char *name)
{
    const char *p = strstr(text, name);
    assert_non_null(p);
    return g_ascii_strtoull(p + strlen(name), NULL, 10);
}

/* Events (ending with TimeStamp) land in the bucket of their delay; others are skipped. */
static void test_write_delay(void **state)
{
    (void)state;
    char ev[160];
    int n = snprintf(ev, sizeof ev,
                     "{\"seq\":3,\"message\":\"EventRinging\",\"ThisDN\":\"5001\","
                     "\"EventSequenceNumber\":9,\"TimeStamp\":%lld}",
                     (long long)(gw_now_us() - 3000));
    gw_wsdelay_note((const uint8_t *)ev, (size_t)n);
    static const char snap[] = "{\"seq\":1,\"message\":\"Snapshot\",\"calls\":[]}";
    gw_wsdelay_note((const uint8_t *)snap, sizeof snap - 1);
    static const char bad[] = "{\"message\":\"EventX\",\"TimeStamp\":}";
    gw_wsdelay_note((const uint8_t *)bad, sizeof bad - 1);
    ar_buf b = {0};
    gw_wsdelay_metrics_text(&b);
    ar_buf_append(&b, "", 1);
    const char *text = (const char *)ar_buf_head(&b);
    assert_non_null(strstr(text, "# TYPE gatewayd_ws_event_write_delay_seconds histogram"));
    assert_int_equal(sample(text, "gatewayd_ws_event_write_delay_seconds_count "), 1);
    /* 3 ms: above 2.5 ms, within 5 ms (a loaded machine may add a little). */
    assert_int_equal(sample(text, "_bucket{le=\"0.0025\"} "), 0);
    assert_int_equal(sample(text, "_bucket{le=\"+Inf\"} "), 1);
    ar_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer),
        cmocka_unit_test(test_poll_started_outside),
        cmocka_unit_test(test_free_closes_left_handles),
        cmocka_unit_test(test_write_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
