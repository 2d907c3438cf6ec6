/* Multi-site: this gateway's location-name, site trunks, and ISLink hops of the call model. */
#include "gw_site.h"

#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_callev.h"
#include "gw_db.h"
#include "gw_rec.h"

/* An outgoing hop's ISLink, kept with the trunk party that carries it. */
typedef struct {
    const gw_party *party; /* compared, never followed: it may have left since */
    char dn[GW_NUM_MAX];   /* its trunk DN, so a new party at a reused address never matches */
    char id[GW_ISLINK_ID_LEN + 1];
    char loc[GW_ISLINK_LOC_MAX + 1];
} hop_out;

struct gw_site_call {
    gw_islink_list *list;
    int hop;                         /* hops the call made before reaching this site */
    char orig[GW_ISLINK_ID_LEN + 1]; /* CallUUID at the first site ("" = this one) */
    bool rec;                        /* arrived with rec=1 */
    GArray *out;                     /* of hop_out */
    /* REFER transfer (oosp-transfer-enabled): the remaining party asked to call the other
       site itself, and the hop it carries, reused if the REFER fails (in-path fallback). */
    gw_party *refer_party;
    char refer_dest[GW_NUM_MAX], refer_by[GW_NUM_MAX];
    bool hop_ready;
    gw_islink_hdr pend;
    char hop_trunk[GW_NUM_MAX];
    /* Two-step transfer by REFER with Replaces: the site trunk party whose dialog the
       remaining party's phone takes over at the other site (compared, and followed only
       while it is in the call), and the phone to REFER once that party answers. */
    gw_party *replaced, *replace_for;
    char replaced_dn[GW_NUM_MAX], replace_for_dn[GW_NUM_MAX];
    bool replace_wait;
    /* The call arrived from the phone itself (it followed another site's REFER): that
       party, though a site trunk party, can be REFERred on (compared, never followed). */
    bool direct;
    const gw_party *direct_party;
    char direct_dn[GW_NUM_MAX];
};

const char *gw_site_location(const gw_config *cfg, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s@%s", cfg->application_name ? cfg->application_name : "gatewayd",
             cfg->site ? cfg->site : "default");
    return buf;
}

const gw_dn_conf *gw_site_trunk_by_loc(const gw_config *cfg, const char *loc)
{
    for (size_t i = 0; loc && i < cfg->n_dns; i++) {
        const gw_dn_conf *d = &cfg->dns[i];
        if ((d->type == GW_DN_TRUNK || d->type == GW_DN_TRUNK_GROUP) && d->location_name &&
            strcmp(d->location_name, loc) == 0)
            return d;
    }
    return NULL;
}

static struct gw_site_call *site_get(gw_call *call)
{
    if (!call->site) {
        call->site = g_new0(struct gw_site_call, 1);
        call->site->list = gw_islink_list_new();
        call->site->out = g_array_new(FALSE, TRUE, sizeof(hop_out));
    }
    return call->site;
}

void gw_site_call_free(gw_call *call)
{
    struct gw_site_call *s = call->site;
    if (!s)
        return;
    gw_islink_list_free(&s->list);
    g_array_free(s->out, TRUE);
    g_free(s);
    call->site = NULL;
}

const gw_islink_list *gw_site_list(const gw_call *call)
{
    return call->site ? call->site->list : NULL;
}

bool gw_site_leaving(const gw_call *call)
{
    return call->site && (call->site->replace_wait || call->site->refer_party);
}

bool gw_site_continue_recording(const gw_call *call)
{
    return call->site && call->site->rec;
}

/* Whether a live call of this site already carries ISLink id (loop or replay). */
static bool id_known(gw_calls *calls, const char *id)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, calls->by_connid);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const gw_call *c = v;
        if (c->site && gw_islink_list_has(c->site->list, id))
            return true;
    }
    return false;
}

