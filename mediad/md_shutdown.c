/* mediad's bounded SIP shutdown: tracks released handles, ends everything within a bound. */
#include "md_shutdown.h"

#include "ar_log.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/su_tag.h>

void md_shutdown_orphan(md_ctx *ctx, void *nh)
{
    if (!nh)
        return;
    nua_handle_bind((nua_handle_t *)nh, NULL);
    if (!ctx)
        return;
    if (!ctx->orphans)
        ctx->orphans = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(ctx->orphans, nh);
}

void md_shutdown_forget(md_ctx *ctx, void *nh)
{
    if (ctx && ctx->orphans)
        g_hash_table_remove(ctx->orphans, nh);
}

unsigned md_shutdown_norphans(const md_ctx *ctx)
{
    return ctx->orphans ? g_hash_table_size(ctx->orphans) : 0;
}

static gboolean on_expired(gpointer data)
{
    *(int *)data = 1;
    return G_SOURCE_REMOVE;
}

static int all_gone(md_ctx *ctx)
{
    return g_hash_table_size(ctx->calls) == 0 && md_shutdown_norphans(ctx) == 0;
}

/* Run the loop until done(ctx) or timeout_ms pass (after the main loop, at stop only). */
static void wait_until(md_ctx *ctx, int (*done)(md_ctx *), unsigned timeout_ms)
{
    int expired = 0;
    guint t = g_timeout_add(timeout_ms, on_expired, &expired);
    while (!done(ctx) && !expired)
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(t);
}

static int nua_down(md_ctx *ctx)
{
    return ctx->shutdown_done;
}

static void bye_all(gpointer key, gpointer value, gpointer user)
{
    (void)key;
    (void)user;
    md_call *c = value;
    for (int i = 0; i < c->nlegs; i++)
        if (c->legs[i]->nh)
            nua_bye((nua_handle_t *)c->legs[i]->nh, TAG_END());
    for (int i = 0; i < c->nrecs; i++)
        if (c->recs[i]->nh)
            nua_bye((nua_handle_t *)c->recs[i]->nh, TAG_END());
}

/* Destroying a handle ends its transactions in nua, so nua_shutdown need not wait for
 * the peer's answer (Timer B / F, 32 s). The calls themselves are freed by md_sip_stop. */
static void drop_handle(void **pnh)
{
    if (!*pnh)
        return;
    nua_handle_bind((nua_handle_t *)*pnh, NULL);
    nua_handle_destroy((nua_handle_t *)*pnh);
    *pnh = NULL;
}

static void drop_call_handles(gpointer key, gpointer value, gpointer user)
{
    (void)key;
    (void)user;
    md_call *c = value;
    for (int i = 0; i < c->nlegs; i++)
        drop_handle(&c->legs[i]->nh);
    for (int i = 0; i < c->nrecs; i++) {
        drop_handle(&c->recs[i]->nh);
        for (int k = 0; k < c->recs[i]->nfork; k++)
            drop_handle(&c->recs[i]->fork_nh[k]);
    }
}

int md_shutdown_run(md_ctx *ctx)
{
    gint64 t0 = g_get_monotonic_time();
    unsigned bound = ctx->cfg.shutdown_ms;
    g_hash_table_foreach(ctx->calls, bye_all, NULL);
    /* nua ignores everything but nua_shutdown once it is called: wait here first, so the
     * BYEs and CANCELs get their answers while the handles can still be destroyed. */
    if (bound)
        wait_until(ctx, all_gone, bound);
    unsigned ncalls = g_hash_table_size(ctx->calls), norph = md_shutdown_norphans(ctx);
    if (ncalls || norph) {
        LOG_WARN(sip,
                 "shutdown: %u call(s) and %u released recording handle(s) not ended in %u ms: "
                 "destroyed",
                 ncalls, norph, bound);
        g_hash_table_foreach(ctx->calls, drop_call_handles, NULL);
        if (ctx->orphans) {
            GHashTableIter it;
            gpointer nh;
            g_hash_table_iter_init(&it, ctx->orphans);
            while (g_hash_table_iter_next(&it, &nh, NULL)) {
                g_hash_table_iter_remove(&it);
                nua_handle_destroy((nua_handle_t *)nh);
            }
        }
    }
    /* nua_shutdown completes through nua_r_shutdown (md_sip.c sets shutdown_done). */
    nua_shutdown((nua_t *)ctx->nua);
    wait_until(ctx, nua_down, MD_SHUTDOWN_FINAL_MS);
    LOG_INFO(sip, "SIP shutdown %s after %" G_GINT64_FORMAT " ms",
             ctx->shutdown_done ? "complete" : "cut short", (g_get_monotonic_time() - t0) / 1000);
    if (ctx->orphans) {
        g_hash_table_destroy(ctx->orphans);
        ctx->orphans = NULL;
    }
    return ctx->shutdown_done;
}
