/* B2BUA: one nua dialog per call leg, SDP passed through, the gw_sipif.h ops for the model. */
#ifndef GW_B2BUA_H
#define GW_B2BUA_H

#include <stdbool.h>
#include <sys/socket.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "gw_sip.h"
#include "gw_sipif.h"

typedef struct gw_b2bua gw_b2bua;

gw_b2bua *gw_b2bua_new(gw_sip *sip);
/* BYE / CANCEL every leg still up and stop reporting to the model (before nua_shutdown). */
void gw_b2bua_shutdown(gw_b2bua *b);
/*
 * Shutdown cut short: destroy the nua handle of every leg still waiting for its BYE /
 * CANCEL answer, so nua_shutdown() can complete (the legs themselves go in _free).
 */
void gw_b2bua_drop_handles(gw_b2bua *b);
/*
 * sofia-sip refused a TLS peer's certificate (gw_sip.c reads it from sofia's log; sofia
 * itself leaves the INVITE waiting for Timer B): every outgoing TLS leg that has not
 * heard a single response yet fails now with 503 and the reason in the log.
 */
void gw_b2bua_tls_refused(gw_b2bua *b, const char *why);
void gw_b2bua_free(gw_b2bua **b);

/*
 * A nua event for the call side (INVITE usages, BYE, CANCEL, ACK, state changes, their
 * responses). leg is the handle's magic (NULL for a new request). Returns false when
 * the event is not the B2BUA's.
 */
bool gw_b2bua_on_event(gw_b2bua *b, nua_event_t ev, int status, const char *phrase,
                       nua_handle_t *nh, gw_leg *leg, const sip_t *sip, tagi_t tags[],
                       const struct sockaddr *src);

/* Live legs (tests, status). */
size_t gw_b2bua_nlegs(const gw_b2bua *b);

#endif