int gw_site_check_invite(gw_calls *calls, const char *isl, const char *ud, gw_islink_hdr *h,
                         const gw_dn_conf **trunk, char *why, size_t cap)
{
    *trunk = NULL;
    if (!isl)
        return 0;
    const gw_config *cfg = calls->srv->cfg;
    char reason[96];
    if (gw_islink_hdr_parse(isl, strlen(isl), h, reason, sizeof reason) != AR_E_OK) {
        snprintf(why, cap, "%s: %s", GW_ISLINK_HEADER, reason);
        return 400;
    }
    if (ud) {
        tl_kv *kv = NULL;
        if (gw_islink_ud_decode(ud, strlen(ud), &kv) != AR_E_OK) {
            snprintf(why, cap, "%s: not base64 of a T-Lib JSON UserData", GW_ISLINK_UD_HEADER);
            return 400;
        }
        tl_kv_free(&kv);
    }
    *trunk = gw_site_trunk_by_loc(cfg, h->loc);
    if (!*trunk) {
        snprintf(why, cap, "%s: no site trunk with location-name %s", GW_ISLINK_HEADER, h->loc);
        return 403;
    }
    if (h->hop > cfg->islink_max_hops) {
        snprintf(why, cap, "%s: hop %d over islink-max-hops %d", GW_ISLINK_HEADER, h->hop,
                 cfg->islink_max_hops);
        return 483;
    }
    if (id_known(calls, h->id)) {
        snprintf(why, cap, "%s: ISLink id %s already in a call at this site", GW_ISLINK_HEADER,
                 h->id);
        return 482;
    }
    return 0;
}

static void persist(gw_call *call, const char *id, const char *loc, gw_islink_role role)
{
    gw_server *srv = call->calls->srv;
    if (!srv->db)
        return;
    char cid[17];
    tl_connid_format(call->connid, cid);
    gw_db_islink r = {.islink_id = id,
                      .call_uuid = call->uuid,
                      .connid = cid,
                      .location_name = loc,
                      .direction_role = gw_islink_role_name(role),
                      .at_us = gw_now_us()};
    gw_db_write_islink(srv->db, &r);
}

/* Keys the recording controller of each site sets for its own recordings only. */
static const char *const local_keys[] = {"GSIP_RECORD", "GSIP_REC_FN", "RECORDING_STATUS_GIM",
                                         "GSIP_RECORD_REASON"};

/* Keep the sender's ConnID (the seed's example) unless a call of this site has it. */
static void adopt_connid(gw_call *call, uint64_t connid)
{
    gw_calls *calls = call->calls;
    /* Nor when it carries this instance's own ConnID prefix: the counter could reach it. */
    if (g_hash_table_contains(calls->by_connid, &connid) ||
        (uint16_t)(connid >> 48) == gw_ids_prefix(calls->ids))
        return;
    g_hash_table_remove(calls->by_connid, &call->connid);
    call->connid = connid;
    call->call_id = (uint32_t)(connid & 0x7fffffff);
    g_hash_table_insert(calls->by_connid, &call->connid, call);
}

void gw_site_incoming(gw_call *call, const gw_islink_hdr *h, const char *ud, bool direct)
{
    struct gw_site_call *s = site_get(call);
    s->direct = direct;
    adopt_connid(call, h->connid);
    s->hop = h->hop;
    s->rec = h->rec;
    g_strlcpy(s->orig, h->orig, sizeof s->orig);
    tl_kv *kv = NULL;
    if (ud && gw_islink_ud_decode(ud, strlen(ud), &kv) == AR_E_OK) {
        /* This site's recording state is this site's to say, whatever the sender put. */
        for (size_t i = 0; i < G_N_ELEMENTS(local_keys); i++)
            tl_kv_remove(kv, local_keys[i]);
        tl_kv_free(&call->ud);
        call->ud = kv;
    }
    gw_islink_list_add(s->list, h->id, h->loc, GW_ISLINK_TARGET);
    persist(call, h->id, h->loc, GW_ISLINK_TARGET);
    LOG_INFO(call, "call %016llx (%s): ISLink %s from %s%s, hop %d, first CallUUID %s",
             (unsigned long long)call->connid, call->uuid, h->id, h->loc,
             direct ? " (the phone itself, by REFER)" : "", h->hop, h->orig);
}

