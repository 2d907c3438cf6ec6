/* Unit tests for the binary frame codec: round trips, golden frames, every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"
#include "tl_testmsg.h"

/* The examples of docs/protocol.md, byte for byte. */
static const uint8_t golden_register[] =
    "\x54\x4c\x01\x00\x00\x00\x00\x3a\x00\x00\x00\x04\x00\x02\x01\x00\x00\x00\x08\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x40\x00\x00\x00\x00\x04\x64\x65\x6d\x6f\x03\xea\x00\x00\x00\x00"
    "\x06\x73\x65\x63\x72\x65\x74\x03\xe9\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01";
static const uint8_t golden_registered[] =
    "\x54\x4c\x01\x00\x00\x00\x00\x2d\x00\x35\x00\x03\x00\x14\x00\x00\x00\x00\x04\x35\x30\x30"
    "\x31\x00\x02\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x07\x00\x94\x01\x00\x00\x00"
    "\x08\x00\x00\x00\x00\x00\x00\x00\x0c";
static const uint8_t golden_attach[] =
    "\x54\x4c\x01\x00\x00\x00\x00\x70\x00\x1e\x00\x04\x00\x02\x01\x00\x00\x00\x08\x00\x00\x00"
    "\x00\x00\x00\x00\x09\x00\x14\x00\x00\x00\x00\x04\x35\x30\x30\x31\x00\x09\x05\x00\x00\x00"
    "\x08\x00\x9a\x02\x18\x43\x03\x84\x07\x00\x33\x03\x00\x00\x00\x3c\x00\x03\x00\x00\x08\x63"
    "\x75\x73\x74\x6f\x6d\x65\x72\x00\x04\x41\x43\x4d\x45\x01\x00\x08\x70\x72\x69\x6f\x72\x69"
    "\x74\x79\x00\x04\x00\x00\x00\x05\x03\x00\x06\x6e\x65\x73\x74\x65\x64\x00\x0d\x00\x01\x00"
    "\x00\x04\x6c\x61\x6e\x67\x00\x02\x65\x6e";

static void check_golden(tl_msg *m, const uint8_t *want, size_t n)
{
    ar_buf b = {0};
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_OK);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);
    tl_msg *d = NULL;
    size_t used = 0;
    tl_decode_err e;
    assert_int_equal(tl_bin_decode(want, n, 0, &d, &used, &e), TL_DEC_OK);
    assert_int_equal(used, n);
    assert_true(tl_msg_equal(m, d));
    assert_int_equal(tl_msg_validate(d, NULL), AR_E_OK);
    tl_msg_free(&d);
    tl_msg_free(&m);
    ar_buf_free(&b);
}

static void golden_frames(void **state)
{
    (void)state;
    tl_msg *m = tl_msg_new(TL_M_RequestRegisterClient);
    tl_msg_set_int(m, TL_A_ReferenceID, 1);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "secret");
    tl_msg_set_int(m, TL_A_ProtocolVersion, 1);
    check_golden(m, golden_register, sizeof golden_register - 1);

    m = tl_msg_new(TL_M_EventRegistered);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_int(m, TL_A_ReferenceID, 7);
    tl_msg_set_int(m, TL_A_EventSequenceNumber, 12);
    check_golden(m, golden_registered, sizeof golden_registered - 1);

    m = tl_msg_new(TL_M_RequestAttachUserData);
    tl_msg_set_int(m, TL_A_ReferenceID, 9);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_connid(m, TL_A_ConnID, 0x009a021843038407ull);
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, "customer", "ACME");
    tl_kv_add_int(ud, "priority", 5);
    tl_kv *n = tl_kv_new();
    tl_kv_add_str(n, "lang", "en");
    tl_kv_add_kv(ud, "nested", n);
    tl_msg_set_kv(m, TL_A_UserData, ud);
    check_golden(m, golden_attach, sizeof golden_attach - 1);
}

