/* libFuzzer driver for the binary frame decoder: decode, re-encode, decode again, compare. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tl_codec.h"

static void check(bool ok)
{
    if (!ok)
        abort(); /* libFuzzer records the input as a crash */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    /* A stream may hold several frames, as a TCP read would. */
    while (off < size) {
        tl_msg *m = NULL;
        size_t used = 0;
        tl_decode_err err;
        tl_dec_result r = tl_bin_decode(data + off, size - off, 1u << 16, &m, &used, &err);
        if (r == TL_DEC_NEED_MORE) {
            check(used == 0 && m == NULL);
            break;
        }
        if (r == TL_DEC_ERROR) {
            check(m == NULL && err.code != 0 && err.detail[0] != '\0');
            if (err.fatal)
                break;
            check(used >= TL_FRAME_HDR && used <= size - off);
            off += used;
            continue;
        }
        check(used >= TL_FRAME_HDR && used <= size - off);
        /* Decoding is canonical: re-encoding gives back the very same bytes. */
        ar_buf b = {0};
        check(tl_bin_encode(m, data[off + 2], &b) == 0);
        check(b.len == used && memcmp(b.data, data + off, used) == 0);
        tl_msg *m2 = NULL;
        size_t used2 = 0;
        check(tl_bin_decode(b.data, b.len, 1u << 16, &m2, &used2, &err) == TL_DEC_OK);
        check(used2 == used && tl_msg_equal(m, m2));
        /* Anything the binary side accepts must be expressible as JSON. */
        char *j = tl_json_encode_str(m);
        check(j != NULL);
        tl_msg *m3 = NULL;
        check(tl_json_decode(j, strlen(j), &m3, &err) == TL_DEC_OK);
        check(m3->type == m->type && m3->n == m->n);
        free(j);
        tl_msg_free(&m3);
        tl_msg_free(&m2);
        tl_msg_free(&m);
        ar_buf_free(&b);
        off += used;
    }
    return 0;
}
