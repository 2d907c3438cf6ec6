/* T-Lib message model: typed attributes in insertion order, typed key-value lists. */
#include "tl_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"

struct tl_kv {
    tl_kv_pair *pairs;
    size_t n, cap;
};

/* ---- values ---- */

void tl_value_clear(tl_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case TL_T_STR:
    case TL_T_UNICODE:
    case TL_T_BIN:
        free(v->u.s.p);
        v->u.s.p = NULL;
        v->u.s.len = 0;
        break;
    case TL_T_KV:
        tl_kv_free(&v->u.kv);
        break;
    case TL_T_INT:
    case TL_T_CONNID:
        break;
    }
    v->type = TL_T_INT;
    v->u.i = 0;
}

/* Owned NUL-terminated copy of n bytes. */
static char *dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int value_set_bytes(tl_value *v, tl_type t, const void *p, size_t n)
{
    if (n > UINT32_MAX)
        return -1;
    char *s = dup_bytes(p, n);
    if (!s)
        return -1;
    v->type = t;
    v->u.s.p = s;
    v->u.s.len = (uint32_t)n;
    return 0;
}

int tl_value_copy(tl_value *dst, const tl_value *src)
{
    switch (src->type) {
    case TL_T_STR:
    case TL_T_UNICODE:
    case TL_T_BIN:
        return value_set_bytes(dst, src->type, src->u.s.p, src->u.s.len);
    case TL_T_KV: {
        tl_kv *kv = src->u.kv ? tl_kv_copy(src->u.kv) : tl_kv_new();
        if (!kv)
            return -1;
        dst->type = TL_T_KV;
        dst->u.kv = kv;
        return 0;
    }
    case TL_T_INT:
    case TL_T_CONNID:
        *dst = *src;
        return 0;
    }
    return -1;
}

bool tl_value_equal(const tl_value *a, const tl_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case TL_T_STR:
    case TL_T_UNICODE:
    case TL_T_BIN:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case TL_T_KV:
        return tl_kv_equal(a->u.kv, b->u.kv);
    case TL_T_INT:
        return a->u.i == b->u.i;
    case TL_T_CONNID:
        return a->u.connid == b->u.connid;
    }
    return false;
}

/* ---- messages ---- */

tl_msg *tl_msg_new(uint16_t type)
{
    tl_msg *m = calloc(1, sizeof *m);
    if (m)
        m->type = type;
    return m;
}

void tl_msg_free(tl_msg **pm)
{
    if (!pm || !*pm)
        return;
    tl_msg *m = *pm;
    for (uint16_t i = 0; i < m->n; i++)
        tl_value_clear(&m->attrs[i].v);
    free(m->attrs);
    free(m);
    *pm = NULL;
}

tl_msg *tl_msg_copy(const tl_msg *m)
{
    tl_msg *c = tl_msg_new(m->type);
    if (!c)
        return NULL;
    if (m->n) {
        c->attrs = calloc(m->n, sizeof *c->attrs);
        if (!c->attrs)
            goto fail;
        c->cap = m->n;
    }
    for (uint16_t i = 0; i < m->n; i++) {
        c->attrs[i].id = m->attrs[i].id;
        if (tl_value_copy(&c->attrs[i].v, &m->attrs[i].v) < 0)
            goto fail;
        c->n++;
    }
    return c;
fail:
    tl_msg_free(&c);
    return NULL;
}

static tl_attr *find_attr(const tl_msg *m, uint16_t id)
{
    for (uint16_t i = 0; i < m->n; i++) {
        if (m->attrs[i].id == id)
            return &m->attrs[i];
    }
    return NULL;
}

int tl_msg_set_value(tl_msg *m, uint16_t id, tl_value *v)
{
    tl_attr *a = find_attr(m, id);
    if (a) {
        tl_value_clear(&a->v);
        a->v = *v;
        v->type = TL_T_INT;
        return 0;
    }
    if (m->n == m->cap) {
        if (m->cap == UINT16_MAX)
            goto fail;
        unsigned cap = m->cap ? (unsigned)m->cap * 2 : 8;
        if (cap > UINT16_MAX)
            cap = UINT16_MAX;
        tl_attr *p = realloc(m->attrs, cap * sizeof *p);
        if (!p)
            goto fail;
        m->attrs = p;
        m->cap = (uint16_t)cap;
    }
    m->attrs[m->n].id = id;
    m->attrs[m->n].v = *v;
    m->n++;
    v->type = TL_T_INT;
    return 0;
fail:
    tl_value_clear(v);
    return -1;
}

int tl_msg_set_strn(tl_msg *m, uint16_t id, const char *s, size_t len)
{
    tl_value v;
    if (value_set_bytes(&v, TL_T_STR, s, len) < 0)
        return -1;
    return tl_msg_set_value(m, id, &v);
}

int tl_msg_set_str(tl_msg *m, uint16_t id, const char *s)
{
    return tl_msg_set_strn(m, id, s, strlen(s));
}

