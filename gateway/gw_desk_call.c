/* The call view for desktops and the status page: calls, parties, user data as JSON. */
#include "gw_desk_call.h"

#include <string.h>

#include "gw_agent.h"
#include "gw_call.h"
#include "gw_call_int.h"
#include "gw_desk.h"
#include "tl_codec.h"

#define CALLS_MAX 1000 /* calls in one list: the page and snapshots stay bounded */

/*
 * Recording pauses are not kept by the call model, only the GSIP_RECORD value: the time
 * a call entered "Paused" is remembered here, per ConnID, when a view is built.
 */
typedef struct {
    int64_t paused_since; /* 0 = not paused */
    int64_t paused_total;
    int64_t seen;
} pause_track;

static GHashTable *pauses; /* uint64_t connid -> pause_track */

static const char *call_type_name(tl_call_type t)
{
    switch (t) {
    case TL_CALLTYPE_INTERNAL:
        return "Internal";
    case TL_CALLTYPE_INBOUND:
        return "Inbound";
    case TL_CALLTYPE_OUTBOUND:
        return "Outbound";
    case TL_CALLTYPE_CONSULT:
        return "Consult";
    default:
        return "Unknown";
    }
}

static const char *role_name(tl_dn_role r)
{
    static const char *const names[] = {
        "Unknown",   "Origination",   "Destination",  "ConferenceMember", "NewParty", "AddedBy",
        "DeletedBy", "TransferredBy", "DeletedParty", "ConferencedBy",    "Observer",
    };
    return (unsigned)r < G_N_ELEMENTS(names) ? names[r] : "Unknown";
}

json_object *gw_desk_kv_json(const tl_kv *kv)
{
    /* Through the codec, so values look exactly as in the T-Lib events. */
    tl_msg *m = tl_msg_new(TL_M_EventUserEvent);
    tl_kv *copy = kv ? tl_kv_copy(kv) : NULL;
    json_object *out = NULL;
    if (m && copy && tl_msg_set_kv(m, TL_A_UserData, copy) == 0) {
        char *txt = tl_json_encode_str(m);
        json_object *o = txt ? json_tokener_parse(txt) : NULL;
        json_object *ud;
        if (o && json_object_object_get_ex(o, "UserData", &ud))
            out = json_object_get(ud);
        json_object_put(o);
        free(txt);
    } else {
        tl_kv_free(&copy);
    }
    tl_msg_free(&m);
    return out ? out : json_object_new_object();
}

static json_object *call_json(const gw_call *call, int64_t now)
{
    char id[17];
    tl_connid_format(gw_call_connid(call), id);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "connId", json_object_new_string(id));
    json_object_object_add(o, "callUuid", json_object_new_string(gw_call_uuid(call)));
    json_object_object_add(o, "callType",
                           json_object_new_string(call_type_name(gw_call_type(call))));
    const char *ani = gw_call_ani(call), *dnis = gw_call_dnis(call);
    json_object_object_add(o, "ani", ani && *ani ? json_object_new_string(ani) : NULL);
    json_object_object_add(o, "dnis", dnis && *dnis ? json_object_new_string(dnis) : NULL);
    json_object *parties = json_object_new_array();
    for (size_t i = 0; i < gw_call_nparties(call); i++) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "dn", json_object_new_string(gw_call_party_dn(call, i)));
        json_object_object_add(p, "role",
                               json_object_new_string(role_name(gw_call_party_role(call, i))));
        json_object_object_add(
            p, "state", json_object_new_string(gw_party_state_name(gw_call_party_state(call, i))));
        json_object_array_add(parties, p);
    }
    json_object_object_add(o, "parties", parties);
    const tl_kv *ud = gw_call_user_data(call);
    json_object_object_add(o, "userData", gw_desk_kv_json(ud));
    const char *rec = ud ? tl_kv_get_str(ud, "GSIP_RECORD") : NULL;
    json_object_object_add(o, "recording", rec ? json_object_new_string(rec) : NULL);
    json_object_object_add(o, "duration",
                           json_object_new_int64((now - call->created_us) / 1000000));

    uint64_t key = gw_call_connid(call);
    pause_track *t = g_hash_table_lookup(pauses, &key);
    if (!t) {
        uint64_t *k = g_new(uint64_t, 1);
        *k = key;
        t = g_new0(pause_track, 1);
        g_hash_table_insert(pauses, k, t);
    }
    t->seen = now;
    bool paused = rec && g_ascii_strcasecmp(rec, "Paused") == 0;
    if (paused && !t->paused_since)
        t->paused_since = now;
    if (!paused && t->paused_since) {
        t->paused_total += now - t->paused_since;
        t->paused_since = 0;
    }
    int64_t cur = t->paused_since ? now - t->paused_since : 0;
    if (paused)
        json_object_object_add(o, "pausedFor", json_object_new_int64(cur / 1000000));
    json_object_object_add(o, "pausedTotal",
                           json_object_new_int64((t->paused_total + cur) / 1000000));
    return o;
}

