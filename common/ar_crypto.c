/* SDP a=crypto (RFC 4568) parser/builder, strict base64, key generation and fingerprints. */
#include "ar_crypto.h"

#include "ar_base64.h"
#include "ar_err.h"
#include "ar_log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static const struct {
    ar_crypto_suite id;
    const char *name;
    unsigned tag_len;
} suites[] = {
    {AR_CRYPTO_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 10},
    {AR_CRYPTO_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 4},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

const char *ar_crypto_suite_name(ar_crypto_suite s)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (suites[i].id == s)
            return suites[i].name;
    return NULL;
}

ar_crypto_suite ar_crypto_suite_from_name(const char *name, size_t len)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (strlen(suites[i].name) == len && memcmp(suites[i].name, name, len) == 0)
            return suites[i].id;
    return AR_CRYPTO_SUITE_NONE;
}

unsigned ar_crypto_tag_len(ar_crypto_suite s)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (suites[i].id == s)
            return suites[i].tag_len;
    return 0;
}

/* Next space-separated token of [*p, end); returns its length (0 at the end). */
static size_t next_token(const char **p, const char *end, const char **tok)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *t = s;
    while (s < end && *s != ' ' && *s != '\t')
        s++;
    *tok = t;
    *p = s;
    return (size_t)(s - t);
}

static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Lifetime: decimal or "2^N" (RFC 4568 9.2); SRTP's limit is 2^48 packets. */
static int parse_lifetime(const char *s, size_t n, uint64_t *out)
{
    const uint64_t max = (uint64_t)1 << 48;
    if (n > 2 && s[0] == '2' && s[1] == '^') {
        uint64_t e;
        if (parse_u64(s + 2, n - 2, 48, &e) != 0 || e == 0)
            return -1;
        *out = (uint64_t)1 << e;
        return 0;
    }
    if (parse_u64(s, n, max, out) != 0 || *out == 0)
        return -1;
    return 0;
}

/* "inline:<key||salt>[|lifetime][|MKI:len]" */
static int parse_key_params(const char *s, size_t n, ar_crypto *out)
{
    if (n < 7 || strncasecmp(s, "inline:", 7) != 0)
        return AR_E_CRYPTO_MALFORMED;
    s += 7;
    n -= 7;
    if (memchr(s, ';', n))
        return AR_E_CRYPTO_MALFORMED; /* several keys need MKIs, which we do not support */
    const char *bar = memchr(s, '|', n);
    size_t klen = bar ? (size_t)(bar - s) : n;
    uint8_t key[64];
    int kl = ar_base64_decode(s, klen, key, sizeof(key), AR_BASE64_PAD_OPTIONAL);
    if (kl < 0)
        return klen > 88 ? AR_E_CRYPTO_BAD_KEY_LEN : AR_E_CRYPTO_BAD_BASE64;
    if (kl != AR_CRYPTO_KEY_LEN)
        return AR_E_CRYPTO_BAD_KEY_LEN;
    memcpy(out->key, key, AR_CRYPTO_KEY_LEN);
    const char *end = s + n;
    const char *p = bar;
    int seen_lifetime = 0;
    while (p && p < end) {
        p++; /* skip '|' */
        const char *q = memchr(p, '|', (size_t)(end - p));
        size_t fl = q ? (size_t)(q - p) : (size_t)(end - p);
        if (memchr(p, ':', fl))
            return AR_E_CRYPTO_MKI_UNSUPPORTED;
        if (seen_lifetime || parse_lifetime(p, fl, &out->lifetime) != 0)
            return AR_E_CRYPTO_MALFORMED;
        seen_lifetime = 1;
        p = q;
    }
    return AR_E_OK;
}

int ar_crypto_parse(const char *text, size_t len, ar_crypto *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = text, *end = text + len;
    while (end > p && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *tok;
    size_t n = next_token(&p, end, &tok);
    uint64_t tag;
    if (n == 0 || n > 9 || parse_u64(tok, n, 999999999, &tag) != 0)
        return AR_E_CRYPTO_MALFORMED;
    out->tag = (uint32_t)tag;
    n = next_token(&p, end, &tok);
    if (n == 0)
        return AR_E_CRYPTO_MALFORMED;
    out->suite = ar_crypto_suite_from_name(tok, n);
    if (out->suite == AR_CRYPTO_SUITE_NONE) {
        LOG_INFO(media, "a=crypto tag %u: unknown suite '%.*s'", out->tag, (int)(n > 40 ? 40 : n),
                 tok);
        return AR_E_CRYPTO_UNKNOWN_SUITE;
    }
    n = next_token(&p, end, &tok);
    if (n == 0)
        return AR_E_CRYPTO_MALFORMED;
    int rc = parse_key_params(tok, n, out);
    if (rc != AR_E_OK) {
        memset(out->key, 0, sizeof(out->key));
        return rc;
    }
    while ((n = next_token(&p, end, &tok)) != 0) {
        /* KDR, UNENCRYPTED_SRTP, FEC_ORDER...: we always use the defaults. */
        out->session_params++;
        LOG_INFO(media, "a=crypto tag %u: session parameter '%.*s' ignored", out->tag,
                 (int)(n > 40 ? 40 : n), tok);
    }
    return AR_E_OK;
}

int ar_crypto_build(const ar_crypto *c, char *buf, size_t cap)
{
    const char *name = ar_crypto_suite_name(c->suite);
    if (!name || c->tag > 999999999)
        return AR_E_INVALID_VALUE;
    char b64[64];
    ar_base64_encode(c->key, AR_CRYPTO_KEY_LEN, b64, sizeof(b64));
    int n = snprintf(buf, cap, "%u %s inline:%s", c->tag, name, b64);
    memset(b64, 0, sizeof(b64));
    if (n < 0 || (size_t)n >= cap)
        return AR_E_SDP_TOO_LARGE;
    return AR_E_OK;
}

int ar_crypto_generate(ar_crypto *c, uint32_t tag, ar_crypto_suite suite)
{
    memset(c, 0, sizeof(*c));
    c->tag = tag;
    c->suite = suite;
    size_t got = 0;
    while (got < sizeof(c->key)) {
        ssize_t r = getrandom(c->key + got, sizeof(c->key) - got, 0);
        if (r <= 0)
            return AR_E_IO;
        got += (size_t)r;
    }
    return AR_E_OK;
}

void ar_crypto_fingerprint(const ar_crypto *c, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < AR_CRYPTO_KEY_LEN; i++) {
        h ^= c->key[i];
        h *= 0x100000001b3ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
