/* The T-Server call model: call table, parties, and the SIP entry points (gw_sipif.h). */
#include "gw_call.h"

#include <string.h>
#include <unistd.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_agent.h"
#include "gw_call_int.h"
#include "gw_callev.h"
#include "gw_conf.h"
#include "gw_monitor.h"
#include "gw_rec.h"
#include "gw_site.h"

const char *gw_party_state_name(gw_party_state s)
{
    switch (s) {
    case GW_PS_DIALING:
        return "Dialing";
    case GW_PS_RINGING:
        return "Ringing";
    case GW_PS_QUEUED:
        return "Queued";
    case GW_PS_ESTABLISHED:
        return "Established";
    case GW_PS_HELD:
        return "Held";
    case GW_PS_RELEASED:
        return "Released";
    }
    return "Unknown";
}

/* --- timers: GLib by default, replaceable by unit tests --- */

typedef struct {
    bool (*fn)(void *arg);
    void *arg;
} timer_ctx;

static gboolean timer_fire(gpointer ud)
{
    timer_ctx *t = ud;
    return t->fn(t->arg) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static unsigned glib_timer_add(void *ud, unsigned ms, bool (*fn)(void *arg), void *arg)
{
    (void)ud;
    timer_ctx *t = g_new(timer_ctx, 1);
    t->fn = fn;
    t->arg = arg;
    return g_timeout_add_full(G_PRIORITY_DEFAULT, ms, timer_fire, t, g_free);
}

static void glib_timer_cancel(void *ud, unsigned id)
{
    (void)ud;
    if (id)
        g_source_remove(id);
}

static const gw_timer_ops glib_timers = {.add = glib_timer_add, .cancel = glib_timer_cancel};

/* --- table --- */

gw_calls *gw_calls_new(gw_server *srv)
{
    gw_calls *calls = g_new0(gw_calls, 1);
    calls->srv = srv;
    calls->timers = glib_timers;
    calls->by_connid = g_hash_table_new(g_int64_hash, g_int64_equal);
    calls->ids = gw_ids_new(srv->cfg->site, srv->start_us, (uint32_t)getpid() ^ g_random_int());
    calls->agents = gw_agents_new();
    calls->req_ref = -1;
    return calls;
}

void gw_calls_free(gw_calls **pcalls)
{
    gw_calls *calls = *pcalls;
    if (!calls)
        return;
    GList *all = g_hash_table_get_values(calls->by_connid);
    for (GList *l = all; l; l = l->next)
        gw_call_delete(l->data);
    g_list_free(all);
    gw_monitor_free(calls); /* supervisor monitoring subscriptions (gw_monitor.c) */
    gw_rec_pre_free(calls);
    g_hash_table_destroy(calls->by_connid);
    gw_ids_free(&calls->ids);
    gw_agents_free(&calls->agents);
    g_free(calls);
    *pcalls = NULL;
}

void gw_calls_set_sip(gw_calls *calls, const gw_sip_ops *ops, void *sip)
{
    calls->ops = ops;
    calls->sip = sip;
}

void gw_calls_set_timers(gw_calls *calls, const gw_timer_ops *t)
{
    calls->timers = t ? *t : glib_timers;
}

gw_call *gw_calls_find(const gw_calls *calls, uint64_t connid)
{
    return g_hash_table_lookup(calls->by_connid, &connid);
}

size_t gw_calls_count(const gw_calls *calls)
{
    return g_hash_table_size(calls->by_connid);
}

static gint newest_first(gconstpointer a, gconstpointer b)
{
    const gw_call *x = *(gw_call *const *)a, *y = *(gw_call *const *)b;
    /* Counters grow within an instance: a larger ConnID is a newer call. */
    return x->connid < y->connid ? 1 : x->connid > y->connid ? -1 : 0;
}

size_t gw_calls_of_dn(const gw_calls *calls, const char *dn, gw_call **out, size_t max)
{
    GPtrArray *found = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (gw_call_find_party(v, dn))
            g_ptr_array_add(found, v);
    g_ptr_array_sort(found, newest_first);
    size_t n = found->len < max ? found->len : max;
    for (size_t i = 0; i < n; i++)
        out[i] = found->pdata[i];
    g_ptr_array_free(found, TRUE);
    return n;
}

/* --- accessors --- */

uint64_t gw_call_connid(const gw_call *call)
{
    return call->connid;
}
const char *gw_call_uuid(const gw_call *call)
{
    return call->uuid;
}
tl_call_type gw_call_type(const gw_call *call)
{
    return call->type;
}
const char *gw_call_ani(const gw_call *call)
{
    return call->ani[0] ? call->ani : NULL;
}
const char *gw_call_dnis(const gw_call *call)
{
    return call->dnis[0] ? call->dnis : NULL;
}
const tl_kv *gw_call_user_data(const gw_call *call)
{
    return call->ud;
}
size_t gw_call_nparties(const gw_call *call)
{
    return call->nparties;
}

static const gw_party *party_at(const gw_call *call, size_t i)
{
    const gw_party *p = call->parties;
    while (p && i--)
        p = p->next;
    return p;
}

const char *gw_call_party_dn(const gw_call *call, size_t i)
{
    const gw_party *p = party_at(call, i);
    return p ? p->dn : NULL;
}
tl_dn_role gw_call_party_role(const gw_call *call, size_t i)
{
    const gw_party *p = party_at(call, i);
    return p ? p->role : TL_ROLE_UNKNOWN;
}
gw_party_state gw_call_party_state(const gw_call *call, size_t i)
{
    const gw_party *p = party_at(call, i);
    return p ? p->state : GW_PS_RELEASED;
}

bool gw_call_dn_state(const gw_call *call, const char *dn, gw_party_state *out)
{
    gw_party *p = gw_call_find_party(call, dn);
    if (p && out)
        *out = p->state;
    return p != NULL;
}

/* Heap bytes of a KV list (pairs array estimated at one slot per pair). */
static size_t kv_memory(const tl_kv *kv)
{
    size_t n = 64;
    for (size_t i = 0; kv && i < tl_kv_count(kv); i++) {
        const tl_kv_pair *p = tl_kv_at(kv, i);
        n += sizeof *p + strlen(p->key) + 1;
        if (p->v.type == TL_T_KV)
            n += kv_memory(p->v.u.kv);
        else if (p->v.type == TL_T_STR || p->v.type == TL_T_UNICODE || p->v.type == TL_T_BIN)
            n += p->v.u.s.len + 1;
    }
    return n;
}

size_t gw_call_memory(const gw_call *call)
{
    size_t n = sizeof *call + kv_memory(call->ud);
    if (call->monitors)
        n += sizeof(GArray) + call->monitors->len * sizeof(uint64_t);
    for (const gw_party *p = call->parties; p; p = p->next) {
        n += sizeof *p + (p->sdp ? strlen(p->sdp) + 1 : 0);
        if (p->ring_ext)
            n += kv_memory(p->ring_ext);
    }
    return n;
}

/* --- calls and parties --- */

static void copy_num(char *dst, const char *src)
{
    g_strlcpy(dst, src ? src : "", GW_NUM_MAX);
}

gw_call *gw_call_new(gw_calls *calls, tl_call_type type)
{
    gw_call *call = g_new0(gw_call, 1);
    call->calls = calls;
    call->type = type;
    call->connid = gw_ids_next_connid(calls->ids);
    call->call_id = (uint32_t)(call->connid & 0x7fffffff);
    gw_ids_next_uuid(calls->ids, call->uuid);
    call->ud = tl_kv_new();
    call->created_us = gw_now_us();
    g_hash_table_insert(calls->by_connid, &call->connid, call);
    LOG_DEBUG(call, "call %016llx created (%s)", (unsigned long long)call->connid, call->uuid);
    return call;
}

gw_party *gw_call_add_party(gw_call *call, const char *dn, const char *number, tl_dn_role role,
                            gw_party_state state)
{
    gw_party *p = g_new0(gw_party, 1);
    p->call = call;
    copy_num(p->dn, dn);
    copy_num(p->number, number ? number : dn);
    p->role = role;
    p->state = state;
    const gw_dn_conf *conf = gw_config_find_dn(call->calls->srv->cfg, dn);
    p->trunk = conf && (conf->type == GW_DN_TRUNK || conf->type == GW_DN_TRUNK_GROUP);
    p->routing = conf && conf->type == GW_DN_ROUTING_POINT;
    gw_party **tail = &call->parties;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    call->nparties++;
    gw_callev_mon_party(call, p, TL_M_EventCallPartyAdded);
    return p;
}

static void unlink_party(gw_call *call, gw_party *p)
{
    for (gw_party **pp = &call->parties; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            call->nparties--;
            break;
        }
    }
    p->next = NULL;
    /* Nobody may keep pointing at a party that leaves this call. */
    for (gw_party *q = call->parties; q; q = q->next) {
        if (q->offer_from == p) {
            q->offer_from = NULL;
            if (!q->answered)
                q->need_bridge = true;
        }
        if (q->pend_peer == p) {
            q->pend_peer = NULL;
            if (q->pend == GW_PEND_FWD)
                q->pend = GW_PEND_LOCAL;
        }
    }
    if (call->rec)
        gw_rec_party_gone(call, p);
    if (call->conf)
        gw_conf_party_gone(call, p);
}

