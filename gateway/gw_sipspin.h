/* sofia-sip's GSource without a busy loop before its timers: under 1 ms, wait in poll. */
#ifndef GW_SIPSPIN_H
#define GW_SIPSPIN_H

#include <glib.h>
#include <stdint.h>

/*
 * Why: sofia-sip's GLib port computes the time to its next timer in whole milliseconds,
 * rounded down, and says "ready now" when that is 0. From up to 1 ms before each timer
 * the loop therefore spun: prepare, a 0-timeout poll(), check and a dispatch that
 * expired nothing, over and over (444,195 dispatches of sofia's source for about 10,000
 * SIP messages in a 6 s step at 100 calls/s, against a few hundred loop iterations per
 * second at rest). The spin cost CPU and, on a busy host, it made gatewayd a task that
 * never sleeps, which the scheduler serves later when a T-Lib request arrives.
 *
 * gw_sipspin wraps the source's prepare: when sofia says "ready, timeout 0" and no
 * message went into its queue since its last dispatch began (gw_wakeup_requests()
 * unchanged: sofia asks for a wake-up whenever its queue stops being empty), the
 * readiness can only be a timer due within the millisecond, and the loop polls for 1 ms
 * instead. The source's check (unchanged) then finds the timer due and it is
 * dispatched: a timer fires up to about 1 ms late, nothing is skipped.
 */
typedef struct gw_sipspin gw_sipspin;

/* Wrap gs (su_glib_root_gsource), attached, not being dispatched. */
gw_sipspin *gw_sipspin_new(GSource *gs);
/* Put sofia's functions back and free; before the source goes. */
void gw_sipspin_free(gw_sipspin **s);
/* Times a "ready" was turned into a 1 ms wait. */
uint64_t gw_sipspin_deferred(const gw_sipspin *s);

#endif
