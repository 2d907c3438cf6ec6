/* The seam between the call model (gw_call*) and the SIP layer (gw_sip*, gw_b2bua*). */
#ifndef GW_SIPIF_H
#define GW_SIPIF_H

/*
 * Who owns what
 * -------------
 * The SIP layer owns legs: one gw_leg per SIP dialog (INVITE usage) between the
 * gateway and a phone, trunk or (later) media server. The model owns calls and
 * parties: one gw_party per DN taking part in a call, each with at most one leg.
 * The two sides only exchange opaque pointers:
 *   - the model hands a gw_party * to gw_sip_ops.originate() (and returns one from
 *     gw_sipif_incoming()); the SIP layer stores it in its leg and passes it back on
 *     every entry point below. A party may move from one call to another (transfer)
 *     while keeping its pointer; the SIP layer never looks inside it.
 *   - the SIP layer hands back a gw_leg * the model stores in the party and passes to
 *     every op below. The model never looks inside it.
 *
 * Lifetime: once the model calls ops.release(leg), the SIP layer must never call an
 * entry point for that leg again (it finishes the BYE / CANCEL / error response on
 * its own and frees the leg). Once the SIP layer calls gw_sipif_released() or
 * gw_sipif_failed() for a leg, the model never uses that leg again (the SIP layer
 * frees it after the call returns).
 *
 * Re-entrancy: the model may call any op from inside any entry point (for example
 * gw_sipif_incoming() originates the callee leg before it returns). Ops must NOT call
 * entry points synchronously: a failure that is known at once is returned (originate
 * returns NULL and a SIP status), anything else is reported later from the loop.
 *
 * SDP: bodies are NUL-terminated text, "const char *", NULL meaning "no body".
 * Callee copies what it keeps. The model does not parse or rewrite SDP: it forwards
 * the body one leg received to the other leg. Keeping the o= line consistent within a
 * dialog (same origin, increasing version) when a leg's peer changes (transfer,
 * media server inserted) is the SIP layer's job, as it owns the dialogs. For the
 * hold op (gateway-initiated hold) the SIP layer builds the SDP itself from the last
 * body it sent on that leg, so the model never needs to edit SDP.
 *
 * Offer/answer bookkeeping, per leg, is the SIP layer's: the model only says "send
 * this body as an offer" (originate, reinvite) or "send this body as the answer to
 * the offer you reported" (answer, sdp_answer). The SIP layer handles 491 glare.
 *
 * Recording (issue 6) uses the same primitives: originate a leg toward a media server
 * (target.uri), re-INVITE each party leg with the media server's SDP, and later
 * re-INVITE them with each other's SDP again to remove it; legs are independently
 * re-negotiable.
 */

#include <stdbool.h>
#include <stdint.h>

typedef struct gw_leg gw_leg;     /* SIP layer: one dialog */
typedef struct gw_party gw_party; /* model: one DN in one call */
typedef struct gw_calls gw_calls; /* model: the call table */

/* Media direction of an SDP offer, as the SIP layer read it (a= at session or media level). */
typedef enum {
    GW_DIR_SENDRECV = 0,
    GW_DIR_SENDONLY, /* the offerer holds the other side (music on hold style) */
    GW_DIR_RECVONLY,
    GW_DIR_INACTIVE, /* the offerer holds, no media either way */
} gw_media_dir;

