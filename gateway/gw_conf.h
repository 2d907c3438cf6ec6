/* Conference calls: T-Lib CompleteConference / DeleteFromConference and mediad's mixer. */
#ifndef GW_CONF_H
#define GW_CONF_H

/*
 * A call with three or more parties is a conference: every party's media goes through
 * mediad, one leg per party into the same MSML conference:
 *     INVITE sip:msml=conf-<ConnID>@<mediad>;dn=<DN>   (offer = the party's SDP)
 * then a re-INVITE of the party with mediad's answer (RFC 3725). mediad mixes as soon as
 * three legs of one conference carry audio (each hears the others, never itself) and goes
 * back to a plain bridge when two remain. Full description: docs/calls.md "Conference".
 */

#include <stdbool.h>
#include <stddef.h>

#include "gw_call_int.h"
#include "gw_rec.h"

typedef struct gw_conf gw_conf;

/* Most parties in one conference (mediad's mixer takes up to 8 legs). */
#define GW_CONF_MAX 8

/*
 * ThisDN (dn, a party of both calls) merges its consultation call k into main: the
 * consulted party joins main, k ends, and the parties' media go through the mixer.
 * Returns AR_E_OK, AR_E_INVALID_CALL_STATE, or AR_E_UNSUPPORTED_OPERATION (no mediad,
 * recorded call) with why filled; on error nothing changed.
 */
int gw_conf_complete(gw_call *main, gw_call *k, const char *dn, char *why, size_t cap);

/*
 * by removes the party other_dn from the conference call: EventPartyDeleted to the
 * others, EventReleased to the removed party. AR_E_OK, AR_E_DN_NOT_ON_CALL or
 * AR_E_INVALID_CALL_STATE (not a conference) with why filled.
 */
int gw_conf_delete(gw_call *call, gw_party *by, const char *other_dn, char *why, size_t cap);

/*
 * by adds dest to its established call directly (RequestSingleStepConference): dest is
 * INVITEd without an offer, the parties get EventPartyAdded at once, and dest's offer goes
 * to mediad when it answers. AR_E_OK, AR_E_INVALID_CALL_STATE, AR_E_DEST_UNREACHABLE
 * (*sip_status set when dest refused at once), AR_E_UNSUPPORTED_OPERATION, with why.
 */
int gw_conf_single_step(gw_call *call, gw_party *by, const char *dest, const tl_kv *ext,
                        int *sip_status, char *why, size_t cap);
/* A party added by gw_conf_single_step answered with its offer sdp: true when that offer
   went to mediad (its answer comes back in the party's ACK). */
bool gw_conf_party_answered(gw_party *p, const char *sdp);

/* The conference joins the call's recording's mediad conference (gw_conf_rec.h). */
bool gw_conf_on_rec(const gw_call *call);
/* The conference's mediad leg of DN dn, NULL when none. */
gw_party *gw_conf_leg(const gw_call *call, const char *dn);
/* The recording's own legs were released: the conference takes over the media of the
   parties left (true: it did, so the recording must not bridge them itself). */
bool gw_conf_rec_gone(gw_call *call);

/* Supervisor monitoring (gw_monitor.c): silent (nobody hears the supervisor) or coach
   (only the monitored agent does). */
typedef enum { GW_MONITOR_SILENT = 0, GW_MONITOR_COACH = 1 } gw_monitor_mode;
/*
 * Call the supervisor's phone sup (offerless INVITE) and join it to call through the mixer
 * as an observer of agent: EventPartyAdded (OtherDN = sup, OtherDNRole 10 Observer,
 * ThirdPartyDN = agent) to the parties. AR_E_OK, AR_E_INVALID_CALL_STATE (not two
 * established parties, recording starting), AR_E_DEST_UNREACHABLE,
 * AR_E_UNSUPPORTED_OPERATION (no mediad), with why.
 */
int gw_conf_monitor(gw_call *call, gw_party *agent, const char *sup, gw_monitor_mode mode,
                    char *why, size_t cap);
/* A monitoring supervisor is a party of call. */
bool gw_conf_monitored(const gw_call *call);
/* sup is call's monitoring supervisor (of agent, NULL = any), joined or ringing. */
bool gw_conf_monitoring(const gw_call *call, const char *sup, const char *agent);
/*
 * RequestCancelMonitoring of a supervisor in the call: it leaves as by a hang-up (its phone
 * gets BYE / CANCEL, its mediad leg leaves the mixer): EventReleased to it, EventPartyDeleted
 * (OtherDN = sup, OtherDNRole Observer) to the parties. False when sup does not monitor call.
 */
bool gw_conf_unmonitor(gw_call *call, const char *sup, const char *agent);

/* True while call's media go through the mixer (status page, tests). */
bool gw_conf_active(const gw_call *call);

/* Hooks from the call model and the SIP layer. */
void gw_conf_party_gone(gw_call *call, gw_party *p); /* p left call->parties */
void gw_conf_call_end(gw_call *call);                /* the call is being deleted */
/* A party hung up and at least two remain: EventPartyDeleted (OtherDN = call->gone). */
void gw_conf_party_left(gw_call *call);
bool gw_conf_party_reinvite(gw_party *p, const char *sdp); /* true: offer went to mediad */
/* SIP events on a conference leg (p->conf set). */
void gw_conf_leg_event(gw_calls *calls, gw_party *f, gw_leg *leg, gw_rec_ev ev, int status,
                       const char *sdp);

#endif
