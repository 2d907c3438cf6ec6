/* libFuzzer driver for the WAV reader (ar_wav_parse) and sample access. */
#include "ar_err.h"
#include "ar_wav.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ar_wav_info info;
    const char *why = NULL;
    if (ar_wav_parse(data, size, &info, &why) != AR_E_OK)
        return 0;
    /* A valid parse promises every frame is inside the buffer: read first and last. */
    volatile int16_t s = 0;
    for (unsigned ch = 0; ch < info.channels; ch++) {
        s ^= ar_wav_sample(data, &info, 0, ch);
        if (info.frames)
            s ^= ar_wav_sample(data, &info, info.frames - 1, ch);
    }
    (void)s;
    return 0;
}
