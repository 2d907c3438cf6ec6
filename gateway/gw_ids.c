/* Call identifiers: ConnID (instance prefix + counter) and CallUUID (base32hex, per site). */
#include "gw_ids.h"

#include <glib.h>
#include <string.h>

struct gw_ids {
    uint16_t prefix;
    uint64_t connid_counter;
    uint64_t uuid_counter;
    char head[21]; /* time + site hash + nonce: the fixed 20 characters of every CallUUID */
};

static const char b32hex[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

/* Write v as n base32hex digits, most significant first (v truncated to 5n bits). */
static void put_b32(char *out, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = b32hex[v & 31];
        v >>= 5;
    }
}

/* FNV-1a: stable across runs and builds, unlike g_str_hash's documented freedom to change. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

gw_ids *gw_ids_new(const char *site, int64_t start_us, uint32_t nonce)
{
    gw_ids *ids = g_new0(gw_ids, 1);
    uint64_t site_h = fnv1a(site ? site : "");
    /* The ConnID prefix mixes site, start time and nonce so two instances differ. */
    uint64_t mix = site_h ^ ((uint64_t)start_us * 0x9E3779B97F4A7C15ULL) ^ nonce;
    mix ^= mix >> 29;
    ids->prefix = (uint16_t)(mix ^ (mix >> 16) ^ (mix >> 32) ^ (mix >> 48));
    if (ids->prefix == 0)
        ids->prefix = 1;
    put_b32(ids->head, (uint64_t)(start_us / 1000000), 8);
    put_b32(ids->head + 8, site_h, 6);
    put_b32(ids->head + 14, nonce, 6);
    ids->head[20] = '\0';
    return ids;
}

void gw_ids_free(gw_ids **ids)
{
    g_free(*ids);
    *ids = NULL;
}

uint64_t gw_ids_next_connid(gw_ids *ids)
{
    ids->connid_counter = (ids->connid_counter + 1) & 0xFFFFFFFFFFFFULL;
    if (ids->connid_counter == 0)
        ids->connid_counter = 1;
    return ((uint64_t)ids->prefix << 48) | ids->connid_counter;
}

uint16_t gw_ids_prefix(const gw_ids *ids)
{
    return ids->prefix;
}

void gw_ids_next_uuid(gw_ids *ids, char out[GW_UUID_LEN + 1])
{
    memcpy(out, ids->head, 20);
    put_b32(out + 20, ++ids->uuid_counter, 12);
    out[GW_UUID_LEN] = '\0';
}

bool gw_ids_uuid_valid(const char *s)
{
    if (!s || strlen(s) != GW_UUID_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'V')))
            return false;
    return true;
}
