/* RFC 7866 SIPREC bodies: multipart/mixed splitting and rs-metadata (RFC 7865) parsing. */
#ifndef REC_SIPREC_H
#define REC_SIPREC_H

#include <stddef.h>

#define REC_SIPREC_MAX_BODY  65536
#define REC_SIPREC_MAX_PARTS 8
#define REC_SIPREC_MAX_PART  16 /* participants */
#define REC_SIPREC_MAX_STRM  16 /* streams */
#define REC_SIPREC_MAX_ASSOC 4  /* send / recv entries per participant */
#define REC_SIPREC_ID_LEN    80
#define REC_SIPREC_TEXT_LEN  160

/* One MIME part of a multipart body; pointers into the caller's buffer. */
typedef struct {
    const char *ctype; /* Content-Type value (up to ';' or end of line), NULL if absent */
    size_t ctype_len;
    const char *disp; /* Content-Disposition value, NULL if absent */
    size_t disp_len;
    const char *body;
    size_t body_len;
} rec_mime_part;

/*
 * Splits a multipart body on "--boundary" delimiter lines (CRLF or bare LF).
 * Returns AR_E_OK with *nparts >= 1, or AR_E_SIPREC_MALFORMED (no delimiter, a part
 * without a header/body separator, no closing delimiter, too many parts).
 */
int rec_multipart_split(const char *body, size_t len, const char *boundary, rec_mime_part *parts,
                        int max, int *nparts);

typedef struct {
    char id[REC_SIPREC_ID_LEN];
    char aor[REC_SIPREC_TEXT_LEN];
    char name[REC_SIPREC_TEXT_LEN];
    int nsend, nrecv;
    char send[REC_SIPREC_MAX_ASSOC][REC_SIPREC_ID_LEN]; /* stream ids it sends */
    char recv[REC_SIPREC_MAX_ASSOC][REC_SIPREC_ID_LEN];
} rec_siprec_participant;

typedef struct {
    char id[REC_SIPREC_ID_LEN];
    char session[REC_SIPREC_ID_LEN];
    char label[REC_SIPREC_ID_LEN]; /* matches a=label of an m= line */
} rec_siprec_stream;

typedef struct {
    char ns[REC_SIPREC_TEXT_LEN]; /* namespace as sent ("" when none) */
    char datamode[32];
    char group_id[REC_SIPREC_ID_LEN];
    char session_id[REC_SIPREC_ID_LEN];
    char sip_session_id[REC_SIPREC_TEXT_LEN];
    int nparticipants;
    rec_siprec_participant participants[REC_SIPREC_MAX_PART];
    int nstreams;
    rec_siprec_stream streams[REC_SIPREC_MAX_STRM];
} rec_siprec_meta;

/*
 * Parses rs-metadata XML with libxml2 (no network, no entity expansion). The root
 * must be <recording>; its namespace may be urn:ietf:params:xml:ns:recording with or
 * without ":1" (or absent). Unknown elements are ignored; entries beyond the limits
 * are dropped. Returns AR_E_OK or AR_E_SIPREC_MALFORMED with *why set.
 */
int rec_siprec_parse_metadata(const char *xml, size_t len, rec_siprec_meta *out, const char **why);

/* Finds the stream with a=label `label` and the participant sending it (either may
 * come back NULL). */
const rec_siprec_stream *rec_siprec_stream_by_label(const rec_siprec_meta *m, const char *label,
                                                    const rec_siprec_participant **sender);

/*
 * From a SIPREC multipart body, finds the application/sdp part and the
 * application/rs-metadata+xml part (either may come back NULL/0). Returns AR_E_OK
 * or AR_E_SIPREC_MALFORMED.
 */
int rec_siprec_split_body(const char *body, size_t len, const char *boundary, const char **sdp,
                          size_t *sdp_len, const char **xml, size_t *xml_len);

#endif
