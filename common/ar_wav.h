/* G.711 WAV files: a wall-clock aligned multi-channel writer and a validating reader. */
#ifndef AR_WAV_H
#define AR_WAV_H

#include <stddef.h>
#include <stdint.h>

/* WAVE format tags for the two G.711 laws (8 bits per sample, 8000 Hz). */
typedef enum { AR_WAV_ALAW = 6, AR_WAV_MULAW = 7 } ar_wav_format;

#define AR_WAV_RATE         8000
#define AR_WAV_MAX_CHANNELS 8
/* Bytes before the samples in a file we write: RIFF(12) fmt(8+18) fact(8+4) data(8). */
#define AR_WAV_HEADER_SIZE 58

/* The byte that decodes to (near) zero amplitude in each law. */
uint8_t ar_wav_silence(ar_wav_format fmt);

/* G.711 conversions, used when a stream's law differs from the file's law. */
int16_t ar_g711_ulaw_decode(uint8_t u);
int16_t ar_g711_alaw_decode(uint8_t a);
uint8_t ar_g711_ulaw_encode(int16_t pcm);
uint8_t ar_g711_alaw_encode(int16_t pcm);

typedef struct ar_wav_writer ar_wav_writer;

/*
 * Creates PATH (truncating it) with a valid header for zero samples. Samples
 * are addressed by absolute position (sample index since the file's start), so
 * each channel can be written independently; every position nobody wrote is
 * silence. window is how many samples per channel are held in memory before
 * being written (jitter tolerance); data older than the written part is late
 * and dropped (counted). Returns an ar_err code.
 */
int ar_wav_writer_open(ar_wav_writer **out, const char *path, ar_wav_format fmt, unsigned channels,
                       unsigned window);

/* Stores n samples for channel ch starting at position pos. Returns the number
 * of samples dropped because they were older than what is already written. */
size_t ar_wav_writer_put(ar_wav_writer *w, unsigned ch, uint64_t pos, const uint8_t *samples,
                         size_t n);

/* Writes every frame before position pos to the file (silence where nothing was
 * put); the file then holds at least pos samples per channel. Returns ar_err. */
int ar_wav_writer_advance(ar_wav_writer *w, uint64_t pos);

/* Rewrites the RIFF/fact/data sizes for what is on disk and flushes, so a reader
 * sees a valid file while recording goes on. Returns ar_err. */
int ar_wav_writer_sync(ar_wav_writer *w);

/* Samples per channel written to the file so far. */
uint64_t ar_wav_writer_written(const ar_wav_writer *w);
/* One past the highest position ever put (what close writes up to at least). */
uint64_t ar_wav_writer_end(const ar_wav_writer *w);
/* Samples dropped as late, over all channels. */
uint64_t ar_wav_writer_late(const ar_wav_writer *w);
ar_wav_format ar_wav_writer_format(const ar_wav_writer *w);
unsigned ar_wav_writer_channels(const ar_wav_writer *w);

/* Writes everything put so far (at least up to end_pos), finalizes the header and
 * closes the file; *w becomes NULL. Returns ar_err of the final writes. */
int ar_wav_writer_close(ar_wav_writer **w, uint64_t end_pos);

/* What a WAV header says, as checked by ar_wav_parse. */
typedef struct {
    uint16_t format; /* 1 PCM, 6 A-law, 7 mu-law, ... */
    uint16_t channels;
    uint32_t rate;
    uint32_t byte_rate;
    uint16_t block_align;
    uint16_t bits;
    int has_fact;
    uint32_t fact_samples;
    size_t data_offset; /* offset of the first sample byte in the buffer */
    size_t data_len;    /* bytes of sample data (whole frames) */
    uint64_t frames;    /* data_len / block_align */
} ar_wav_info;

/*
 * Validates a whole WAV file in memory: RIFF/WAVE magic, chunk sizes inside the
 * buffer, one fmt chunk before data, consistent byte rate and block align, a
 * fact chunk (when present) that agrees with the data size. *why (optional) gets
 * a static text naming the first problem. Returns AR_E_OK, AR_E_WAV_MALFORMED or
 * AR_E_WAV_UNSUPPORTED (valid RIFF but not a format we can read: only PCM16 and
 * G.711 are).
 */
int ar_wav_parse(const uint8_t *buf, size_t len, ar_wav_info *info, const char **why);

/* Reads and validates a file; *buf is malloc'ed (free it). Returns ar_err. */
int ar_wav_read_file(const char *path, uint8_t **buf, size_t *len, ar_wav_info *info,
                     const char **why);

/* Decodes frame i, channel ch of a parsed file to linear PCM16. */
int16_t ar_wav_sample(const uint8_t *buf, const ar_wav_info *info, uint64_t frame, unsigned ch);

#endif
