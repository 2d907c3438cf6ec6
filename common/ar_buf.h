/* Growable byte buffer with a read offset, used for I/O queues and encoders. */
#ifndef AR_BUF_H
#define AR_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len; /* bytes written */
    size_t off; /* bytes already consumed from the front */
    size_t cap;
} ar_buf;

/* All functions return 0 on success, -1 on allocation failure. */
int ar_buf_reserve(ar_buf *b, size_t extra);
int ar_buf_append(ar_buf *b, const void *p, size_t n);
int ar_buf_put_u8(ar_buf *b, uint8_t v);
int ar_buf_put_u16(ar_buf *b, uint16_t v); /* big-endian */
int ar_buf_put_u32(ar_buf *b, uint32_t v); /* big-endian */
int ar_buf_put_u64(ar_buf *b, uint64_t v); /* big-endian */
int ar_buf_printf(ar_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unconsumed bytes. */
static inline const uint8_t *ar_buf_head(const ar_buf *b)
{
    return b->data + b->off;
}
static inline size_t ar_buf_pending(const ar_buf *b)
{
    return b->len - b->off;
}
/* Mark n bytes consumed; compacts when everything or most was consumed. */
void ar_buf_consume(ar_buf *b, size_t n);
void ar_buf_reset(ar_buf *b);
void ar_buf_free(ar_buf *b);

#endif
