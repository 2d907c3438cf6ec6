/* SIP control plane: party legs (INVITE/re-INVITE/ACK/BYE), MSML over INFO, OPTIONS. */
#include "md_sip.h"

#include "ar_err.h"
#include "ar_log.h"
#include "ar_msml.h"
#include "ar_sockbuf.h"
#include "md_health.h"
#include "md_localwav.h"
#include "md_ports.h"
#include "md_shutdown.h"
#include "md_tls.h"
#include "md_tone.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/soa_tag.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport_tag.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SDP_BUF  8192
#define MSML_BUF 16384

static const char *CT_SDP = "application/sdp";
static const char *CT_MSML = "application/msml+xml";

static void respond_text(nua_handle_t *nh, nua_t *nua, int status, const char *phrase,
                         const char *warning)
{
    char w[300];
    if (warning) {
        /* Warning: 399 mediad "<why>" tells the gateway exactly what was wrong. */
        snprintf(w, sizeof(w), "399 mediad \"%s\"", warning);
        nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua), SIPTAG_WARNING_STR(w), TAG_END());
    } else {
        nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua), TAG_END());
    }
}

/* Request-URI sip:msml=<conf>@host;dn=<DN>;record;... -> conf id and params. */
static int parse_ruri(const sip_t *sip, char *conf, size_t cap, md_params *p)
{
    md_params_init(p);
    if (!sip || !sip->sip_request)
        return -1;
    const url_t *u = sip->sip_request->rq_url;
    if (!u->url_user || strncmp(u->url_user, "msml=", 5) != 0 || !u->url_user[5])
        return -1;
    if (strlen(u->url_user + 5) >= cap)
        return -1;
    strcpy(conf, u->url_user + 5);
    if (u->url_params && md_params_parse_uri(p, u->url_params, strlen(u->url_params)))
        return -1;
    return 0;
}

static md_call *call_get(md_ctx *ctx, const char *conf, int create)
{
    md_call *c = g_hash_table_lookup(ctx->calls, conf);
    if (!c && create) {
        c = md_call_new(ctx, conf);
        if (c)
            g_hash_table_insert(ctx->calls, c->conf, c);
    }
    return c;
}

void md_sip_call_gone(md_ctx *ctx, md_call *c)
{
    LOG_INFO(sip, "conference %s ended", c->conf);
    for (int i = c->nrecs - 1; i >= 0; i--)
        md_recsess_stop(ctx, c->recs[i], 1);
    g_hash_table_remove(ctx->calls, c->conf);
    md_tone_call_free(c);
    md_localwav_call_free(c);
    md_call_free(&c, &ctx->env);
}

