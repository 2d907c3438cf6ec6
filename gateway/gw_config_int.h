/* Internal to the configuration modules: the option tables shared by parser and diff. */
#ifndef GW_CONFIG_INT_H
#define GW_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gw_config.h"

typedef enum {
    OPT_STR,
    OPT_BOOL,
    OPT_INT,    /* int within [lo, hi] */
    OPT_U32,    /* uint32_t within [lo, hi] */
    OPT_U64,    /* uint64_t within [lo, hi] */
    OPT_TRI,    /* int -1/0/1 set from a bool */
    OPT_DNTYPE, /* gw_dn_type */
    OPT_LISTEN, /* gw_listen */
    OPT_LOGSPEC,
    OPT_DNSET,
    OPT_ANSWER, /* gw_remote_answer */
    OPT_SCHED,  /* ar_sched_spec */
} opt_kind;

typedef struct {
    const char *name;
    opt_kind kind;
    size_t off;
    int64_t lo, hi;
} opt_desc;

/* Option tables per section, each ending with a NULL name. */
extern const opt_desc gw_gateway_opts[];
extern const opt_desc gw_dn_opts[];
extern const opt_desc gw_agent_opts[];
extern const opt_desc gw_app_opts[];
extern const opt_desc gw_desktop_opts[];

/* Append "FILE:LINE: message" to errs (gw_config.c). */
void gw_config_err_add(gw_config_errors *e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* [pool NAME] sections (gw_config_pool.c): begin, one key, end (adds it to cfg), free. */
void gw_config_pool_begin(gw_pool_conf *p, const char *name, int line);
void gw_config_pool_kv(gw_pool_conf *p, const char *key, const char *val, const char *file,
                       int line, gw_config_errors *errs);
void gw_config_pool_end(gw_config *cfg, gw_pool_conf *p, const char *file, gw_config_errors *errs);
void gw_config_pool_clear(gw_pool_conf *p);

#endif
