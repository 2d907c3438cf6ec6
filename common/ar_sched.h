/* CPU scheduling a deployment asks a daemon for: real-time priority or a short EEVDF slice. */
#ifndef AR_SCHED_H
#define AR_SCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "ar_log.h"

typedef enum {
    AR_SCHED_DEFAULT = 0, /* leave the kernel's SCHED_OTHER as started */
    AR_SCHED_RR,          /* SCHED_RR, priority 1-99 */
    AR_SCHED_FIFO,        /* SCHED_FIFO, priority 1-99 */
    AR_SCHED_SLICE,       /* SCHED_OTHER with a custom slice (Linux >= 6.12 EEVDF) */
} ar_sched_kind;

typedef struct {
    ar_sched_kind kind;
    int priority;      /* RR / FIFO */
    unsigned slice_us; /* SLICE: 100-100000 */
} ar_sched_spec;

/*
 * Parses "default", "rr:N", "fifo:N" (N 1-99) or "slice:US" (US 100-100000 microseconds).
 * Returns false and writes why into err on anything else.
 */
bool ar_sched_parse(const char *text, ar_sched_spec *out, char *err, size_t errlen);

/* The spec back as text ("rr:10"), for logs and /metrics; buf of >= 24 bytes. */
const char *ar_sched_format(const ar_sched_spec *s, char *buf, size_t len);

/*
 * Applies s to thread tid (a kernel thread id; 0 = the calling thread); threads it
 * starts afterwards inherit it (pthreads' default PTHREAD_INHERIT_SCHED, and clone()
 * keeps a custom slice). Returns false with the reason in err when the kernel refuses
 * (no CAP_SYS_NICE / RLIMIT_RTPRIO for real time, a kernel without custom slices); the
 * thread then keeps what it had.
 */
bool ar_sched_apply(const ar_sched_spec *s, int tid, char *err, size_t errlen);

/*
 * ar_sched_apply for a daemon's setting `what` (its configuration key), logged in subsystem
 * sub: nothing for the default, an info line when applied to `whom`, a warning with the
 * kernel's reason when refused (the daemon goes on with the default).
 */
void ar_sched_apply_logged(const ar_sched_spec *s, int tid, ar_log_subsys sub, const char *what,
                           const char *whom);

#endif
