/* sip-stack-thread: nua's events reach the loop in batches from the SIP stack's own thread. */
#include "gw_sipthread.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ar_log.h"

struct gw_sipthread {
    GSource *gs;
    void (*begin)(void *ud);
    void (*end)(void *ud);
    void *ud;
    bool open; /* begin() ran for the dispatch in progress */
    uint64_t events;
    uint64_t batches;
};

/*
 * sofia's su_source_dispatch calls the source's callback when it has delivered the
 * queued messages, timers and fds: the end of a batch. The first event of the batch
 * opened it (gw_sipthread_event), so a dispatch that only ran a timer costs nothing.
 */
static gboolean on_dispatched(gpointer ud)
{
    gw_sipthread *t = ud;
    if (t->open) {
        t->open = false;
        t->batches++;
        if (t->end)
            t->end(t->ud);
    }
    return G_SOURCE_CONTINUE;
}

gw_sipthread *gw_sipthread_new(GSource *gs, void (*begin)(void *ud), void (*end)(void *ud),
                               void *ud)
{
    gw_sipthread *t = g_new0(gw_sipthread, 1);
    t->gs = gs; /* not a reference: gw_sip frees this before it destroys the root */
    t->begin = begin;
    t->end = end;
    t->ud = ud;
    g_source_set_callback(gs, on_dispatched, t, NULL);
    return t;
}

void gw_sipthread_event(gw_sipthread *t)
{
    t->events++;
    if (t->open)
        return;
    t->open = true;
    if (t->begin)
        t->begin(t->ud);
}

uint64_t gw_sipthread_events(const gw_sipthread *t)
{
    return t ? t->events : 0;
}

uint64_t gw_sipthread_batches(const gw_sipthread *t)
{
    return t ? t->batches : 0;
}

void gw_sipthread_free(gw_sipthread **pt)
{
    gw_sipthread *t = *pt;
    if (!t)
        return;
    /* An event delivered outside a dispatch (the shutdown waits iterate the loop, but
     * su_clone_wait may deliver the last ones itself): its batch ends here. */
    if (t->open)
        on_dispatched(t);
    g_source_set_callback(t->gs, NULL, NULL, NULL);
    g_free(t);
    *pt = NULL;
}

GArray *gw_sipthread_tasks(void)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(long));
    GDir *d = g_dir_open("/proc/self/task", 0, NULL);
    if (!d)
        return ids;
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        long id = strtol(name, NULL, 10);
        if (id > 0)
            g_array_append_val(ids, id);
    }
    g_dir_close(d);
    return ids;
}

static bool has_task(const GArray *ids, long id)
{
    for (guint i = 0; i < ids->len; i++)
        if (g_array_index(ids, long, i) == id)
            return true;
    return false;
}

int gw_sipthread_name_new(GArray *before, const char *name)
{
    GArray *now = gw_sipthread_tasks();
    int named = 0;
    for (guint i = 0; i < now->len; i++) {
        long id = g_array_index(now, long, i);
        if (has_task(before, id))
            continue;
        /* /proc/self/task/N/comm: the thread's name, as pthread_setname_np() writes it. */
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%ld/comm", id);
        FILE *f = fopen(path, "w"); /* not g_file_set_contents: it renames a temporary */
        bool ok = f && fputs(name, f) >= 0;
        if (f && fclose(f) != 0)
            ok = false;
        if (ok)
            named++;
        else
            LOG_DEBUG(sip, "cannot name thread %ld", id);
    }
    g_array_free(now, TRUE);
    return named;
}

void gw_sipthread_block_signals(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    /* Faults stay deliverable: the sanitizers and a core dump need them. */
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGABRT);
    sigdelset(&all, SIGTRAP);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

void gw_sipthread_restore_signals(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}