/* Where an outgoing leg goes. */
typedef struct {
    /*
     * Configured DN to reach (Extension / ACD Position: its registered contact or
     * static `contact`; Trunk: its `contact`). NULL when uri is given.
     */
    const char *dn;
    /* Request-URI user part: the dialled number (== dn for an internal call, the
       external number for a trunk call). */
    const char *number;
    /* Explicit Request-URI ("sip:msml=...@mediad"), overrides dn; NULL normally. */
    const char *uri;
    /* From user part (the caller's DN or ANI) and display name (may be NULL). */
    const char *from_user;
    const char *from_display;
    /* The call's CallUUID, for an X-Genesys-CallUUID style header (may be NULL). */
    const char *call_uuid;
    /* The call's geo-location for X-Genesys-geo-location (mediad legs), NULL = none. */
    const char *geo_location;
    /*
     * Ask the phone to answer by itself (Answer-Mode: Auto / Call-Info answer-after=0):
     * used for the first leg to the requesting DN of RequestMakeCall and of
     * RequestInitiateTransfer / InitiateConference (a consultation is a second dialog
     * to the same phone: "dual dialog"), both RFC 3725 late-offer flows.
     */
    bool auto_answer;
    /* Extra header lines ("Name: value", CRLF-separated, no final CRLF), or NULL:
       the inter-site X-Arec-ISLink / X-Arec-User-Data (gw_site.c). */
    const char *headers;
} gw_sip_target;

/*
 * Operations the model calls on the SIP layer. `sip` is the pointer given to
 * gw_calls_set_sip(). Return values: 0 or an ar_err code (AR_E_*), unless stated.
 * A NULL function pointer means "not supported" (the model answers the T-Lib request
 * that needed it with EventError UNSUPPORTED_OPERATION).
 */
typedef struct {
    /*
     * Start an outgoing INVITE toward target for party, with sdp as the offer, or no
     * body when sdp is NULL (late offer: the answerer's 200 OK then carries the offer,
     * reported by gw_sipif_answered() and completed by sdp_answer(), RFC 3725 flow).
     * Returns the new leg, or NULL with *sip_status set (404 unknown DN, 480 DN not
     * registered / no contact, 503 no transport...) when it fails at once.
     */
    gw_leg *(*originate)(void *sip, gw_party *party, const gw_sip_target *target, const char *sdp,
                         int *sip_status);
    /*
     * Incoming leg, not answered yet: send 180 Ringing (sdp NULL) or 183 Session
     * Progress with early media (sdp = the callee's early answer).
     */
    int (*ringing)(void *sip, gw_leg *leg, const char *sdp);
    /* Incoming leg: send 200 OK with sdp (the answer, or an offer if the INVITE had none). */
    int (*answer)(void *sip, gw_leg *leg, const char *sdp);
    /*
     * Send sdp as the answer to the offer last reported on this leg, which is one of:
     * - a re-INVITE received (gw_sipif_reinvite): sent in its 200 OK; sdp NULL = answer
     *   with the last body this leg sent, its direction mirrored (sendonly -> recvonly,
     *   inactive -> inactive, sendrecv -> sendrecv);
     * - a 2xx to a late-offer INVITE / offerless re-INVITE (gw_sipif_answered or
     *   gw_sipif_sdp_offer): sent in the ACK.
     */
    int (*sdp_answer)(void *sip, gw_leg *leg, const char *sdp);
    /*
     * Confirmed leg: send a re-INVITE with sdp as the new offer (forwarding the other
     * party's new SDP, inserting / removing a media server), or an offerless re-INVITE
     * when sdp is NULL (the peer's offer then comes back through gw_sipif_sdp_offer).
     * The peer's answer comes back through gw_sipif_sdp_answer().
     */
    int (*reinvite)(void *sip, gw_leg *leg, const char *sdp);
    /*
     * Gateway-initiated hold / retrieve (RequestHoldCall / RequestRetrieveCall):
     * re-INVITE the leg with the last body it sent, a=inactive (on) or the direction
     * it had before the hold (off). The answer comes back through gw_sipif_sdp_answer().
     */
    int (*hold)(void *sip, gw_leg *leg, bool on);
    /*
     * Ask the phone on this ringing outgoing leg to answer (RequestAnswerCall), e.g.
     * by a NOTIFY talk event. NULL when the SIP layer cannot do it.
     */
    int (*remote_answer)(void *sip, gw_leg *leg);
    /*
     * End the leg: BYE when confirmed, CANCEL when an outgoing INVITE is pending,
     * a final error response (sip_status: 486 busy, 480, 487, 603...) when an
     * incoming INVITE is not answered yet. reason is a short text for a Reason
     * header / logs (may be NULL). The leg is the SIP layer's to free afterwards.
     */
    void (*release)(void *sip, gw_leg *leg, int sip_status, const char *reason);
    /*
     * Recording (gw_rec.c): send an INFO with this body on a confirmed leg (MSML toward
     * mediad). The final response comes back through gw_sipif_info(status >= 200).
     */
    int (*info)(void *sip, gw_leg *leg, const char *content_type, const char *body);
    /*
     * Multi-site (gw_site.c, oosp-transfer-enabled): ask the peer of this confirmed leg to
     * call refer_to itself (REFER, RFC 3515; referred_by: a SIP URI or NULL). The outcome
     * comes back once through gw_sipif_refer_result(). NULL = not supported.
     */
    int (*refer)(void *sip, gw_leg *leg, const char *refer_to, const char *referred_by);
    /*
     * Multi-site two-step transfer by REFER: as refer, with a Replaces (RFC 3891) naming
     * the confirmed dialog of `replaced` (an outgoing leg of this gateway) added to the
     * Refer-To's headers, so the peer's INVITE takes that dialog's place at its far end.
     * NULL = not supported.
     */
    int (*refer_replacing)(void *sip, gw_leg *leg, const char *refer_to, gw_leg *replaced);
} gw_sip_ops;

