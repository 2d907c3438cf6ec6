/* One recording session: SDP offer/answer, streams, pauses, WAV and sidecar files. */
#ifndef REC_SESSION_H
#define REC_SESSION_H

#include "rec_rtp.h"
#include "rec_siprec.h"
#include "rec_uri.h"

#include <stddef.h>

typedef struct {
    const char *dir;  /* where <id>.wav and <id>.json go */
    const char *addr; /* local IPv4 address for RTP and the SDP c= line */
    rec_port_range ports;
    int reject_video;
} rec_config;

typedef enum { REC_DIALECT_SEED = 0, REC_DIALECT_SIPREC } rec_dialect;

typedef struct rec_session rec_session;

/* A session for an initial INVITE (nothing is opened until rec_session_offer).
 * request_uri is the printed Request-URI; call_id/from may be NULL. */
rec_session *rec_session_new(const rec_config *cfg, const char *request_uri, const rec_uri *uri,
                             rec_dialect dialect, const char *call_id, const char *from);

/*
 * Applies an SDP offer (initial INVITE or re-INVITE; meta is the SIPREC metadata
 * when the request carried one, else NULL) and writes the SDP answer into answer.
 * Returns the SIP status to answer: 200, or 488 (unparsable SDP, nothing we can
 * record, m= lines removed), 500 (no RTP ports / internal); *why explains.
 */
int rec_session_offer(rec_session *s, const char *sdp, size_t len, const rec_siprec_meta *meta,
                      char *answer, size_t cap, const char **why);

/* The current answer, for a re-INVITE without SDP (session refresh). NULL before any. */
const char *rec_session_answer(const rec_session *s);

/* The 200 OK went out: media time starts now, the WAV file opens. */
void rec_session_start(rec_session *s);

/* Ends the session (idempotent): finalizes the WAV, writes the sidecar with reason. */
void rec_session_end(rec_session *s, const char *reason);

/* X-Record-Params of a re-INVITE or BYE (request "INVITE" / "BYE"): kept for the sidecar's
 * param_updates. AR_E_INVALID_VALUE (malformed, nothing kept) or AR_E_OK. */
int rec_session_params_update(rec_session *s, const char *request, const char *text);
const char *rec_session_name(const rec_session *s); /* file base name */
int rec_session_started(const rec_session *s);
void rec_session_free(rec_session **s);

#endif
