/* libsrtp2 crypto kernel on OpenSSL: AES-ICM and HMAC-SHA1 that keep their state per stream. */
/*
 * The low-level SHA-1 API is deprecated in OpenSSL 3 but is the only one whose state
 * can be copied without an allocation (EVP_MD_CTX_copy_ex and EVP_MAC_CTX_dup
 * allocate a provider context in 3.0); it uses the same SHA-NI/AVX code as EVP.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "ar_srtp_ossl.h"

#include "ar_aesni.h"
#include "ar_err.h"
#include "ar_log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- AES integer counter mode (RFC 3711 4.1.1) ---- */

/*
 * The keystream is AES-ECB of the counter blocks, keyed once per stream key: a packet
 * only fills counter blocks and encrypts them in one call, so nothing is re-initialised
 * per packet (re-setting a CTR context's IV goes through OpenSSL 3's parameter
 * machinery). AES-128 on a CPU with AES-NI runs ar_aesni on round keys kept inside this
 * state: in mediad a stream's state is cold (hundreds of contexts between two packets
 * of a stream), and the EVP path touched an EVP_CIPHER_CTX and a provider context in
 * two more allocations, plus the dispatch, which perf showed as cache misses costing
 * more than the AES itself. Other key sizes, or no AES-NI (or AREC_SRTP_AESNI=off), go
 * through an AES-ECB EVP_CIPHER_CTX.
 */
#define ICM_CHUNK 16 /* counter blocks encrypted per call */

typedef struct {
    uint8_t offset[16];  /* the 112-bit salt, its two low octets zero */
    uint8_t ctr[16];     /* next counter block */
    uint8_t ks[16];      /* keystream left over from the last partial block */
    unsigned ks_pos;     /* first unused octet of ks (16: none) */
    int key_size;        /* 16, 24 or 32 */
    EVP_CIPHER_CTX *ctx; /* AES-ECB, keyed once in init, no padding; NULL with AES-NI */
    ar_aesni_key rk;     /* AES-128 round keys when ctx is NULL */
} icm_state;

/* libsrtp's handle and our state in one allocation, the hot fields first. */
typedef struct {
    srtp_cipher_t c;
    icm_state st;
} icm_block;

/* A cache line: the step of ar_srtp_ossl_prefetch over a context. */
#define LINE 64

/* AES-NI for AES-128: decided once in ar_srtp_ossl_register, before any context. */
static int use_aesni;

/* The context being created on this thread (ar_srtp_ossl_capture_begin), or NULL. */
static _Thread_local ar_srtp_ossl_hot *capture;

void ar_srtp_ossl_capture_begin(ar_srtp_ossl_hot *hot)
{
    hot->cipher = hot->auth = NULL;
    capture = hot;
}

void ar_srtp_ossl_capture_end(void)
{
    capture = NULL;
}

static const srtp_cipher_type_t icm_128_type, icm_192_type, icm_256_type;

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
    (void)tag_len; /* counter mode has no tag */
    const srtp_cipher_type_t *type;
    int alg, key_size;
    switch (key_len) {
    case SRTP_AES_ICM_128_KEY_LEN_WSALT:
        type = &icm_128_type, alg = SRTP_AES_ICM_128, key_size = SRTP_AES_128_KEY_LEN;
        break;
    case SRTP_AES_ICM_192_KEY_LEN_WSALT:
        type = &icm_192_type, alg = SRTP_AES_ICM_192, key_size = SRTP_AES_192_KEY_LEN;
        break;
    case SRTP_AES_ICM_256_KEY_LEN_WSALT:
        type = &icm_256_type, alg = SRTP_AES_ICM_256, key_size = SRTP_AES_256_KEY_LEN;
        break;
    default:
        return srtp_err_status_bad_param;
    }
    /* One block for the libsrtp handle and our state, as libsrtp's own kernels do. */
    icm_block *b = calloc(1, sizeof(icm_block));
    if (!b)
        return srtp_err_status_alloc_fail;
    srtp_cipher_t *c = &b->c;
    icm_state *st = &b->st;
    if (!(use_aesni && key_size == SRTP_AES_128_KEY_LEN)) {
        st->ctx = EVP_CIPHER_CTX_new();
        if (!st->ctx) {
            free(b);
            return srtp_err_status_alloc_fail;
        }
    }
    st->key_size = key_size;
    if (capture && !capture->cipher)
        capture->cipher = b;
    c->type = type;
    c->state = st;
    c->key_len = key_len;
    c->algorithm = alg;
    *cp = c;
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c)
{
    if (!c)
        return srtp_err_status_bad_param;
    icm_state *st = c->state;
    /* EVP_CIPHER_CTX_free clears its key schedule; ours and the salt go with the block. */
    EVP_CIPHER_CTX_free(st->ctx);
    OPENSSL_cleanse(c, sizeof(icm_block));
    free(c);
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
    icm_state *st = state;
    const EVP_CIPHER *evp = st->key_size == SRTP_AES_256_KEY_LEN   ? EVP_aes_256_ecb()
                            : st->key_size == SRTP_AES_192_KEY_LEN ? EVP_aes_192_ecb()
                                                                   : EVP_aes_128_ecb();
    memset(st->offset, 0, sizeof(st->offset));
    memcpy(st->offset, key + st->key_size, SRTP_SALT_LEN);
    memcpy(st->ctr, st->offset, sizeof(st->ctr));
    st->ks_pos = sizeof(st->ks);
    if (!st->ctx) {
        ar_aesni_key128(&st->rk, key);
        return srtp_err_status_ok;
    }
    if (!EVP_EncryptInit_ex2(st->ctx, evp, key, NULL, NULL) ||
        !EVP_CIPHER_CTX_set_padding(st->ctx, 0))
        return srtp_err_status_init_fail;
    return srtp_err_status_ok;
}

