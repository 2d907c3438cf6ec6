/* Unit tests for registration, dispatch and fan-out, driven without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "ar_err.h"
#include "gw_server.h"
#include "gw_tlib.h"
#include "tl_codec.h"

static const char *conf_text = "[gateway]\n"
                               "site = unit\n"
                               "client-queue-limit = 4096\n"
                               "[dn 5001-5003]\n"
                               "type = Extension\n"
                               "[dn 5010]\n"
                               "type = Extension\n"
                               "record = true\n"
                               "[application demo]\n"
                               "password = demo\n"
                               "dns = *\n"
                               "[application desk]\n"
                               "password = desk\n"
                               "dns = 5001\n";

/* A fake transport: captures messages, or (raw) keeps encoded bytes and never writes. */
typedef struct {
    gw_client *c;
    GPtrArray *msgs; /* tl_msg * */
    bool closed;
} fake;

static void cap(gw_client *c, const tl_msg *m)
{
    fake *f = c->tp;
    g_ptr_array_add(f->msgs, tl_msg_copy(m));
}

static void fake_close(gw_client *c)
{
    fake *f = c->tp;
    f->closed = true;
    gw_client_free(&f->c);
}

static const gw_client_ops cap_ops = {.name = "test", .close = fake_close, .capture = cap};
static const gw_client_ops raw_ops = {.name = "raw", .close = fake_close};
static const gw_client_ops raw_json_ops = {.name = "rawjson", .close = fake_close};

static void free_msg(gpointer p)
{
    tl_msg *m = p;
    tl_msg_free(&m);
}

static gw_server *srv_new(const char *text)
{
    gw_config_errors errs = {0};
    gw_config *cfg = gw_config_parse("unit.conf", text, &errs);
    assert_non_null(cfg);
    return gw_server_new(cfg);
}

static fake *fake_new(gw_server *srv, const gw_client_ops *ops)
{
    fake *f = g_new0(fake, 1);
    f->msgs = g_ptr_array_new_with_free_func(free_msg);
    f->c = gw_client_new(srv, ops, f, ops == &raw_ops ? GW_ENC_BIN : GW_ENC_JSON, "test:1");
    return f;
}

static void fake_free(fake *f)
{
    gw_client_free(&f->c);
    g_ptr_array_free(f->msgs, TRUE);
    g_free(f);
}

static tl_msg *req(uint16_t type, int64_t ref)
{
    tl_msg *m = tl_msg_new(type);
    tl_msg_set_int(m, TL_A_ReferenceID, ref);
    return m;
}

static tl_msg *req_dn(uint16_t type, int64_t ref, const char *dn)
{
    tl_msg *m = req(type, ref);
    tl_msg_set_str(m, TL_A_ThisDN, dn);
    return m;
}

/* Hand a request to the dispatcher as a transport would, then end the batch. */
static void send(fake *f, tl_msg *m)
{
    gw_server *srv = f->c->srv;
    gw_tlib_handle(f->c, m);
    gw_server_flush(srv);
    tl_msg_free(&m);
}

/* Take the oldest captured message, which must be of this type. */
static tl_msg *pop(fake *f, uint16_t type)
{
    assert_true(f->msgs->len > 0);
    tl_msg *m = g_ptr_array_steal_index(f->msgs, 0);
    if (m->type != type)
        print_message("expected message %u, got %u\n", type, m->type);
    assert_int_equal(m->type, type);
    int64_t v;
    assert_true(tl_msg_get_int(m, TL_A_EventSequenceNumber, &v));
    assert_true(tl_msg_get_int(m, TL_A_TimeStamp, &v));
    assert_true(v > 1500000000000000LL); /* microseconds since the epoch */
    return m;
}

