/* Growable byte buffer: amortised O(1) appends, big-endian integer writers. */
#include "ar_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ar_buf_reserve(ar_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    /* No compaction here: encoders keep absolute offsets into data while appending
     * (length back-patching); ar_buf_consume() reclaims consumed space instead. */
    if (extra > SIZE_MAX / 2 - b->len)
        return -1;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ar_buf_append(ar_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (ar_buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int ar_buf_put_u8(ar_buf *b, uint8_t v)
{
    if (ar_buf_reserve(b, 1) < 0)
        return -1;
    b->data[b->len++] = v;
    return 0;
}

int ar_buf_put_u16(ar_buf *b, uint16_t v)
{
    if (ar_buf_reserve(b, 2) < 0)
        return -1;
    b->data[b->len++] = (uint8_t)(v >> 8);
    b->data[b->len++] = (uint8_t)v;
    return 0;
}

int ar_buf_put_u32(ar_buf *b, uint32_t v)
{
    if (ar_buf_reserve(b, 4) < 0)
        return -1;
    for (int s = 24; s >= 0; s -= 8)
        b->data[b->len++] = (uint8_t)(v >> s);
    return 0;
}

int ar_buf_put_u64(ar_buf *b, uint64_t v)
{
    if (ar_buf_reserve(b, 8) < 0)
        return -1;
    for (int s = 56; s >= 0; s -= 8)
        b->data[b->len++] = (uint8_t)(v >> s);
    return 0;
}

int ar_buf_printf(ar_buf *b, const char *fmt, ...)
{
    va_list ap;
    /* Try in the spare room first; most records fit, so one vsnprintf is enough. */
    if (ar_buf_reserve(b, 64) < 0)
        return -1;
    va_start(ap, fmt);
    int n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n >= b->cap - b->len) {
        if (ar_buf_reserve(b, (size_t)n + 1) < 0)
            return -1;
        va_start(ap, fmt);
        n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
    }
    b->len += (size_t)n;
    return 0;
}

void ar_buf_consume(ar_buf *b, size_t n)
{
    if (n > b->len - b->off)
        n = b->len - b->off;
    b->off += n;
    if (b->off == b->len) {
        b->off = b->len = 0;
    } else if (b->off > b->cap / 2) {
        /* Most of the buffer is dead: move the tail down so appends stop growing it. */
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
}

void ar_buf_reset(ar_buf *b)
{
    b->len = b->off = 0;
}

void ar_buf_free(ar_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->off = b->cap = 0;
}
