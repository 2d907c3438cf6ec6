/* Logging with per-subsystem levels, to stderr or a file, one line per record. */
#ifndef AR_LOG_H
#define AR_LOG_H

typedef enum { AR_LOG_ERROR = 0, AR_LOG_WARN, AR_LOG_INFO, AR_LOG_DEBUG } ar_log_level;

/* Subsystems, each with its own level. */
#define AR_LOG_SUBSYS(X)                                                                           \
    X(core)                                                                                        \
    X(tlib)                                                                                        \
    X(ws)                                                                                          \
    X(config)                                                                                      \
    X(sip)                                                                                         \
    X(call)                                                                                        \
    X(rec)                                                                                         \
    X(db)                                                                                          \
    X(media)                                                                                       \
    X(rtp)

typedef enum {
#define AR_LOG_SUB_ENUM(name) AR_LOG_##name,
    AR_LOG_SUBSYS(AR_LOG_SUB_ENUM)
#undef AR_LOG_SUB_ENUM
        AR_LOG_NSUBSYS
} ar_log_subsys;

/* Set every subsystem's level, or one ("tlib=debug,sip=warn" via ar_log_parse). */
void ar_log_set_level(int subsys, ar_log_level lvl); /* subsys -1 = all */
/* Parse "info" or "tlib=debug,ws=info"; returns 0 or -1 on a bad spec. */
int ar_log_parse(const char *spec);
/* Program name shown in each line. */
void ar_log_set_ident(const char *ident);
int ar_log_enabled(ar_log_subsys s, ar_log_level lvl);
void ar_log_write(ar_log_subsys s, ar_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Optional observer of WARN and ERROR records (the message without the line header),
 * e.g. gatewayd's recent-errors list. Called on the logging thread: keep it cheap and
 * thread-safe. NULL removes it.
 */
typedef void (*ar_log_hook_fn)(ar_log_subsys s, ar_log_level lvl, const char *msg);
void ar_log_set_hook(ar_log_hook_fn fn);

#define AR_LOG(sub, lvl, ...)                                                                      \
    do {                                                                                           \
        if (ar_log_enabled(AR_LOG_##sub, lvl))                                                     \
            ar_log_write(AR_LOG_##sub, lvl, __VA_ARGS__);                                          \
    } while (0)
#define LOG_ERR(sub, ...)   AR_LOG(sub, AR_LOG_ERROR, __VA_ARGS__)
#define LOG_WARN(sub, ...)  AR_LOG(sub, AR_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(sub, ...)  AR_LOG(sub, AR_LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(sub, ...) AR_LOG(sub, AR_LOG_DEBUG, __VA_ARGS__)

#endif
