/* Conference mixer: 3+ parties, each hearing the sum of the others (decode, sum, clip, encode). */
#ifndef MD_MIXER_H
#define MD_MIXER_H

#include <stddef.h>
#include <stdint.h>

#define MD_MIX_MAX   8    /* inputs and outputs per conference */
#define MD_MIX_FRAME 160  /* samples per 20 ms tick at 8 kHz */
#define MD_MIX_RING  1600 /* per-input buffer: 200 ms */

typedef struct md_stream md_stream;

/* What the control side asks for (copied into the mixer by the RTP worker). */
typedef struct {
    int nin;
    md_stream *in[MD_MIX_MAX]; /* party streams whose RTP is mixed */
    int nout;
    md_stream *out[MD_MIX_MAX]; /* streams that send a mix */
    uint32_t mask[MD_MIX_MAX];  /* which inputs each output sums (bit i = in[i]) */
    int8_t law_of[MD_MIX_MAX];  /* output encodes in the law of this input (-1: mu-law) */
} md_mix_cfg;

/* Worker-owned after creation (the control side only allocates it and posts it). */
typedef struct md_mixer {
    md_mix_cfg cfg;
    int16_t ring[MD_MIX_MAX][MD_MIX_RING];
    uint32_t rhead[MD_MIX_MAX], rcount[MD_MIX_MAX];
    uint8_t primed[MD_MIX_MAX];
    int8_t in_law[MD_MIX_MAX]; /* law of the last packet per input, -1 unknown */
    int16_t frame[MD_MIX_MAX][MD_MIX_FRAME];
    uint8_t have[MD_MIX_MAX];
    struct md_mixer *next; /* worker's list of active mixers */
} md_mixer;

/* Control side: a zeroed mixer; hand it to the engine with md_engine_mixer_set. */
md_mixer *md_mixer_new(void);

/* Worker: take in the payload of input slot i (G.711 PT 0/8 only; others ignored). */
void md_mixer_input(md_mixer *m, int i, int pt, const uint8_t *payload, size_t n);
/*
 * Worker, every 20 ms: pull one frame per input (an input is used once 40 ms are
 * buffered, and dropped back to priming when it runs dry, so arrival jitter does not
 * chop it), then for each output o encode sum(inputs in mask[o]) with saturation into
 * payload (MD_MIX_FRAME bytes) and call send(o, pt, payload). The sum is computed
 * once; an output's own input is left out by its mask, so nobody hears themself.
 */
void md_mixer_tick(md_mixer *m,
                   void (*send)(void *ud, md_mixer *m, int o, int pt, const uint8_t *payload,
                                size_t n),
                   void *ud);
/* Worker: forget a stream that is going away (inputs and outputs). */
void md_mixer_drop_stream(md_mixer *m, const md_stream *s);

/* Control glue (GLib thread), called from md_call_rewire: start, reconfigure or stop
 * the call's mixer. Conference mode is on while three or more legs have audio. */
typedef struct md_call md_call;
int md_mixer_wanted(const md_call *c);
/* Set the recording sessions' conference shape (md_rec_media conf_*) for the wiring. */
void md_mixer_shape(md_call *c);
void md_mixer_update(md_call *c);
void md_mixer_call_free(md_call *c);

#endif
