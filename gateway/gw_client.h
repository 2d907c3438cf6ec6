/* A transport-neutral T-Lib client session: application, registered DNs, output queue. */
#ifndef GW_CLIENT_H
#define GW_CLIENT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "ar_buf.h"
#include "gw_config.h"
#include "tl_msg.h"

typedef struct gw_server gw_server;
typedef struct gw_client gw_client;
struct gw_dn;

typedef enum { GW_ENC_BIN, GW_ENC_JSON } gw_enc;

/*
 * JSON clients (WebSocket) queue whole messages: each record in `out` is a u32 length
 * (host order), GW_WS_PAD bytes of room for the WebSocket header, then the payload.
 * The pad lets the transport hand the payload to lws_write() without a copy.
 */
#define GW_WS_PAD 16

typedef struct {
    const char *name; /* "tcp", "ws": shown in logs */
    /* Write what `out` holds now (called once per input batch for dirty clients). */
    void (*flush)(gw_client *c);
    /* The server dropped the client: tear the transport down (may finish later). */
    void (*close)(gw_client *c);
    /* Unit tests: receive each outgoing message instead of encoded bytes. */
    void (*capture)(gw_client *c, const tl_msg *m);
    /*
     * JSON transports that number messages per connection (WebSocket desktops): append
     * the record for the encoded message p (one JSON object) to c->out themselves, e.g.
     * with a per-connection "seq" spliced in. Returns 0, or -1 when out of memory.
     */
    int (*queue_json)(gw_client *c, const uint8_t *p, size_t n);
} gw_client_ops;

struct gw_client {
    gw_server *srv;
    const gw_client_ops *ops;
    void *tp; /* transport state */
    gw_enc enc;
    unsigned version; /* negotiated binary protocol version */
    uint64_t id;
    char peer[64];
    char *app_name;         /* set once RequestRegisterClient succeeded */
    const gw_app_conf *app; /* NULL until registered; re-resolved on reload */
    GPtrArray *dns;         /* gw_dn * this client is registered on */
    ar_buf out;
    int64_t connected_us;
    bool dirty;   /* in the server's dirty list */
    bool closing; /* dropped: no more input handled, no more output queued */
    char *close_reason;
    gw_client *dirty_next;
    gw_client *prev, *next; /* server's client list */
};

/* Create a session and link it into the server. peer is "host:port" for the logs. */
gw_client *gw_client_new(gw_server *srv, const gw_client_ops *ops, void *tp, gw_enc enc,
                         const char *peer);
/* Unlink from the server and every DN and free. Transports call this once closed. */
void gw_client_free(gw_client **c);

static inline bool gw_client_registered(const gw_client *c)
{
    return c->app != NULL;
}

/* Stamp (EventSequenceNumber, TimeStamp), encode for this client and queue m. */
void gw_client_send(gw_client *c, tl_msg *m);
/* Queue an already encoded event (binary frame or JSON text) for this client. */
void gw_client_queue(gw_client *c, const uint8_t *p, size_t n);
/* Mark the client for closing after the current batch; the reason is logged. */
void gw_client_drop(gw_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether the client registered this DN. */
bool gw_client_has_dn(const gw_client *c, const struct gw_dn *dn);

#endif
