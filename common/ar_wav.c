/* G.711 WAV files: a wall-clock aligned multi-channel writer and a validating reader. */
#include "ar_wav.h"

#include "ar_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAV_MAX_DATA 0xFFFFFFFFu - 64u

struct ar_wav_writer {
    FILE *fp;
    ar_wav_format fmt;
    unsigned channels;
    unsigned window;  /* frames held in the ring */
    uint8_t *ring;    /* window * channels bytes, interleaved; slot = pos % window */
    uint64_t written; /* frames on disk */
    uint64_t late;
    uint64_t end; /* one past the highest position ever put */
    int io_error;
};

uint8_t ar_wav_silence(ar_wav_format fmt)
{
    return fmt == AR_WAV_ALAW ? 0xD5 : 0xFF;
}

/* The classic G.711 reference conversions (segment + mantissa). */
int16_t ar_g711_ulaw_decode(uint8_t u)
{
    u = (uint8_t)~u;
    int t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (int16_t)((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

int16_t ar_g711_alaw_decode(uint8_t a)
{
    a ^= 0x55;
    int t = (a & 0x0F) << 4;
    int seg = (a & 0x70) >> 4;
    if (seg == 0)
        t += 8;
    else if (seg == 1)
        t += 0x108;
    else
        t = (t + 0x108) << (seg - 1);
    return (int16_t)((a & 0x80) ? t : -t);
}

static int seg_of(int v, const int *ends, int n)
{
    for (int i = 0; i < n; i++)
        if (v <= ends[i])
            return i;
    return n;
}

uint8_t ar_g711_ulaw_encode(int16_t pcm)
{
    static const int ends[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
    int v = pcm >> 2;
    int mask;
    if (v < 0) {
        v = -v;
        mask = 0x7F;
    } else {
        mask = 0xFF;
    }
    if (v > 8159)
        v = 8159;
    v += 0x84 >> 2;
    int seg = seg_of(v, ends, 8);
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    int uval = (seg << 4) | ((v >> (seg + 1)) & 0x0F);
    return (uint8_t)(uval ^ mask);
}

uint8_t ar_g711_alaw_encode(int16_t pcm)
{
    static const int ends[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
    int v = pcm >> 3;
    int mask;
    if (v >= 0) {
        mask = 0xD5;
    } else {
        mask = 0x55;
        v = -v - 1;
    }
    int seg = seg_of(v, ends, 8);
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    int aval = seg << 4;
    aval |= seg < 2 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F;
    return (uint8_t)(aval ^ mask);
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The header for a file holding `frames` frames; pad says whether a RIFF pad
 * byte follows an odd-sized data chunk (only once the file is closed). */
static void build_header(const ar_wav_writer *w, uint8_t h[AR_WAV_HEADER_SIZE], uint64_t frames,
                         int pad)
{
    uint64_t data = frames * w->channels;
    if (data > WAV_MAX_DATA)
        data = WAV_MAX_DATA;
    uint32_t fact = (uint32_t)(frames > 0xFFFFFFFFu ? 0xFFFFFFFFu : frames);
    memcpy(h, "RIFF", 4);
    put_le32(h + 4, (uint32_t)(AR_WAV_HEADER_SIZE - 8 + data + (pad ? 1 : 0)));
    memcpy(h + 8, "WAVE", 4);
    memcpy(h + 12, "fmt ", 4);
    put_le32(h + 16, 18);
    put_le16(h + 20, (uint16_t)w->fmt);
    put_le16(h + 22, (uint16_t)w->channels);
    put_le32(h + 24, AR_WAV_RATE);
    put_le32(h + 28, AR_WAV_RATE * w->channels);
    put_le16(h + 32, (uint16_t)w->channels);
    put_le16(h + 34, 8);
    put_le16(h + 36, 0); /* cbSize: non-PCM formats carry it, empty */
    memcpy(h + 38, "fact", 4);
    put_le32(h + 42, 4);
    put_le32(h + 46, fact);
    memcpy(h + 50, "data", 4);
    put_le32(h + 54, (uint32_t)data);
}

static int write_header(ar_wav_writer *w, int pad)
{
    uint8_t h[AR_WAV_HEADER_SIZE];
    build_header(w, h, w->written, pad);
    if (fflush(w->fp) != 0)
        return AR_E_IO;
    if (pwrite(fileno(w->fp), h, sizeof h, 0) != (ssize_t)sizeof h)
        return AR_E_IO;
    return AR_E_OK;
}

int ar_wav_writer_open(ar_wav_writer **out, const char *path, ar_wav_format fmt, unsigned channels,
                       unsigned window)
{
    int rc = AR_E_OK;
    ar_wav_writer *w = NULL;
    *out = NULL;
    if ((fmt != AR_WAV_ALAW && fmt != AR_WAV_MULAW) || channels == 0 ||
        channels > AR_WAV_MAX_CHANNELS || window == 0)
        return AR_E_INVALID_VALUE;
    w = calloc(1, sizeof *w);
    if (!w)
        return AR_E_NOMEM;
    w->fmt = fmt;
    w->channels = channels;
    w->window = window;
    w->ring = malloc((size_t)window * channels);
    if (!w->ring) {
        rc = AR_E_NOMEM;
        goto cleanup;
    }
    memset(w->ring, ar_wav_silence(fmt), (size_t)window * channels);
    w->fp = fopen(path, "w+b");
    if (!w->fp) {
        rc = AR_E_IO;
        goto cleanup;
    }
    uint8_t h[AR_WAV_HEADER_SIZE];
    build_header(w, h, 0, 0);
    if (fwrite(h, sizeof h, 1, w->fp) != 1 || fflush(w->fp) != 0) {
        rc = AR_E_IO;
        goto cleanup;
    }
    *out = w;
    w = NULL;
cleanup:
    if (w) {
        if (w->fp)
            fclose(w->fp);
        free(w->ring);
        free(w);
    }
    return rc;
}

int ar_wav_writer_advance(ar_wav_writer *w, uint64_t pos)
{
    while (w->written < pos) {
        /* Write the contiguous run of ring slots from `written`, then clear it. */
        uint64_t slot = w->written % w->window;
        uint64_t run = w->window - slot;
        if (run > pos - w->written)
            run = pos - w->written;
        uint8_t *p = w->ring + slot * w->channels;
        size_t bytes = (size_t)run * w->channels;
        if (!w->io_error && fwrite(p, 1, bytes, w->fp) != bytes)
            w->io_error = 1;
        memset(p, ar_wav_silence(w->fmt), bytes);
        w->written += run;
    }
    return w->io_error ? AR_E_IO : AR_E_OK;
}

size_t ar_wav_writer_put(ar_wav_writer *w, unsigned ch, uint64_t pos, const uint8_t *samples,
                         size_t n)
{
    size_t dropped = 0;
    if (ch >= w->channels)
        return n;
    if (n > w->window) {
        /* Larger than the ring: store it window by window so nothing is flushed unset. */
        for (size_t done = 0; done < n; done += w->window) {
            size_t k = n - done < w->window ? n - done : w->window;
            dropped += ar_wav_writer_put(w, ch, pos + done, samples + done, k);
        }
        return dropped;
    }
    if (pos < w->written) {
        uint64_t behind = w->written - pos;
        dropped = behind >= n ? n : (size_t)behind;
        samples += dropped;
        pos += dropped;
        n -= dropped;
        w->late += dropped;
    }
    if (n == 0)
        return dropped;
    if (pos + n > w->end)
        w->end = pos + n;
    /* Make room: everything older than the window's reach goes to disk first. */
    if (pos + n > w->written + w->window)
        ar_wav_writer_advance(w, pos + n - w->window);
    for (size_t i = 0; i < n; i++)
        w->ring[((pos + i) % w->window) * w->channels + ch] = samples[i];
    return dropped;
}

int ar_wav_writer_sync(ar_wav_writer *w)
{
    if (w->io_error)
        return AR_E_IO;
    return write_header(w, 0);
}

uint64_t ar_wav_writer_written(const ar_wav_writer *w)
{
    return w->written;
}

uint64_t ar_wav_writer_end(const ar_wav_writer *w)
{
    return w->end;
}

uint64_t ar_wav_writer_late(const ar_wav_writer *w)
{
    return w->late;
}

ar_wav_format ar_wav_writer_format(const ar_wav_writer *w)
{
    return w->fmt;
}

unsigned ar_wav_writer_channels(const ar_wav_writer *w)
{
    return w->channels;
}

int ar_wav_writer_close(ar_wav_writer **wp, uint64_t end_pos)
{
    ar_wav_writer *w = *wp;
    int rc;
    if (!w)
        return AR_E_OK;
    *wp = NULL;
    rc = ar_wav_writer_advance(w, end_pos > w->end ? end_pos : w->end);
    int pad = ((w->written * w->channels) & 1) != 0;
    if (rc == AR_E_OK && pad && fputc(0, w->fp) == EOF)
        rc = AR_E_IO;
    if (rc == AR_E_OK)
        rc = write_header(w, pad);
    if (fclose(w->fp) != 0 && rc == AR_E_OK)
        rc = AR_E_IO;
    free(w->ring);
    free(w);
    return rc;
}

/* ---- reader ---- */

#define WHY(text)                                                                                  \
    do {                                                                                           \
        if (why)                                                                                   \
            *why = (text);                                                                         \
    } while (0)

static int check_fmt(const ar_wav_info *in, const char **why)
{
    if (in->channels == 0 || in->channels > AR_WAV_MAX_CHANNELS) {
        WHY("channel count out of range");
        return AR_E_WAV_MALFORMED;
    }
    if (in->rate == 0 || in->rate > 384000) {
        WHY("sample rate out of range");
        return AR_E_WAV_MALFORMED;
    }
    if (in->bits == 0 || in->bits % 8 != 0) {
        WHY("bits per sample not a whole number of bytes");
        return AR_E_WAV_MALFORMED;
    }
    if (in->block_align != in->channels * (in->bits / 8)) {
        WHY("block align does not match channels and bits");
        return AR_E_WAV_MALFORMED;
    }
    if (in->byte_rate != in->rate * in->block_align) {
        WHY("byte rate does not match rate and block align");
        return AR_E_WAV_MALFORMED;
    }
    if (in->format == 1 && in->bits == 16)
        return AR_E_OK;
    if ((in->format == AR_WAV_ALAW || in->format == AR_WAV_MULAW) && in->bits == 8)
        return AR_E_OK;
    WHY("only PCM16, A-law and mu-law are supported");
    return AR_E_WAV_UNSUPPORTED;
}

int ar_wav_parse(const uint8_t *buf, size_t len, ar_wav_info *info, const char **why)
{
    int have_fmt = 0, have_data = 0;
    size_t off = 12;
    memset(info, 0, sizeof *info);
    WHY("ok");
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0) {
        WHY("not a RIFF/WAVE file");
        return AR_E_WAV_MALFORMED;
    }
    uint32_t riff = get_le32(buf + 4);
    if (riff < 4 || (uint64_t)riff + 8 > len) {
        WHY("RIFF size exceeds the file");
        return AR_E_WAV_MALFORMED;
    }
    size_t end = (size_t)riff + 8;
    while (off + 8 <= end) {
        const uint8_t *c = buf + off;
        uint32_t size = get_le32(c + 4);
        size_t body = off + 8;
        if ((uint64_t)size > end - body) {
            WHY("chunk size exceeds the RIFF size");
            return AR_E_WAV_MALFORMED;
        }
        if (memcmp(c, "fmt ", 4) == 0) {
            if (have_fmt) {
                WHY("more than one fmt chunk");
                return AR_E_WAV_MALFORMED;
            }
            if (size < 16) {
                WHY("fmt chunk shorter than 16 bytes");
                return AR_E_WAV_MALFORMED;
            }
            info->format = get_le16(buf + body);
            info->channels = get_le16(buf + body + 2);
            info->rate = get_le32(buf + body + 4);
            info->byte_rate = get_le32(buf + body + 8);
            info->block_align = get_le16(buf + body + 12);
            info->bits = get_le16(buf + body + 14);
            int rc = check_fmt(info, why);
            if (rc != AR_E_OK)
                return rc;
            have_fmt = 1;
        } else if (memcmp(c, "fact", 4) == 0) {
            if (size < 4) {
                WHY("fact chunk shorter than 4 bytes");
                return AR_E_WAV_MALFORMED;
            }
            info->has_fact = 1;
            info->fact_samples = get_le32(buf + body);
        } else if (memcmp(c, "data", 4) == 0) {
            if (!have_fmt) {
                WHY("data chunk before fmt chunk");
                return AR_E_WAV_MALFORMED;
            }
            if (have_data) {
                WHY("more than one data chunk");
                return AR_E_WAV_MALFORMED;
            }
            if (size % info->block_align != 0) {
                WHY("data size is not a whole number of frames");
                return AR_E_WAV_MALFORMED;
            }
            info->data_offset = body;
            info->data_len = size;
            info->frames = size / info->block_align;
            have_data = 1;
        }
        /* Chunks are word aligned; a missing pad after the last chunk is tolerated. */
        off = body + size + (size & 1);
    }
    if (!have_fmt) {
        WHY("no fmt chunk");
        return AR_E_WAV_MALFORMED;
    }
    if (!have_data) {
        WHY("no data chunk");
        return AR_E_WAV_MALFORMED;
    }
    if (info->has_fact && info->format != 1 && info->fact_samples != info->frames) {
        WHY("fact sample count disagrees with the data size");
        return AR_E_WAV_MALFORMED;
    }
    return AR_E_OK;
}

int ar_wav_read_file(const char *path, uint8_t **bufp, size_t *lenp, ar_wav_info *info,
                     const char **why)
{
    int rc = AR_E_OK;
    uint8_t *buf = NULL;
    struct stat st;
    FILE *fp = fopen(path, "rb");
    *bufp = NULL;
    *lenp = 0;
    if (!fp) {
        WHY("cannot open file");
        return AR_E_IO;
    }
    if (fstat(fileno(fp), &st) != 0 || st.st_size < 0) {
        WHY("cannot stat file");
        rc = AR_E_IO;
        goto cleanup;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = AR_E_NOMEM;
        goto cleanup;
    }
    if (st.st_size > 0 && fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
        WHY("short read");
        rc = AR_E_IO;
        goto cleanup;
    }
    rc = ar_wav_parse(buf, (size_t)st.st_size, info, why);
    if (rc != AR_E_OK)
        goto cleanup;
    *bufp = buf;
    *lenp = (size_t)st.st_size;
    buf = NULL;
cleanup:
    free(buf);
    fclose(fp);
    return rc;
}

int16_t ar_wav_sample(const uint8_t *buf, const ar_wav_info *info, uint64_t frame, unsigned ch)
{
    if (frame >= info->frames || ch >= info->channels)
        return 0;
    const uint8_t *p = buf + info->data_offset + frame * info->block_align;
    switch (info->format) {
    case AR_WAV_MULAW:
        return ar_g711_ulaw_decode(p[ch]);
    case AR_WAV_ALAW:
        return ar_g711_alaw_decode(p[ch]);
    default:
        return (int16_t)get_le16(p + 2 * ch);
    }
}
