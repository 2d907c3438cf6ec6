/* Agents: RequestAgentLogin / Logout / Ready / NotReady against the [agent N] configuration. */
#include "gw_agent.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_call_int.h"
#include "gw_callev.h"
#include "gw_callreq.h"
#include "gw_tlib.h"

typedef struct {
    char *login;
    char *dn;
    bool ready;
    int64_t work_mode;
} agent_state;

struct gw_agents {
    GHashTable *by_dn;    /* dn -> agent_state * (owned) */
    GHashTable *by_login; /* login -> agent_state * (borrowed from by_dn) */
};

static void agent_free(gpointer p)
{
    agent_state *a = p;
    g_free(a->login);
    g_free(a->dn);
    g_free(a);
}

gw_agents *gw_agents_new(void)
{
    gw_agents *a = g_new0(gw_agents, 1);
    a->by_dn = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, agent_free);
    a->by_login = g_hash_table_new(g_str_hash, g_str_equal);
    return a;
}

void gw_agents_free(gw_agents **pa)
{
    gw_agents *a = *pa;
    if (!a)
        return;
    g_hash_table_destroy(a->by_login);
    g_hash_table_destroy(a->by_dn);
    g_free(a);
    *pa = NULL;
}

const char *gw_agent_on_dn(const struct gw_calls *calls, const char *dn, bool *ready)
{
    agent_state *a = g_hash_table_lookup(calls->agents->by_dn, dn);
    if (a && ready)
        *ready = a->ready;
    return a ? a->login : NULL;
}

/* The agent event for dn: ThisDN, AgentID, AgentWorkMode / Reasons when given. */
static void agent_event(gw_calls *calls, const agent_state *a, uint16_t type, const tl_msg *req)
{
    tl_msg *m = tl_msg_new(type);
    if (!m)
        return;
    bool ok = tl_msg_set_str(m, TL_A_AgentID, a->login) == 0;
    int64_t mode;
    if (ok && req && tl_msg_get_int(req, TL_A_AgentWorkMode, &mode))
        ok = tl_msg_set_int(m, TL_A_AgentWorkMode, mode) == 0;
    const tl_kv *reasons = req ? tl_msg_get_kv(req, TL_A_Reasons) : NULL;
    if (ok && reasons) {
        tl_kv *copy = tl_kv_copy(reasons);
        ok = copy && tl_msg_set_kv(m, TL_A_Reasons, copy) == 0;
    }
    if (ok)
        gw_callev_dn(calls, a->dn, type, m);
    tl_msg_free(&m);
}

static void do_login(gw_client *c, gw_calls *calls, const char *dn, const tl_msg *m, int64_t ref)
{
    const char *login = tl_msg_get_str(m, TL_A_AgentID);
    if (!login || !*login) {
        gw_tlib_send_error(c, AR_E_MISSING_ATTRIBUTE, ref, "AgentID missing");
        return;
    }
    const gw_agent_conf *conf = gw_config_find_agent(c->srv->cfg, login);
    if (!conf) {
        gw_tlib_send_error(c, AR_E_UNKNOWN_AGENT, ref, "agent %s is not configured", login);
        return;
    }
    if (conf->dn && strcmp(conf->dn, dn) != 0) {
        gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref, "agent %s may only log in on DN %s", login,
                           conf->dn);
        return;
    }
    if (conf->password) {
        const tl_kv *ext = tl_msg_get_kv(m, TL_A_Extensions);
        const char *pw = ext ? tl_kv_get_str(ext, "password") : NULL;
        if (!pw || strcmp(pw, conf->password) != 0) {
            gw_tlib_send_error(c, AR_E_AUTH_FAILED, ref, "agent %s: password rejected", login);
            return;
        }
    }
    gw_agents *ag = calls->agents;
    agent_state *on_dn = g_hash_table_lookup(ag->by_dn, dn);
    agent_state *same = g_hash_table_lookup(ag->by_login, login);
    if (same && same == on_dn) {
        gw_tlib_send_error(c, AR_E_AGENT_LOGGED_IN, ref, "agent %s is already logged in on %s",
                           login, dn);
        return;
    }
    if (same || on_dn) {
        gw_tlib_send_error(c, AR_E_AGENT_LOGGED_IN, ref, "%s",
                           same ? "agent is logged in on another DN"
                                : "another agent is logged in on this DN");
        return;
    }
    agent_state *a = g_new0(agent_state, 1);
    a->login = g_strdup(login);
    a->dn = g_strdup(dn);
    g_hash_table_insert(ag->by_dn, a->dn, a);
    g_hash_table_insert(ag->by_login, a->login, a);
    LOG_INFO(call, "agent %s logged in on %s", login, dn);
    agent_event(calls, a, TL_M_EventAgentLogin, m);
}

void gw_agent_request(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_calls *calls = c->srv->calls;
    gw_dn *dn = gw_callreq_dn(c, m, ref);
    if (!dn)
        return;
    if (m->type == TL_M_RequestAgentLogin) {
        do_login(c, calls, dn->number, m, ref);
        goto done;
    }
    agent_state *a = g_hash_table_lookup(calls->agents->by_dn, dn->number);
    const char *login = tl_msg_get_str(m, TL_A_AgentID);
    if (!a || (login && *login && strcmp(login, a->login) != 0)) {
        gw_tlib_send_error(c, AR_E_AGENT_NOT_LOGGED_IN, ref, "no agent %s logged in on DN %s",
                           login ? login : "", dn->number);
        goto done;
    }
    switch (m->type) {
    case TL_M_RequestAgentReady:
        a->ready = true;
        agent_event(calls, a, TL_M_EventAgentReady, m);
        break;
    case TL_M_RequestAgentNotReady:
        a->ready = false;
        agent_event(calls, a, TL_M_EventAgentNotReady, m);
        break;
    default: /* logout */
        LOG_INFO(call, "agent %s logged out of %s", a->login, a->dn);
        agent_event(calls, a, TL_M_EventAgentLogout, m);
        g_hash_table_remove(calls->agents->by_login, a->login);
        g_hash_table_remove(calls->agents->by_dn, a->dn);
        break;
    }
done:
    return;
}
