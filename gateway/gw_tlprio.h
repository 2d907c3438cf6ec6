/* T-Lib client sources ahead of SIP and timers in the GLib loop, with a starvation guard. */
#ifndef GW_TLPRIO_H
#define GW_TLPRIO_H

#include <glib.h>
#include <stdbool.h>

/*
 * Why: GLib dispatches every ready source of the highest ready priority in one
 * iteration, in attach order; at one priority a T-Lib request that arrives while
 * sofia-sip's socket is readable waits behind a whole SIP batch (up to
 * sip-dispatch-batch messages), and its answer waited behind another one on WebSocket
 * (lws writes in the next libuv round). T-Lib clients' sources (the TCP connections and
 * the libuv source carrying the WebSockets) get GW_TLPRIO_HIGH, so a ready one is
 * dispatched alone in its iteration: a request waits at most for the dispatch in
 * progress when it arrived (a SIP batch is bounded in time too: sip-batch-max-us).
 *
 * Strict priority would let a client that sends without pause starve SIP: when T-Lib
 * dispatches took more than GW_TLPRIO_SHARE_PCT of a GW_TLPRIO_WINDOW_US window, every
 * registered source drops to G_PRIORITY_DEFAULT (SIP and T-Lib share iterations, as
 * without this module) until the window ends.
 */
#define GW_TLPRIO_HIGH      (G_PRIORITY_DEFAULT - 10)
#define GW_TLPRIO_WINDOW_US 20000
#define GW_TLPRIO_SHARE_PCT 50

/* tlib-first: false keeps every source at G_PRIORITY_DEFAULT (before gw_tlprio_add). */
void gw_tlprio_configure(bool enabled);
/* The priority for a new T-Lib source now. */
int gw_tlprio_current(void);
/* Follow the guard's changes; remove before the source is destroyed. */
void gw_tlprio_add(GSource *s);
void gw_tlprio_remove(GSource *s);
/* Around every T-Lib dispatch: the guard's accounting. */
void gw_tlprio_begin(void);
void gw_tlprio_end(void);
/* Times the guard demoted T-Lib sources (log, tests). */
guint64 gw_tlprio_demotions(void);

#endif
