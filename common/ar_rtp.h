/* RTP/RTCP (RFC 3550) header validation, field rewriting and receive statistics. */
#ifndef AR_RTP_H
#define AR_RTP_H

#include <stddef.h>
#include <stdint.h>

#define AR_RTP_HDR_MIN  12
#define AR_RTCP_HDR_MIN 8

/* A validated RTP header; offsets index into the packet given to ar_rtp_parse. */
typedef struct {
    uint8_t pt;           /* payload type 0..127 */
    uint8_t marker;       /* M bit */
    uint8_t csrc_count;   /* CC */
    uint8_t has_ext;      /* X bit */
    uint8_t pad_len;      /* padding bytes at the end (0 when P is clear) */
    uint16_t seq;         /* sequence number (host order) */
    uint32_t ts;          /* timestamp (host order) */
    uint32_t ssrc;        /* synchronisation source (host order) */
    uint16_t ext_profile; /* header extension profile when has_ext */
    size_t payload_off;   /* first payload byte */
    size_t payload_len;   /* payload bytes, excluding padding */
} ar_rtp_hdr;

/*
 * Validate an RTP packet and fill *h. Checks: len >= 12, version 2, the CSRC list and
 * the header extension fit, padding (when P is set) is 1..remaining bytes. Returns
 * AR_E_OK, AR_E_RTP_TRUNCATED, AR_E_RTP_VERSION, AR_E_RTP_BAD_EXTENSION or
 * AR_E_RTP_BAD_PADDING. An empty payload is valid (RFC 3550 allows it).
 */
int ar_rtp_parse(const uint8_t *p, size_t len, ar_rtp_hdr *h);

/*
 * RFC 5761 demultiplexing: true when the second byte's payload type is in the RTCP
 * range 64..95 (packet types 192..223) and the version is 2. Cheap, no validation.
 */
int ar_rtp_is_rtcp(const uint8_t *p, size_t len);

/* Summary of a validated RTCP compound packet. */
typedef struct {
    int npackets;       /* sub-packets in the compound */
    uint8_t first_type; /* packet type of the first sub-packet (200 SR / 201 RR ...) */
    uint32_t ssrc;      /* sender SSRC of the first sub-packet (0 when it has none) */
    int has_sr;         /* an SR is present */
    int has_bye;        /* a BYE is present */
} ar_rtcp_info;

/*
 * Validate an RTCP compound packet (RFC 3550 6.1 / A.2): every sub-packet has version
 * 2 and a length that fits, the lengths add up exactly to len, the first is SR or RR
 * without padding, only the last may carry padding, packet types are in 192..223.
 * info may be NULL. Returns AR_E_OK, AR_E_RTP_TRUNCATED, AR_E_RTP_VERSION,
 * AR_E_RTP_BAD_PADDING or AR_E_RTCP_MALFORMED.
 */
int ar_rtcp_validate(const uint8_t *p, size_t len, ar_rtcp_info *info);

/* In-place rewriting of a packet already validated by ar_rtp_parse (network order). */
static inline void ar_rtp_set_seq(uint8_t *p, uint16_t seq)
{
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
}
static inline void ar_rtp_set_ts(uint8_t *p, uint32_t ts)
{
    p[4] = (uint8_t)(ts >> 24);
    p[5] = (uint8_t)(ts >> 16);
    p[6] = (uint8_t)(ts >> 8);
    p[7] = (uint8_t)ts;
}
static inline void ar_rtp_set_ssrc(uint8_t *p, uint32_t ssrc)
{
    p[8] = (uint8_t)(ssrc >> 24);
    p[9] = (uint8_t)(ssrc >> 16);
    p[10] = (uint8_t)(ssrc >> 8);
    p[11] = (uint8_t)ssrc;
}
/* Write a minimal 12-byte RTP header (no CSRC, no extension, no padding). */
void ar_rtp_write_hdr(uint8_t *p, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc);

/*
 * Receive statistics of one source (RFC 3550 A.1 sequence tracking, A.8 jitter).
 * Plain struct, no allocation; the caller owns synchronisation.
 */
typedef struct {
    uint32_t ssrc;
    uint16_t max_seq;   /* highest sequence number seen */
    uint32_t cycles;    /* sequence wraps << 16 */
    uint32_t base_seq;  /* first sequence number */
    uint32_t bad_seq;   /* for resynchronisation after a large jump */
    uint32_t probation; /* packets still needed before the source is valid */
    uint64_t received;  /* packets accepted */
    uint64_t bytes;     /* payload bytes accepted */
    int64_t transit;    /* last relative transit time (clock units) */
    double jitter;      /* interarrival jitter in clock units */
    int started;
} ar_rtp_stats;

/* Reset statistics (the next packet starts a new source). */
void ar_rtp_stats_reset(ar_rtp_stats *st);
/*
 * Account one packet: arrival is the arrival time in the payload's clock units
 * (e.g. ms * 8 for 8 kHz). A new SSRC restarts the statistics. Returns 0, or 1 when
 * the packet is a duplicate or too old (still counted in received).
 */
int ar_rtp_stats_update(ar_rtp_stats *st, const ar_rtp_hdr *h, uint32_t arrival);
/* Packets expected from the sequence numbers seen (A.3). */
uint64_t ar_rtp_stats_expected(const ar_rtp_stats *st);
/* Cumulative lost packets (expected - received, clamped at 0). */
uint64_t ar_rtp_stats_lost(const ar_rtp_stats *st);

#endif
