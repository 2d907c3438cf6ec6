/* Call events: DN events with the public T-Lib sequences, and call-based monitoring events. */
#include "gw_callev.h"

#include <string.h>

#include "ar_log.h"

static bool set_opt_str(tl_msg *m, uint16_t id, const char *s)
{
    return !s || !*s || tl_msg_set_str(m, id, s) == 0;
}

static bool set_opt_connid(tl_msg *m, uint16_t id, uint64_t v)
{
    return v == 0 || tl_msg_set_connid(m, id, v) == 0;
}

static bool set_kv_copy(tl_msg *m, uint16_t id, const tl_kv *kv)
{
    if (!kv)
        return true;
    tl_kv *copy = tl_kv_copy(kv);
    return copy && tl_msg_set_kv(m, id, copy) == 0;
}

/* The attributes every call-related message carries. */
static bool add_call_attrs(tl_msg *m, const gw_call *call)
{
    bool ok = tl_msg_set_connid(m, TL_A_ConnID, call->connid) == 0;
    ok = ok && tl_msg_set_int(m, TL_A_CallID, call->call_id) == 0;
    ok = ok && tl_msg_set_str(m, TL_A_CallUUID, call->uuid) == 0;
    ok = ok && tl_msg_set_int(m, TL_A_CallType, call->type) == 0;
    ok = ok && set_opt_str(m, TL_A_ANI, call->ani);
    ok = ok && set_opt_str(m, TL_A_DNIS, call->dnis);
    ok = ok && set_opt_connid(m, TL_A_PreviousConnID, call->prev_connid);
    ok = ok && set_opt_connid(m, TL_A_TransferConnID, call->transfer_connid);
    ok = ok && set_opt_connid(m, TL_A_FirstTransferConnID, call->first_tc);
    ok = ok && set_opt_connid(m, TL_A_LastTransferConnID, call->last_tc);
    if (ok && tl_kv_count(call->ud) > 0)
        ok = set_kv_copy(m, TL_A_UserData, call->ud);
    return ok;
}

tl_msg *gw_callev_build(gw_call *call, const gw_party *p, uint16_t type, const gw_evopt *o)
{
    static const gw_evopt none;
    if (!o)
        o = &none;
    tl_msg *m = tl_msg_new(type);
    if (!m)
        return NULL;
    bool ok = add_call_attrs(m, call);
    if (o->prev)
        ok = ok && tl_msg_set_connid(m, TL_A_PreviousConnID, o->prev) == 0;
    if (o->transfer)
        ok = ok && tl_msg_set_connid(m, TL_A_TransferConnID, o->transfer) == 0;
    if (p) {
        ok = ok && tl_msg_set_str(m, TL_A_ThisDN, p->dn) == 0;
        ok = ok && tl_msg_set_int(m, TL_A_ThisDNRole, p->role) == 0;
    }
    const gw_party *other = o->other ? o->other : (p ? gw_call_peer(call, p) : NULL);
    if (o->other_dn) {
        ok = ok && tl_msg_set_str(m, TL_A_OtherDN, o->other_dn) == 0;
        ok = ok && tl_msg_set_int(m, TL_A_OtherDNRole,
                                  o->other_role ? o->other_role : TL_ROLE_DESTINATION) == 0;
    } else if (other) {
        ok = ok && tl_msg_set_str(m, TL_A_OtherDN, other->number) == 0;
        ok = ok && tl_msg_set_int(m, TL_A_OtherDNRole, other->role) == 0;
    } else if (p && call->gone[0]) {
        /* Alone in the call: the party that just left is still "the other one". */
        ok = ok && tl_msg_set_str(m, TL_A_OtherDN, call->gone) == 0;
        ok = ok && tl_msg_set_int(m, TL_A_OtherDNRole, call->gone_role) == 0;
    }
    if (o->third) {
        ok = ok && tl_msg_set_str(m, TL_A_ThirdPartyDN, o->third) == 0;
        ok = ok && tl_msg_set_int(m, TL_A_ThirdPartyDNRole, o->third_role) == 0;
    }
    if (o->has_cs)
        ok = ok && tl_msg_set_int(m, TL_A_CallState, o->cs) == 0;
    if (o->has_route_type)
        ok = ok && tl_msg_set_int(m, TL_A_RouteType, o->route_type) == 0;
    ok = ok && set_opt_str(m, TL_A_ThisQueue, o->queue);
    ok = ok && set_kv_copy(m, TL_A_Extensions, o->ext);
    int64_t ref = o->ref;
    gw_calls *calls = call->calls;
    if (ref == 0 && p && calls->req_ref >= 0 && calls->req_dn && strcmp(calls->req_dn, p->dn) == 0)
        ref = calls->req_ref;
    if (ref > 0)
        ok = ok && tl_msg_set_int(m, TL_A_ReferenceID, ref) == 0;
    if (!ok) {
        LOG_ERR(call, "out of memory building an event for ConnID %016llx",
                (unsigned long long)call->connid);
        tl_msg_free(&m);
    }
    return m;
}

