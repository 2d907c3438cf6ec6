/* libFuzzer driver: audiosrc WAV validation and conversion to PCM (md_fetch_wav_to_pcm). */
#include "ar_err.h"
#include "md_fetch.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int16_t *pcm = NULL;
    uint32_t n = 0;
    const char *why = NULL;
    int rc = md_fetch_wav_to_pcm(data, size, &pcm, &n, &why);
    if (rc == AR_E_OK) {
        volatile int32_t acc = 0;
        for (uint32_t i = 0; i < n; i++)
            acc += pcm[i]; /* every sample the parser promised is readable */
        (void)acc;
    } else if (pcm) {
        abort(); /* a refused file must not hand out a buffer */
    }
    free(pcm);
    return 0;
}