/* model -> binary -> model -> JSON -> model, all equal. */
static void round_trip_one(tl_msg *m)
{
    ar_buf b = {0};
    assert_int_equal(tl_bin_encode(m, TL_PROTO_VERSION_MAX, &b), AR_E_OK);
    tl_msg *d = NULL;
    size_t used = 0;
    tl_decode_err e;
    assert_int_equal(tl_bin_decode(b.data, b.len, b.len, &d, &used, &e), TL_DEC_OK);
    assert_int_equal(used, b.len);
    assert_true(tl_msg_equal(m, d));
    char *j = tl_json_encode_str(d);
    assert_non_null(j);
    tl_msg *d2 = NULL;
    assert_int_equal(tl_json_decode(j, strlen(j), &d2, &e), TL_DEC_OK);
    assert_true(tl_msg_equal(m, d2));
    /* And back to binary: byte-identical. */
    ar_buf b2 = {0};
    assert_int_equal(tl_bin_encode(d2, TL_PROTO_VERSION_MAX, &b2), AR_E_OK);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    free(j);
    tl_msg_free(&d);
    tl_msg_free(&d2);
    ar_buf_free(&b);
    ar_buf_free(&b2);
}

static void round_trips(void **state)
{
    (void)state;
    tl_msg *m = sample_full();
    round_trip_one(m);
    tl_msg_free(&m);
    m = tl_error_new(AR_E_WRONG_TYPE, 5, "ThisDN is an integer, expected a string");
    round_trip_one(m);
    tl_msg_free(&m);
    /* Every message of the table, with its mandatory attributes of the declared type. */
    for (unsigned num = 0; num <= TL_MSG_MAX; num++) {
        const tl_msg_info *mi = tl_msg_info_get(num);
        if (!mi)
            continue;
        m = tl_msg_new((uint16_t)num);
        tl_msg_set_int(m, TL_A_ReferenceID, num);
        for (const uint16_t *a = mi->mandatory; *a; a++) {
            switch (tl_attr_info_get(*a)->type) {
            case TL_T_INT:
                tl_msg_set_int(m, *a, -(int64_t)num);
                break;
            case TL_T_CONNID:
                tl_msg_set_connid(m, *a, 0xfedcba9876543210ull + num);
                break;
            case TL_T_KV: {
                tl_kv *kv = tl_kv_new();
                tl_kv_add_str(kv, "k", mi->name);
                tl_msg_set_kv(m, *a, kv);
                break;
            }
            default:
                tl_msg_set_str(m, *a, mi->name);
                break;
            }
        }
        assert_int_equal(tl_msg_validate(m, NULL), AR_E_OK);
        round_trip_one(m);
        tl_msg_free(&m);
    }
}

static void stream_of_frames(void **state)
{
    (void)state;
    ar_buf b = {0};
    tl_msg *m = sample_full();
    for (int i = 0; i < 5; i++) {
        tl_msg_set_int(m, TL_A_ReferenceID, i);
        assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_OK);
    }
    size_t off = 0;
    for (int i = 0; i < 5; i++) {
        tl_msg *d = NULL;
        size_t used = 0;
        assert_int_equal(tl_bin_decode(b.data + off, b.len - off, 0, &d, &used, NULL), TL_DEC_OK);
        int64_t r;
        assert_true(tl_msg_get_int(d, TL_A_ReferenceID, &r));
        assert_int_equal(r, i);
        off += used;
        tl_msg_free(&d);
    }
    assert_int_equal(off, b.len);
    tl_msg_free(&m);
    ar_buf_free(&b);
}

static void partial_byte_by_byte(void **state)
{
    (void)state;
    ar_buf b = {0};
    tl_msg *m = sample_full();
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_OK);
    /* Feed the frame one byte at a time through an input queue, as a socket would. */
    ar_buf in = {0};
    for (size_t i = 0; i < b.len; i++) {
        ar_buf_put_u8(&in, b.data[i]);
        tl_msg *d = NULL;
        size_t used = 99;
        tl_decode_err e;
        tl_dec_result r = tl_bin_decode(ar_buf_head(&in), ar_buf_pending(&in), 0, &d, &used, &e);
        if (i + 1 < b.len) {
            assert_int_equal(r, TL_DEC_NEED_MORE);
            assert_int_equal(used, 0);
            assert_null(d);
        } else {
            assert_int_equal(r, TL_DEC_OK);
            assert_int_equal(used, b.len);
            assert_true(tl_msg_equal(m, d));
            ar_buf_consume(&in, used);
            tl_msg_free(&d);
        }
    }
    assert_int_equal(ar_buf_pending(&in), 0);
    tl_msg *d = NULL;
    size_t used = 0;
    assert_int_equal(tl_bin_decode(NULL, 0, 0, &d, &used, NULL), TL_DEC_NEED_MORE);
    ar_buf_free(&in);
    ar_buf_free(&b);
    tl_msg_free(&m);
}

