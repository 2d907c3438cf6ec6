/* T-Lib request dispatch: decoded requests -> handlers -> replies and DN events. */
#include "gw_tlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_db.h"
#include "gw_desk.h"
#include "gw_callreq.h"
#include "gw_dn.h"
#include "gw_rec.h"
#include "gw_server.h"

void gw_tlib_send_error(gw_client *c, int code, int64_t reference_id, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tl_msg *e = tl_error_new(code, reference_id, text);
    if (!e) {
        gw_client_drop(c, "out of memory building EventError");
        return;
    }
    LOG_DEBUG(tlib, "client #%llu (%s): EventError %d %s: %s", (unsigned long long)c->id, c->peer,
              code, ar_errname(code) ? ar_errname(code) : "?", text);
    gw_db_audit(c->srv->db, "EventError", c->app_name, NULL, NULL, code, text);
    gw_client_send(c, e);
    tl_msg_free(&e);
}

/* A reply event with the request's ReferenceID. */
static tl_msg *reply_new(uint16_t type, int64_t ref)
{
    tl_msg *r = tl_msg_new(type);
    if (r && ref >= 0)
        tl_msg_set_int(r, TL_A_ReferenceID, ref);
    return r;
}

static void send_reply(gw_client *c, tl_msg *r)
{
    if (!r) {
        gw_client_drop(c, "out of memory building a reply");
        return;
    }
    gw_client_send(c, r);
    tl_msg_free(&r);
}

/* Compare secrets without a data-dependent early exit. */
static bool secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0 && lb == la;
}

static void on_register_client(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_server *srv = c->srv;
    if (gw_client_registered(c)) {
        gw_tlib_send_error(c, AR_E_ALREADY_REGISTERED, ref, "already registered as %s",
                           c->app_name);
        return;
    }
    const char *name = tl_msg_get_str(m, TL_A_ApplicationName);
    const char *pw = tl_msg_get_str(m, TL_A_ApplicationPassword);
    const gw_app_conf *app = name ? gw_config_find_app(srv->cfg, name) : NULL;
    /* Compare even for an unknown application so timing does not reveal names. */
    bool ok = secret_equal(pw ? pw : "", app ? app->password : "\x01");
    if (!app || !pw || !ok) {
        LOG_WARN(tlib, "client #%llu (%s): registration as \"%s\" rejected",
                 (unsigned long long)c->id, c->peer, name ? name : "");
        gw_db_audit(srv->db, "ClientRejected", name, NULL, NULL, AR_E_AUTH_FAILED, c->peer);
        gw_tlib_send_error(c, AR_E_AUTH_FAILED, ref, "application name or password rejected");
        return;
    }
    int64_t want = TL_PROTO_VERSION_MAX;
    if (tl_msg_get_int(m, TL_A_ProtocolVersion, &want) && want < TL_PROTO_VERSION_MIN) {
        gw_tlib_send_error(c, AR_E_PROTOCOL_VERSION, ref,
                           "protocol version %lld not supported (%d-%d)", (long long)want,
                           TL_PROTO_VERSION_MIN, TL_PROTO_VERSION_MAX);
        return;
    }
    c->version = want > TL_PROTO_VERSION_MAX ? TL_PROTO_VERSION_MAX : (unsigned)want;
    c->app = app;
    c->app_name = g_strdup(app->name);
    LOG_INFO(tlib, "client #%llu (%s over %s) registered as application %s, protocol %u",
             (unsigned long long)c->id, c->peer, c->ops->name, c->app_name, c->version);
    gw_db_audit(srv->db, "ClientRegistered", c->app_name, NULL, NULL, -1, c->peer);

    tl_msg *r = reply_new(TL_M_EventServerConnected, ref);
    if (r) {
        tl_msg_set_int(r, TL_A_ProtocolVersion, c->version);
        tl_msg_set_str(r, TL_A_ServerVersion, GW_SERVER_VERSION);
        tl_msg_set_str(r, TL_A_ApplicationName, srv->cfg->application_name);
    }
    send_reply(c, r);
    send_reply(c, reply_new(TL_M_EventLinkConnected, ref));
}

