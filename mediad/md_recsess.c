/* Recording sessions toward recorders (UAC): INVITE, re-INVITEs, BYE, failure reports. */
#include "ar_err.h"
#include "ar_log.h"
#include "md_recfork.h"
#include "md_recfo.h"
#include "md_shutdown.h"
#include "md_sip.h"
#include "md_siprec.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include <glib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SDP_BUF  8192
#define BODY_BUF 24576

void md_recsess_nua_event(md_ctx *ctx, int event, int status, const char *phrase, nua_handle_t *nh,
                          md_rec *r, const sip_t *sip, tagi_t tags[]);

static void rec_run(md_ctx *ctx, md_rec *r, int act, int status, const char *reason);

/* No final answer in time: CANCEL; the 487 then reports the failure as a timeout. */
static gboolean on_answer_timeout(gpointer data)
{
    md_rec *r = data;
    r->timer = 0;
    if (r->fsm.state == MD_REC_INVITING && r->nh) {
        r->timed_out = 1;
        nua_cancel((nua_handle_t *)r->nh, TAG_END());
    } else if (r->fsm.state == MD_REC_INVITING && md_recfork_cancel_all(r)) {
        r->timed_out = 1; /* no fork answered: the last 487 reports the timeout */
    }
    return G_SOURCE_REMOVE;
}

static void stop_timer(md_rec *r)
{
    if (r->timer) {
        g_source_remove(r->timer);
        r->timer = 0;
    }
}

/* The params of a pause / resume / stop this session was not told about yet: an
 * X-Record-Params header (URI-escaped "name=value;..."), since a re-INVITE's Request-URI
 * is the recorder's Contact and cannot carry them. 1 when hdr was filled. */
static int upd_header(md_rec *r, char *hdr, size_t cap)
{
    const md_call *c = r->call;
    if (!c || !c->upd_params[0] || r->upd_sent == c->upd_seq)
        return 0;
    r->upd_sent = c->upd_seq;
    snprintf(hdr, cap, "X-Record-Params: %s", c->upd_params + 1); /* skip the first ';' */
    return 1;
}

/* Send the initial INVITE (initial) or a re-INVITE reflecting the current state. */
static int rec_send_invite(md_ctx *ctx, md_rec *r, int initial)
{
    char *sdp = malloc(SDP_BUF), *body = NULL, *xml = NULL;
    int rc = -1;
    if (!sdp)
        goto cleanup;
    if (!initial)
        r->version++; /* RFC 3264: every new offer bumps o= version */
    if (md_rec_build_sdp(r, &ctx->env, sdp, SDP_BUF) != AR_E_OK)
        goto cleanup;
    char geo[96] = ""; /* the seed's mpc.copyheaders for X-Genesys-geo-location */
    if (r->call->geo[0])
        snprintf(geo, sizeof(geo), "X-Genesys-geo-location: %s", r->call->geo);
    char contact[160];
    snprintf(contact, sizeof(contact), "<sip:mediad@%s:%d>%s", ctx->cfg.sip_addr, ctx->bound_port,
             r->siprec ? ";+sip.src" : "");
    if (initial && !r->nh) { /* forks (md_recfork.c) come with their handle */
        r->nh = nua_handle((nua_t *)ctx->nua, (nua_hmagic_t *)r, NUTAG_URL(r->ruri),
                           SIPTAG_TO_STR(r->ruri), TAG_END());
        if (!r->nh)
            goto cleanup;
    }
    if (initial && r->siprec) {
        body = malloc(BODY_BUF);
        xml = malloc(BODY_BUF / 2);
        if (!body || !xml || md_siprec_metadata(r, xml, BODY_BUF / 2) ||
            md_siprec_body(sdp, xml, body, BODY_BUF))
            goto cleanup;
        nua_invite((nua_handle_t *)r->nh,
                   SIPTAG_CONTENT_TYPE_STR("multipart/mixed;boundary=" MD_SIPREC_BOUNDARY),
                   SIPTAG_PAYLOAD_STR(body), SIPTAG_REQUIRE_STR("siprec"),
                   SIPTAG_CONTACT_STR(contact), TAG_IF(geo[0], SIPTAG_HEADER_STR(geo)), TAG_END());
    } else {
        char hdr[sizeof(r->call->upd_params) + 32];
        int upd = upd_header(r, hdr, sizeof(hdr));
        nua_invite((nua_handle_t *)r->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                   SIPTAG_PAYLOAD_STR(sdp), TAG_IF(r->siprec, SIPTAG_REQUIRE_STR("siprec")),
                   TAG_IF(upd, SIPTAG_HEADER_STR(hdr)), SIPTAG_CONTACT_STR(contact),
                   TAG_IF(geo[0], SIPTAG_HEADER_STR(geo)), TAG_END());
    }
    if (initial && ctx->cfg.rec_timeout_ms && !r->timer)
        r->timer = g_timeout_add(ctx->cfg.rec_timeout_ms, on_answer_timeout, r);
    LOG_INFO(rec, "%s %s (%s, %d streams, %s)", initial ? "INVITE" : "re-INVITE", r->ruri,
             r->siprec ? "siprec" : "seed", r->nm, r->fsm.sent_paused ? "inactive" : "sendonly");
    rc = 0;
cleanup:
    free(sdp);
    free(body);
    free(xml);
    return rc;
}

