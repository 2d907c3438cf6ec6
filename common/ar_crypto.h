/* SDP a=crypto (RFC 4568 SDES) attribute parsing and building, for SRTP key exchange. */
#ifndef AR_CRYPTO_H
#define AR_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* AES_CM_128 master key (16) || master salt (14): the inline key material. */
#define AR_CRYPTO_KEY_LEN 30
/* Longest line ar_crypto_build writes (without "a=crypto:"), NUL included. */
#define AR_CRYPTO_LINE_MAX 128

typedef enum {
    AR_CRYPTO_SUITE_NONE = 0,
    AR_CRYPTO_AES_CM_128_HMAC_SHA1_80, /* 80-bit (10-byte) auth tag */
    AR_CRYPTO_AES_CM_128_HMAC_SHA1_32, /* 32-bit (4-byte) RTP tag; SRTCP keeps 80 bits */
} ar_crypto_suite;

/* One parsed a=crypto line. */
typedef struct {
    uint32_t tag; /* 1..999999999 */
    ar_crypto_suite suite;
    uint8_t key[AR_CRYPTO_KEY_LEN];
    uint64_t lifetime;  /* packets; 0 when absent (the suite's default applies) */
    int session_params; /* session parameters seen (ignored, logged) */
} ar_crypto;

/*
 * Parse the value of an a=crypto attribute (the text after "a=crypto:", len bytes,
 * not necessarily NUL-terminated): "<tag> <suite> inline:<base64>[|lifetime][|MKI:len]
 * [session-params]". Errors: AR_E_CRYPTO_MALFORMED (syntax, tag, lifetime, several
 * key-params), AR_E_CRYPTO_UNKNOWN_SUITE, AR_E_CRYPTO_BAD_BASE64,
 * AR_E_CRYPTO_BAD_KEY_LEN (key||salt is not 30 bytes), AR_E_CRYPTO_MKI_UNSUPPORTED.
 * *out is zeroed first and meaningful only on AR_E_OK.
 */
int ar_crypto_parse(const char *text, size_t len, ar_crypto *out);

/* Write "<tag> <suite> inline:<base64>" into buf (NUL-terminated). AR_E_OK, or
 * AR_E_INVALID_VALUE for an unknown suite / zero tag, AR_E_SDP_TOO_LARGE when cap is short. */
int ar_crypto_build(const ar_crypto *c, char *buf, size_t cap);

/* New random key material (getrandom) for suite with the given tag. AR_E_OK or AR_E_IO. */
int ar_crypto_generate(ar_crypto *c, uint32_t tag, ar_crypto_suite suite);

/* "AES_CM_128_HMAC_SHA1_80" ...; NULL for NONE / unknown. */
const char *ar_crypto_suite_name(ar_crypto_suite s);
/* Suite of a name (len bytes, case-sensitive as RFC 4568 registers them), NONE if unknown. */
ar_crypto_suite ar_crypto_suite_from_name(const char *name, size_t len);
/* SRTP auth tag length in bytes (10 or 4), 0 for NONE. */
unsigned ar_crypto_tag_len(ar_crypto_suite s);

/*
 * A short, non-reversible fingerprint of the key material for logs (16 hex digits of
 * FNV-1a over key||salt, NUL included in out). Keys themselves are never logged.
 */
void ar_crypto_fingerprint(const ar_crypto *c, char out[17]);

#endif