static void expect_error(fake *f, int code, int64_t ref)
{
    tl_msg *m = pop(f, TL_M_EventError);
    int64_t v;
    assert_true(tl_msg_get_int(m, TL_A_ErrorCode, &v));
    if (v != code)
        print_message("error %lld (%s), wanted %d\n", (long long)v,
                      tl_msg_get_str(m, TL_A_ErrorMessage), code);
    assert_int_equal(v, code);
    if (ref >= 0) {
        assert_true(tl_msg_get_int(m, TL_A_ReferenceID, &v));
        assert_int_equal(v, ref);
    }
    assert_non_null(tl_msg_get_str(m, TL_A_ErrorMessage));
    tl_msg_free(&m);
}

static void expect_ref(fake *f, uint16_t type, int64_t ref)
{
    tl_msg *m = pop(f, type);
    int64_t v;
    assert_true(tl_msg_get_int(m, TL_A_ReferenceID, &v));
    assert_int_equal(v, ref);
    tl_msg_free(&m);
}

static void do_register(fake *f, const char *app, const char *pw)
{
    tl_msg *m = req(TL_M_RequestRegisterClient, 100);
    tl_msg_set_str(m, TL_A_ApplicationName, app);
    tl_msg_set_str(m, TL_A_ApplicationPassword, pw);
    send(f, m);
    expect_ref(f, TL_M_EventServerConnected, 100);
    expect_ref(f, TL_M_EventLinkConnected, 100);
}

static void test_registration(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *f = fake_new(srv, &cap_ops);

    send(f, req_dn(TL_M_RequestRegisterAddress, 1, "5001"));
    expect_error(f, AR_E_NOT_REGISTERED, 1);
    send(f, req(TL_M_RequestQueryServer, 2));
    expect_error(f, AR_E_NOT_REGISTERED, 2);

    tl_msg *m = req(TL_M_RequestRegisterClient, 3);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "wrong");
    send(f, m);
    expect_error(f, AR_E_AUTH_FAILED, 3);
    m = req(TL_M_RequestRegisterClient, 4);
    tl_msg_set_str(m, TL_A_ApplicationName, "nobody");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "demo");
    send(f, m);
    expect_error(f, AR_E_AUTH_FAILED, 4);
    m = req(TL_M_RequestRegisterClient, 5);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    send(f, m); /* no password */
    expect_error(f, AR_E_AUTH_FAILED, 5);
    m = req(TL_M_RequestRegisterClient, 6);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "demo");
    tl_msg_set_int(m, TL_A_ProtocolVersion, 0);
    send(f, m);
    expect_error(f, AR_E_PROTOCOL_VERSION, 6);
    assert_false(gw_client_registered(f->c));

    /* The connection survived every failure; now the right credentials. */
    m = req(TL_M_RequestRegisterClient, 7);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "demo");
    tl_msg_set_int(m, TL_A_ProtocolVersion, 9);
    send(f, m);
    tl_msg *r = pop(f, TL_M_EventServerConnected);
    int64_t v;
    assert_true(tl_msg_get_int(r, TL_A_ReferenceID, &v));
    assert_int_equal(v, 7);
    assert_true(tl_msg_get_int(r, TL_A_ProtocolVersion, &v));
    assert_int_equal(v, TL_PROTO_VERSION_MAX);
    assert_string_equal(tl_msg_get_str(r, TL_A_ApplicationName), "gatewayd");
    assert_non_null(tl_msg_get_str(r, TL_A_ServerVersion));
    tl_msg_free(&r);
    expect_ref(f, TL_M_EventLinkConnected, 7);
    assert_true(gw_client_registered(f->c));

    m = req(TL_M_RequestRegisterClient, 8);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "demo");
    send(f, m);
    expect_error(f, AR_E_ALREADY_REGISTERED, 8);

    send(f, req(TL_M_RequestQueryServer, 9));
    r = pop(f, TL_M_EventServerInfo);
    const tl_kv *kv = tl_msg_get_kv(r, TL_A_ServerInfo);
    assert_non_null(kv);
    assert_string_equal(tl_kv_get_str(kv, "site"), "unit");
    assert_non_null(tl_kv_get(kv, "uptime"));
    assert_int_equal(tl_kv_get(kv, "clients")->u.i, 1);
    assert_true(tl_msg_get_int(r, TL_A_ServerStartTime, &v));
    tl_msg_free(&r);
    assert_int_equal(f->msgs->len, 0);
    fake_free(f);
    gw_server_free(&srv);
}