static void on_query_server(gw_client *c, int64_t ref)
{
    gw_server *srv = c->srv;
    tl_msg *r = reply_new(TL_M_EventServerInfo, ref);
    tl_kv *kv = tl_kv_new();
    if (!r || !kv) {
        tl_kv_free(&kv);
        tl_msg_free(&r);
        send_reply(c, NULL);
        return;
    }
    int64_t uptime = (g_get_monotonic_time() - srv->start_mono_us) / G_USEC_PER_SEC;
    tl_kv_add_str(kv, "site", srv->cfg->site);
    tl_kv_add_str(kv, "application", srv->cfg->application_name);
    tl_kv_add_int(kv, "uptime", (int32_t)uptime);
    tl_kv_add_int(kv, "clients", (int32_t)srv->n_clients);
    tl_msg_set_str(r, TL_A_ServerVersion, GW_SERVER_VERSION);
    tl_msg_set_int(r, TL_A_ServerStartTime, srv->start_us / G_USEC_PER_SEC);
    tl_msg_set_kv(r, TL_A_ServerInfo, kv);
    send_reply(c, r);
}

static void on_register_address(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_dn *dn = gw_callreq_dn(c, m, ref);
    if (!dn)
        return;
    if (gw_dn_subscribe(dn, c))
        g_ptr_array_add(c->dns, dn);
    tl_msg *r = reply_new(TL_M_EventRegistered, ref);
    if (r)
        tl_msg_set_str(r, TL_A_ThisDN, dn->number);
    send_reply(c, r);
}

static void on_unregister_address(gw_client *c, const tl_msg *m, int64_t ref)
{
    const char *num = tl_msg_get_str(m, TL_A_ThisDN);
    gw_dn *dn = num ? gw_dn_find(c->srv->dns, num) : NULL;
    if (!dn || !gw_client_has_dn(c, dn)) {
        gw_tlib_send_error(c, AR_E_DN_NOT_REGISTERED, ref, "DN %s is not registered by this client",
                           num ? num : "");
        return;
    }
    gw_dn_unsubscribe(dn, c);
    g_ptr_array_remove_fast(c->dns, dn);
    tl_msg *r = reply_new(TL_M_EventUnregistered, ref);
    if (r)
        tl_msg_set_str(r, TL_A_ThisDN, dn->number);
    send_reply(c, r);
}

static void on_query_address(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_dn *dn = gw_callreq_dn(c, m, ref);
    if (!dn)
        return;
    tl_msg *r = reply_new(TL_M_EventAddressInfo, ref);
    tl_kv *kv = tl_kv_new();
    if (!r || !kv) {
        tl_kv_free(&kv);
        tl_msg_free(&r);
        send_reply(c, NULL);
        return;
    }
    tl_kv_add_str(kv, "type", gw_dn_type_name(dn->conf->type));
    tl_kv_add_int(kv, "record", dn->conf->record);
    tl_kv_add_int(kv, "clients", (int32_t)gw_dn_nsubs(dn));
    if (dn->conf->geo_location)
        tl_kv_add_str(kv, "geo-location", dn->conf->geo_location);
    tl_msg_set_str(r, TL_A_ThisDN, dn->number);
    tl_msg_set_kv(r, TL_A_AddressInfo, kv);
    send_reply(c, r);
}

