/* Recorder failover support in mediad: keepalive OPTIONS on recording dialogs, failover gap. */
#ifndef MD_RECFO_H
#define MD_RECFO_H

#include "md_sip.h"

/*
 * gatewayd drives recorder failover (docs/failover.md): mediad only has to notice a dead
 * recorder quickly, say so (msml.recorder.error with the time of the last RTP sent), and
 * once gatewayd sent the replacement (createconference failover=dest|dest2, same record
 * id) measure the gap: last RTP to the old recorder -> first RTP to the new one, reported
 * as msml.recorder.failover and logged.
 */

/* The initial INVITE of r was answered 2xx: start the keepalive, watch for the first RTP
 * when r replaces a failed session. */
void md_recfo_answered(md_ctx *ctx, md_rec *r);
/* Answer to a keepalive OPTIONS (nua_r_options on r's handle). */
void md_recfo_options_answer(md_ctx *ctx, md_rec *r, int status, const char *phrase);
/* r failed (rejected, timed out, dropped): remember its last RTP for the gap, log and
 * send msml.recorder.error (reason, status, id, dest, last-packet). */
void md_recfo_report(md_ctx *ctx, md_rec *r, int status, const char *reason);
/* r goes away: stop its timers. */
void md_recfo_stop(md_rec *r);

/* md_recsess.c: fail r now (keepalive miss), as a failed re-INVITE would. */
void md_recsess_fail(md_ctx *ctx, md_rec *r, int status, const char *reason);

#endif
