/* gatewayd configuration: INI-like parser, validation with line numbers, reload diff. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar_sched.h"

/* DN object types (the seed's configuration object types). */
#define GW_DN_TYPES(X)                                                                             \
    X(EXTENSION, "Extension")                                                                      \
    X(ACD_POSITION, "ACD Position")                                                                \
    X(TRUNK, "Trunk")                                                                              \
    X(TRUNK_GROUP, "Trunk Group")                                                                  \
    X(ROUTING_POINT, "Routing Point")                                                              \
    X(VOICE_TREATMENT_PORT, "Voice Treatment Port")                                                \
    X(VOIP_SERVICE, "VoIP Service")

typedef enum {
#define GW_DN_TYPE_ENUM(name, text) GW_DN_##name,
    GW_DN_TYPES(GW_DN_TYPE_ENUM)
#undef GW_DN_TYPE_ENUM
        GW_DN_NTYPES
} gw_dn_type;

/* How RequestAnswerCall makes a ringing phone answer (per DN `remote-answer`). */
typedef enum {
    GW_RA_NONE = 0,   /* it cannot: EventError */
    GW_RA_NOTIFY_TALK /* in-dialog NOTIFY, Event: talk (BroadSoft / Polycom style) */
} gw_remote_answer;
const char *gw_remote_answer_name(gw_remote_answer m);

const char *gw_dn_type_name(gw_dn_type t);

/* Recording options shared by [gateway] (defaults) and [application] (overrides). */
typedef struct {
    char *recording_filename; /* NULL = not set */
    int msml_support;         /* -1 unset, 0/1 */
    int msml_record_support;  /* -1 unset, 0/1 */
    int record_consult_calls; /* -1 unset, 0/1 */
    /* Recording controller (gw_rec.c, docs/recording.md). */
    char *recording_dest;    /* default recorder URI (dest), NULL = none */
    char *recording_dest2;   /* default duplicate recorder (dest2, seed recdest2), NULL = none */
    int recmediactl;         /* recording INVITEs per recording: 1 or 2 (seed), -1 unset */
    char *audiosrc;          /* compliance tone WAV URI, NULL = none */
    int tonesilenceduration; /* ms between tones, -1 unset */
} gw_rec_opts;

/* One DN (a [dn] section; a range section yields one entry per number). */
typedef struct {
    char *number;
    gw_dn_type type;
    bool record;
    char *geo_location;
    bool dual_dialog_enabled; /* default true: consultation calls get their own dialog */
    bool pre_recording;       /* docs/recording.md "Pre-recording" */
    char *contact;            /* static SIP contact (trunks, VoIP services) */
    char *service_type;       /* "msml" for a media-server VoIP Service DN */
    char *prefix;
    bool refer_enabled;
    gw_remote_answer remote_answer;
    int make_call_rfc3725_flow; /* 0 or 1 */
    bool sip_hold_rfc3264;
    int oos_check;      /* seconds between OPTIONS checks, 0 = off, -1 = media-oos-check */
    int oos_force;      /* missed checks before out of service, -1 = media-oos-force */
    char *password;     /* SIP digest password for REGISTER, NULL = none */
    char *default_dn;   /* Routing Point: default route target */
    int router_timeout; /* Routing Point: seconds before the default route */
    int line;           /* line of the section header */

    /* Trunk to another site: that gateway's location-name (gw_site.c). */
    char *location_name;
} gw_dn_conf;

typedef struct {
    char *login;
    char *password; /* NULL = none */
    char *dn;       /* DN the agent normally logs in on, NULL = any */
    bool record;    /* full-time recording of this agent's calls (gw_rec.c) */
    int line;
} gw_agent_conf;

/* Allowed-DN list of an application: "*", single numbers and numeric ranges. */
typedef struct {
    bool all;
    size_t n;
    struct gw_dn_range {
        uint64_t lo, hi; /* numeric ranges; lo == hi for a single number */
        char *text;      /* non-numeric DN name, exact match (lo/hi unused) */
    } * r;
} gw_dn_set;

typedef struct {
    char *name;
    char *password; /* a [desktop]'s token */
    gw_dn_set dns;
    gw_dn_set agents; /* agent logins it may use; [application] without the key: all */
    bool desktop;     /* from a [desktop NAME] section (token authentication) */
    gw_rec_opts rec;
    int line;
} gw_app_conf;

typedef struct {
    char *host;
    int port; /* 0 = ephemeral */
} gw_listen;

