/* Recording Request-URI (seed dialect):
 * sip:record=<id>@host;calluuid=..;dn=..;recordDN=..;otherDN=.. */
#ifndef REC_URI_H
#define REC_URI_H

#include <stddef.h>

#define REC_URI_VAL_LEN 128

typedef struct {
    char record[REC_URI_VAL_LEN]; /* "" when the URI has no record=<id> user part */
    char calluuid[REC_URI_VAL_LEN];
    char dn[REC_URI_VAL_LEN];
    char record_dn[REC_URI_VAL_LEN];
    char other_dn[REC_URI_VAL_LEN];
} rec_uri;

/*
 * Fills *out from the URI's user part (e.g. "record=abc", may be NULL) and its
 * parameter string ("calluuid=X;dn=1001;recordDN=1001", may be NULL). Parameter
 * names match case-insensitively, %XX escapes are decoded, unknown parameters are
 * ignored. Returns AR_E_OK, or AR_E_INVALID_VALUE when a value is too long or has
 * a bad escape (the caller answers 400 then).
 */
int rec_uri_parse(const char *user, const char *params, rec_uri *out);

/* One name=value of a parameter list. */
#define REC_URI_NAME_LEN 64
#define REC_URI_MAX_KV   8
typedef struct {
    char name[REC_URI_NAME_LEN];
    char value[REC_URI_VAL_LEN];
} rec_uri_kv;

/*
 * Parses "name=value;name2=value2" (%XX escapes decoded; a name without '=' has an empty
 * value) into out[0..max), *n = count: mediad's X-Record-Params header (the params of a
 * pause / resume / stop). Returns AR_E_OK, or AR_E_INVALID_VALUE for an empty name, a bad
 * escape, a name or value too long, or more than max pairs (*n = 0 then).
 */
int rec_uri_kv_parse(const char *s, rec_uri_kv *out, int max, int *n);

/* Copies src into dst (cap bytes) keeping only [A-Za-z0-9._-] (others become '_'),
 * so a record id can name a file without leaving the directory. */
void rec_uri_file_safe(const char *src, char *dst, size_t cap);

#endif
