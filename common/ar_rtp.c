/* RTP/RTCP header validation and receive statistics (RFC 3550). */
#include "ar_rtp.h"

#include "ar_err.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int ar_rtp_parse(const uint8_t *p, size_t len, ar_rtp_hdr *h)
{
    memset(h, 0, sizeof(*h));
    if (len < AR_RTP_HDR_MIN)
        return AR_E_RTP_TRUNCATED;
    if ((p[0] >> 6) != 2)
        return AR_E_RTP_VERSION;
    h->csrc_count = p[0] & 0x0f;
    h->has_ext = (p[0] >> 4) & 1;
    h->marker = p[1] >> 7;
    h->pt = p[1] & 0x7f;
    h->seq = rd16(p + 2);
    h->ts = rd32(p + 4);
    h->ssrc = rd32(p + 8);
    size_t off = AR_RTP_HDR_MIN + 4u * h->csrc_count;
    if (off > len)
        return AR_E_RTP_TRUNCATED;
    if (h->has_ext) {
        if (off + 4 > len)
            return AR_E_RTP_BAD_EXTENSION;
        h->ext_profile = rd16(p + off);
        size_t ext_words = rd16(p + off + 2);
        off += 4 + 4 * ext_words;
        if (off > len)
            return AR_E_RTP_BAD_EXTENSION;
    }
    size_t end = len;
    if (p[0] & 0x20) {
        uint8_t pad = p[len - 1];
        /* The padding count includes itself, so 0 is invalid and it may not eat the
         * header. */
        if (pad == 0 || pad > len - off)
            return AR_E_RTP_BAD_PADDING;
        h->pad_len = pad;
        end = len - pad;
    }
    h->payload_off = off;
    h->payload_len = end - off;
    return AR_E_OK;
}

int ar_rtp_is_rtcp(const uint8_t *p, size_t len)
{
    if (len < 2 || (p[0] >> 6) != 2)
        return 0;
    return p[1] >= 192 && p[1] <= 223;
}

int ar_rtcp_validate(const uint8_t *p, size_t len, ar_rtcp_info *info)
{
    ar_rtcp_info tmp;
    if (!info)
        info = &tmp;
    memset(info, 0, sizeof(*info));
    if (len < AR_RTCP_HDR_MIN)
        return AR_E_RTP_TRUNCATED;
    size_t off = 0;
    while (off < len) {
        if (len - off < 4)
            return AR_E_RTP_TRUNCATED;
        const uint8_t *s = p + off;
        if ((s[0] >> 6) != 2)
            return AR_E_RTP_VERSION;
        uint8_t type = s[1];
        if (type < 192 || type > 223)
            return AR_E_RTCP_MALFORMED;
        size_t plen = 4u * ((size_t)rd16(s + 2) + 1);
        if (plen > len - off)
            return AR_E_RTP_TRUNCATED;
        int padded = (s[0] >> 5) & 1;
        if (padded) {
            /* Only the last sub-packet of a compound may be padded (RFC 3550 A.2). */
            if (off + plen != len)
                return AR_E_RTP_BAD_PADDING;
            uint8_t pad = s[plen - 1];
            if (pad == 0 || pad > plen - 4)
                return AR_E_RTP_BAD_PADDING;
        }
        if (info->npackets == 0) {
            if (type != 200 && type != 201)
                return AR_E_RTCP_MALFORMED;
            if (padded)
                return AR_E_RTP_BAD_PADDING;
            if (plen < 8)
                return AR_E_RTP_TRUNCATED;
            info->first_type = type;
            info->ssrc = rd32(s + 4);
        }
        int count = s[0] & 0x1f;
        /* SR: 28-byte header+sender info, RR: 8 bytes, each report block 24 bytes. */
        if (type == 200 && plen < 28u + 24u * count)
            return AR_E_RTCP_MALFORMED;
        if (type == 201 && plen < 8u + 24u * count)
            return AR_E_RTCP_MALFORMED;
        if (type == 200)
            info->has_sr = 1;
        if (type == 203)
            info->has_bye = 1;
        info->npackets++;
        off += plen;
    }
    return AR_E_OK;
}

void ar_rtp_write_hdr(uint8_t *p, uint8_t pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    p[0] = 0x80;
    p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    ar_rtp_set_seq(p, seq);
    ar_rtp_set_ts(p, ts);
    ar_rtp_set_ssrc(p, ssrc);
}

/* RFC 3550 A.1 constants. */
#define MAX_DROPOUT    3000
#define MAX_MISORDER   100
#define MIN_SEQUENTIAL 2
#define RTP_SEQ_MOD    (1u << 16)

void ar_rtp_stats_reset(ar_rtp_stats *st)
{
    memset(st, 0, sizeof(*st));
}

static void stats_init_seq(ar_rtp_stats *st, uint16_t seq)
{
    st->base_seq = seq;
    st->max_seq = seq;
    st->bad_seq = RTP_SEQ_MOD + 1;
    st->cycles = 0;
    st->received = 0;
}

int ar_rtp_stats_update(ar_rtp_stats *st, const ar_rtp_hdr *h, uint32_t arrival)
{
    if (!st->started || st->ssrc != h->ssrc) {
        ar_rtp_stats_reset(st);
        st->started = 1;
        st->ssrc = h->ssrc;
        stats_init_seq(st, h->seq);
        st->probation = 0;
        st->received = 1;
        st->bytes = h->payload_len;
        st->transit = (int32_t)(uint32_t)((int64_t)arrival - (int64_t)h->ts);
        return 0;
    }
    int old = 0;
    uint16_t udelta = (uint16_t)(h->seq - st->max_seq);
    if (udelta == 0) {
        old = 1; /* duplicate */
    } else if (udelta < MAX_DROPOUT) {
        if (h->seq < st->max_seq)
            st->cycles += RTP_SEQ_MOD;
        st->max_seq = h->seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        /* A very large jump: restart if two sequential packets confirm it. */
        if (h->seq == st->bad_seq) {
            stats_init_seq(st, h->seq);
        } else {
            st->bad_seq = (uint32_t)(h->seq + 1) & (RTP_SEQ_MOD - 1);
            old = 1;
        }
    } else {
        old = 1; /* duplicate or reordered */
    }
    st->received++;
    st->bytes += h->payload_len;
    int64_t transit = (int64_t)arrival - (int64_t)h->ts;
    /* Wrap the difference into 32 bits so timestamp wraps do not show as jitter. */
    transit = (int32_t)(uint32_t)transit;
    if (st->received > 1) {
        int64_t d = transit - st->transit;
        if (d < 0)
            d = -d;
        st->jitter += ((double)d - st->jitter) / 16.0;
    }
    st->transit = transit;
    return old;
}

uint64_t ar_rtp_stats_expected(const ar_rtp_stats *st)
{
    if (!st->started)
        return 0;
    uint64_t ext_max = (uint64_t)st->cycles + st->max_seq;
    if (ext_max + 1 < st->base_seq)
        return 0;
    return ext_max - st->base_seq + 1;
}

uint64_t ar_rtp_stats_lost(const ar_rtp_stats *st)
{
    uint64_t exp = ar_rtp_stats_expected(st);
    return exp > st->received ? exp - st->received : 0;
}
