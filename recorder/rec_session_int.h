/* Internal layout of a recording session, shared by rec_session.c and rec_sidecar.c. */
#ifndef REC_SESSION_INT_H
#define REC_SESSION_INT_H

#include "ar_rtp.h"
#include "ar_sdp.h"
#include "ar_wav.h"
#include "rec_session.h"

#include <glib.h>
#include <stdint.h>

#define REC_MAX_PAUSES 64
#define REC_MAX_AUDIO  2

typedef struct {
    rec_session *sess;
    int index; /* m= line index */
    char media[AR_SDP_TOKEN_LEN];
    char label[AR_SDP_LABEL_LEN];
    char party[REC_SIPREC_TEXT_LEN]; /* dn / otherDN (seed) or participant aor (SIPREC) */
    int accepted;                    /* answered with a port */
    int channel;                     /* WAV channel, -1 when not written (video) */
    int audio_ordinal;               /* 0 for the first audio m= line, 1 for the second... */
    int active;                      /* offer direction lets media flow to us */
    rec_rtp_sock *sock;
    struct rec_srtp *srtp; /* SRTP state (rec_srtp.h); NULL while the stream was never secure */
    uint16_t port;         /* RTP port answered, 0 when declined */
    char remote_addr[AR_SDP_ADDR_LEN]; /* offerer's c= and port for this m= line */
    uint16_t remote_port;
    uint8_t law[128]; /* per payload type: AR_WAV_MULAW / AR_WAV_ALAW / 0 */
    int pt;           /* first payload type offered */
    char enc[AR_SDP_TOKEN_LEN];
    ar_rtp_stats st;
    uint64_t lost_before; /* losses of earlier SSRCs */
    uint64_t packets, bytes, malformed, out_of_order, duplicates, other_pt, paused_packets;
    uint64_t early, late_samples, rtcp_packets, rtcp_malformed, reanchors;
    uint64_t foreign; /* final count of datagrams from other sources (socket closed) */
    uint32_t last_ssrc;
    int64_t first_us, last_us; /* monotonic; 0 = none yet */
    int anchored;
    uint64_t anchor_pos;
    uint32_t anchor_ts;
} rec_stream;

typedef struct {
    int64_t start_us, end_us; /* real time; end 0 = still paused */
} rec_pause;

/* Params mediad passed with a pause / resume / stop (X-Record-Params on a re-INVITE or
 * BYE): the seed's params "that modifies the recording session". */
#define REC_MAX_PARAM_UPDATES 8
typedef struct {
    int64_t at_us;   /* real time */
    char request[8]; /* "INVITE" (re-INVITE) or "BYE" */
    int n;
    rec_uri_kv kv[REC_URI_MAX_KV];
} rec_param_update;

struct rec_session {
    rec_config cfg;
    char *dir;
    char *request_uri;
    char *call_id;
    char *from;
    rec_uri uri;
    char record_id[REC_URI_VAL_LEN];
    int generated_id;
    char name[280]; /* file base name */
    rec_dialect dialect;
    int have_meta;
    rec_siprec_meta meta;

    int nstreams;
    rec_stream streams[AR_SDP_MAX_MEDIA];
    int naudio;
    ar_wav_format law;

    uint64_t o_sess_id, o_version; /* ours */
    uint64_t remote_version;
    int have_remote_version;
    unsigned offers, version_changes;
    char *answer;

    int started, ended;
    int64_t start_mono, start_real, end_real;
    char end_reason[64];
    int paused;
    int npauses;
    unsigned pauses_dropped;
    rec_pause pauses[REC_MAX_PAUSES];
    int nupdates;
    unsigned updates_dropped;
    rec_param_update updates[REC_MAX_PARAM_UPDATES];
    ar_wav_writer *wav;
    uint64_t wav_samples;
    int tick; /* in the shared tick list (rec_session.c) */
    unsigned ticks;
};

/* Real time (µs since the epoch) of a monotonic instant of this session. */
int64_t rec_session_real(const rec_session *s, int64_t mono_us);

/* Writes <dir>/<name>.json atomically (tmp + rename). Returns ar_err. */
int rec_sidecar_write(const rec_session *s);

#endif
