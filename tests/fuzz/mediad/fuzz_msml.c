/* libFuzzer driver: MSML parse, then build and reparse what parsed. */
#include "ar_err.h"
#include "ar_msml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ar_msml m, back;
    static char buf[AR_MSML_MAX_LEN * 8];
    if (ar_msml_parse((const char *)data, size, &m) != AR_E_OK)
        return 0;
    size_t len = 0;
    if (ar_msml_build(&m, buf, sizeof(buf), &len) == AR_E_OK) {
        int rc = ar_msml_parse(buf, len, &back);
        /* A re-built document may only fail on size (escaping grows it). */
        if (rc != AR_E_OK && rc != AR_E_MSML_TOO_LARGE)
            abort();
        if (rc == AR_E_OK && back.nops != m.nops)
            abort();
    }
    return 0;
}
