/* sip-stack-thread: nua's events reach the loop in batches from the SIP stack's own thread. */
#include "gw_sipthread.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ar_log.h"
#include "gw_sipio.h"
#include "gw_wakeup.h"

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

/* The kernel id of the SIP stack's thread, 0 before gw_sipthread_adopt(). */
static atomic_long stack_tid;

static int name_new(GArray *before, const char *name, bool adopt)
{
    GArray *now = gw_sipthread_tasks();
    int named = 0, fresh = 0;
    long last = 0;
    for (guint i = 0; i < now->len; i++) {
        long id = g_array_index(now, long, i);
        if (has_task(before, id))
            continue;
        fresh++;
        last = id;
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
    /* Only a thread known for sure may put its wake-ups off: one other thread started
     * meanwhile (by a library) and not waiting in epoll_wait would lose them. */
    if (adopt && fresh == 1)
        atomic_store(&stack_tid, last);
    else if (adopt)
        LOG_WARN(sip, "%d threads started with the SIP stack: its wake-ups not coalesced", fresh);
    return named;
}

int gw_sipthread_name_new(GArray *before, const char *name)
{
    return name_new(before, name, false);
}

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
static epoll_wait_fn real_epoll_wait;

static epoll_wait_fn libc_epoll_wait(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        void *sym = dlsym(RTLD_NEXT, "epoll_wait");
        real_epoll_wait = (epoll_wait_fn)(uintptr_t)sym;
        g_once_init_leave(&once, 1);
    }
    return real_epoll_wait;
}

int gw_sipthread_adopt(GArray *before, const char *name)
{
    /* Resolved now, not on the stack's thread under load. */
    if (!libc_epoll_wait()) {
        LOG_WARN(sip, "epoll_wait: libc's function not found: wake-ups not coalesced");
        return name_new(before, name, false);
    }
    return name_new(before, name, true);
}

/* Per thread: 0 = not known yet, 1 = the SIP stack's, 2 = another. */
static _Thread_local int role;
/* The stack thread's put-off wake-up: since when, and how many of its waits ago. */
static _Thread_local bool pending;
static _Thread_local int pending_rounds;
static _Thread_local gint64 pending_since;
static _Thread_local int kept_rounds; /* rounds on read-ahead datagrams since a real look */
static atomic_ullong n_deferred, n_given;

/* Decided in epoll_wait: a thread defers only once it is known to wait there. */
static void learn_role(void)
{
    if (role == 0) {
        long tid = atomic_load(&stack_tid);
        if (tid == 0)
            return; /* not adopted yet: decide on a later call */
        role = (long)syscall(SYS_gettid) == tid ? 1 : 2;
    }
}

bool gw_sipthread_on_stack(void)
{
    learn_role();
    return role == 1;
}

bool gw_sipthread_defer_wakeup(GMainContext *context)
{
    if (context && context != g_main_context_default())
        return false;
    if (role != 1)
        return false;
    if (!pending) {
        pending = true;
        pending_rounds = 0;
        pending_since = g_get_monotonic_time();
    }
    atomic_fetch_add_explicit(&n_deferred, 1, memory_order_relaxed);
    return true;
}

/* One more round of a put-off wake-up: false once its bound (rounds or time) is reached. */
static bool defer_left(void)
{
    return ++pending_rounds < GW_SIPTHREAD_DEFER_ROUNDS &&
           g_get_monotonic_time() - pending_since < GW_SIPTHREAD_DEFER_US;
}

static void give(void)
{
    pending = false;
    atomic_fetch_add_explicit(&n_given, 1, memory_order_relaxed);
    gw_wakeup_now(NULL);
}

/*
 * sofia-sip's epoll port (su_epoll_port.c, the stack thread's reactor) waits here; this
 * definition in the executable is the one the library resolves, as gw_wakeup.c's. Only
 * the stack's thread does anything but call libc: with a wake-up put off it first looks
 * without waiting, goes on with what is ready while the bound allows, and gives the
 * wake-up before it would block; with datagrams read ahead (sip-batch-io, gw_sipio.h)
 * their sockets are ready without a wait; its queued datagrams go out when due.
 */
int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    epoll_wait_fn real = libc_epoll_wait();
    learn_role();
    if (role != 1)
        return real(epfd, events, maxevents, timeout);
    /* Datagrams read ahead (gw_sipio.h) are ready now, without a wait; what else is
     * ready (the loop's messages, other sockets) is looked at every
     * GW_SIPTHREAD_KEPT_LOOK rounds, not at each datagram. */
    int kept = gw_sipio_ready(epfd, events, maxevents);
    if (kept > 0) {
        bool look = ++kept_rounds >= GW_SIPTHREAD_KEPT_LOOK;
        if (look)
            kept_rounds = 0;
        int n = look && kept < maxevents ? real(epfd, events + kept, maxevents - kept, 0) : 0;
        int total = kept;
        for (int i = 0; i < n; i++) {
            bool dup = false;
            for (int j = 0; j < kept; j++)
                dup = dup || events[j].data.u64 == events[kept + i].data.u64;
            if (!dup)
                events[total++] = events[kept + i];
        }
        if (pending && !defer_left())
            give();
        gw_sipio_round(false);
        gw_sipio_returned(epfd, events, total);
        return total;
    }
    if (pending) {
        if (defer_left()) {
            int n = real(epfd, events, maxevents, 0);
            if (n != 0 || timeout == 0) {
                /* Nothing ready and the reactor would not wait: its own call would only
                 * repeat this one. */
                if (n == 0)
                    give();
                gw_sipio_round(false);
                gw_sipio_returned(epfd, events, n);
                return n;
            }
        }
        give();
    }
    gw_sipio_round(timeout != 0); /* nothing goes out late because the thread sleeps */
    int n = real(epfd, events, maxevents, timeout);
    gw_sipio_returned(epfd, events, n);
    return n;
}

long gw_sipthread_tid(void)
{
    return atomic_load(&stack_tid);
}

uint64_t gw_sipthread_deferred(void)
{
    return atomic_load_explicit(&n_deferred, memory_order_relaxed);
}

uint64_t gw_sipthread_given(void)
{
    return atomic_load_explicit(&n_given, memory_order_relaxed);
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