/* RequestDistributeUserEvent / RequestSendEvent: ACK the sender, fan out to the DN. */
static void on_user_event(gw_client *c, const tl_msg *m, int64_t ref)
{
    gw_dn *dn = gw_callreq_dn(c, m, ref);
    if (!dn)
        return;
    const tl_kv *ud = tl_msg_get_kv(m, TL_A_UserData);
    uint64_t connid;
    bool has_connid = tl_msg_get_connid(m, TL_A_ConnID, &connid);
    char why[160];
    int bad = gw_rec_screen_capture_check(ud, why, sizeof why); /* gw_rec_tlib.c */
    if (bad != AR_E_OK) {
        gw_tlib_send_error(c, bad, ref, "%s", why);
        return;
    }
    send_reply(c, reply_new(TL_M_EventACK, ref));

    tl_msg *ev = tl_msg_new(TL_M_EventUserEvent);
    tl_kv *copy = ud ? tl_kv_copy(ud) : tl_kv_new();
    bool ok = ev && copy && tl_msg_set_str(ev, TL_A_ThisDN, dn->number) == 0;
    if (ok) {
        ok = tl_msg_set_kv(ev, TL_A_UserData, copy) == 0;
        copy = NULL; /* owned by ev now, or freed on failure */
    }
    ok = ok && (!has_connid || tl_msg_set_connid(ev, TL_A_ConnID, connid) == 0);
    tl_kv_free(&copy);
    if (!ok) {
        tl_msg_free(&ev);
        LOG_ERR(tlib, "out of memory building EventUserEvent for DN %s", dn->number);
        return;
    }
    gw_server_publish(c->srv, dn, ev);
    tl_msg_free(&ev);
    if (c->srv->db) {
        /* Audit trail, plus the screen-capture table for desktop screen capture requests. */
        char cid[17] = "";
        if (has_connid)
            snprintf(cid, sizeof cid, "%016llx", (unsigned long long)connid);
        const char *sc = ud ? tl_kv_get_str(ud, "screen-capture") : NULL;
        gw_db_audit(c->srv->db, "EventUserEvent", c->app_name, dn->number, has_connid ? cid : NULL,
                    -1, sc);
        if (sc) {
            gw_db_screen s = {dn->number,  has_connid ? cid : NULL, NULL, sc,
                              c->app_name, g_get_real_time()};
            gw_db_write_screen(c->srv->db, &s);
        }
    }
}

/* Recording Extensions keys and whether an int is also accepted. */
static const struct {
    const char *key;
    bool int_ok;
} rec_keys[] = {
    {"record", false},
    {"id", false},
    {"dest", false},
    {"dest2", false},
    {"params", false},
    {"audiosrc", false},
    {"tonesilenceduration", true},
};

static void on_private_service(gw_client *c, const tl_msg *m, int64_t ref)
{
    int64_t id = 0;
    tl_msg_get_int(m, TL_A_PrivateMsgID, &id);
    if (id < TL_GSIP_RECORD_START || id > TL_GSIP_RECORD_RESUME) {
        gw_tlib_send_error(c, AR_E_UNKNOWN_PRIVATE_MSG, ref,
                           "PrivateMsgID %lld unknown (3013-3016 are recording control)",
                           (long long)id);
        return;
    }
    const tl_kv *ext = tl_msg_get_kv(m, TL_A_Extensions);
    for (size_t i = 0; ext && i < tl_kv_count(ext); i++) {
        const tl_kv_pair *p = tl_kv_at(ext, i);
        for (size_t k = 0; k < G_N_ELEMENTS(rec_keys); k++) {
            if (strcmp(p->key, rec_keys[k].key) != 0)
                continue;
            tl_type t = p->v.type;
            if (t == TL_T_STR || t == TL_T_UNICODE || (rec_keys[k].int_ok && t == TL_T_INT))
                break;
            gw_tlib_send_error(c, AR_E_WRONG_TYPE, ref,
                               "Extensions key \"%s\" must be a string%s, got %s", p->key,
                               rec_keys[k].int_ok ? " or an int" : "", tl_type_name(t));
            return;
        }
    }
    if (!gw_callreq_dn(c, m, ref))
        return;
    uint64_t connid;
    if (!tl_msg_get_connid(m, TL_A_ConnID, &connid)) {
        gw_tlib_send_error(c, AR_E_MISSING_ATTRIBUTE, ref,
                           "ConnID is mandatory for PrivateMsgID %lld", (long long)id);
        return;
    }
    gw_rec_private_service(c, m, ref, id); /* gw_rec_tlib.c */
}

