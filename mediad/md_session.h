/* mediad's call model: conferences (calls), party legs, recording sessions, wiring. */
#ifndef MD_SESSION_H
#define MD_SESSION_H

#include "ar_sdp.h"
#include "md_params.h"
#include "md_recfsm.h"
#include "md_rtp_engine.h"

#include <stdint.h>

#define MD_MAX_LEGS      4
#define MD_MAX_RECS      8
#define MD_REC_MAX_MEDIA 8
#define MD_ID_LEN        128 /* ids (conference, Call-ID, record id) keep < MD_ID_LEN bytes */
#define MD_DN_LEN        64  /* a DN keeps < MD_DN_LEN bytes */
#define MD_DEST_LEN      128 /* a recorder URI keeps < MD_DEST_LEN bytes (reports truncate) */
#define MD_MAX_FORK      8   /* parallel forking: recorders one INVITE goes to */

typedef struct md_ctx md_ctx; /* the daemon (md_sip.h) */
typedef struct md_call md_call;

/* One party leg: the gateway's INVITE to sip:msml=<conf>@mediad;dn=<DN>;record. */
/* Per m= line summary of a party's SDP. The full SDP is kept as text (a few hundred
 * bytes) and parsed again when an SDP is built: a parsed ar_sdp is ~70 KiB. */
typedef struct {
    char kind;      /* 'a' audio, 'v' video, 0 other */
    uint8_t dir;    /* ar_sdp_dir, resolved */
    uint16_t port;  /* 0 = rejected by the party */
    uint32_t clock; /* clock rate of the first format */
    uint32_t addr;  /* IPv4 address (network order), 0 when not IPv4 */
} md_media_sum;

/* First member of md_leg and md_rec: tells the SIP layer what a handle's magic is. */
enum { MD_KIND_LEG = 0x4c454721, MD_KIND_REC = 0x52454321 };

typedef struct md_leg {
    int kind; /* MD_KIND_LEG */
    md_call *call;
    char *dn;      /* heap, at its length (< MD_DN_LEN): strings sized to content */
    char *callid;  /* heap (< MD_ID_LEN) */
    void *nh;      /* nua_handle_t * (opaque here so this module has no SIP) */
    md_params uri; /* Request-URI parameters */
    char *sdp;     /* the party's last SDP text; NULL until one came */
    /* Per m= line, mcap entries (grown with the party's m= lines, usually 1 or 2 of the
     * AR_SDP_MAX_MEDIA allowed): indexes < nstreams are valid. */
    int mcap;
    md_media_sum *ms;          /* what the data path and planning need of it */
    uint64_t sess_id, version; /* our o= line toward this leg */
    int nstreams;              /* m= lines seen (streams or rejected slots) */
    md_stream **st;            /* NULL for rejected/unsupported m= lines */
    uint16_t *port;
    int joined;                 /* order of its MSML <join> (1, 2, ...), 0 = not joined */
    int offer_pending;          /* we offered in a 2xx, the ACK carries the answer */
    struct md_srtp_state *srtp; /* SRTP keys (md_srtp.h); NULL while every line is clear */
} md_leg;

/* One m= line of a recording session: which party stream it copies. Small fields are
 * narrow (indexes < AR_SDP_MAX_MEDIA, flags) and the pointers first: a session has
 * MD_REC_MAX_MEDIA of these, the largest part of an md_rec. */
typedef struct {
    md_leg *leg;
    md_stream *st; /* our sending stream toward the recorder */
    /* Conference shape (md_mixer.c, set while mixing): conf_mix 1 = this line carries
     * the mix of the non-supervisor parties, 2 = the mix of all parties but the
     * session's first; conf_leg/conf_m: copy this party's stream instead of leg's. */
    md_leg *conf_leg;
    char label[16];
    uint16_t port;
    int8_t leg_m; /* index of the party's m= line */
    int8_t conf_m;
    uint8_t conf_mix;
    uint8_t rejected; /* port 0 in the recorder's answer */
    uint8_t reported; /* the rejection was reported to the gateway */
} md_rec_media;
_Static_assert(AR_SDP_MAX_MEDIA <= 127, "md_rec_media indexes m= lines in an int8_t");

