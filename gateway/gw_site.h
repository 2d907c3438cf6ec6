/* Multi-site: this gateway's location-name, site trunks, and ISLink hops of the call model. */
#ifndef GW_SITE_H
#define GW_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_call_int.h"
#include "gw_islink.h"

struct gw_site_call; /* per-call multi-site state, NULL for a call that never crossed sites */

/* This gateway's location-name, `<application-name>@<site>`, into buf. */
const char *gw_site_location(const gw_config *cfg, char *buf, size_t cap);
/* The Trunk DN that reaches the site named loc (its location-name), or NULL. */
const gw_dn_conf *gw_site_trunk_by_loc(const gw_config *cfg, const char *loc);

/*
 * An INVITE arrived (SIP layer, before the model): isl is the X-Arec-ISLink value (NULL
 * when absent: not an inter-site call, returns 0). Parses it into *h and checks it
 * against this site: returns 0 (with *trunk = the sending site's Trunk DN) or the SIP
 * status to refuse with and a reason in why: 400 malformed header or user data, 403 no
 * site trunk with that location-name, 482 the ISLink id is already known here (a loop
 * or a replay), 483 over islink-max-hops.
 */
int gw_site_check_invite(gw_calls *calls, const char *isl, const char *ud, gw_islink_hdr *h,
                         const gw_dn_conf **trunk, char *why, size_t cap);

/*
 * The model created call for an INVITE that passed gw_site_check_invite: keep the sender's
 * ConnID when no local call uses it, take its user data (ud: X-Arec-User-Data or NULL),
 * add the ISLink entry (target) and persist it. direct: the caller is the phone itself
 * (it followed the other site's REFER), not the other gateway.
 */
void gw_site_incoming(gw_call *call, const gw_islink_hdr *h, const char *ud, bool direct);

/*
 * The incoming inter-site call's destination is placed: publish EventCallDataChanged
 * (the target entry) and, when the sender marked the call recorded (rec=1) and
 * islink-continue-recording is on here too, ask for recording of the call.
 */
void gw_site_incoming_placed(gw_call *call);

/*
 * Party p (a Trunk DN) is about to be INVITEd. For a site trunk: create the hop's ISLink
 * (source), persist it, publish EventCallDataChanged and return in *hdrs the extra SIP
 * headers (g_free). Returns 0, or 483 when the call already made islink-max-hops hops.
 */
int gw_site_outgoing(gw_call *call, gw_party *p, char **hdrs);

/*
 * RequestSingleStepTransfer of p's call to dest, b the remaining party: when dest is
 * another site's DN and oosp-transfer-enabled is on, REFER b's phone to that site (the
 * Refer-To carries the ISLink headers), release p and return true; the call ends here
 * once the phone reports success, or goes through the trunk if it fails. false: not
 * such a transfer (or REFER impossible): the caller transfers in the path as usual.
 */
bool gw_site_refer_transfer(gw_call *call, gw_party *p, gw_party *b, const char *dest);

/*
 * A two-step transfer completed (RequestCompleteTransfer or a phone's attended REFER): b
 * the remaining party, t the consulted one, now both in call. When t is another site's
 * trunk party and oosp-transfer-enabled is on, REFER b's phone to that site with Replaces
 * naming t's dialog (at once, or once t answers: gw_site_answered), so this gateway
 * leaves the path; the call ends here when the phone reports success or the other site
 * ends the replaced dialog (gw_site_released).
 */
void gw_site_transfer_completed(gw_call *call, gw_party *b, gw_party *t);

/*
 * A party of call answered or an offer / answer exchange ended (gw_sipif.c): a REFER with
 * Replaces waiting for the answer and the end of the completion's media exchange goes.
 */
void gw_site_settled(gw_call *call);

/*
 * Party p's leg was ended by its peer (gw_sipif.c): true when that is the other site
 * ending the dialog a REFER with Replaces handed over (the call ended here then).
 */
bool gw_site_released(gw_call *call, gw_party *p);

/* EventCallDataChanged with AttributeISLinkList to the call's DNs and monitors. */
void gw_site_publish(gw_call *call);

/* Party p moved from one call to another (transfer completion): its ISLink follows. */
void gw_site_party_moved(gw_party *p, gw_call *from, gw_call *to);

/* The call's ISLink list (NULL when it never crossed sites). */
const gw_islink_list *gw_site_list(const gw_call *call);

/* A REFER of one of call's phones is under way or waits for the media to settle: the call
   is leaving this gateway's path, so nobody else should re-INVITE its phones now. */
bool gw_site_leaving(const gw_call *call);

/* Whether the call arrived with rec=1 (islink-continue-recording at the sender). */
bool gw_site_continue_recording(const gw_call *call);

/* Free the call's multi-site state (gw_call_delete). */
void gw_site_call_free(gw_call *call);

#endif
