/* Desktop sessions on WebSocket: token auth, scope, per-connection seq, replay ring, snapshots. */
#ifndef GW_DESK_H
#define GW_DESK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar_buf.h"
#include "gw_client.h"
#include "gw_server.h"
#include "tl_msg.h"

struct lws;
typedef struct gw_desk gw_desk;

/* Close codes sent on /tlib and /status (docs/websocket-api.md). */
#define GW_WS_CLOSE_AUTH_FAILED  4001 /* bad or missing token */
#define GW_WS_CLOSE_AUTH_TIMEOUT 4002 /* /status: no credential in time */
#define GW_WS_CLOSE_TAKEN_OVER   4003 /* the session was resumed on another connection */

/*
 * The transport state of a WebSocket T-Lib client (gw_client.tp). It outlives the lws
 * connection when a desktop goes away: detached (wsi NULL) it keeps its DN
 * registrations and its replay ring for desktop-resume-window seconds.
 */
typedef struct gw_desk_sess {
    gw_desk *desk;
    gw_client *c;
    struct lws *wsi;  /* NULL while detached */
    uint64_t seq;     /* last per-connection "seq" given */
    ar_buf ring;      /* replay ring: records of u64 seq, u32 len, JSON bytes */
    uint64_t ring_lo; /* seq of the oldest record kept (seq + 1 when empty) */
    bool desktop;     /* authenticated with a desktop token */
    bool call_view;   /* wants CallState messages (gw_desk_call.c) */
    char session[33]; /* resume key, hex */
    unsigned expire;  /* GLib source: end of the resume window */
    int close_code;   /* close code the transport sends when the client is dropped */
} gw_desk_sess;

gw_desk *gw_desk_new(gw_server *srv);
/* Free the table; every session must be gone (the transport frees them). */
void gw_desk_free(gw_desk **d);

gw_desk_sess *gw_desk_sess_new(gw_desk *d, struct lws *wsi);
void gw_desk_sess_free(gw_desk_sess **s);

/* gw_client_ops.queue_json: splice {"seq":N, in front, keep a copy in the ring. */
int gw_desk_queue_json(gw_client *c, const uint8_t *p, size_t n);

/* Authenticate c with a token (header or message). Failure: EventError, close 4001. */
bool gw_desk_authenticate(gw_client *c, const char *token, int64_t ref);

/*
 * Handle a desktop control message (Authenticate, Resume, Ping, GetSnapshot). Returns
 * false when p is not one (the caller hands it to the T-Lib decoder). Resume may swap
 * *pc for the resumed session's client (the new one is freed).
 */
bool gw_desk_control(gw_client **pc, const char *p, size_t len);

/* The connection under a desktop closed: detach it (resumable) or say it may be freed. */
bool gw_desk_detach(gw_client *c);
bool gw_desk_detached(const gw_client *c);

/* gw_tlib.c: false (after EventError DN_NOT_ALLOWED) when m reaches outside c's scope. */
bool gw_desk_scope_ok(gw_client *c, const tl_msg *m, int64_t ref);

/* Compare secrets in time independent of where they differ. */
bool gw_desk_secret_equal(const char *a, const char *b);

/* /metrics lines about calls and desktops (gw_metrics.c). */
void gw_desk_metrics_text(gw_server *srv, ar_buf *b);

/* Provided by the transport (gw_ws.c): close wsi with code (its client is gone). */
void gw_ws_kick(struct lws *wsi, int code, const char *why);
/*
 * Write the close frame (code, why) now; returns 0 for the callback to return. The
 * connection then only waits for the peer's close frame (at most 5 s) and closes. Why not
 * lws_close_reason: with the libuv event library lws 4.1 shuts the socket down before the
 * close frame it queued is written (the peer saw 1006).
 */
int gw_ws_close_now(struct lws *wsi, int code, const char *why);

#endif