static gboolean stale(gpointer k, gpointer v, gpointer ud)
{
    (void)k;
    return ((pause_track *)v)->seen < *(int64_t *)ud;
}

json_object *gw_desk_calls_json(gw_server *srv, const char *const *dns, size_t n)
{
    json_object *a = json_object_new_array();
    gw_calls *calls = srv->calls;
    if (!calls)
        return a;
    if (!pauses)
        pauses = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    int64_t now = gw_now_us();
    GHashTable *done = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (!dns) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, calls->by_connid);
        while (g_hash_table_iter_next(&it, &k, &v) && g_hash_table_size(done) < CALLS_MAX) {
            g_hash_table_add(done, v);
            json_object_array_add(a, call_json(v, now));
        }
    }
    for (size_t i = 0; dns && i < n && g_hash_table_size(done) < CALLS_MAX; i++) {
        gw_call *found[16];
        size_t m = gw_calls_of_dn(calls, dns[i], found, G_N_ELEMENTS(found));
        for (size_t j = 0; j < m; j++) {
            if (!g_hash_table_add(done, found[j]))
                continue;
            json_object_array_add(a, call_json(found[j], now));
        }
    }
    g_hash_table_destroy(done);
    /* Forget pause bookkeeping of calls no view has shown for a minute. */
    int64_t cutoff = now - 60 * G_USEC_PER_SEC;
    g_hash_table_foreach_remove(pauses, stale, &cutoff);
    return a;
}

void gw_desk_dn_agent_json(gw_server *srv, const char *dn, json_object *obj)
{
    bool ready = false;
    const char *login = srv->calls ? gw_agent_on_dn(srv->calls, dn, &ready) : NULL;
    if (!login)
        return;
    json_object *a = json_object_new_object();
    json_object_object_add(a, "login", json_object_new_string(login));
    json_object_object_add(a, "ready", json_object_new_boolean(ready));
    json_object_object_add(obj, "agent", a);
}

void gw_desk_metrics_text(gw_server *srv, ar_buf *b)
{
    if (!srv->calls)
        return;
    size_t by_state[3] = {0, 0, 0}; /* On, Paused, Off or none */
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, srv->calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const tl_kv *ud = gw_call_user_data(v);
        const char *rec = ud ? tl_kv_get_str(ud, "GSIP_RECORD") : NULL;
        size_t i = !rec                                     ? 2
                   : g_ascii_strcasecmp(rec, "On") == 0     ? 0
                   : g_ascii_strcasecmp(rec, "Paused") == 0 ? 1
                                                            : 2;
        by_state[i]++;
    }
    ar_buf_printf(b,
                  "# HELP gatewayd_calls Calls in progress.\n"
                  "# TYPE gatewayd_calls gauge\n"
                  "gatewayd_calls %zu\n"
                  "# HELP gatewayd_recordings Calls by recording state (GSIP_RECORD).\n"
                  "# TYPE gatewayd_recordings gauge\n"
                  "gatewayd_recordings{state=\"on\"} %zu\n"
                  "gatewayd_recordings{state=\"paused\"} %zu\n"
                  "gatewayd_recordings{state=\"off\"} %zu\n",
                  gw_calls_count(srv->calls), by_state[0], by_state[1], by_state[2]);
}

