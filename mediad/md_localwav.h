/* Local recording: a stereo G.711 WAV per call, fed by the RTP worker through a lock-free ring. */
#ifndef MD_LOCALWAV_H
#define MD_LOCALWAV_H

#include "ar_rtp.h"

#include <stddef.h>
#include <stdint.h>

typedef struct md_lw_sys md_lw_sys;     /* the writer thread and its ring */
typedef struct md_localwav md_localwav; /* one file */

/* Header rewritten at least this often while a file is open (what a kill loses is
 * at most this plus MD_LW_WINDOW_MS of audio). */
#define MD_LW_SYNC_MS   1000
#define MD_LW_WINDOW_MS 500 /* jitter tolerance: audio held in memory before written */

/* Start the writer thread for files under dir. NULL on failure. */
md_lw_sys *md_lw_sys_new(const char *dir);
/* Stop the thread after the ring is drained; every open file is closed (valid). Call
 * after md_engine_free, so nothing produces any more. */
void md_lw_sys_free(md_lw_sys **ps);
/* Entries dropped because the ring was full, files that failed to open or write. */
uint64_t md_lw_sys_dropped(const md_lw_sys *s);
uint64_t md_lw_sys_errors(const md_lw_sys *s);

/*
 * Control side: a new file DIR/<name>.wav (name sanitised to [A-Za-z0-9._-]; "-2",
 * "-3"... appended when the name exists) in the given law (0 mu-law, 1 A-law), with
 * its time origin now. The writer thread opens it when the first stream attaches and
 * frees it when the last one detaches. path (optional) receives the file's path.
 */
md_localwav *md_lw_new(md_lw_sys *s, const char *name, int law, char *path, size_t cap);

/* Worker side: one stream's tap into a file (lives inside the stream). */
typedef struct {
    md_localwav *lw; /* NULL: not recorded locally */
    uint8_t ch;      /* 0 = recordDN, 1 = otherDN */
    uint8_t tone;    /* take the tone-mixed copy */
    uint8_t on;      /* 0 while paused: nothing is written (silence in the file) */
    uint8_t anchored;
    uint32_t ssrc, base_ts;
    int64_t base_pos;
} md_lw_tap;

/* Attach (lw != NULL) or detach the tap; pushes ATTACH/DETACH records. */
void md_lw_tap_set(md_lw_tap *t, md_localwav *lw, int ch, int tone, uint64_t now_ns);
/* One valid RTP packet: queue its payload at its wall-clock aligned position. Never
 * blocks or allocates; a full ring drops the packet (counted). */
void md_lw_tap_packet(md_lw_tap *t, const uint8_t *payload, const ar_rtp_hdr *h, uint64_t now_ns);

/* Control glue (GLib thread): open/attach on a recording with localrecord=true,
 * pause/resume, detach on stop. Call after any change, like md_tone_update. */
typedef struct md_ctx md_ctx;
typedef struct md_call md_call;
void md_localwav_update(md_ctx *ctx, md_lw_sys *sys, md_call *c);
void md_localwav_call_free(md_call *c);

#endif
