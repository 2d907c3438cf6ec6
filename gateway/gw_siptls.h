/* gatewayd SIPS: sofia-sip's TLS transport settings (certificates, verify policy, URIs). */
#ifndef GW_SIPTLS_H
#define GW_SIPTLS_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_config.h"

/*
 * sofia-sip's tport reads TLS material from one directory (TPTAG_CERTIFICATE): agent.pem
 * (private key + certificate chain) and cafile.pem (trusted CAs). With sip-tls-cert-dir
 * that directory is used as it is; with sip-tls-cert / -key / -ca the files are copied
 * into a private 0700 directory that is removed as soon as the transport has read them
 * (gw_siptls_loaded), so no second copy of the key stays on disk.
 */
typedef struct gw_siptls gw_siptls;

/*
 * The TLS settings of cfg. NULL with *err NULL when SIPS is off (no sips-listen), NULL
 * with *err set (g_free) when the settings are incomplete or wrong.
 */
gw_siptls *gw_siptls_new(const gw_config *cfg, char **err);
/* TPTAG_CERTIFICATE directory. */
const char *gw_siptls_dir(const gw_siptls *t);
/* TPTAG_TLS_VERIFY_POLICY value. */
unsigned gw_siptls_policy(const gw_siptls *t);
/* The verify policy's name, for logs. */
const char *gw_siptls_policy_name(const gw_siptls *t);
/* The TLS port to bind: sips-listen's, or a free one when it is 0. -1 when none is free. */
int gw_siptls_port(const gw_siptls *t);
/* A free TCP port on host (and free for UDP too when udp_too), or -1. The port is only
 * probed: another process may take it before sofia-sip binds it (port 0 is for tests). */
int gw_siptls_probe_port(const char *host, bool udp_too);
/* The transport has read the files: drop the private copy (no-op for sip-tls-cert-dir). */
void gw_siptls_loaded(gw_siptls *t);
void gw_siptls_free(gw_siptls **t);

/* "sips" when uri is a sips: URI, else "sip". */
const char *gw_siptls_scheme(const char *uri);
/* ";transport=<t>" of uri (a token of letters and digits only), else "": copied into buf. */
const char *gw_siptls_transport(const char *uri, char *buf, size_t cap);

/*
 * Our Contact for one dialog when SIPS is on (NULL when t is NULL: nua's own then). With
 * a TLS transport nua puts the TLS contact even on UDP dialogs, so each leg names the
 * transport it uses: an outgoing leg by its Request-URI (sips: or ;transport=tls|tcp),
 * an incoming one by the Via of its INVITE (sip_t *). g_free the result.
 */
char *gw_siptls_contact(const gw_siptls *t, const char *host, int port, int sips_port,
                        const char *ruri, const void *sip);

#endif
