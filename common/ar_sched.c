/* CPU scheduling a deployment asks a daemon for: real-time priority or a short EEVDF slice. */
#include "ar_sched.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct sched_attr, version 0 (48 bytes): glibc 2.36 has no wrapper. */
typedef struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
} kattr;

static bool number(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool ar_sched_parse(const char *text, ar_sched_spec *out, char *err, size_t errlen)
{
    ar_sched_spec s = {0};
    long v;
    if (!text || !*text || !strcmp(text, "default")) {
        *out = s;
        return true;
    }
    if (!strncmp(text, "rr:", 3) || !strncmp(text, "fifo:", 5)) {
        bool rr = text[0] == 'r';
        if (!number(text + (rr ? 3 : 5), 1, 99, &v)) {
            snprintf(err, errlen, "\"%s\": the real-time priority is 1-99", text);
            return false;
        }
        s.kind = rr ? AR_SCHED_RR : AR_SCHED_FIFO;
        s.priority = (int)v;
    } else if (!strncmp(text, "slice:", 6)) {
        /* The kernel's bounds for a custom slice: 0.1 ms to 100 ms. */
        if (!number(text + 6, 100, 100000, &v)) {
            snprintf(err, errlen, "\"%s\": the slice is 100-100000 microseconds", text);
            return false;
        }
        s.kind = AR_SCHED_SLICE;
        s.slice_us = (unsigned)v;
    } else {
        snprintf(err, errlen, "\"%s\": expected default, rr:N, fifo:N or slice:US", text);
        return false;
    }
    *out = s;
    return true;
}

const char *ar_sched_format(const ar_sched_spec *s, char *buf, size_t len)
{
    switch (s->kind) {
    case AR_SCHED_RR:
        snprintf(buf, len, "rr:%d", s->priority);
        break;
    case AR_SCHED_FIFO:
        snprintf(buf, len, "fifo:%d", s->priority);
        break;
    case AR_SCHED_SLICE:
        snprintf(buf, len, "slice:%u", s->slice_us);
        break;
    default:
        snprintf(buf, len, "default");
    }
    return buf;
}

static bool apply_slice(unsigned slice_us, int tid, char *err, size_t errlen)
{
    kattr a = {.size = sizeof a, .sched_policy = SCHED_OTHER};
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)tid); /* the thread's: keep it */
    if (nice == -1 && errno)
        nice = 0;
    a.sched_nice = nice;
    a.sched_runtime = (uint64_t)slice_us * 1000;
    if (syscall(SYS_sched_setattr, tid, &a, 0) != 0) {
        snprintf(err, errlen, "sched_setattr: %s", strerror(errno));
        return false;
    }
    /* Kernels before 6.12 accept sched_runtime for SCHED_OTHER and ignore it: only the
     * value read back says whether the slice took. */
    kattr got = {0};
    if (syscall(SYS_sched_getattr, tid, &got, sizeof got, 0) != 0 || got.sched_runtime == 0) {
        snprintf(err, errlen, "this kernel has no custom slices (Linux 6.12 or later)");
        return false;
    }
    return true;
}

bool ar_sched_apply(const ar_sched_spec *s, int tid, char *err, size_t errlen)
{
    if (s->kind == AR_SCHED_DEFAULT)
        return true;
    if (s->kind == AR_SCHED_SLICE)
        return apply_slice(s->slice_us, tid, err, errlen);
    struct sched_param p = {.sched_priority = s->priority};
    int policy = s->kind == AR_SCHED_RR ? SCHED_RR : SCHED_FIFO;
    if (sched_setscheduler(tid, policy, &p) != 0) {
        snprintf(err, errlen, "sched_setscheduler(%s, %d): %s%s",
                 policy == SCHED_RR ? "SCHED_RR" : "SCHED_FIFO", s->priority, strerror(errno),
                 errno == EPERM ? " (needs CAP_SYS_NICE or LimitRTPRIO)" : "");
        return false;
    }
    return true;
}

void ar_sched_apply_logged(const ar_sched_spec *s, int tid, ar_log_subsys sub, const char *what,
                           const char *whom)
{
    char spec[32], why[200];
    if (s->kind == AR_SCHED_DEFAULT)
        return;
    ar_sched_format(s, spec, sizeof spec);
    if (ar_sched_apply(s, tid, why, sizeof why))
        ar_log_write(sub, AR_LOG_INFO, "%s %s: %s", what, spec, whom);
    else
        ar_log_write(sub, AR_LOG_WARN, "%s %s not applied: %s", what, spec, why);
}