/* d ^= k over n octets, a word at a time. */
static void xor_into(uint8_t *d, const uint8_t *k, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, d + i, 8);
        memcpy(&b, k + i, 8);
        a ^= b;
        memcpy(d + i, &a, 8);
    }
    for (; i < n; i++)
        d[i] ^= k[i];
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
    (void)dir; /* counter mode: the same keystream both ways */
    icm_state *st = state;
    memcpy(st->ctr, iv, 16);
    xor_into(st->ctr, st->offset, 16);
    st->ks_pos = sizeof(st->ks);
    return srtp_err_status_ok;
}

/* The counter as one 128-bit big-endian number, as OpenSSL's CTR mode counts. */
static void ctr_next(uint8_t *c)
{
    for (int i = 15; i >= 0 && ++c[i] == 0; i--)
        ;
}

/* n counter blocks into ks (n <= ICM_CHUNK), encrypted in one call. */
static int keystream(icm_state *st, uint8_t *ks, int n)
{
    for (int b = 0; b < n; b++) {
        memcpy(ks + 16 * b, st->ctr, 16);
        ctr_next(st->ctr);
    }
    if (!st->ctx) {
        ar_aesni_ecb128(&st->rk, ks, (size_t)n);
        return 1;
    }
    int out = 0;
    return EVP_EncryptUpdate(st->ctx, ks, &out, ks, 16 * n) && out == 16 * n;
}

static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
    icm_state *st = state;
    size_t n = *len, i = 0;
    while (st->ks_pos < sizeof(st->ks) && i < n)
        buf[i++] ^= st->ks[st->ks_pos++];
    uint8_t ks[16 * ICM_CHUNK];
    size_t used = 0;
    while (n - i >= 16) {
        size_t blocks = (n - i) / 16 < ICM_CHUNK ? (n - i) / 16 : ICM_CHUNK;
        used = 16 * blocks > used ? 16 * blocks : used;
        if (!keystream(st, ks, (int)blocks)) {
            explicit_bzero(ks, used);
            return srtp_err_status_cipher_fail;
        }
        xor_into(buf + i, ks, 16 * blocks);
        i += 16 * blocks;
    }
    if (i < n) {
        if (!keystream(st, st->ks, 1))
            return srtp_err_status_cipher_fail;
        st->ks_pos = 0;
        while (i < n)
            buf[i++] ^= st->ks[st->ks_pos++];
    }
    /* Key derivation encrypts zeros, so this keystream can be a session key: wiped
     * (glibc's explicit_bzero, a vectorised memset the compiler keeps). */
    explicit_bzero(ks, used);
    return srtp_err_status_ok;
}

/* Known answers: RFC 3711 B.2 (AES-128) and RFC 6188 7 (AES-192, AES-256), counter 0. */
static const uint8_t icm_zero[32];
static uint8_t icm_nonce[16];