void gw_site_incoming_placed(gw_call *call)
{
    struct gw_site_call *s = call->site;
    if (s && s->direct && call->parties) {
        s->direct_party = call->parties; /* the caller: a phone, REFERable on */
        g_strlcpy(s->direct_dn, call->parties->dn, sizeof s->direct_dn);
    }
    gw_site_publish(call);
    const gw_config *cfg = call->calls->srv->cfg;
    if (!call->site || !call->site->rec || !cfg->islink_continue_recording)
        return;
    /* The sender recorded the call: record it here too, the sending site's side. */
    const gw_party *from = call->parties;
    gw_rec_req r = {.started_by = "selective",
                    .side = "source",
                    .record_dn = from ? from->dn : NULL,
                    .tonesilenceduration = -1};
    char why[200];
    int err = gw_rec_request(call, &r, why, sizeof why);
    LOG_INFO(call, "call %016llx: continue recording from the sending site: %s",
             (unsigned long long)call->connid, err == AR_E_OK ? "asked" : why);
}

/* The user data another site gets: everything but this site's recording state. */
static char *site_user_data(const tl_kv *ud)
{
    tl_kv *copy = tl_kv_copy(ud);
    char *out = NULL;
    if (!copy)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(local_keys); i++)
        tl_kv_remove(copy, local_keys[i]);
    if (tl_kv_count(copy))
        out = gw_islink_ud_encode(copy);
    tl_kv_free(&copy);
    return out;
}

/*
 * Make the ISLink of a hop of call toward site trunk d: id, list entry (source), database
 * row, EventCallDataChanged. Returns 0, or 483 over islink-max-hops.
 */
static int make_hop(gw_call *call, const gw_dn_conf *d, gw_islink_hdr *h)
{
    const gw_config *cfg = call->calls->srv->cfg;
    /* A consultation continues its main call's chain (hop count and first CallUUID). */
    const gw_call *chain = call->site ? call : call->main && call->main->site ? call->main : call;
    int hop = (chain->site ? chain->site->hop : 0) + 1;
    if (hop > cfg->islink_max_hops) {
        LOG_WARN(call, "call %016llx: not sent to site %s: hop %d over islink-max-hops %d",
                 (unsigned long long)call->connid, d->location_name, hop, cfg->islink_max_hops);
        return 483;
    }
    memset(h, 0, sizeof *h);
    h->connid = call->connid;
    h->hop = hop;
    gw_ids_next_uuid(call->calls->ids, h->id);
    gw_site_location(cfg, h->loc, sizeof h->loc);
    g_strlcpy(h->uuid, call->uuid, sizeof h->uuid);
    const char *orig = chain->site && chain->site->orig[0] ? chain->site->orig : chain->uuid;
    g_strlcpy(h->orig, orig, sizeof h->orig);
    /* Recorded here: recording now, or a recording got a file name (it may have just
       stopped, as the recorded agent left in this very transfer). A consultation stands
       for its main call, the one a completion hands over. */
    gw_call *recd = !call->rec && call->main && call->main->rec ? call->main : call;
    h->rec =
        cfg->islink_continue_recording && recd->rec &&
        (strcmp(gw_rec_state_name(recd), "Off") != 0 || tl_kv_get(recd->ud, "GSIP_REC_FN") != NULL);
    struct gw_site_call *s = site_get(call);
    if (s->hop == 0 && chain != call)
        s->hop = chain->site->hop;
    if (!s->orig[0])
        g_strlcpy(s->orig, h->orig, sizeof s->orig);
    gw_islink_list_add(s->list, h->id, d->location_name, GW_ISLINK_SOURCE);
    persist(call, h->id, d->location_name, GW_ISLINK_SOURCE);
    LOG_INFO(call, "call %016llx (%s): ISLink %s to %s, hop %d", (unsigned long long)call->connid,
             call->uuid, h->id, d->location_name, hop);
    gw_site_publish(call);
    return 0;
}

