/* JSON T-Lib codec: a hand-written encoder straight into ar_buf, a json-c based decoder. */
#include "tl_codec.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ar_base64.h"
#include "ar_err.h"

/* ---- base64 (RFC 4648, padded) ---- */

static int b64_encode(ar_buf *b, const uint8_t *p, size_t n)
{
    size_t need = ar_base64_encoded_len(n) + 1;
    if (ar_buf_reserve(b, need) < 0)
        return -1;
    int w = ar_base64_encode(p, n, (char *)b->data + b->len, need);
    if (w < 0)
        return -1;
    b->len += (size_t)w;
    return 0;
}

/* Strict decoding (padding required, no whitespace): one text per value keeps equality exact. */
static char *b64_decode(const char *s, size_t n, uint32_t *outlen)
{
    char *out = malloc(n / 4 * 3 + 1);
    if (!out)
        return NULL;
    int o = ar_base64_decode(s, n, (uint8_t *)out, n / 4 * 3, AR_BASE64_PAD_REQUIRED);
    if (o < 0) {
        free(out);
        return NULL;
    }
    out[o] = '\0';
    *outlen = (uint32_t)o;
    return out;
}

/* ---- encoder ---- */

/* Length of a valid UTF-8 sequence at p (n bytes available), 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

/*
 * JSON string. Invalid UTF-8 becomes U+FFFD: WebSocket text frames must be valid UTF-8
 * and browsers close the connection otherwise (docs/protocol.md).
 */
static int put_str(ar_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)str;
    if (ar_buf_reserve(b, n + 2) < 0 || ar_buf_put_u8(b, '"') < 0)
        return -1;
    size_t run = 0, i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                i += k; /* valid multi-byte sequence: stays in the verbatim run */
                continue;
            }
        }
        if (ar_buf_append(b, s + run, i - run) < 0)
            return -1;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        size_t elen = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            elen = 6;
            if (c >= 0x80) /* invalid UTF-8 byte */
                memcpy(esc, "\\ufffd", 6);
            break;
        }
        if (ar_buf_append(b, esc, elen) < 0)
            return -1;
        i++;
        run = i;
    }
    if (ar_buf_append(b, s + run, n - run) < 0 || ar_buf_put_u8(b, '"') < 0)
        return -1;
    return 0;
}

static int put_int(ar_buf *b, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *q = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--q = '-';
    return ar_buf_append(b, q, (size_t)(e - q));
}

#define PUT(call)                                                                                  \
    do {                                                                                           \
        if ((call) < 0)                                                                            \
            return AR_E_NOMEM;                                                                     \
    } while (0)

static int kv_to_json(const tl_kv *kv, int depth, ar_buf *b)
{
    if (depth > TL_KV_MAX_DEPTH)
        return AR_E_KV_MALFORMED;
    PUT(ar_buf_put_u8(b, '{'));
    size_t n = tl_kv_count(kv);
    for (size_t i = 0; i < n; i++) {
        const tl_kv_pair *p = tl_kv_at(kv, i);
        if (i)
            PUT(ar_buf_put_u8(b, ','));
        PUT(put_str(b, p->key, strlen(p->key)));
        PUT(ar_buf_put_u8(b, ':'));
        switch (p->v.type) {
        case TL_T_STR:
        case TL_T_UNICODE:
            PUT(put_str(b, p->v.u.s.p, p->v.u.s.len));
            break;
        case TL_T_INT:
            if (p->v.u.i < INT32_MIN || p->v.u.i > INT32_MAX)
                return AR_E_INVALID_VALUE;
            PUT(put_int(b, p->v.u.i));
            break;
        case TL_T_BIN:
            PUT(ar_buf_append(b, "{\"$binary\":\"", 12));
            PUT(b64_encode(b, (const uint8_t *)p->v.u.s.p, p->v.u.s.len));
            PUT(ar_buf_append(b, "\"}", 2));
            break;
        case TL_T_KV: {
            int rc = kv_to_json(p->v.u.kv, depth + 1, b);
            if (rc != AR_E_OK)
                return rc;
            break;
        }
        default:
            return AR_E_INVALID_VALUE;
        }
    }
    PUT(ar_buf_put_u8(b, '}'));
    return AR_E_OK;
}