/* X-Genesys-geo-location: kept (a plain token only) for the recording INVITEs. */
static void copy_geo(md_call *c, const sip_t *sip)
{
    for (const sip_unknown_t *u = sip ? sip->sip_unknown : NULL; u; u = u->un_next) {
        if (!u->un_name || strcasecmp(u->un_name, "X-Genesys-geo-location") != 0 || !u->un_value)
            continue;
        size_t n = strlen(u->un_value);
        if (n >= sizeof c->geo ||
            strspn(u->un_value,
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
            LOG_WARN(rec, "conference %s: X-Genesys-geo-location ignored (not a plain tag)",
                     c->conf);
            return;
        }
        if (strcmp(c->geo, u->un_value) != 0)
            LOG_INFO(rec,
                     "conference %s: X-Genesys-geo-location %s, copied onto its recording INVITEs",
                     c->conf, u->un_value);
        snprintf(c->geo, sizeof c->geo, "%s", u->un_value);
        return;
    }
}

/* Answer (or offer, for an INVITE without SDP) on a party leg. */
static void leg_invite(md_ctx *ctx, nua_t *nua, nua_handle_t *nh, md_leg *l, const sip_t *sip)
{
    char *buf = malloc(SDP_BUF);
    ar_sdp *sdp = malloc(sizeof(*sdp));
    if (!buf || !sdp) {
        respond_text(nh, nua, 500, "Server Internal Error", "out of memory");
        goto cleanup;
    }
    int has_body = sip->sip_payload && sip->sip_payload->pl_len > 0;
    if (!has_body) {
        if (!l->sdp) {
            respond_text(nh, nua, 488, "Not Acceptable Here", "initial INVITE needs an SDP offer");
            goto cleanup;
        }
        /* RFC 3725 flow: the gateway asks for our offer; the ACK carries the answer. */
        l->version++;
        if (md_leg_build_sdp(l, 0, &ctx->env, buf, SDP_BUF) != AR_E_OK) {
            respond_text(nh, nua, 500, "Server Internal Error", "SDP build failed");
            goto cleanup;
        }
        l->offer_pending = 1;
        nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), SIPTAG_CONTENT_TYPE_STR(CT_SDP),
                    SIPTAG_PAYLOAD_STR(buf), TAG_END());
        goto cleanup;
    }
    int rc = ar_sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, sdp);
    if (rc == AR_E_OK)
        rc = md_leg_apply_sdp(l, sdp, sip->sip_payload->pl_data, sip->sip_payload->pl_len,
                              &ctx->env);
    if (rc != AR_E_OK) {
        int st = rc == AR_E_MEDIA_NO_PORTS ? 503 : 488;
        LOG_WARN(sip, "leg %s: %s", l->dn, ar_strerror(rc));
        respond_text(nh, nua, st, st == 503 ? "Service Unavailable" : "Not Acceptable Here",
                     ar_strerror(rc));
        goto cleanup;
    }
    l->offer_pending = 0;
    l->version++;
    md_call_rewire(l->call);
    if (md_leg_build_sdp(l, 1, &ctx->env, buf, SDP_BUF) != AR_E_OK) {
        respond_text(nh, nua, 500, "Server Internal Error", "SDP build failed");
        goto cleanup;
    }
    nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), SIPTAG_CONTENT_TYPE_STR(CT_SDP),
                SIPTAG_PAYLOAD_STR(buf), TAG_END());
    /* A party's media changed under a running recording: re-offer to the recorders. */
    if (l->call->recording && !md_sip_update_pause(ctx, l->call))
        md_recsess_event(ctx, l->call, MD_EV_UPDATE); /* a pause/resume re-offers anyway */
cleanup:
    free(buf);
    free(sdp);
}

static void new_leg(md_ctx *ctx, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
    char conf[MD_ID_LEN];
    md_params p;
    if (parse_ruri(sip, conf, sizeof(conf), &p) != 0) {
        md_params_clear(&p);
        respond_text(nh, nua, 404, "Not Found", "Request-URI is not sip:msml=<conf>@...");
        nua_handle_destroy(nh);
        return;
    }
    const char *dn = md_params_get(&p, "dn");
    md_call *c = call_get(ctx, conf, 1);
    if (c)
        copy_geo(c, sip);
    md_leg *l = c ? md_call_add_leg(c, dn ? dn : "", sip->sip_call_id->i_id) : NULL;
    if (!l) {
        md_params_clear(&p);
        respond_text(nh, nua, 486, "Busy Here", "too many legs in this conference");
        if (c && c->nlegs == 0)
            md_sip_call_gone(ctx, c);
        nua_handle_destroy(nh);
        return;
    }
    l->uri = p;
    l->nh = nh;
    nua_handle_bind(nh, (nua_hmagic_t *)l);
    /* Per-leg and per-join lines are DEBUG: at 200 recorded calls/s they were six INFO
     * lines (six write(2)s) per call; the conference's own lines stay at INFO. */
    LOG_DEBUG(sip, "conference %s: leg dn=%s (%d legs)", conf, l->dn, c->nlegs);
    leg_invite(ctx, nua, nh, l, sip);
}

