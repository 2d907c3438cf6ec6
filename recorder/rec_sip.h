/* The recorder's SIP side (sofia-sip nua): accepts recording sessions and drives rec_session. */
#ifndef REC_SIP_H
#define REC_SIP_H

#include "rec_session.h"

#include <stdint.h>

typedef struct {
    rec_config media;
    const char *host;         /* SIP bind address (IPv4 literal) */
    uint16_t port;            /* 0 = pick a port free for both UDP and TCP */
    int answer_delay_ms;      /* delay before the 200 OK */
    int reject_code;          /* answer every INVITE with this code (0 = accept) */
    int drop_after_s;         /* send BYE this long after the session starts (0 = never) */
    const char *tls_cert_dir; /* SIPS: dir with agent.pem + cafile.pem; NULL = no TLS */
    uint16_t sips_port;       /* TLS listen port (0 = pick one) */
    unsigned tls_verify;      /* TPTLS_VERIFY_* (default all: mutual TLS) */
} rec_sip_opts;

typedef struct rec_sip rec_sip;

/* Creates the nua stack on the current su_root (already attached to GLib) and binds
 * UDP and TCP on the same port. Returns AR_E_OK or AR_E_IO / AR_E_CONFIG. */
int rec_sip_new(rec_sip **out, void *su_root, const rec_sip_opts *o);
uint16_t rec_sip_port(const rec_sip *s);
/* The SIPS (TLS) port, 0 without --tls-cert-dir. */
uint16_t rec_sip_sips_port(const rec_sip *s);

/* Ends every session (BYE, files finalized) and shuts the stack down; done(arg) runs
 * on the loop once nua has finished (or gave up). */
void rec_sip_shutdown(rec_sip *s, void (*done)(void *), void *arg);
void rec_sip_free(rec_sip **s);

#endif
