/* libFuzzer driver: the Replaces parameter of a REFER's Refer-To headers (gw_refer.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "gw_refer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* sofia hands the URI headers over as NUL-terminated text: cut at the first NUL. */
    char *text = g_strndup((const char *)data, size);
    char *cid = gw_refer_replaces_call_id(text);
    if (cid && (strlen(cid) == 0 || strlen(cid) > GW_REFER_CALL_ID_MAX))
        __builtin_trap();
    g_free(cid);
    g_free(text);
    return 0;
}
