/* A transport-neutral T-Lib client session: application, registered DNs, output queue. */
#include "gw_client.h"

#include <stdarg.h>
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_dn.h"
#include "gw_server.h"
#include "tl_codec.h"

gw_client *gw_client_new(gw_server *srv, const gw_client_ops *ops, void *tp, gw_enc enc,
                         const char *peer)
{
    gw_client *c = g_new0(gw_client, 1);
    c->srv = srv;
    c->ops = ops;
    c->tp = tp;
    c->enc = enc;
    c->version = TL_PROTO_VERSION_MAX;
    c->id = ++srv->next_client_id;
    g_strlcpy(c->peer, peer ? peer : "?", sizeof c->peer);
    c->dns = g_ptr_array_new();
    c->connected_us = gw_now_us();
    c->next = srv->clients;
    if (srv->clients)
        srv->clients->prev = c;
    srv->clients = c;
    srv->n_clients++;
    LOG_DEBUG(tlib, "client #%llu connected over %s from %s", (unsigned long long)c->id, ops->name,
              c->peer);
    return c;
}

void gw_client_free(gw_client **pc)
{
    gw_client *c = *pc;
    if (!c)
        return;
    gw_server *srv = c->srv;
    for (guint i = 0; i < c->dns->len; i++)
        gw_dn_unsubscribe(c->dns->pdata[i], c);
    g_ptr_array_free(c->dns, TRUE);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->n_clients--;
    if (c->dirty) {
        for (gw_client **pp = &srv->dirty; *pp; pp = &(*pp)->dirty_next) {
            if (*pp == c) {
                *pp = c->dirty_next;
                break;
            }
        }
    }
    g_ptr_array_remove_fast(srv->reap, c);
    LOG_DEBUG(tlib, "client #%llu (%s) freed", (unsigned long long)c->id, c->peer);
    ar_buf_free(&c->out);
    g_free(c->app_name);
    g_free(c->close_reason);
    g_free(c);
    *pc = NULL;
}

/* Drop a client whose queue passed the limit: its backlog is useless, free it now. */
static void check_limit(gw_client *c)
{
    uint64_t limit = c->srv->cfg->client_queue_limit;
    size_t pending = ar_buf_pending(&c->out);
    if (pending <= limit)
        return;
    ar_buf_reset(&c->out);
    c->srv->clients_dropped++;
    gw_client_drop(c, "output queue %zu bytes above client-queue-limit %llu (client not reading)",
                   pending, (unsigned long long)limit);
}

void gw_client_queue(gw_client *c, const uint8_t *p, size_t n)
{
    if (c->closing)
        return;
    if (c->enc == GW_ENC_JSON && c->ops->queue_json) {
        if (c->ops->queue_json(c, p, n))
            goto nomem;
        gw_server_mark_dirty(c->srv, c);
        check_limit(c);
        return;
    }
    if (c->enc == GW_ENC_JSON) {
        uint32_t len = (uint32_t)n;
        uint8_t pad[GW_WS_PAD] = {0};
        if (ar_buf_append(&c->out, &len, sizeof len) || ar_buf_append(&c->out, pad, sizeof pad))
            goto nomem;
    }
    if (ar_buf_append(&c->out, p, n))
        goto nomem;
    gw_server_mark_dirty(c->srv, c);
    check_limit(c);
    return;
nomem:
    gw_client_drop(c, "out of memory queueing output");
}

void gw_client_send(gw_client *c, tl_msg *m)
{
    if (c->closing)
        return;
    gw_server_stamp(c->srv, m);
    c->srv->events_sent++;
    if (c->ops->capture) {
        c->ops->capture(c, m);
        return;
    }
    int rc;
    if (c->enc == GW_ENC_JSON && c->ops->queue_json) {
        /* Encoded aside, then numbered by the transport (one loop thread: static is safe). */
        static ar_buf tmp;
        ar_buf_reset(&tmp);
        rc = tl_json_encode(m, &tmp);
        if (rc == 0) {
            gw_client_queue(c, ar_buf_head(&tmp), ar_buf_pending(&tmp));
            return;
        }
    } else if (c->enc == GW_ENC_BIN) {
        rc = tl_bin_encode(m, c->version, &c->out);
    } else {
        /* Reserve the record header, encode in place, then patch the length. */
        size_t at = c->out.len;
        uint8_t hdr[sizeof(uint32_t) + GW_WS_PAD] = {0};
        if (ar_buf_append(&c->out, hdr, sizeof hdr)) {
            rc = AR_E_NOMEM;
        } else {
            rc = tl_json_encode(m, &c->out);
            if (rc == 0) {
                uint32_t len = (uint32_t)(c->out.len - at - sizeof hdr);
                memcpy(c->out.data + at, &len, sizeof len);
            } else {
                c->out.len = at;
            }
        }
    }
    if (rc != 0) {
        const tl_msg_info *mi = tl_msg_info_get(m->type);
        LOG_ERR(tlib, "client #%llu: cannot encode %s: %s", (unsigned long long)c->id,
                mi ? mi->name : "?", ar_strerror(rc));
        return;
    }
    gw_server_mark_dirty(c->srv, c);
    check_limit(c);
}

void gw_client_drop(gw_client *c, const char *fmt, ...)
{
    if (c->closing)
        return;
    va_list ap;
    va_start(ap, fmt);
    c->close_reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    c->closing = true;
    LOG_WARN(tlib, "dropping client #%llu %s from %s (application %s): %s",
             (unsigned long long)c->id, c->ops->name, c->peer, c->app_name ? c->app_name : "-",
             c->close_reason);
    g_ptr_array_add(c->srv->reap, c);
}

bool gw_client_has_dn(const gw_client *c, const struct gw_dn *dn)
{
    for (guint i = 0; i < c->dns->len; i++)
        if (c->dns->pdata[i] == dn)
            return true;
    return false;
}