static int send_initial(md_ctx *ctx, md_rec *r)
{
    return rec_send_invite(ctx, r, 1);
}

static void rec_run(md_ctx *ctx, md_rec *r, int act, int status, const char *reason)
{
    if (act & MD_ACT_MEDIA_OFF)
        md_rec_set_media(r, 0);
    if (act & MD_ACT_INVITE) {
        if ((r->nfork > 1 ? md_recfork_invite(ctx, r, send_initial) : rec_send_invite(ctx, r, 1)) !=
            0) {
            rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_ANSWER_FAIL), 500,
                    "could not build the recording INVITE");
            return;
        }
    }
    if (act & MD_ACT_REINVITE)
        rec_send_invite(ctx, r, 0);
    if (act & MD_ACT_MEDIA_ON)
        md_rec_set_media(r, 1);
    if (act & MD_ACT_REPORT)
        md_recfo_report(ctx, r, status, reason);
    if ((act & MD_ACT_BYE) && r->nh) {
        char hdr[sizeof(r->call->upd_params) + 32];
        int upd = upd_header(r, hdr, sizeof(hdr));
        nua_bye((nua_handle_t *)r->nh, TAG_IF(upd, SIPTAG_HEADER_STR(hdr)), TAG_END());
    }
    if (act & MD_ACT_RELEASE) {
        stop_timer(r);
        md_recfo_stop(r);
        /* The handle outlives the session until nua reports it terminated. An initial
         * INVITE still pending was cancelled by the nua_bye above (nua sends CANCEL in the
         * calling state, once a provisional came); a 2xx that crosses it reaches md_sip.c
         * on the unbound handle, which ACKs and BYEs it. */
        md_shutdown_orphan(ctx, r->nh);
        md_rec_release(r, &ctx->env);
    }
}

void md_recsess_start_all(md_ctx *ctx, md_call *c)
{
    /* Copy: a synchronous failure releases sessions from c->recs. */
    md_rec *recs[MD_MAX_RECS];
    int n = c->nrecs;
    memcpy(recs, c->recs, sizeof(recs));
    for (int i = 0; i < n; i++)
        if (recs[i]->fsm.state == MD_REC_IDLE)
            rec_run(ctx, recs[i], md_rec_fsm_step(&recs[i]->fsm, MD_EV_START), 0, NULL);
}

void md_recsess_event(md_ctx *ctx, md_call *c, int ev)
{
    md_rec *recs[MD_MAX_RECS];
    int n = c->nrecs;
    memcpy(recs, c->recs, sizeof(recs));
    for (int i = 0; i < n; i++) {
        /* A copy paused on its own stays paused when the call resumes (unmute). */
        if (ev == MD_EV_RESUME && c->copy_paused[recs[i]->dest_index ? 1 : 0])
            continue;
        rec_run(ctx, recs[i], md_rec_fsm_step(&recs[i]->fsm, (md_rec_event)ev), 0, NULL);
    }
}

