/* Wire codecs for the T-Lib model: binary frames (TCP) and JSON (WebSocket). */
#ifndef TL_CODEC_H
#define TL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar_buf.h"
#include "tl_msg.h"

/*
 * Binary frame (docs/protocol.md):
 *   'T' 'L' version(u8) flags(u8=0) body-length(u32 BE)
 *   body: message(u16 BE) attribute-count(u16 BE) attributes...
 *   attribute: id(u16) type(u8) length(u32) value
 *     STR/BIN: bytes; INT: 8 bytes signed BE; CONNID: 8 bytes BE; KV: KV layout
 *   KV layout (public, inferred): count(u16) then per pair type(u8) keylen(u16) key
 *     vallen(u16) value; INT 4 bytes signed BE; LIST nests the layout.
 */
#define TL_FRAME_HDR         8
#define TL_FRAME_DEFAULT_MAX (1u << 20)
#define TL_KV_MAX_DEPTH      8

/* Details of a decoding failure, enough to build the EventError. */
typedef struct {
    int code;             /* ar_err */
    bool fatal;           /* framing lost: the connection cannot continue */
    int64_t reference_id; /* -1 when it could not be read */
    int msg_type;         /* -1 when unknown */
    uint16_t attr;        /* offending attribute id, 0 if none */
    char detail[128];     /* human text for ErrorMessage and the log */
} tl_decode_err;

typedef enum { TL_DEC_OK = 0, TL_DEC_NEED_MORE = 1, TL_DEC_ERROR = -1 } tl_dec_result;

/* Append one frame for m (protocol version `version`). Returns 0 or an ar_err. */
int tl_bin_encode(const tl_msg *m, unsigned version, ar_buf *out);

/*
 * Decode one frame from p[0..len). On TL_DEC_OK *out is the message and *consumed its
 * size. On TL_DEC_NEED_MORE nothing is consumed. On TL_DEC_ERROR *err says why; when
 * !err->fatal, *consumed skips the bad frame so decoding can go on. The message is not
 * validated against the table beyond attribute value types (see tl_msg_validate).
 */
tl_dec_result tl_bin_decode(const uint8_t *p, size_t len, size_t max_frame, tl_msg **out,
                            size_t *consumed, tl_decode_err *err);

/* JSON: {"message":"EventRegistered","ReferenceID":7,"ThisDN":"5001",...}. */
int tl_json_encode(const tl_msg *m, ar_buf *out); /* appends, no NUL; 0 or ar_err */
char *tl_json_encode_str(const tl_msg *m);        /* malloc'd, NUL-terminated */
tl_dec_result tl_json_decode(const char *p, size_t len, tl_msg **out, tl_decode_err *err);

/* Fill err (helper shared by both codecs). */
void tl_decode_err_set(tl_decode_err *err, int code, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Build an EventError for a request: ErrorCode, ErrorMessage, ReferenceID if >= 0. */
tl_msg *tl_error_new(int code, int64_t reference_id, const char *message);

#endif
