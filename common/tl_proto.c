/* T-Lib table lookups: by number through arrays built at compile time, by name by bsearch. */
#include "tl_proto.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * Indexed by number with designated initializers: a duplicate number in the X-macro
 * table is caught by the compiler (-Woverride-init, part of -Wextra, with -Werror).
 */
static const tl_msg_info msg_by_num[TL_MSG_MAX + 1] = {
#define TL_MSG_ROW(name, num, kind, reply, mand) [num] = {#name, num, kind, TL_M_##reply, mand},
    TL_MESSAGES(TL_MSG_ROW)
#undef TL_MSG_ROW
};

static const tl_attr_info attr_by_num[TL_ATTR_MAX + 1] = {
#define TL_ATTR_ROW(name, num, type) [num] = {#name, num, type},
    TL_ATTRS(TL_ATTR_ROW)
#undef TL_ATTR_ROW
};

/* Compile-time check that the MAX constants cover every row. */
#define TL_MSG_CHECK(name, num, kind, reply, mand)                                                 \
    _Static_assert(num <= TL_MSG_MAX, "TL_MSG_MAX too small for " #name);
TL_MESSAGES(TL_MSG_CHECK)
#undef TL_MSG_CHECK
#define TL_ATTR_CHECK(name, num, type)                                                             \
    _Static_assert(num <= TL_ATTR_MAX && num > 0, "bad attribute number for " #name);
TL_ATTRS(TL_ATTR_CHECK)
#undef TL_ATTR_CHECK

enum {
#define TL_COUNT(...) +1
    N_MSGS = 0 TL_MESSAGES(TL_COUNT),
    N_ATTRS = 0 TL_ATTRS(TL_COUNT),
#undef TL_COUNT
};

static const tl_msg_info *msg_sorted[N_MSGS];
static const tl_attr_info *attr_sorted[N_ATTRS];
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static int cmp_msg(const void *a, const void *b)
{
    return strcmp((*(const tl_msg_info *const *)a)->name, (*(const tl_msg_info *const *)b)->name);
}

static int cmp_attr(const void *a, const void *b)
{
    return strcmp((*(const tl_attr_info *const *)a)->name, (*(const tl_attr_info *const *)b)->name);
}

static void build_sorted(void)
{
    size_t n = 0;
    for (size_t i = 0; i <= TL_MSG_MAX; i++) {
        if (msg_by_num[i].name)
            msg_sorted[n++] = &msg_by_num[i];
    }
    qsort(msg_sorted, n, sizeof msg_sorted[0], cmp_msg);
    n = 0;
    for (size_t i = 0; i <= TL_ATTR_MAX; i++) {
        if (attr_by_num[i].name)
            attr_sorted[n++] = &attr_by_num[i];
    }
    qsort(attr_sorted, n, sizeof attr_sorted[0], cmp_attr);
}

const tl_msg_info *tl_msg_info_get(unsigned num)
{
    if (num > TL_MSG_MAX || !msg_by_num[num].name)
        return NULL;
    return &msg_by_num[num];
}

const tl_attr_info *tl_attr_info_get(unsigned num)
{
    if (num > TL_ATTR_MAX || !attr_by_num[num].name)
        return NULL;
    return &attr_by_num[num];
}

static int cmp_key_msg(const void *key, const void *elem)
{
    return strcmp(key, (*(const tl_msg_info *const *)elem)->name);
}

static int cmp_key_attr(const void *key, const void *elem)
{
    return strcmp(key, (*(const tl_attr_info *const *)elem)->name);
}

const tl_msg_info *tl_msg_info_by_name(const char *name)
{
    if (!name)
        return NULL;
    pthread_once(&sorted_once, build_sorted);
    const tl_msg_info *const *r =
        bsearch(name, msg_sorted, N_MSGS, sizeof msg_sorted[0], cmp_key_msg);
    return r ? *r : NULL;
}

const tl_attr_info *tl_attr_info_by_name(const char *name)
{
    if (!name)
        return NULL;
    pthread_once(&sorted_once, build_sorted);
    const tl_attr_info *const *r =
        bsearch(name, attr_sorted, N_ATTRS, sizeof attr_sorted[0], cmp_key_attr);
    return r ? *r : NULL;
}

const char *tl_type_name(tl_type t)
{
    switch (t) {
    case TL_T_STR:
        return "string";
    case TL_T_INT:
        return "int";
    case TL_T_BIN:
        return "binary";
    case TL_T_KV:
        return "list";
    case TL_T_UNICODE:
        return "unicode";
    case TL_T_CONNID:
        return "connid";
    }
    return "unknown";
}