/* A member line of a [pool NAME] section (gw_pool.c, docs/pools.md). */
typedef struct {
    char *uri;          /* sip:/sips: URI of the mediad or recorder */
    unsigned ports;     /* capacity: ports (one per recorded stream) it can hold */
    char *geo_location; /* NULL = the pool's */
    char *redundancy;   /* "active" (only value the seed uses) */
    int sip_port;       /* port for a uri without one (sip:), 0 = none */
    int sips_port;      /* port for a sips: uri without one, 0 = none */
    char *dn;           /* DN its EventDNOutOfService / BackInService go to, NULL = none */
    int line;
} gw_pool_member_conf;

/* [pool NAME]: a resource group of mediad instances or recorders. */
typedef struct {
    char *name;
    int kind;     /* gw_pool_kind: 0 mediad, 1 recorder */
    int scheme;   /* gw_pool_scheme: 0 round-robin, 1 least-used, 2 parallel */
    bool monitor; /* SIP OPTIONS (true) or none */
    int interval; /* seconds between OPTIONS */
    int misses;   /* missed checks before out of service */
    char *geo_location;
    gw_pool_member_conf *members;
    size_t n_members;
    int line;
} gw_pool_conf;

typedef struct gw_config {
    char *path;
    /* [gateway] */
    char *site;
    char *application_name;
    gw_listen tlib_listen;
    gw_listen ws_listen;
    uint32_t max_frame_size;
    uint64_t client_queue_limit;
    int frame_timeout;
    int max_clients;
    char *log_level; /* NULL = leave the command line's level */
    char *web_root;  /* absolute or relative to the config file; NULL = no files */

    /* Loop priorities (gw_tlprio.h, docs/sip.md "Throughput"). */
    bool tlib_first;          /* T-Lib client sources ahead of SIP in the loop */
    int sip_batch_max_us;     /* a SIP batch also ends after this long; 0 = by count only */
    bool sip_timer_wait;      /* sofia timers due within 1 ms wait in poll (gw_sipspin.h) */
    ar_sched_spec scheduling; /* every thread's CPU scheduling, set at start (ar_sched.h) */

    /* WebSocket desktops and the status page (docs/websocket-api.md, status-page.md). */
    int max_conns_per_source; /* WebSocket sessions from one IP address */
    int resume_ring_bytes;    /* replay ring per desktop session, 0 = no resume */
    int resume_window;        /* seconds a closed desktop session stays resumable */
    int heartbeat_interval;   /* seconds idle before a WebSocket PING, 0 = off */
    int auth_timeout;         /* seconds a /status stream has to authenticate */
    char *status_token;       /* /status and /metrics credential, NULL = refused */
    /* TLS on the ws-listen port (wss://, https://): certificate and key, both or neither. */
    struct gw_ws_tls_conf {
        char *cert; /* PEM certificate (chain); relative = to the configuration file's folder */
        char *key;  /* PEM private key, unencrypted */
        char *ca;   /* PEM CA bundle: clients must present a certificate it signed; NULL = no */
        int cert_line, key_line, ca_line; /* where each was set, for validation errors */
    } ws_tls;
    gw_rec_opts rec;
    /* SIP side (gw_sip.c): sip-listen unset (host NULL) = no SIP stack. */
    gw_listen sip_listen;
    char *trusted_networks;  /* "127.0.0.0/8, ::1/128": REGISTER without digest auth */
    int no_answer_timeout;   /* seconds a leg may ring before NoAnswer */
    int session_expires;     /* RFC 4028 Session-Expires we ask for, 0 = no timer */
    int register_rate_limit; /* REGISTERs per second from one source address */
    int sip_udp_rcvbuf;      /* SO_RCVBUF of the SIP UDP sockets, bytes; 0 = kernel default */
    int sip_dispatch_batch;  /* sofia dispatches per loop iteration while readable; 1 = off */
    bool sip_self_wakeups;   /* wake the loop for messages queued by its own thread (gw_wakeup.h) */
    bool sip_stack_thread;   /* nua + nta + tport on their own thread (gw_sipthread.h) */
    ar_sched_spec sip_stack_scheduling; /* that thread's CPU scheduling (ar_sched.h) */
    bool sip_batch_io; /* that thread's UDP in recvmmsg/sendmmsg batches (gw_sipio.h) */
    /* Load shedding (gw_overload.c, docs/calls.md "Overload"): 0 = no limit. */
    int max_calls;            /* calls in progress */
    int max_call_rate;        /* new calls (INVITEs) per second */
    int max_register_rate;    /* REGISTERs per second, all sources together */
    int overload_retry_after; /* Retry-After seconds in the 503 */
    int shutdown_timeout_ms;  /* bound on the SIP stack's shutdown (BYEs to calls in progress) */
    /* SIPS (gw_siptls.c, docs/sip.md "SIPS"): sips-listen unset (host NULL) = no TLS. */
    gw_listen sips_listen;
    struct gw_sip_tls_conf {
        char *cert_dir;   /* agent.pem (key + chain) and cafile.pem, sofia-sip's layout */
        char *cert, *key; /* or PEM files: certificate chain and private key */
        char *ca;         /* PEM CAs trusted for peers */
        char *verify;     /* all | out | in | none (default out) */
    } sip_tls;
    /* SIP OPTIONS health checks (gw_health.c, docs/recording.md "Health checks"). */
    int media_oos_check, media_oos_force;       /* msml DNs without their own oos-* */
    int recorder_oos_check, recorder_oos_force; /* the recording-dest recorder */

    /* Multi-site (gw_site.c, docs/multisite.md). */
    int islink_max_hops;            /* inter-site hops a call may make */
    bool islink_continue_recording; /* mark recorded calls; continue recorded calls */
    bool oosp_transfer_enabled;     /* inter-site transfers by REFER (leave the path) */

    gw_dn_conf *dns;
    size_t n_dns;
    gw_agent_conf *agents;
    size_t n_agents;
    /* [pool NAME] sections (docs/pools.md); none = implicit pools from msml DNs and
     * recording-dest. */
    gw_pool_conf *pools;
    size_t n_pools;
    bool geo_nomatch_reject; /* reject-recording-request-on-geo-location-nomatch */
    /* docs/failover.md: a failed recorder / mediad is replaced by the next pool member
     * (true) or the recording just stops (false). */
    bool recorder_failover, mediad_failover;
    /* recording-sessions: 2 lets a call carry a second recording session for another
     * purpose (docs/recording.md "Multiple recording sessions"); 1 = the seed's rule. */
    int recording_sessions;
    /* Pre-recording (docs/recording.md "Pre-recording"): calls of a DN with pre-recording =
     * true are kept as mediad's local WAV in pre_recording_dir for pre_recording_window_ms
     * after they end; 0 or no dir = off. */
    int pre_recording_window_ms;
    char *pre_recording_dir;
    gw_app_conf *apps;
    size_t n_apps;
    /* [database] (docs/database.md): dsn unset = no database writer. */
    struct gw_db_conf {
        char *dsn;
        char *journal; /* journal file; relative = to the configuration file's folder */
        uint64_t journal_max_bytes;
        int journal_sync_ms;
        int batch_rows;
        int queue_max_rows;
        bool migrate; /* apply schema/ migrations when connecting */
    } db;
} gw_config;