static void release_leg(gw_calls *calls, gw_party *p, int status, const char *reason)
{
    if (!p->leg)
        return;
    gw_leg *leg = p->leg;
    p->leg = NULL;
    if (calls->ops && calls->ops->release)
        calls->ops->release(calls->sip, leg, status, reason);
}

void gw_call_free_party(gw_call *call, gw_party *p)
{
    /* The SIP layer keeps the party pointer with its leg: never leave it dangling. */
    release_leg(call->calls, p, p->answered ? 0 : 480, "party removed");
    p->state = GW_PS_RELEASED;
    copy_num(call->gone, p->number);
    call->gone_role = p->role;
    gw_callev_mon_party(call, p, TL_M_EventCallPartyDeleted);
    unlink_party(call, p);
    tl_kv_free(&p->ring_ext);
    g_free(p->sdp);
    g_free(p);
}

void gw_call_move_party(gw_party *p, gw_call *to)
{
    gw_call *from = p->call;
    gw_callev_mon_party(from, p, TL_M_EventCallPartyDeleted);
    unlink_party(from, p);
    /* Its offer / re-INVITE bookkeeping pointed into the old call. */
    p->offer_from = NULL;
    p->pend_peer = NULL;
    if (p->pend == GW_PEND_FWD || p->pend == GW_PEND_OFFERLESS)
        p->pend = GW_PEND_LOCAL;
    p->call = to;
    gw_party **tail = &to->parties;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    to->nparties++;
    gw_callev_mon_party(to, p, TL_M_EventCallPartyAdded);
    gw_site_party_moved(p, from, to);
}

