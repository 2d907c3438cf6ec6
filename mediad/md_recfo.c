/* Recorder failover support in mediad: keepalive OPTIONS on recording dialogs, failover gap. */
#include "md_recfo.h"

#include "ar_log.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/su_tag.h>

#include <glib.h>

#include <stdio.h>

#define GAP_POLL_MS  10
#define GAP_POLL_MAX 1000 /* 10 s: a session that stays paused reports no gap */

/* Wall clock of r's first (first = 1) or latest RTP sent, over its streams; 0 = none. */
static int64_t tx_time(const md_rec *r, int first)
{
    int64_t t = 0;
    for (int i = 0; i < r->nm; i++) {
        if (!r->m[i].st)
            continue;
        md_stream_stats st;
        md_stream_get_stats(r->m[i].st, &st);
        int64_t v = (int64_t)(first ? st.tx_first_us : st.tx_last_us);
        if (v && (!t || (first ? v < t : v > t)))
            t = v;
    }
    return t;
}

/* Keepalive steps of every recording session, in one queue under one GLib timer: a
 * timeout source per session made each loop iteration (one per SIP message) prepare and
 * check hundreds of sources. The period is the same for all (--rec-keepalive), so
 * appending keeps the queue in deadline order and the timer waits for its head. */
static GQueue ka_queue = G_QUEUE_INIT;
static guint ka_source;
static int64_t ka_source_due;

static gboolean on_keepalive_due(gpointer data);

static void ka_rearm(void)
{
    md_rec *head = g_queue_peek_head(&ka_queue);
    if (head && ka_source && ka_source_due == head->ka_due_us)
        return;
    if (ka_source) {
        g_source_remove(ka_source);
        ka_source = 0;
    }
    if (!head)
        return;
    int64_t wait_us = head->ka_due_us - g_get_monotonic_time();
    ka_source_due = head->ka_due_us;
    ka_source =
        g_timeout_add(wait_us > 0 ? (guint)((wait_us + 999) / 1000) : 0, on_keepalive_due, NULL);
}

static void ka_add(md_rec *r, unsigned period_ms)
{
    r->ka_due_us = g_get_monotonic_time() + (int64_t)period_ms * 1000;
    g_queue_push_tail(&ka_queue, r);
    r->ka_link = ka_queue.tail;
    ka_rearm();
}

static void ka_remove(md_rec *r)
{
    if (!r->ka_link)
        return;
    g_queue_delete_link(&ka_queue, r->ka_link);
    r->ka_link = NULL;
    ka_rearm();
}

/* One period of r: returns 1 to keep it queued. */
static int keepalive_step(md_rec *r)
{
    md_ctx *ctx = r->call->ctx;
    if (r->ka_pending) {
        /* A silent recorder (process stopped, host gone without ICMP): a miss is a failure,
           so detection costs at most two periods, not SIP's 32 s. */
        char reason[96];
        snprintf(reason, sizeof(reason), "recorder did not answer keepalive OPTIONS within %u ms",
                 ctx->cfg.rec_keepalive_ms);
        md_recsess_fail(ctx, r, 408, reason);
        return 0;
    }
    /* A re-INVITE in progress is its own liveness check. */
    if (r->fsm.state == MD_REC_ACTIVE && r->nh) {
        r->ka_pending = 1;
        nua_options((nua_handle_t *)r->nh, TAG_END());
    }
    return 1;
}

static gboolean on_keepalive_due(gpointer data)
{
    (void)data;
    ka_source = 0;
    int64_t now = g_get_monotonic_time();
    md_rec *r;
    /* Unlinked before its step: a failure may free r or stop other sessions (their
     * entries leave the queue, so the head is read afresh each time). */
    while ((r = g_queue_peek_head(&ka_queue)) && r->ka_due_us <= now) {
        g_queue_delete_link(&ka_queue, r->ka_link);
        r->ka_link = NULL;
        if (keepalive_step(r)) {
            r->ka_due_us = now + (int64_t)r->call->ctx->cfg.rec_keepalive_ms * 1000;
            g_queue_push_tail(&ka_queue, r);
            r->ka_link = ka_queue.tail;
        }
    }
    ka_rearm();
    return G_SOURCE_REMOVE;
}