/* Error list: each entry "FILE:LINE: message". */
typedef struct {
    char **msgs;
    size_t n, cap;
} gw_config_errors;

/*
 * Parse and validate a configuration file. Returns the config, or NULL with every
 * problem found appended to errs (the parser goes on after an error).
 */
gw_config *gw_config_load(const char *path, gw_config_errors *errs);
/* Same from a string; `name` is used as FILE in messages. */
gw_config *gw_config_parse(const char *name, const char *text, gw_config_errors *errs);
void gw_config_free(gw_config **cfg);
void gw_config_errors_clear(gw_config_errors *errs);

const gw_dn_conf *gw_config_find_dn(const gw_config *cfg, const char *number);
const gw_app_conf *gw_config_find_app(const gw_config *cfg, const char *name);
const gw_agent_conf *gw_config_find_agent(const gw_config *cfg, const char *login);
bool gw_dn_set_contains(const gw_dn_set *s, const char *number);

/* Parse "host:port" / "[v6]:port". Returns false on bad text. */
bool gw_listen_parse(const char *text, gw_listen *out);

/*
 * Describe what changed from old to new, one human line per change ("dn 5001:
 * record false -> true", "application x added"), calling fn for each line.
 * Returns the number of changes.
 */
typedef void (*gw_config_diff_fn)(void *ud, const char *line);
size_t gw_config_diff(const gw_config *old, const gw_config *cur, gw_config_diff_fn fn, void *ud);

#endif