static const uint8_t icm_128_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm_128_ct[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab};
static const uint8_t icm_192_key[SRTP_AES_ICM_192_KEY_LEN_WSALT] = {
    0xea, 0xb2, 0x34, 0x76, 0x4e, 0x51, 0x7b, 0x2d, 0x3d, 0x16, 0x0d, 0x58, 0x7d,
    0x8c, 0x86, 0x21, 0x97, 0x40, 0xf6, 0x5f, 0x99, 0xb6, 0xbc, 0xf7, 0xf0, 0xf1,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm_192_ct[32] = {
    0x35, 0x09, 0x6c, 0xba, 0x46, 0x10, 0x02, 0x8d, 0xc1, 0xb5, 0x75, 0x03, 0x80, 0x4c, 0xe3, 0x7c,
    0x5d, 0xe9, 0x86, 0x29, 0x1d, 0xcc, 0xe1, 0x61, 0xd5, 0x16, 0x5e, 0xc4, 0x56, 0x8f, 0x5c, 0x9a};
static const uint8_t icm_256_key[SRTP_AES_ICM_256_KEY_LEN_WSALT] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm_256_ct[32] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac};

/*
 * NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt): four blocks from counter f0f1..feff, which
 * is RFC 3711 B.2's key and salt with the index 0xfeff; four blocks take ar_aesni's
 * four-wide path, which the 32-byte vector above does not reach.
 */
static uint8_t icm_128_nist_idx[16] = {[14] = 0xfe, [15] = 0xff};
static const uint8_t icm_128_nist_pt[64] = {
    0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
    0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
    0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
    0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10};
static const uint8_t icm_128_nist_ct[64] = {
    0x87, 0x4d, 0x61, 0x91, 0xb6, 0x20, 0xe3, 0x26, 0x1b, 0xef, 0x68, 0x64, 0x99, 0x0d, 0xb6, 0xce,
    0x98, 0x06, 0xf6, 0x6b, 0x79, 0x70, 0xfd, 0xff, 0x86, 0x17, 0x18, 0x7b, 0xb9, 0xff, 0xfd, 0xff,
    0x5a, 0xe4, 0xdf, 0x3e, 0xdb, 0xd5, 0xd3, 0x5e, 0x5b, 0x4f, 0x09, 0x02, 0x0d, 0xb0, 0x3e, 0xab,
    0x1e, 0x03, 0x1d, 0xda, 0x2f, 0xbe, 0x03, 0xd1, 0x79, 0x21, 0x70, 0xa0, 0xf3, 0x00, 0x9c, 0xee};
static const srtp_cipher_test_case_t icm_128_nist_case = {
    .key_length_octets = (int)sizeof(icm_128_key),
    .key = icm_128_key,
    .idx = icm_128_nist_idx,
    .plaintext_length_octets = sizeof(icm_128_nist_pt),
    .plaintext = icm_128_nist_pt,
    .ciphertext_length_octets = sizeof(icm_128_nist_ct),
    .ciphertext = icm_128_nist_ct,
};
#define icm_128_next &icm_128_nist_case
#define icm_192_next NULL
#define icm_256_next NULL

#define ICM_CASE(bits)                                                                             \
    static const srtp_cipher_test_case_t icm_##bits##_case = {                                     \
        .key_length_octets = (int)sizeof(icm_##bits##_key),                                        \
        .key = icm_##bits##_key,                                                                   \
        .idx = icm_nonce,                                                                          \
        .plaintext_length_octets = sizeof(icm_zero),                                               \
        .plaintext = icm_zero,                                                                     \
        .ciphertext_length_octets = sizeof(icm_##bits##_ct),                                       \
        .ciphertext = icm_##bits##_ct,                                                             \
        .next_test_case = icm_##bits##_next,                                                       \
    };                                                                                             \
    static const srtp_cipher_type_t icm_##bits##_type = {                                          \
        .alloc = icm_alloc,                                                                        \
        .dealloc = icm_dealloc,                                                                    \
        .init = icm_init,                                                                          \
        .encrypt = icm_encrypt,                                                                    \
        .decrypt = icm_encrypt,                                                                    \
        .set_iv = icm_set_iv,                                                                      \
        .description = "AES-" #bits " counter mode, AES-NI or OpenSSL EVP, keyed once (arec)",     \
        .test_data = &icm_##bits##_case,                                                           \
        .id = SRTP_AES_ICM_##bits,                                                                 \
    };
ICM_CASE(128)
ICM_CASE(192)
ICM_CASE(256)

/* ---- HMAC-SHA1 (RFC 2104) with the keyed states computed once ---- */

/*
 * After the one 64-byte block of (key ^ pad), a SHA-1 state is its five chaining words,
 * a length of 512 bits and an empty buffer: only the words are kept (SHA_CTX is public
 * in <openssl/sha.h>). libsrtp authenticates a packet as start, one update (the packet)
 * and compute (the ROC), with nothing written to the packet in between: the update only
 * notes the span and compute hashes it all in a SHA_CTX on its stack. So a packet
 * touches this context's first cache line or two (cold in mediad, with hundreds of
 * streams) instead of reading and writing a 96-byte SHA_CTX in it; a second update
 * before compute (not done by libsrtp 2.5, allowed by its API) falls back to work.
 */