static void leg_ack(md_ctx *ctx, md_leg *l, const sip_t *sip)
{
    if (!l->offer_pending || !sip || !sip->sip_payload || !sip->sip_payload->pl_len)
        return;
    l->offer_pending = 0;
    ar_sdp *sdp = malloc(sizeof(*sdp));
    if (!sdp)
        return;
    int rc = ar_sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, sdp);
    if (rc == AR_E_OK)
        rc = md_leg_apply_sdp(l, sdp, sip->sip_payload->pl_data, sip->sip_payload->pl_len,
                              &ctx->env);
    if (rc != AR_E_OK)
        LOG_WARN(sip, "leg %s: answer in ACK refused: %s", l->dn, ar_strerror(rc));
    else
        md_call_rewire(l->call);
    free(sdp);
}

static void info_reply(nua_t *nua, nua_handle_t *nh, int sip_status, int code, const char *desc)
{
    char *body = malloc(MSML_BUF);
    if (!body || ar_msml_build_result(code, desc, body, MSML_BUF, NULL) != AR_E_OK) {
        respond_text(nh, nua, 500, "Server Internal Error", NULL);
        free(body);
        return;
    }
    nua_respond(nh, sip_status, sip_status == 200 ? "OK" : "Bad Request", NUTAG_WITH_THIS(nua),
                SIPTAG_CONTENT_TYPE_STR(CT_MSML), SIPTAG_PAYLOAD_STR(body), TAG_END());
    free(body);
}

/* gvp:param failover=dest|dest2: 1 / 2 (replace that failed session), 0 = none. */
static int failover_index(const ar_msml *m)
{
    const char *fo = ar_msml_get_param(m, "failover");
    if (!fo)
        return 0;
    return !strcmp(fo, "dest") ? 1 : !strcmp(fo, "dest2") ? 2 : -1;
}

/* Does the call still have a session toward dest index d (0 = dest, 1 = dest2)? */
static int has_session(const md_call *c, int d)
{
    for (int i = 0; i < c->nrecs; i++)
        if (c->recs[i]->dest_index == d)
            return 1;
    return 0;
}

/* `copy` of a pause / resume / stop: 0 dest, 1 dest2, -1 absent (every session), -2 bad. */
static int copy_index(const ar_msml *m)
{
    const char *cp = ar_msml_get_param(m, "copy");
    if (!cp)
        return -1;
    return !strcmp(cp, "dest") ? 0 : !strcmp(cp, "dest2") ? 1 : -2;
}

/* Check an MSML document against the call before anything happens: all or nothing. */
static int msml_validate(md_call *c, const ar_msml *m, const char **why)
{
    for (int i = 0; i < m->nops; i++) {
        const ar_msml_op *op = &m->ops[i];
        int fo = failover_index(m);
        switch (op->type) {
        case AR_MSML_OP_CREATE:
            if (fo < 0) {
                *why = "failover must be dest or dest2";
                return AR_E_INVALID_VALUE;
            }
            /* A failover replaces one failed session; the others keep recording. */
            if (c->recording && c->nrecs && (!fo || has_session(c, fo - 1))) {
                *why = "recording already underway";
                return AR_E_ALREADY_RECORDING;
            }
            break;
        case AR_MSML_OP_JOIN:
        case AR_MSML_OP_UNJOIN:
            if (!md_call_find_leg(c, op->id2) && !md_call_find_leg(c, op->id1)) {
                *why = "join/unjoin names an unknown connection";
                return AR_E_MSML_UNKNOWN_CONN;
            }
            break;
        case AR_MSML_OP_PAUSE:
        case AR_MSML_OP_RESUME:
        case AR_MSML_OP_STOP:
            if (copy_index(m) == -2) {
                *why = "copy must be dest or dest2";
                return AR_E_INVALID_VALUE;
            }
            if (op->type == AR_MSML_OP_STOP)
                break;
            if (!c->recording || (copy_index(m) >= 0 && !has_session(c, copy_index(m)))) {
                *why = "no recording in this conference";
                return AR_E_NOT_RECORDING;
            }
            break;
        case AR_MSML_OP_EVENT:
            *why = "events go from mediad to the gateway, not the other way";
            return AR_E_MSML_UNKNOWN_OP;
        default:
            break;
        }
    }
    return AR_E_OK;
}

