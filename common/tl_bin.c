/* Binary T-Lib frame codec (docs/protocol.md) plus the decode-error and EventError helpers. */
#include "tl_codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"

/* ---- shared helpers ---- */

void tl_decode_err_set(tl_decode_err *err, int code, bool fatal, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    err->fatal = fatal;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

tl_msg *tl_error_new(int code, int64_t reference_id, const char *message)
{
    tl_msg *m = tl_msg_new(TL_M_EventError);
    if (!m)
        return NULL;
    if (tl_msg_set_int(m, TL_A_ErrorCode, code) < 0 ||
        tl_msg_set_str(m, TL_A_ErrorMessage, message ? message : ar_strerror(code)) < 0 ||
        (reference_id >= 0 && tl_msg_set_int(m, TL_A_ReferenceID, reference_id) < 0))
        tl_msg_free(&m);
    return m;
}

/* ---- encoder ---- */

static inline void patch_u16(ar_buf *b, size_t at, uint16_t v)
{
    b->data[at] = (uint8_t)(v >> 8);
    b->data[at + 1] = (uint8_t)v;
}

static inline void patch_u32(ar_buf *b, size_t at, uint32_t v)
{
    b->data[at] = (uint8_t)(v >> 24);
    b->data[at + 1] = (uint8_t)(v >> 16);
    b->data[at + 2] = (uint8_t)(v >> 8);
    b->data[at + 3] = (uint8_t)v;
}

#define PUT(call)                                                                                  \
    do {                                                                                           \
        if ((call) < 0)                                                                            \
            return AR_E_NOMEM;                                                                     \
    } while (0)

static int kv_encode(const tl_kv *kv, int depth, ar_buf *out);

/* One KV pair value; lengths are u16 in the public layout. */
static int kv_value_encode(const tl_value *v, int depth, ar_buf *out)
{
    switch (v->type) {
    case TL_T_STR:
    case TL_T_UNICODE:
    case TL_T_BIN:
        if (v->u.s.len > UINT16_MAX)
            return AR_E_INVALID_VALUE;
        PUT(ar_buf_put_u16(out, (uint16_t)v->u.s.len));
        PUT(ar_buf_append(out, v->u.s.p, v->u.s.len));
        return AR_E_OK;
    case TL_T_INT:
        if (v->u.i < INT32_MIN || v->u.i > INT32_MAX)
            return AR_E_INVALID_VALUE;
        PUT(ar_buf_put_u16(out, 4));
        PUT(ar_buf_put_u32(out, (uint32_t)(int32_t)v->u.i));
        return AR_E_OK;
    case TL_T_KV: {
        size_t at = out->len;
        PUT(ar_buf_put_u16(out, 0));
        int rc = kv_encode(v->u.kv, depth + 1, out);
        if (rc != AR_E_OK)
            return rc;
        size_t n = out->len - at - 2;
        if (n > UINT16_MAX)
            return AR_E_INVALID_VALUE;
        patch_u16(out, at, (uint16_t)n);
        return AR_E_OK;
    }
    case TL_T_CONNID:
        break;
    }
    return AR_E_INVALID_VALUE;
}

static int kv_encode(const tl_kv *kv, int depth, ar_buf *out)
{
    if (depth > TL_KV_MAX_DEPTH)
        return AR_E_KV_MALFORMED;
    size_t n = tl_kv_count(kv);
    if (n > UINT16_MAX)
        return AR_E_INVALID_VALUE;
    PUT(ar_buf_put_u16(out, (uint16_t)n));
    for (size_t i = 0; i < n; i++) {
        const tl_kv_pair *p = tl_kv_at(kv, i);
        size_t klen = strlen(p->key);
        if (klen > UINT16_MAX || p->v.type == TL_T_CONNID)
            return AR_E_INVALID_VALUE;
        PUT(ar_buf_put_u8(out, (uint8_t)p->v.type));
        PUT(ar_buf_put_u16(out, (uint16_t)klen));
        PUT(ar_buf_append(out, p->key, klen));
        int rc = kv_value_encode(&p->v, depth, out);
        if (rc != AR_E_OK)
            return rc;
    }
    return AR_E_OK;
}

static int attr_encode(const tl_attr *a, ar_buf *out)
{
    PUT(ar_buf_put_u16(out, a->id));
    PUT(ar_buf_put_u8(out, (uint8_t)a->v.type));
    switch (a->v.type) {
    case TL_T_INT:
        PUT(ar_buf_put_u32(out, 8));
        PUT(ar_buf_put_u64(out, (uint64_t)a->v.u.i));
        return AR_E_OK;
    case TL_T_CONNID:
        PUT(ar_buf_put_u32(out, 8));
        PUT(ar_buf_put_u64(out, a->v.u.connid));
        return AR_E_OK;
    case TL_T_STR:
    case TL_T_UNICODE:
    case TL_T_BIN:
        PUT(ar_buf_put_u32(out, a->v.u.s.len));
        PUT(ar_buf_append(out, a->v.u.s.p, a->v.u.s.len));
        return AR_E_OK;
    case TL_T_KV: {
        size_t at = out->len;
        PUT(ar_buf_put_u32(out, 0));
        int rc = kv_encode(a->v.u.kv, 1, out);
        if (rc != AR_E_OK)
            return rc;
        size_t n = out->len - at - 4;
        if (n > UINT32_MAX)
            return AR_E_INVALID_VALUE;
        patch_u32(out, at, (uint32_t)n);
        return AR_E_OK;
    }
    }
    return AR_E_INVALID_VALUE;
}

int tl_bin_encode(const tl_msg *m, unsigned version, ar_buf *out)
{
    if (version < TL_PROTO_VERSION_MIN || version > TL_PROTO_VERSION_MAX)
        return AR_E_PROTOCOL_VERSION;
    size_t start = out->len;
    int rc = AR_E_NOMEM;
    /* One reservation for the common case (short strings) saves repeated growth checks. */
    if (ar_buf_reserve(out, TL_FRAME_HDR + 4 + (size_t)m->n * 24) < 0)
        goto fail;
    uint8_t hdr[TL_FRAME_HDR + 4] = {'T',
                                     'L',
                                     (uint8_t)version,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     (uint8_t)(m->type >> 8),
                                     (uint8_t)m->type,
                                     (uint8_t)(m->n >> 8),
                                     (uint8_t)m->n};
    if (ar_buf_append(out, hdr, sizeof hdr) < 0)
        goto fail;
    for (uint16_t i = 0; i < m->n; i++) {
        rc = attr_encode(&m->attrs[i], out);
        if (rc != AR_E_OK)
            goto fail;
    }
    size_t body = out->len - start - TL_FRAME_HDR;
    if (body > UINT32_MAX) {
        rc = AR_E_FRAME_TOO_LARGE;
        goto fail;
    }
    patch_u32(out, start + 4, (uint32_t)body);
    return AR_E_OK;
fail:
    out->len = start; /* never leave half a frame in an output queue */
    return rc;
}

/* ---- decoder ---- */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/*
 * Lenient walk over the attribute headers of a body that failed to decode, looking for
 * ReferenceID so the EventError can still be correlated with the request.
 */
static int64_t scan_reference_id(const uint8_t *body, size_t blen)
{
    size_t pos = 4;
    while (blen >= pos && blen - pos >= 7) {
        uint16_t id = rd16(body + pos);
        uint8_t t = body[pos + 2];
        uint32_t alen = rd32(body + pos + 3);
        pos += 7;
        if (alen > blen - pos)
            break;
        if (id == TL_A_ReferenceID && t == TL_T_INT && alen == 8)
            return (int64_t)rd64(body + pos);
        pos += alen;
    }
    return -1;
}

static int kv_decode(const uint8_t *p, size_t len, int depth, tl_kv **out, tl_decode_err *err);

static int kv_pair_decode(const uint8_t *p, size_t len, size_t *pos, int depth, tl_kv *kv,
                          tl_decode_err *err)
{
    if (len - *pos < 3) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "key-value pair header truncated");
        return -1;
    }
    uint8_t t = p[*pos];
    uint16_t klen = rd16(p + *pos + 1);
    *pos += 3;
    if (klen > len - *pos) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "key-value key overruns the list");
        return -1;
    }
    const char *key = (const char *)p + *pos;
    if (memchr(key, 0, klen)) {
        tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "key-value key contains NUL");
        return -1;
    }
    *pos += klen;
    if (len - *pos < 2) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "key-value value length truncated");
        return -1;
    }
    uint16_t vlen = rd16(p + *pos);
    *pos += 2;
    if (vlen > len - *pos) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "value of key '%.*s' overruns the list",
                          (int)(klen > 40 ? 40 : klen), key);
        return -1;
    }
    const uint8_t *vp = p + *pos;
    *pos += vlen;
    tl_value v = {.type = TL_T_INT};
    switch (t) {
    case TL_T_STR:
    case TL_T_UNICODE:
        if (memchr(vp, 0, vlen)) {
            tl_decode_err_set(err, AR_E_INVALID_VALUE, false,
                              "string value of key '%.*s' contains NUL",
                              (int)(klen > 40 ? 40 : klen), key);
            return -1;
        }
        /* fall through */
    case TL_T_BIN: {
        char *s = malloc((size_t)vlen + 1);
        if (!s)
            goto nomem;
        memcpy(s, vp, vlen);
        s[vlen] = '\0';
        v.type = (tl_type)t;
        v.u.s.p = s;
        v.u.s.len = vlen;
        break;
    }
    case TL_T_INT:
        if (vlen != 4) {
            tl_decode_err_set(err, AR_E_KV_MALFORMED, false,
                              "int value of key '%.*s' is %u bytes, not 4",
                              (int)(klen > 40 ? 40 : klen), key, vlen);
            return -1;
        }
        v.u.i = (int32_t)rd32(vp);
        break;
    case TL_T_KV:
        if (kv_decode(vp, vlen, depth + 1, &v.u.kv, err) < 0)
            return -1;
        v.type = TL_T_KV;
        break;
    default:
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "unknown key-value type byte %u", t);
        return -1;
    }
    if (tl_kv_add_value(kv, key, klen, &v) < 0)
        goto nomem;
    return 0;