void gw_callev_party(gw_call *call, const gw_party *p, uint16_t type, const gw_evopt *o)
{
    if (p->trunk)
        return;
    gw_dn *dn = gw_dn_find(call->calls->srv->dns, p->dn);
    if (!dn)
        return;
    tl_msg *m = gw_callev_build(call, p, type, o);
    if (!m)
        return;
    const tl_msg_info *mi = tl_msg_info_get(type);
    LOG_DEBUG(call, "%s ThisDN %s ConnID %016llx", mi ? mi->name : "?", p->dn,
              (unsigned long long)call->connid);
    gw_server_publish(call->calls->srv, dn, m);
    tl_msg_free(&m);
}

void gw_callev_dn(gw_calls *calls, const char *number, uint16_t type, tl_msg *m)
{
    gw_dn *dn = gw_dn_find(calls->srv->dns, number);
    tl_msg *own = NULL;
    if (!m)
        m = own = tl_msg_new(type);
    if (!m)
        return;
    if (tl_msg_set_str(m, TL_A_ThisDN, number) == 0 && dn) {
        if (calls->req_ref >= 0 && calls->req_dn && strcmp(calls->req_dn, number) == 0)
            tl_msg_set_int(m, TL_A_ReferenceID, calls->req_ref);
        gw_server_publish(calls->srv, dn, m);
    }
    tl_msg_free(&own);
}

/* --- call-based monitoring --- */

static gw_client *client_by_id(gw_server *srv, uint64_t id)
{
    for (gw_client *c = srv->clients; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

/* Send m to every monitoring client (or only to `only`); forget clients that left. */
static void mon_send(gw_call *call, tl_msg *m, uint64_t only)
{
    if (!m)
        return;
    GArray *mons = call->monitors;
    for (guint i = 0; mons && i < mons->len;) {
        uint64_t id = g_array_index(mons, uint64_t, i);
        gw_client *c = client_by_id(call->calls->srv, id);
        if (!c) {
            g_array_remove_index_fast(mons, i);
            continue;
        }
        if (!only || only == id)
            gw_client_send(c, m);
        i++;
    }
    tl_msg_free(&m);
}

bool gw_callev_mon_add(gw_call *call, uint64_t client_id)
{
    if (!call->monitors)
        call->monitors = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    for (guint i = 0; i < call->monitors->len; i++)
        if (g_array_index(call->monitors, uint64_t, i) == client_id)
            return false;
    g_array_append_val(call->monitors, client_id);
    return true;
}

bool gw_callev_mon_remove(gw_call *call, uint64_t client_id)
{
    for (guint i = 0; call->monitors && i < call->monitors->len; i++) {
        if (g_array_index(call->monitors, uint64_t, i) == client_id) {
            g_array_remove_index_fast(call->monitors, i);
            return true;
        }
    }
    return false;
}

static tl_msg *mon_msg(gw_call *call, uint16_t type)
{
    tl_msg *m = tl_msg_new(type);
    if (m && !add_call_attrs(m, call))
        tl_msg_free(&m);
    return m;
}

static tl_msg *mon_party_msg(gw_call *call, const gw_party *p, uint16_t type)
{
    tl_msg *m = mon_msg(call, type);
    tl_kv *ext = m ? tl_kv_new() : NULL;
    bool ok = ext && tl_msg_set_str(m, TL_A_ThisDN, p->dn) == 0 &&
              tl_msg_set_int(m, TL_A_ThisDNRole, p->role) == 0 &&
              tl_kv_add_str(ext, "PartyState", gw_party_state_name(p->state)) == 0 &&
              tl_kv_add_str(ext, "Number", p->number) == 0;
    if (ok) {
        ok = tl_msg_set_kv(m, TL_A_Extensions, ext) == 0;
        ext = NULL;
    }
    tl_kv_free(&ext);
    if (!ok)
        tl_msg_free(&m);
    return m;
}

void gw_callev_mon_created(gw_call *call, uint64_t only_client)
{
    if (!call->monitors || call->monitors->len == 0)
        return;
    mon_send(call, mon_msg(call, TL_M_EventCallCreated), only_client);
    for (gw_party *p = call->parties; p; p = p->next)
        mon_send(call, mon_party_msg(call, p, TL_M_EventCallPartyAdded), only_client);
}

void gw_callev_mon_party(gw_call *call, const gw_party *p, uint16_t type)
{
    if (!call->monitors || call->monitors->len == 0)
        return;
    mon_send(call, mon_party_msg(call, p, type), 0);
}

void gw_callev_mon_data(gw_call *call)
{
    if (!call->monitors || call->monitors->len == 0)
        return;
    tl_msg *m = mon_msg(call, TL_M_EventCallDataChanged);
    /* An emptied user data list is news too: send it explicitly. */
    if (m && tl_kv_count(call->ud) == 0)
        set_kv_copy(m, TL_A_UserData, call->ud);
    mon_send(call, m, 0);
}

void gw_callev_mon_send(gw_call *call, tl_msg *m)
{
    if (!call->monitors || call->monitors->len == 0) {
        tl_msg_free(&m);
        return;
    }
    mon_send(call, m, 0);
}

void gw_callev_mon_deleted(gw_call *call)
{
    if (!call->monitors || call->monitors->len == 0)
        return;
    mon_send(call, mon_msg(call, TL_M_EventCallDeleted), 0);
}
