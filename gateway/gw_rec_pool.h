/* Recording controller's use of the pools: geo-location, mediad and recorder picks per call. */
#ifndef GW_REC_POOL_H
#define GW_REC_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_call_int.h"
#include "gw_pool.h"
#include "gw_rec.h"

/* Ports a recording holds on its mediad (two legs) and on its recorder (two streams). */
#define GW_REC_MEDIAD_PORTS   2
#define GW_REC_RECORDER_PORTS 2

/*
 * The call's geo-location for request r (gw_pool_select.h), logged with where it came
 * from. Returns a new string, NULL = none.
 */
char *gw_rec_pool_geo(gw_call *call, const gw_rec_req *r);

/*
 * mediad for a recording: AR_E_OK with *out, AR_E_UNSUPPORTED_OPERATION (no mediad pool
 * and no msml VoIP Service DN), AR_E_POOL_NO_MEMBER or AR_E_POOL_GEO_NOMATCH, why filled.
 */
int gw_rec_pool_mediad(gw_call *call, const char *geo, const gw_pool_member *const *exclude,
                       size_t nexclude, gw_pool_lease **out, char *why, size_t cap);

/*
 * The recorder of dest: the request's dest, else [gateway] recording-dest, else the first
 * recorder pool. "pool:NAME" picks from pool NAME; recording-dest (the implicit pool) is
 * picked too so its ports are counted; any other URI is used as given (*out NULL).
 * *dest gets the URI (a new string). Returns AR_E_OK, AR_E_MISSING_ATTRIBUTE (nothing
 * configured), AR_E_INVALID_VALUE (not a SIP URI), AR_E_POOL_NO_MEMBER,
 * AR_E_POOL_GEO_NOMATCH, with why filled.
 */
int gw_rec_pool_recorder(gw_call *call, const char *req_dest, const char *geo,
                         const gw_pool_member *const *exclude, size_t nexclude, gw_pool_lease **out,
                         char **dest, char *why, size_t cap);

/* A parallel lease's member URIs, comma-separated (MSML destfork); NULL for one member. */
char *gw_rec_pool_fork_list(const gw_pool_lease *l);
/* mediad reported uri answered first: settle l on it. false when uri is not one of l's. */
bool gw_rec_pool_settle(gw_pool_lease *l, const char *uri);

#endif
