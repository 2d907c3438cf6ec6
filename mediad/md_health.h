/* mediad's answer to gatewayd's OPTIONS health checks: a small JSON body of counters. */
#ifndef MD_HEALTH_H
#define MD_HEALTH_H

#include <stddef.h>

#include "md_sip.h"

#define MD_HEALTH_CT "application/json"

/*
 * Write {"sessions":N,"recordings":N,"streams":N,"packetsIn":N,"packetsOut":N,
 * "packetsLost":N,"malformed":N} into buf (NUL-terminated, cut to cap): the calls in
 * progress and the packet counters summed over their streams (party legs and recorder
 * sessions; a stream's counters leave the sums when its call ends). Control thread only.
 * Returns the length written.
 */
size_t md_health_body(md_ctx *ctx, char *buf, size_t cap);

#endif
