/* Recording parameter lists: URI parsing, merging and URI-escaped output. */
#include "md_params.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void md_params_init(md_params *p)
{
    memset(p, 0, sizeof(*p));
}

void md_params_clear(md_params *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->kv[i].name);
        free(p->kv[i].value);
    }
    free(p->kv);
    memset(p, 0, sizeof(*p));
}

int md_params_set(md_params *p, const char *name, const char *value)
{
    if (!value)
        value = "";
    if (strlen(name) >= MD_PARAM_NAME || strlen(value) >= MD_PARAM_VALUE || !name[0])
        return -1;
    char *v = strdup(value);
    if (!v)
        return -1;
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->kv[i].name, name) == 0) {
            free(p->kv[i].value);
            p->kv[i].value = v;
            return 0;
        }
    }
    if (p->n == p->cap && p->cap < MD_PARAMS_MAX) {
        int ncap = p->cap ? p->cap * 2 : 4;
        if (ncap > MD_PARAMS_MAX)
            ncap = MD_PARAMS_MAX;
        md_param *nkv = realloc(p->kv, (size_t)ncap * sizeof(*nkv));
        if (nkv) {
            p->kv = nkv;
            p->cap = ncap;
        }
    }
    char *n = p->n < p->cap ? strdup(name) : NULL;
    if (!n) {
        free(v);
        return -1;
    }
    p->kv[p->n].name = n;
    p->kv[p->n].value = v;
    p->n++;
    return 0;
}

const char *md_params_get(const md_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->kv[i].name, name) == 0)
            return p->kv[i].value;
    return NULL;
}

long md_params_int(const md_params *p, const char *name, long def)
{
    const char *v = md_params_get(p, name);
    if (!v || !*v)
        return def;
    char *end;
    long r = strtol(v, &end, 10);
    return *end ? def : r;
}

int md_params_flag(const md_params *p, const char *name)
{
    const char *v = md_params_get(p, name);
    if (!v)
        return 0;
    return !*v || !strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
           !strcasecmp(v, "on");
}

void md_params_merge(md_params *dst, const md_params *src)
{
    for (int i = 0; i < src->n; i++)
        md_params_set(dst, src->kv[i].name, src->kv[i].value);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode [s, s+n) into dst (cap bytes); -1 on bad escapes or overflow. */
static int pct_decode(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return 0;
}

int md_params_parse_uri(md_params *p, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] == ';') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && s[i] != ';')
            i++;
        const char *eq = memchr(s + start, '=', i - start);
        char name[MD_PARAM_NAME], value[MD_PARAM_VALUE];
        size_t nlen = eq ? (size_t)(eq - (s + start)) : i - start;
        if (nlen == 0 || pct_decode(name, sizeof(name), s + start, nlen))
            return -1;
        value[0] = '\0';
        if (eq && pct_decode(value, sizeof(value), eq + 1, (size_t)(s + i - eq - 1)))
            return -1;
        if (md_params_set(p, name, value))
            return -1;
    }
    return 0;
}

int md_params_is_known(const char *name)
{
    static const char *known[] = {"record",
                                  "id",
                                  "id2",
                                  "dest",
                                  "dest2",
                                  "destfork",
                                  "audiosrc",
                                  "tonesilenceduration",
                                  "record_recorddnhearstone",
                                  "record_otherdnhearstone",
                                  "record_chan1source",
                                  "record_chan2source",
                                  "localrecord",
                                  "role",
                                  "supervisor",
                                  "monitor",
                                  "coach",
                                  "recmediactl",
                                  "failover",
                                  "dialect",
                                  "dialect2",
                                  "audio-only",
                                  "srtp",
                                  "srtp2",
                                  "calluuid",
                                  "recordDN",
                                  "otherDN",
                                  "dn",
                                  "transport",
                                  "lr",
                                  NULL};
    for (int i = 0; known[i]; i++)
        if (strcmp(known[i], name) == 0)
            return 1;
    return 0;
}

static int uri_safe(int c)
{
    return isalnum(c) || strchr("-_.!~*'()[]/:&+$", c) != NULL;
}

int md_params_append_uri(char *buf, size_t cap, const char *name, const char *value)
{
    size_t o = strlen(buf);
    const char *parts[2] = {name, value};
    for (int k = 0; k < 2; k++) {
        if (k == 1 && !value)
            break;
        if (o + 2 >= cap)
            return -1;
        buf[o++] = k == 0 ? ';' : '=';
        for (const char *s = parts[k]; *s; s++) {
            unsigned char c = (unsigned char)*s;
            if (uri_safe(c) && c != '&') {
                if (o + 2 >= cap)
                    return -1;
                buf[o++] = (char)c;
            } else {
                if (o + 4 >= cap)
                    return -1;
                snprintf(buf + o, 4, "%%%02X", c);
                o += 3;
            }
        }
    }
    buf[o] = '\0';
    return 0;
}
