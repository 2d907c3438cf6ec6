/* ISLink (inter-site link): ids, the per-call list, and the X-Arec-ISLink SIP header codec. */
#ifndef GW_ISLINK_H
#define GW_ISLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tl_msg.h"

#define GW_ISLINK_HEADER    "X-Arec-ISLink"
#define GW_ISLINK_UD_HEADER "X-Arec-User-Data"
#define GW_ISLINK_ID_LEN    32    /* same shape as a CallUUID: 32 base32hex characters */
#define GW_ISLINK_LOC_MAX   128   /* location-name length cap */
#define GW_ISLINK_HOPS_MAX  64    /* largest hop count the header may carry */
#define GW_ISLINK_UD_MAX    12288 /* X-Arec-User-Data value cap (base64 of <= 8 KiB) */

/*
 * What one inter-site INVITE carries (docs/multisite.md):
 *   X-Arec-ISLink: <id>;loc=<location-name>;connid=<ConnID>;uuid=<CallUUID>;orig=<CallUUID>;
 *                  hop=<n>[;rec=1]
 * id: the hop's ISLink id; loc: the sending site's location-name; connid / uuid: the
 * call at the sending site; orig: the CallUUID of the call's first site; hop: how many
 * inter-site hops the call has made with this one (1 = first); rec=1: the call is
 * recorded at the sending site and islink-continue-recording asks the receiver to go on.
 */
typedef struct gw_islink_hdr {
    char id[GW_ISLINK_ID_LEN + 1];
    char loc[GW_ISLINK_LOC_MAX + 1];
    uint64_t connid;
    char uuid[GW_ISLINK_ID_LEN + 1];
    char orig[GW_ISLINK_ID_LEN + 1];
    int hop;
    bool rec;
} gw_islink_hdr;

/* Whether s (NUL-terminated) is a well-formed ISLink id / CallUUID: 32 of 0-9A-V. */
bool gw_islink_id_valid(const char *s);
/* Whether s is a usable location-name: 1-128 of A-Z a-z 0-9 . _ - @ (no ';', no spaces). */
bool gw_islink_loc_valid(const char *s);

/*
 * Parse a header value (len bytes, need not be NUL-terminated). Returns AR_E_OK, or
 * AR_E_ISLINK_MALFORMED with a short reason in why (cap bytes) for anything else:
 * missing or repeated parameter, bad id / ConnID / CallUUID, hop out of 1..64.
 */
int gw_islink_hdr_parse(const char *s, size_t len, gw_islink_hdr *out, char *why, size_t cap);
/* Whether two parsed headers carry the same values. */
bool gw_islink_hdr_equal(const gw_islink_hdr *a, const gw_islink_hdr *b);
/* The header value for h (g_free it). */
char *gw_islink_hdr_format(const gw_islink_hdr *h);

/* User data across sites: base64 of the T-Lib JSON {"UserData":{...}} (g_free). */
char *gw_islink_ud_encode(const tl_kv *ud);
/* Decode it again; returns AR_E_OK with *out (caller frees) or AR_E_ISLINK_MALFORMED. */
int gw_islink_ud_decode(const char *s, size_t len, tl_kv **out);

/* One entry of a call's ISLink list, as AttributeISLinkList shows it. */
typedef enum { GW_ISLINK_SOURCE = 0, GW_ISLINK_TARGET = 1 } gw_islink_role;

typedef struct gw_islink_list gw_islink_list;

gw_islink_list *gw_islink_list_new(void);
void gw_islink_list_free(gw_islink_list **l);
/* Append an entry (copies); a second entry with the same id replaces nothing: false. */
bool gw_islink_list_add(gw_islink_list *l, const char *id, const char *loc, gw_islink_role role);
size_t gw_islink_list_count(const gw_islink_list *l);
bool gw_islink_list_has(const gw_islink_list *l, const char *id);
/* Entry i (0-based): its id, location-name and role; false past the end. */
bool gw_islink_list_at(const gw_islink_list *l, size_t i, const char **id, const char **loc,
                       gw_islink_role *role);
/*
 * AttributeISLinkList: { "<id>": { "location-name": "...", "direction-role": "source" |
 * "target" }, ... } in the order the hops happened. NULL when out of memory.
 */
tl_kv *gw_islink_list_kv(const gw_islink_list *l);
const char *gw_islink_role_name(gw_islink_role r);

#endif
