/* Compliance tones: the per-stream tone player (RTP worker) and the per-call control glue. */
#ifndef MD_TONE_H
#define MD_TONE_H

#include "ar_rtp.h"
#include "md_params.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Worker side. A player repeats "tone (n samples), then silence (silence samples)"
 * on the RTP clock of the stream it is attached to: the position advances by the
 * RTP timestamps of the packets that pass, so the interval is exact whatever the
 * wall-clock jitter, and lost packets skip their share of the tone.
 */
typedef struct {
    const int16_t *pcm; /* NULL: no tone (owned by the md_fetch cache) */
    uint32_t n;         /* tone length in samples */
    uint32_t period;    /* n + silence */
    uint32_t pos;       /* position in the period of the sample at next_ts */
    uint32_t next_ts;   /* RTP timestamp expected next */
    uint32_t ssrc;
    uint8_t started;
} md_tone_play;

/* Arm (pcm != NULL: the tone starts with the next packet) or disarm the player. */
void md_tone_play_set(md_tone_play *p, const int16_t *pcm, uint32_t n, uint32_t silence);
/*
 * For one valid RTP packet (pkt, len, parsed h): when the tone sounds during it and
 * the payload is G.711 (PT 0 or 8), writes a copy with the tone mixed in to out
 * (len bytes) and returns 1; otherwise returns 0 (send the packet unchanged).
 */
int md_tone_play_mix(md_tone_play *p, const uint8_t *pkt, size_t len, const ar_rtp_hdr *h,
                     uint8_t *out);

/* Control side (GLib thread). */
typedef struct md_ctx md_ctx;
typedef struct md_call md_call;
typedef struct md_fetch md_fetch;

#define MD_TONE_MIN_SILENCE_MS     1500
#define MD_TONE_DEFAULT_SILENCE_MS 30000

/* record_chan1source/record_chan2source: *a_hears when the recordDN channel carries
 * what otherDN hears (tone included), *b_hears likewise for the otherDN channel. */
void md_tone_channel_hears(const md_params *p, int *a_hears, int *b_hears);
/* Silence between tones in ms from the tonesilenceduration value (NULL = absent). */
long md_tone_silence_ms(const char *value);
/*
 * Bring the call's tone in line with its state: fetch audiosrc on a new recording
 * (a failure is reported to the gateway as msml.recorder.error, reason
 * "audiosrc: ..."), arm the players of the parties' streams while recording and not
 * paused (restarting the tone on resume), disarm otherwise, and mark which recorder
 * streams carry the tone. Call after any change of recording, pause or wiring.
 */
void md_tone_update(md_ctx *ctx, md_fetch *fetch, md_call *c);
/* Free the call's tone state (c->tone). */
void md_tone_call_free(md_call *c);

#endif