static int attr_to_json(const tl_attr *a, ar_buf *b)
{
    const tl_attr_info *ai = tl_attr_info_get(a->id);
    if (!ai)
        return AR_E_UNKNOWN_ATTRIBUTE;
    PUT(ar_buf_put_u8(b, ','));
    PUT(put_str(b, ai->name, strlen(ai->name)));
    PUT(ar_buf_put_u8(b, ':'));
    switch (a->v.type) {
    case TL_T_STR:
    case TL_T_UNICODE:
        PUT(put_str(b, a->v.u.s.p, a->v.u.s.len));
        return AR_E_OK;
    case TL_T_INT:
        PUT(put_int(b, a->v.u.i));
        return AR_E_OK;
    case TL_T_CONNID: {
        char hex[20] = "\"";
        tl_connid_format(a->v.u.connid, hex + 1);
        hex[17] = '"';
        PUT(ar_buf_append(b, hex, 18));
        return AR_E_OK;
    }
    case TL_T_BIN:
        PUT(ar_buf_put_u8(b, '"'));
        PUT(b64_encode(b, (const uint8_t *)a->v.u.s.p, a->v.u.s.len));
        PUT(ar_buf_put_u8(b, '"'));
        return AR_E_OK;
    case TL_T_KV:
        return kv_to_json(a->v.u.kv, 1, b);
    }
    return AR_E_INVALID_VALUE;
}

int tl_json_encode(const tl_msg *m, ar_buf *out)
{
    const tl_msg_info *mi = tl_msg_info_get(m->type);
    if (!mi)
        return AR_E_UNKNOWN_MESSAGE;
    size_t start = out->len;
    int rc = AR_E_NOMEM;
    if (ar_buf_reserve(out, 16 + strlen(mi->name) + (size_t)m->n * 32) < 0 ||
        ar_buf_append(out, "{\"message\":", 11) < 0 || put_str(out, mi->name, strlen(mi->name)) < 0)
        goto fail;
    for (uint16_t i = 0; i < m->n; i++) {
        rc = attr_to_json(&m->attrs[i], out);
        if (rc != AR_E_OK)
            goto fail;
    }
    rc = AR_E_NOMEM;
    if (ar_buf_put_u8(out, '}') < 0)
        goto fail;
    return AR_E_OK;
fail:
    out->len = start;
    return rc;
}

char *tl_json_encode_str(const tl_msg *m)
{
    ar_buf b = {0};
    if (tl_json_encode(m, &b) != AR_E_OK || ar_buf_put_u8(&b, 0) < 0) {
        ar_buf_free(&b);
        return NULL;
    }
    return (char *)b.data; /* ownership passes to the caller */
}

/* ---- decoder ---- */

/* Offset of the first byte that is not strict UTF-8 (RFC 3629), or len if none. */
static size_t utf8_check(const char *text, size_t len)
{
    const uint8_t *p = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, len - i);
        if (!k)
            return i;
        i += k;
    }
    return len;
}

static const char *jtype(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a number with a fraction";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "?";
}

/* json-c keeps integers above INT64_MAX as uint64; those do not fit a T-Lib int. */
static bool json_int64(json_object *v, int64_t *out)
{
    int64_t i = json_object_get_int64(v);
    if (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
        return false;
    *out = i;
    return true;
}

static int str_value(json_object *v, tl_type t, const char *what, tl_value *out, tl_decode_err *err)
{
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (memchr(s, 0, n)) {
        tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "%.60s: string contains NUL", what);
        return -1;
    }
    char *c = malloc(n + 1);
    if (!c) {
        tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
        return -1;
    }
    memcpy(c, s, n + 1);
    out->type = t;
    out->u.s.p = c;
    out->u.s.len = (uint32_t)n;
    return 0;
}

