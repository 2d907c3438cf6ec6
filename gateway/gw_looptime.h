/* Main-loop timing of gatewayd: iteration lengths, SIP batches, T-Lib input waits (/metrics). */
#ifndef GW_LOOPTIME_H
#define GW_LOOPTIME_H

#include <glib.h>
#include <stdint.h>

#include "ar_buf.h"

/*
 * Why: a T-Lib request waits for whatever the loop runs before it (a SIP batch, the
 * DB writer, other clients' fan-out); the client's round trip alone cannot tell that
 * queueing from its own scheduling. These histograms are gatewayd's share, measured on
 * its own clock, cheap enough to stay on (two clock reads per iteration):
 *
 *  - gatewayd_loop_busy_seconds: from poll() returning to the next poll() call (one
 *    iteration's dispatches plus the next prepare), and gatewayd_loop_busy_cpu_seconds:
 *    the loop thread's CPU time in the same span (a long iteration with little CPU time
 *    is gatewayd waiting for a CPU, not work);
 *  - gatewayd_sip_batch_seconds: one iteration's extra SIP dispatches (gw_sipbatch);
 *  - gatewayd_tlib_input_wait_seconds: poll() returning -> a T-Lib source with input
 *    dispatched (the sources dispatched before it in that iteration);
 *  - gatewayd_tlib_input_served_seconds: poll() returning -> that input handled and its
 *    answers written (TCP; on WebSocket the write is in gw_uvloop's next round, which
 *    gatewayd_ws_event_write_delay_seconds covers);
 *  - gatewayd_tlib_tcp_read_delay_seconds: the kernel's receive timestamp of T-Lib TCP
 *    input -> gatewayd reading it (the loop's queueing plus gatewayd not running).
 */

/* Wrap the context's poll function (before the loop runs; once). */
void gw_looptime_install(GMainContext *ctx);
/* When the current iteration's poll() returned (monotonic us; 0 before the first). */
int64_t gw_looptime_iter_start(void);
/* A T-Lib source starts handling input now. */
void gw_looptime_tlib_input(void);
/* That input is handled and flushed now (TCP). */
void gw_looptime_tlib_served(void);
/* T-Lib TCP input the kernel received at rx_realtime_us (g_get_real_time clock) is read now. */
void gw_looptime_tlib_read_delay(int64_t rx_realtime_us);
/* One SIP batch took us microseconds (any thread). */
void gw_looptime_sip_batch(int64_t us);
/* The histograms in Prometheus text. */
void gw_looptime_metrics_text(ar_buf *b);

#endif
