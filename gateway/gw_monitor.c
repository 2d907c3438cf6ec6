/* Supervisor monitoring: who monitors which agent DN, and joining the supervisor to its calls. */
#include "gw_monitor.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_callreq.h"
#include "gw_conf.h"
#include "gw_dn.h"
#include "gw_reg.h"
#include "gw_sip.h"
#include "gw_tlib.h"

/* How long a monitored call may wait for its full-time recording to settle first. */
#define RETRY_MS    200
#define RETRY_TRIES 50

typedef struct {
    char sup[GW_NUM_MAX], agent[GW_NUM_MAX];
    bool all_calls;
    gw_monitor_mode mode;
} gw_mon;

/* Per call model: the subscriptions (gw_mon *), and calls waiting for a retry. */
typedef struct {
    GPtrArray *mons;
    GHashTable *retry; /* connid (uint64_t *) -> tries left, for the next timer */
    unsigned timer;    /* the retry timer, 0 = none */
} gw_monitors;

static GHashTable *all_monitors; /* gw_calls * -> gw_monitors * */

static gw_monitors *monitors_of(gw_calls *calls, bool create)
{
    if (!all_monitors && create)
        all_monitors = g_hash_table_new(g_direct_hash, g_direct_equal);
    gw_monitors *ms = all_monitors ? g_hash_table_lookup(all_monitors, calls) : NULL;
    if (!ms && create) {
        ms = g_new0(gw_monitors, 1);
        ms->mons = g_ptr_array_new_with_free_func(g_free);
        ms->retry = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
        g_hash_table_insert(all_monitors, calls, ms);
    }
    return ms;
}

void gw_monitor_free(gw_calls *calls)
{
    gw_monitors *ms = monitors_of(calls, false);
    if (!ms)
        return;
    g_hash_table_remove(all_monitors, calls);
    if (ms->timer && calls->timers.cancel)
        calls->timers.cancel(calls->timers.ud, ms->timer);
    g_ptr_array_free(ms->mons, TRUE);
    g_hash_table_destroy(ms->retry); /* the timers find no entry and stop */
    g_free(ms);
    if (g_hash_table_size(all_monitors) == 0) {
        g_hash_table_destroy(all_monitors);
        all_monitors = NULL;
    }
}

static void send_ack(gw_client *c, int64_t ref)
{
    tl_msg *r = tl_msg_new(TL_M_EventACK);
    if (!r) {
        gw_client_drop(c, "out of memory building EventACK");
        return;
    }
    tl_msg_set_int(r, TL_A_ReferenceID, ref);
    gw_client_send(c, r);
    tl_msg_free(&r);
}

static bool agent_dn_type(const gw_dn *dn)
{
    return dn->conf->type == GW_DN_EXTENSION || dn->conf->type == GW_DN_ACD_POSITION;
}

/* A phone is registered on dn (only checked against the real SIP layer). */
static bool registered(gw_calls *calls, const char *dn)
{
    if (calls->ops != gw_sip_ops_table() || !calls->sip)
        return true;
    const gw_sip *sip = calls->sip;
    return sip->reg && gw_reg_is_registered(sip->reg, dn);
}

/* Extensions MonitorNextCallType (OneCall / AllCalls, or 0 / 1) and MonitorMode (normal,
   mute or silent / coach). AR_E_OK, AR_E_WRONG_TYPE or AR_E_INVALID_VALUE with why. */
