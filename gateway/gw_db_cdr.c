/* CDR rows derived from the T-Lib call events gatewayd publishes (calls, parties, user data). */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ar_buf.h"
#include "gw_db_cdr.h"
#include "gw_db_int.h"

/* One call seen in events: enough to write its rows without asking the call model. */
typedef struct {
    char connid[17];
    char *uuid;
    char *ani, *dnis;
    const char *type;
    int64_t started_us;
    bool answered;
    unsigned parties; /* tracked parties still on the call */
    tl_kv *ud;        /* user data as last seen, for the change history */
} cdr_call;

typedef struct {
    int64_t joined_us;
    const char *role;
    char *agent;
    bool full_time;
} cdr_party;

struct gw_db_cdr {
    GHashTable *calls;   /* connid text -> cdr_call */
    GHashTable *parties; /* "connid/dn" -> cdr_party */
    GHashTable *agents;  /* dn -> agent login */
};

static void call_free(gpointer p)
{
    cdr_call *c = p;
    g_free(c->uuid);
    g_free(c->ani);
    g_free(c->dnis);
    tl_kv_free(&c->ud);
    g_free(c);
}

static void party_free(gpointer p)
{
    cdr_party *y = p;
    g_free(y->agent);
    g_free(y);
}

static gw_db_cdr *state(gw_db *db)
{
    gw_db_cdr **slot = gw_db_cdr_slot(db);
    if (!*slot) {
        gw_db_cdr *c = g_new0(gw_db_cdr, 1);
        c->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, call_free);
        c->parties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, party_free);
        c->agents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        *slot = c;
    }
    return *slot;
}

void gw_db_cdr_free(gw_db_cdr **cp)
{
    gw_db_cdr *c = cp ? *cp : NULL;
    if (!c)
        return;
    g_hash_table_destroy(c->calls);
    g_hash_table_destroy(c->parties);
    g_hash_table_destroy(c->agents);
    g_free(c);
    *cp = NULL;
}

size_t gw_db_cdr_calls(const gw_db *db)
{
    gw_db_cdr *c = *gw_db_cdr_slot((gw_db *)db);
    return c ? g_hash_table_size(c->calls) : 0;
}

size_t gw_db_cdr_parties(const gw_db *db)
{
    gw_db_cdr *c = *gw_db_cdr_slot((gw_db *)db);
    return c ? g_hash_table_size(c->parties) : 0;
}

static const char *type_name(int64_t t)
{
    static const char *const names[] = {"Unknown", "Internal", "Inbound", "Outbound", "Consult"};
    return t >= 0 && t < (int64_t)G_N_ELEMENTS(names) ? names[t] : "Unknown";
}

static const char *role_name(int64_t r)
{
    switch (r) {
    case TL_ROLE_ORIGINATION:
        return "Origination";
    case TL_ROLE_DESTINATION:
        return "Destination";
    case TL_ROLE_CONFERENCE_MEMBER:
        return "ConferenceMember";
    case TL_ROLE_OBSERVER:
        return "Observer";
    default:
        return "Other";
    }
}

static void write_call(gw_db *db, const cdr_call *c, int64_t answered_us, int64_t ended_us,
                       const char *cause)
{
    gw_db_call r = {.connid = c->connid,
                    .call_uuid = c->uuid,
                    .call_type = c->type,
                    .ani = c->ani,
                    .dnis = c->dnis,
                    .end_cause = cause,
                    .started_us = c->started_us,
                    .answered_us = answered_us,
                    .ended_us = ended_us};
    gw_db_write_call(db, &r);
}

static void write_party(gw_db *db, const char *connid, const char *dn, const cdr_party *y,
                        int64_t left_us)
{
    gw_db_party r = {connid, dn, y->role, y->agent, y->full_time, y->joined_us, left_us};
    gw_db_write_party(db, &r);
}

/* A user-data value as stored: text as is, integers in decimal, binary bytes, lists named. */
static const char *value_bytes(const tl_value *v, char *tmp, size_t tmpsz, size_t *len)
{
    switch (v->type) {
    case TL_T_INT:
        *len = (size_t)snprintf(tmp, tmpsz, "%lld", (long long)v->u.i);
        return tmp;
    case TL_T_STR:
    case TL_T_UNICODE:
    case TL_T_BIN:
        *len = v->u.s.len;
        return v->u.s.p;
    case TL_T_KV:
        *len = (size_t)snprintf(tmp, tmpsz, "(list of %zu pairs)", tl_kv_count(v->u.kv));
        return tmp;
    default:
        *len = 0;
        return "";
    }
}

static bool value_equal(const tl_value *a, const tl_value *b)
{
    char ta[48], tb[48];
    size_t la, lb;
    const char *pa = value_bytes(a, ta, sizeof ta, &la), *pb = value_bytes(b, tb, sizeof tb, &lb);
    return a->type == b->type && la == lb && memcmp(pa, pb, la) == 0;
}

