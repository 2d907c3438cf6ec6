/* sip-stack-thread: nua's events reach the loop in batches from the SIP stack's own thread. */
#ifndef GW_SIPTHREAD_H
#define GW_SIPTHREAD_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * With `sip-stack-thread = true` (docs/sip.md "Threads") nua_create() starts nua, nta
 * and the transports in a thread of their own (sofia-sip's su_clone). Their events come
 * to the loop through the GLib root's message queue: one dispatch of its GSource
 * delivers every event queued since the last one. This module writes the T-Lib clients
 * once per such dispatch (the hooks, as gw_sipbatch does for the single-thread mode)
 * and names the stack's thread, so top -H, perf and the benchmark can tell the two
 * apart.
 */
typedef struct gw_sipthread gw_sipthread;

/* Take over the callback of sofia's GSource gs; begin / end wrap each batch of events. */
gw_sipthread *gw_sipthread_new(GSource *gs, void (*begin)(void *ud), void (*end)(void *ud),
                               void *ud);
/* One nua event is being delivered (from on_nua): opens the batch on the first. */
void gw_sipthread_event(gw_sipthread *t);
/* Events delivered and dispatches that carried them (the average batch size). */
uint64_t gw_sipthread_events(const gw_sipthread *t);
uint64_t gw_sipthread_batches(const gw_sipthread *t);
void gw_sipthread_free(gw_sipthread **t);

/*
 * The kernel ids of this process's threads, to find the one nua_create() starts:
 * gw_sipthread_tasks() before, then gw_sipthread_name_new(before, name) after names
 * every thread that was not there (at most 15 characters). Returns how many it named.
 */
GArray *gw_sipthread_tasks(void);
/*
 * Around nua_create(): the stack's thread inherits the creator's signal mask, and a
 * SIGTERM / SIGHUP delivered to it would take the default action (gatewayd reads them
 * through a signalfd, which only blocked signals reach). block saves the mask in old
 * and blocks every asynchronous signal; restore puts old back.
 */
void gw_sipthread_block_signals(sigset_t *old);
void gw_sipthread_restore_signals(const sigset_t *old);
int gw_sipthread_name_new(GArray *before, const char *name);
/* Like gw_sipthread_name_new, and the new thread is the SIP stack's: its wake-ups of the
 * loop are coalesced from now on (gw_sipthread_defer_wakeup). */
int gw_sipthread_adopt(GArray *before, const char *name);

/* The SIP stack thread's kernel id once adopted (one new thread found), else 0. */
long gw_sipthread_tid(void);
/* True on the SIP stack's thread (once adopted). */
bool gw_sipthread_on_stack(void);

/*
 * Coalesced wake-ups. Each event the stack queues to the loop while the loop's queue is
 * empty asks for a g_main_context_wakeup(): an eventfd write, and a whole GLib
 * iteration of the loop thread for one event (about 10 per call, measured). On the
 * stack's thread the wake-up is put off instead (true: the caller must not wake) and
 * given when that thread would wait for its sockets (epoll_wait finds nothing ready),
 * or after GW_SIPTHREAD_DEFER_ROUNDS of its iterations or GW_SIPTHREAD_DEFER_US,
 * whichever comes first: the loop then takes the events of a whole burst at once.
 * Other threads and contexts: false (wake now).
 */
#define GW_SIPTHREAD_DEFER_ROUNDS 32
#define GW_SIPTHREAD_DEFER_US     500
/* With SIP datagrams read ahead (gw_sipio.h), the stack thread's epoll_wait serves them
 * without asking the kernel, which it asks once in this many rounds. */
#define GW_SIPTHREAD_KEPT_LOOK 8
bool gw_sipthread_defer_wakeup(GMainContext *context);
/* Wake-ups put off, and given (a given one covers every one put off before it). */
uint64_t gw_sipthread_deferred(void);
uint64_t gw_sipthread_given(void);

#endif
