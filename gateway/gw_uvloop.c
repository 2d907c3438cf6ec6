/* A libuv loop run inside the GLib main loop: one epoll fd in GLib's poll set for many sockets. */
#include "gw_uvloop.h"

#include "ar_log.h"
#include "gw_looptime.h"
#include "gw_tlprio.h"

#define DRAIN_ROUNDS 1000 /* uv_run(NOWAIT) rounds at most when freeing: close callbacks */
/*
 * uv_run(NOWAIT) rounds per dispatch at most. A request read in one round is answered
 * with lws_callback_on_writable(), which libuv applies (epoll_ctl) only in the next
 * round: with one round per dispatch the answer waited for a whole GLib iteration, SIP
 * batch included. Rounds go on while libuv has work at once (pending watcher changes
 * make uv_backend_timeout() 0), so the answer leaves in the dispatch that read the
 * request.
 */
#define DISPATCH_ROUNDS 4

typedef struct {
    GSource base;
    gw_uvloop *u;
} uv_gsource;

struct gw_uvloop {
    uv_loop_t loop;
    uv_gsource *src;
    gpointer tag; /* the backend fd in the GSource's poll set */
};

static gboolean src_prepare(GSource *s, gint *timeout)
{
    uv_loop_t *loop = &((uv_gsource *)s)->u->loop;
    /* 0 also when watchers wait to be added to epoll: only uv_run applies them. */
    uv_update_time(loop);
    int t = uv_backend_timeout(loop);
    *timeout = t;
    return t == 0;
}

static gboolean src_check(GSource *s)
{
    uv_gsource *us = (uv_gsource *)s;
    if (g_source_query_unix_fd(s, us->u->tag) & G_IO_IN)
        return TRUE;
    uv_update_time(&us->u->loop);
    return uv_backend_timeout(&us->u->loop) == 0;
}

static gboolean src_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    (void)cb;
    (void)data;
    uv_gsource *us = (uv_gsource *)s;
    uv_loop_t *loop = &us->u->loop;
    if (g_source_query_unix_fd(s, us->u->tag) & G_IO_IN)
        gw_looptime_tlib_input();
    gw_tlprio_begin();
    for (int i = 0; i < DISPATCH_ROUNDS; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        if (uv_backend_timeout(loop) != 0)
            break;
    }
    gw_tlprio_end();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs uv_funcs = {src_prepare, src_check, src_dispatch, NULL, NULL, NULL};

gw_uvloop *gw_uvloop_new(GMainContext *ctx)
{
    gw_uvloop *u = g_new0(gw_uvloop, 1);
    int rc = uv_loop_init(&u->loop);
    if (rc) {
        LOG_ERR(ws, "uv_loop_init: %s", uv_strerror(rc));
        g_free(u);
        return NULL;
    }
    u->src = (uv_gsource *)g_source_new(&uv_funcs, sizeof(uv_gsource));
    u->src->u = u;
    g_source_set_name(&u->src->base, "libuv");
    u->tag = g_source_add_unix_fd(&u->src->base, uv_backend_fd(&u->loop), G_IO_IN);
    gw_tlprio_add(&u->src->base); /* the desktops' WebSockets are T-Lib clients */
    g_source_attach(&u->src->base, ctx);
    return u;
}

uv_loop_t *gw_uvloop_loop(gw_uvloop *u)
{
    return &u->loop;
}

static void close_left(uv_handle_t *h, void *arg)
{
    (*(int *)arg)++;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void gw_uvloop_drain(gw_uvloop *u)
{
    for (int i = 0; u && i < DRAIN_ROUNDS && uv_loop_alive(&u->loop); i++)
        uv_run(&u->loop, UV_RUN_NOWAIT);
}

void gw_uvloop_free(gw_uvloop **pu)
{
    gw_uvloop *u = *pu;
    if (!u)
        return;
    gw_uvloop_drain(u);
    int left = 0;
    uv_walk(&u->loop, close_left, &left);
    if (left)
        LOG_DEBUG(ws, "libuv loop: closing %d handles left open", left);
    for (int i = 0; i < DRAIN_ROUNDS && uv_loop_alive(&u->loop); i++)
        uv_run(&u->loop, UV_RUN_NOWAIT);
    gw_tlprio_remove(&u->src->base);
    g_source_destroy(&u->src->base);
    g_source_unref(&u->src->base);
    int rc = uv_loop_close(&u->loop);
    if (rc)
        LOG_ERR(ws, "uv_loop_close: %s", uv_strerror(rc));
    g_free(u);
    *pu = NULL;
}
