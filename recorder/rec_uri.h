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

/* Copies src into dst (cap bytes) keeping only [A-Za-z0-9._-] (others become '_'),
 * so a record id can name a file without leaving the directory. */
void rec_uri_file_safe(const char *src, char *dst, size_t cap);

#endif
