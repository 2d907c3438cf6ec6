/* T-Lib call requests (make, answer, release, hold, transfer, user data, monitoring...). */
#ifndef GW_CALLREQ_H
#define GW_CALLREQ_H

#include <stdbool.h>

#include "gw_client.h"
#include "tl_msg.h"

struct gw_dn;
struct gw_call;
struct gw_party;

/*
 * Handle m when it is a call, routing or agent request: true when handled (replies and
 * EventError sent), false when the type is not one of ours. c must be registered and
 * its server must have a call table (srv->calls). Called from gw_tlib_handle().
 */
bool gw_callreq_handle(gw_client *c, const tl_msg *m, int64_t ref);

/* ThisDN checked as gw_tlib does (allowed for the application, configured). */
struct gw_dn *gw_callreq_dn(gw_client *c, const tl_msg *m, int64_t ref);
/*
 * ThisDN + ConnID: the call and ThisDN's party in it. Sends EventError (UNKNOWN_CONNID,
 * DN_NOT_ON_CALL...) and returns false when one is missing.
 */
bool gw_callreq_lookup(gw_client *c, const tl_msg *m, int64_t ref, struct gw_call **call,
                       struct gw_party **party);

#endif