/* Decodes raw bytes expecting an error; returns err for further checks. */
static tl_decode_err expect_err(const uint8_t *p, size_t n, size_t max, int code, bool fatal)
{
    tl_msg *d = (tl_msg *)1;
    size_t used = 12345;
    tl_decode_err e;
    assert_int_equal(tl_bin_decode(p, n, max, &d, &used, &e), TL_DEC_ERROR);
    if (e.code != code)
        fail_msg("expected %s, got %s (%s)", ar_errname(code), ar_errname(e.code), e.detail);
    assert_int_equal(e.fatal, fatal);
    assert_null(d);
    assert_true(e.detail[0] != '\0');
    if (fatal)
        assert_int_equal(used, 0);
    else
        assert_int_equal(used, n); /* the whole (single) frame is skipped */
    return e;
}

static tl_decode_err expect_body_err(const ar_buf *body, int code, int64_t refid, int mtype,
                                     uint16_t attr)
{
    ar_buf f = {0};
    raw_frame(&f, 1, 0, body);
    tl_decode_err e = expect_err(f.data, f.len, 0, code, false);
    assert_int_equal(e.reference_id, refid);
    assert_int_equal(e.msg_type, mtype);
    assert_int_equal(e.attr, attr);
    ar_buf_free(&f);
    return e;
}

