/* The call view for desktops and the status page: calls, parties, user data as JSON. */
#ifndef GW_DESK_CALL_H
#define GW_DESK_CALL_H

#include <json-c/json.h>
#include <stddef.h>

#include "ar_buf.h"
#include "gw_server.h"

/*
 * Calls in progress as a JSON array: those with a party on one of the given DNs, or
 * every call when dns is NULL. Each: connId, callUuid, callType, ani, dnis, parties
 * (dn, role, state), userData, recording (On / Off / Paused / null), duration and, for
 * a paused recording, pausedFor (this pause) and pausedTotal, in seconds.
 */
json_object *gw_desk_calls_json(gw_server *srv, const char *const *dns, size_t n);
/* Add the DN's agent (login, ready) when one is logged in there. */
void gw_desk_dn_agent_json(gw_server *srv, const char *dn, json_object *obj);
/*
 * After an event on dn was published: send a CallState for the event's call (ConnID) to
 * every desktop registered on dn that asked for the call view.
 */
void gw_desk_call_event(gw_server *srv, struct gw_dn *dn, const tl_msg *m);
/* A tl_kv as a JSON object, as the JSON T-Lib codec writes it. */
json_object *gw_desk_kv_json(const tl_kv *kv);

#endif
