/* audiosrc loader: a fetch thread (files, http(s) via libcurl) with limits and a per-URI cache. */
#ifndef MD_FETCH_H
#define MD_FETCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct md_fetch md_fetch;

/* Size cap of an audiosrc WAV: a tone is seconds long; anything larger is refused
 * from its Content-Length (or file size) or as soon as the body passes the cap. */
#define MD_AUDIOSRC_MAX_BYTES (10u * 1024u * 1024u)

/* Result of a fetch: linear 8 kHz mono PCM, valid until md_fetch_free (the cache
 * owns it), or err != AR_E_OK with why naming the problem. */
typedef void (*md_fetch_cb)(void *ud, const char *uri, const int16_t *pcm, uint32_t n, int err,
                            const char *why);

/* max_bytes: size cap of the WAV file; timeout_ms: connect + total time for a URI.
 * Starts the fetch thread. NULL on failure. Call from the main thread before any
 * other thread uses libcurl. */
md_fetch *md_fetch_new(size_t max_bytes, unsigned timeout_ms);
/* Stops the thread (an ongoing transfer is aborted) and frees the cache. */
void md_fetch_free(md_fetch **f);

/*
 * Resolve uri (an absolute path, file://path, http:// or https://). cb runs later
 * on the GLib default main context, never from inside this call. A URI already
 * loaded is answered from the cache; failures are not cached (the file may be
 * fixed). ud_free (optional) releases ud after cb ran.
 */
void md_fetch_get(md_fetch *f, const char *uri, md_fetch_cb cb, void *ud, void (*ud_free)(void *));

/* Converts a WAV in memory (G.711 or PCM16, 8 kHz mono) to PCM. Returns ar_err;
 * *pcm is malloc'ed. Exposed for unit tests and the fuzzer. */
int md_fetch_wav_to_pcm(const uint8_t *buf, size_t len, int16_t **pcm, uint32_t *n,
                        const char **why);

#endif
