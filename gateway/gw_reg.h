/* Registrar: REGISTER with digest auth, trusted networks, contacts, expiry, rate limit. */
#ifndef GW_REG_H
#define GW_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "gw_sip.h"

typedef struct gw_reg gw_reg;

/* NULL with *err set when the trusted-networks option cannot be parsed. */
gw_reg *gw_reg_new(gw_sip *sip, char **err);
void gw_reg_free(gw_reg **r);

/* Handle a REGISTER received on nh (nua_i_register) from src; answers it and frees nh. */
void gw_reg_on_register(gw_reg *r, nua_handle_t *nh, const sip_t *sip, const struct sockaddr *src);

/*
 * Where to send a request for dn: its registered contact, else its static `contact`
 * option. NULL when the DN has neither (not configured, or not registered).
 */
const char *gw_reg_contact(gw_reg *r, const char *dn);
/* Is dn registered (a live binding, not a static contact)? */
bool gw_reg_is_registered(gw_reg *r, const char *dn);
/* Does src belong to a trusted network? */
bool gw_reg_trusted(const gw_reg *r, const struct sockaddr *src);
/* Does src speak for dn: trusted, or dn's registration came from src's address? */
bool gw_reg_source_ok(gw_reg *r, const char *dn, const struct sockaddr *src);

#endif
