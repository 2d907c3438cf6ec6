/* Drops GLib main-context wake-ups asked by the loop's own thread (gw_wakeup.c says why). */
#ifndef GW_WAKEUP_H
#define GW_WAKEUP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * From now on, g_main_context_wakeup() on the default context called by this thread
 * (the one running the main loop) does nothing: it cannot be blocked in poll while it
 * asks. Calls from other threads wake the loop (the SIP stack's thread a little later,
 * gw_sipthread.h). Aborts if GLib's own function
 * cannot be found (GLib linked statically), since other threads need it.
 */
void gw_wakeup_set_loop_thread(void);

/* Wake-ups skipped so far (every thread). */
uint64_t gw_wakeup_skipped(void);

/*
 * GLib's own g_main_context_wakeup(), for a wake-up put off until now (gw_sipthread.c:
 * the SIP stack's thread coalesces the ones it asks for).
 */
void gw_wakeup_now(GMainContext *context);

/*
 * g_main_context_wakeup() calls on the default context so far, skipped or not, from
 * any thread: sofia-sip asks for one whenever a message goes into its empty queue, so
 * an unchanged count means no message was queued meanwhile (gw_sipspin.h).
 */
uint64_t gw_wakeup_requests(void);

#endif