void gw_tlib_handle(gw_client *c, const tl_msg *m)
{
    if (c->closing)
        return;
    int64_t ref = -1;
    tl_msg_get_int(m, TL_A_ReferenceID, &ref);
    const tl_msg_info *mi = tl_msg_info_get(m->type);
    if (!mi) {
        gw_tlib_send_error(c, AR_E_UNKNOWN_MESSAGE, ref, "unknown message type %u", m->type);
        return;
    }
    if (mi->kind != TL_REQUEST) {
        gw_tlib_send_error(c, AR_E_NOT_A_REQUEST, ref, "%s is an event, not a request", mi->name);
        return;
    }
    uint16_t bad = 0;
    int rc = tl_msg_validate(m, &bad);
    if (rc != AR_E_OK) {
        const tl_attr_info *ai = bad ? tl_attr_info_get(bad) : NULL;
        gw_tlib_send_error(c, rc, ref, "%s: %s%s%s", mi->name, ar_strerror(rc), ai ? ": " : "",
                           ai ? ai->name : "");
        return;
    }
    if (!gw_client_registered(c) && m->type != TL_M_RequestRegisterClient) {
        gw_tlib_send_error(c, AR_E_NOT_REGISTERED, ref, "%s before RequestRegisterClient",
                           mi->name);
        return;
    }
    /* Desktop tokens and agent lists limit what a client may act on (gw_desk.c). */
    if (!gw_desk_scope_ok(c, m, ref))
        return;
    switch (m->type) {
    case TL_M_RequestRegisterClient:
        on_register_client(c, m, ref);
        break;
    case TL_M_RequestQueryServer:
        on_query_server(c, ref);
        break;
    case TL_M_RequestRegisterAddress:
        on_register_address(c, m, ref);
        break;
    case TL_M_RequestUnregisterAddress:
        on_unregister_address(c, m, ref);
        break;
    case TL_M_RequestQueryAddress:
        on_query_address(c, m, ref);
        break;
    case TL_M_RequestDistributeUserEvent:
    case TL_M_RequestSendEvent:
        on_user_event(c, m, ref);
        break;
    case TL_M_RequestPrivateService:
        on_private_service(c, m, ref);
        break;
    default:
        if (gw_callreq_handle(c, m, ref))
            break;
        gw_tlib_send_error(c, AR_E_UNSUPPORTED_OPERATION, ref,
                           "%s is not available: this gateway has no call model", mi->name);
        break;
    }
}

void gw_tlib_decode_error(gw_client *c, const tl_decode_err *err)
{
    gw_tlib_send_error(c, err->code, err->reference_id, "%s", err->detail);
    if (err->fatal) {
        gw_client_drop(c, "undecodable input (%s %d): %s",
                       ar_errname(err->code) ? ar_errname(err->code) : "?", err->code, err->detail);
    }
}

size_t gw_tlib_input_bin(gw_client *c, ar_buf *in)
{
    size_t n = 0;
    while (!c->closing && ar_buf_pending(in) > 0) {
        tl_msg *m = NULL;
        size_t consumed = 0;
        tl_decode_err err;
        memset(&err, 0, sizeof err);
        tl_dec_result r = tl_bin_decode(ar_buf_head(in), ar_buf_pending(in),
                                        c->srv->cfg->max_frame_size, &m, &consumed, &err);
        if (r == TL_DEC_NEED_MORE)
            break;
        if (r == TL_DEC_OK) {
            ar_buf_consume(in, consumed);
            gw_tlib_handle(c, m);
            tl_msg_free(&m);
            n++;
            continue;
        }
        /* A non-fatal error must skip something, or we would loop forever. */
        if (!err.fatal && consumed == 0)
            err.fatal = true;
        gw_tlib_decode_error(c, &err);
        if (err.fatal) {
            ar_buf_reset(in);
            break;
        }
        ar_buf_consume(in, consumed);
        n++;
    }
    return n;
}

void gw_tlib_input_json(gw_client *c, const char *p, size_t len)
{
    if (c->closing)
        return;
    tl_msg *m = NULL;
    tl_decode_err err;
    memset(&err, 0, sizeof err);
    if (tl_json_decode(p, len, &m, &err) == TL_DEC_OK) {
        gw_tlib_handle(c, m);
        tl_msg_free(&m);
        return;
    }
    /* A WebSocket message is its own frame: a bad one never loses the framing. */
    err.fatal = false;
    gw_tlib_decode_error(c, &err);
}