void gw_call_delete(gw_call *call)
{
    gw_calls *calls = call->calls;
    call->ending = true;
    gw_rec_call_end(call);
    gw_conf_call_end(call);
    gw_route_cancel(call);
    while (call->parties) {
        gw_party *p = call->parties;
        release_leg(calls, p, p->answered ? 0 : 480, "call ended");
        gw_call_free_party(call, p);
    }
    if (call->consult)
        call->consult->main = NULL;
    if (call->main)
        call->main->consult = NULL;
    gw_callev_mon_deleted(call);
    gw_site_call_free(call);
    g_hash_table_remove(calls->by_connid, &call->connid);
    LOG_DEBUG(call, "call %016llx deleted", (unsigned long long)call->connid);
    if (call->monitors)
        g_array_free(call->monitors, TRUE);
    tl_kv_free(&call->ud);
    g_free(call->dest);
    g_free(call);
}

gw_party *gw_call_find_party(const gw_call *call, const char *dn)
{
    for (gw_party *p = call->parties; p; p = p->next)
        if (strcmp(p->dn, dn) == 0)
            return p;
    return NULL;
}

gw_party *gw_call_peer(const gw_call *call, const gw_party *p)
{
    for (gw_party *q = call->parties; q; q = q->next)
        if (q != p)
            return q;
    return NULL;
}

gw_party *gw_call_media_peer(const gw_call *call, const gw_party *p)
{
    for (gw_party *q = call->parties; q; q = q->next)
        if (q != p && q->leg && q->answered)
            return q;
    return NULL;
}

void gw_party_set_sdp(gw_party *p, const char *sdp)
{
    if (!sdp)
        return;
    g_free(p->sdp);
    p->sdp = g_strdup(sdp);
}

int gw_call_state_of_sip(int st)
{
    if (st == 486 || st == 600 || st == 603)
        return TL_CS_BUSY;
    if (st == 408 || st == 480 || st == 487)
        return TL_CS_NO_ANSWER;
    if (st >= 500)
        return TL_CS_SYSTEM_ERROR;
    return TL_CS_GENERAL_ERROR;
}

/* --- media --- */

void gw_call_send_reinvite(gw_calls *calls, gw_party *p, const char *sdp, gw_pend pend,
                           gw_party *peer)
{
    if (!p->leg || !calls->ops || !calls->ops->reinvite)
        return;
    if (calls->ops->reinvite(calls->sip, p->leg, sdp) != 0) {
        LOG_WARN(call, "re-INVITE toward %s failed to start", p->dn);
        return;
    }
    p->pend = pend;
    p->pend_peer = peer;
}

