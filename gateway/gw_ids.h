/* Call identifiers: ConnID (instance prefix + counter) and CallUUID (base32hex, per site). */
#ifndef GW_IDS_H
#define GW_IDS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gw_ids gw_ids;

#define GW_UUID_LEN 32

/*
 * A generator for one gateway instance. The ConnID prefix (16 bits, never 0) and the
 * CallUUID's site hash / start time / nonce are fixed here; site names the site whose
 * calls must not collide, start_us is the instance's start (microseconds), nonce
 * tells two instances of one site started in the same second apart (pid, random).
 */
gw_ids *gw_ids_new(const char *site, int64_t start_us, uint32_t nonce);
void gw_ids_free(gw_ids **ids);

/*
 * Next ConnID: prefix in the top 16 bits, a 48-bit counter below (starts at 1, so a
 * ConnID is never 0 = "none"). The counter wraps after 2^48 calls.
 */
uint64_t gw_ids_next_connid(gw_ids *ids);
uint16_t gw_ids_prefix(const gw_ids *ids);

/*
 * Next CallUUID: 32 characters of base32hex (0-9A-V) written to out (+ NUL):
 * 8 chars start time (seconds) | 6 chars site hash | 6 chars nonce | 12 chars counter.
 */
void gw_ids_next_uuid(gw_ids *ids, char out[GW_UUID_LEN + 1]);

/* Whether s is a well-formed CallUUID (32 base32hex characters). */
bool gw_ids_uuid_valid(const char *s);

#endif
