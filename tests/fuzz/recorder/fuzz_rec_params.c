/* libFuzzer driver for the recorder's X-Record-Params parser (rec_uri_kv_parse). */
#include "ar_err.h"
#include "rec_uri.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A SIP header value is a C string: cut at the first NUL, as sofia-sip hands it over. */
    char text[2048];
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    rec_uri_kv kv[REC_URI_MAX_KV];
    int count = 0;
    if (rec_uri_kv_parse(text, kv, REC_URI_MAX_KV, &count) == AR_E_OK) {
        for (int i = 0; i < count; i++)
            if (!kv[i].name[0])
                __builtin_trap(); /* an accepted pair always has a name */
    }
    return 0;
}