/* What the DN may ask for now, by its state in the call and the recording state. */
static json_object *capabilities(gw_party_state st, const char *rec)
{
    static const char *const ringing[] = {"AnswerCall", "ReleaseCall"};
    static const char *const dialing[] = {"ReleaseCall"};
    static const char *const talking[] = {
        "ReleaseCall",      "HoldCall",           "SingleStepTransfer",
        "InitiateTransfer", "InitiateConference", "AttachUserData",
        "UpdateUserData",   "DeleteUserData",     "SendEvent",
    };
    static const char *const held[] = {"RetrieveCall",       "ReleaseCall",    "CompleteTransfer",
                                       "CompleteConference", "AttachUserData", "UpdateUserData"};
    const char *const *list = NULL;
    size_t n = 0;
    switch (st) {
    case GW_PS_RINGING:
        list = ringing, n = G_N_ELEMENTS(ringing);
        break;
    case GW_PS_DIALING:
        list = dialing, n = G_N_ELEMENTS(dialing);
        break;
    case GW_PS_ESTABLISHED:
        list = talking, n = G_N_ELEMENTS(talking);
        break;
    case GW_PS_HELD:
        list = held, n = G_N_ELEMENTS(held);
        break;
    default:
        break;
    }
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(list[i]));
    if (st == GW_PS_ESTABLISHED || st == GW_PS_HELD) {
        /* Recording control through RequestPrivateService (3013-3016). */
        bool on = rec && g_ascii_strcasecmp(rec, "On") == 0;
        bool paused = rec && g_ascii_strcasecmp(rec, "Paused") == 0;
        if (!on && !paused)
            json_object_array_add(a, json_object_new_string("RecordStart"));
        if (on || paused)
            json_object_array_add(a, json_object_new_string("RecordStop"));
        if (on)
            json_object_array_add(a, json_object_new_string("RecordPause"));
        if (paused)
            json_object_array_add(a, json_object_new_string("RecordResume"));
    }
    return a;
}

static json_object *call_state(gw_server *srv, const char *dn, uint64_t connid, bool gone)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "message", json_object_new_string("CallState"));
    json_object_object_add(o, "ThisDN", json_object_new_string(dn));
    gw_call *call = srv->calls ? gw_calls_find(srv->calls, connid) : NULL;
    gw_party_state st = GW_PS_RELEASED;
    if (gone || !call || !gw_call_dn_state(call, dn, &st))
        st = GW_PS_RELEASED;
    if (!call) {
        char id[17];
        tl_connid_format(connid, id);
        json_object_object_add(o, "connId", json_object_new_string(id));
        json_object_object_add(o, "state", json_object_new_string(gw_party_state_name(st)));
        json_object_object_add(o, "ended", json_object_new_boolean(true));
        json_object_object_add(o, "capabilities", json_object_new_array());
        return o;
    }
    json_object *v = call_json(call, gw_now_us());
    json_object_object_foreach(v, key, val)
    {
        json_object_object_add(o, key, json_object_get(val));
    }
    json_object_put(v);
    const tl_kv *ud = gw_call_user_data(call);
    const char *rec = ud ? tl_kv_get_str(ud, "GSIP_RECORD") : NULL;
    json_object_object_add(o, "state", json_object_new_string(gw_party_state_name(st)));
    json_object_object_add(o, "recordingState", json_object_new_string(rec ? rec : "Off"));
    json_object_object_add(o, "ended", json_object_new_boolean(st == GW_PS_RELEASED));
    json_object_object_add(o, "capabilities", capabilities(st, rec));
    return o;
}

void gw_desk_call_event(gw_server *srv, struct gw_dn *dn, const tl_msg *m)
{
    uint64_t connid;
    bool wanted = false;
    for (guint i = 0; i < dn->subs->len && !wanted; i++) {
        gw_client *c = dn->subs->pdata[i];
        wanted = c->ops->queue_json && !c->closing && ((gw_desk_sess *)c->tp)->call_view;
    }
    if (!wanted || !tl_msg_get_connid(m, TL_A_ConnID, &connid))
        return;
    /* The model announces a party's release before it forgets the party. */
    bool gone = m->type == TL_M_EventReleased || m->type == TL_M_EventAbandoned;
    json_object *o = call_state(srv, dn->number, connid, gone);
    const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    size_t len = strlen(txt);
    for (guint i = 0; i < dn->subs->len; i++) {
        gw_client *c = dn->subs->pdata[i];
        if (c->ops->queue_json && !c->closing && ((gw_desk_sess *)c->tp)->call_view)
            gw_client_queue(c, (const uint8_t *)txt, len);
    }
    json_object_put(o);
}
