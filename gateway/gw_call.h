/* The T-Server call model: calls, parties, the call table; public API for the rest of gatewayd. */
#ifndef GW_CALL_H
#define GW_CALL_H

/*
 * Wiring (gw_main.c):
 *     srv->calls = gw_calls_new(srv);
 *     sip = gw_sip_new(...);                     (the SIP layer, gw_sip.h)
 *     gw_calls_set_sip(srv->calls, &ops, sip);   (ops: gw_sipif.h)
 *     ... g_main_loop_run() ...
 *     gw_calls_free(&srv->calls);                (before the SIP layer is freed: it
 *                                                 releases every leg that is left)
 * T-Lib requests reach the model through gw_callreq_handle() (gw_callreq.h), called
 * from gw_tlib.c; SIP events through the gw_sipif_* entry points (gw_sipif.h).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_sipif.h"
#include "tl_msg.h"

struct gw_server;
typedef struct gw_call gw_call;

/* State of one party (DN) in one call, as its DN's events describe it. */
typedef enum {
    GW_PS_DIALING = 0, /* origination: call placed, not answered (EventDialing) */
    GW_PS_RINGING,     /* destination alerting (EventRinging) */
    GW_PS_QUEUED,      /* on a routing point waiting for a route (EventRouteRequest) */
    GW_PS_ESTABLISHED, /* talking (EventEstablished / EventRetrieved) */
    GW_PS_HELD,        /* this party put the call on hold (EventHeld) */
    GW_PS_RELEASED,    /* gone (EventReleased); transient, before the party is freed */
} gw_party_state;

/*
 * Timers, injectable so unit tests can fire them by hand. add returns a nonzero id;
 * cancel(0) is a no-op. The default uses g_timeout_add on the thread-default context.
 */
typedef struct {
    unsigned (*add)(void *ud, unsigned ms, bool (*fn)(void *arg), void *arg);
    void (*cancel)(void *ud, unsigned id);
    void *ud;
} gw_timer_ops;

/* Create the call table of srv (ConnID prefix and CallUUID seed are drawn here). */
gw_calls *gw_calls_new(struct gw_server *srv);
/* Release every call (ops.release on each leg, no T-Lib events) and free the table. */
void gw_calls_free(gw_calls **calls);
/* Attach the SIP layer (ops is kept by pointer: static storage). sip is passed back. */
void gw_calls_set_sip(gw_calls *calls, const gw_sip_ops *ops, void *sip);
void gw_calls_set_timers(gw_calls *calls, const gw_timer_ops *t);

/* Lookups and counters. */
gw_call *gw_calls_find(const gw_calls *calls, uint64_t connid);
size_t gw_calls_count(const gw_calls *calls);
/* Calls on which a DN is a party, newest first (up to max); returns how many. */
size_t gw_calls_of_dn(const gw_calls *calls, const char *dn, gw_call **out, size_t max);

/* Read-only call accessors (for the db helper, status pages and tests). */
uint64_t gw_call_connid(const gw_call *call);
const char *gw_call_uuid(const gw_call *call);
tl_call_type gw_call_type(const gw_call *call);
const char *gw_call_ani(const gw_call *call);  /* may be NULL */
const char *gw_call_dnis(const gw_call *call); /* may be NULL */
const tl_kv *gw_call_user_data(const gw_call *call);
/* Number of parties and, by index, a party's DN, role and state. */
size_t gw_call_nparties(const gw_call *call);
const char *gw_call_party_dn(const gw_call *call, size_t i);
tl_dn_role gw_call_party_role(const gw_call *call, size_t i);
gw_party_state gw_call_party_state(const gw_call *call, size_t i);
/* State of dn in this call; false when dn is not a party. */
bool gw_call_dn_state(const gw_call *call, const char *dn, gw_party_state *out);

const char *gw_party_state_name(gw_party_state s);

/* Heap bytes held by one call: the call, its parties, their SDPs and the user data. */
size_t gw_call_memory(const gw_call *call);

#endif
