/* Parallel forking of a recording session's INVITE: every recorder of the pool, first 2xx wins. */
#ifndef MD_RECFORK_H
#define MD_RECFORK_H

#include <sofia-sip/nua.h>

#include "md_sip.h"

/*
 * createconference `destfork` (docs/pools.md): dest plus the other members of a parallel
 * recorder pool, comma-separated. md_recplan.c fills r->fork_* from it; md_recsess.c
 * sends the initial INVITE on one handle per fork (r->nh stays NULL until a winner).
 */

/* Send the initial INVITE to every fork: send(ctx, r) is called with r->nh set to each
 * fork's new handle in turn. Returns 0, or -1 when no handle could be made. */
int md_recfork_invite(md_ctx *ctx, md_rec *r, int (*send)(md_ctx *, md_rec *));

/*
 * An event on a forked session's handle. Returns 1 when it was a fork's business (a
 * failure while others are pending, a loser's late answer or end), 0 when the caller
 * handles it as the session's own (the winner's answer, the last failure). On the first
 * 2xx the winner becomes r->nh / r->dest / r->ruri, the others are cancelled and unbound
 * and gatewayd is told (msml.recorder.forked, dest = the winner).
 */
int md_recfork_event(md_ctx *ctx, md_rec *r, int event, int status, nua_handle_t *nh);

/* Answer timeout with no winner: CANCEL every pending fork. Returns 1 when there was one. */
int md_recfork_cancel_all(md_rec *r);

/* The session goes: pending forks are cancelled and unbound, strings freed. */
void md_recfork_release(md_rec *r);

#endif
