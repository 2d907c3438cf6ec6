/* T-Lib client sources ahead of SIP and timers in the GLib loop, with a starvation guard. */
#include "gw_tlprio.h"

#include "ar_log.h"

/* One loop thread: the T-Lib transports run on it. */
static struct {
    bool enabled;
    bool demoted;
    GPtrArray *sources; /* GSource *, not referenced: removed before they go */
    int64_t window_start, busy_us, begin_us;
    guint64 demotions;
} tp = {.enabled = true};

static void set_all(int prio)
{
    for (guint i = 0; tp.sources && i < tp.sources->len; i++)
        g_source_set_priority(tp.sources->pdata[i], prio);
}

void gw_tlprio_configure(bool enabled)
{
    tp.enabled = enabled;
}

int gw_tlprio_current(void)
{
    return tp.enabled && !tp.demoted ? GW_TLPRIO_HIGH : G_PRIORITY_DEFAULT;
}

void gw_tlprio_add(GSource *s)
{
    if (!tp.sources)
        tp.sources = g_ptr_array_new();
    g_source_set_priority(s, gw_tlprio_current());
    g_ptr_array_add(tp.sources, s);
}

void gw_tlprio_remove(GSource *s)
{
    if (tp.sources && g_ptr_array_remove_fast(tp.sources, s) && tp.sources->len == 0) {
        g_ptr_array_free(tp.sources, TRUE);
        tp.sources = NULL;
    }
}

void gw_tlprio_begin(void)
{
    int64_t now = g_get_monotonic_time();
    tp.begin_us = now;
    if (now - tp.window_start < GW_TLPRIO_WINDOW_US)
        return;
    tp.window_start = now;
    tp.busy_us = 0;
    if (tp.demoted) {
        tp.demoted = false;
        set_all(gw_tlprio_current());
    }
}

void gw_tlprio_end(void)
{
    if (!tp.enabled || !tp.begin_us)
        return;
    tp.busy_us += g_get_monotonic_time() - tp.begin_us;
    tp.begin_us = 0;
    if (tp.demoted || tp.busy_us * 100 <= (int64_t)GW_TLPRIO_WINDOW_US * GW_TLPRIO_SHARE_PCT)
        return;
    tp.demoted = true;
    set_all(G_PRIORITY_DEFAULT);
    /* One line per 1024 demotions: a busy client may cause one per window. */
    if (tp.demotions++ % 1024 == 0)
        LOG_INFO(tlib,
                 "T-Lib input took %lld us of the last %d ms: SIP and T-Lib share the loop "
                 "until the window ends (%llu times so far)",
                 (long long)tp.busy_us, GW_TLPRIO_WINDOW_US / 1000,
                 (unsigned long long)tp.demotions);
}

guint64 gw_tlprio_demotions(void)
{
    return tp.demotions;
}