int gw_site_outgoing(gw_call *call, gw_party *p, char **hdrs)
{
    *hdrs = NULL;
    const gw_dn_conf *d = gw_config_find_dn(call->calls->srv->cfg, p->dn);
    if (!d || !d->location_name)
        return 0;
    gw_islink_hdr h;
    struct gw_site_call *s = call->site;
    if (s && s->hop_ready && strcmp(s->hop_trunk, d->number) == 0) {
        h = s->pend; /* the hop a failed REFER announced already */
        s->hop_ready = false;
    } else {
        int st = make_hop(call, d, &h);
        if (st)
            return st;
        s = call->site;
    }
    hop_out o = {.party = p};
    g_strlcpy(o.dn, p->dn, sizeof o.dn);
    g_strlcpy(o.id, h.id, sizeof o.id);
    g_strlcpy(o.loc, d->location_name, sizeof o.loc);
    g_array_append_val(s->out, o);
    char *isl = gw_islink_hdr_format(&h);
    char *ud = site_user_data(call->ud);
    *hdrs = ud ? g_strdup_printf("%s: %s\r\n%s: %s", GW_ISLINK_HEADER, isl, GW_ISLINK_UD_HEADER, ud)
               : g_strdup_printf("%s: %s", GW_ISLINK_HEADER, isl);
    g_free(isl);
    g_free(ud);
    return 0;
}

/* --- transfers by REFER (oosp-transfer-enabled) --- */

/* The site trunk a number goes out through (dest_resolve's choice), or NULL. */
static const gw_dn_conf *site_trunk_for(const gw_config *cfg, const char *number)
{
    const gw_dn_conf *d = gw_config_find_dn(cfg, number);
    if (d)
        return d->location_name && d->contact ? d : NULL;
    const gw_dn_conf *best = NULL, *any = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const gw_dn_conf *t = &cfg->dns[i];
        if ((t->type != GW_DN_TRUNK && t->type != GW_DN_TRUNK_GROUP) || !t->contact)
            continue;
        size_t n = t->prefix ? strlen(t->prefix) : 0;
        if (!t->prefix && !any)
            any = t;
        if (t->prefix && n > best_len && strncmp(number, t->prefix, n) == 0) {
            best = t;
            best_len = n;
        }
    }
    d = best ? best : any;
    return d && d->location_name ? d : NULL;
}

/*
 * Whether b's phone can be REFERred: a trunk party is the other gateway (in the path) or
 * a carrier, unless it is a phone that came here by another site's REFER.
 */
static bool referable(const gw_call *call, const gw_party *b)
{
    const struct gw_site_call *s = call->site;
    return !b->trunk || (s && s->direct_party == b && strcmp(s->direct_dn, b->dn) == 0);
}

/* sip:<dest>@<trunk host:port>?X-Arec-ISLink=...&X-Arec-User-Data=... (RFC 3261 19.1.1). */
static char *refer_uri(const gw_dn_conf *d, const char *dest, const gw_islink_hdr *h,
                       const char *ud)
{
    const char *colon = strchr(d->contact, ':');
    GString *u = g_string_new(NULL);
    if (colon && !strchr(d->contact, '@'))
        g_string_append_printf(u, "%.*s%s@%s", (int)(colon - d->contact + 1), d->contact, dest,
                               colon + 1);
    else
        g_string_append(u, d->contact);
    char *isl = gw_islink_hdr_format(h);
    char *e = g_uri_escape_string(isl, NULL, FALSE);
    g_string_append_printf(u, "?%s=%s", GW_ISLINK_HEADER, e);
    g_free(e);
    g_free(isl);
    if (ud) {
        e = g_uri_escape_string(ud, NULL, FALSE);
        g_string_append_printf(u, "&%s=%s", GW_ISLINK_UD_HEADER, e);
        g_free(e);
    }
    return g_string_free(u, FALSE);
}

