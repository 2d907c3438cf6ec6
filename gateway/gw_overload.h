/* Load shedding: limits on calls in progress, new calls and REGISTERs per second. */
#ifndef GW_OVERLOAD_H
#define GW_OVERLOAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * The SIP layer asks before it creates any state for a new INVITE or a REGISTER;
 * a refusal is answered 503 + Retry-After at once, so calls in progress never share
 * the loop with half-built ones past capacity. Pure logic (time passed in): the unit
 * tests drive it without a clock or sockets.
 */
typedef struct gw_overload gw_overload;

typedef enum {
    GW_OL_ADMIT = 0,
    GW_OL_MAX_CALLS,    /* calls in progress at max-calls */
    GW_OL_CALL_RATE,    /* new calls over max-call-rate per second */
    GW_OL_REGISTER_RATE /* REGISTERs (all sources) over max-register-rate per second */
} gw_ol_verdict;

/* Limits; 0 = no limit. */
typedef struct {
    int max_calls;
    int max_call_rate;
    int max_register_rate;
} gw_ol_limits;

gw_overload *gw_overload_new(void);
void gw_overload_free(gw_overload **o);
/* A new INVITE while in_progress calls exist, at now_us (monotonic µs). */
gw_ol_verdict gw_overload_call(gw_overload *o, const gw_ol_limits *lim, size_t in_progress,
                               int64_t now_us);
/* A REGISTER at now_us. */
gw_ol_verdict gw_overload_register(gw_overload *o, const gw_ol_limits *lim, int64_t now_us);
/* Text for the Warning header and the log line. */
const char *gw_overload_reason(gw_ol_verdict v);
/* Refusals so far, by verdict (index GW_OL_MAX_CALLS .. GW_OL_REGISTER_RATE). */
uint64_t gw_overload_shed(const gw_overload *o, gw_ol_verdict v);
/* Whether a log line should be written now (at most one a second per verdict). */
int gw_overload_should_log(gw_overload *o, gw_ol_verdict v, int64_t now_us);

#endif
