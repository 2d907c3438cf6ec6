/* Unit tests for gw_wakeup (GLib wake-ups skipped only for the loop thread's own calls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <glib.h>

#include "gw_wakeup.h"

#define GUARD_MS 20000 /* a wake-up that never comes fails the test instead of hanging */

static gboolean on_guard(gpointer ud)
{
    *(bool *)ud = true;
    return G_SOURCE_REMOVE;
}

/* One blocking iteration of ctx; true if it returned before the guard timer fired. */
static bool iterate_woken(GMainContext *ctx)
{
    bool fired = false;
    GSource *guard = g_timeout_source_new(GUARD_MS);
    g_source_set_callback(guard, on_guard, &fired, NULL);
    g_source_attach(guard, ctx);
    g_main_context_iteration(ctx, TRUE);
    g_source_destroy(guard);
    g_source_unref(guard);
    return !fired;
}

static int setup(void **state)
{
    (void)state;
    gw_wakeup_set_loop_thread();
    return 0;
}

/* The loop thread's own wake-up of the default context is dropped and counted. */
static void test_own_wakeup_skipped(void **state)
{
    (void)state;
    uint64_t n0 = gw_wakeup_skipped();
    g_main_context_wakeup(NULL);
    g_main_context_wakeup(g_main_context_default());
    assert_int_equal(gw_wakeup_skipped(), n0 + 2);
}

static gpointer wake_default(gpointer ud)
{
    (void)ud;
    g_main_context_wakeup(NULL);
    return NULL;
}

/* Another thread's wake-up reaches the loop blocked in poll (nothing else to wake it). */
static void test_other_thread_wakes(void **state)
{
    (void)state;
    uint64_t n0 = gw_wakeup_skipped();
    GThread *t = g_thread_new("waker", wake_default, NULL);
    assert_true(iterate_woken(NULL));
    g_thread_join(t);
    assert_int_equal(gw_wakeup_skipped(), n0);
}

/* Contexts other than the default one always get GLib's wake-up, even from this thread. */
static void test_other_context_not_skipped(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    uint64_t n0 = gw_wakeup_skipped();
    g_main_context_wakeup(ctx);
    assert_int_equal(gw_wakeup_skipped(), n0);
    assert_true(iterate_woken(ctx));
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_wakeup_skipped),
        cmocka_unit_test(test_other_thread_wakes),
        cmocka_unit_test(test_other_context_not_skipped),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