/* A pause / resume / stop with params (no CREATE in the document owns them): they join the
 * call's params and are kept for the recorders' next re-INVITE / BYE. 1 when there were. */
static int take_modify_params(md_call *c, const ar_msml *m)
{
    if (m->nparams == 0)
        return 0;
    for (int i = 0; i < m->nops; i++)
        if (m->ops[i].type == AR_MSML_OP_CREATE || m->ops[i].type == AR_MSML_OP_EVENT)
            return 0;
    int copy = copy_index(m), any = 0;
    for (int k = 0; k < m->nparams; k++)
        any |= strcmp(m->params[k].name, "copy") != 0;
    if (!any)
        return 0; /* only the copy selector */
    c->upd_params[0] = '\0';
    c->upd_seq++;
    for (int i = 0; copy >= 0 && i < c->nrecs; i++)
        if (c->recs[i]->dest_index != copy)
            c->recs[i]->upd_sent = c->upd_seq; /* not theirs */
    int cut = 0;
    for (int k = 0; k < m->nparams; k++) {
        if (strcmp(m->params[k].name, "copy") == 0)
            continue;
        md_params_set(&c->params, m->params[k].name, m->params[k].value);
        size_t len = strlen(c->upd_params);
        if (cut || md_params_append_uri(c->upd_params, sizeof(c->upd_params), m->params[k].name,
                                        m->params[k].value) != 0) {
            c->upd_params[len] = '\0'; /* whole pairs only */
            if (!cut)
                LOG_WARN(sip, "conference %s: params too long for the recorder, %s and later cut",
                         c->conf, m->params[k].name);
            cut = 1;
        }
    }
    LOG_INFO(sip, "conference %s: session params %s", c->conf, c->upd_params);
    return 1;
}