static void framing_errors(void **state)
{
    (void)state;
    /* Bad magic, detected on the first byte already. */
    expect_err((const uint8_t *)"G", 1, 0, AR_E_FRAME_MAGIC, true);
    expect_err((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0, AR_E_FRAME_MAGIC, true);
    expect_err((const uint8_t *)"TX\1\0\0\0\0\4", 8, 0, AR_E_FRAME_MAGIC, true);
    /* 4 GiB announced: refused from the header alone. */
    tl_decode_err e =
        expect_err((const uint8_t *)"TL\1\0\xff\xff\xff\xff", 8, 0, AR_E_FRAME_TOO_LARGE, true);
    assert_int_equal(e.reference_id, -1);
    expect_err((const uint8_t *)"TL\1\0\xff\xff\xff\xff", 8, (size_t)1 << 30, AR_E_FRAME_TOO_LARGE,
               true);
    /* With no limit to speak of, the same header just waits for its body. */
    tl_msg *none = NULL;
    size_t zero = 1;
    assert_int_equal(
        tl_bin_decode((const uint8_t *)"TL\1\0\xff\xff\xff\xff", 8, SIZE_MAX, &none, &zero, NULL),
        TL_DEC_NEED_MORE);
    assert_int_equal(zero, 0);
    /* Just above the configured maximum (header counts toward it). */
    ar_buf body = {0}, f = {0};
    ar_buf_put_u16(&body, TL_M_RequestQueryServer);
    ar_buf_put_u16(&body, 1);
    raw_int_attr(&body, TL_A_ReferenceID, 3);
    raw_frame(&f, 1, 0, &body);
    expect_err(f.data, f.len, f.len - 1, AR_E_FRAME_TOO_LARGE, true);
    tl_msg *d = NULL;
    size_t used = 0;
    assert_int_equal(tl_bin_decode(f.data, f.len, f.len, &d, &used, NULL), TL_DEC_OK);
    tl_msg_free(&d);
    /* Unsupported versions are skipped, not fatal. */
    ar_buf_reset(&f);
    raw_frame(&f, 0, 0, &body);
    e = expect_err(f.data, f.len, 0, AR_E_PROTOCOL_VERSION, false);
    assert_int_equal(e.reference_id, 3);
    assert_int_equal(e.msg_type, TL_M_RequestQueryServer);
    ar_buf_reset(&f);
    raw_frame(&f, TL_PROTO_VERSION_MAX + 1, 0, &body);
    expect_err(f.data, f.len, 0, AR_E_PROTOCOL_VERSION, false);
    /* Flags must be zero. */
    ar_buf_reset(&f);
    raw_frame(&f, 1, 0x80, &body);
    e = expect_err(f.data, f.len, 0, AR_E_FRAME_MALFORMED, false);
    assert_int_equal(e.reference_id, 3);
    assert_int_equal(e.msg_type, TL_M_RequestQueryServer);
    /* Body too short for message number + count. */
    ar_buf_reset(&body);
    ar_buf_put_u16(&body, 1);
    expect_body_err(&body, AR_E_FRAME_MALFORMED, -1, -1, 0);
    ar_buf_free(&body);
    ar_buf_free(&f);
}

static void skip_bad_then_decode_next(void **state)
{
    (void)state;
    ar_buf body = {0}, f = {0};
    ar_buf_put_u16(&body, 4242); /* unknown message */
    ar_buf_put_u16(&body, 1);
    raw_int_attr(&body, TL_A_ReferenceID, 77);
    raw_frame(&f, 1, 0, &body);
    size_t first = f.len;
    tl_msg *m = sample_full();
    tl_bin_encode(m, 1, &f);
    tl_msg *d = NULL;
    size_t used = 0;
    tl_decode_err e;
    assert_int_equal(tl_bin_decode(f.data, f.len, 0, &d, &used, &e), TL_DEC_ERROR);
    assert_int_equal(e.code, AR_E_UNKNOWN_MESSAGE);
    assert_false(e.fatal);
    assert_int_equal(e.reference_id, 77);
    assert_int_equal(e.msg_type, -1);
    assert_int_equal(used, first);
    assert_int_equal(tl_bin_decode(f.data + used, f.len - used, 0, &d, &used, &e), TL_DEC_OK);
    assert_true(tl_msg_equal(m, d));
    tl_msg_free(&d);
    tl_msg_free(&m);
    ar_buf_free(&body);
    ar_buf_free(&f);
}

static void attribute_errors(void **state)
{
    (void)state;
    ar_buf b = {0};
    const uint16_t RA = TL_M_RequestRegisterAddress;
#define BODY(count)                                                                                \
    do {                                                                                           \
        ar_buf_reset(&b);                                                                          \
        ar_buf_put_u16(&b, RA);                                                                    \
        ar_buf_put_u16(&b, count);                                                                 \
    } while (0)

    /* Unknown attribute, ReferenceID before it. */
    BODY(2);
    raw_int_attr(&b, TL_A_ReferenceID, 11);
    raw_attr(&b, 999, TL_T_STR, "x", 1);
    expect_body_err(&b, AR_E_UNKNOWN_ATTRIBUTE, 11, RA, 999);
    /* ... and after it: still recovered by the lenient scan. */
    BODY(2);
    raw_attr(&b, 999, TL_T_STR, "x", 1);
    raw_int_attr(&b, TL_A_ReferenceID, 12);
    expect_body_err(&b, AR_E_UNKNOWN_ATTRIBUTE, 12, RA, 999);
    /* Integer where a string belongs. */
    BODY(2);
    raw_int_attr(&b, TL_A_ReferenceID, 13);
    raw_int_attr(&b, TL_A_ThisDN, 5001);
    tl_decode_err e = expect_body_err(&b, AR_E_WRONG_TYPE, 13, RA, TL_A_ThisDN);
    assert_non_null(strstr(e.detail, "ThisDN"));
    /* String where an int belongs: ReferenceID itself unreadable. */
    BODY(2);
    raw_attr(&b, TL_A_ReferenceID, TL_T_STR, "13", 2);
    raw_attr(&b, TL_A_ThisDN, TL_T_STR, "5001", 4);
    expect_body_err(&b, AR_E_WRONG_TYPE, -1, RA, TL_A_ReferenceID);
    /* Unknown wire type byte. */
    BODY(1);
    raw_attr(&b, TL_A_ThisDN, 200, "5001", 4);
    expect_body_err(&b, AR_E_WRONG_TYPE, -1, RA, TL_A_ThisDN);
    /* Duplicate. */
    BODY(3);
    raw_int_attr(&b, TL_A_ReferenceID, 14);
    raw_attr(&b, TL_A_ThisDN, TL_T_STR, "5001", 4);
    raw_attr(&b, TL_A_ThisDN, TL_T_STR, "5002", 4);
    expect_body_err(&b, AR_E_DUPLICATE_ATTRIBUTE, 14, RA, TL_A_ThisDN);
    /* Value length overrunning the body. */
    BODY(2);
    raw_int_attr(&b, TL_A_ReferenceID, 15);
    ar_buf_put_u16(&b, TL_A_ThisDN);
    ar_buf_put_u8(&b, TL_T_STR);
    ar_buf_put_u32(&b, 0xffffffff);
    ar_buf_append(&b, "5001", 4);
    expect_body_err(&b, AR_E_FRAME_MALFORMED, 15, RA, TL_A_ThisDN);
    /* Count promises more attributes than present. */
    BODY(3);
    raw_int_attr(&b, TL_A_ReferenceID, 16);
    raw_attr(&b, TL_A_ThisDN, TL_T_STR, "5001", 4);
    expect_body_err(&b, AR_E_FRAME_MALFORMED, 16, RA, 0);
    /* Partial attribute header. */
    BODY(2);
    raw_int_attr(&b, TL_A_ReferenceID, 16);
    ar_buf_append(&b, "\0\x14\0", 3);
    expect_body_err(&b, AR_E_FRAME_MALFORMED, 16, RA, 0);
    /* Trailing bytes after the last attribute. */
    BODY(1);
    raw_int_attr(&b, TL_A_ReferenceID, 17);
    ar_buf_append(&b, "junk", 4);
    expect_body_err(&b, AR_E_FRAME_MALFORMED, 17, RA, 0);
    /* INT attribute of 4 bytes. */
    BODY(1);
    raw_attr(&b, TL_A_ReferenceID, TL_T_INT, "\0\0\0\1", 4);
    expect_body_err(&b, AR_E_INVALID_VALUE, -1, RA, TL_A_ReferenceID);
    /* CONNID of 7 bytes. */
    BODY(2);
    raw_int_attr(&b, TL_A_ReferenceID, 18);
    raw_attr(&b, TL_A_ConnID, TL_T_CONNID, "1234567", 7);
    expect_body_err(&b, AR_E_INVALID_VALUE, 18, RA, TL_A_ConnID);
    /* NUL inside a string attribute. */
    BODY(2);
    raw_int_attr(&b, TL_A_ReferenceID, 19);
    raw_attr(&b, TL_A_ThisDN, TL_T_STR, "50\0001", 5);
    expect_body_err(&b, AR_E_INVALID_VALUE, 19, RA, TL_A_ThisDN);
    /* ReferenceID of a malformed size is not "read". */
    BODY(1);
    raw_attr(&b, TL_A_ReferenceID, TL_T_INT, "\0\0\0\0\0\0\0\0\0", 9);
    expect_body_err(&b, AR_E_INVALID_VALUE, -1, RA, TL_A_ReferenceID);
    /* Valid frame missing mandatory attributes decodes; validation reports it. */
    BODY(0);
    ar_buf f = {0};
    raw_frame(&f, 1, 0, &b);
    tl_msg *d = NULL;
    size_t used;
    assert_int_equal(tl_bin_decode(f.data, f.len, 0, &d, &used, NULL), TL_DEC_OK);
    uint16_t bad;
    assert_int_equal(tl_msg_validate(d, &bad), AR_E_MISSING_ATTRIBUTE);
    tl_msg_free(&d);
    ar_buf_free(&f);
    ar_buf_free(&b);
#undef BODY
}

/* Body: RequestAttachUserData with ReferenceID 21 then UserData holding kv bytes. */
static void kv_case(const void *kv, uint32_t n, int code)
{
    ar_buf b = {0};
    ar_buf_put_u16(&b, TL_M_RequestAttachUserData);
    ar_buf_put_u16(&b, 2);
    raw_int_attr(&b, TL_A_ReferenceID, 21);
    raw_attr(&b, TL_A_UserData, TL_T_KV, kv, n);
    expect_body_err(&b, code, 21, TL_M_RequestAttachUserData, TL_A_UserData);
    ar_buf_free(&b);
}

static void kv_errors(void **state)
{
    (void)state;
#define KV(lit, code) kv_case(lit, sizeof(lit) - 1, code)
    KV("", AR_E_KV_MALFORMED);                      /* no count */
    KV("\0", AR_E_KV_MALFORMED);                    /* half a count */
    KV("\0\1", AR_E_KV_MALFORMED);                  /* pair missing */
    KV("\0\1\0\0", AR_E_KV_MALFORMED);              /* pair header cut */
    KV("\0\1\0\0\5ab", AR_E_KV_MALFORMED);          /* key overruns */
    KV("\0\1\0\0\1a\0", AR_E_KV_MALFORMED);         /* value length cut */
    KV("\0\1\0\0\1a\0\5xy", AR_E_KV_MALFORMED);     /* value overruns */
    KV("\0\1\7\0\1a\0\1x", AR_E_KV_MALFORMED);      /* unknown type byte */
    KV("\0\1\1\0\1a\0\2xy", AR_E_KV_MALFORMED);     /* int of 2 bytes */
    KV("\0\1\0\0\1a\0\1xZ", AR_E_KV_MALFORMED);     /* trailing byte */
    KV("\0\1\3\0\1a\0\3\0\1\0", AR_E_KV_MALFORMED); /* nested list cut */
    KV("\0\1\3\0\1a\0\3\0\0Z", AR_E_KV_MALFORMED);  /* nested trailing */
    KV("\0\1\0\0\1a\0\3x\0y", AR_E_INVALID_VALUE);  /* NUL in string */
    KV("\0\1\4\0\1a\0\3x\0y", AR_E_INVALID_VALUE);  /* NUL in unicode */
    KV("\0\1\0\0\3a\0b\0\1x", AR_E_INVALID_VALUE);  /* NUL in key */
#undef KV
    /* Depth: TL_KV_MAX_DEPTH levels are fine, one more is refused. */
    for (int depth = TL_KV_MAX_DEPTH; depth <= TL_KV_MAX_DEPTH + 1; depth++) {
        ar_buf kv = {0};
        ar_buf_put_u16(&kv, 0); /* innermost: empty list */
        for (int i = 1; i < depth; i++) {
            ar_buf outer = {0};
            ar_buf_put_u16(&outer, 1);
            ar_buf_put_u8(&outer, TL_T_KV);
            ar_buf_put_u16(&outer, 1);
            ar_buf_put_u8(&outer, 'k');
            ar_buf_put_u16(&outer, (uint16_t)kv.len);
            ar_buf_append(&outer, kv.data, kv.len);
            ar_buf_free(&kv);
            kv = outer;
        }
        if (depth > TL_KV_MAX_DEPTH) {
            kv_case(kv.data, (uint32_t)kv.len, AR_E_KV_MALFORMED);
        } else {
            ar_buf b = {0}, f = {0};
            ar_buf_put_u16(&b, TL_M_EventUserEvent);
            ar_buf_put_u16(&b, 1);
            raw_attr(&b, TL_A_UserData, TL_T_KV, kv.data, (uint32_t)kv.len);
            raw_frame(&f, 1, 0, &b);
            tl_msg *d = NULL;
            size_t used;
            assert_int_equal(tl_bin_decode(f.data, f.len, 0, &d, &used, NULL), TL_DEC_OK);
            tl_msg_free(&d);
            ar_buf_free(&b);
            ar_buf_free(&f);
        }
        ar_buf_free(&kv);
    }
}

static void encode_errors(void **state)
{
    (void)state;
    ar_buf b = {0};
    ar_buf_append(&b, "keep", 4);
    tl_msg *m = sample_full();
    assert_int_equal(tl_bin_encode(m, 0, &b), AR_E_PROTOCOL_VERSION);
    assert_int_equal(tl_bin_encode(m, TL_PROTO_VERSION_MAX + 1, &b), AR_E_PROTOCOL_VERSION);
    assert_int_equal(b.len, 4);
    /* KV int beyond 32 bits. */
    tl_kv *kv = tl_kv_new();
    tl_value v = {.type = TL_T_INT, .u.i = (int64_t)INT32_MAX + 1};
    tl_kv_add_value(kv, "big", 3, &v);
    tl_msg_set_kv(m, TL_A_Extensions, kv);
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_INVALID_VALUE);
    assert_int_equal(b.len, 4); /* nothing half-written */
    assert_memory_equal(b.data, "keep", 4);
    /* KV value longer than the u16 length field. */
    char *big = calloc(1, 70000);
    memset(big, 'a', 69999);
    kv = tl_kv_new();
    tl_kv_add_str(kv, "long", big);
    tl_msg_set_kv(m, TL_A_Extensions, kv);
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_INVALID_VALUE);
    /* But a long string attribute is fine (u32 length). */
    tl_msg_remove(m, TL_A_Extensions);
    tl_msg_set_str(m, TL_A_ErrorMessage, big);
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_OK);
    free(big);
    /* CONNID is not a KV type. */
    kv = tl_kv_new();
    v = (tl_value){.type = TL_T_CONNID, .u.connid = 1};
    tl_kv_add_value(kv, "c", 1, &v);
    tl_msg_set_kv(m, TL_A_Extensions, kv);
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_INVALID_VALUE);
    /* Nesting deeper than TL_KV_MAX_DEPTH. */
    kv = tl_kv_new();
    for (int i = 1; i < TL_KV_MAX_DEPTH + 1; i++) {
        tl_kv *outer = tl_kv_new();
        tl_kv_add_kv(outer, "k", kv);
        kv = outer;
    }
    tl_msg_set_kv(m, TL_A_Extensions, kv);
    assert_int_equal(tl_bin_encode(m, 1, &b), AR_E_KV_MALFORMED);
    tl_msg_free(&m);
    ar_buf_free(&b);
}