/* What the SIP layer knows about a new incoming INVITE. */
typedef struct {
    /*
     * Configured DN originating the call: an Extension / ACD Position when From's
     * user is that DN and the source is its registered contact or trusted; the
     * inbound Trunk DN otherwise. Never NULL (the SIP layer rejects calls it cannot
     * attribute with 403 before calling the model).
     */
    const char *caller_dn;
    bool from_trunk;       /* caller_dn is a Trunk: CallType Inbound, ANI = from_user */
    const char *from_user; /* From user part (ANI) */
    const char *from_display;
    const char *called;  /* Request-URI user part (DNIS / dialled number) */
    const char *sdp;     /* offer, or NULL (late offer) */
    const char *call_id; /* SIP Call-ID, for logs */
    /* From another site (gw_site_check_invite passed): its ISLink header, parsed, and
       the X-Arec-User-Data value; NULL otherwise. */
    const struct gw_islink_hdr *islink;
    const char *islink_ud;
    /* Not from the other gateway (no X-Arec-Leg header): a phone that follows another
       site's REFER called here itself (it can be REFERred on, gw_site.c). */
    bool islink_direct;
} gw_sip_incoming;

/*
 * Entry points the SIP layer calls on the model (implemented in gw_call.c). `calls`
 * is the call table (gw_server's `calls`). All return quickly and never block.
 */

/*
 * A new INVITE arrived on leg. Returns the party the SIP layer stores with the leg,
 * or NULL with *sip_status set to the final response to send (404 unknown number,
 * 486 busy, 480 unavailable, 500); in that case the SIP layer answers and frees the
 * leg itself. Before returning the model has usually called ops.originate() for the
 * callee and may have called ops.ringing() on this leg.
 */
gw_party *gw_sipif_incoming(gw_calls *calls, gw_leg *leg, const gw_sip_incoming *in,
                            int *sip_status);

/*
 * Outgoing leg: a provisional response. status 180 (ringing) or 183 (session progress);
 * sdp = early media answer or NULL.
 */
void gw_sipif_progress(gw_calls *calls, gw_party *party, gw_leg *leg, int status, const char *sdp);

/*
 * Outgoing leg: 2xx received. sdp is the answer to our offer (the SIP layer has sent the
 * ACK), or the peer's offer when we sent none (the SIP layer waits for sdp_answer()
 * before sending the ACK).
 */
void gw_sipif_answered(gw_calls *calls, gw_party *party, gw_leg *leg, const char *sdp);

/*
 * An SDP answer arrived on leg for an offer the model had sent: the 2xx of a re-INVITE
 * (reinvite / hold ops), or the ACK of an incoming INVITE that had no offer. sdp may be
 * NULL when a re-INVITE failed (the old session stays).
 */
