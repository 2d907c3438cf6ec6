/* G.711 tables: built once at load time from the ITU-T G.711 segment rules. */
#include "ar_g711.h"

static int16_t dec_tab[2][256];
/* Encode tables indexed by the 14 most significant bits of the linear sample:
 * mu-law uses 14 bits and A-law 13, so pcm >> 2 loses nothing for either law. */
static uint8_t enc_tab[2][16384];

/* Reference decoders (G.711 tables 1a/2a expanded to 16-bit linear). */
static int16_t ulaw_ref_decode(uint8_t code)
{
    int u = ~code & 0xFF;
    int exp = (u >> 4) & 0x07;
    int mant = u & 0x0F;
    int mag = (((mant << 3) + 0x84) << exp) - 0x84;
    return (int16_t)((u & 0x80) ? -mag : mag);
}

static int16_t alaw_ref_decode(uint8_t code)
{
    int a = code ^ 0x55;
    int exp = (a >> 4) & 0x07;
    int mant = a & 0x0F;
    int mag = exp == 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (exp - 1);
    return (int16_t)((a & 0x80) ? mag : -mag);
}

/* Reference encoders: find the segment by the position of the leading one. */
static uint8_t ulaw_ref_encode(int pcm)
{
    int sign = 0;
    int v = pcm >> 2; /* 14-bit */
    if (v < 0) {
        v = -v;
        sign = 0x80;
    }
    if (v > 8158)
        v = 8158;
    v += 33;
    int exp = 7;
    for (int mask = 0x1000; exp > 0 && !(v & mask); mask >>= 1)
        exp--;
    int mant = (v >> (exp + 1)) & 0x0F;
    return (uint8_t) ~(sign | (exp << 4) | mant);
}

static uint8_t alaw_ref_encode(int pcm)
{
    int sign = 0x80;
    int v = pcm >> 3; /* 13-bit */
    if (v < 0) {
        v = -v - 1;
        sign = 0;
    }
    if (v > 4095)
        v = 4095;
    int exp = 7;
    for (int mask = 0x800; exp > 0 && !(v & mask); mask >>= 1)
        exp--;
    int mant = exp == 0 ? (v >> 1) & 0x0F : (v >> exp) & 0x0F;
    return (uint8_t)((sign | (exp << 4) | mant) ^ 0x55);
}

__attribute__((constructor)) static void g711_build_tables(void)
{
    for (int c = 0; c < 256; c++) {
        dec_tab[AR_G711_ULAW][c] = ulaw_ref_decode((uint8_t)c);
        dec_tab[AR_G711_ALAW][c] = alaw_ref_decode((uint8_t)c);
    }
    for (int i = 0; i < 16384; i++) {
        int pcm = (int16_t)(uint16_t)(i << 2); /* sign-extend the 14-bit index */
        enc_tab[AR_G711_ULAW][i] = ulaw_ref_encode(pcm);
        enc_tab[AR_G711_ALAW][i] = alaw_ref_encode(pcm);
    }
}

int ar_g711_law_of_pt(int pt)
{
    return pt == 0 ? AR_G711_ULAW : pt == 8 ? AR_G711_ALAW : -1;
}

int16_t ar_g711_decode(ar_g711_law law, uint8_t code)
{
    return dec_tab[law & 1][code];
}

uint8_t ar_g711_encode(ar_g711_law law, int16_t pcm)
{
    return enc_tab[law & 1][(uint16_t)pcm >> 2];
}

void ar_g711_decode_buf(ar_g711_law law, const uint8_t *in, int16_t *out, size_t n)
{
    const int16_t *t = dec_tab[law & 1];
    for (size_t i = 0; i < n; i++)
        out[i] = t[in[i]];
}

void ar_g711_encode_buf(ar_g711_law law, const int16_t *in, uint8_t *out, size_t n)
{
    const uint8_t *t = enc_tab[law & 1];
    for (size_t i = 0; i < n; i++)
        out[i] = t[(uint16_t)in[i] >> 2];
}

void ar_g711_mix(ar_g711_law law, const uint8_t *in, const int16_t *add, uint8_t *out, size_t n)
{
    const int16_t *d = dec_tab[law & 1];
    const uint8_t *e = enc_tab[law & 1];
    for (size_t i = 0; i < n; i++) {
        int v = d[in[i]] + add[i];
        v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        out[i] = e[(uint16_t)(int16_t)v >> 2];
    }
}

uint8_t ar_g711_silence(ar_g711_law law)
{
    return law == AR_G711_ALAW ? 0xD5 : 0xFF;
}
