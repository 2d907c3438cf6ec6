/* mediad SIPS: sofia-sip TLS transport settings and sips:/transport=tls toward recorders. */
#ifndef MD_TLS_H
#define MD_TLS_H

#include <stddef.h>

/*
 * TLS uses sofia-sip's tport: TPTAG_CERTIFICATE names a directory holding agent.pem
 * (our certificate chain and private key, PEM) and cafile.pem (the CAs we trust for
 * peers). The verify policy is one of "all" (default: both directions, mutual TLS),
 * "out" (only servers we connect to), "in" (only clients), "none".
 */

/* Check that dir holds readable agent.pem and cafile.pem; 0, or -1 with *why set. */
int md_tls_check_dir(const char *dir, const char **why);
/* A free TCP port on addr (for --sips-port 0), or -1. */
int md_tls_probe_port(const char *addr);
/* "sips" when the recorder URI is sips:, else "sip". */
const char *md_tls_dest_scheme(const char *dest);
/* The transport parameter of the recorder URI (";transport=tls" ...), or "". The
 * value is copied into buf (cap bytes) and buf is returned. */
const char *md_tls_dest_transport(const char *dest, char *buf, size_t cap);

#endif