static int parse_ext(const tl_kv *ext, gw_mon *mon, char *why, size_t cap)
{
    const tl_value *t = ext ? tl_kv_get(ext, "MonitorNextCallType") : NULL;
    if (t && t->type == TL_T_INT && (t->u.i == 0 || t->u.i == 1)) {
        mon->all_calls = t->u.i == 1;
    } else if (t && t->type == TL_T_STR) {
        if (!g_ascii_strcasecmp(t->u.s.p, "OneCall") || !g_ascii_strcasecmp(t->u.s.p, "one-call"))
            mon->all_calls = false;
        else if (!g_ascii_strcasecmp(t->u.s.p, "AllCalls") ||
                 !g_ascii_strcasecmp(t->u.s.p, "all-calls"))
            mon->all_calls = true;
        else
            goto bad_type;
    } else if (t) {
        goto bad_type;
    }
    const tl_value *md = ext ? tl_kv_get(ext, "MonitorMode") : NULL;
    if (md && md->type != TL_T_STR) {
        snprintf(why, cap, "MonitorMode must be a string");
        return AR_E_WRONG_TYPE;
    }
    if (md && !strcmp(md->u.s.p, "coach"))
        mon->mode = GW_MONITOR_COACH;
    else if (!md || !strcmp(md->u.s.p, "normal") || !strcmp(md->u.s.p, "mute") ||
             !strcmp(md->u.s.p, "silent"))
        mon->mode = GW_MONITOR_SILENT;
    else {
        snprintf(why, cap, "MonitorMode \"%.40s\" is not normal, mute, silent or coach", md->u.s.p);
        return AR_E_INVALID_VALUE;
    }
    return AR_E_OK;
bad_type:
    snprintf(why, cap, "MonitorNextCallType must be OneCall (0) or AllCalls (1)");
    return t->type == TL_T_STR || t->type == TL_T_INT ? AR_E_INVALID_VALUE : AR_E_WRONG_TYPE;
}

static void cancel(gw_client *c, const tl_msg *m, int64_t ref, const gw_dn *sup)
{
    gw_monitors *ms = monitors_of(c->srv->calls, false);
    const char *agent = tl_msg_get_str(m, TL_A_OtherDN);
    guint n = 0;
    for (guint i = 0; ms && i < ms->mons->len;) {
        gw_mon *mon = g_ptr_array_index(ms->mons, i);
        if (!strcmp(mon->sup, sup->number) && (!agent || !*agent || !strcmp(mon->agent, agent))) {
            LOG_INFO(call, "monitoring: %s no longer monitors %s", mon->sup, mon->agent);
            g_ptr_array_remove_index(ms->mons, i);
            n++;
        } else {
            i++;
        }
    }
    if (!n) {
        gw_tlib_send_error(c, AR_E_NOT_MONITORING, ref, "DN %s monitors %s", sup->number,
                           agent && *agent ? agent : "nothing");
        return;
    }
    send_ack(c, ref);
}

void gw_monitor_request(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_calls *calls = c->srv->calls;
    gw_dn *sup = gw_callreq_dn(c, m, ref);
    if (!sup)
        return;
    if (m->type == TL_M_RequestCancelMonitoring) {
        cancel(c, m, ref, sup);
        return;
    }
    const char *agent = tl_msg_get_str(m, TL_A_OtherDN);
    if (!agent || !*agent) {
        gw_tlib_send_error(c, AR_E_MISSING_ATTRIBUTE, ref, "OtherDN (the agent's DN) missing");
        return;
    }
    gw_dn *ad = gw_dn_find(c->srv->dns, agent);
    if (!ad) {
        gw_tlib_send_error(c, AR_E_UNKNOWN_DN, ref, "DN %s not configured", agent);
        return;
    }
    if (!agent_dn_type(ad) || !agent_dn_type(sup)) {
        gw_tlib_send_error(c, AR_E_NOT_AGENT_DN, ref,
                           "DN %s is a %s: only Extension and ACD "
                           "Position DNs monitor or are monitored",
                           agent_dn_type(ad) ? sup->number : agent,
                           gw_dn_type_name((agent_dn_type(ad) ? sup : ad)->conf->type));
        return;
    }
    if (!strcmp(agent, sup->number)) {
        gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref, "DN %s cannot monitor itself", agent);
        return;
    }
    const char *off = !registered(calls, agent)         ? agent
                      : !registered(calls, sup->number) ? sup->number
                                                        : NULL;
    if (off) {
        gw_tlib_send_error(c, AR_E_DN_NOT_AVAILABLE, ref, "DN %s has no registered phone", off);
        return;
    }
    gw_mon want = {0};
    char why[160];
    int err = parse_ext(tl_msg_get_kv(m, TL_A_Extensions), &want, why, sizeof why);
    if (err != AR_E_OK) {
        gw_tlib_send_error(c, err, ref, "%s", why);
        return;
    }
    g_strlcpy(want.sup, sup->number, sizeof want.sup);
    g_strlcpy(want.agent, agent, sizeof want.agent);
    gw_monitors *ms = monitors_of(calls, true);
    for (guint i = 0; i < ms->mons->len; i++) {
        gw_mon *mon = g_ptr_array_index(ms->mons, i);
        if (strcmp(mon->agent, agent) != 0)
            continue;
        if (strcmp(mon->sup, want.sup) != 0) {
            gw_tlib_send_error(c, AR_E_ALREADY_MONITORED, ref, "DN %s is monitored by %s", agent,
                               mon->sup);
            return;
        }
        *mon = want; /* the same supervisor again: the new settings */
        send_ack(c, ref);
        return;
    }
    g_ptr_array_add(ms->mons, g_memdup2(&want, sizeof want));
    LOG_INFO(call, "monitoring: %s monitors %s (%s, %s)", want.sup, want.agent,
             want.all_calls ? "all calls" : "next call",
             want.mode == GW_MONITOR_COACH ? "coach" : "silent");
    send_ack(c, ref);
}