typedef struct {
    uint32_t inner[5];   /* chaining value after (key ^ ipad) */
    uint32_t outer[5];   /* chaining value after (key ^ opad) */
    const uint8_t *pend; /* the one update since start, hashed by compute */
    size_t pend_len;
    int streaming; /* more than one update: work holds what came so far */
    SHA_CTX work;
} hmac_state;

typedef struct {
    srtp_auth_t a;
    hmac_state st;
} hmac_block;

/* A SHA-1 state that has hashed exactly one block and whose chaining value is h. */
static void sha1_resume(SHA_CTX *c, const uint32_t h[5])
{
    c->h0 = h[0], c->h1 = h[1], c->h2 = h[2], c->h3 = h[3], c->h4 = h[4];
    c->Nl = SHA_CBLOCK * 8;
    c->Nh = 0;
    c->num = 0;
}

static void sha1_save(uint32_t h[5], const SHA_CTX *c)
{
    h[0] = c->h0, h[1] = c->h1, h[2] = c->h2, h[3] = c->h3, h[4] = c->h4;
}

static const srtp_auth_type_t hmac_type;

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
    /* SRTP's auth keys are 160 bits; a longer key would need hashing first. */
    if (key_len < 0 || key_len > SHA_DIGEST_LENGTH || out_len < 0 || out_len > SHA_DIGEST_LENGTH)
        return srtp_err_status_bad_param;
    hmac_block *b = calloc(1, sizeof(hmac_block));
    if (!b)
        return srtp_err_status_alloc_fail;
    srtp_auth_t *a = &b->a;
    a->type = &hmac_type;
    a->state = &b->st;
    if (capture && !capture->auth)
        capture->auth = b;
    a->out_len = out_len;
    a->key_len = key_len;
    a->prefix_len = 0;
    *ap = a;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a)
{
    if (!a)
        return srtp_err_status_bad_param;
    OPENSSL_cleanse(a, sizeof(hmac_block));
    free(a);
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
    hmac_state *st = state;
    if (key_len < 0 || key_len > SHA_CBLOCK)
        return srtp_err_status_bad_param;
    uint8_t ipad[SHA_CBLOCK], opad[SHA_CBLOCK];
    for (int i = 0; i < SHA_CBLOCK; i++) {
        uint8_t k = i < key_len ? key[i] : 0;
        ipad[i] = k ^ 0x36;
        opad[i] = k ^ 0x5c;
    }
    SHA_CTX c;
    int ok = SHA1_Init(&c) && SHA1_Update(&c, ipad, sizeof(ipad));
    sha1_save(st->inner, &c);
    ok = ok && SHA1_Init(&c) && SHA1_Update(&c, opad, sizeof(opad));
    sha1_save(st->outer, &c);
    OPENSSL_cleanse(&c, sizeof(c));
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
    st->pend = NULL;
    st->pend_len = 0;
    st->streaming = 0;
    return ok ? srtp_err_status_ok : srtp_err_status_init_fail;
}

static srtp_err_status_t hmac_start(void *state)
{
    hmac_state *st = state;
    st->pend = NULL;
    st->pend_len = 0;
    st->streaming = 0;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *msg, int len)
{
    hmac_state *st = state;
    if (len < 0)
        return srtp_err_status_bad_param;
    if (!st->streaming && !st->pend) {
        st->pend = msg;
        st->pend_len = (size_t)len;
        return srtp_err_status_ok;
    }
    if (!st->streaming) {
        sha1_resume(&st->work, st->inner);
        if (!SHA1_Update(&st->work, st->pend, st->pend_len))
            return srtp_err_status_auth_fail;
        st->pend = NULL;
        st->streaming = 1;
    }
    if (!SHA1_Update(&st->work, msg, (size_t)len))
        return srtp_err_status_auth_fail;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *msg, int len, int tag_len,
                                      uint8_t *tag)
{
    hmac_state *st = state;
    if (tag_len < 0 || tag_len > SHA_DIGEST_LENGTH || len < 0)
        return srtp_err_status_bad_param;
    uint8_t h[SHA_DIGEST_LENGTH];
    SHA_CTX c;
    if (st->streaming) {
        c = st->work;
    } else {
        sha1_resume(&c, st->inner);
        if (st->pend && !SHA1_Update(&c, st->pend, st->pend_len))
            return srtp_err_status_auth_fail;
    }
    /* The next packet starts afresh even if libsrtp skips start (it does not). */
    st->pend = NULL;
    st->streaming = 0;
    int ok = SHA1_Update(&c, msg, (size_t)len) && SHA1_Final(h, &c);
    sha1_resume(&c, st->outer);
    ok = ok && SHA1_Update(&c, h, sizeof(h)) && SHA1_Final(h, &c);
    if (!ok)
        return srtp_err_status_auth_fail;
    memcpy(tag, h, (size_t)tag_len);
    return srtp_err_status_ok;
}

