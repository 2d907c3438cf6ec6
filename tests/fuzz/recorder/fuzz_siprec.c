/* libFuzzer driver for SIPREC bodies: multipart splitting and rs-metadata parsing. */
#include "ar_err.h"
#include "rec_siprec.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *sdp, *xml, *why;
    size_t sl, xl;
    static rec_siprec_meta meta;
    /* The first line is the boundary, the rest the body (as in Content-Type + payload). */
    size_t nl = 0;
    while (nl < size && nl < 70 && data[nl] != '\n')
        nl++;
    char boundary[72];
    for (size_t i = 0; i < nl; i++)
        boundary[i] = data[i] ? (char)data[i] : 'x';
    boundary[nl] = '\0';
    const char *body = (const char *)data + (nl < size ? nl + 1 : nl);
    size_t blen = size - (size_t)(body - (const char *)data);
    if (rec_siprec_split_body(body, blen, boundary, &sdp, &sl, &xml, &xl) == AR_E_OK && xml)
        rec_siprec_parse_metadata(xml, xl, &meta, &why);
    /* The whole input as metadata too. */
    rec_siprec_parse_metadata((const char *)data, size, &meta, &why);
    return 0;
}