static bool retry_fire(void *arg);

/* The monitored party of call and its subscription, or NULL. */
static gw_mon *match(gw_monitors *ms, gw_call *call, gw_party **agent)
{
    if (call->ending || call->main || call->nparties != 2 || gw_conf_monitored(call))
        return NULL;
    for (gw_party *p = call->parties; p; p = p->next) {
        if (p->state != GW_PS_ESTABLISHED || !p->leg)
            return NULL;
    }
    for (guint i = 0; i < ms->mons->len; i++) {
        gw_mon *mon = g_ptr_array_index(ms->mons, i);
        gw_party *a = gw_call_find_party(call, mon->agent);
        if (a && !gw_call_find_party(call, mon->sup)) {
            *agent = a;
            return mon;
        }
    }
    return NULL;
}

static void try_join(gw_calls *calls, gw_call *call, int tries_left)
{
    gw_monitors *ms = monitors_of(calls, false);
    gw_party *agent = NULL;
    gw_mon *mon = ms ? match(ms, call, &agent) : NULL;
    if (!mon)
        return;
    char why[200];
    int err = gw_conf_monitor(call, agent, mon->sup, mon->mode, why, sizeof why);
    if (err == AR_E_INVALID_CALL_STATE && tries_left > 0) {
        /* Typically a full-time recording still inserting mediad: try again shortly. */
        uint64_t *k = g_new(uint64_t, 1);
        *k = call->connid;
        g_hash_table_insert(ms->retry, k, GINT_TO_POINTER(tries_left));
        if (!ms->timer && calls->timers.add)
            ms->timer = calls->timers.add(calls->timers.ud, RETRY_MS, retry_fire, calls);
        return;
    }
    if (err != AR_E_OK) {
        LOG_WARN(call, "call %016llx: supervisor %s cannot monitor %s: %s",
                 (unsigned long long)call->connid, mon->sup, mon->agent, why);
        return;
    }
    if (!mon->all_calls)
        g_ptr_array_remove(ms->mons, mon); /* MonitorNextCallType OneCall: done */
}

static bool retry_fire(void *arg)
{
    gw_calls *calls = arg;
    gw_monitors *ms = monitors_of(calls, false);
    if (!ms)
        return false;
    ms->timer = 0;
    /* Every call waiting gets one more try (one timer serves them all); try_join may
     * queue a call again, into a fresh table. */
    GHashTable *batch = ms->retry;
    ms->retry = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, batch);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gw_call *call = gw_calls_find(calls, *(uint64_t *)k);
        if (call)
            try_join(calls, call, GPOINTER_TO_INT(v) - 1);
    }
    g_hash_table_destroy(batch);
    gw_server_flush(calls->srv);
    return false;
}

void gw_monitor_established(gw_call *call)
{
    gw_monitors *ms = monitors_of(call->calls, false);
    if (ms && ms->mons->len)
        try_join(call->calls, call, RETRY_TRIES);
}
