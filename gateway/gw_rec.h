/* Recording controller: puts mediad into a call's media path and drives it with MSML. */
#ifndef GW_REC_H
#define GW_REC_H

/*
 * One gw_rec_call per call that was ever asked to record (call->rec). It owns two
 * media-server legs (fake gw_party objects with ->msc set, never in call->parties),
 * one per recorded party, toward mediad:
 *     INVITE sip:msml=<ConnID>@<mediad>;dn=<DN>;record   (offer = the party's SDP)
 * then re-INVITEs each party with mediad's answer (RFC 3725 style), and sends MSML
 * over INFO on the first mediad leg (createconference / modifyconference).
 * mediad stays in the media path until the call ends; a stop only ends the recording
 * sessions toward the recorder. Full description: docs/recording.md.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_call_int.h"
#include "gw_client.h"

/* A recording request (full-time, selective, dynamic). Strings may be NULL. */
typedef struct {
    const char *started_by; /* "full-time" | "selective" | "dynamic" */
    const char *side;       /* "source" | "destination" (seed's record=) */
    const char *record_dn;  /* DN whose side is recorded (recordDN); NULL = by side */
    const char *req_dn;     /* DN of the requester (EventPrivateInfo goes there too) */
    const char *id, *dest, *dest2, *params, *audiosrc;
    const char *geo; /* RequestRouteCall Extensions geo-location, NULL = none (docs/pools.md) */
    const char *route_target; /* RequestRouteCall: the DN routed to (its agent), NULL = none */
    int tonesilenceduration;  /* ms, -1 = not given */
    bool audio_only;          /* Extensions audio-only: offer the recorder no video */
    bool pre; /* pre-recording: no recorder, mediad's local WAV, hidden (gw_rec_pre.c) */
} gw_rec_req;

/*
 * Ask call to be recorded. Starts at once when two parties are established, else when
 * they are (pre-recording). Returns AR_E_OK, or AR_E_ALREADY_RECORDING,
 * AR_E_INVALID_VALUE (bad dest), AR_E_MISSING_ATTRIBUTE (no dest anywhere),
 * AR_E_UNSUPPORTED_OPERATION (no msml VoIP Service DN), with why filled.
 */
int gw_rec_request(gw_call *call, const gw_rec_req *r, char *why, size_t cap);

/* Mid-call control: AR_E_OK, AR_E_NOT_RECORDING, AR_E_NOT_PAUSED, AR_E_INVALID_CALL_STATE. */
typedef enum { GW_REC_STOP, GW_REC_PAUSE, GW_REC_RESUME } gw_rec_ctl;
int gw_rec_control(gw_call *call, gw_rec_ctl op, const char *req_dn, char *why, size_t cap);
/* The same with the request's Extensions `params` ("a=1;b=2"; NULL = none): they go to
   mediad in the modifyconference, which passes them to the recorder (docs/recording.md). */
int gw_rec_control_params(gw_call *call, gw_rec_ctl op, const char *req_dn, const char *params,
                          char *why, size_t cap);
/* The same for the session named by Extensions `id` (NULL = the first session): with
   recording-sessions = 2 a call may have a second one (docs/recording.md). */
int gw_rec_control_id(gw_call *call, gw_rec_ctl op, const char *req_dn, const char *id,
                      const char *params, char *why, size_t cap);

/* Hooks from the call model. */
void gw_rec_established(gw_call *call);                   /* a party answered */
void gw_rec_party_gone(gw_call *call, gw_party *p);       /* p left call->parties */
void gw_rec_call_end(gw_call *call);                      /* the call is being deleted */
bool gw_rec_party_reinvite(gw_party *p, const char *sdp); /* true: handled (via mediad) */
/* A party's offer/answer ended (its pend is back to none), or a conference leg answered:
   an insertion or a kept transfer waiting for it goes on. */
void gw_rec_settled(gw_call *call);
/* RequestRouteCall Extensions with `record`: selective recording of the routed call. */
void gw_rec_route_ext(gw_call *call, const char *target, const tl_kv *ext);

/* SIP events on a media-server leg (p->msc set). */
typedef enum {
    GW_REC_EV_PROGRESS,
    GW_REC_EV_ANSWERED,
    GW_REC_EV_SDP_ANSWER,
    GW_REC_EV_SDP_OFFER,
    GW_REC_EV_REINVITE,
    GW_REC_EV_RELEASED,
    GW_REC_EV_FAILED,
} gw_rec_ev;
void gw_rec_msc_event(gw_calls *calls, gw_party *p, gw_leg *leg, gw_rec_ev ev, int status,
                      const char *sdp);

/*
 * Recordings On or Paused going through media server DN msml_dn and to recorder URI
 * dest (either NULL = any): the health page's load column (gw_health.c).
 */
size_t gw_rec_count(gw_calls *calls, const char *msml_dn, const char *dest);

/* State for the status page / tests: "Off" when not recording. */
const char *gw_rec_state_name(const gw_call *call);

/* A pool member went out of service (gw_health): calls whose mediad it is fail over to the
 * next mediad, or stop recording (docs/failover.md). */
struct gw_pool_member;
void gw_rec_member_down(gw_server *srv, const struct gw_pool_member *m);

/* A START for the ConnID of an ended call whose pre-recording is still in its window:
   keeps the file as the recording (database row, EventPrivateInfo with GSIP_REC_FN to
   req_dn, its name in fn). False when there is none. */
bool gw_rec_pre_claim_ended(gw_calls *calls, uint64_t connid, const char *req_dn, char *fn,
                            size_t cap);
/* gatewayd stops: unclaimed pre-recordings are deleted. */
void gw_rec_pre_free(gw_calls *calls);

/* T-Lib: RequestPrivateService 3013-3016 once types and PrivateMsgID are checked. */
void gw_rec_private_service(gw_client *c, const tl_msg *m, int64_t ref, int64_t msg_id);

/*
 * RequestSendEvent / DistributeUserEvent UserData: a `screen-capture` key must be a
 * string among start stop pause resume query (desktop -> vendor) and enabled disabled
 * paused (vendor -> desktop). Returns AR_E_OK (also when the key is absent),
 * AR_E_WRONG_TYPE or AR_E_INVALID_VALUE with why filled.
 */
int gw_rec_screen_capture_check(const tl_kv *ud, char *why, size_t cap);

/*
 * Expand a recording-filename template: $UUID$ $CONNID$ $AGENTDN$ $OTHERDN$ $ANI$ $DNIS$
 * $DATE$ (YYYYMMDD, UTC) $TIME$ (HHMMSS, UTC) $ID$. Characters outside [A-Za-z0-9._-]
 * become '_' (the name goes into a SIP URI and a file system); the result is cut to
 * GW_REC_NAME_MAX bytes. Returns a new string.
 */
#define GW_REC_NAME_MAX 100
char *gw_rec_expand_name(const char *tmpl, const gw_call *call, const char *agent_dn,
                         const char *other_dn, const char *id, int64_t now_us);

#endif