static void test_addresses(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *a = fake_new(srv, &cap_ops), *d = fake_new(srv, &cap_ops);
    do_register(a, "demo", "demo");
    do_register(d, "desk", "desk");

    send(a, req_dn(TL_M_RequestRegisterAddress, 1, "5001"));
    expect_ref(a, TL_M_EventRegistered, 1);
    send(a, req_dn(TL_M_RequestRegisterAddress, 2, "5001")); /* again: harmless */
    expect_ref(a, TL_M_EventRegistered, 2);
    send(a, req_dn(TL_M_RequestRegisterAddress, 3, "9999"));
    expect_error(a, AR_E_UNKNOWN_DN, 3);
    send(d, req_dn(TL_M_RequestRegisterAddress, 4, "5002"));
    expect_error(d, AR_E_DN_NOT_ALLOWED, 4);
    send(d, req_dn(TL_M_RequestRegisterAddress, 5, "5001"));
    expect_ref(d, TL_M_EventRegistered, 5);
    send(d, req_dn(TL_M_RequestQueryAddress, 6, "5002"));
    expect_error(d, AR_E_DN_NOT_ALLOWED, 6);

    send(a, req_dn(TL_M_RequestQueryAddress, 7, "5001"));
    tl_msg *r = pop(a, TL_M_EventAddressInfo);
    const tl_kv *kv = tl_msg_get_kv(r, TL_A_AddressInfo);
    assert_string_equal(tl_msg_get_str(r, TL_A_ThisDN), "5001");
    assert_string_equal(tl_kv_get_str(kv, "type"), "Extension");
    assert_int_equal(tl_kv_get(kv, "clients")->u.i, 2);
    assert_int_equal(tl_kv_get(kv, "record")->u.i, 0);
    tl_msg_free(&r);
    send(a, req_dn(TL_M_RequestQueryAddress, 8, "5010"));
    r = pop(a, TL_M_EventAddressInfo);
    assert_int_equal(tl_kv_get(tl_msg_get_kv(r, TL_A_AddressInfo), "record")->u.i, 1);
    tl_msg_free(&r);

    send(a, req_dn(TL_M_RequestUnregisterAddress, 9, "5002"));
    expect_error(a, AR_E_DN_NOT_REGISTERED, 9);
    send(a, req_dn(TL_M_RequestUnregisterAddress, 10, "5001"));
    expect_ref(a, TL_M_EventUnregistered, 10);
    send(a, req_dn(TL_M_RequestUnregisterAddress, 11, "5001"));
    expect_error(a, AR_E_DN_NOT_REGISTERED, 11);
    assert_int_equal(gw_dn_nsubs(gw_dn_find(srv->dns, "5001")), 1);

    /* Table checks: event instead of request, missing mandatory attribute, unsupported. */
    send(a, req(TL_M_EventRinging, 12));
    expect_error(a, AR_E_NOT_A_REQUEST, 12);
    send(a, req(TL_M_RequestRegisterAddress, 13));
    expect_error(a, AR_E_MISSING_ATTRIBUTE, 13);
    tl_msg *mk = req_dn(TL_M_RequestMakeCall, 14, "5001");
    tl_msg_set_str(mk, TL_A_OtherDN, "5002");
    send(a, mk);
    expect_error(a, AR_E_UNSUPPORTED_OPERATION, 14);
    assert_int_equal(a->msgs->len, 0);
    assert_int_equal(d->msgs->len, 0);
    fake_free(a);
    fake_free(d);
    gw_server_free(&srv);
}

