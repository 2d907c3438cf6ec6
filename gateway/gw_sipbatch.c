/* Several SIP datagrams per main-loop iteration: sofia's GSource re-dispatched while readable. */
#include "gw_sipbatch.h"

#include "gw_looptime.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>

/* Fds polled per round: sofia's sockets (UDP, TCP listeners and connections, TLS). */
#define BATCH_MAX_FDS 256

struct gw_sipbatch {
    GSource *gs;
    int max_rounds;
    int max_us; /* 0: no time bound */
    uint64_t rounds;
    void (*begin)(void *ud);
    void (*end)(void *ud);
    void *ud;
};

/*
 * One 0-timeout poll of the source's fds; their revents are set from it (0 for the
 * fds not ready, so sofia's dispatch calls back only the ready ones). Returns whether
 * any is ready. The GPollFD list is GSource's own (gmain.h's struct; sofia's su_wait_t
 * array registered with g_source_add_poll): read afresh every round because a
 * callback may register or drop sockets.
 */
static bool poll_ready(GSource *gs)
{
    GPollFD *recs[BATCH_MAX_FDS];
    struct pollfd fds[BATCH_MAX_FDS];
    nfds_t n = 0;
    for (GSList *l = gs->poll_fds; l && n < BATCH_MAX_FDS; l = l->next) {
        GPollFD *p = l->data;
        recs[n] = p;
        fds[n].fd = p->fd;
        fds[n].events = (short)p->events;
        fds[n].revents = 0;
        n++;
    }
    int r;
    do
        r = poll(fds, n, 0);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return false;
    for (nfds_t i = 0; i < n; i++)
        recs[i]->revents = (gushort)fds[i].revents;
    /* Past the cap (hundreds of TCP connections): left to GLib's own poll, and their
     * revents of this iteration already served, so sofia must not see them again. */
    GSList *l = gs->poll_fds;
    for (nfds_t i = 0; l && i < n; i++)
        l = l->next;
    for (; l; l = l->next)
        ((GPollFD *)l->data)->revents = 0;
    return true;
}

/* Called by sofia's dispatch when it is done; the inner dispatches get no callback. */
static gboolean on_dispatched(gpointer ud)
{
    gw_sipbatch *b = ud;
    GSourceFunc none = NULL;
    int64_t t0 = g_get_monotonic_time(), t = t0;
    int i = 1;
    for (; i < b->max_rounds && (!b->max_us || t - t0 < b->max_us) && poll_ready(b->gs); i++) {
        if (i == 1 && b->begin)
            b->begin(b->ud);
        b->gs->source_funcs->dispatch(b->gs, none, NULL);
        b->rounds++;
        t = g_get_monotonic_time();
    }
    if (i > 1 && b->end)
        b->end(b->ud);
    if (i > 1)
        gw_looptime_sip_batch(t - t0);
    return G_SOURCE_CONTINUE;
}

gw_sipbatch *gw_sipbatch_new(GSource *gs, int max_rounds)
{
    gw_sipbatch *b = g_new0(gw_sipbatch, 1);
    b->gs = gs; /* not a reference: gw_sip frees this before it destroys the root */
    b->max_rounds = max_rounds < 1 ? 1 : max_rounds;
    if (b->max_rounds > 1)
        g_source_set_callback(gs, on_dispatched, b, NULL);
    return b;
}

void gw_sipbatch_set_hooks(gw_sipbatch *b, void (*begin)(void *ud), void (*end)(void *ud), void *ud)
{
    b->begin = begin;
    b->end = end;
    b->ud = ud;
}

void gw_sipbatch_set_max_us(gw_sipbatch *b, int max_us)
{
    b->max_us = max_us > 0 ? max_us : 0;
}

void gw_sipbatch_free(gw_sipbatch **pb)
{
    gw_sipbatch *b = *pb;
    if (!b)
        return;
    if (b->max_rounds > 1)
        g_source_set_callback(b->gs, NULL, NULL, NULL);
    g_free(b);
    *pb = NULL;
}

uint64_t gw_sipbatch_rounds(const gw_sipbatch *b)
{
    return b ? b->rounds : 0;
}