bool gw_site_refer_transfer(gw_call *call, gw_party *p, gw_party *b, const char *dest)
{
    gw_calls *calls = call->calls;
    const gw_config *cfg = calls->srv->cfg;
    if (!cfg->oosp_transfer_enabled || !calls->ops || !calls->ops->refer || !b->leg || !b->answered)
        return false;
    if (!referable(call, b))
        return false;
    const gw_dn_conf *d = site_trunk_for(cfg, dest);
    const gw_dn_conf *bd = gw_config_find_dn(cfg, b->dn);
    if (!d || (bd && !bd->refer_enabled))
        return false;
    gw_islink_hdr h;
    if (make_hop(call, d, &h) != 0)
        return false; /* the in-path attempt gives the client its error */
    struct gw_site_call *s = call->site;
    s->pend = h;
    s->hop_ready = true;
    g_strlcpy(s->hop_trunk, d->number, sizeof s->hop_trunk);
    char *ud = site_user_data(call->ud);
    char *uri = refer_uri(d, dest, &h, ud);
    int rc = calls->ops->refer(calls->sip, b->leg, uri, NULL);
    g_free(uri);
    g_free(ud);
    if (rc != AR_E_OK)
        return false; /* placed through the trunk, with this hop */
    s->refer_party = b;
    g_strlcpy(s->refer_dest, dest, sizeof s->refer_dest);
    g_strlcpy(s->refer_by, p->number, sizeof s->refer_by);
    LOG_INFO(call, "call %016llx: %s transferred to %s at %s by REFER to %s",
             (unsigned long long)call->connid, p->dn, dest, d->location_name, b->dn);
    /* The transferring party leaves at once, as in any single-step transfer. */
    gw_callev_party(call, p, TL_M_EventReleased,
                    &(gw_evopt){.has_cs = true,
                                .cs = TL_CS_TRANSFERRED,
                                .third = dest,
                                .third_role = TL_ROLE_DESTINATION});
    if (p->leg && calls->ops->release) {
        calls->ops->release(calls->sip, p->leg, 0, "transferred");
        p->leg = NULL;
    }
    gw_call_free_party(call, p);
    return true;
}

void gw_sipif_refer_result(gw_calls *calls, gw_party *party, gw_leg *leg, int status)
{
    (void)leg;
    gw_call *call = party->call;
    struct gw_site_call *s = call ? call->site : NULL;
    if (!s || s->refer_party != party)
        return;
    s->refer_party = NULL;
    bool replacing = s->replaced != NULL;
    s->replaced = NULL;
    if (replacing && (status < 200 || status >= 300)) {
        /* The two-step transfer is complete already: it just stays in the path. */
        LOG_WARN(call,
                 "call %016llx: REFER with Replaces of %s failed (%d): the call stays "
                 "in the path",
                 (unsigned long long)call->connid, party->dn, status);
    } else if (status >= 200 && status < 300) {
        /* The other site has the call: this gateway leaves the path, the call ends here. */
        s->hop_ready = false;
        LOG_INFO(call, "call %016llx: REFER accepted, %s left for %s",
                 (unsigned long long)call->connid, party->dn, s->refer_dest);
        gw_call_party_leave(call, party, TL_CS_TRANSFERRED, true);
    } else {
        LOG_WARN(call, "call %016llx: REFER of %s failed (%d): transferring through the trunk",
                 (unsigned long long)call->connid, party->dn, status);
        char by[GW_NUM_MAX];
        g_strlcpy(by, s->refer_by, sizeof by);
        int err, st;
        gw_party *d = gw_call_place(call, NULL, s->refer_dest, NULL, &err, &st);
        if (!d)
            gw_call_party_leave(call, party, gw_call_state_of_sip(st), true);
        else
            gw_callev_party(call, party, TL_M_EventPartyChanged,
                            &(gw_evopt){.has_cs = true,
                                        .cs = TL_CS_TRANSFERRED,
                                        .other = d,
                                        .third = by,
                                        .third_role = TL_ROLE_TRANSFERRED_BY});
    }
    gw_server_flush(calls->srv);
}

