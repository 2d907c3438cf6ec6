/* ctypes shim for the SRTP integration tests: ar_crypto/ar_srtp behind plain C calls. */
#include "ar_crypto.h"
#include "ar_err.h"
#include "ar_srtp.h"

#include <string.h>

/* Context from an a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:..."); NULL on error. */
void *tsrtp_new(const char *crypto, int outbound)
{
    ar_crypto c;
    ar_srtp *s = NULL;
    if (ar_crypto_parse(crypto, strlen(crypto), &c) != AR_E_OK)
        return NULL;
    ar_srtp_new(&s, &c, outbound ? AR_SRTP_OUTBOUND : AR_SRTP_INBOUND);
    memset(&c, 0, sizeof(c));
    return s;
}

void tsrtp_free(void *s)
{
    ar_srtp *p = s;
    ar_srtp_free(&p);
}

/* In place; returns the ar_err code, *len updated. */
int tsrtp_protect(void *s, unsigned char *buf, size_t *len, size_t cap, int rtcp)
{
    return rtcp ? ar_srtp_protect_rtcp(s, buf, len, cap) : ar_srtp_protect(s, buf, len, cap);
}

int tsrtp_unprotect(void *s, unsigned char *buf, size_t *len, int rtcp)
{
    return rtcp ? ar_srtp_unprotect_rtcp(s, buf, len) : ar_srtp_unprotect(s, buf, len);
}

/* A fresh a=crypto value with the given tag (suite32: the 32-bit tag suite). */
int tsrtp_generate(char *out, size_t cap, unsigned tag, int suite32)
{
    ar_crypto c;
    int rc = ar_crypto_generate(
        &c, tag, suite32 ? AR_CRYPTO_AES_CM_128_HMAC_SHA1_32 : AR_CRYPTO_AES_CM_128_HMAC_SHA1_80);
    if (rc == AR_E_OK)
        rc = ar_crypto_build(&c, out, cap);
    memset(&c, 0, sizeof(c));
    return rc;
}