/* One recording session (one SIP dialog toward one recorder). */
typedef struct md_rec {
    int kind; /* MD_KIND_REC */
    md_call *call;
    int dest_index;   /* 0 = dest, 1 = dest2 */
    char *record_id;  /* heap (< MD_ID_LEN) */
    char *dest;       /* recorder URI as given, heap (< MD_DEST_LEN) */
    char *ruri;       /* Request-URI sent (heap) */
    int siprec;       /* RFC 7866 dialect */
    md_leg *party[2]; /* recorded parties, in m= order (dn, otherDN) */
    int nparty;
    int nm;
    md_rec_media m[MD_REC_MAX_MEDIA];
    void *nh; /* nua_handle_t * */
    md_rec_fsm fsm;
    uint64_t sess_id, version;
    unsigned timer; /* GLib source id of the answer timeout, 0 when none */
    int timed_out;
    void *ka_link;              /* GList in md_recfo.c's keepalive queue, NULL when none */
    int64_t ka_due_us;          /* monotonic time of its next keepalive step */
    int ka_pending;             /* an OPTIONS is out and unanswered */
    unsigned gap_timer;         /* waiting for this session's first RTP (failover gap) */
    int ka_pending_gap;         /* polls of gap_timer so far */
    int64_t ka_ok_us;           /* wall clock of the last sign of life (2xx to INVITE / OPTIONS) */
    struct md_srtp_state *srtp; /* SRTP toward the recorder (md_srtp.h); NULL = clear */
    /* Parallel forking (md_recfork.c, docs/pools.md): the initial INVITE goes to every
     * fork; the first 2xx wins (becomes nh, dest and ruri), the others are cancelled. */
    int nfork;                    /* 0 = one recorder, else 2..MD_MAX_FORK */
    char *fork_dest[MD_MAX_FORK]; /* recorder URIs as given (heap) */
    char *fork_ruri[MD_MAX_FORK]; /* their Request-URIs (heap) */
    void *fork_nh[MD_MAX_FORK];   /* INVITE still pending on fork k, else NULL */
    int fork_failed;              /* forks that answered >= 300 */
    unsigned upd_sent;            /* call->upd_seq this session was last told about */
} md_rec;

struct md_call {
    md_ctx *ctx;
    char *conf; /* heap (< MD_ID_LEN) */
    md_leg *legs[MD_MAX_LEGS];
    int nlegs;
    md_params params; /* URI defaults merged with gvp:param */
    int recording;    /* createconference seen and not destroyed */
    int paused;       /* MSML pause in force */
    int muted;        /* a recorded party's audio is inactive/recvonly (seed: Mute) */
    int eff_paused;   /* paused || muted, as last told to the sessions */
    md_leg *ctl;      /* leg whose INFO created the recording: failures go there */
    md_rec *recs[MD_MAX_RECS];
    int nrecs;
    void *tone;                     /* compliance tone state (md_tone.c), NULL when none */
    void *localwav;                 /* local recording state (md_localwav.c), NULL when none */
    md_mixer *mixer;                /* conference mixer while 3+ legs have audio (md_mixer.c) */
    md_stream *mixer_engine_stream; /* the stream its commands were posted through */
    /* Recorder failover (md_recfo.c): 0 = plan dest and dest2, 1/2 = plan only dest/dest2
     * (a createconference with failover=dest|dest2 replaces that failed session). */
    int fo_plan;
    /* X-Genesys-geo-location of the gateway's INVITE, copied onto the recording INVITEs
     * (the seed's mpc.copyheaders, docs/pools.md); "" = none. */
    char geo[65];
    /* Per dest index: wall clock (us) of the last RTP sent to the session that failed,
     * 0 when no failover is pending; and that session's recorder. */
    int64_t fo_last_us[2];
    int64_t fo_alive_us[2]; /* ... and its last sign of life (answer to INVITE / OPTIONS) */
    char fo_from[2][128];
    /* The params of the last pause / resume / stop that carried some (URI-escaped
     * ";name=value" list): the next re-INVITE or BYE toward the recorders carries them in
     * an X-Record-Params header (docs/mediad.md), "" when none. */
    char upd_params[512];
    unsigned upd_seq; /* bumped with each new upd_params */
    /* Per dest index: paused by a modifyconference naming that copy (`copy` param), on
     * top of the call-wide pause: a second recording session for another purpose. */
    int copy_paused[2];
};

