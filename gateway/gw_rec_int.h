/* Recording controller internals shared by gw_rec.c and gw_rec_sess.c (not for the model). */
#ifndef GW_REC_INT_H
#define GW_REC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "ar_msml.h"
#include "gw_rec.h"

/*
 * A second recording session on a call (seed: "Multiple simultaneous Recording Sessions
 * can be active for the same Communication Session for different purposes"): mediad's
 * dest2 copy, with its own record id, recorder, state and indication. docs/recording.md
 * "Multiple recording sessions".
 */
struct gw_rec_sess;

/* INFO kinds of the second session, queued with the main session's (gw_rec.c). */
#define GW_REC_INFO_S2 100 /* + GW_REC_STOP / PAUSE / RESUME; + 3 = its createconference */

/* --- gw_rec.c, for gw_rec_sess.c --- */
/* Send MSML on the call's first mediad leg; its answer comes back to
   gw_rec_sess_info_answer with kind. */
int gw_rec_msml(gw_call *call, const ar_msml *m, int kind);
/* The main session's createconference (params, joins); false when it is not On / Paused. */
bool gw_rec_main_create(gw_call *call, ar_msml *m);
/* Set (value) or remove (NULL) user data keys, EventAttachedDataChanged to the parties. */
void gw_rec_publish(gw_call *call, const char *const *kv, size_t n);
/* EventPrivateInfo msg_id with GSIP_RECORD=state, id, reason to the parties and req_dn. */
void gw_rec_info_event(gw_call *call, int msg_id, const char *req_dn, const char *id,
                       const char *state, const char *reason);
/* The recorded pair (recordDN, otherDN) of the main session, NULL when none. */
const char *gw_rec_main_dn(const gw_call *call, int i);

/* --- gw_rec_sess.c --- */
/* Start the second session while the main one records: AR_E_OK, AR_E_ALREADY_RECORDING
   (not configured, one already there, main not On / Paused, main duplicates to dest2, same
   id), AR_E_INVALID_VALUE, AR_E_MISSING_ATTRIBUTE. */
int gw_rec_sess_start(gw_call *call, struct gw_rec_sess **slot, const gw_rec_req *r, char *why,
                      size_t cap);
bool gw_rec_sess_live(const struct gw_rec_sess *s);
bool gw_rec_sess_owns(const struct gw_rec_sess *s, const char *id); /* id is its record id */
int gw_rec_sess_control(gw_call *call, struct gw_rec_sess *s, gw_rec_ctl op, const char *req_dn,
                        const char *params, char *why, size_t cap);
void gw_rec_sess_info_answer(gw_call *call, struct gw_rec_sess *s, int kind, int status,
                             const char *body);
/* msml.recorder.error naming the session's id: it failed (true: handled). */
bool gw_rec_sess_error(gw_call *call, struct gw_rec_sess *s, const char *id, const char *reason);
/* The mediad legs are going (pair broken, mediad lost, call end): Off, then freed. */
void gw_rec_sess_end(gw_call *call, struct gw_rec_sess **slot, const char *why);

#endif
