/* mediad SRTP: SDES (a=crypto) negotiation on party and recorder legs, keys per stream. */
#ifndef MD_SRTP_H
#define MD_SRTP_H

#include "ar_crypto.h"
#include "ar_sdp.h"
#include "md_session.h"

/*
 * Key policy (the seed's "Secured Recording"): every stream mediad sends has its own
 * key, generated here with getrandom() and never copied from a party. A party's key
 * (its a=crypto) only decrypts what that party sends. A recording session gets fresh
 * keys per m= line, so a recorder never learns a party's key. The outbound context of
 * a stream is created once and kept for the stream's whole life (pause/resume,
 * party re-INVITEs), so the receiver's SRTP/SRTCP replay window never sees its index
 * go back. Keys are never logged: only ar_crypto_fingerprint values are.
 */

/* Per m= line state. */
typedef struct {
    uint8_t secure;  /* this line is RTP/SAVP(F) */
    uint8_t have_in; /* the peer's key is known */
    uint8_t out_set; /* our outbound context was handed to the stream */
    ar_crypto in;    /* the peer's sending key: we decrypt with it */
    ar_crypto out;   /* our sending key: fresh, never a party's */
} md_srtp_media;

struct md_srtp_state {
    int fallback_clear; /* recorder answered RTP/AVP: send clear (1) or fail (0) */
    int savpf;          /* recorder legs: offer RTP/SAVPF instead of RTP/SAVP */
    md_srtp_media m[AR_SDP_MAX_MEDIA];
};

/* "RTP/SAVP" or "RTP/SAVPF". */
int md_srtp_proto_secure(const char *proto);
/* Index of the first a=crypto of m that parses with a supported suite, or -1; *out
 * gets it. Unusable lines are logged (suite, error name; never the key). */
int md_srtp_pick_crypto(const ar_sdp_media *m, int want_tag, ar_crypto *out);

/*
 * After a party SDP was applied to leg l: for each streamed m= line, (re)key the
 * inbound context when the party's a=crypto changed, create our outbound context on
 * first use, and go back to clear if the line became RTP/AVP. AR_E_OK, or
 * AR_E_CRYPTO_* when a secure line has no usable a=crypto (the caller answers 488).
 */
int md_srtp_leg_apply(md_leg *l, const ar_sdp *sdp);
/* Add our a=crypto (same tag and suite as the party's) to the secure lines of s, an
 * SDP being built toward leg l. */
void md_srtp_leg_sdp(const md_leg *l, ar_sdp *s);
/* True when a party m= line can be streamed (clear, or secure with a usable key). */
int md_srtp_media_usable(const ar_sdp_media *m);

/*
 * Recording sessions. plan: decide whether r is secure (param srtp / srtp2: a boolean,
 * or "savpf" for RTP/SAVPF; default env->rec_srtp, or a sips: dest) and, if so, generate its keys
 * and hand the outbound contexts to its streams. offer: RTP/SAVP + a=crypto on every line. answer:
 * check the recorder's answer; a line answered RTP/AVP falls back to clear (fallback_clear) or
 * fails the session with AR_E_SRTP_REFUSED.
 */
int md_srtp_rec_plan(md_rec *r, const md_params *p, const md_media_env *env);
void md_srtp_rec_offer(const md_rec *r, ar_sdp *s);
int md_srtp_rec_answer(md_rec *r, const ar_sdp *ans);

void md_srtp_free(struct md_srtp_state **ps);

#endif