void gw_sipif_sdp_answer(gw_calls *calls, gw_party *party, gw_leg *leg, const char *sdp);

/*
 * The peer's offer in the 2xx of an offerless re-INVITE (reinvite op with NULL sdp);
 * the model answers with ops.sdp_answer().
 */
void gw_sipif_sdp_offer(gw_calls *calls, gw_party *party, gw_leg *leg, const char *sdp);

/*
 * A re-INVITE (or UPDATE with SDP) received on a confirmed leg. dir is the offer's media
 * direction: SENDONLY / INACTIVE = the phone puts its peer on hold, SENDRECV after a hold
 * = retrieve. The model must answer with ops.sdp_answer() (possibly later, after
 * forwarding the offer to the other leg). A session-timer refresh without a new
 * body is NOT reported (the SIP layer answers it alone).
 */
void gw_sipif_reinvite(gw_calls *calls, gw_party *party, gw_leg *leg, const char *sdp,
                       gw_media_dir dir);

/*
 * The peer ended the leg: BYE received (cause 0), CANCEL of an incoming INVITE
 * (cause 487), session timer expired / transport error (cause 408 / 503).
 * The leg is gone once this returns.
 */
void gw_sipif_released(gw_calls *calls, gw_party *party, gw_leg *leg, int cause);

/*
 * Outgoing INVITE failed with a final non-2xx status (486/600 busy, 408/480 or the
 * SIP layer's no-answer timer -> 408 no answer, 404/503/other unreachable).
 * The leg is gone once this returns.
 */
void gw_sipif_failed(gw_calls *calls, gw_party *party, gw_leg *leg, int sip_status);

/*
 * INFO on a leg (implemented by the recording controller, gw_rec.c): status 0 = an INFO
 * request received (the SIP layer has answered it 200), status >= 200 = the final
 * response to our own INFO (ops.info). body may be NULL.
 */
void gw_sipif_info(gw_calls *calls, gw_party *party, gw_leg *leg, int status, const char *body);

/*
 * Outcome of ops.refer (implemented by gw_site.c): the REFER's own final status when it
 * failed (>= 300), else the final status the peer reported in its NOTIFY (200: the new
 * destination answered; 4xx-6xx: it failed).
 */
void gw_sipif_refer_result(gw_calls *calls, gw_party *party, gw_leg *leg, int status);

/*
 * An INVITE with Replaces (RFC 3891, implemented by gw_site.c) matched old_leg, the
 * confirmed incoming leg of party: the party goes on with new_leg (the SIP layer then
 * reports new_leg's offer with gw_sipif_reinvite and ends old_leg itself). false: the
 * model refuses (the SIP layer answers 481).
 */
bool gw_sipif_replaced(gw_calls *calls, gw_party *party, gw_leg *old_leg, gw_leg *new_leg);

/*
 * Registration state of a DN changed (expired / unregistered -> false, registered
 * again -> true): the model publishes EventDNOutOfService / EventDNBackInService.
 */
void gw_sipif_dn_service(gw_calls *calls, const char *dn, bool in_service);

/*
 * A REFER on this party's leg (gw_refer.c): the phone transfers its call. target is the
 * Refer-To user part (blind transfer: a single-step transfer to it); replaced, when the
 * Refer-To carries Replaces naming another leg of the same phone, is that leg's party
 * (attended transfer: its call's other party joins this call). The model may release the
 * leg from inside (ops.release). Returns the SIP status for the NOTIFY sipfrag: 200 when
 * the transfer is done, 403 / 404 / 480 / 481 when refused (nothing changed then).
 */
int gw_sipif_refer(gw_calls *calls, gw_party *party, gw_leg *leg, const char *target,
                   gw_party *replaced);

/*
 * The phone refused the remote answer that ops.remote_answer asked for (status = the SIP
 * answer to it): the RequestAnswerCall gets its EventError now; the call keeps ringing.
 */
void gw_sipif_remote_answer_failed(gw_calls *calls, gw_party *party, gw_leg *leg, int status);

#endif
