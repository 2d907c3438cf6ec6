/* Several SIP datagrams per main-loop iteration: sofia's GSource re-dispatched while readable. */
#ifndef GW_SIPBATCH_H
#define GW_SIPBATCH_H

#include <glib.h>
#include <stdint.h>

/*
 * sofia-sip reads one datagram per socket per dispatch of its GSource, so under load
 * every SIP message costs a whole GLib iteration: prepare and check of every source
 * of the context (dozens: clients, timers, the DB writer...), a poll() of every fd,
 * the wakeup eventfd. That overhead was about 30% of gatewayd's CPU at 600 calls/s,
 * and a loop that falls behind lets the socket buffer overflow.
 *
 * gw_sipbatch hooks the source's callback (called by sofia at the end of each
 * dispatch): while one of sofia's own fds is readable (a 0-timeout poll() of just
 * those) it dispatches the source again, up to max_rounds times, then returns to the
 * loop so other sources are not starved.
 */
typedef struct gw_sipbatch gw_sipbatch;

/* Hook gs (su_glib_root_gsource); max_rounds >= 1 re-dispatches per iteration
 * (1 = off: one dispatch per iteration, as without the hook). */
gw_sipbatch *gw_sipbatch_new(GSource *gs, int max_rounds);
/* Called around the extra dispatches of one iteration (begin before the first, end
 * after the last): gw_sip holds the T-Lib clients' flush so a batch is one write each. */
void gw_sipbatch_set_hooks(gw_sipbatch *b, void (*begin)(void *ud), void (*end)(void *ud),
                           void *ud);
/* A batch also ends once it has run max_us microseconds (0: by count only), so a
 * T-Lib request arriving meanwhile waits for that long at most (gw_tlprio.h). */
void gw_sipbatch_set_max_us(gw_sipbatch *b, int max_us);
/* Unhook (the source keeps working, one dispatch per iteration) and free; before the
 * source itself goes. */
void gw_sipbatch_free(gw_sipbatch **b);
/* Extra dispatches run so far (each one a loop iteration saved). */
uint64_t gw_sipbatch_rounds(const gw_sipbatch *b);

#endif