void gw_call_bridge(gw_party *p, gw_party *q)
{
    gw_call_send_reinvite(p->call->calls, p, NULL, GW_PEND_OFFERLESS, q);
}

void gw_call_media_hold(gw_call *call, const gw_party *holder, bool on)
{
    gw_calls *calls = call->calls;
    if (!calls->ops || !calls->ops->hold)
        return;
    for (gw_party *p = call->parties; p; p = p->next) {
        if (p == holder || !p->leg || !p->answered)
            continue;
        if (calls->ops->hold(calls->sip, p->leg, on) == 0) {
            p->pend = GW_PEND_LOCAL;
            p->pend_peer = NULL;
        }
    }
}

/* Deliver an SDP answer to the party whose offer it answers. */
void gw_call_deliver_answer(gw_calls *calls, gw_party *x, const char *sdp)
{
    if (!x->leg || !calls->ops)
        return;
    if (x->incoming && !x->answered) {
        x->answered = true;
        if (calls->ops->answer)
            calls->ops->answer(calls->sip, x->leg, sdp);
    } else if (x->late_ack) {
        x->late_ack = false;
        if (calls->ops->sdp_answer)
            calls->ops->sdp_answer(calls->sip, x->leg, sdp);
    }
}

/* --- placing and ending --- */

typedef enum { DEST_NONE, DEST_DN, DEST_RP, DEST_TRUNK } dest_kind;

/* Find how to reach number: configured DN, routing point, or a trunk by prefix. */
static dest_kind dest_resolve(gw_calls *calls, const char *number, const gw_dn_conf **out)
{
    const gw_config *cfg = calls->srv->cfg;
    const gw_dn_conf *d = gw_config_find_dn(cfg, number);
    *out = d;
    if (d) {
        if (d->type == GW_DN_ROUTING_POINT)
            return DEST_RP;
        if (d->type == GW_DN_TRUNK || d->type == GW_DN_TRUNK_GROUP)
            return d->contact ? DEST_TRUNK : DEST_NONE;
        if (d->type == GW_DN_VOIP_SERVICE)
            return DEST_NONE;
        return DEST_DN;
    }
    /*
     * External number: the trunk with the longest matching `prefix`, else a trunk without
     * a prefix (the default way out); no such trunk: the number is unknown (404).
     */
    const gw_dn_conf *best = NULL, *any = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const gw_dn_conf *t = &cfg->dns[i];
        if ((t->type != GW_DN_TRUNK && t->type != GW_DN_TRUNK_GROUP) || !t->contact)
            continue;
        if (!t->prefix) {
            if (!any)
                any = t;
            continue;
        }
        size_t n = strlen(t->prefix);
        if (n > best_len && strncmp(number, t->prefix, n) == 0) {
            best = t;
            best_len = n;
        }
    }
    *out = best ? best : any;
    return *out ? DEST_TRUNK : DEST_NONE;
}

/* Send the INVITE for a destination party. Returns 0 or a SIP status. */
static int start_leg(gw_call *call, gw_party *p, gw_party *offerer, bool auto_answer)
{
    gw_calls *calls = call->calls;
    if (!calls->ops || !calls->ops->originate)
        return 503;
    gw_party *from = offerer ? offerer : gw_call_peer(call, p);
    gw_sip_target t = {
        .dn = p->dn,
        .number = p->number,
        /* The requester's own phone shows whom it is about to call. */
        .from_user = auto_answer ? call->dnis
                     : from      ? from->number
                                 : call->ani,
        .call_uuid = call->uuid,
        .auto_answer = auto_answer,
    };
    int st = 500;
    char *site_hdrs = NULL;
    if (p->trunk && (st = gw_site_outgoing(call, p, &site_hdrs)) != 0)
        return st; /* inter-site hop limit */
    t.headers = site_hdrs;
    p->offer_from = offerer;
    p->leg = calls->ops->originate(calls->sip, p, &t, offerer ? offerer->sdp : NULL, &st);
    g_free(site_hdrs);
    if (!p->leg)
        return st ? st : 500;
    p->incoming = false;
    return 0;
}

int gw_call_dest_type(gw_calls *calls, const char *number)
{
    const gw_dn_conf *d;
    switch (dest_resolve(calls, number, &d)) {
    case DEST_DN:
    case DEST_RP:
        return TL_CALLTYPE_INTERNAL;
    case DEST_TRUNK:
        return TL_CALLTYPE_OUTBOUND;
    default:
        return -1;
    }
}

