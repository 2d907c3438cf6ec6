/* The T-Lib message model: typed attributes and typed key-value lists. */
#ifndef TL_MSG_H
#define TL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tl_proto.h"

typedef struct tl_kv tl_kv;

/* One typed value. Strings and binaries are owned, NUL-terminated copies. */
typedef struct {
    tl_type type;
    union {
        int64_t i;       /* TL_T_INT */
        uint64_t connid; /* TL_T_CONNID */
        struct {
            char *p;
            uint32_t len;
        } s;       /* TL_T_STR, TL_T_UNICODE, TL_T_BIN (p always NUL-terminated) */
        tl_kv *kv; /* TL_T_KV */
    } u;
} tl_value;

typedef struct {
    uint16_t id; /* tl_attr_id */
    tl_value v;
} tl_attr;

/* A message: type plus attributes in insertion order (each id at most once). */
typedef struct tl_msg {
    uint16_t type; /* tl_msg_type */
    uint16_t n, cap;
    tl_attr *attrs;
} tl_msg;

tl_msg *tl_msg_new(uint16_t type);
void tl_msg_free(tl_msg **m);
tl_msg *tl_msg_copy(const tl_msg *m);

/* Setters replace an existing attribute with the same id. Return 0 or -1 (NOMEM). */
int tl_msg_set_str(tl_msg *m, uint16_t id, const char *s);
int tl_msg_set_strn(tl_msg *m, uint16_t id, const char *s, size_t len);
int tl_msg_set_bin(tl_msg *m, uint16_t id, const void *p, size_t len);
int tl_msg_set_int(tl_msg *m, uint16_t id, int64_t v);
int tl_msg_set_connid(tl_msg *m, uint16_t id, uint64_t v);
/* Takes ownership of kv (freed on failure too). */
int tl_msg_set_kv(tl_msg *m, uint16_t id, tl_kv *kv);
/* Moves a value in (ownership transferred); used by decoders. */
int tl_msg_set_value(tl_msg *m, uint16_t id, tl_value *v);
void tl_msg_remove(tl_msg *m, uint16_t id);

/* Getters: NULL / false when absent or of another type. */
const tl_value *tl_msg_get(const tl_msg *m, uint16_t id);
const char *tl_msg_get_str(const tl_msg *m, uint16_t id);
bool tl_msg_get_int(const tl_msg *m, uint16_t id, int64_t *out);
bool tl_msg_get_connid(const tl_msg *m, uint16_t id, uint64_t *out);
const tl_kv *tl_msg_get_kv(const tl_msg *m, uint16_t id);

/*
 * Checks a decoded message against the table: known type, every attribute of the
 * declared type, mandatory attributes present (ReferenceID for requests).
 * Returns an ar_err code; *bad_attr names the offending attribute (or 0).
 */
int tl_msg_validate(const tl_msg *m, uint16_t *bad_attr);

/* Key-value lists: ordered pairs; keys may repeat (T-Lib allows it). */
typedef struct {
    char *key;
    tl_value v;
} tl_kv_pair;

tl_kv *tl_kv_new(void);
void tl_kv_free(tl_kv **kv);
tl_kv *tl_kv_copy(const tl_kv *kv);
size_t tl_kv_count(const tl_kv *kv);
const tl_kv_pair *tl_kv_at(const tl_kv *kv, size_t i);
int tl_kv_add_str(tl_kv *kv, const char *key, const char *val);
int tl_kv_add_unicode(tl_kv *kv, const char *key, const char *val);
int tl_kv_add_int(tl_kv *kv, const char *key, int32_t val);
int tl_kv_add_bin(tl_kv *kv, const char *key, const void *p, size_t len);
int tl_kv_add_kv(tl_kv *kv, const char *key, tl_kv *val);                    /* takes ownership */
int tl_kv_add_value(tl_kv *kv, const char *key, size_t keylen, tl_value *v); /* moves */
/* First pair with this key, or NULL. */
const tl_value *tl_kv_get(const tl_kv *kv, const char *key);
const char *tl_kv_get_str(const tl_kv *kv, const char *key);
/* Replace the first pair with this key (or append); used by UpdateUserData. */
int tl_kv_set_value(tl_kv *kv, const char *key, const tl_value *v); /* copies */
/* Remove every pair with this key; returns how many were removed. */
size_t tl_kv_remove(tl_kv *kv, const char *key);
/* Merge: for each pair of src, set in dst (update semantics). */
int tl_kv_update(tl_kv *dst, const tl_kv *src);
bool tl_kv_equal(const tl_kv *a, const tl_kv *b);

void tl_value_clear(tl_value *v);
int tl_value_copy(tl_value *dst, const tl_value *src);
bool tl_value_equal(const tl_value *a, const tl_value *b);
bool tl_msg_equal(const tl_msg *a, const tl_msg *b);

/* ConnID text form: 16 lowercase hex digits. parse returns false on bad text. */
void tl_connid_format(uint64_t id, char out[17]);
bool tl_connid_parse(const char *s, uint64_t *out);

#endif
