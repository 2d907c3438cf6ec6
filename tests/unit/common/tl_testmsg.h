/* Test helpers: sample messages covering every value type, raw frame builders. */
#ifndef TL_TESTMSG_H
#define TL_TESTMSG_H

#include <string.h>

#include "ar_buf.h"
#include "tl_codec.h"

/* A request with every attribute value type and KV lists nested three deep. */
static inline tl_msg *sample_full(void)
{
    tl_msg *m = tl_msg_new(TL_M_RequestAttachUserData);
    tl_msg_set_int(m, TL_A_ReferenceID, 42);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_connid(m, TL_A_ConnID, 0x009a021843038407ull);
    tl_msg_set_int(m, TL_A_CallState, -7);
    tl_msg_set_int(m, TL_A_TimeStamp, INT64_MAX);
    tl_msg_set_str(m, TL_A_ErrorMessage,
                   "quote \" backslash \\ tab \t nl \n ctl \x01 utf8 \xc3\xa9");
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, "customer", "ACME \xe2\x82\xac");
    tl_kv_add_int(ud, "priority", -2147483647 - 1);
    tl_kv_add_int(ud, "max", 2147483647);
    static const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, '"', 0};
    tl_kv_add_bin(ud, "blob", bin, sizeof bin);
    tl_kv_add_bin(ud, "empty-blob", "", 0);
    tl_kv_add_str(ud, "", "empty key");
    tl_kv *l1 = tl_kv_new();
    tl_kv_add_str(l1, "level", "one");
    tl_kv *l2 = tl_kv_new();
    tl_kv_add_int(l2, "deep", 3);
    tl_kv_add_kv(l2, "empty", tl_kv_new());
    tl_kv_add_kv(l1, "inner", l2);
    tl_kv_add_kv(ud, "nested", l1);
    tl_msg_set_kv(m, TL_A_UserData, ud);
    tl_kv *ext = tl_kv_new();
    tl_kv_add_str(ext, "record", "source");
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    return m;
}

/* Raw frame: header with the given version/flags around body bytes. */
static inline void raw_frame(ar_buf *b, uint8_t version, uint8_t flags, const ar_buf *body)
{
    ar_buf_put_u8(b, 'T');
    ar_buf_put_u8(b, 'L');
    ar_buf_put_u8(b, version);
    ar_buf_put_u8(b, flags);
    ar_buf_put_u32(b, (uint32_t)body->len);
    ar_buf_append(b, body->data, body->len);
}

/* Raw attribute header + value bytes. */
static inline void raw_attr(ar_buf *b, uint16_t id, uint8_t type, const void *v, uint32_t len)
{
    ar_buf_put_u16(b, id);
    ar_buf_put_u8(b, type);
    ar_buf_put_u32(b, len);
    ar_buf_append(b, v, len);
}

static inline void raw_int_attr(ar_buf *b, uint16_t id, int64_t v)
{
    ar_buf_put_u16(b, id);
    ar_buf_put_u8(b, TL_T_INT);
    ar_buf_put_u32(b, 8);
    ar_buf_put_u64(b, (uint64_t)v);
}

#endif
