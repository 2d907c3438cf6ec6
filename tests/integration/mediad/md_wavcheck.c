/* Test tool: validates a WAV with common/ar_wav's reader and prints what its header says. */
#include "ar_err.h"
#include "ar_wav.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: md_wavcheck FILE\n");
        return 2;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    ar_wav_info wi;
    const char *why = NULL;
    int rc = ar_wav_read_file(argv[1], &buf, &len, &wi, &why);
    if (rc != AR_E_OK) {
        printf("error=%s why=%s\n", ar_errname(rc), why ? why : "");
        free(buf);
        return 1;
    }
    printf("format=%u channels=%u rate=%u bits=%u fact=%d fact_samples=%u frames=%llu\n", wi.format,
           wi.channels, wi.rate, wi.bits, wi.has_fact, wi.fact_samples,
           (unsigned long long)wi.frames);
    free(buf);
    return 0;
}