static void write_ud(gw_db *db, const char *connid, int64_t at, const char *op, const char *key,
                     const tl_value *v)
{
    char tmp[48];
    size_t len = 0;
    const char *p = v ? value_bytes(v, tmp, sizeof tmp, &len) : NULL;
    gw_db_user_data r = {connid, at, op, key, p, len};
    gw_db_write_user_data(db, &r);
}

/* Rows for what changed in the call's user data since the last event that carried it. */
static void diff_user_data(gw_db *db, cdr_call *c, const tl_kv *now, int64_t at)
{
    size_t n_old = c->ud ? tl_kv_count(c->ud) : 0, n_new = now ? tl_kv_count(now) : 0;
    if (n_new == 0) {
        if (n_old > 0)
            write_ud(db, c->connid, at, "delete-all", NULL, NULL);
    } else {
        for (size_t i = 0; i < n_new; i++) {
            const tl_kv_pair *p = tl_kv_at(now, i);
            const tl_value *old = c->ud ? tl_kv_get(c->ud, p->key) : NULL;
            if (!old)
                write_ud(db, c->connid, at, "add", p->key, &p->v);
            else if (!value_equal(old, &p->v))
                write_ud(db, c->connid, at, "update", p->key, &p->v);
        }
        for (size_t i = 0; i < n_old; i++) {
            const tl_kv_pair *p = tl_kv_at(c->ud, i);
            if (!tl_kv_get(now, p->key))
                write_ud(db, c->connid, at, "delete", p->key, NULL);
        }
    }
    tl_kv_free(&c->ud);
    c->ud = n_new ? tl_kv_copy(now) : NULL;
}

static void on_agent(gw_db_cdr *s, const tl_msg *ev)
{
    const char *dn = tl_msg_get_str(ev, TL_A_ThisDN);
    const char *agent = tl_msg_get_str(ev, TL_A_AgentID);
    if (!dn)
        return;
    if (ev->type == TL_M_EventAgentLogin && agent)
        g_hash_table_replace(s->agents, g_strdup(dn), g_strdup(agent));
    else if (ev->type == TL_M_EventAgentLogout)
        g_hash_table_remove(s->agents, dn);
}

void gw_db_cdr_event(gw_db *db, const tl_msg *ev, bool full_time, int64_t now_us)
{
    uint64_t id;
    if (!db)
        return;
    gw_db_cdr *s = state(db);
    if (ev->type == TL_M_EventAgentLogin || ev->type == TL_M_EventAgentLogout) {
        on_agent(s, ev);
        return;
    }
    const char *dn = tl_msg_get_str(ev, TL_A_ThisDN);
    const char *uuid = tl_msg_get_str(ev, TL_A_CallUUID);
    if (!dn || !uuid || !tl_msg_get_connid(ev, TL_A_ConnID, &id) || ev->type == TL_M_EventUserEvent)
        return;
    char connid[17];
    snprintf(connid, sizeof connid, "%016llx", (unsigned long long)id);
    bool leaving = ev->type == TL_M_EventReleased || ev->type == TL_M_EventAbandoned ||
                   ev->type == TL_M_EventDiverted;
    cdr_call *c = g_hash_table_lookup(s->calls, connid);
    if (!c) {
        if (leaving)
            return; /* a call that was never seen joining: nothing to close */
        int64_t t = 0;
        c = g_new0(cdr_call, 1);
        memcpy(c->connid, connid, sizeof connid);
        c->uuid = g_strdup(uuid);
        c->ani = g_strdup(tl_msg_get_str(ev, TL_A_ANI));
        c->dnis = g_strdup(tl_msg_get_str(ev, TL_A_DNIS));
        c->type = type_name(tl_msg_get_int(ev, TL_A_CallType, &t) ? t : 0);
        c->started_us = now_us;
        g_hash_table_insert(s->calls, c->connid, c);
        write_call(db, c, 0, 0, NULL);
    }
    if (!leaving)
        diff_user_data(db, c, tl_msg_get_kv(ev, TL_A_UserData), now_us);
    if (ev->type == TL_M_EventEstablished && !c->answered) {
        c->answered = true;
        write_call(db, c, now_us, 0, NULL);
    }
    char *pkey = g_strdup_printf("%s/%s", connid, dn);
    cdr_party *y = g_hash_table_lookup(s->parties, pkey);
    if (!y && !leaving) {
        int64_t role = 0;
        y = g_new0(cdr_party, 1);
        y->joined_us = now_us;
        y->role = role_name(tl_msg_get_int(ev, TL_A_ThisDNRole, &role) ? role : 0);
        y->agent = g_strdup(g_hash_table_lookup(s->agents, dn));
        y->full_time = full_time;
        g_hash_table_insert(s->parties, pkey, y);
        pkey = NULL;
        c->parties++;
        write_party(db, connid, dn, y, 0);
    } else if (y && leaving) {
        write_party(db, connid, dn, y, now_us);
        g_hash_table_remove(s->parties, pkey);
        if (--c->parties == 0) {
            write_call(db, c, 0, now_us, ev->type == TL_M_EventAbandoned ? "abandoned" : "normal");
            g_hash_table_remove(s->calls, connid);
        }
    }
    g_free(pkey);
}
