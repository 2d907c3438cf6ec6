/* ISLink (inter-site link): ids, the per-call list, and the X-Arec-ISLink SIP header codec. */
#include "gw_islink.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"
#include "tl_codec.h"
#include "tl_proto.h"

static bool is_b32hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'V');
}

static bool id_valid_n(const char *s, size_t n)
{
    if (n != GW_ISLINK_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_b32hex(s[i]))
            return false;
    return true;
}

bool gw_islink_id_valid(const char *s)
{
    return s && id_valid_n(s, strlen(s));
}

static bool loc_valid_n(const char *s, size_t n)
{
    if (n == 0 || n > GW_ISLINK_LOC_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!g_ascii_isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@')
            return false;
    }
    return true;
}

bool gw_islink_loc_valid(const char *s)
{
    return s && loc_valid_n(s, strlen(s));
}

static int fail(char *why, size_t cap, const char *fmt, const char *what)
{
    if (why && cap)
        snprintf(why, cap, fmt, what);
    return AR_E_ISLINK_MALFORMED;
}

/* Parse the 16 lowercase hex digits of a ConnID (not all zero). */
static bool connid_n(const char *s, size_t n, uint64_t *out)
{
    if (n != 16)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return v != 0;
}

/* One "name=value" parameter into h; seen tracks repeats (bit per known name). */
static int param(gw_islink_hdr *h, const char *p, size_t n, unsigned *seen, char *why, size_t cap)
{
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return fail(why, cap, "parameter without value%s", "");
    size_t kl = (size_t)(eq - p), vl = n - kl - 1;
    const char *v = eq + 1;
    static const char *const names[] = {"loc", "connid", "uuid", "orig", "hop", "rec"};
    int k = -1;
    for (int i = 0; i < 6; i++)
        if (strlen(names[i]) == kl && g_ascii_strncasecmp(p, names[i], kl) == 0)
            k = i;
    if (k < 0)
        return AR_E_OK; /* unknown parameters are for later versions: ignored */
    if (*seen & (1u << k))
        return fail(why, cap, "parameter %s given twice", names[k]);
    *seen |= 1u << k;
    switch (k) {
    case 0:
        if (!loc_valid_n(v, vl))
            return fail(why, cap, "bad location-name%s", "");
        memcpy(h->loc, v, vl);
        h->loc[vl] = 0;
        break;
    case 1:
        if (!connid_n(v, vl, &h->connid))
            return fail(why, cap, "bad connid%s", "");
        break;
    case 2:
    case 3:
        if (!id_valid_n(v, vl))
            return fail(why, cap, "bad %s CallUUID", names[k]);
        memcpy(k == 2 ? h->uuid : h->orig, v, vl);
        (k == 2 ? h->uuid : h->orig)[vl] = 0;
        break;
    case 4: {
        int hop = 0;
        if (vl == 0 || vl > 2)
            return fail(why, cap, "bad hop count%s", "");
        for (size_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9')
                return fail(why, cap, "bad hop count%s", "");
            hop = hop * 10 + (v[i] - '0');
        }
        if (hop < 1 || hop > GW_ISLINK_HOPS_MAX)
            return fail(why, cap, "hop count out of range%s", "");
        h->hop = hop;
        break;
    }
    default:
        if (vl != 1 || (v[0] != '0' && v[0] != '1'))
            return fail(why, cap, "bad rec flag%s", "");
        h->rec = v[0] == '1';
        break;
    }
    return AR_E_OK;
}

