/* gatewayd's shared state: configuration, DN table, clients, event stamping and fan-out. */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "ar_buf.h"
#include "gw_client.h"
#include "gw_config.h"
#include "gw_dn.h"
#include "tl_msg.h"

#define GW_SERVER_VERSION "arec-gatewayd 0.1.0"

struct gw_server {
    gw_config *cfg;
    gw_dn_table *dns;
    uint64_t seq;          /* last EventSequenceNumber, one counter for all clients */
    int64_t start_us;      /* wall clock at start, microseconds */
    int64_t start_mono_us; /* monotonic clock at start, for uptime */
    gw_client *clients;    /* doubly linked list */
    size_t n_clients;
    uint64_t next_client_id;
    gw_client *dirty; /* clients with output queued since the last flush */
    GPtrArray *reap;  /* dropped clients to close after the flush */
    int flush_hold;   /* > 0: gw_server_flush waits for gw_server_release_flush */
    /* Encoding cache for the event being fanned out: each form made at most once. */
    ar_buf enc_bin, enc_json;
    bool have_bin, have_json;
    /* Counters (status page, logs). */
    uint64_t events_sent, clients_dropped;
    struct gw_calls *calls;   /* call model (gw_call.h), created by gw_main; NULL = none */
    struct gw_db *db;         /* CDR writer (gw_db.h), NULL = no database configured */
    struct gw_health *health; /* media server / recorder OPTIONS checks, NULL = none */
    struct gw_pools *pools;   /* mediad and recorder pools (gw_pool.h), NULL = none */
};

/* Takes ownership of cfg. */
gw_server *gw_server_new(gw_config *cfg);
/* Frees the server; every client must already be freed by its transport. */
void gw_server_free(gw_server **srv);

/* Add EventSequenceNumber and TimeStamp to an event about to be sent. */
void gw_server_stamp(gw_server *srv, tl_msg *m);
/*
 * Deliver an event to every client registered on dn: stamped once, encoded at most
 * once per wire form, appended to each subscriber's queue. Returns the subscriber count.
 */
size_t gw_server_publish(gw_server *srv, struct gw_dn *dn, tl_msg *m);
void gw_server_mark_dirty(gw_server *srv, gw_client *c);
/* End of an input batch: write every dirty client once, then close dropped clients. */
void gw_server_flush(gw_server *srv);
/*
 * Hold / release the flush around a batch of inputs (gw_sipbatch: several SIP messages
 * in one loop iteration) so each client gets one write for the whole batch; the
 * release that ends the last hold flushes.
 */
void gw_server_hold_flush(gw_server *srv);
void gw_server_release_flush(gw_server *srv);
/*
 * Replace the configuration (takes ownership of cfg): DN settings and application
 * permissions change in place, clients stay connected. Changes are logged.
 */
void gw_server_reload(gw_server *srv, gw_config *cfg);
int64_t gw_now_us(void);

#endif
