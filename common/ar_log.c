/* Logging: per-subsystem levels, timestamped lines written to stderr in one call each. */
#include "ar_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const subsys_names[AR_LOG_NSUBSYS] = {
#define AR_LOG_SUB_NAME(name) #name,
    AR_LOG_SUBSYS(AR_LOG_SUB_NAME)
#undef AR_LOG_SUB_NAME
};

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

/* Atomics because worker threads read the levels while a SIGHUP reload may set them. */
static _Atomic int levels[AR_LOG_NSUBSYS] = {
#define AR_LOG_SUB_DEFAULT(name) AR_LOG_INFO,
    AR_LOG_SUBSYS(AR_LOG_SUB_DEFAULT)
#undef AR_LOG_SUB_DEFAULT
};

static char ident[32] = "arec";
static _Atomic(ar_log_hook_fn) log_hook;

void ar_log_set_hook(ar_log_hook_fn fn)
{
    atomic_store(&log_hook, fn);
}

void ar_log_set_level(int subsys, ar_log_level lvl)
{
    if (subsys < 0) {
        for (int i = 0; i < AR_LOG_NSUBSYS; i++)
            atomic_store(&levels[i], (int)lvl);
    } else if (subsys < AR_LOG_NSUBSYS) {
        atomic_store(&levels[subsys], (int)lvl);
    }
}

static int parse_level(const char *s, size_t n, ar_log_level *out)
{
    static const struct {
        const char *name;
        ar_log_level lvl;
    } names[] = {{"error", AR_LOG_ERROR},  {"err", AR_LOG_ERROR}, {"warn", AR_LOG_WARN},
                 {"warning", AR_LOG_WARN}, {"info", AR_LOG_INFO}, {"debug", AR_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == n && strncasecmp(s, names[i].name, n) == 0) {
            *out = names[i].lvl;
            return 0;
        }
    }
    return -1;
}

int ar_log_parse(const char *spec)
{
    int newlv[AR_LOG_NSUBSYS];
    for (int i = 0; i < AR_LOG_NSUBSYS; i++)
        newlv[i] = atomic_load(&levels[i]);
    /* Validate the whole spec before applying any of it: a typo changes nothing. */
    const char *p = spec;
    if (!p || !*p)
        return -1;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        ar_log_level lvl;
        if (!eq) {
            if (parse_level(p, n, &lvl) < 0)
                return -1;
            for (int i = 0; i < AR_LOG_NSUBSYS; i++)
                newlv[i] = (int)lvl;
        } else {
            size_t kn = (size_t)(eq - p);
            int sub = -1;
            for (int i = 0; i < AR_LOG_NSUBSYS; i++) {
                if (strlen(subsys_names[i]) == kn && strncmp(p, subsys_names[i], kn) == 0)
                    sub = i;
            }
            if (sub < 0 || parse_level(eq + 1, n - kn - 1, &lvl) < 0)
                return -1;
            newlv[sub] = (int)lvl;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    for (int i = 0; i < AR_LOG_NSUBSYS; i++)
        atomic_store(&levels[i], newlv[i]);
    return 0;
}

void ar_log_set_ident(const char *id)
{
    snprintf(ident, sizeof ident, "%s", id ? id : "arec");
}

int ar_log_enabled(ar_log_subsys s, ar_log_level lvl)
{
    if ((unsigned)s >= AR_LOG_NSUBSYS)
        return 0;
    return (int)lvl <= atomic_load_explicit(&levels[s], memory_order_relaxed);
}

void ar_log_write(ar_log_subsys s, ar_log_level lvl, const char *fmt, ...)
{
    char stack[1024];
    char *buf = stack;
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    const char *sname = (unsigned)s < AR_LOG_NSUBSYS ? subsys_names[s] : "?";
    const char *lname = (unsigned)lvl <= AR_LOG_DEBUG ? level_names[lvl] : "?";
    int hn = snprintf(stack, sizeof stack,
                      "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s: ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                      ts.tv_nsec / 1000000, ident, lname, sname);
    if (hn < 0 || (size_t)hn >= sizeof stack)
        return;
    va_list ap;
    va_start(ap, fmt);
    int mn = vsnprintf(stack + hn, sizeof stack - (size_t)hn, fmt, ap);
    va_end(ap);
    if (mn < 0)
        return;
    size_t total = (size_t)hn + (size_t)mn;
    if (total + 2 > sizeof stack) {
        /* Long record: format again into a heap buffer rather than truncating it. */
        char *big = malloc(total + 2);
        if (big) {
            memcpy(big, stack, (size_t)hn);
            va_start(ap, fmt);
            vsnprintf(big + hn, (size_t)mn + 1, fmt, ap);
            va_end(ap);
            buf = big;
        } else {
            total = sizeof stack - 2;
        }
    }
    /* One record = one line: embedded newlines from peer data must not forge records. */
    for (size_t i = (size_t)hn; i < total; i++) {
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    }
    buf[total] = '\n';
    /* A single fwrite on unbuffered stderr is one write(2): threads never interleave. */
    fwrite(buf, 1, total + 1, stderr);
    ar_log_hook_fn hook = atomic_load(&log_hook);
    if (hook && lvl <= AR_LOG_WARN) {
        buf[total] = '\0';
        hook(s, lvl, buf + hn);
    }
    if (buf != stack)
        free(buf);
}