static tl_msg *user_event(int64_t ref, const char *dn, bool with_connid)
{
    tl_msg *m = req_dn(TL_M_RequestSendEvent, ref, dn);
    tl_kv *kv = tl_kv_new();
    tl_kv_add_str(kv, "screen", "capture");
    tl_kv_add_int(kv, "n", 42);
    tl_msg_set_kv(m, TL_A_UserData, kv);
    if (with_connid)
        tl_msg_set_connid(m, TL_A_ConnID, 0x1234);
    return m;
}

static void test_fanout(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *a = fake_new(srv, &cap_ops), *b = fake_new(srv, &cap_ops), *c = fake_new(srv, &cap_ops);
    do_register(a, "demo", "demo");
    do_register(b, "desk", "desk");
    do_register(c, "demo", "demo");
    send(a, req_dn(TL_M_RequestRegisterAddress, 1, "5001"));
    send(b, req_dn(TL_M_RequestRegisterAddress, 1, "5001"));
    send(c, req_dn(TL_M_RequestRegisterAddress, 1, "5002"));
    tl_msg_free(&(tl_msg *){pop(a, TL_M_EventRegistered)});
    tl_msg_free(&(tl_msg *){pop(b, TL_M_EventRegistered)});
    tl_msg_free(&(tl_msg *){pop(c, TL_M_EventRegistered)});

    send(a, user_event(20, "5001", true));
    tl_msg *ack = pop(a, TL_M_EventACK);
    tl_msg *ea = pop(a, TL_M_EventUserEvent);
    tl_msg *eb = pop(b, TL_M_EventUserEvent);
    assert_int_equal(c->msgs->len, 0);
    int64_t s_ack, s_a, s_b, ref;
    tl_msg_get_int(ack, TL_A_EventSequenceNumber, &s_ack);
    tl_msg_get_int(ea, TL_A_EventSequenceNumber, &s_a);
    tl_msg_get_int(eb, TL_A_EventSequenceNumber, &s_b);
    assert_true(s_a > s_ack);
    assert_int_equal(s_a, s_b); /* one event, one sequence number, many receivers */
    assert_true(tl_msg_get_int(ack, TL_A_ReferenceID, &ref));
    assert_int_equal(ref, 20);
    assert_false(tl_msg_get_int(eb, TL_A_ReferenceID, &ref));
    assert_string_equal(tl_msg_get_str(eb, TL_A_ThisDN), "5001");
    assert_string_equal(tl_kv_get_str(tl_msg_get_kv(eb, TL_A_UserData), "screen"), "capture");
    uint64_t connid;
    assert_true(tl_msg_get_connid(eb, TL_A_ConnID, &connid));
    assert_int_equal(connid, 0x1234);
    tl_msg_free(&ack);
    tl_msg_free(&ea);
    tl_msg_free(&eb);

    /* The sender need not be registered on the DN, only allowed it. */
    send(c, user_event(21, "5001", false));
    expect_ref(c, TL_M_EventACK, 21);
    tl_msg *e = pop(a, TL_M_EventUserEvent);
    assert_false(tl_msg_get_connid(e, TL_A_ConnID, &connid));
    tl_msg_free(&e);
    tl_msg_free(&(tl_msg *){pop(b, TL_M_EventUserEvent)});
    assert_int_equal(c->msgs->len, 0);

    send(b, user_event(22, "5002", false));
    expect_error(b, AR_E_DN_NOT_ALLOWED, 22);
    tl_msg *dist = user_event(23, "5003", false);
    dist->type = TL_M_RequestDistributeUserEvent;
    send(a, dist);
    expect_ref(a, TL_M_EventACK, 23); /* nobody on 5003: only the ACK */
    assert_int_equal(a->msgs->len + b->msgs->len + c->msgs->len, 0);
    fake_free(a);
    fake_free(b);
    fake_free(c);
    gw_server_free(&srv);
}