static void leg_info(md_ctx *ctx, nua_t *nua, nua_handle_t *nh, md_leg *l, const sip_t *sip)
{
    md_call *c = l->call;
    ar_msml *m = calloc(1, sizeof(*m));
    char *desc = calloc(1, MSML_BUF / 2);
    if (!m || !desc) {
        respond_text(nh, nua, 500, "Server Internal Error", NULL);
        goto cleanup;
    }
    int rc = AR_E_MSML_NOT_XML;
    if (sip->sip_payload && sip->sip_payload->pl_len)
        rc = ar_msml_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, m);
    const char *why = ar_strerror(rc);
    if (rc == AR_E_OK)
        rc = msml_validate(c, m, &why);
    if (rc != AR_E_OK) {
        LOG_WARN(sip, "conference %s: MSML refused: %s", c->conf, why);
        snprintf(desc, MSML_BUF / 2, "%s: %s", ar_errname(rc), why);
        info_reply(nua, nh, 400, rc, desc);
        goto cleanup;
    }
    int create = 0, modify_params = 0;
    snprintf(desc, MSML_BUF / 2, "ok");
    for (int i = 0; i < m->nops; i++) {
        ar_msml_op *op = &m->ops[i];
        md_leg *jl = NULL;
        /* audit is polled by monitoring, join comes twice per call: both kept out of INFO */
        if (op->type == AR_MSML_OP_AUDIT || op->type == AR_MSML_OP_JOIN)
            LOG_DEBUG(sip, "conference %s: MSML %s", c->conf, ar_msml_op_name(op->type));
        else
            LOG_INFO(sip, "conference %s: MSML %s", c->conf, ar_msml_op_name(op->type));
        switch (op->type) {
        case AR_MSML_OP_CREATE:
            create = 1;
            /* Request-URI parameters are defaults; gvp:param values override them. */
            md_params_clear(&c->params);
            for (int k = c->nlegs - 1; k >= 0; k--)
                md_params_merge(&c->params, &c->legs[k]->uri);
            md_params_merge(&c->params, &l->uri);
            for (int k = 0; k < m->nparams; k++)
                md_params_set(&c->params, m->params[k].name, m->params[k].value);
            c->ctl = l;
            break;
        case AR_MSML_OP_JOIN:
        case AR_MSML_OP_UNJOIN:
            jl = md_call_find_leg(c, op->id2);
            if (!jl)
                jl = md_call_find_leg(c, op->id1);
            /* joined = join order (1, 2, ...): the recorded parties are the last two
               joined, in that order, whatever order their legs came in (a conference). */
            if (op->type == AR_MSML_OP_JOIN) {
                int top = 0;
                for (int k = 0; k < c->nlegs; k++)
                    if (c->legs[k]->joined > top)
                        top = c->legs[k]->joined;
                jl->joined = top + 1;
            } else {
                jl->joined = 0;
            }
            break;
        case AR_MSML_OP_PAUSE:
        case AR_MSML_OP_RESUME:
            modify_params = take_modify_params(c, m);
            if (copy_index(m) >= 0) {
                /* One recording session of several (another purpose): only its copy. */
                c->copy_paused[copy_index(m)] = op->type == AR_MSML_OP_PAUSE;
                md_recsess_copy_event(ctx, c, copy_index(m),
                                      op->type == AR_MSML_OP_PAUSE ? MD_EV_PAUSE : MD_EV_RESUME,
                                      modify_params);
                break;
            }
            c->copy_paused[0] = c->copy_paused[1] = 0;
            c->paused = op->type == AR_MSML_OP_PAUSE;
            /* Params modify the session: a re-INVITE carries them even when the
               effective pause state (a muted party) does not change. */
            if (!md_sip_update_pause(ctx, c) && modify_params)
                md_recsess_event(ctx, c, MD_EV_UPDATE);
            break;
        case AR_MSML_OP_STOP:
        case AR_MSML_OP_DESTROY:
            take_modify_params(c, m); /* the BYE carries them */
            if (op->type == AR_MSML_OP_STOP && copy_index(m) >= 0) {
                md_recsess_copy_event(ctx, c, copy_index(m), MD_EV_STOP, 0);
                c->copy_paused[copy_index(m)] = 0;
                if (c->nrecs > 0)
                    break; /* the other copy goes on recording */
            }
            c->copy_paused[0] = c->copy_paused[1] = 0;
            md_recsess_event(ctx, c, MD_EV_STOP);
            c->recording = 0;
            c->paused = 0;
            c->eff_paused = 0;
            md_tone_update(ctx, ctx->fetch, c); /* tones: off with the recording */
            md_localwav_update(ctx, ctx->lw, c);
            break;
        case AR_MSML_OP_AUDIT:
            md_call_stats_text(c, desc, MSML_BUF / 2);
            break;
        default:
            break;
        }
    }
    if (create) {
        c->fo_plan = c->recording ? failover_index(m) : 0;
        if (c->fo_plan)
            c->copy_paused[c->fo_plan - 1] = 0; /* a new session of that copy */
        else
            c->copy_paused[0] = c->copy_paused[1] = 0;
        rc = md_call_plan_recording(c, &ctx->env);
        c->fo_plan = 0;
        if (rc != AR_E_OK) {
            /* Only what this document planned: a failover keeps the live sessions. */
            for (int i = c->nrecs - 1; i >= 0; i--)
                if (c->recs[i]->fsm.state == MD_REC_IDLE)
                    md_rec_release(c->recs[i], &ctx->env);
            snprintf(desc, MSML_BUF / 2, "%s: %s", ar_errname(rc),
                     rc == AR_E_MISSING_ATTRIBUTE ? "no dest parameter" : ar_strerror(rc));
            LOG_WARN(sip, "conference %s: recording not started: %s", c->conf, desc);
            info_reply(nua, nh, 400, rc, desc);
            goto cleanup;
        }
        c->recording = 1;
        md_sip_update_pause(ctx, c);
        md_tone_update(ctx, ctx->fetch, c); /* tones: fetch audiosrc, arm the players */
        md_localwav_update(ctx, ctx->lw, c);
    }
    info_reply(nua, nh, 200, 200, desc);
    if (create)
        md_recsess_start_all(ctx, c);