/* A party of call with that address and DN (a stale pointer compares, never matches). */
static gw_party *in_call(gw_call *call, const gw_party *p, const char *dn)
{
    for (gw_party *q = call->parties; q; q = q->next)
        if (q == p && strcmp(q->dn, dn) == 0)
            return q;
    return NULL;
}

/* REFER b's phone to t's far end, Replaces naming t's dialog (RFC 3891 / 5589). */
static void refer_replacing(gw_call *call, gw_party *b, gw_party *t)
{
    gw_calls *calls = call->calls;
    struct gw_site_call *s = call->site;
    const gw_dn_conf *d = gw_config_find_dn(calls->srv->cfg, t->dn);
    const char *colon = d && d->contact ? strchr(d->contact, ':') : NULL;
    if (!colon || strchr(d->contact, '@') || !b->leg || !t->leg) {
        LOG_INFO(call,
                 "call %016llx: no REFER with Replaces to %s (trunk contact or legs "
                 "unusable): the call stays in the path",
                 (unsigned long long)call->connid, b->dn);
        return;
    }
    char *uri = g_strdup_printf("%.*s%s@%s", (int)(colon - d->contact + 1), d->contact, t->number,
                                colon + 1);
    int rc = calls->ops->refer_replacing(calls->sip, b->leg, uri, t->leg);
    if (rc == AR_E_OK) {
        s->refer_party = b;
        s->replaced = t;
        g_strlcpy(s->replaced_dn, t->dn, sizeof s->replaced_dn);
        g_strlcpy(s->refer_dest, t->number, sizeof s->refer_dest);
        LOG_INFO(call, "call %016llx: REFER %s to %s at %s, replacing this gateway's dialog",
                 (unsigned long long)call->connid, b->dn, t->number, d->location_name);
    } else {
        LOG_INFO(call, "call %016llx: REFER with Replaces to %s impossible (%s): in the path",
                 (unsigned long long)call->connid, b->dn, ar_strerror(rc));
    }
    g_free(uri);
}

void gw_site_transfer_completed(gw_call *call, gw_party *b, gw_party *t)
{
    gw_calls *calls = call->calls;
    const gw_config *cfg = calls->srv->cfg;
    struct gw_site_call *s = call->site;
    if (!s || !cfg->oosp_transfer_enabled || !calls->ops || !calls->ops->refer_replacing ||
        !t->trunk || !referable(call, b) || !b->leg || !b->answered || call->nparties != 2 ||
        s->refer_party)
        return;
    const gw_dn_conf *d = gw_config_find_dn(cfg, t->dn);
    const gw_dn_conf *bd = gw_config_find_dn(cfg, b->dn);
    if (!d || !d->location_name || !d->contact || (bd && !bd->refer_enabled))
        return;
    /* The REFER waits until the completion's media exchange (b with t) is over, so the
       other site gets the INVITE with Replaces with no offer pending on the dialog; and
       for a transfer completed while the other site rings, until t answers: Replaces
       may only name a confirmed dialog there (RFC 3891 answers 481 for an early one it
       did not initiate). Until then the call is in the path as any completion. */
    s->replaced = t;
    s->replace_for = b;
    g_strlcpy(s->replaced_dn, t->dn, sizeof s->replaced_dn);
    g_strlcpy(s->replace_for_dn, b->dn, sizeof s->replace_for_dn);
    s->replace_wait = true;
    gw_site_settled(call);
}

