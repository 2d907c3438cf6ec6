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

/*
 * The transfers behind RequestSingleStepTransfer / RequestCompleteTransfer, also used for
 * transfers a phone starts with REFER (gw_refer.c). They send the events and return
 * AR_E_OK, or an error code before changing anything: AR_E_INVALID_CALL_STATE,
 * AR_E_DEST_UNREACHABLE (*sip_status 0: no route; else the SIP status of the failure).
 */
struct gw_calls;
struct tl_kv;
int gw_callreq_single_step(struct gw_calls *calls, struct gw_call *call, struct gw_party *p,
                           const char *dest, const struct tl_kv *ext, int *sip_status);
/* dn leaves main (its call with the party that stays) and k (with the one who joins main). */
int gw_callreq_complete_transfer(struct gw_calls *calls, struct gw_call *main, struct gw_call *k,
                                 const char *dn);

#endif
