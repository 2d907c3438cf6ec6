/* T-Lib request dispatch: decoded requests -> handlers -> replies and DN events. */
#ifndef GW_TLIB_H
#define GW_TLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "ar_buf.h"
#include "gw_client.h"
#include "tl_codec.h"
#include "tl_msg.h"

/* Handle one decoded message from c (validated here). Does not take ownership. */
void gw_tlib_handle(gw_client *c, const tl_msg *m);

/* Answer a decoding failure with its EventError; logs and drops c when it is fatal. */
void gw_tlib_decode_error(gw_client *c, const tl_decode_err *err);

/*
 * Decode and handle every complete binary frame in `in` (consumed as it goes).
 * Returns the number of frames handled; stops early when the client is closing.
 */
size_t gw_tlib_input_bin(gw_client *c, ar_buf *in);

/* Decode and handle one JSON message (one WebSocket message). */
void gw_tlib_input_json(gw_client *c, const char *p, size_t len);

/* Send an EventError to c (reference_id < 0: none). */
void gw_tlib_send_error(gw_client *c, int code, int64_t reference_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
