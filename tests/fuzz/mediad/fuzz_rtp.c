/* libFuzzer driver: RTP header parse, RTCP compound validation, receive statistics. */
#include "ar_err.h"
#include "ar_rtp.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ar_rtp_stats st;
    ar_rtp_hdr h;
    if (ar_rtp_is_rtcp(data, size)) {
        ar_rtcp_info info;
        if (ar_rtcp_validate(data, size, &info) == AR_E_OK && info.npackets < 1)
            abort();
        return 0;
    }
    if (ar_rtp_parse(data, size, &h) == AR_E_OK) {
        if (h.payload_off + h.payload_len + h.pad_len != size)
            abort();
        ar_rtp_stats_update(&st, &h, (uint32_t)size * 160u);
        (void)ar_rtp_stats_lost(&st);
    }
    return 0;
}
