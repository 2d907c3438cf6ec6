/* Unit tests for gw_tlprio (T-Lib sources first) and gw_sipspin (no busy loop before timers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <glib.h>

#include "gw_sipspin.h"
#include "gw_tlprio.h"
#include "gw_wakeup.h"

/* Busy for us microseconds on the monotonic clock: stands for a long T-Lib dispatch. */
static void busy_for(int64_t us)
{
    int64_t end = g_get_monotonic_time() + us;
    while (g_get_monotonic_time() < end)
        ;
}

static gboolean never(gpointer ud)
{
    (void)ud;
    return G_SOURCE_CONTINUE;
}

static GSource *new_source(void)
{
    GSource *s = g_timeout_source_new(3600 * 1000);
    g_source_set_callback(s, never, NULL, NULL);
    return s;
}

/* Registered sources get the high priority; the guard demotes them after a long share
 * of a window and promotes them again at the first dispatch of a later window. */
static void test_guard_demotes_and_promotes(void **state)
{
    (void)state;
    gw_tlprio_configure(true);
    GSource *a = new_source(), *b = new_source();
    gw_tlprio_add(a);
    gw_tlprio_add(b);
    assert_int_equal(g_source_get_priority(a), GW_TLPRIO_HIGH);
    assert_int_equal(gw_tlprio_current(), GW_TLPRIO_HIGH);

    /* A new window (its first dispatch), then more than the share of the window in
     * T-Lib dispatches: both sources drop. */
    busy_for(GW_TLPRIO_WINDOW_US + 1000);
    guint64 d0 = gw_tlprio_demotions();
    gw_tlprio_begin();
    busy_for((int64_t)GW_TLPRIO_WINDOW_US * GW_TLPRIO_SHARE_PCT / 100 + 2000);
    gw_tlprio_end();
    assert_int_equal(gw_tlprio_demotions(), d0 + 1);
    assert_int_equal(g_source_get_priority(a), G_PRIORITY_DEFAULT);
    assert_int_equal(g_source_get_priority(b), G_PRIORITY_DEFAULT);
    assert_int_equal(gw_tlprio_current(), G_PRIORITY_DEFAULT);

    /* The window ends: the next dispatch restores the priority. */
    busy_for(GW_TLPRIO_WINDOW_US + 1000);
    gw_tlprio_begin();
    gw_tlprio_end();
    assert_int_equal(g_source_get_priority(a), GW_TLPRIO_HIGH);
    assert_int_equal(g_source_get_priority(b), GW_TLPRIO_HIGH);

    gw_tlprio_remove(a);
    gw_tlprio_remove(b);
    g_source_unref(a);
    g_source_unref(b);
}

/* tlib-first = false: every source stays at the default priority. */
static void test_disabled(void **state)
{
    (void)state;
    gw_tlprio_configure(false);
    GSource *a = new_source();
    gw_tlprio_add(a);
    assert_int_equal(g_source_get_priority(a), G_PRIORITY_DEFAULT);
    gw_tlprio_begin();
    busy_for((int64_t)GW_TLPRIO_WINDOW_US + 1000);
    gw_tlprio_end();
    assert_int_equal(g_source_get_priority(a), G_PRIORITY_DEFAULT);
    gw_tlprio_remove(a);
    g_source_unref(a);
    gw_tlprio_configure(true);
}

/* ---- gw_sipspin: a source whose prepare says what the test tells it ---------------- */

static struct {
    gboolean ready;
    gint timeout;
    int dispatches;
} fake;

static gboolean fake_prepare(GSource *s, gint *timeout)
{
    (void)s;
    *timeout = fake.timeout;
    return fake.ready;
}

static gboolean fake_check(GSource *s)
{
    (void)s;
    return fake.ready;
}

static gboolean fake_dispatch(GSource *s, GSourceFunc cb, gpointer ud)
{
    (void)s;
    (void)cb;
    (void)ud;
    fake.dispatches++;
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs fake_funcs = {fake_prepare, fake_check, fake_dispatch, NULL, NULL, NULL};

static gboolean prepare_of(GSource *gs, gint *timeout)
{
    return gs->source_funcs->prepare(gs, timeout);
}

/* "Ready, timeout 0" with no message queued since the last dispatch is a timer due
 * within the millisecond: a 1 ms wait; a wake-up request (a message) trusts sofia. */
static void test_sipspin(void **state)
{
    (void)state;
    GSource *gs = g_source_new(&fake_funcs, sizeof(GSource));
    gw_sipspin *sp = gw_sipspin_new(gs);
    gint t = -2;

    /* Before the first dispatch: trusted. */
    fake.ready = TRUE;
    fake.timeout = 0;
    assert_true(prepare_of(gs, &t));
    assert_int_equal(t, 0);

    /* A dispatch, then nothing queued: the same answer becomes a 1 ms wait. */
    gs->source_funcs->dispatch(gs, NULL, NULL);
    assert_int_equal(fake.dispatches, 1);
    assert_false(prepare_of(gs, &t));
    assert_int_equal(t, 1);
    assert_int_equal(gw_sipspin_deferred(sp), 1);
    /* The unchanged check still dispatches it once the poll is over. */
    assert_true(gs->source_funcs->check(gs));

    /* A message queued (sofia asks for a wake-up): ready at once. */
    g_main_context_wakeup(NULL);
    assert_true(prepare_of(gs, &t));
    assert_int_equal(t, 0);

    /* Not ready, or a later timeout: passed through. */
    gs->source_funcs->dispatch(gs, NULL, NULL);
    fake.ready = FALSE;
    fake.timeout = 7;
    assert_false(prepare_of(gs, &t));
    assert_int_equal(t, 7);
    assert_int_equal(gw_sipspin_deferred(sp), 1);

    gw_sipspin_free(&sp);
    assert_ptr_equal(gs->source_funcs, &fake_funcs);
    g_source_unref(gs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_demotes_and_promotes),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_sipspin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