int gw_call_start_first_leg(gw_call *call, gw_party *a)
{
    a->first_leg = true;
    return start_leg(call, a, NULL, true);
}

gw_party *gw_call_place(gw_call *call, gw_party *offerer, const char *number, const tl_kv *ext,
                        int *err, int *sip_status)
{
    const gw_dn_conf *d = NULL;
    dest_kind k = dest_resolve(call->calls, number, &d);
    *err = AR_E_OK;
    *sip_status = 0;
    if (k == DEST_NONE) {
        *err = AR_E_DEST_UNREACHABLE;
        *sip_status = 404;
        return NULL;
    }
    if (k == DEST_RP) {
        gw_party *rp = gw_call_add_party(call, d->number, NULL, TL_ROLE_DESTINATION, GW_PS_QUEUED);
        rp->offer_from = offerer;
        gw_route_start(call, rp);
        return rp;
    }
    gw_party *p = gw_call_add_party(call, d->number, number, TL_ROLE_DESTINATION, GW_PS_RINGING);
    int st = start_leg(call, p, offerer, false);
    if (st) {
        gw_call_free_party(call, p);
        *err = AR_E_DEST_UNREACHABLE;
        *sip_status = st;
        return NULL;
    }
    p->ring_ext = ext ? tl_kv_copy(ext) : NULL;
    return p;
}

/* A destination starts ringing: EventRinging once, with the routing Extensions if any. */
void gw_call_party_alerting(gw_call *call, gw_party *p)
{
    if (p->alerted)
        return;
    p->alerted = true;
    gw_callev_party(call, p, TL_M_EventRinging,
                    &(gw_evopt){.ext = p->ring_ext, .queue = p->queue[0] ? p->queue : NULL});
    tl_kv_free(&p->ring_ext);
}

void gw_call_fail(gw_call *call, int cs, int sip_status)
{
    for (gw_party *p = call->parties; p; p = p->next) {
        release_leg(call->calls, p, sip_status, "call failed");
        if (p->routing || (p->role == TL_ROLE_DESTINATION && !p->alerted))
            continue;
        gw_callev_party(call, p, TL_M_EventReleased, &(gw_evopt){.has_cs = true, .cs = cs});
    }
    gw_call_delete(call);
}

/* The caller left before anyone answered: EventReleased for it, EventAbandoned elsewhere. */
static void call_abandoned(gw_call *call, gw_party *caller)
{
    gw_calls *calls = call->calls;
    release_leg(calls, caller, 487, "abandoned");
    gw_callev_party(call, caller, TL_M_EventReleased, &(gw_evopt){.has_cs = true, .cs = TL_CS_OK});
    for (gw_party *p = call->parties; p; p = p->next) {
        if (p == caller)
            continue;
        release_leg(calls, p, 487, "abandoned");
        if (p->alerted || p->routing)
            gw_callev_party(call, p, TL_M_EventAbandoned,
                            &(gw_evopt){.other = caller, .queue = p->routing ? p->dn : NULL});
    }
    gw_call_delete(call);
}

static bool call_answered(const gw_call *call)
{
    return call->answered_us != 0;
}

void gw_call_party_leave(gw_call *call, gw_party *p, int cs, bool release_leg_too)
{
    gw_calls *calls = call->calls;
    if (call->rec) /* GSIP_RECORD Off reaches every party before the first EventReleased */
        gw_rec_party_gone(call, p);
    if (!call_answered(call) && p->role == TL_ROLE_ORIGINATION) {
        call_abandoned(call, p);
        return;
    }
    if (release_leg_too)
        release_leg(calls, p, p->answered ? 0 : 487, "released");
    p->leg = NULL;
    gw_callev_party(call, p, TL_M_EventReleased, &(gw_evopt){.has_cs = true, .cs = cs});
    gw_call_free_party(call, p);
    if (call->nparties >= 2) {
        if (call->conf) /* the others learn who left the conference */
            gw_conf_party_left(call);
        return;
    }
    /* A two-party call ends with its first hang-up. */
    while (call->parties) {
        gw_party *q = call->parties;
        release_leg(calls, q, q->answered ? 0 : 487, "peer released");
        if (q->alerted && q->state == GW_PS_RINGING)
            gw_callev_party(call, q, TL_M_EventAbandoned, NULL);
        else if (!q->routing && !(q->role == TL_ROLE_DESTINATION && !q->alerted))
            gw_callev_party(call, q, TL_M_EventReleased,
                            &(gw_evopt){.has_cs = true, .cs = TL_CS_OK});
        gw_call_free_party(call, q);
    }
    gw_call_delete(call);
}
