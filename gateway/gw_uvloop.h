/* A libuv loop run inside the GLib main loop: one epoll fd in GLib's poll set for many sockets. */
#ifndef GW_UVLOOP_H
#define GW_UVLOOP_H

#include <glib.h>
#include <uv.h>

typedef struct gw_uvloop gw_uvloop;

/*
 * Why: GLib polls every source's fd on every main-loop iteration (poll(2) plus a walk of
 * the sources), so 1,000 idle WebSocket connections cost O(1,000) per SIP packet. libuv
 * keeps them in one epoll set; GLib sees only its backend fd and wakes it when one is ready.
 */
gw_uvloop *gw_uvloop_new(GMainContext *ctx);
uv_loop_t *gw_uvloop_loop(gw_uvloop *u);
/* Run the loop (without waiting) until it has nothing left to do, bounded. */
void gw_uvloop_drain(gw_uvloop *u);
/*
 * Run the loop until its handles have closed (lws closes its own after
 * lws_context_destroy), bounded; handles still open after that are closed here. Then free.
 */
void gw_uvloop_free(gw_uvloop **u);

#endif
