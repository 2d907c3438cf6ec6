/* Shutdown deadline: a thread that ends the process if the clean stop overruns its bound. */
#include "gw_stopguard.h"

#include "ar_log.h"

#include <glib.h>
#include <stdbool.h>
#include <unistd.h>

struct gw_stopguard {
    GMutex lock;
    GCond cond;
    bool done;
    int ms, exit_code;
    GThread *thread;
};

static gpointer guard_main(gpointer ud)
{
    gw_stopguard *g = ud;
    gint64 end = g_get_monotonic_time() + (gint64)g->ms * 1000;
    g_mutex_lock(&g->lock);
    while (!g->done)
        if (!g_cond_wait_until(&g->cond, &g->lock, end))
            break;
    bool overrun = !g->done;
    g_mutex_unlock(&g->lock);
    if (overrun) {
        /* Unwritten CDR rows are in the journal already (gw_db): they go in at the next
         * start. Nothing else here outlives the process. */
        LOG_ERR(core, "shutdown did not finish in %d ms: exiting now (status %d)", g->ms,
                g->exit_code);
        _exit(g->exit_code);
    }
    return NULL;
}

gw_stopguard *gw_stopguard_start(int ms, int exit_code)
{
    gw_stopguard *g = g_new0(gw_stopguard, 1);
    g_mutex_init(&g->lock);
    g_cond_init(&g->cond);
    g->ms = ms;
    g->exit_code = exit_code;
    g->thread = g_thread_try_new("stop-guard", guard_main, g, NULL);
    if (!g->thread) {
        LOG_WARN(core, "cannot start the shutdown guard thread: shutdown is not bounded");
        g_mutex_clear(&g->lock);
        g_cond_clear(&g->cond);
        g_free(g);
        return NULL;
    }
    return g;
}

void gw_stopguard_free(gw_stopguard **pg)
{
    gw_stopguard *g = *pg;
    if (!g)
        return;
    g_mutex_lock(&g->lock);
    g->done = true;
    g_cond_signal(&g->cond);
    g_mutex_unlock(&g->lock);
    g_thread_join(g->thread);
    g_mutex_clear(&g->lock);
    g_cond_clear(&g->cond);
    g_free(g);
    *pg = NULL;
}