nomem:
    tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
    return -1;
}

/* Decodes exactly len bytes as one list; the caller bounds len by the frame. */
static int kv_decode(const uint8_t *p, size_t len, int depth, tl_kv **out, tl_decode_err *err)
{
    *out = NULL;
    if (depth > TL_KV_MAX_DEPTH) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "key-value lists nested deeper than %d",
                          TL_KV_MAX_DEPTH);
        return -1;
    }
    if (len < 2) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "key-value list count truncated");
        return -1;
    }
    uint16_t count = rd16(p);
    size_t pos = 2;
    tl_kv *kv = tl_kv_new();
    if (!kv) {
        tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
        return -1;
    }
    /* Each pair needs >= 5 bytes, so allocation stays proportional to the input. */
    for (unsigned i = 0; i < count; i++) {
        if (kv_pair_decode(p, len, &pos, depth, kv, err) < 0)
            goto fail;
    }
    if (pos != len) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "%zu bytes after the last key-value pair",
                          len - pos);
        goto fail;
    }
    *out = kv;
    return 0;
fail:
    tl_kv_free(&kv);
    return -1;
}

static int attr_value_decode(const tl_attr_info *ai, const uint8_t *vp, uint32_t alen, tl_value *v,
                             tl_decode_err *err)
{
    switch (ai->type) {
    case TL_T_INT:
    case TL_T_CONNID:
        if (alen != 8) {
            tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "%s: %s value is %u bytes, not 8",
                              ai->name, tl_type_name(ai->type), alen);
            return -1;
        }
        v->type = ai->type;
        if (ai->type == TL_T_INT)
            v->u.i = (int64_t)rd64(vp);
        else
            v->u.connid = rd64(vp);
        return 0;
    case TL_T_STR:
    case TL_T_UNICODE:
        if (memchr(vp, 0, alen)) {
            tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "%s: string contains NUL", ai->name);
            return -1;
        }
        /* fall through */
    case TL_T_BIN: {
        char *s = malloc((size_t)alen + 1);
        if (!s)
            break;
        memcpy(s, vp, alen);
        s[alen] = '\0';
        v->type = ai->type;
        v->u.s.p = s;
        v->u.s.len = alen;
        return 0;
    }
    case TL_T_KV:
        if (kv_decode(vp, alen, 1, &v->u.kv, err) < 0)
            return -1;
        v->type = TL_T_KV;
        return 0;
    }
    tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
    return -1;
}