static gboolean on_gap_poll(gpointer data)
{
    md_rec *r = data;
    md_call *c = r->call;
    int d = r->dest_index;
    int64_t first = tx_time(r, 1);
    if (!first) {
        if (++r->ka_pending_gap < GAP_POLL_MAX)
            return G_SOURCE_CONTINUE;
        LOG_INFO(rec, "conference %s: recording %s: no RTP to %s within %d ms of the failover",
                 c->conf, r->record_id, r->dest, GAP_POLL_MS * GAP_POLL_MAX);
        r->gap_timer = 0;
        c->fo_last_us[d] = 0;
        return G_SOURCE_REMOVE;
    }
    r->gap_timer = 0;
    int64_t gap_ms = (first - c->fo_last_us[d]) / 1000;
    /* RTP sent after the old recorder's last sign of life may be lost too: the upper bound. */
    int64_t alive = c->fo_alive_us[d] && c->fo_alive_us[d] < c->fo_last_us[d] ? c->fo_alive_us[d]
                                                                              : c->fo_last_us[d];
    char gap[24], gapmax[24], last[24], firsts[24];
    snprintf(gap, sizeof(gap), "%lld", (long long)gap_ms);
    snprintf(gapmax, sizeof(gapmax), "%lld", (long long)((first - alive) / 1000));
    snprintf(last, sizeof(last), "%lld", (long long)(c->fo_last_us[d] / 1000));
    snprintf(firsts, sizeof(firsts), "%lld", (long long)(first / 1000));
    LOG_WARN(rec,
             "conference %s: recording %s failed over from %s to %s: gap %s ms (at most %s ms "
             "since the old recorder's last sign of life)",
             c->conf, r->record_id, c->fo_from[d], r->dest, gap, gapmax);
    const char *kv[] = {"id", r->record_id, "dest", r->dest,       "from", c->fo_from[d],  "gap-ms",
                        gap,  "gap-max-ms", gapmax, "last-packet", last,   "first-packet", firsts,
                        NULL};
    md_sip_send_event(c, "msml.recorder.failover", kv);
    c->fo_last_us[d] = 0;
    return G_SOURCE_REMOVE;
}

void md_recfo_answered(md_ctx *ctx, md_rec *r)
{
    r->ka_ok_us = g_get_real_time();
    if (ctx->cfg.rec_keepalive_ms && !r->ka_link)
        ka_add(r, ctx->cfg.rec_keepalive_ms);
    if (r->call->fo_last_us[r->dest_index] && !r->gap_timer) {
        r->ka_pending_gap = 0;
        r->gap_timer = g_timeout_add(GAP_POLL_MS, on_gap_poll, r);
    }
}

void md_recfo_options_answer(md_ctx *ctx, md_rec *r, int status, const char *phrase)
{
    if (status < 200)
        return;
    r->ka_pending = 0;
    if (status < 300)
        r->ka_ok_us = g_get_real_time();
    /* 405/501 and the like still prove a live peer; 408, 481 (dialog gone) and what nua
       reports for an unreachable address (503 after ICMP port unreachable) do not. */
    if (status == 408 || status == 481 || (status >= 500 && status != 501 && status < 600)) {
        char reason[160];
        snprintf(reason, sizeof(reason), "recorder keepalive OPTIONS answered %d %s", status,
                 phrase ? phrase : "");
        ka_remove(r);
        md_recsess_fail(ctx, r, status, reason);
    }
}

void md_recfo_report(md_ctx *ctx, md_rec *r, int status, const char *reason)
{
    (void)ctx;
    md_call *c = r->call;
    int d = r->dest_index;
    int64_t last = tx_time(r, 0);
    /* A replacement that fails before sending keeps the first failure's time: the gap
       runs from the last packet any recorder of this copy got. */
    if (last) {
        c->fo_last_us[d] = last;
        c->fo_alive_us[d] = r->ka_ok_us;
        snprintf(c->fo_from[d], sizeof(c->fo_from[d]), "%s", r->dest);
    }
    LOG_WARN(rec, "conference %s: recording %s to %s failed: %s", c->conf, r->record_id, r->dest,
             reason);
    char st[16], lp[24];
    snprintf(st, sizeof(st), "%d", status);
    snprintf(lp, sizeof(lp), "%lld", (long long)(c->fo_last_us[d] / 1000));
    const char *kv[] = {"reason", reason,  "status",
                        st,       "id",    r->record_id,
                        "dest",   r->dest, c->fo_last_us[d] ? "last-packet" : NULL,
                        lp,       NULL};
    md_sip_send_event(c, "msml.recorder.error", kv);
}

void md_recfo_stop(md_rec *r)
{
    ka_remove(r);
    if (r->gap_timer) {
        g_source_remove(r->gap_timer);
        r->gap_timer = 0;
    }
    r->ka_pending = 0;
}
