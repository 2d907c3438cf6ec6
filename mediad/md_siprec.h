/* RFC 7866 SIPREC dialect: rs-metadata XML (RFC 7865) and the multipart/mixed body. */
#ifndef MD_SIPREC_H
#define MD_SIPREC_H

#include "md_session.h"

#include <stddef.h>

#define MD_SIPREC_BOUNDARY "arec-siprec-boundary"

/* Metadata for r: one participant per recorded party, one stream per m= line (labels
 * as in the SDP), send/recv associations. Returns 0 or -1 on overflow. */
int md_siprec_metadata(const md_rec *r, char *buf, size_t cap);
/* multipart/mixed body (boundary MD_SIPREC_BOUNDARY) with the SDP then the metadata. */
int md_siprec_body(const char *sdp, const char *xml, char *buf, size_t cap);

#endif
