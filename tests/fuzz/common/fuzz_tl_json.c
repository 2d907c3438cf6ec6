/* libFuzzer driver for the JSON decoder: decode, re-encode (JSON and binary), compare. */
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
    tl_msg *m = NULL;
    tl_decode_err err;
    if (tl_json_decode((const char *)data, size, &m, &err) != TL_DEC_OK) {
        check(m == NULL && err.code != 0 && err.detail[0] != '\0');
        return 0;
    }
    char *j = tl_json_encode_str(m);
    check(j != NULL);
    tl_msg *m2 = NULL;
    check(tl_json_decode(j, strlen(j), &m2, &err) == TL_DEC_OK);
    check(tl_msg_equal(m, m2));
    /* Re-encoding the re-decoded model is a fixed point. */
    char *j2 = tl_json_encode_str(m2);
    check(j2 != NULL && strcmp(j, j2) == 0);
    ar_buf b = {0};
    check(tl_bin_encode(m, TL_PROTO_VERSION_MAX, &b) == 0);
    tl_msg *m3 = NULL;
    size_t used = 0;
    check(tl_bin_decode(b.data, b.len, b.len, &m3, &used, &err) == TL_DEC_OK);
    check(used == b.len && tl_msg_equal(m, m3));
    ar_buf_free(&b);
    free(j);
    free(j2);
    tl_msg_free(&m);
    tl_msg_free(&m2);
    tl_msg_free(&m3);
    return 0;
}
