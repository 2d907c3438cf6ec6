/* Parallel forking of a recording session's INVITE: every recorder of the pool, first 2xx wins. */
#include "md_recfork.h"

#include <stdlib.h>
#include <string.h>

#include "ar_log.h"
#include "md_shutdown.h"

int md_recfork_invite(md_ctx *ctx, md_rec *r, int (*send)(md_ctx *, md_rec *))
{
    int sent = 0;
    for (int k = 0; k < r->nfork; k++) {
        r->nh = nua_handle((nua_t *)ctx->nua, (nua_hmagic_t *)r, NUTAG_URL(r->fork_ruri[k]),
                           SIPTAG_TO_STR(r->fork_ruri[k]), TAG_END());
        if (!r->nh || send(ctx, r) != 0) {
            if (r->nh)
                nua_handle_destroy((nua_handle_t *)r->nh);
            r->fork_failed++;
            continue;
        }
        r->fork_nh[k] = r->nh;
        sent++;
    }
    r->nh = NULL; /* no winner yet */
    LOG_INFO(rec, "recording %s: INVITE forked to %d recorder(s)", r->record_id, sent);
    return sent ? 0 : -1;
}

static int fork_index(const md_rec *r, const nua_handle_t *nh)
{
    for (int k = 0; k < r->nfork; k++)
        if (r->fork_nh[k] == nh)
            return k;
    return -1;
}

/* Drop fork k: CANCEL (or BYE) goes out, the handle ends in md_sip.c's unbound path. */
static void drop(md_rec *r, int k, int answered)
{
    nua_handle_t *nh = r->fork_nh[k];
    r->fork_nh[k] = NULL;
    if (!nh)
        return;
    /* Tracked until it terminates, so a bounded shutdown can end it (md_shutdown.c). */
    md_shutdown_orphan(r->call ? r->call->ctx : NULL, nh);
    if (answered)
        nua_bye(nh, TAG_END());
    else
        nua_cancel(nh, TAG_END());
}

static int pending(const md_rec *r)
{
    int n = 0;
    for (int k = 0; k < r->nfork; k++)
        n += r->fork_nh[k] != NULL;
    return n;
}

int md_recfork_event(md_ctx *ctx, md_rec *r, int event, int status, nua_handle_t *nh)
{
    (void)ctx;
    if (r->nfork < 2 || r->nh)
        return 0; /* not forked, or the winner is known: its handle is the session's */
    int k = fork_index(r, nh);
    if (k < 0)
        return 1;
    if (event != nua_r_invite || status < 200)
        return 0;
    if (status >= 300) {
        r->fork_failed++;
        LOG_INFO(rec, "recording %s: fork %s answered %d (%d still pending)", r->record_id,
                 r->fork_dest[k], status, pending(r) - 1);
        if (pending(r) > 1) {
            r->fork_nh[k] = NULL;
            nua_handle_bind(nh, NULL);
            nua_handle_destroy(nh);
            return 1;
        }
        /* The last one: its failure is the session's (reported with the pool's dest). */
        r->fork_nh[k] = NULL;
        r->nh = nh;
        return 0;
    }
    /* First 2xx: the winner. */
    r->fork_nh[k] = NULL;
    r->nh = nh;
    for (int j = 0; j < r->nfork; j++)
        drop(r, j, 0);
    char *dest = strdup(r->fork_dest[k]);
    if (dest) {
        free(r->dest);
        r->dest = dest;
    }
    char *ruri = strdup(r->fork_ruri[k]);
    if (ruri) {
        free(r->ruri);
        r->ruri = ruri;
    }
    LOG_INFO(rec, "recording %s: %s answered first, other forks cancelled", r->record_id, r->dest);
    const char *kv[] = {"id", r->record_id, "dest", r->dest, NULL};
    md_sip_send_event(r->call, "msml.recorder.forked", kv);
    return 0;
}

int md_recfork_cancel_all(md_rec *r)
{
    int any = 0;
    for (int k = 0; k < r->nfork; k++) {
        if (r->fork_nh[k]) {
            nua_cancel((nua_handle_t *)r->fork_nh[k], TAG_END());
            any = 1;
        }
    }
    return any;
}

void md_recfork_release(md_rec *r)
{
    for (int k = 0; k < r->nfork; k++) {
        drop(r, k, 0);
        free(r->fork_dest[k]);
        free(r->fork_ruri[k]);
        r->fork_dest[k] = r->fork_ruri[k] = NULL;
    }
    r->nfork = 0;
}