/* Services the session layer needs from the daemon (ports, engine, identity). */
typedef struct {
    struct md_ports *ports;
    md_engine *engine;
    const char *media_addr; /* address put in our SDP */
    int rec_srtp;           /* recorders get RTP/SAVP unless a srtp param says otherwise */
    int rec_srtp_fallback;  /* recorder answered RTP/AVP: 1 = send clear, 0 = refuse */
} md_media_env;

/* A heap copy of s (NULL = "") cut to fewer than cap bytes; NULL when out of memory. */
char *md_strdup_cap(const char *s, size_t cap);

md_call *md_call_new(md_ctx *ctx, const char *conf);
/* Releases every stream; the caller has ended the SIP dialogs. */
void md_call_free(md_call **pc, const md_media_env *env);
md_leg *md_call_add_leg(md_call *c, const char *dn, const char *callid);
void md_call_remove_leg(md_call *c, md_leg *l, const md_media_env *env);
md_leg *md_call_find_leg(md_call *c, const char *conn);

/*
 * Apply a party SDP (offer or answer) to a leg: allocate one port pair per supported
 * m= line on first use (RTP/AVP and RTP/AVPF audio/video with a non-zero port),
 * update destinations (re-latching when the address moved). Returns AR_E_OK,
 * AR_E_MEDIA_NO_PORTS or AR_E_SDP_MALFORMED (m= lines changed count/type mid-call).
 */
int md_leg_apply_sdp(md_leg *l, const ar_sdp *sdp, const char *text, size_t len,
                     const md_media_env *env);
/* The party's SDP parsed again (malloc'ed, free() it), or NULL. */
ar_sdp *md_leg_parse_sdp(const md_leg *l);
/* Our SDP toward the leg (answer when the party offered, offer otherwise): our ports,
 * the party's formats, sendrecv (mirrored direction for an answer). */
int md_leg_build_sdp(md_leg *l, int as_answer, const md_media_env *env, char *buf, size_t cap);

/* Recompute every party stream's sinks (bridge peer + recorder streams). */
void md_call_rewire(md_call *c);

/*
 * Build the recording sessions the merged params ask for (dest/dest2, recmediactl,
 * audio-only, dialect), allocate their streams and Request-URIs. Sessions are left in
 * MD_REC_IDLE. Returns AR_E_OK, AR_E_MISSING_ATTRIBUTE (no dest) or AR_E_MEDIA_NO_PORTS.
 */
int md_call_plan_recording(md_call *c, const md_media_env *env);
/* The SDP offer of a recording session (sendonly, or inactive when paused). */
int md_rec_build_sdp(md_rec *r, const md_media_env *env, char *buf, size_t cap);
/* Apply the recorder's answer: destinations per m= line, port 0 rejects one stream.
 * AR_E_OK, or the parser's error for garbage, or AR_E_SDP_MALFORMED on a count mismatch. */
int md_rec_apply_answer(md_rec *r, const char *body, size_t len);
/* Let RTP flow (on) or stop it toward the recorder. */
void md_rec_set_media(md_rec *r, int on);
/* Free the session's streams and drop it from the call. */
void md_rec_release(md_rec *r, const md_media_env *env);

/* Human-readable stream counters of a call, one line per stream, into buf. */
void md_call_stats_text(md_call *c, char *buf, size_t cap);

#endif
