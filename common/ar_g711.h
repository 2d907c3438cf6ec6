/* G.711 mu-law / A-law: table-driven decode, encode and saturating mix for the media path. */
#ifndef AR_G711_H
#define AR_G711_H

#include <stddef.h>
#include <stdint.h>

typedef enum { AR_G711_ULAW = 0, AR_G711_ALAW = 1 } ar_g711_law;

/* Static payload types of RFC 3551: 0 = PCMU, 8 = PCMA; -1 for anything else. */
int ar_g711_law_of_pt(int pt);

/* One sample. Both directions are table lookups (256 and 16384 entries per law,
 * built once before main), so they are cheap enough for the per-packet path. */
int16_t ar_g711_decode(ar_g711_law law, uint8_t code);
uint8_t ar_g711_encode(ar_g711_law law, int16_t pcm);

void ar_g711_decode_buf(ar_g711_law law, const uint8_t *in, int16_t *out, size_t n);
void ar_g711_encode_buf(ar_g711_law law, const int16_t *in, uint8_t *out, size_t n);

/* out[i] = encode(clip(decode(in[i]) + add[i])); in and out may be the same buffer. */
void ar_g711_mix(ar_g711_law law, const uint8_t *in, const int16_t *add, uint8_t *out, size_t n);

/* The code that decodes to zero amplitude (mu-law 0xFF, A-law 0xD5). */
uint8_t ar_g711_silence(ar_g711_law law);

#endif
