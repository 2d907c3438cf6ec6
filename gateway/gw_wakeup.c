/* Drops GLib main-context wake-ups asked by the loop's own thread, which is not in poll. */
#include "gw_wakeup.h"

#include "gw_sipthread.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>

/*
 * sofia-sip's GLib port (su_source_send) calls g_main_context_wakeup() each time a
 * message goes into its empty queue, and nua runs in our thread, so nearly every SIP
 * event cost an eventfd write (5.4 per call, docs/sip.md "Throughput"). A wake-up only matters to a
 * thread blocked in poll on that context; the thread that runs the loop is not in poll while it
 * asks for one, and the next prepare sees the queued message (su_source_prepare: timeout 0). GLib
 * applies the same rule to its own wake-ups (g_source_attach, g_source_set_ready_time: only when
 * "context->owner != self"). This definition, in the executable, is the one the
 * libraries resolve; other threads, and every call before gw_wakeup_set_loop_thread(),
 * get GLib's.
 */

static _Thread_local bool is_loop_thread;
static atomic_ullong skipped, requests;

typedef void (*wakeup_fn)(GMainContext *ctx);

static wakeup_fn glib_wakeup(void)
{
    static wakeup_fn real;
    static gsize once;
    if (g_once_init_enter(&once)) {
        void *sym = dlsym(RTLD_NEXT, "g_main_context_wakeup");
        real = (wakeup_fn)(uintptr_t)sym;
        g_once_init_leave(&once, 1);
    }
    return real;
}

void g_main_context_wakeup(GMainContext *context)
{
    /* Only the default context: the one our loop thread iterates (gw_main.c). */
    bool dflt = !context || context == g_main_context_default();
    if (dflt)
        atomic_fetch_add_explicit(&requests, 1, memory_order_relaxed);
    if (is_loop_thread && dflt) {
        atomic_fetch_add_explicit(&skipped, 1, memory_order_relaxed);
        return;
    }
    /* The SIP stack's thread wakes the loop once per batch of its events. */
    if (gw_sipthread_defer_wakeup(context))
        return;
    gw_wakeup_now(context);
}

void gw_wakeup_now(GMainContext *context)
{
    wakeup_fn real = glib_wakeup();
    if (real)
        real(context);
}

void gw_wakeup_set_loop_thread(void)
{
    if (!glib_wakeup()) /* resolved now, not under load */
        g_error("g_main_context_wakeup: GLib's own function not found (%s)", dlerror());
    is_loop_thread = true;
}

uint64_t gw_wakeup_requests(void)
{
    return atomic_load_explicit(&requests, memory_order_relaxed);
}

uint64_t gw_wakeup_skipped(void)
{
    return atomic_load_explicit(&skipped, memory_order_relaxed);
}
