/* Recording Request-URI (seed dialect):
 * sip:record=<id>@host;calluuid=..;dn=..;recordDN=..;otherDN=.. */
#include "rec_uri.h"

#include "ar_err.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes [s, s+n) with %XX escapes into dst; rejects NUL bytes and overflows. */
static int unescape(const char *s, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return AR_E_INVALID_VALUE;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return AR_E_INVALID_VALUE;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap)
            return AR_E_INVALID_VALUE;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return AR_E_OK;
}

int rec_uri_parse(const char *user, const char *params, rec_uri *out)
{
    memset(out, 0, sizeof *out);
    if (user && strncasecmp(user, "record=", 7) == 0) {
        int rc = unescape(user + 7, strlen(user + 7), out->record, sizeof out->record);
        if (rc != AR_E_OK)
            return rc;
    }
    const char *p = params;
    while (p && *p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq) {
            size_t nlen = (size_t)(eq - p);
            char *dst = NULL;
            if (nlen == 8 && strncasecmp(p, "calluuid", 8) == 0)
                dst = out->calluuid;
            else if (nlen == 2 && strncasecmp(p, "dn", 2) == 0)
                dst = out->dn;
            else if (nlen == 8 && strncasecmp(p, "recorddn", 8) == 0)
                dst = out->record_dn;
            else if (nlen == 7 && strncasecmp(p, "otherdn", 7) == 0)
                dst = out->other_dn;
            if (dst) {
                int rc = unescape(eq + 1, len - nlen - 1, dst, REC_URI_VAL_LEN);
                if (rc != AR_E_OK)
                    return rc;
            }
        }
        p = end ? end + 1 : NULL;
    }
    return AR_E_OK;
}

int rec_uri_kv_parse(const char *s, rec_uri_kv *out, int max, int *n)
{
    *n = 0;
    int k = 0, rc = AR_E_OK;
    const char *p = s;
    while (p && *p && rc == AR_E_OK) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *b = p;
        p = end ? end + 1 : NULL;
        if (len == 0)
            continue; /* ";;" or a trailing ';' */
        const char *eq = memchr(b, '=', len);
        size_t nlen = eq ? (size_t)(eq - b) : len;
        if (nlen == 0 || k >= max)
            return AR_E_INVALID_VALUE;
        rc = unescape(b, nlen, out[k].name, sizeof out[k].name);
        if (rc == AR_E_OK)
            rc = unescape(eq ? eq + 1 : b, eq ? len - nlen - 1 : 0, out[k].value,
                          sizeof out[k].value);
        k++;
    }
    *n = rc == AR_E_OK ? k : 0;
    return rc;
}

void rec_uri_file_safe(const char *src, char *dst, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return;
    for (; *src && o + 1 < cap; src++) {
        int c = (unsigned char)*src;
        dst[o++] = (char)((isalnum(c) || c == '.' || c == '_' || c == '-') ? c : '_');
    }
    dst[o] = '\0';
    /* "." and ".." are safe characters but not safe names. */
    if (dst[0] == '.')
        dst[0] = '_';
}
