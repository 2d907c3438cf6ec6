/* A libuv loop run inside the GLib main loop: one epoll fd in GLib's poll set for many sockets. */
#include "gw_uvloop.h"

#include "ar_log.h"

#define DRAIN_ROUNDS 1000 /* uv_run(NOWAIT) rounds at most when freeing: close callbacks */

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
    uv_run(&((uv_gsource *)s)->u->loop, UV_RUN_NOWAIT);
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
    g_source_destroy(&u->src->base);
    g_source_unref(&u->src->base);
    int rc = uv_loop_close(&u->loop);
    if (rc)
        LOG_ERR(ws, "uv_loop_close: %s", uv_strerror(rc));
    g_free(u);
    *pu = NULL;
}
