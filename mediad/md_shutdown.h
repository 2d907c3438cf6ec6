/* mediad's bounded SIP shutdown: tracks released handles, ends everything within a bound. */
#ifndef MD_SHUTDOWN_H
#define MD_SHUTDOWN_H

#include "md_sip.h"

#define MD_SHUTDOWN_TIMEOUT_MS 2000 /* --shutdown-timeout-ms default */
#define MD_SHUTDOWN_FINAL_MS   1000 /* nua_shutdown once the handles are gone or destroyed */

/* Unbind nh (a released recording INVITE / dialog, its CANCEL or BYE already sent) and
 * remember it until nua reports it terminated (md_shutdown_forget). ctx may be NULL:
 * then the handle is only unbound. */
void md_shutdown_orphan(md_ctx *ctx, void *nh);
/* An unbound handle is about to be destroyed: stop tracking it. */
void md_shutdown_forget(md_ctx *ctx, void *nh);
/* Handles released but not yet terminated. */
unsigned md_shutdown_norphans(const md_ctx *ctx);
/* The stop sequence (md_sip_stop): BYE every leg and session, run the loop until every
 * call and released handle ended or shutdown-timeout-ms passed, destroy what is left,
 * then nua_shutdown bounded by MD_SHUTDOWN_FINAL_MS. 1 when nua shut down cleanly (it
 * may then be destroyed), 0 when it was cut short. */
int md_shutdown_run(md_ctx *ctx);

#endif
