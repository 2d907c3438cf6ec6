/* libFuzzer driver: the gateway's SDP handling (direction, rewrite, o= restamp). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "gw_sdpx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The B2BUA hands bodies over as NUL-terminated text: cut at the first NUL. */
    char *text = g_strndup((const char *)data, size);
    gw_media_dir d;
    gw_sdpx_dir(text, &d);
    char *held = gw_sdpx_set_dir(text, GW_DIR_INACTIVE);
    gw_sdpx_dir(held, &d);
    gw_sdpx_origin o = {0};
    gw_sdpx_restamp(&o, text);
    gw_sdpx_restamp(&o, held);
    gw_sdpx_restamp(&o, text);
    gw_sdpx_origin_clear(&o);
    g_free(held);
    g_free(text);
    return 0;
}
