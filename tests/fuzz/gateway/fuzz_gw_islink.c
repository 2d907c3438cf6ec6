/* libFuzzer driver: the inter-site X-Arec-ISLink and X-Arec-User-Data header parsers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ar_err.h"
#include "gw_islink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_islink_hdr h;
    char why[96];
    if (gw_islink_hdr_parse((const char *)data, size, &h, why, sizeof why) == AR_E_OK) {
        /* Whatever parses formats back to a header that parses to the same values. */
        char *s = gw_islink_hdr_format(&h);
        gw_islink_hdr again;
        if (gw_islink_hdr_parse(s, strlen(s), &again, why, sizeof why) != AR_E_OK ||
            !gw_islink_hdr_equal(&h, &again))
            __builtin_trap();
        g_free(s);
    }
    tl_kv *kv = NULL;
    if (gw_islink_ud_decode((const char *)data, size, &kv) == AR_E_OK) {
        char *enc = gw_islink_ud_encode(kv);
        g_free(enc);
    }
    tl_kv_free(&kv);
    return 0;
}