static int bin_value(json_object *v, const char *what, tl_value *out, tl_decode_err *err)
{
    uint32_t n = 0;
    char *p = b64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), &n);
    if (!p) {
        tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "%.60s: invalid base64", what);
        return -1;
    }
    out->type = TL_T_BIN;
    out->u.s.p = p;
    out->u.s.len = n;
    return 0;
}

static int kv_from_json(json_object *o, int depth, tl_kv **out, tl_decode_err *err);

static int kv_pair_from_json(const char *key, json_object *val, int depth, tl_kv *kv,
                             tl_decode_err *err)
{
    tl_value v = {.type = TL_T_INT};
    json_object *bin;
    switch (json_object_get_type(val)) {
    case json_type_string:
        if (str_value(val, TL_T_STR, key, &v, err) < 0)
            return -1;
        break;
    case json_type_int: {
        int64_t i;
        if (!json_int64(val, &i) || i < INT32_MIN || i > INT32_MAX) {
            tl_decode_err_set(err, AR_E_INVALID_VALUE, false,
                              "key '%.60s': integer does not fit 32 bits", key);
            return -1;
        }
        v.u.i = i;
        break;
    }
    case json_type_object:
        /* {"$binary":"base64"} alone is a binary value, anything else a nested list. */
        if (json_object_object_length(val) == 1 &&
            json_object_object_get_ex(val, "$binary", &bin) &&
            json_object_is_type(bin, json_type_string)) {
            if (bin_value(bin, key, &v, err) < 0)
                return -1;
        } else {
            if (kv_from_json(val, depth + 1, &v.u.kv, err) < 0)
                return -1;
            v.type = TL_T_KV;
        }
        break;
    default:
        tl_decode_err_set(err, AR_E_WRONG_TYPE, false,
                          "key '%.60s' is %s; expected a string, integer or object", key,
                          jtype(val));
        return -1;
    }
    if (tl_kv_add_value(kv, key, strlen(key), &v) < 0) {
        tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
        return -1;
    }
    return 0;
}

static int kv_from_json(json_object *o, int depth, tl_kv **out, tl_decode_err *err)
{
    *out = NULL;
    if (depth > TL_KV_MAX_DEPTH) {
        tl_decode_err_set(err, AR_E_KV_MALFORMED, false, "key-value lists nested deeper than %d",
                          TL_KV_MAX_DEPTH);
        return -1;
    }
    tl_kv *kv = tl_kv_new();
    if (!kv) {
        tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
        return -1;
    }
    json_object_object_foreach(o, key, val)
    {
        if (kv_pair_from_json(key, val, depth, kv, err) < 0) {
            tl_kv_free(&kv);
            return -1;
        }
    }
    *out = kv;
    return 0;
}

static int attr_from_json(const tl_attr_info *ai, json_object *val, tl_value *v, tl_decode_err *err)
{
    json_type jt = json_object_get_type(val);
    switch (ai->type) {
    case TL_T_STR:
    case TL_T_UNICODE:
        if (jt != json_type_string)
            break;
        return str_value(val, ai->type, ai->name, v, err);
    case TL_T_BIN:
        if (jt != json_type_string)
            break;
        return bin_value(val, ai->name, v, err);
    case TL_T_INT:
        if (jt != json_type_int)
            break;
        if (!json_int64(val, &v->u.i)) {
            tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "%s: integer out of range", ai->name);
            return -1;
        }
        v->type = TL_T_INT;
        return 0;
    case TL_T_CONNID:
        if (jt != json_type_string)
            break;
        if (!tl_connid_parse(json_object_get_string(val), &v->u.connid)) {
            tl_decode_err_set(err, AR_E_INVALID_VALUE, false, "%s: expected 16 hexadecimal digits",
                              ai->name);
            return -1;
        }
        v->type = TL_T_CONNID;
        return 0;
    case TL_T_KV:
        if (jt != json_type_object)
            break;
        if (kv_from_json(val, 1, &v->u.kv, err) < 0)
            return -1;
        v->type = TL_T_KV;
        return 0;
    }
    tl_decode_err_set(err, AR_E_WRONG_TYPE, false, "%s is %s, expected %s", ai->name, jtype(val),
                      ai->type == TL_T_KV    ? "an object"
                      : ai->type == TL_T_INT ? "an integer"
                                             : "a string");
    return -1;
}

