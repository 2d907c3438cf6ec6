/* libFuzzer driver: SRTP/SRTCP unprotect of arbitrary bytes, and protect/unprotect round trips. */
#include "ar_crypto.h"
#include "ar_err.h"
#include "ar_srtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PKT 2048

/*
 * Byte 0 picks the suite (bit 0) and RTP or RTCP (bit 1); the rest is a datagram. It is
 * unprotected as received (must be refused or accepted without a crash), then protected
 * and unprotected again with fresh contexts: what comes back must be the datagram.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAX_PKT)
        return 0;
    int rtcp = (data[0] & 2) != 0;
    ar_crypto k;
    memset(&k, 0, sizeof(k));
    k.suite = data[0] & 1 ? AR_CRYPTO_AES_CM_128_HMAC_SHA1_32 : AR_CRYPTO_AES_CM_128_HMAC_SHA1_80;
    for (int i = 0; i < AR_CRYPTO_KEY_LEN; i++)
        k.key[i] = (uint8_t)(i * 13 + 5);
    ar_srtp *tx = NULL, *rx = NULL;
    if (ar_srtp_new(&tx, &k, AR_SRTP_OUTBOUND) != AR_E_OK ||
        ar_srtp_new(&rx, &k, AR_SRTP_INBOUND) != AR_E_OK)
        abort();
    static uint8_t buf[MAX_PKT + AR_SRTP_TRAILER_ROOM], orig[MAX_PKT];
    size_t len = size - 1;
    memcpy(orig, data + 1, len);
    memcpy(buf, orig, len);
    if (rtcp)
        ar_srtp_unprotect_rtcp(rx, buf, &len);
    else
        ar_srtp_unprotect(rx, buf, &len);
    ar_srtp_free(&rx);
    if (ar_srtp_new(&rx, &k, AR_SRTP_INBOUND) != AR_E_OK)
        abort();
    len = size - 1;
    memcpy(buf, orig, len);
    int rc = rtcp ? ar_srtp_protect_rtcp(tx, buf, &len, sizeof(buf))
                  : ar_srtp_protect(tx, buf, &len, sizeof(buf));
    if (rc == AR_E_OK) {
        rc = rtcp ? ar_srtp_unprotect_rtcp(rx, buf, &len) : ar_srtp_unprotect(rx, buf, &len);
        if (rc != AR_E_OK || len != size - 1 || memcmp(buf, orig, len) != 0)
            abort();
    }
    ar_srtp_free(&tx);
    ar_srtp_free(&rx);
    return 0;
}