static tl_msg *private_req(int64_t ref, int64_t id, const char *key, bool int_value, bool connid)
{
    tl_msg *m = req_dn(TL_M_RequestPrivateService, ref, "5001");
    tl_msg_set_int(m, TL_A_PrivateMsgID, id);
    tl_kv *kv = tl_kv_new();
    tl_kv_add_str(kv, "id", "rec-1");
    if (int_value)
        tl_kv_add_int(kv, key, 1);
    else
        tl_kv_add_str(kv, key, "1");
    tl_msg_set_kv(m, TL_A_Extensions, kv);
    if (connid)
        tl_msg_set_connid(m, TL_A_ConnID, 0xabc);
    return m;
}

static void test_private_service(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *a = fake_new(srv, &cap_ops);
    do_register(a, "demo", "demo");
    send(a, private_req(1, 3013, "record", true, true));
    tl_msg *e = pop(a, TL_M_EventError);
    int64_t code;
    tl_msg_get_int(e, TL_A_ErrorCode, &code);
    assert_int_equal(code, AR_E_WRONG_TYPE);
    assert_non_null(strstr(tl_msg_get_str(e, TL_A_ErrorMessage), "\"record\""));
    tl_msg_free(&e);
    send(a, private_req(2, 3014, "dest2", true, true));
    expect_error(a, AR_E_WRONG_TYPE, 2);
    send(a, private_req(3, 3013, "tonesilenceduration", true, true)); /* int allowed */
    expect_error(a, AR_E_UNKNOWN_CONNID, 3);
    send(a, private_req(4, 3016, "record", false, true));
    expect_error(a, AR_E_UNKNOWN_CONNID, 4);
    send(a, private_req(5, 3015, "record", false, false));
    expect_error(a, AR_E_MISSING_ATTRIBUTE, 5);
    send(a, private_req(6, 3012, "record", false, true));
    expect_error(a, AR_E_UNKNOWN_PRIVATE_MSG, 6);
    send(a, private_req(7, 3017, "record", false, true));
    expect_error(a, AR_E_UNKNOWN_PRIVATE_MSG, 7);
    assert_int_equal(a->msgs->len, 0);
    fake_free(a);
    gw_server_free(&srv);
}

/* A client that never drains its queue is dropped; the others get every event. */
static void test_slow_client_dropped(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *slow = fake_new(srv, &raw_ops), *ok = fake_new(srv, &cap_ops),
         *snd = fake_new(srv, &cap_ops);
    do_register(ok, "demo", "demo");
    do_register(snd, "demo", "demo");
    tl_msg *m = req(TL_M_RequestRegisterClient, 1);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "demo");
    send(slow, m);
    send(slow, req_dn(TL_M_RequestRegisterAddress, 2, "5001"));
    send(ok, req_dn(TL_M_RequestRegisterAddress, 2, "5001"));
    tl_msg_free(&(tl_msg *){pop(ok, TL_M_EventRegistered)});
    assert_true(ar_buf_pending(&slow->c->out) > 0); /* bytes queued, nothing writes them */

    int i;
    for (i = 0; i < 200 && !slow->closed; i++) {
        send(snd, user_event(10 + i, "5001", false));
        expect_ref(snd, TL_M_EventACK, 10 + i);
    }
    assert_true(slow->closed);
    assert_null(slow->c);
    assert_true(i > 5); /* it took a few kilobytes, not the first event */
    assert_int_equal(srv->clients_dropped, 1);
    assert_int_equal(gw_dn_nsubs(gw_dn_find(srv->dns, "5001")), 1);
    send(snd, user_event(999, "5001", false));
    expect_ref(snd, TL_M_EventACK, 999);
    assert_int_equal(ok->msgs->len, (size_t)i + 1);
    fake_free(slow);
    fake_free(ok);
    fake_free(snd);
    gw_server_free(&srv);
}