static int msg_from_json(json_object *obj, tl_msg **out, tl_decode_err *err)
{
    json_object *jm, *jr;
    if (json_object_object_get_ex(obj, "ReferenceID", &jr) &&
        json_object_is_type(jr, json_type_int)) {
        int64_t r;
        if (json_int64(jr, &r))
            err->reference_id = r;
    }
    if (!json_object_object_get_ex(obj, "message", &jm)) {
        tl_decode_err_set(err, AR_E_MISSING_ATTRIBUTE, false, "no \"message\" key");
        return -1;
    }
    if (!json_object_is_type(jm, json_type_string)) {
        tl_decode_err_set(err, AR_E_WRONG_TYPE, false, "\"message\" is %s, expected a string",
                          jtype(jm));
        return -1;
    }
    const tl_msg_info *mi = tl_msg_info_by_name(json_object_get_string(jm));
    if (!mi) {
        tl_decode_err_set(err, AR_E_UNKNOWN_MESSAGE, false, "unknown message \"%.80s\"",
                          json_object_get_string(jm));
        return -1;
    }
    err->msg_type = mi->num;
    tl_msg *m = tl_msg_new(mi->num);
    if (!m) {
        tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
        return -1;
    }
    json_object_object_foreach(obj, key, val)
    {
        err->attr = 0;
        if (strcmp(key, "message") == 0)
            continue;
        const tl_attr_info *ai = tl_attr_info_by_name(key);
        if (!ai) {
            tl_decode_err_set(err, AR_E_UNKNOWN_ATTRIBUTE, false, "unknown attribute \"%.80s\"",
                              key);
            goto fail;
        }
        err->attr = ai->num;
        tl_value v = {.type = TL_T_INT};
        if (attr_from_json(ai, val, &v, err) < 0)
            goto fail;
        if (tl_msg_set_value(m, ai->num, &v) < 0) {
            tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
            goto fail;
        }
    }
    err->attr = 0;
    *out = m;
    return 0;
fail:
    tl_msg_free(&m);
    return -1;
}

tl_dec_result tl_json_decode(const char *p, size_t len, tl_msg **out, tl_decode_err *err)
{
    tl_decode_err local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    err->reference_id = -1;
    err->msg_type = -1;
    *out = NULL;
    tl_dec_result res = TL_DEC_ERROR;
    json_object *obj = NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        tl_decode_err_set(err, AR_E_NOMEM, false, "out of memory");
        return TL_DEC_ERROR;
    }
    /* Strict + UTF-8 validation: what we accept is exactly what we can re-encode. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    if (!p || len == 0 || len > INT32_MAX) {
        tl_decode_err_set(err, AR_E_BAD_JSON, false, "JSON text empty or too long");
        goto cleanup;
    }
    /* json-c's own check lets overlong forms and surrogates through; the encoder would
     * turn those into U+FFFD, so refuse them here and keep decode/encode symmetric. */
    size_t bad = utf8_check(p, len);
    if (bad < len) {
        tl_decode_err_set(err, AR_E_BAD_JSON, false, "invalid UTF-8 at offset %zu", bad);
        goto cleanup;
    }
    obj = json_tokener_parse_ex(tok, p, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (!obj || jerr != json_tokener_success) {
        tl_decode_err_set(err, AR_E_BAD_JSON, false, "%s at offset %zu",
                          jerr == json_tokener_continue ? "unexpected end of input"
                                                        : json_tokener_error_desc(jerr),
                          json_tokener_get_parse_end(tok));
        goto cleanup;
    }
    for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            tl_decode_err_set(err, AR_E_BAD_JSON, false, "trailing data at offset %zu", i);
            goto cleanup;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        tl_decode_err_set(err, AR_E_BAD_JSON, false, "top level is %s, expected an object",
                          jtype(obj));
        goto cleanup;
    }
    if (msg_from_json(obj, out, err) == 0)
        res = TL_DEC_OK;
cleanup:
    json_object_put(obj);
    json_tokener_free(tok);
    return res;
}
