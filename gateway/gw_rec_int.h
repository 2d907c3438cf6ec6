/* Recording controller internals shared by gw_rec.c, gw_rec_fo.c (failover) and gw_rec_sess.c. */
#ifndef GW_REC_INT_H
#define GW_REC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar_msml.h"
#include "gw_pool.h"
#include "gw_rec.h"

#define CT_MSML "application/msml+xml"
#define CONF    "recorder"

typedef enum {
    RS_IDLE = 0,   /* nothing asked, or stopped: GSIP_RECORD Off (or absent) */
    RS_WAITING,    /* asked before the call was established (pre-recording) */
    RS_CONNECTING, /* mediad legs / re-INVITEs / createconference under way */
    RS_ON,
    RS_PAUSED,
    RS_FAILED, /* GSIP_RECORD Off with a reason */
} rec_state;

/* What each INFO we sent was, in order (responses come back in the same order). */
/* INFO_ABORT ends what mediad started after the request was already dropped: no
   GSIP_RECORD change follows its answer. */
/* INFO_FAILOVER / INFO_FAILOVER2 replace the failed recorder of dest / dest2. */
typedef enum {
    INFO_CREATE,
    INFO_PAUSE,
    INFO_RESUME,
    INFO_STOP,
    INFO_ABORT,
    INFO_FAILOVER,
    INFO_FAILOVER2,
    INFO_UPDATE /* metadata after a kept transfer (gw_rec_keep.c): no state change */
} info_kind;

struct gw_rec_call {
    gw_call *call;
    gw_party *party[2]; /* [0] recorded side (recordDN), [1] the other party */
    gw_party *msc[2];   /* mediad leg of each party (fake parties, ->msc = this) */
    bool msc_up[2];
    bool inserted; /* both parties' media go through mediad */
    rec_state state;
    GQueue infos; /* info_kind, as GINT_TO_POINTER */
    /* The current (or pending) recording. */
    char *started_by, *side, *record_dn, *req_dn;
    char *id, *dest, *dest2, *params, *audiosrc, *file_name;
    int tsd;
    unsigned seq;
    int64_t started_us;
    unsigned settle_timer; /* safety net while waiting for the parties' own offer/answer */
    bool settle_wait;      /* insertion waits for it (gw_rec_settled tries again) */
    bool rebridge; /* mediad gone while a party's re-INVITE was out: bridge them once it ends */
    /* Pools and failover (docs/pools.md, docs/failover.md). */
    gw_pool_lease *md_lease;     /* mediad the legs go to */
    gw_pool_lease *rec_lease[2]; /* recorder of dest / dest2, NULL when given explicitly */
    GPtrArray *fo_bad;      /* const gw_pool_member *: failed for this call, never picked again */
    bool copy_down[2];      /* the dest / dest2 copy failed and nobody took over */
    bool md_failover;       /* re-inserting through another mediad: GSIP_RECORD stays On */
    bool md_fo_paused;      /* ... and the recording was paused when the old one was lost */
    int64_t md_lost_us;     /* when the old mediad was found lost (wall clock) */
    char *geo;              /* the call's geo-location for pool picks, NULL = none */
    char *route_geo;        /* RequestRouteCall Extensions geo-location, NULL = none */
    char *dest_spec[2];     /* the request's dest / dest2 ("pool:NAME", URI, NULL = default) */
    char *no_fulltime;      /* RouteCall record=disable_destination: this DN is not recorded */
    bool audio_only;        /* the request asked for audio only (seed "Video Recording") */
    bool video_on;          /* video offered to the recorder and not refused (GSIP_RECORD_VIDEO) */
    struct gw_rec_sess *s2; /* a second session for another purpose (gw_rec_sess.c) */
    bool conf_took;         /* the legs went and a conference took the media (gw_conf_rec.h) */
    /* Kept across a transfer (gw_rec_keep.c): the other party left, the recorded one stays. */
    bool keep;           /* waiting for the next party to re-INVITE the mediad legs */
    bool rejoin[2];      /* mediad leg i re-INVITEd with its (new) party's SDP */
    unsigned keep_timer; /* safety net while the model's own offer / answer goes on */
    /* Pre-recording (gw_rec_pre.c): mediad's local WAV only, no indication until claimed. */
    bool pre_hidden;
    bool pre_tried; /* started once for this call */
};

/* gw_rec.c: shared steps of the state machine. */
gw_server *gw_rec_srv(gw_call *call);
void gw_rec_set_str(char **dst, const char *v);
/* EventPrivateInfo about rc (extra_k / extra_v: one more Extensions pair, NULL = none). */
void gw_rec_private_info_x(struct gw_rec_call *rc, int msg_id, const char *state,
                           const char *reason, const char *extra_k, const char *extra_v);
void gw_rec_db_recording(struct gw_rec_call *rc, const char *state, const char *reason,
                         int64_t ended_us);
void gw_rec_db_segment(struct gw_rec_call *rc, const char *event, const char *reason);
void gw_rec_msc_release_all(struct gw_rec_call *rc, const char *why);
/* mediad is (partly) gone: drop its legs and give the parties each other's media back. */
void gw_rec_msc_abort(struct gw_rec_call *rc, const char *why);
/* The recording failed: GSIP_RECORD Off with the reason, event, log, database. */
void gw_rec_fail(struct gw_rec_call *rc, const char *reason);
int gw_rec_send_msml(struct gw_rec_call *rc, const ar_msml *m, info_kind kind);
void gw_rec_build_create(struct gw_rec_call *rc, ar_msml *mp);
/* params "a=1;b=2" -> gvp:param; own_session false drops the session-selecting keys. */
void gw_rec_add_params(ar_msml *m, const char *params, bool own_session);
/* Both parties talk: pick the recorded pair and bring mediad in (or reuse it). */
void gw_rec_begin(struct gw_rec_call *rc);

