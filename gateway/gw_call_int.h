/* Call model internals shared by gw_call, gw_callev, gw_callreq, gw_route and gw_agent. */
#ifndef GW_CALL_INT_H
#define GW_CALL_INT_H

#include <glib.h>

#include "gw_call.h"
#include "gw_ids.h"
#include "gw_server.h"

#define GW_NUM_MAX 48 /* DN numbers, ANI, DNIS: longer ones are cut (logged) */
/* Encoded size cap of a call's user data: keeps a call well under 16 KiB. */
#define GW_USER_DATA_MAX 8192

/* A re-INVITE the model sent on a party's leg and is waiting for. */
typedef enum {
    GW_PEND_NONE = 0,
    GW_PEND_FWD,       /* offer forwarded from pend_peer: its answer goes back to pend_peer */
    GW_PEND_OFFERLESS, /* offerless re-INVITE: the offer goes on to pend_peer */
    GW_PEND_LOCAL,     /* hold / retrieve by request: the answer is only stored */
} gw_pend;

struct gw_party {
    gw_call *call;
    gw_party *next;          /* call's party list, in joining order */
    char dn[GW_NUM_MAX];     /* ThisDN of this party's events: a configured DN */
    char number[GW_NUM_MAX]; /* what the other parties see as OtherDN (ANI / dialled number
                                on a trunk, dn otherwise) */
    gw_leg *leg;             /* NULL: no SIP dialog (routing point, leg gone) */
    gw_party *offer_from;    /* whose SDP went out in our INVITE (NULL: late offer) */
    gw_party *pend_peer;     /* see gw_pend */
    char *sdp;               /* last body the party's phone sent (offer or answer) */
    int64_t pending_ref;     /* ReferenceID for the next EventEstablished (AnswerCall) */
    uint64_t pending_client; /* who sent that AnswerCall: a refusal comes back as EventError */
    tl_kv *ring_ext;         /* Extensions for its EventRinging (RequestRouteCall), or NULL */
    char queue[GW_NUM_MAX];  /* routing point it was routed from: ThisQueue, "" = none */
    gw_party_state state;
    tl_dn_role role;
    gw_pend pend;
    bool trunk;       /* dn is a Trunk: no events, number is external */
    bool routing;     /* dn is a routing point (state QUEUED) */
    bool incoming;    /* leg is an INVITE the party sent us */
    bool answered;    /* leg confirmed (2xx sent or received) */
    bool late_ack;    /* a 2xx with an offer waits for our answer in the ACK */
    bool alerted;     /* EventRinging sent */
    bool local_hold;  /* held by RequestHoldCall (media held by the hold op) */
    bool need_bridge; /* its offerer left before it answered: bridge media on answer */
    bool first_leg;   /* RequestMakeCall / consultation: the requester's own phone leg */
    bool conf_join;   /* RequestSingleStepConference: its media join the mixer on answer */
    /* Non-NULL: not a call party but a media-server leg of the recording controller
       (gw_rec.c); never in call->parties. */
    struct gw_rec_call *msc;
    /* Non-NULL: a mediad leg of a conference (gw_conf.c); never in call->parties. */
    struct gw_conf *conf;
};

typedef enum { GW_CONSULT_NONE = 0, GW_CONSULT_TRANSFER, GW_CONSULT_CONFERENCE } gw_consult_kind;

struct gw_call {
    gw_calls *calls;
    uint64_t connid;
    uint64_t prev_connid, transfer_connid, first_tc, last_tc;
    uint32_t call_id;
    char uuid[GW_UUID_LEN + 1];
    tl_call_type type;
    char ani[GW_NUM_MAX], dnis[GW_NUM_MAX];
    char gone[GW_NUM_MAX]; /* last party that left: OtherDN for the one left alone */
    tl_dn_role gone_role;
    tl_kv *ud; /* user data, never NULL */
    gw_party *parties;
    size_t nparties;
    char *dest;       /* number to place once the first leg answers (MakeCall) */
    GArray *monitors; /* uint64_t client ids (RequestStartCallMonitoring), or NULL */
    gw_call *consult; /* consultation started from this call */
    gw_call *main;    /* for a consultation: the call it consults about */
    gw_consult_kind kind;
    unsigned route_timer;
    int64_t created_us, answered_us;
    bool ending;             /* being torn down: no new events about it */
    struct gw_rec_call *rec; /* recording state (gw_rec.c), NULL = never asked to record */

    /* ISLink hops (gw_site.c), NULL = the call never crossed sites. */
    struct gw_site_call *site;
    struct gw_conf *conf; /* conference media through mediad (gw_conf.c), NULL = none */
};