void md_recsess_copy_event(md_ctx *ctx, md_call *c, int copy, int ev, int force_update)
{
    md_rec *recs[MD_MAX_RECS];
    int n = c->nrecs;
    memcpy(recs, c->recs, sizeof(recs));
    for (int i = 0; i < n; i++) {
        md_rec *r = recs[i];
        if (r->dest_index != copy)
            continue;
        if (ev != MD_EV_PAUSE && ev != MD_EV_RESUME) {
            rec_run(ctx, r, md_rec_fsm_step(&r->fsm, (md_rec_event)ev), 0, NULL);
            continue;
        }
        int want = c->eff_paused || c->copy_paused[copy];
        if (r->fsm.want_paused == want) {
            if (force_update) /* params only: re-offer so they reach the recorder */
                rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_UPDATE), 0, NULL);
            continue;
        }
        rec_run(ctx, r, md_rec_fsm_step(&r->fsm, want ? MD_EV_PAUSE : MD_EV_RESUME), 0, NULL);
    }
}

void md_recsess_stop(md_ctx *ctx, md_rec *r, int send_bye)
{
    int act = md_rec_fsm_step(&r->fsm, MD_EV_STOP);
    if (!send_bye)
        act &= ~MD_ACT_BYE;
    if (!(act & MD_ACT_RELEASE))
        act |= MD_ACT_RELEASE; /* whatever its state, the session goes with the call */
    rec_run(ctx, r, act, 0, NULL);
}

void md_recsess_fail(md_ctx *ctx, md_rec *r, int status, const char *reason)
{
    rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_ANSWER_FAIL), status, reason);
}

static void on_answer(md_ctx *ctx, md_rec *r, int status, const char *phrase, const sip_t *sip)
{
    if (status < 200)
        return;
    stop_timer(r);
    char reason[160];
    if (status >= 300 && r->timed_out) {
        snprintf(reason, sizeof(reason), "recorder did not answer within %u ms",
                 ctx->cfg.rec_timeout_ms);
        rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_ANSWER_FAIL), 408, reason);
        return;
    }
    if (status >= 300) {
        snprintf(reason, sizeof(reason), "recorder answered %d %s", status, phrase ? phrase : "");
        rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_ANSWER_FAIL), status, reason);
        return;
    }
    int rc = AR_E_SDP_MALFORMED;
    if (sip && sip->sip_payload && sip->sip_payload->pl_len)
        rc = md_rec_apply_answer(r, sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    if (rc != AR_E_OK) {
        snprintf(reason, sizeof(reason), "recorder answered unusable SDP: %s", ar_strerror(rc));
        int was_inviting = r->fsm.state == MD_REC_INVITING;
        int act = md_rec_fsm_step(&r->fsm, MD_EV_ANSWER_FAIL);
        if (was_inviting)
            act |= MD_ACT_BYE; /* the 2xx made a dialog: end it */
        rec_run(ctx, r, act, status, reason);
        return;
    }
    for (int i = 0; i < r->nm; i++) {
        md_rec_media *m = &r->m[i];
        if (m->rejected && !m->reported) {
            m->reported = 1;
            md_sip_report_stream_off(ctx, r->call, r->record_id, i,
                                     m->leg && m->leg->ms[m->leg_m].kind == 'v' ? "video" : "audio",
                                     m->leg ? m->leg->dn : "");
        }
    }
    int first = r->fsm.state == MD_REC_INVITING;
    rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_ANSWER_OK), status, NULL);
    if (first)
        md_recfo_answered(ctx, r);
}

void md_recsess_nua_event(md_ctx *ctx, int event, int status, const char *phrase, nua_handle_t *nh,
                          md_rec *r, const sip_t *sip, tagi_t tags[])
{
    if (md_recfork_event(ctx, r, event, status, nh))
        return; /* a fork that lost or failed while others are pending */
    switch (event) {
    case nua_r_invite:
        on_answer(ctx, r, status, phrase, sip);
        break;
    case nua_r_options:
        md_recfo_options_answer(ctx, r, status, phrase);
        break;
    case nua_i_bye:
        rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_PEER_BYE), 0,
                "recorder ended the session (BYE)");
        break;
    case nua_i_state: {
        int cs = -1;
        tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
        if (cs != nua_callstate_terminated)
            break;
        /* Still bound, so nobody asked for this: the dialog died under us. */
        rec_run(ctx, r, md_rec_fsm_step(&r->fsm, MD_EV_PEER_BYE) | MD_ACT_RELEASE, 0,
                "recording dialog terminated");
        nua_handle_destroy(nh);
        break;
    }
    default:
        break;
    }
}