cleanup:
    free(m);
    free(desc);
}

/* A party whose audio is inactive or recvonly is not talking: the seed's "Mute". */
static int leg_muted(const md_leg *l)
{
    for (int i = 0; l->sdp && i < l->nstreams; i++) {
        if (l->ms[i].kind == 'a' && l->ms[i].port != 0)
            return l->ms[i].dir == AR_SDP_DIR_INACTIVE || l->ms[i].dir == AR_SDP_DIR_RECVONLY;
    }
    return 0;
}

int md_sip_update_pause(md_ctx *ctx, md_call *c)
{
    c->muted = 0;
    for (int i = 0; i < c->nlegs; i++)
        c->muted |= leg_muted(c->legs[i]);
    int eff = c->paused || c->muted;
    if (eff == c->eff_paused)
        return 0;
    c->eff_paused = eff;
    md_tone_update(ctx, ctx->fetch, c); /* tones: none while paused, restart on resume */
    md_localwav_update(ctx, ctx->lw, c);
    /* Sessions created later read the state from the call (md_recplan new_rec). */
    if (c->recording)
        md_recsess_event(ctx, c, eff ? MD_EV_PAUSE : MD_EV_RESUME);
    return 1;
}

/* INFO with <event name=..> and name/value pairs (NULL-terminated list) to the leg that
 * controls the recording (or the first leg). */
void md_sip_send_event(md_call *c, const char *event, const char *const *kv)
{
    md_leg *to = c->ctl ? c->ctl : (c->nlegs ? c->legs[0] : NULL);
    if (!to || !to->nh)
        return;
    ar_msml *m = calloc(1, sizeof(*m));
    char *body = malloc(MSML_BUF);
    if (m && body) {
        ar_msml_init(m);
        ar_msml_op *op = ar_msml_add_op(m, AR_MSML_OP_EVENT, "recorder");
        snprintf(op->event, sizeof(op->event), "%s", event);
        for (int i = 0; kv[i] && kv[i + 1]; i += 2)
            ar_msml_add_param(m, kv[i], kv[i + 1]);
        ar_msml_add_param(m, "conference", c->conf);
        if (ar_msml_build(m, body, MSML_BUF, NULL) == AR_E_OK)
            nua_info((nua_handle_t *)to->nh, SIPTAG_CONTENT_TYPE_STR(CT_MSML),
                     SIPTAG_PAYLOAD_STR(body), TAG_END());
    }
    free(m);
    free(body);
}

void md_sip_report_failure(md_ctx *ctx, md_call *c, const char *record_id, const char *dest,
                           int status, const char *reason)
{
    (void)ctx;
    LOG_WARN(rec, "conference %s: recording %s to %s failed: %s", c->conf, record_id, dest, reason);
    char st[16];
    snprintf(st, sizeof(st), "%d", status);
    const char *kv[] = {"reason", reason, "status", st, "id", record_id, "dest", dest, NULL};
    md_sip_send_event(c, "msml.recorder.error", kv);
}