static void test_reload_keeps_clients(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *a = fake_new(srv, &cap_ops), *d = fake_new(srv, &cap_ops);
    do_register(a, "demo", "demo");
    do_register(d, "desk", "desk");
    send(a, req_dn(TL_M_RequestRegisterAddress, 1, "5001"));
    send(a, req_dn(TL_M_RequestRegisterAddress, 2, "5002"));
    send(d, req_dn(TL_M_RequestRegisterAddress, 3, "5001"));
    g_ptr_array_set_size(a->msgs, 0);
    g_ptr_array_set_size(d->msgs, 0);

    /* 5002 disappears, 5001 becomes recorded, desk loses 5001 and gains 5003. */
    gw_config_errors errs = {0};
    gw_config *cfg = gw_config_parse("new.conf",
                                     "[dn 5001]\ntype=Extension\nrecord=true\n"
                                     "[dn 5003]\ntype=Extension\n"
                                     "[application demo]\npassword=demo\ndns=*\n"
                                     "[application desk]\npassword=desk\ndns=5003\n",
                                     &errs);
    assert_non_null(cfg);
    gw_server_reload(srv, cfg);
    assert_int_equal(srv->n_clients, 2);
    assert_true(gw_client_registered(a->c));
    assert_int_equal(a->c->dns->len, 1);
    assert_int_equal(d->c->dns->len, 0);
    assert_int_equal(gw_dn_nsubs(gw_dn_find(srv->dns, "5001")), 1);
    assert_null(gw_dn_find(srv->dns, "5002"));

    send(a, req_dn(TL_M_RequestQueryAddress, 4, "5001"));
    tl_msg *r = pop(a, TL_M_EventAddressInfo);
    assert_int_equal(tl_kv_get(tl_msg_get_kv(r, TL_A_AddressInfo), "record")->u.i, 1);
    tl_msg_free(&r);
    send(d, req_dn(TL_M_RequestRegisterAddress, 5, "5003"));
    expect_ref(d, TL_M_EventRegistered, 5);
    send(d, req_dn(TL_M_RequestRegisterAddress, 6, "5001"));
    expect_error(d, AR_E_DN_NOT_ALLOWED, 6);

    /* The application itself removed: the client stays but must register again. */
    cfg = gw_config_parse("new2.conf",
                          "[dn 5001]\ntype=Extension\n[application demo]\npassword=demo\ndns=*\n",
                          &errs);
    gw_server_reload(srv, cfg);
    assert_false(gw_client_registered(d->c));
    send(d, req(TL_M_RequestQueryServer, 7));
    expect_error(d, AR_E_NOT_REGISTERED, 7);
    fake_free(a);
    fake_free(d);
    gw_server_free(&srv);
}

static void test_wire_input(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *a = fake_new(srv, &cap_ops);
    ar_buf in = {0};
    tl_msg *q = req(TL_M_RequestQueryServer, 5);
    assert_int_equal(tl_bin_encode(q, 1, &in), 0);
    size_t one = in.len;
    assert_int_equal(tl_bin_encode(q, 1, &in), 0);
    in.len -= 3; /* second frame incomplete */
    tl_msg_free(&q);
    assert_int_equal(gw_tlib_input_bin(a->c, &in), 1);
    assert_int_equal(ar_buf_pending(&in), one - 3);
    expect_error(a, AR_E_NOT_REGISTERED, 5);

    gw_tlib_input_json(a->c, "{\"message\":", 11);
    expect_error(a, AR_E_BAD_JSON, -1);
    gw_tlib_input_json(a->c, "{\"message\":\"RequestNope\",\"ReferenceID\":3}", 41);
    tl_msg *e = pop(a, TL_M_EventError);
    tl_msg_free(&e);
    assert_false(a->c->closing);

    ar_buf_reset(&in);
    ar_buf_append(&in, "garbage!", 8);
    gw_tlib_input_bin(a->c, &in);
    expect_error(a, AR_E_FRAME_MAGIC, -1);
    assert_true(a->c->closing);
    gw_server_flush(srv);
    assert_true(a->closed);
    ar_buf_free(&in);
    fake_free(a);
    gw_server_free(&srv);
}

