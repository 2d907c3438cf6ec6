/* libFuzzer driver: SDP parse, then answer + build + reparse of whatever parsed. */
#include "ar_err.h"
#include "ar_sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ar_sdp offer, ans, back;
    static char buf[AR_SDP_MAX_LEN * 2];
    if (ar_sdp_parse((const char *)data, size, &offer) != AR_E_OK)
        return 0;
    uint16_t ports[AR_SDP_MAX_MEDIA];
    for (int i = 0; i < AR_SDP_MAX_MEDIA; i++)
        ports[i] = (uint16_t)(i % 2 ? 0 : 40000 + 2 * i);
    ar_sdp_make_answer(&offer, "fuzz", 1, 1, "127.0.0.1", ports, AR_SDP_DIR_UNSET, &ans);
    size_t len = 0;
    if (ar_sdp_build(&offer, buf, sizeof(buf), &len) == AR_E_OK) {
        /* What we build from a parsed SDP must parse again with the same shape. */
        if (ar_sdp_parse(buf, len, &back) != AR_E_OK || back.nmedia != offer.nmedia)
            abort();
    }
    ar_sdp_build(&ans, buf, sizeof(buf), &len);
    return 0;
}
