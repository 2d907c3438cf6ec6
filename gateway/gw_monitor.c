/* Supervisor monitoring: who monitors which agent DN, and joining the supervisor to its calls. */
#include "gw_monitor.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_callreq.h"
#include "gw_conf.h"
#include "gw_conf_rec.h"
#include "gw_dn.h"
#include "gw_reg.h"
#include "gw_sip.h"
#include "gw_tlib.h"

/*
 * A monitored call whose recording is still starting (its mediad legs not up) waits for
 * it: the recording controller calls gw_monitor_rec_ready when the legs are up and
 * gw_monitor_rec_failed when it fails, and the join goes on (or gets its error) at once.
 * WAIT_MS is only a safety net for a recording that never reports either.
 */
#define WAIT_MS 10000

typedef struct {
    char sup[GW_NUM_MAX], agent[GW_NUM_MAX];
    bool all_calls;
    gw_monitor_mode mode;
} gw_mon;

/* A call whose join waits for its recording. */
typedef struct {
    gw_calls *calls;
    uint64_t connid; /* also the key in gw_monitors.waiting */
    unsigned timer;  /* the safety net, 0 = fired */
} gw_wait;

/* Per call model: the subscriptions (gw_mon *), and the calls waiting for a recording. */
typedef struct {
    GPtrArray *mons;
    GHashTable *waiting; /* connid (uint64_t *, the entry's own) -> gw_wait * */
} gw_monitors;

static GHashTable *all_monitors; /* gw_calls * -> gw_monitors * */

static void wait_free(gpointer p)
{
    gw_wait *w = p;
    if (w->timer && w->calls->timers.cancel)
        w->calls->timers.cancel(w->calls->timers.ud, w->timer);
    g_free(w);
}