void gw_site_settled(gw_call *call)
{
    struct gw_site_call *s = call->site;
    if (!s || !s->replace_wait)
        return;
    gw_party *t = in_call(call, s->replaced, s->replaced_dn);
    gw_party *b = in_call(call, s->replace_for, s->replace_for_dn);
    if (t && b && (!t->answered || t->pend != GW_PEND_NONE || b->pend != GW_PEND_NONE))
        return; /* not yet */
    s->replace_wait = false;
    s->replaced = s->replace_for = NULL;
    if (t && b && b->answered && call->nparties == 2 && !s->refer_party)
        refer_replacing(call, b, t);
}

bool gw_site_released(gw_call *call, gw_party *p)
{
    struct gw_site_call *s = call->site;
    if (!s || !s->refer_party || s->replaced != p || strcmp(p->dn, s->replaced_dn) != 0)
        return false;
    /* The other site's BYE of the dialog it replaced came before the phone's NOTIFY: the
       phone is there, so the transfer succeeded; the call ends here as by the NOTIFY. */
    gw_party *b = s->refer_party;
    s->refer_party = NULL;
    s->replaced = NULL;
    p->leg = NULL;
    LOG_INFO(call, "call %016llx: %s replaced this gateway's dialog at %s: %s left",
             (unsigned long long)call->connid, p->number, p->dn, b->dn);
    gw_call_party_leave(call, b, TL_CS_TRANSFERRED, true);
    return true;
}

bool gw_sipif_replaced(gw_calls *calls, gw_party *party, gw_leg *old_leg, gw_leg *new_leg)
{
    (void)calls;
    if (!party || !party->call || party->leg != old_leg || party->msc || party->conf)
        return false;
    party->leg = new_leg;
    LOG_INFO(call, "call %016llx: %s goes on with a replacing dialog (INVITE with Replaces)",
             (unsigned long long)party->call->connid, party->dn);
    return true;
}

void gw_site_party_moved(gw_party *p, gw_call *from, gw_call *to)
{
    if (!from->site || from == to)
        return;
    GArray *out = from->site->out;
    for (guint i = 0; i < out->len; i++) {
        hop_out *o = &g_array_index(out, hop_out, i);
        if (o->party != p || strcmp(o->dn, p->dn) != 0)
            continue;
        struct gw_site_call *s = site_get(to);
        if (!s->orig[0])
            g_strlcpy(s->orig, from->site->orig, sizeof s->orig);
        if (s->hop < from->site->hop)
            s->hop = from->site->hop;
        hop_out moved = *o;
        g_array_remove_index(out, i);
        if (gw_islink_list_add(s->list, moved.id, moved.loc, GW_ISLINK_SOURCE)) {
            g_array_append_val(s->out, moved);
            persist(to, moved.id, moved.loc, GW_ISLINK_SOURCE);
            gw_site_publish(to);
        }
        return;
    }
}

/* EventCallDataChanged for p's DN (p NULL: the monitoring form) with the ISLink list. */
static tl_msg *data_changed(gw_call *call, const gw_party *p)
{
    tl_msg *m = gw_callev_build(call, p, TL_M_EventCallDataChanged, NULL);
    tl_kv *kv = m ? gw_islink_list_kv(call->site->list) : NULL;
    if (!kv || tl_msg_set_kv(m, TL_A_ISLinkList, kv) != 0) {
        tl_kv_free(&kv);
        tl_msg_free(&m);
    }
    return m;
}

void gw_site_publish(gw_call *call)
{
    if (!call->site || gw_islink_list_count(call->site->list) == 0 || call->ending)
        return;
    gw_server *srv = call->calls->srv;
    for (gw_party *p = call->parties; p; p = p->next) {
        if (p->trunk)
            continue;
        gw_dn *dn = gw_dn_find(srv->dns, p->dn);
        tl_msg *m = dn ? data_changed(call, p) : NULL;
        if (m)
            gw_server_publish(srv, dn, m);
        tl_msg_free(&m);
    }
    gw_callev_mon_send(call, data_changed(call, NULL));
}
