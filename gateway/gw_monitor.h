/* Supervisor monitoring: T-Lib RequestMonitorNextCall (139) and RequestCancelMonitoring (140). */
#ifndef GW_MONITOR_H
#define GW_MONITOR_H

/*
 * A supervisor (ThisDN) asks to monitor an agent's DN (OtherDN) for its next call or for
 * all its calls (Extensions MonitorNextCallType). When a call of that DN is established,
 * gatewayd INVITEs the supervisor's phone and joins it through mediad's mixer as an
 * observer: silent (nobody hears the supervisor) or coach (only the agent does), after
 * Extensions MonitorMode. docs/calls.md "Supervisor monitoring".
 */

#include <stdint.h>

#include "gw_call_int.h"
#include "gw_client.h"

/* RequestMonitorNextCall / RequestCancelMonitoring: EventACK or EventError. */
void gw_monitor_request(gw_client *c, const tl_msg *m, int64_t ref);
/* A call was established: join the supervisor of a monitored DN. */
void gw_monitor_established(gw_call *call);
/* call's recording has its mediad legs up (or left them idle): a join waiting for them
   goes on now (docs/calls.md "Supervisor monitoring"). */
void gw_monitor_rec_ready(gw_call *call);
/* call's recording failed (reason): a join waiting for it gets EventError
   MONITOR_JOIN_FAILED at once. */
void gw_monitor_rec_failed(gw_call *call, const char *reason);
/* The call model goes away. */
void gw_monitor_free(gw_calls *calls);

#endif