static gw_monitors *monitors_of(gw_calls *calls, bool create)
{
    if (!all_monitors && create)
        all_monitors = g_hash_table_new(g_direct_hash, g_direct_equal);
    gw_monitors *ms = all_monitors ? g_hash_table_lookup(all_monitors, calls) : NULL;
    if (!ms && create) {
        ms = g_new0(gw_monitors, 1);
        ms->mons = g_ptr_array_new_with_free_func(g_free);
        ms->waiting = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, wait_free);
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
    g_ptr_array_free(ms->mons, TRUE);
    g_hash_table_destroy(ms->waiting); /* cancels the safety timers */
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

/*
 * RequestCancelMonitoring: ThisDN's subscriptions (of OtherDN only, when given) end, and
 * so does its monitoring of a call it already joined (or whose phone is ringing): its leg
 * leaves the mixer (gw_conf_unmonitor). EventACK first (the release events that follow
 * carry the same ReferenceID on ThisDN), or NOT_MONITORING when there was neither.
 */
static void cancel(gw_client *c, const tl_msg *m, int64_t ref, const gw_dn *sup)
{
    gw_calls *calls = c->srv->calls;
    gw_monitors *ms = monitors_of(calls, false);
    const char *agent = tl_msg_get_str(m, TL_A_OtherDN);
    if (agent && !*agent)
        agent = NULL;
    guint n = 0;
    for (guint i = 0; ms && i < ms->mons->len;) {
        gw_mon *mon = g_ptr_array_index(ms->mons, i);
        if (!strcmp(mon->sup, sup->number) && (!agent || !strcmp(mon->agent, agent))) {
            LOG_INFO(call, "monitoring: %s no longer monitors %s", mon->sup, mon->agent);
            g_ptr_array_remove_index(ms->mons, i);
            n++;
        } else {
            i++;
        }
    }
    /* The calls it is in as a monitoring supervisor (collected first: leaving changes the
       table's calls). */
    GArray *joined = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (gw_conf_monitoring(v, sup->number, agent))
            g_array_append_val(joined, ((gw_call *)v)->connid);
    if (!n && !joined->len) {
        g_array_free(joined, TRUE);
        gw_tlib_send_error(c, AR_E_NOT_MONITORING, ref, "DN %s monitors %s", sup->number,
                           agent ? agent : "nothing");
        return;
    }
    send_ack(c, ref);
    for (guint i = 0; i < joined->len; i++) {
        gw_call *call = gw_calls_find(calls, g_array_index(joined, uint64_t, i));
        if (call && gw_conf_unmonitor(call, sup->number, agent))
            LOG_INFO(call, "call %016llx: monitoring cancelled: supervisor %s left",
                     (unsigned long long)call->connid, sup->number);
    }
    g_array_free(joined, TRUE);
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

/*
 * The supervisor cannot join call: a WARN line, and EventError (code, why; ThisDN the
 * supervisor, OtherDN the agent, ConnID the call, no ReferenceID since its request was
 * answered long ago) to the supervisor's DN. The subscription stays for the next call.
 */
static void join_failed(gw_calls *calls, gw_call *call, const gw_mon *mon, int code,
                        const char *why)
{
    LOG_WARN(call, "call %016llx: supervisor %s cannot monitor %s: %s",
             (unsigned long long)call->connid, mon->sup, mon->agent, why);
    gw_dn *dn = gw_dn_find(calls->srv->dns, mon->sup);
    tl_msg *e = dn ? tl_error_new(code, -1, why) : NULL;
    if (!e)
        return;
    tl_msg_set_str(e, TL_A_ThisDN, mon->sup);
    tl_msg_set_str(e, TL_A_OtherDN, mon->agent);
    tl_msg_set_connid(e, TL_A_ConnID, call->connid);
    gw_server_publish(calls->srv, dn, e);
    tl_msg_free(&e);
}

/* Safety net: the recording reported neither up nor failed within WAIT_MS. */
static bool wait_fire(void *arg)
{
    gw_wait *w = arg;
    gw_calls *calls = w->calls;
    uint64_t connid = w->connid;
    w->timer = 0;
    gw_monitors *ms = monitors_of(calls, false);
    if (!ms)
        return false;
    g_hash_table_remove(ms->waiting, &connid); /* frees w */
    gw_call *call = gw_calls_find(calls, connid);
    gw_party *agent = NULL;
    gw_mon *mon = call ? match(ms, call, &agent) : NULL;
    if (mon) {
        char why[160];
        snprintf(why, sizeof why, "the recording of call %016llx was not up within %d s",
                 (unsigned long long)connid, WAIT_MS / 1000);
        join_failed(calls, call, mon, AR_E_MONITOR_JOIN_FAILED, why);
    }
    gw_server_flush(calls->srv);
    return false;
}

/* call's recording is starting: the join waits for gw_monitor_rec_ready / _failed. */
static void wait_for_recording(gw_monitors *ms, gw_calls *calls, gw_call *call)
{
    if (g_hash_table_contains(ms->waiting, &call->connid))
        return;
    gw_wait *w = g_new0(gw_wait, 1);
    w->calls = calls;
    w->connid = call->connid;
    if (calls->timers.add)
        w->timer = calls->timers.add(calls->timers.ud, WAIT_MS, wait_fire, w);
    g_hash_table_insert(ms->waiting, &w->connid, w);
    LOG_DEBUG(call, "call %016llx: supervisor join waits for the recording's mediad legs",
              (unsigned long long)call->connid);
}

static void try_join(gw_calls *calls, gw_call *call)
{
    gw_monitors *ms = monitors_of(calls, false);
    gw_party *agent = NULL;
    gw_mon *mon = ms ? match(ms, call, &agent) : NULL;
    if (!mon)
        return;
    char why[200];
    int err = gw_conf_monitor(call, agent, mon->sup, mon->mode, why, sizeof why);
    if (err == AR_E_INVALID_CALL_STATE && gw_conf_rec_busy(call)) {
        /* A full-time recording still inserting mediad: the supervisor joins its
           conference once the legs are up (the seed's mix + supervisor shape). */
        wait_for_recording(ms, calls, call);
        return;
    }
    if (err != AR_E_OK) {
        join_failed(calls, call, mon, err, why);
        return;
    }
    if (!mon->all_calls)
        g_ptr_array_remove(ms->mons, mon); /* MonitorNextCallType OneCall: done */
}

void gw_monitor_established(gw_call *call)
{
    gw_monitors *ms = monitors_of(call->calls, false);
    if (ms && ms->mons->len)
        try_join(call->calls, call);
}

void gw_monitor_rec_ready(gw_call *call)
{
    gw_monitors *ms = monitors_of(call->calls, false);
    if (!ms || !g_hash_table_remove(ms->waiting, &call->connid))
        return;
    LOG_INFO(call, "call %016llx: recording up: the waiting supervisor joins",
             (unsigned long long)call->connid);
    try_join(call->calls, call);
}

void gw_monitor_rec_failed(gw_call *call, const char *reason)
{
    gw_monitors *ms = monitors_of(call->calls, false);
    if (!ms || !g_hash_table_remove(ms->waiting, &call->connid))
        return;
    gw_party *agent = NULL;
    gw_mon *mon = call->ending ? NULL : match(ms, call, &agent);
    if (!mon)
        return; /* the call ends or changed: nothing to join any more */
    char why[240];
    snprintf(why, sizeof why, "the recording the join waited for failed: %.180s",
             reason ? reason : "unknown reason");
    join_failed(call->calls, call, mon, AR_E_MONITOR_JOIN_FAILED, why);
}
