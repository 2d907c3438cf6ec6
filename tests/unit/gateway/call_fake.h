/* Call model test harness: a fake SIP layer recording ops, capturing T-Lib clients. */
#ifndef CALL_FAKE_H
#define CALL_FAKE_H

#include <glib.h>
#include <stdbool.h>

#include "gw_call.h"
#include "gw_server.h"
#include "tl_msg.h"

/* One leg the fake SIP layer created (outgoing) or was handed (incoming). */
struct gw_leg {
    char dn[32];
    gw_party *party;
    bool outgoing, released;
    int rel_status;
};

typedef struct {
    gw_server *srv;
    gw_calls *calls;
    gw_client *watch;  /* registered on every configured DN, captures events */
    gw_client *client; /* sends requests, captures its replies */
    GPtrArray *events; /* tl_msg * published to watch */
    GPtrArray *replies;
    GPtrArray *ops_log; /* char *: "originate 5002 sdp=A", "answer 5001 sdp=B"... */
    GPtrArray *legs;    /* struct gw_leg * (all ever made, owned) */
    int originate_fail; /* SIP status for the next originate calls, 0 = succeed */
    bool info_ok;       /* ops.info (MSML to mediad) succeeds and is logged ("info md:DN create") */
    /* Fake timers: at most a few pending. */
    bool (*timer_fn[8])(void *);
    void *timer_arg[8];
    unsigned timer_ms[8];
} cf;

cf *cf_new(bool remote_answer);
/* The same with another configuration text (NULL = the default one of call_fake.c). */
cf *cf_new_conf(bool remote_answer, const char *conf);
void cf_free(cf *t);
/* Forget the captured DN events and ops log (before a step whose output a test checks). */
void cf_clear(cf *t);

/* The head of a configuration with one MSML mediad and a recorder: a test appends its DNs. */
#define CF_CONF_RECORDING                                                                          \
    "[gateway]\nsite = unit\nclient-queue-limit = 1048576\n"                                       \
    "recording-dest = sip:127.0.0.1:5998\n"                                                        \
    "[dn msml]\ntype = VoIP Service\nservice-type = msml\n"                                        \
    "contact = sip:127.0.0.1:5999\n"

/* Incoming INVITE from caller (a configured DN) to called; returns the caller's leg. */
struct gw_leg *cf_incoming(cf *t, const char *caller, const char *called, const char *sdp);
/* The newest leg made toward dn (by originate). */
struct gw_leg *cf_leg(cf *t, const char *dn);
void cf_ringing(cf *t, struct gw_leg *l);
void cf_answered(cf *t, struct gw_leg *l, const char *sdp);
void cf_bye(cf *t, struct gw_leg *l);
void cf_failed(cf *t, struct gw_leg *l, int status);
/* Fire the pending timer (fails the test if none). */
void cf_fire_timer(cf *t);
int cf_pending_timers(const cf *t);

/*
 * Compare and clear the captured DN events: "EventDialing:5001 EventRinging:5002"
 * (type without the "Event" prefix is accepted too; space separated).
 */
void cf_expect_events(cf *t, const char *want);
/* Compare and clear the ops log: "originate 5002 sdp=A|ringing 5001" ('|' separated). */
void cf_expect_ops(cf *t, const char *want);
/* Captured event i (before cf_expect_events clears them). */
const tl_msg *cf_event(cf *t, guint i);

/* Send a request from the client (ReferenceID ref). Takes ownership of m. */
void cf_request(cf *t, tl_msg *m);
tl_msg *cf_req(uint16_t type, int64_t ref, const char *dn);
/* Pop the oldest reply, which must be of this type; returned message is owned. */
tl_msg *cf_pop_reply(cf *t, uint16_t type);
/* Expect an EventError with this code as the oldest reply. */
void cf_expect_error(cf *t, int code);
void cf_no_replies(cf *t);

/* The one call in the table (fails when there are 0 or several). */
gw_call *cf_only_call(cf *t);
uint64_t cf_connid_of(const tl_msg *m);
int64_t cf_int(const tl_msg *m, uint16_t attr);
const char *cf_str(const tl_msg *m, uint16_t attr);

#endif
