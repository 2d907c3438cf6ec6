/* CDR rows derived from the T-Lib call events gatewayd publishes (calls, parties, user data). */
#ifndef GW_DB_CDR_H
#define GW_DB_CDR_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_db.h"
#include "tl_msg.h"

/*
 * Feed one event about to be published to a DN's subscribers (the hook is one line in
 * gw_server_publish: gw_db_cdr_event(srv->db, m, dn_is_full_time, gw_now_us())). Call
 * events (those with ConnID and ThisDN) yield: a calls row when a call is first seen,
 * answered (EventEstablished) and ended (its last tracked party released); a parties
 * row when a DN joins and when it leaves (EventReleased / Abandoned / Diverted); one
 * call_user_data row per key added, changed or removed between two events of the call.
 * EventAgentLogin / EventAgentLogout tell which agent is on a DN. Every other event is
 * ignored. The same event published to several DNs writes nothing twice (the state is
 * kept per ConnID and DN). db NULL = no-op. Times are microseconds since the epoch.
 */
void gw_db_cdr_event(gw_db *db, const tl_msg *ev, bool full_time, int64_t now_us);

/* Calls and parties being tracked (tests, memory accounting). */
size_t gw_db_cdr_calls(const gw_db *db);
size_t gw_db_cdr_parties(const gw_db *db);

/* Internal: the tracking state owned by a gw_db (freed by gw_db_free). */
typedef struct gw_db_cdr gw_db_cdr;
void gw_db_cdr_free(gw_db_cdr **c);

#endif
