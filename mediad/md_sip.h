/* mediad's SIP side (sofia-sip nua on the GLib loop): the daemon context and its calls. */
#ifndef MD_SIP_H
#define MD_SIP_H

#include "ar_sched.h"
#include "md_session.h"

#include <glib.h>

typedef struct {
    char sip_addr[64]; /* listen address */
    int sip_port;      /* 0 = any */
    uint16_t rtp_lo, rtp_hi;
    unsigned max_ports;        /* port pairs; 0 = the whole range */
    unsigned session_timer;    /* seconds, RFC 4028 */
    unsigned min_se;           /* min-se: smallest interval accepted (422 below), seconds */
    unsigned rec_timeout_ms;   /* give up on a recorder that has not answered */
    unsigned rec_keepalive_ms; /* in-dialog OPTIONS to each recorder; 0 = off (md_recfo) */
    int rec_srtp;              /* recorder-srtp: offer RTP/SAVP to recorders by default */
    int rec_srtp_fallback;     /* recorder-srtp-fallback: 1 clear, 0 refuse (default) */
    char tls_cert_dir[256];    /* tls-cert-dir: agent.pem + cafile.pem; "" = no SIPS */
    int sips_port;             /* sips-port: TLS listen port (0 = pick one) */
    int tls_verify;            /* tls-verify: TPTLS_VERIFY_* (md_tls.h) */
    unsigned fetch_timeout_ms; /* audiosrc: connect + transfer limit (md_fetch) */
    char local_dir[256];       /* local WAV recording directory; empty = off */
    char stats_file[256];      /* stats-file: memory figures written on SIGUSR1; "" = off */
    unsigned shutdown_ms;      /* shutdown-timeout-ms: wait for BYE / CANCEL answers */
    ar_sched_spec scheduling;  /* every thread's CPU scheduling (ar_sched.h) */
} md_config;

struct md_ctx {
    md_config cfg;
    GMainLoop *loop;
    void *root; /* su_root_t * */
    void *nua;  /* nua_t * */
    md_media_env env;
    GHashTable *calls;      /* conf id -> md_call* */
    int bound_port;         /* actual SIP port after bind */
    int bound_sips;         /* actual SIPS (TLS) port, 0 without TLS */
    struct md_fetch *fetch; /* audiosrc loader (md_fetch.h) */
    struct md_lw_sys *lw;   /* local WAV writer (md_localwav.h), NULL when off */
    GHashTable *orphans;    /* released handles not terminated yet (md_shutdown.c) */
    int shutdown_done;      /* nua_r_shutdown came */
};

/* Create the SIP stack on the GLib default context; AR_E_OK or AR_E_CONFIG/AR_E_IO. */
int md_sip_start(md_ctx *ctx);
/* Send BYE on everything and destroy the stack (runs the loop briefly for the BYEs). */
void md_sip_stop(md_ctx *ctx);

/* Recording-session side (md_recsess.c), driven by md_sip.c. */
void md_recsess_start_all(md_ctx *ctx, md_call *c);
void md_recsess_event(md_ctx *ctx, md_call *c, int ev); /* md_rec_event to every session */
/* The same for the sessions of one copy (dest index 0 / 1) only: pause / resume (taking
 * the call's and the copy's pause into account; force_update re-offers when that does not
 * change) or stop. */
void md_recsess_copy_event(md_ctx *ctx, md_call *c, int copy, int ev, int force_update);
void md_recsess_stop(md_ctx *ctx, md_rec *r, int send_bye);
/* Report a failed recording to the controlling leg (INFO with an MSML event). */
void md_sip_report_failure(md_ctx *ctx, md_call *c, const char *record_id, const char *dest,
                           int status, const char *reason);
/* Pause the sessions when MSML paused or a party muted, resume when neither holds.
 * Returns 1 when that changed (the sessions were told), 0 otherwise. */
int md_sip_update_pause(md_ctx *ctx, md_call *c);
/* Tell the controlling side one stream is not recorded (recorder answered port 0):
 * the seed's "indicate video recording state as off"; the session goes on. */
void md_sip_report_stream_off(md_ctx *ctx, md_call *c, const char *record_id, int index,
                              const char *media, const char *dn);
/* INFO with an MSML <event name=event> and the name/value pairs of kv (NULL-terminated)
 * to the leg that controls the recording. */
void md_sip_send_event(md_call *c, const char *event, const char *const *kv);
/* Drop a call whose last leg ended. */
void md_sip_call_gone(md_ctx *ctx, md_call *c);

#endif
