/* Database rows: statement table lookup, row building with safe text, row decoding. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_db_row.h"

static const gw_db_stmt_info stmts[] = {
#define GW_DB_STMT_INFO(name, n, bin, sql) {#name, n, bin, sql},
    GW_DB_STATEMENTS(GW_DB_STMT_INFO)
#undef GW_DB_STMT_INFO
};

const gw_db_stmt_info *gw_db_stmt_get(unsigned kind)
{
    return kind < GW_DB_NSTMT ? &stmts[kind] : NULL;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool gw_db_text_escape(const char *s, size_t len, ar_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    bool escaped = false;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *bad = NULL;
        /* g_utf8_validate_len stops at the first invalid byte (or NUL). */
        if (g_utf8_validate_len(p, (gsize)(end - p), &bad)) {
            ar_buf_append(out, p, (size_t)(end - p));
            break;
        }
        ar_buf_append(out, p, (size_t)(bad - p));
        unsigned char c = (unsigned char)*bad;
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        ar_buf_append(out, esc, sizeof esc);
        escaped = true;
        p = bad + 1;
    }
    return escaped;
}

void gw_db_rb_init(gw_db_row_builder *rb, gw_db_stmt kind)
{
    memset(rb, 0, sizeof *rb);
    rb->kind = (uint8_t)kind;
    uint8_t hdr[2] = {(uint8_t)kind, 0};
    if (ar_buf_append(&rb->b, hdr, sizeof hdr) != 0)
        rb->nomem = true;
}

void gw_db_rb_bytes(gw_db_row_builder *rb, const void *p, size_t len)
{
    uint8_t l[4];
    if (rb->n >= GW_DB_MAX_PARAMS || len >= GW_DB_MAX_ROW) {
        rb->nomem = true;
        return;
    }
    rb->n++;
    put_u32le(l, p ? (uint32_t)len : UINT32_MAX);
    if (ar_buf_append(&rb->b, l, sizeof l) != 0 ||
        (p && (ar_buf_append(&rb->b, p, len) != 0 || ar_buf_put_u8(&rb->b, 0) != 0)))
        rb->nomem = true;
}

void gw_db_rb_textn(gw_db_row_builder *rb, const char *s, size_t len)
{
    if (!s) {
        gw_db_rb_bytes(rb, NULL, 0);
        return;
    }
    if (len > GW_DB_MAX_TEXT) {
        /* Cut at a character boundary so the escaped text stays valid UTF-8. */
        const char *cut = g_utf8_find_prev_char(s, s + GW_DB_MAX_TEXT + 1);
        len = cut ? (size_t)(cut - s) : GW_DB_MAX_TEXT;
        rb->cut = true;
    }
    ar_buf tmp = {0};
    if (gw_db_text_escape(s, len, &tmp))
        rb->escaped = true;
    gw_db_rb_bytes(rb, tmp.data ? (const char *)tmp.data : "", tmp.len);
    ar_buf_free(&tmp);
}

void gw_db_rb_text(gw_db_row_builder *rb, const char *s)
{
    gw_db_rb_textn(rb, s, s ? strlen(s) : 0);
}

void gw_db_rb_int(gw_db_row_builder *rb, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    gw_db_rb_bytes(rb, t, (size_t)n);
}

void gw_db_rb_time(gw_db_row_builder *rb, int64_t us)
{
    if (us == 0)
        gw_db_rb_bytes(rb, NULL, 0);
    else
        gw_db_rb_int(rb, us);
}

void gw_db_rb_bool(gw_db_row_builder *rb, bool v)
{
    gw_db_rb_bytes(rb, v ? "t" : "f", 1);
}

gw_db_row *gw_db_rb_finish(gw_db_row_builder *rb)
{
    gw_db_row *row = NULL;
    const gw_db_stmt_info *si = gw_db_stmt_get(rb->kind);
    if (!rb->nomem && si && rb->n == si->nparams && rb->b.len <= GW_DB_MAX_ROW) {
        rb->b.data[1] = rb->n;
        const char *why = NULL;
        row = gw_db_row_decode(rb->b.data, rb->b.len, &why);
    }
    ar_buf_free(&rb->b);
    return row;
}

gw_db_row *gw_db_row_decode(const uint8_t *p, size_t len, const char **why)
{
    gw_db_row *row = NULL;
    const gw_db_stmt_info *si;
    *why = NULL;
    if (len < 2 || len > GW_DB_MAX_ROW) {
        *why = "row size out of range";
        return NULL;
    }
    si = gw_db_stmt_get(p[0]);
    if (!si) {
        *why = "unknown statement kind";
        return NULL;
    }
    if (p[1] != si->nparams) {
        *why = "parameter count does not match the statement";
        return NULL;
    }
    row = calloc(1, sizeof *row);
    if (!row || !(row->buf = malloc(len))) {
        *why = "out of memory";
        goto fail;
    }
    memcpy(row->buf, p, len);
    row->len = (uint32_t)len;
    row->kind = p[0];
    row->n = p[1];
    row->joff = -1;
    size_t off = 2;
    for (unsigned i = 0; i < row->n; i++) {
        if (len - off < 4) {
            *why = "value header truncated";
            goto fail;
        }
        uint32_t l = get_u32le(row->buf + off);
        off += 4;
        if (l == UINT32_MAX) {
            row->val[i] = NULL;
            row->vlen[i] = 0;
            continue;
        }
        if (l > len - off || len - off - l < 1 || row->buf[off + l] != 0) {
            *why = "value length overruns the row";
            goto fail;
        }
        /* Text values must be valid UTF-8 without NUL: the builder guarantees it, a
         * damaged journal record that still has a good CRC must not smuggle bytes in. */
        if (!(si->binary & (1u << i)) && !g_utf8_validate((const char *)row->buf + off, l, NULL)) {
            *why = "text value is not valid UTF-8";
            goto fail;
        }
        row->val[i] = (const char *)row->buf + off;
        row->vlen[i] = (int)l;
        off += l + 1;
    }
    if (off != len) {
        *why = "trailing bytes after the last value";
        goto fail;
    }
    return row;
fail:
    gw_db_row_free(&row);
    return NULL;
}

void gw_db_row_free(gw_db_row **row)
{
    if (!row || !*row)
        return;
    free((*row)->buf);
    free(*row);
    *row = NULL;
}