void md_sip_report_stream_off(md_ctx *ctx, md_call *c, const char *record_id, int index,
                              const char *media, const char *dn)
{
    (void)ctx;
    LOG_INFO(rec, "conference %s: recorder refused %s stream %d of %s (dn %s)", c->conf, media,
             index, record_id, dn);
    char idx[16];
    snprintf(idx, sizeof(idx), "%d", index);
    const char *kv[] = {"id", record_id, "stream", idx,   "media", media,
                        "dn", dn,        "state",  "off", NULL};
    md_sip_send_event(c, "msml.recorder.stream", kv);
}

/* Handle ended: drop the leg (and the call with its last leg). */
static void leg_terminated(md_ctx *ctx, nua_handle_t *nh, md_leg *l)
{
    md_call *c = l->call;
    LOG_DEBUG(sip, "conference %s: leg dn=%s ended", c->conf, l->dn);
    nua_handle_bind(nh, NULL);
    md_call_remove_leg(c, l, &ctx->env);
    if (c->nlegs == 0)
        md_sip_call_gone(ctx, c);
    nua_handle_destroy(nh);
}

/* md_recsess.c handles events on recording-session handles. */
void md_recsess_nua_event(md_ctx *ctx, int event, int status, const char *phrase, nua_handle_t *nh,
                          md_rec *r, const sip_t *sip, tagi_t tags[]);

static void on_nua(nua_event_t event, int status, char const *phrase, nua_t *nua,
                   nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip,
                   tagi_t tags[])
{
    md_ctx *ctx = (md_ctx *)magic;
    int kind = hmagic ? *(int *)hmagic : 0;
    if (kind == MD_KIND_REC) {
        md_recsess_nua_event(ctx, event, status, phrase, nh, (md_rec *)hmagic, sip, tags);
        return;
    }
    md_leg *l = kind == MD_KIND_LEG ? (md_leg *)hmagic : NULL;
    switch (event) {
    case nua_i_invite:
        if (l)
            leg_invite(ctx, nua, nh, l, sip);
        else
            new_leg(ctx, nua, nh, sip);
        break;
    case nua_i_ack:
        if (l)
            leg_ack(ctx, l, sip);
        break;
    case nua_i_info:
        if (l)
            leg_info(ctx, nua, nh, l, sip);
        else
            respond_text(nh, nua, 481, "Call/Transaction Does Not Exist", NULL);
        break;
    case nua_i_state: {
        int cs = -1;
        tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
        if (cs == nua_callstate_terminated) {
            if (l)
                leg_terminated(ctx, nh, l);
            else if (!hmagic) {
                md_shutdown_forget(ctx, nh);
                nua_handle_destroy(nh);
            }
        }
        break;
    }
    case nua_r_invite:
        /* A recording INVITE whose session is gone (the call ended or the recording stopped
         * while it was pending, or a losing fork, md_recfork.c) answered 2xx anyway: the
         * CANCEL crossed the 200. nua ACKs it; without this BYE the recorder would keep the
         * session open until it shuts down (test_rec_pending.py). */
        if (!hmagic && status >= 200 && status < 300) {
            LOG_INFO(rec, "late %d to a released recording INVITE (Call-ID %s): ACK and BYE",
                     status, sip && sip->sip_call_id ? sip->sip_call_id->i_id : "?");
            nua_bye(nh, TAG_END());
        }
        break;
    case nua_r_info:
        if (status >= 300)
            LOG_WARN(sip, "INFO to the gateway answered %d %s", status, phrase);
        break;
    case nua_r_shutdown:
        if (status >= 200)
            ctx->shutdown_done = 1; /* md_shutdown.c waits for it */
        break;
    case nua_i_options: {
        /* gatewayd's health check: 200 with the counters it relays to /metrics. */
        char body[512];
        md_health_body(ctx, body, sizeof body);
        nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), SIPTAG_CONTENT_TYPE_STR(MD_HEALTH_CT),
                    SIPTAG_PAYLOAD_STR(body), TAG_END());
        if (!hmagic)
            nua_handle_destroy(nh);
        break;
    }
    default:
        if (!hmagic && nh && (event == nua_i_bye || event == nua_i_cancel))
            break;
        break;
    }
}