/* Decodes a complete body; returns 0 or -1 with err filled (never fatal). */
static int body_decode(const uint8_t *body, size_t blen, tl_msg **out, tl_decode_err *err)
{
    uint8_t seen[(TL_ATTR_MAX + 8) / 8] = {0};
    tl_msg *m = NULL;
    if (blen < 4) {
        tl_decode_err_set(err, AR_E_FRAME_MALFORMED, false, "body of %zu bytes is too short", blen);
        return -1;
    }
    uint16_t type = rd16(body), count = rd16(body + 2);
    if (!tl_msg_info_get(type)) {
        tl_decode_err_set(err, AR_E_UNKNOWN_MESSAGE, false, "unknown message number %u", type);
        return -1;
    }
    err->msg_type = type;
    m = tl_msg_new(type);
    if (!m)
        goto nomem;
    size_t pos = 4;
    for (unsigned i = 0; i < count; i++) {
        err->attr = 0;
        if (blen - pos < 7) {
            tl_decode_err_set(err, AR_E_FRAME_MALFORMED, false,
                              "attribute %u of %u: header overruns the body", i + 1, count);
            goto fail;
        }
        uint16_t id = rd16(body + pos);
        uint8_t wt = body[pos + 2];
        uint32_t alen = rd32(body + pos + 3);
        pos += 7;
        err->attr = id;
        if (alen > blen - pos) {
            tl_decode_err_set(err, AR_E_FRAME_MALFORMED, false,
                              "attribute %u: value of %u bytes overruns the body", id, alen);
            goto fail;
        }
        const tl_attr_info *ai = tl_attr_info_get(id);
        if (!ai) {
            tl_decode_err_set(err, AR_E_UNKNOWN_ATTRIBUTE, false, "unknown attribute %u", id);
            goto fail;
        }
        if (seen[id / 8] & (1u << (id % 8))) {
            tl_decode_err_set(err, AR_E_DUPLICATE_ATTRIBUTE, false, "%s given twice", ai->name);
            goto fail;
        }
        seen[id / 8] |= (uint8_t)(1u << (id % 8));
        if (wt != ai->type) {
            tl_decode_err_set(err, AR_E_WRONG_TYPE, false, "%s is %s, expected %s", ai->name,
                              wt <= TL_T_CONNID ? tl_type_name((tl_type)wt) : "an unknown type",
                              tl_type_name(ai->type));
            goto fail;
        }
        tl_value v = {.type = TL_T_INT};
        if (attr_value_decode(ai, body + pos, alen, &v, err) < 0)
            goto fail;
        pos += alen;
        if (tl_msg_set_value(m, id, &v) < 0)
            goto nomem;
    }
    err->attr = 0;
    if (pos != blen) {
        tl_decode_err_set(err, AR_E_FRAME_MALFORMED, false, "%zu bytes after the last attribute",
                          blen - pos);
        goto fail;
    }
    *out = m;
    return 0;
nomem:
    tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
fail:
    tl_msg_free(&m);
    return -1;
}