/* Known answers: RFC 2202 test cases 1, 2 and 3. */
static const uint8_t hmac_key1[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                      0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t hmac_tag1[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                                      0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const uint8_t hmac_tag2[20] = {0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
                                      0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79};
static const uint8_t hmac_key3[20] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                      0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t hmac_data3[50] = {0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                       0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                       0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                       0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                       0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd};
static const uint8_t hmac_tag3[20] = {0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3,
                                      0x9a, 0xf4, 0x8a, 0xa1, 0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3};

static const srtp_auth_test_case_t hmac_case3 = {
    .key_length_octets = 20,
    .key = hmac_key3,
    .data_length_octets = 50,
    .data = hmac_data3,
    .tag_length_octets = 20,
    .tag = hmac_tag3,
};
static const srtp_auth_test_case_t hmac_case2 = {
    .key_length_octets = 4,
    .key = (const uint8_t *)"Jefe",
    .data_length_octets = 28,
    .data = (const uint8_t *)"what do ya want for nothing?",
    .tag_length_octets = 20,
    .tag = hmac_tag2,
    .next_test_case = &hmac_case3,
};
static const srtp_auth_test_case_t hmac_case1 = {
    .key_length_octets = 20,
    .key = hmac_key1,
    .data_length_octets = 8,
    .data = (const uint8_t *)"Hi There",
    .tag_length_octets = 20,
    .tag = hmac_tag1,
    .next_test_case = &hmac_case2,
};

static const srtp_auth_type_t hmac_type = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1, OpenSSL, precomputed keyed states (arec)",
    .test_data = &hmac_case1,
    .id = SRTP_HMAC_SHA1,
};

void ar_srtp_ossl_prefetch(const ar_srtp_ossl_hot *hot)
{
    /* Every line of each block: a packet reads the handle, counter, salt and all round
     * keys of the cipher, and the handle and keyed words of the auth. */
    const char *c = hot->cipher, *a = hot->auth;
    if (c)
        for (size_t off = 0; off < sizeof(icm_block); off += LINE)
            __builtin_prefetch(c + off, 0, 3);
    if (a)
        for (size_t off = 0; off < offsetof(hmac_block, st.work); off += LINE)
            __builtin_prefetch(a + off, 0, 3);
}

const char *ar_srtp_ossl_aes(void)
{
    return use_aesni ? "aes-ni" : "evp";
}

int ar_srtp_ossl_register(void)
{
    /* AREC_SRTP_AESNI=off keeps AES-128 on EVP too (the tests check both paths). */
    const char *ni = getenv("AREC_SRTP_AESNI");
    use_aesni = ar_aesni_available() && !(ni && strcmp(ni, "off") == 0);
    static const srtp_cipher_type_t *const ciphers[] = {&icm_128_type, &icm_192_type,
                                                        &icm_256_type};
    const size_t n = sizeof(ciphers) / sizeof(ciphers[0]);
    /* Self-test everything first, so a failure leaves libsrtp's own kernel whole. */
    for (size_t i = 0; i < n; i++) {
        srtp_err_status_t st = srtp_cipher_type_self_test(ciphers[i]);
        if (st != srtp_err_status_ok) {
            LOG_ERR(media, "SRTP OpenSSL kernel: %s failed its self test (%d)",
                    ciphers[i]->description, (int)st);
            return AR_E_SRTP_ERROR;
        }
    }
    srtp_err_status_t st = srtp_auth_type_self_test(&hmac_type);
    if (st != srtp_err_status_ok) {
        LOG_ERR(media, "SRTP OpenSSL kernel: HMAC-SHA1 failed its self test (%d)", (int)st);
        return AR_E_SRTP_ERROR;
    }
    for (size_t i = 0; i < n && st == srtp_err_status_ok; i++)
        st = srtp_replace_cipher_type(ciphers[i], ciphers[i]->id);
    if (st == srtp_err_status_ok)
        st = srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1);
    if (st != srtp_err_status_ok) {
        LOG_ERR(media, "SRTP OpenSSL kernel: libsrtp refused a replacement (%d)", (int)st);
        return AR_E_SRTP_ERROR;
    }
    return AR_E_OK;
}
