/* Load shedding: limits on calls in progress, new calls and REGISTERs per second. */
#include "gw_overload.h"

#include <glib.h>

#define NVERDICTS 4

/* Token bucket: `rate` tokens a second, at most one second's worth saved (the burst). */
typedef struct {
    double tokens;
    int64_t last_us;
    int rate; /* the rate the bucket was filled for: a reload resets it */
} bucket;

struct gw_overload {
    bucket calls, registers;
    uint64_t shed[NVERDICTS];
    int64_t logged_us[NVERDICTS];
};

gw_overload *gw_overload_new(void)
{
    return g_new0(gw_overload, 1);
}

void gw_overload_free(gw_overload **po)
{
    g_free(*po);
    *po = NULL;
}

static int take(bucket *b, int rate, int64_t now_us)
{
    if (b->rate != rate || b->last_us == 0) {
        b->rate = rate;
        b->tokens = rate;
        b->last_us = now_us;
    }
    if (now_us > b->last_us) {
        b->tokens += (double)rate * (double)(now_us - b->last_us) / 1e6;
        if (b->tokens > rate)
            b->tokens = rate;
        b->last_us = now_us;
    }
    if (b->tokens < 1.0)
        return 0;
    b->tokens -= 1.0;
    return 1;
}

static gw_ol_verdict refuse(gw_overload *o, gw_ol_verdict v)
{
    o->shed[v]++;
    return v;
}

gw_ol_verdict gw_overload_call(gw_overload *o, const gw_ol_limits *lim, size_t in_progress,
                               int64_t now_us)
{
    /* The count first: a call refused for capacity does not spend a rate token. */
    if (lim->max_calls > 0 && in_progress >= (size_t)lim->max_calls)
        return refuse(o, GW_OL_MAX_CALLS);
    if (lim->max_call_rate > 0 && !take(&o->calls, lim->max_call_rate, now_us))
        return refuse(o, GW_OL_CALL_RATE);
    return GW_OL_ADMIT;
}

gw_ol_verdict gw_overload_register(gw_overload *o, const gw_ol_limits *lim, int64_t now_us)
{
    if (lim->max_register_rate > 0 && !take(&o->registers, lim->max_register_rate, now_us))
        return refuse(o, GW_OL_REGISTER_RATE);
    return GW_OL_ADMIT;
}

const char *gw_overload_reason(gw_ol_verdict v)
{
    switch (v) {
    case GW_OL_MAX_CALLS:
        return "overload: max-calls reached";
    case GW_OL_CALL_RATE:
        return "overload: max-call-rate exceeded";
    case GW_OL_REGISTER_RATE:
        return "overload: max-register-rate exceeded";
    default:
        return "admitted";
    }
}

uint64_t gw_overload_shed(const gw_overload *o, gw_ol_verdict v)
{
    return o && (unsigned)v < NVERDICTS ? o->shed[v] : 0;
}

int gw_overload_should_log(gw_overload *o, gw_ol_verdict v, int64_t now_us)
{
    if ((unsigned)v >= NVERDICTS)
        return 0;
    if (o->logged_us[v] && now_us - o->logged_us[v] < 1000000)
        return 0;
    o->logged_us[v] = now_us;
    return 1;
}