int tl_msg_set_bin(tl_msg *m, uint16_t id, const void *p, size_t len)
{
    tl_value v;
    if (value_set_bytes(&v, TL_T_BIN, p, len) < 0)
        return -1;
    return tl_msg_set_value(m, id, &v);
}

int tl_msg_set_int(tl_msg *m, uint16_t id, int64_t i)
{
    tl_value v = {.type = TL_T_INT, .u.i = i};
    return tl_msg_set_value(m, id, &v);
}

int tl_msg_set_connid(tl_msg *m, uint16_t id, uint64_t c)
{
    tl_value v = {.type = TL_T_CONNID, .u.connid = c};
    return tl_msg_set_value(m, id, &v);
}

int tl_msg_set_kv(tl_msg *m, uint16_t id, tl_kv *kv)
{
    if (!kv)
        return -1;
    tl_value v = {.type = TL_T_KV, .u.kv = kv};
    return tl_msg_set_value(m, id, &v);
}

void tl_msg_remove(tl_msg *m, uint16_t id)
{
    for (uint16_t i = 0; i < m->n; i++) {
        if (m->attrs[i].id == id) {
            tl_value_clear(&m->attrs[i].v);
            memmove(&m->attrs[i], &m->attrs[i + 1], (size_t)(m->n - i - 1) * sizeof *m->attrs);
            m->n--;
            return;
        }
    }
}

const tl_value *tl_msg_get(const tl_msg *m, uint16_t id)
{
    const tl_attr *a = find_attr(m, id);
    return a ? &a->v : NULL;
}

const char *tl_msg_get_str(const tl_msg *m, uint16_t id)
{
    const tl_value *v = tl_msg_get(m, id);
    return v && (v->type == TL_T_STR || v->type == TL_T_UNICODE) ? v->u.s.p : NULL;
}

bool tl_msg_get_int(const tl_msg *m, uint16_t id, int64_t *out)
{
    const tl_value *v = tl_msg_get(m, id);
    if (!v || v->type != TL_T_INT)
        return false;
    if (out)
        *out = v->u.i;
    return true;
}

bool tl_msg_get_connid(const tl_msg *m, uint16_t id, uint64_t *out)
{
    const tl_value *v = tl_msg_get(m, id);
    if (!v || v->type != TL_T_CONNID)
        return false;
    if (out)
        *out = v->u.connid;
    return true;
}

const tl_kv *tl_msg_get_kv(const tl_msg *m, uint16_t id)
{
    const tl_value *v = tl_msg_get(m, id);
    return v && v->type == TL_T_KV ? v->u.kv : NULL;
}

int tl_msg_validate(const tl_msg *m, uint16_t *bad_attr)
{
    uint16_t dummy;
    if (!bad_attr)
        bad_attr = &dummy;
    *bad_attr = 0;
    const tl_msg_info *mi = tl_msg_info_get(m->type);
    if (!mi)
        return AR_E_UNKNOWN_MESSAGE;
    for (uint16_t i = 0; i < m->n; i++) {
        const tl_attr_info *ai = tl_attr_info_get(m->attrs[i].id);
        *bad_attr = m->attrs[i].id;
        if (!ai)
            return AR_E_UNKNOWN_ATTRIBUTE;
        if (ai->type != m->attrs[i].v.type)
            return AR_E_WRONG_TYPE;
    }
    *bad_attr = 0;
    if (mi->kind == TL_REQUEST && !find_attr(m, TL_A_ReferenceID)) {
        *bad_attr = TL_A_ReferenceID;
        return AR_E_MISSING_ATTRIBUTE;
    }
    for (const uint16_t *p = mi->mandatory; *p; p++) {
        if (!find_attr(m, *p)) {
            *bad_attr = *p;
            return AR_E_MISSING_ATTRIBUTE;
        }
    }
    return AR_E_OK;
}

bool tl_msg_equal(const tl_msg *a, const tl_msg *b)
{
    if (a->type != b->type || a->n != b->n)
        return false;
    /* Ids are unique within a message, so same count + every a-attr found equal in b. */
    for (uint16_t i = 0; i < a->n; i++) {
        const tl_attr *o = find_attr(b, a->attrs[i].id);
        if (!o || !tl_value_equal(&a->attrs[i].v, &o->v))
            return false;
    }
    return true;
}

/* ---- key-value lists ---- */

tl_kv *tl_kv_new(void)
{
    return calloc(1, sizeof(tl_kv));
}

void tl_kv_free(tl_kv **pkv)
{
    if (!pkv || !*pkv)
        return;
    tl_kv *kv = *pkv;
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->pairs[i].key);
        tl_value_clear(&kv->pairs[i].v);
    }
    free(kv->pairs);
    free(kv);
    *pkv = NULL;
}

tl_kv *tl_kv_copy(const tl_kv *kv)
{
    tl_kv *c = tl_kv_new();
    if (!c)
        return NULL;
    for (size_t i = 0; i < kv->n; i++) {
        tl_value v;
        if (tl_value_copy(&v, &kv->pairs[i].v) < 0)
            goto fail;
        if (tl_kv_add_value(c, kv->pairs[i].key, strlen(kv->pairs[i].key), &v) < 0)
            goto fail;
    }
    return c;
fail:
    tl_kv_free(&c);
    return NULL;
}