int gw_islink_hdr_parse(const char *s, size_t len, gw_islink_hdr *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return fail(why, cap, "empty header%s", "");
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    const char *semi = memchr(s, ';', len);
    size_t idl = semi ? (size_t)(semi - s) : len;
    if (!id_valid_n(s, idl))
        return fail(why, cap, "ISLink id is not 32 base32hex characters%s", "");
    memcpy(out->id, s, idl);
    out->id[idl] = 0;
    unsigned seen = 0;
    const char *p = semi ? semi + 1 : s + len, *end = s + len;
    while (p < end) {
        const char *q = memchr(p, ';', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        int rc = param(out, p, n, &seen, why, cap);
        if (rc != AR_E_OK)
            return rc;
        p = q ? q + 1 : end;
    }
    if ((seen & 0x1f) != 0x1f)
        return fail(why, cap, "missing loc, connid, uuid, orig or hop%s", "");
    return AR_E_OK;
}

bool gw_islink_hdr_equal(const gw_islink_hdr *a, const gw_islink_hdr *b)
{
    return strcmp(a->id, b->id) == 0 && strcmp(a->loc, b->loc) == 0 && a->connid == b->connid &&
           strcmp(a->uuid, b->uuid) == 0 && strcmp(a->orig, b->orig) == 0 && a->hop == b->hop &&
           a->rec == b->rec;
}

char *gw_islink_hdr_format(const gw_islink_hdr *h)
{
    char cid[17];
    tl_connid_format(h->connid, cid);
    return g_strdup_printf("%s;loc=%s;connid=%s;uuid=%s;orig=%s;hop=%d%s", h->id, h->loc, cid,
                           h->uuid, h->orig, h->hop, h->rec ? ";rec=1" : "");
}

char *gw_islink_ud_encode(const tl_kv *ud)
{
    tl_msg *m = tl_msg_new(TL_M_EventAttachedDataChanged);
    tl_kv *copy = ud ? tl_kv_copy(ud) : NULL;
    char *out = NULL;
    if (!m || !copy || tl_msg_set_kv(m, TL_A_UserData, copy) != 0) {
        tl_kv_free(&copy);
        goto cleanup;
    }
    char *json = tl_json_encode_str(m);
    if (json) {
        out = g_base64_encode((const guchar *)json, strlen(json));
        free(json);
    }
cleanup:
    tl_msg_free(&m);
    return out;
}

int gw_islink_ud_decode(const char *s, size_t len, tl_kv **out)
{
    *out = NULL;
    if (!s || len == 0 || len > GW_ISLINK_UD_MAX)
        return AR_E_ISLINK_MALFORMED;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/' && s[i] != '=')
            return AR_E_ISLINK_MALFORMED;
    char *text = g_strndup(s, len);
    gsize n = 0;
    guchar *json = g_base64_decode(text, &n);
    g_free(text);
    tl_msg *m = NULL;
    tl_decode_err err;
    int rc = AR_E_ISLINK_MALFORMED;
    if (json && n > 0 && tl_json_decode((const char *)json, n, &m, &err) == TL_DEC_OK) {
        const tl_kv *kv = tl_msg_get_kv(m, TL_A_UserData);
        if (kv && (*out = tl_kv_copy(kv)) != NULL)
            rc = AR_E_OK;
    }
    tl_msg_free(&m);
    g_free(json);
    return rc;
}

/* --- the per-call list --- */

typedef struct {
    char id[GW_ISLINK_ID_LEN + 1];
    char loc[GW_ISLINK_LOC_MAX + 1];
    gw_islink_role role;
} entry;

struct gw_islink_list {
    GArray *e; /* of entry */
};

gw_islink_list *gw_islink_list_new(void)
{
    gw_islink_list *l = g_new0(gw_islink_list, 1);
    l->e = g_array_new(FALSE, TRUE, sizeof(entry));
    return l;
}

void gw_islink_list_free(gw_islink_list **pl)
{
    if (!pl || !*pl)
        return;
    g_array_free((*pl)->e, TRUE);
    g_free(*pl);
    *pl = NULL;
}

bool gw_islink_list_has(const gw_islink_list *l, const char *id)
{
    for (guint i = 0; l && i < l->e->len; i++)
        if (strcmp(g_array_index(l->e, entry, i).id, id) == 0)
            return true;
    return false;
}

bool gw_islink_list_add(gw_islink_list *l, const char *id, const char *loc, gw_islink_role role)
{
    if (!gw_islink_id_valid(id) || !gw_islink_loc_valid(loc) || gw_islink_list_has(l, id))
        return false;
    entry e = {.role = role};
    g_strlcpy(e.id, id, sizeof e.id);
    g_strlcpy(e.loc, loc, sizeof e.loc);
    g_array_append_val(l->e, e);
    return true;
}

size_t gw_islink_list_count(const gw_islink_list *l)
{
    return l ? l->e->len : 0;
}

bool gw_islink_list_at(const gw_islink_list *l, size_t i, const char **id, const char **loc,
                       gw_islink_role *role)
{
    if (!l || i >= l->e->len)
        return false;
    const entry *e = &g_array_index(l->e, entry, i);
    *id = e->id;
    *loc = e->loc;
    *role = e->role;
    return true;
}

const char *gw_islink_role_name(gw_islink_role r)
{
    return r == GW_ISLINK_TARGET ? "target" : "source";
}

tl_kv *gw_islink_list_kv(const gw_islink_list *l)
{
    tl_kv *kv = tl_kv_new();
    for (guint i = 0; kv && l && i < l->e->len; i++) {
        const entry *e = &g_array_index(l->e, entry, i);
        tl_kv *one = tl_kv_new();
        bool ok = one && tl_kv_add_str(one, "location-name", e->loc) == 0 &&
                  tl_kv_add_str(one, "direction-role", gw_islink_role_name(e->role)) == 0;
        if (ok && tl_kv_add_kv(kv, e->id, one) == 0)
            continue;
        if (!ok)
            tl_kv_free(&one);
        tl_kv_free(&kv);
    }
    return kv;
}
