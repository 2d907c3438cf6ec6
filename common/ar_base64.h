/* Base64 (RFC 4648) encoder and strict, canonical decoder shared by SDES keys and JSON binaries. */
#ifndef AR_BASE64_H
#define AR_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decoding flags: JSON wants one text per value (padding required); SDES keys (RFC 4568)
   are often sent without padding. */
#define AR_BASE64_PAD_OPTIONAL 0u
#define AR_BASE64_PAD_REQUIRED 1u

/* Characters ar_base64_encode writes for n bytes, without the terminating NUL. */
static inline size_t ar_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Writes the padded encoding of in[0..len) and a NUL into out; returns its length, or -1 when
   cap is too small. */
int ar_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decodes in[0..len) into out; returns the byte count, or -1 on a character outside the
   alphabet, bad or (with AR_BASE64_PAD_REQUIRED) missing padding, non-zero leftover bits
   (non-canonical text) or too small a cap. */
int ar_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, unsigned flags);

#endif