/* Find a free UDP port on addr for the SIP socket (nua needs a concrete one). */
static int probe_port(const char *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int port = -1;
    if (fd >= 0 && inet_pton(AF_INET, addr, &sa.sin_addr) == 1 &&
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int md_sip_start(md_ctx *ctx)
{
    su_root_t *root = su_glib_root_create(ctx);
    if (!root)
        return AR_E_IO;
    ctx->root = root;
    /* Keep nua's stack on this thread too: one control thread, no hidden SIP thread. */
    su_root_threading(root, 0);
    g_source_attach(su_glib_root_gsource(root), NULL);
    for (int attempt = 0; attempt < 8 && !ctx->nua; attempt++) {
        int port = ctx->cfg.sip_port ? ctx->cfg.sip_port : probe_port(ctx->cfg.sip_addr);
        if (port <= 0)
            return AR_E_IO;
        char url[128];
        snprintf(url, sizeof(url), "sip:%s:%d;transport=udp", ctx->cfg.sip_addr, port);
        /* SIPS (md_tls.c): a TLS transport next to UDP when a certificate dir is set. */
        int tls = ctx->cfg.tls_cert_dir[0] != '\0';
        int sport = !tls                 ? 0
                    : ctx->cfg.sips_port ? ctx->cfg.sips_port
                                         : md_tls_probe_port(ctx->cfg.sip_addr);
        char surl[128];
        snprintf(surl, sizeof(surl), "sips:%s:%d", ctx->cfg.sip_addr, sport);
        ctx->nua = nua_create(
            root, on_nua, (nua_magic_t *)ctx, NUTAG_URL(url), TAG_IF(tls, NUTAG_SIPS_URL(surl)),
            TAG_IF(tls, TPTAG_CERTIFICATE(ctx->cfg.tls_cert_dir)),
            TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY((unsigned)ctx->cfg.tls_verify)),
            NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1), NUTAG_APPL_METHOD("INFO"),
            NUTAG_APPL_METHOD("OPTIONS"), NUTAG_ALLOW("INFO"),
            NUTAG_SESSION_TIMER(ctx->cfg.session_timer), NUTAG_MIN_SE(ctx->cfg.min_se),
            NUTAG_UPDATE_REFRESH(1), SIPTAG_SUPPORTED_STR("timer"),
            SIPTAG_ACCEPT_STR("application/sdp, application/msml+xml"),
            SIPTAG_USER_AGENT_STR("arec-mediad"), TAG_END());
        if (ctx->nua) {
            ctx->bound_port = port;
            ctx->bound_sips = sport;
        } else if (ctx->cfg.sip_port)
            break;
    }
    if (!ctx->nua)
        return AR_E_IO;
    /* Room for a burst of INVITEs / INFOs while the loop is busy (a drop costs T1). */
    ar_sockbuf_grow_udp((uint16_t)ctx->bound_port, AR_SOCKBUF_SIP_RCVBUF, NULL);
    LOG_INFO(sip, "listening on %s:%d (udp)", ctx->cfg.sip_addr, ctx->bound_port);
    return AR_E_OK;
}

void md_sip_stop(md_ctx *ctx)
{
    if (ctx->nua) {
        /* Bounded (md_shutdown.c): a recorder that never answers a CANCEL must not hold
         * the exit for Timer B. Cut short, nua is left to the process exit. */
        if (md_shutdown_run(ctx))
            nua_destroy((nua_t *)ctx->nua);
        else
            LOG_ERR(sip, "SIP stack did not shut down: left to the process exit");
        ctx->nua = NULL;
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, ctx->calls);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        md_call *c = v;
        g_hash_table_iter_remove(&it);
        md_call_free(&c, &ctx->env);
    }
    if (ctx->root) {
        su_root_destroy((su_root_t *)ctx->root);
        ctx->root = NULL;
    }
}