/* Random input never crashes; whatever decodes re-encodes to the same bytes. */
static void check_random(const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        tl_msg *d = NULL;
        size_t used = 0;
        tl_decode_err e;
        tl_dec_result r = tl_bin_decode(p + off, n - off, 4096, &d, &used, &e);
        if (r == TL_DEC_NEED_MORE || (r == TL_DEC_ERROR && e.fatal))
            break;
        assert_true(used >= TL_FRAME_HDR && used <= n - off);
        if (r == TL_DEC_OK) {
            ar_buf b = {0};
            assert_int_equal(tl_bin_encode(d, p[off + 2], &b), AR_E_OK);
            assert_int_equal(b.len, used);
            assert_memory_equal(b.data, p + off, used);
            ar_buf_free(&b);
            tl_msg_free(&d);
        }
        off += used;
    }
}

static void random_bytes(void **state)
{
    (void)state;
    srand(12345);
    uint8_t buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)rand() % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        if (iter % 2 && n >= 12) {
            /* Plausible header so the body parser gets exercised too. */
            memcpy(buf, "TL\1\0", 4);
            uint32_t bl = (uint32_t)(n - 8 - (size_t)rand() % 4);
            buf[4] = (uint8_t)(bl >> 24);
            buf[5] = (uint8_t)(bl >> 16);
            buf[6] = (uint8_t)(bl >> 8);
            buf[7] = (uint8_t)bl;
            buf[10] = 0;
            buf[11] = (uint8_t)(buf[11] % 8);
        }
        check_random(buf, n);
    }
    /* Mutations of a valid frame. */
    ar_buf b = {0};
    tl_msg *m = sample_full();
    tl_bin_encode(m, 1, &b);
    uint8_t *mut = malloc(b.len);
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(mut, b.data, b.len);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++)
            mut[8 + (size_t)rand() % (b.len - 8)] = (uint8_t)rand();
        check_random(mut, b.len);
    }
    free(mut);
    tl_msg_free(&m);
    ar_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_frames),    cmocka_unit_test(round_trips),
        cmocka_unit_test(stream_of_frames), cmocka_unit_test(partial_byte_by_byte),
        cmocka_unit_test(framing_errors),   cmocka_unit_test(skip_bad_then_decode_next),
        cmocka_unit_test(attribute_errors), cmocka_unit_test(kv_errors),
        cmocka_unit_test(encode_errors),    cmocka_unit_test(random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
