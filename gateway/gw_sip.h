/* SIP stack of gatewayd: sofia-sip nua on the GLib main loop, UDP + TCP, event dispatch. */
#ifndef GW_SIP_H
#define GW_SIP_H

#include <glib.h>
#include <stdbool.h>

#include "gw_server.h"
#include "gw_sipif.h"

#define GW_SIP_FINAL_SHUTDOWN_MS 1000 /* nua_shutdown once the legs are gone or dropped */

struct gw_reg;
struct gw_b2bua;
struct gw_overload;
struct gw_sipbatch;

/*
 * One SIP user agent per gatewayd. Its callbacks, the registrar and the B2BUA all run on
 * gatewayd's GMainLoop next to T-Lib and WebSocket clients. nua itself (nta, the
 * transports, parsing, transactions) runs in a thread of its own with sip-stack-thread
 * (the default, gw_sipthread.h): every nua_* call is then a message to that thread and
 * every event a message back, and nothing here touches the stack's objects directly.
 * With sip-stack-thread = false it runs in the loop's thread (su_root_threading off).
 */
typedef struct gw_sip {
    gw_server *srv;
    gw_calls *calls; /* the call model the B2BUA reports to (may be NULL in tests) */
    void *root;      /* su_root_t * */
    void *nua;       /* nua_t * */
    char *host;      /* address we listen on (and put in From / Contact) */
    int port;        /* bound UDP and TCP port (same number for both) */
    struct gw_reg *reg;
    struct gw_b2bua *b2b;
    bool got_params;       /* nua_r_get_params seen (bound port known) */
    bool shutdown_done;    /* nua_r_shutdown seen */
    void *pings;           /* GHashTable of the gw_sip_ping in flight (nua_r_options owners) */
    struct gw_siptls *tls; /* SIPS settings (gw_siptls.c), NULL = no TLS transport */
    int sips_port;         /* bound TLS port, 0 without SIPS */
    char tls_subject[128]; /* certificate named by sofia's last verification error */
    char tls_reason[128];  /* and its reason */
    unsigned tls_idle;     /* GSource of the pending gw_b2bua_tls_refused */
    struct gw_overload *overload; /* load shedding of new INVITEs / REGISTERs */
    struct gw_sipbatch *batch;    /* several datagrams per loop iteration (gw_sipbatch.h) */
    struct gw_sipthread *thread;  /* sip-stack-thread: events in batches (gw_sipthread.h) */
    GMutex tls_lock; /* tls_subject / tls_reason / tls_idle: sofia logs from its own thread */
    struct gw_sipspin *spin; /* no busy loop before sofia's timers (gw_sipspin.h) */
} gw_sip;

/*
 * Start the SIP stack on srv->cfg->sip_listen (port 0 = ephemeral: the kernel's
 * choice is read back from the transport). Returns NULL with *err set on failure.
 */
gw_sip *gw_sip_new(gw_server *srv, gw_calls *calls, char **err);
/* Bound port (UDP and TCP). */
int gw_sip_port(const gw_sip *s);
/* Bound TLS port (sips-listen), 0 without SIPS. */
int gw_sip_sips_port(const gw_sip *s);
/* Release every call leg, shut nua down (bounded wait) and free everything. */
void gw_sip_free(gw_sip **s);
/* The operation table the call model drives (gw_calls_set_sip(calls, ops, sip)). */
const gw_sip_ops *gw_sip_ops_table(void);

/*
 * One out-of-dialog SIP OPTIONS to target (a SIP URI) on its own nua handle, for the
 * health checks (gw_health.c). cb runs once with the final status (nua reports 408 or
 * 503 itself when the peer is silent or unreachable); the ping is freed after cb
 * returns. Returns NULL when the request cannot be made (bad URI).
 */
/* ctype / body: the answer's Content-Type and body (NUL-terminated copy), NULL = none. */
typedef void (*gw_sip_ping_fn)(void *ud, int status, const char *phrase, const char *ctype,
                               const char *body);
typedef struct gw_sip_ping gw_sip_ping;
gw_sip_ping *gw_sip_options_ping(gw_sip *s, const char *target, gw_sip_ping_fn cb, void *ud);
/* Forget a ping still in flight: cb never runs, a late answer is dropped. */
void gw_sip_ping_cancel(gw_sip *s, gw_sip_ping **p);

#endif
