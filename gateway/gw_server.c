/* gatewayd's shared state: configuration, DN table, clients, event stamping and fan-out. */
#include "gw_server.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_db_cdr.h"
#include "gw_desk_call.h"
#include "gw_pool.h"
#include "tl_codec.h"

int64_t gw_now_us(void)
{
    return g_get_real_time();
}

gw_server *gw_server_new(gw_config *cfg)
{
    gw_server *srv = g_new0(gw_server, 1);
    srv->cfg = cfg;
    srv->dns = gw_dn_table_new(cfg);
    srv->pools = gw_pools_new(cfg);
    srv->start_us = gw_now_us();
    srv->start_mono_us = g_get_monotonic_time();
    srv->reap = g_ptr_array_new();
    return srv;
}

void gw_server_free(gw_server **psrv)
{
    gw_server *srv = *psrv;
    if (!srv)
        return;
    if (srv->n_clients)
        LOG_ERR(core, "server freed with %zu clients still open", srv->n_clients);
    gw_dn_table_free(&srv->dns);
    gw_pools_free(&srv->pools); /* leases still held keep their members alive */
    gw_config_free(&srv->cfg);
    g_ptr_array_free(srv->reap, TRUE);
    ar_buf_free(&srv->enc_bin);
    ar_buf_free(&srv->enc_json);
    g_free(srv);
    *psrv = NULL;
}

void gw_server_stamp(gw_server *srv, tl_msg *m)
{
    tl_msg_set_int(m, TL_A_EventSequenceNumber, (int64_t)++srv->seq);
    tl_msg_set_int(m, TL_A_TimeStamp, gw_now_us());
}

void gw_server_mark_dirty(gw_server *srv, gw_client *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    c->dirty_next = srv->dirty;
    srv->dirty = c;
}

size_t gw_server_publish(gw_server *srv, gw_dn *dn, tl_msg *m)
{
    size_t n = 0;
    unsigned bin_version = 0;
    gw_server_stamp(srv, m);
    /* CDR rows come from the events themselves, whoever is subscribed (docs/database.md). */
    gw_db_cdr_event(srv->db, m, dn->conf && dn->conf->record, gw_now_us());
    srv->have_bin = srv->have_json = false;
    for (guint i = 0; i < dn->subs->len; i++) {
        gw_client *c = dn->subs->pdata[i];
        if (c->closing)
            continue;
        n++;
        srv->events_sent++;
        if (c->ops->capture) {
            c->ops->capture(c, m);
            continue;
        }
        ar_buf *enc;
        if (c->enc == GW_ENC_BIN) {
            if (!srv->have_bin || bin_version != c->version) {
                ar_buf_reset(&srv->enc_bin);
                if (tl_bin_encode(m, c->version, &srv->enc_bin) != 0)
                    goto encode_failed;
                srv->have_bin = true;
                bin_version = c->version;
            }
            enc = &srv->enc_bin;
        } else {
            if (!srv->have_json) {
                ar_buf_reset(&srv->enc_json);
                if (tl_json_encode(m, &srv->enc_json) != 0)
                    goto encode_failed;
                srv->have_json = true;
            }
            enc = &srv->enc_json;
        }
        gw_client_queue(c, ar_buf_head(enc), ar_buf_pending(enc));
    }
    /* Desktops that asked for the call view get the call's new state after the event. */
    gw_desk_call_event(srv, dn, m);
    return n;

encode_failed:
    LOG_ERR(tlib, "cannot encode event %u for DN %s", m->type, dn->number);
    return n;
}

void gw_server_flush(gw_server *srv)
{
    if (srv->flush_hold > 0)
        return;
    while (srv->dirty) {
        gw_client *c = srv->dirty;
        srv->dirty = c->dirty_next;
        c->dirty_next = NULL;
        c->dirty = false;
        if (!c->closing && c->ops->flush)
            c->ops->flush(c);
    }
    /* close() may free the client, which also takes it out of the reap list. */
    while (srv->reap->len) {
        gw_client *c = srv->reap->pdata[srv->reap->len - 1];
        g_ptr_array_remove_index(srv->reap, srv->reap->len - 1);
        c->ops->close(c);
    }
}

void gw_server_hold_flush(gw_server *srv)
{
    srv->flush_hold++;
}

void gw_server_release_flush(gw_server *srv)
{
    if (srv->flush_hold > 0 && --srv->flush_hold == 0)
        gw_server_flush(srv);
}

static void log_change(void *ud, const char *line)
{
    (void)ud;
    LOG_INFO(config, "reload: %s", line);
}

/* A DN vanished from the configuration: its registrations end. */
static void dn_removed(void *ud, gw_dn *dn)
{
    (void)ud;
    for (guint i = 0; i < dn->subs->len; i++) {
        gw_client *c = dn->subs->pdata[i];
        g_ptr_array_remove(c->dns, dn);
        LOG_WARN(config, "reload: DN %s removed; client #%llu (%s, %s) no longer registered on it",
                 dn->number, (unsigned long long)c->id, c->peer, c->app_name ? c->app_name : "-");
    }
    g_ptr_array_set_size(dn->subs, 0);
}

/* After a reload: point each client at its application's new settings. */
static void client_reapply(gw_server *srv, gw_client *c)
{
    if (!c->app_name)
        return;
    c->app = gw_config_find_app(srv->cfg, c->app_name);
    if (!c->app) {
        LOG_WARN(config, "reload: application %s removed; client #%llu (%s) must register again",
                 c->app_name, (unsigned long long)c->id, c->peer);
        for (guint i = 0; i < c->dns->len; i++)
            gw_dn_unsubscribe(c->dns->pdata[i], c);
        g_ptr_array_set_size(c->dns, 0);
        g_free(c->app_name);
        c->app_name = NULL;
        return;
    }
    for (guint i = 0; i < c->dns->len;) {
        gw_dn *dn = c->dns->pdata[i];
        if (gw_dn_set_contains(&c->app->dns, dn->number)) {
            i++;
            continue;
        }
        LOG_WARN(config,
                 "reload: application %s no longer allows DN %s; client #%llu (%s) unregistered",
                 c->app_name, dn->number, (unsigned long long)c->id, c->peer);
        gw_dn_unsubscribe(dn, c);
        g_ptr_array_remove_index_fast(c->dns, i);
    }
}

void gw_server_reload(gw_server *srv, gw_config *cfg)
{
    gw_config *old = srv->cfg;
    size_t n = gw_config_diff(old, cfg, log_change, NULL);
    if (strcmp(old->tlib_listen.host, cfg->tlib_listen.host) ||
        old->tlib_listen.port != cfg->tlib_listen.port ||
        strcmp(old->ws_listen.host, cfg->ws_listen.host) ||
        old->ws_listen.port != cfg->ws_listen.port)
        LOG_WARN(config, "reload: listen address changes take effect at the next restart");
    srv->cfg = cfg;
    gw_dn_table_apply(srv->dns, cfg, dn_removed, srv);
    gw_pools_reload(srv->pools, cfg); /* members kept by address with their ports in use */
    for (gw_client *c = srv->clients; c; c = c->next)
        client_reapply(srv, c);
    gw_config_free(&old);
    LOG_INFO(config, "configuration reloaded from %s: %zu change(s), %zu DNs, %zu clients kept",
             cfg->path, n, gw_dn_table_size(srv->dns), srv->n_clients);
}
