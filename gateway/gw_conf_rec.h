/* A conference and a recording on one call, both through one mediad conference (seed "Conference").
 */
#ifndef GW_CONF_REC_H
#define GW_CONF_REC_H

/*
 * Two shapes (docs/recording.md "Conference recording"):
 *  - a recorded call becomes a conference: the recording's two mediad legs
 *    (msml=<ConnID>;record) stay, every further party gets a leg into that same mediad
 *    conference marked role=supervisor, so mediad mixes and the recorder gets the mix of
 *    customer and agent on one stream and the supervisor on the other;
 *  - a conference is recorded afterwards: the recording borrows two of the conference's
 *    legs (msml=conf-<ConnID>) and its createconference goes on them, so the requester
 *    records "the output of the conference" (what it says / what it hears).
 */

#include <stdbool.h>

#include "gw_call_int.h"
#include "gw_rec_int.h"

/* The recording's own mediad legs carry both recorded parties (a conference joins them). */
bool gw_conf_rec_legs(const gw_call *call);
/* The recording is being set up (its legs not answered yet): no conference now. */
bool gw_conf_rec_busy(const gw_call *call);
/* mediad contact of the recording's legs (valid while gw_conf_rec_legs). */
const char *gw_conf_rec_contact(const gw_call *call);
/* p's media already go through one of the recording's legs. */
bool gw_conf_rec_carries(const gw_call *call, const gw_party *p);
/* Re-INVITE the recorded pair's phones with their mediad leg's SDP (after a consultation
   held them). */
void gw_conf_rec_refresh(gw_call *call);

/*
 * gw_rec_begin on a call whose media go through conference legs: borrow a's and b's legs.
 * 1: borrowed (send the createconference), 0: not a conference of its own legs, -1: the
 * conference legs are not answered yet (wait).
 */
int gw_conf_rec_adopt(struct gw_rec_call *rc, gw_party *a, gw_party *b);
/* A conference leg the recording borrowed goes: the recording ends (fails when live). */
void gw_conf_rec_leg_lost(gw_party *f, const char *why);

#endif