tl_dec_result tl_bin_decode(const uint8_t *p, size_t len, size_t max_frame, tl_msg **out,
                            size_t *consumed, tl_decode_err *err)
{
    tl_decode_err local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    err->reference_id = -1;
    err->msg_type = -1;
    *out = NULL;
    *consumed = 0;
    if (max_frame == 0)
        max_frame = TL_FRAME_DEFAULT_MAX;
    /* Check the magic on whatever has arrived, so garbage is refused at its first byte. */
    static const uint8_t magic[2] = {'T', 'L'};
    for (size_t i = 0; i < 2 && i < len; i++) {
        if (p[i] != magic[i]) {
            tl_decode_err_set(err, AR_E_FRAME_MAGIC, true, "bad magic byte 0x%02x at offset %zu",
                              p[i], i);
            return TL_DEC_ERROR;
        }
    }
    if (len < TL_FRAME_HDR)
        return TL_DEC_NEED_MORE;
    uint32_t blen = rd32(p + 4);
    if ((uint64_t)blen + TL_FRAME_HDR > max_frame) {
        tl_decode_err_set(err, AR_E_FRAME_TOO_LARGE, true,
                          "frame announces %u body bytes, maximum frame is %zu", blen, max_frame);
        return TL_DEC_ERROR;
    }
    if (len - TL_FRAME_HDR < blen)
        return TL_DEC_NEED_MORE;
    /* From here the frame is complete: every error skips exactly this frame. */
    size_t frame = TL_FRAME_HDR + (size_t)blen;
    const uint8_t *body = p + TL_FRAME_HDR;
    *consumed = frame;
    if (p[2] < TL_PROTO_VERSION_MIN || p[2] > TL_PROTO_VERSION_MAX) {
        tl_decode_err_set(err, AR_E_PROTOCOL_VERSION, false,
                          "protocol version %u not supported (%d..%d)", p[2], TL_PROTO_VERSION_MIN,
                          TL_PROTO_VERSION_MAX);
    } else if (p[3] != 0) {
        tl_decode_err_set(err, AR_E_FRAME_MALFORMED, false, "frame flags 0x%02x must be 0", p[3]);
    } else if (body_decode(body, blen, out, err) == 0) {
        return TL_DEC_OK;
    }
    /* Best effort even for another version: its body layout is expected to keep the
     * attribute header format, and a wrong guess only costs an unmatched ReferenceID. */
    err->reference_id = scan_reference_id(body, blen);
    if (err->msg_type < 0 && blen >= 4 && tl_msg_info_get(rd16(body)))
        err->msg_type = rd16(body);
    return TL_DEC_ERROR;
}