/* "sip:[user@]host:port[;params]" -> "host:port" (new string; also for gw_conf.c). */
char *gw_rec_hostport(const char *contact);

/* gw_rec_fo.c: failover (docs/failover.md). */
/* The recorder of copy k (0 dest, 1 dest2) failed; broken: mark it out of service. */
void gw_rec_fo_copy_failed(struct gw_rec_call *rc, int k, const char *why, bool broken);
/* msml.recorder.failover: the gap mediad measured. */
void gw_rec_fo_recorder_done(struct gw_rec_call *rc, const ar_msml *m);
/* mediad lost: re-insert through the next mediad; false when nobody can take over. */
bool gw_rec_fo_mediad(struct gw_rec_call *rc, const char *why, bool broken);
/* The new mediad confirmed the createconference. */
void gw_rec_fo_mediad_done(struct gw_rec_call *rc);

/* GSIP_RECORD On, GSIP_REC_FN, EventPrivateInfo 3013 and the database row of a started
   recording (mediad confirmed it, or a START claimed a running pre-recording). */
void gw_rec_announce_on(struct gw_rec_call *rc);

/* gw_rec_pre.c: pre-recording (docs/recording.md "Pre-recording"). */
/* No full-time recording: start the hidden local recording of a pre-recording DN's call. */
void gw_rec_pre_start(gw_call *call);
/* A START (selective / dynamic) while the pre-recording runs: it becomes the recording. */
int gw_rec_pre_claim(struct gw_rec_call *rc, const gw_rec_req *r);
/* The call ends: an unclaimed pre-recording is remembered for the window. */
void gw_rec_pre_call_end(struct gw_rec_call *rc);

/* gw_rec_keep.c: the recording continues across transfers (docs/recording.md "Transfers"). */
/* p (rc->party[1]) leaves while the recorded party stays: true when the recording is kept. */
bool gw_rec_keep_party_gone(struct gw_rec_call *rc, gw_party *p);
/* A party answered or an offer/answer ended: re-INVITE the mediad legs for the new pair. */
void gw_rec_keep_try(struct gw_rec_call *rc);
/* mediad answered leg i's re-INVITE: true when it was a rejoin one (the party follows). */
bool gw_rec_keep_sdp_answer(struct gw_rec_call *rc, int i, const char *sdp);
/* The recording ends: no more waiting. */
void gw_rec_keep_stop(struct gw_rec_call *rc);

/*
 * A second recording session on a call (seed: "Multiple simultaneous Recording Sessions
 * can be active for the same Communication Session for different purposes"): mediad's
 * dest2 copy, with its own record id, recorder, state and indication. docs/recording.md
 * "Multiple recording sessions".
 */
struct gw_rec_sess;

/* INFO kinds of the second session, queued with the main session's (gw_rec.c). */
#define GW_REC_INFO_S2                                                                             \
    100 /* + GW_REC_STOP / PAUSE / RESUME; + 3 = its createconference;                             \
           + 4 = a metadata update (gw_rec_sess_metadata) */

/* --- gw_rec.c, for gw_rec_sess.c --- */
/* Send MSML on the call's first mediad leg; its answer comes back to
   gw_rec_sess_info_answer with kind. */
int gw_rec_msml(gw_call *call, const ar_msml *m, int kind);
/* The main session's createconference (params, joins); false when it is not On / Paused. */
bool gw_rec_main_create(gw_call *call, ar_msml *m);
/* Set (value) or remove (NULL) user data keys, EventAttachedDataChanged to the parties. */
void gw_rec_publish(gw_call *call, const char *const *kv, size_t n);
/* EventPrivateInfo msg_id with GSIP_RECORD=state, id, reason to the parties and req_dn. */
void gw_rec_info_event(gw_call *call, int msg_id, const char *req_dn, const char *id,
                       const char *state, const char *reason);
/* The recorded pair (recordDN, otherDN) of the main session, NULL when none. */
const char *gw_rec_main_dn(const gw_call *call, int i);

/* --- gw_rec_sess.c --- */
/* Start the second session while the main one records: AR_E_OK, AR_E_ALREADY_RECORDING
   (not configured, one already there, main not On / Paused, main duplicates to dest2, same
   id), AR_E_INVALID_VALUE, AR_E_MISSING_ATTRIBUTE. */
int gw_rec_sess_start(gw_call *call, struct gw_rec_sess **slot, const gw_rec_req *r, char *why,
                      size_t cap);
bool gw_rec_sess_live(const struct gw_rec_sess *s);
bool gw_rec_sess_owns(const struct gw_rec_sess *s, const char *id); /* id is its record id */
int gw_rec_sess_control(gw_call *call, struct gw_rec_sess *s, gw_rec_ctl op, const char *req_dn,
                        const char *params, char *why, size_t cap);
void gw_rec_sess_info_answer(gw_call *call, struct gw_rec_sess *s, int kind, int status,
                             const char *body);
/* A kept transfer: a modify (its state kept, copy=dest2) names other_dn to its recorder,
   and its database row too. */
void gw_rec_sess_metadata(gw_call *call, struct gw_rec_sess *s, const char *other_dn);
/* msml.recorder.error naming the session's id: it failed (true: handled). */
bool gw_rec_sess_error(gw_call *call, struct gw_rec_sess *s, const char *id, const char *reason);
/* The mediad legs are going (pair broken, mediad lost, call end): Off, then freed. */
void gw_rec_sess_end(gw_call *call, struct gw_rec_sess **slot, const char *why);

#endif