typedef struct gw_agents gw_agents;

struct gw_calls {
    gw_server *srv;
    const gw_sip_ops *ops;
    void *sip;
    gw_timer_ops timers;
    GHashTable *by_connid;          /* uint64_t * (call's connid) -> gw_call * */
    struct gw_rec_pre_reg *rec_pre; /* ended calls' pre-recordings in their window (gw_rec_pre.c) */
    gw_ids *ids;
    gw_agents *agents;
    /* ReferenceID put on every event for req_dn while a request runs (-1: none). */
    int64_t req_ref;
    const char *req_dn;
};

/* gw_call.c: table and party bookkeeping. */
gw_call *gw_call_new(gw_calls *calls, tl_call_type type);
gw_party *gw_call_add_party(gw_call *call, const char *dn, const char *number, tl_dn_role role,
                            gw_party_state state);
/* Unlink and free a party (no events); clears references other parties hold to it. */
void gw_call_free_party(gw_call *call, gw_party *p);
/* Move a party into another call (transfer). */
void gw_call_move_party(gw_party *p, gw_call *to);
/* Release every remaining leg (no events), send EventCallDeleted and free the call. */
void gw_call_delete(gw_call *call);
gw_party *gw_call_find_party(const gw_call *call, const char *dn);
/* The other party of a two-party view: first party != p still in the call. */
gw_party *gw_call_peer(const gw_call *call, const gw_party *p);
/* The first party other than p with a confirmed leg (media peer). */
gw_party *gw_call_media_peer(const gw_call *call, const gw_party *p);
void gw_party_set_sdp(gw_party *p, const char *sdp);

/* gw_call.c: flows shared with the request handlers and routing. */
/*
 * Add the destination `number` to call, its media offered by `offerer`'s SDP (NULL: late
 * offer, bridged to the media peer on answer). Routing points queue the call (events
 * on the RP); DNs / trunks get an INVITE. ext goes into the destination's EventRinging.
 * Returns the new party, or NULL with an ar_err code and SIP status.
 */
gw_party *gw_call_place(gw_call *call, gw_party *offerer, const char *number, const tl_kv *ext,
                        int *err, int *sip_status);
/*
 * Party p leaves the call (hang-up, release request): EventReleased on p with cs,
 * its leg released when release_leg; a call left with fewer than two parties ends.
 */
void gw_call_party_leave(gw_call *call, gw_party *p, int cs, bool release_leg);
/* End a call that could not be completed: every party gets EventReleased with cs. */
void gw_call_fail(gw_call *call, int cs, int sip_status);
/* Connect p's and q's media again (offerless re-INVITE to p, its offer to q). */
void gw_call_bridge(gw_party *p, gw_party *q);
/*
 * Media hold / retrieve of a call by holder (RequestHoldCall / RetrieveCall): the hold op
 * on every other confirmed leg. The holder's own phone is left alone, so a phone that
 * does not expect a re-INVITE keeps working.
 */
void gw_call_media_hold(gw_call *call, const gw_party *holder, bool on);
/* CallType of a call toward number (Internal / Outbound), -1 when it cannot be reached. */
int gw_call_dest_type(gw_calls *calls, const char *number);
/*
 * INVITE the requester's own phone for party a (RFC 3725: no offer, auto-answer);
 * the call dials call->dest once it answers. Returns 0 or the SIP status of an
 * immediate failure.
 */
int gw_call_start_first_leg(gw_call *call, gw_party *a);
/* Send sdp (NULL: offerless) as a re-INVITE on p's leg, remembering what waits for it. */
void gw_call_send_reinvite(gw_calls *calls, gw_party *p, const char *sdp, gw_pend pend,
                           gw_party *peer);
/* Deliver an SDP answer to x, whose offer it answers (200 OK or ACK). */
void gw_call_deliver_answer(gw_calls *calls, gw_party *x, const char *sdp);
/* A destination starts ringing: EventRinging once, with the routing Extensions if any. */
void gw_call_party_alerting(gw_call *call, gw_party *p);
/* Map a final SIP status to a CallState. */
int gw_call_state_of_sip(int sip_status);

/* gw_route.c */
void gw_route_start(gw_call *call, gw_party *rp);
/* Route the call queued on rp to target. Returns 0 or an ar_err code (call failed). */
int gw_route_to(gw_call *call, gw_party *rp, const char *target, const tl_kv *ext, bool by_default);
void gw_route_cancel(gw_call *call);

/* gw_agent.c */
gw_agents *gw_agents_new(void);
void gw_agents_free(gw_agents **a);

#endif
