/* Recorder SRTP: accept RTP/SAVP(F) offers (RFC 4568 SDES), decrypt before the WAV, count failures.
 */
#ifndef REC_SRTP_H
#define REC_SRTP_H

#include "ar_sdp.h"

#include <stdint.h>

typedef struct rec_srtp rec_srtp;

/* Failures over the stream's life (kept across rekeys). */
typedef struct {
    const char *suite; /* NULL when the stream is clear */
    uint64_t ok, auth_fail, replay, other;
    unsigned rekeys;
} rec_srtp_info;

/* True for RTP/SAVP and RTP/SAVPF. */
int rec_srtp_proto_secure(const char *proto);
/* True when m is clear RTP/AVP, or secure with at least one usable a=crypto. */
int rec_srtp_media_usable(const ar_sdp_media *m);

/*
 * Apply an offered m= line to a stream's SRTP state (*ps created on first secure
 * offer): pick the first usable a=crypto, (re)key the inbound context when the
 * offerer's key changed, and keep our own key (fresh, for the reverse direction RFC
 * 4568 requires us to declare; we never send with it). A clear line clears the state.
 * AR_E_OK or an AR_E_CRYPTO_* / AR_E_SRTP_ERROR code (the caller answers 488).
 */
int rec_srtp_offer(rec_srtp **ps, const ar_sdp_media *m, const char *who);
/* Add our a=crypto (offer's tag and suite) to the answer's m= line when secure. */
void rec_srtp_answer(const rec_srtp *s, ar_sdp_media *ans);
/* rec_rtp_unprotect_fn: in-place SRTP/SRTCP unprotect; 0, or -1 to drop (counted). */
int rec_srtp_unprotect(void *uctx, uint8_t *pkt, size_t *len, int is_rtcp);
/* 1 when the stream currently decrypts. */
int rec_srtp_active(const rec_srtp *s);
void rec_srtp_get_info(const rec_srtp *s, rec_srtp_info *out);
void rec_srtp_free(rec_srtp **ps);

#endif
