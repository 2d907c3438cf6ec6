/* SDP (RFC 4566/3264) parsing into a bounded struct, and offer/answer building. */
#ifndef AR_SDP_H
#define AR_SDP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Limits. Everything is fixed-size so a parsed SDP never allocates and a hostile body
 * cannot make us grow: more m= lines than AR_SDP_MAX_MEDIA is AR_E_SDP_TOO_MANY_MEDIA,
 * more formats than AR_SDP_MAX_FMTS is AR_E_SDP_TOO_MANY_FORMATS, a body longer than
 * AR_SDP_MAX_LEN is AR_E_SDP_TOO_LARGE, a port > 65535 (or 1..1023 is allowed; 0 means
 * rejected stream) is AR_E_SDP_BAD_PORT. Over-long text fields are AR_E_SDP_MALFORMED.
 */
#define AR_SDP_MAX_LEN    16384
#define AR_SDP_MAX_MEDIA  16
#define AR_SDP_MAX_FMTS   16
#define AR_SDP_MAX_CRYPTO 4
#define AR_SDP_ADDR_LEN   64
#define AR_SDP_TOKEN_LEN  32
#define AR_SDP_FMTP_LEN   160
#define AR_SDP_CRYPTO_LEN 160
#define AR_SDP_LABEL_LEN  64

typedef enum {
    AR_SDP_DIR_UNSET = 0, /* no a= direction attribute (means sendrecv) */
    AR_SDP_DIR_SENDRECV,
    AR_SDP_DIR_SENDONLY,
    AR_SDP_DIR_RECVONLY,
    AR_SDP_DIR_INACTIVE,
} ar_sdp_dir;

/* One payload format of an m= line, with its rtpmap / fmtp when present. */
typedef struct {
    char id[AR_SDP_TOKEN_LEN];  /* the format token as written ("0", "101", "*" ...) */
    int pt;                     /* numeric payload type 0..127, -1 if not numeric */
    char enc[AR_SDP_TOKEN_LEN]; /* rtpmap encoding name ("PCMU"), "" when absent */
    uint32_t clock;             /* rtpmap clock rate, 0 when absent */
    uint8_t channels;           /* rtpmap channels, 0 when absent */
    char fmtp[AR_SDP_FMTP_LEN]; /* fmtp parameters after "a=fmtp:<pt> ", "" when absent */
} ar_sdp_fmt;

/* One m= section. */
typedef struct {
    char type[AR_SDP_TOKEN_LEN];  /* "audio", "video", ... */
    uint16_t port;                /* 0 = stream rejected / disabled */
    uint16_t nports;              /* m=<type> <port>/<n>; 1 when absent */
    char proto[AR_SDP_TOKEN_LEN]; /* "RTP/AVP", "RTP/SAVP", ... */
    char addr[AR_SDP_ADDR_LEN];   /* c= of the media, else the session's; "" if none */
    int nfmt;
    ar_sdp_fmt fmt[AR_SDP_MAX_FMTS];
    ar_sdp_dir dir;               /* media-level a=, else session-level a=, else UNSET */
    char label[AR_SDP_LABEL_LEN]; /* a=label (RFC 4574), "" when absent */
    uint16_t rtcp_port;           /* a=rtcp:<port>, 0 when absent (default port+1) */
    int rtcp_mux;                 /* a=rtcp-mux present */
    int ncrypto;                  /* a=crypto lines, kept verbatim (after "a=crypto:") */
    char crypto[AR_SDP_MAX_CRYPTO][AR_SDP_CRYPTO_LEN];
} ar_sdp_media;

/* A whole session description. */
typedef struct {
    char o_user[AR_SDP_TOKEN_LEN];
    uint64_t o_sess_id;
    uint64_t o_version;
    char o_addr[AR_SDP_ADDR_LEN];
    char s_name[AR_SDP_TOKEN_LEN];
    char c_addr[AR_SDP_ADDR_LEN]; /* session-level c= address, "" when absent */
    ar_sdp_dir dir;               /* session-level direction */
    int nmedia;
    ar_sdp_media media[AR_SDP_MAX_MEDIA];
} ar_sdp;

/*
 * Parse an SDP body (CRLF or LF line ends, not NUL-terminated necessarily) into *out.
 * Returns AR_E_OK or the specific ar_err code; *out is zeroed first and is only
 * meaningful on success. Unknown lines and attributes are ignored (RFC 4566 5).
 * Requires v=0, an o= line and at least one connection address for every m= line
 * with a non-zero port (AR_E_SDP_NO_CONNECTION otherwise).
 */
int ar_sdp_parse(const char *text, size_t len, ar_sdp *out);

/* Start an SDP to build: o=<user> <sess_id> <version> IN IP4 <addr>, s=-, c=<addr>. */
void ar_sdp_init(ar_sdp *s, const char *o_user, uint64_t sess_id, uint64_t version,
                 const char *addr);
/* Append an m= line (proto "RTP/AVP" when NULL); NULL when AR_SDP_MAX_MEDIA is reached. */
ar_sdp_media *ar_sdp_add_media(ar_sdp *s, const char *type, uint16_t port, const char *proto);
/* Append a format; enc NULL = no rtpmap; fmtp NULL = none. Returns 0 or -1 when full. */
int ar_sdp_media_add_fmt(ar_sdp_media *m, int pt, const char *enc, uint32_t clock, uint8_t channels,
                         const char *fmtp);
/* Copy the format list (with rtpmap/fmtp) of src into dst, replacing dst's. */
void ar_sdp_media_copy_fmts(ar_sdp_media *dst, const ar_sdp_media *src);

/*
 * Build *ans as an answer to *offer (RFC 3264): the same m= lines in the same order,
 * every offered format kept (no transcoding), address addr, port ports[i] for m= i
 * (0 rejects that stream; ports may be NULL to reject all), and direction dir for every
 * stream, or, when dir is AR_SDP_DIR_UNSET, the mirror of the offer's (sendonly ->
 * recvonly, recvonly -> sendonly, inactive -> inactive, else sendrecv). a=label is
 * echoed; a=crypto is not (SRTP keys are negotiated by the caller).
 */
void ar_sdp_make_answer(const ar_sdp *offer, const char *o_user, uint64_t sess_id, uint64_t version,
                        const char *addr, const uint16_t *ports, ar_sdp_dir dir, ar_sdp *ans);

/*
 * Serialise s into buf (NUL-terminated, CRLF line ends). *out_len gets the length
 * without the NUL. Returns AR_E_OK or AR_E_SDP_TOO_LARGE when cap is too small.
 * A UNSET direction writes no direction attribute.
 */
int ar_sdp_build(const ar_sdp *s, char *buf, size_t cap, size_t *out_len);

/* "sendrecv", "sendonly", "recvonly", "inactive" ("sendrecv" for UNSET). */
const char *ar_sdp_dir_name(ar_sdp_dir d);
/* The answerer's direction for an offered one (sendonly <-> recvonly). */
ar_sdp_dir ar_sdp_dir_mirror(ar_sdp_dir d);
/* Effective direction (UNSET -> SENDRECV). */
ar_sdp_dir ar_sdp_media_dir(const ar_sdp_media *m);
/* First format of m with a numeric payload type whose rtpmap is enc (case-insensitive);
 * static types 0 (PCMU) and 8 (PCMA) match without rtpmap. NULL when absent. */
const ar_sdp_fmt *ar_sdp_media_find_enc(const ar_sdp_media *m, const char *enc);

#endif