/* Decode everything queued for a raw client (binary frames or JSON records). */
static GPtrArray *drain(fake *f)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(free_msg);
    ar_buf *b = &f->c->out;
    while (ar_buf_pending(b) > 0) {
        tl_msg *m = NULL;
        tl_decode_err err;
        if (f->c->enc == GW_ENC_BIN) {
            size_t used = 0;
            assert_int_equal(
                tl_bin_decode(ar_buf_head(b), ar_buf_pending(b), 1u << 20, &m, &used, &err),
                TL_DEC_OK);
            ar_buf_consume(b, used);
        } else {
            uint32_t len;
            assert_true(ar_buf_pending(b) >= sizeof len + GW_WS_PAD);
            memcpy(&len, ar_buf_head(b), sizeof len);
            const char *json = (const char *)ar_buf_head(b) + sizeof len + GW_WS_PAD;
            assert_int_equal(tl_json_decode(json, len, &m, &err), TL_DEC_OK);
            ar_buf_consume(b, sizeof len + GW_WS_PAD + len);
        }
        g_ptr_array_add(out, m);
    }
    return out;
}

/* The shared encodings reach binary and JSON subscribers intact, one record each. */
static void test_wire_fanout(void **state)
{
    (void)state;
    gw_server *srv = srv_new(conf_text);
    fake *bin = fake_new(srv, &raw_ops), *js = fake_new(srv, &raw_json_ops);
    fake *bin2 = fake_new(srv, &raw_ops), *snd = fake_new(srv, &cap_ops);
    do_register(snd, "demo", "demo");
    fake *subs[] = {bin, js, bin2};
    for (size_t i = 0; i < G_N_ELEMENTS(subs); i++) {
        tl_msg *m = req(TL_M_RequestRegisterClient, 1);
        tl_msg_set_str(m, TL_A_ApplicationName, "demo");
        tl_msg_set_str(m, TL_A_ApplicationPassword, "demo");
        send(subs[i], m);
        send(subs[i], req_dn(TL_M_RequestRegisterAddress, 2, "5002"));
    }
    send(snd, user_event(3, "5002", true));
    send(snd, user_event(4, "5002", false));
    expect_ref(snd, TL_M_EventACK, 3);
    expect_ref(snd, TL_M_EventACK, 4);
    int64_t seq[G_N_ELEMENTS(subs)][2];
    for (size_t i = 0; i < G_N_ELEMENTS(subs); i++) {
        GPtrArray *got = drain(subs[i]);
        assert_int_equal(got->len, 5); /* ServerConnected, LinkConnected, Registered, 2 events */
        assert_int_equal(((tl_msg *)got->pdata[2])->type, TL_M_EventRegistered);
        for (int k = 0; k < 2; k++) {
            tl_msg *e = got->pdata[3 + k];
            assert_int_equal(e->type, TL_M_EventUserEvent);
            assert_string_equal(tl_msg_get_str(e, TL_A_ThisDN), "5002");
            assert_int_equal(tl_kv_get(tl_msg_get_kv(e, TL_A_UserData), "n")->u.i, 42);
            assert_true(tl_msg_get_int(e, TL_A_EventSequenceNumber, &seq[i][k]));
        }
        uint64_t connid;
        assert_true(tl_msg_get_connid(got->pdata[3], TL_A_ConnID, &connid));
        assert_int_equal(connid, 0x1234);
        g_ptr_array_free(got, TRUE);
    }
    for (size_t i = 1; i < G_N_ELEMENTS(subs); i++) {
        assert_int_equal(seq[i][0], seq[0][0]);
        assert_int_equal(seq[i][1], seq[0][1]);
    }
    assert_true(seq[0][1] > seq[0][0]);
    fake_free(bin);
    fake_free(js);
    fake_free(bin2);
    fake_free(snd);
    gw_server_free(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registration),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_fanout),
        cmocka_unit_test(test_private_service),
        cmocka_unit_test(test_slow_client_dropped),
        cmocka_unit_test(test_reload_keeps_clients),
        cmocka_unit_test(test_wire_input),
        cmocka_unit_test(test_wire_fanout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
