/* libFuzzer driver: a=crypto parse, then build + reparse of whatever parsed, and base64. */
#include "ar_base64.h"
#include "ar_crypto.h"
#include "ar_err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ar_crypto c, back;
    uint8_t dec[256];
    ar_base64_decode((const char *)data, size, dec, sizeof(dec), AR_BASE64_PAD_OPTIONAL);
    if (ar_crypto_parse((const char *)data, size, &c) != AR_E_OK)
        return 0;
    if (c.suite == AR_CRYPTO_SUITE_NONE || ar_crypto_tag_len(c.suite) == 0)
        abort();
    char line[AR_CRYPTO_LINE_MAX];
    if (ar_crypto_build(&c, line, sizeof(line)) != AR_E_OK)
        abort();
    /* What we build from a parsed line parses back to the same tag, suite and key. */
    if (ar_crypto_parse(line, strlen(line), &back) != AR_E_OK || back.tag != c.tag ||
        back.suite != c.suite || memcmp(back.key, c.key, sizeof(c.key)) != 0)
        abort();
    return 0;
}
