/* sofia-sip's GSource without a busy loop before its timers: under 1 ms, wait in poll. */
#include "gw_sipspin.h"

#include <stddef.h>

#include "gw_wakeup.h"

struct gw_sipspin {
    GSourceFuncs funcs; /* first: the source's funcs pointer leads back here */
    const GSourceFuncs *orig;
    GSource *gs;
    uint64_t mark; /* gw_wakeup_requests() when sofia's last dispatch began */
    uint64_t deferred;
};

static gw_sipspin *of(GSource *gs)
{
    return (gw_sipspin *)(void *)gs->source_funcs;
}

static gboolean spin_prepare(GSource *gs, gint *timeout)
{
    gw_sipspin *s = of(gs);
    gboolean ready = s->orig->prepare(gs, timeout);
    if (!ready || *timeout != 0 || gw_wakeup_requests() != s->mark)
        return ready;
    s->deferred++;
    *timeout = 1;
    return FALSE;
}

static gboolean spin_dispatch(GSource *gs, GSourceFunc cb, gpointer ud)
{
    gw_sipspin *s = of(gs);
    /* Before: messages queued while sofia processes its queue ask for a wake-up. */
    s->mark = gw_wakeup_requests();
    return s->orig->dispatch(gs, cb, ud);
}

gw_sipspin *gw_sipspin_new(GSource *gs)
{
    gw_sipspin *s = g_new0(gw_sipspin, 1);
    s->orig = gs->source_funcs;
    s->funcs = *s->orig;
    s->funcs.prepare = spin_prepare;
    s->funcs.dispatch = spin_dispatch;
    s->gs = gs;
    s->mark = (uint64_t)-1; /* trust sofia until its first dispatch */
    gs->source_funcs = &s->funcs;
    return s;
}

void gw_sipspin_free(gw_sipspin **ps)
{
    gw_sipspin *s = *ps;
    if (!s)
        return;
    s->gs->source_funcs = s->orig;
    g_free(s);
    *ps = NULL;
}

uint64_t gw_sipspin_deferred(const gw_sipspin *s)
{
    return s ? s->deferred : 0;
}
