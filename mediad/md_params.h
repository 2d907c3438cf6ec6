/* Recording parameters: Request-URI defaults merged with MSML gvp:param overrides. */
#ifndef MD_PARAMS_H
#define MD_PARAMS_H

#include <stddef.h>

#define MD_PARAMS_MAX  40
#define MD_PARAM_NAME  64
#define MD_PARAM_VALUE 256

/* A small owned list (heap strings sized to their content: a call keeps a few of
 * these, so fixed 256-byte slots would dominate its memory). */
typedef struct {
    char *name;
    char *value;
} md_param;

typedef struct {
    int n, cap;
    md_param *kv; /* grown on demand, at most MD_PARAMS_MAX entries */
} md_params;

void md_params_init(md_params *p);
/* Free the strings; the list is empty (and reusable) afterwards. */
void md_params_clear(md_params *p);
/* Set (replace) name=value; returns 0 or -1 when full, too long or out of memory. */
int md_params_set(md_params *p, const char *name, const char *value);
const char *md_params_get(const md_params *p, const char *name);
/* Integer value or def when absent/invalid. */
long md_params_int(const md_params *p, const char *name, long def);
/* True for "1", "true", "yes", "on" and a bare flag (empty value). */
int md_params_flag(const md_params *p, const char *name);
/* Merge src into dst, src overriding. */
void md_params_merge(md_params *dst, const md_params *src);
/*
 * Parse ";a=b;flag;c=d" (URI parameters, with or without the leading ';'), percent-
 * decoding values. Returns 0, or -1 on a malformed or oversized list.
 */
int md_params_parse_uri(md_params *p, const char *s, size_t len);
/* True when name is a parameter mediad interprets itself (not passed to recorders). */
int md_params_is_known(const char *name);
/* Append ";name=value" with URI escaping to buf (NUL-terminated); -1 on overflow. */
int md_params_append_uri(char *buf, size_t cap, const char *name, const char *value);

#endif