size_t tl_kv_count(const tl_kv *kv)
{
    return kv ? kv->n : 0;
}

const tl_kv_pair *tl_kv_at(const tl_kv *kv, size_t i)
{
    return kv && i < kv->n ? &kv->pairs[i] : NULL;
}

int tl_kv_add_value(tl_kv *kv, const char *key, size_t keylen, tl_value *v)
{
    char *k = NULL;
    if (kv->n == kv->cap) {
        size_t cap = kv->cap ? kv->cap * 2 : 8;
        tl_kv_pair *p = realloc(kv->pairs, cap * sizeof *p);
        if (!p)
            goto fail;
        kv->pairs = p;
        kv->cap = cap;
    }
    k = dup_bytes(key, keylen);
    if (!k)
        goto fail;
    kv->pairs[kv->n].key = k;
    kv->pairs[kv->n].v = *v;
    kv->n++;
    v->type = TL_T_INT;
    return 0;
fail:
    tl_value_clear(v);
    return -1;
}

int tl_kv_add_str(tl_kv *kv, const char *key, const char *val)
{
    tl_value v;
    if (value_set_bytes(&v, TL_T_STR, val, strlen(val)) < 0)
        return -1;
    return tl_kv_add_value(kv, key, strlen(key), &v);
}

int tl_kv_add_unicode(tl_kv *kv, const char *key, const char *val)
{
    tl_value v;
    if (value_set_bytes(&v, TL_T_UNICODE, val, strlen(val)) < 0)
        return -1;
    return tl_kv_add_value(kv, key, strlen(key), &v);
}

int tl_kv_add_int(tl_kv *kv, const char *key, int32_t val)
{
    tl_value v = {.type = TL_T_INT, .u.i = val};
    return tl_kv_add_value(kv, key, strlen(key), &v);
}

int tl_kv_add_bin(tl_kv *kv, const char *key, const void *p, size_t len)
{
    tl_value v;
    if (value_set_bytes(&v, TL_T_BIN, p, len) < 0)
        return -1;
    return tl_kv_add_value(kv, key, strlen(key), &v);
}

int tl_kv_add_kv(tl_kv *kv, const char *key, tl_kv *val)
{
    if (!val)
        return -1;
    tl_value v = {.type = TL_T_KV, .u.kv = val};
    return tl_kv_add_value(kv, key, strlen(key), &v);
}

const tl_value *tl_kv_get(const tl_kv *kv, const char *key)
{
    if (!kv)
        return NULL;
    for (size_t i = 0; i < kv->n; i++) {
        if (strcmp(kv->pairs[i].key, key) == 0)
            return &kv->pairs[i].v;
    }
    return NULL;
}

const char *tl_kv_get_str(const tl_kv *kv, const char *key)
{
    const tl_value *v = tl_kv_get(kv, key);
    return v && (v->type == TL_T_STR || v->type == TL_T_UNICODE) ? v->u.s.p : NULL;
}

int tl_kv_set_value(tl_kv *kv, const char *key, const tl_value *v)
{
    tl_value c;
    if (tl_value_copy(&c, v) < 0)
        return -1;
    for (size_t i = 0; i < kv->n; i++) {
        if (strcmp(kv->pairs[i].key, key) == 0) {
            tl_value_clear(&kv->pairs[i].v);
            kv->pairs[i].v = c;
            return 0;
        }
    }
    return tl_kv_add_value(kv, key, strlen(key), &c);
}

size_t tl_kv_remove(tl_kv *kv, const char *key)
{
    size_t w = 0, removed = 0;
    /* One compacting pass keeps the order of the surviving pairs. */
    for (size_t r = 0; r < kv->n; r++) {
        if (strcmp(kv->pairs[r].key, key) == 0) {
            free(kv->pairs[r].key);
            tl_value_clear(&kv->pairs[r].v);
            removed++;
        } else {
            kv->pairs[w++] = kv->pairs[r];
        }
    }
    kv->n = w;
    return removed;
}

int tl_kv_update(tl_kv *dst, const tl_kv *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (tl_kv_set_value(dst, src->pairs[i].key, &src->pairs[i].v) < 0)
            return -1;
    }
    return 0;
}

bool tl_kv_equal(const tl_kv *a, const tl_kv *b)
{
    size_t na = tl_kv_count(a), nb = tl_kv_count(b);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a->pairs[i].key, b->pairs[i].key) != 0 ||
            !tl_value_equal(&a->pairs[i].v, &b->pairs[i].v))
            return false;
    }
    return true;
}

/* ---- ConnID text ---- */

void tl_connid_format(uint64_t id, char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[id & 0xf];
        id >>= 4;
    }
    out[16] = '\0';
}

bool tl_connid_parse(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s)
        return false;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    if (s[16] != '\0')
        return false;
    if (out)
        *out = v;
    return true;
}
