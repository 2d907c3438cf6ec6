/* The recorder's SIP side (sofia-sip nua): accepts recording sessions and drives rec_session. */
#define NUA_MAGIC_T  struct rec_sip
#define NUA_HMAGIC_T struct rec_call

#include "rec_sip.h"

#include "ar_err.h"
#include "ar_log.h"
#include "ar_sockbuf.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REC_ANSWER_CAP 8192

struct rec_call {
    struct rec_sip *sip;
    nua_handle_t *nh;
    rec_session *sess;
    guint answer_timer;
    guint drop_timer;
    char *answer; /* SDP held back by --answer-delay */
    struct rec_call *next;
};

struct rec_sip {
    rec_sip_opts opts;
    char *host;
    char *dir;
    su_root_t *root;
    nua_t *nua;
    uint16_t port;
    uint16_t sips_port; /* TLS listen port, 0 without TLS */
    struct rec_call *calls;
    void (*done)(void *);
    void *done_arg;
    guint shutdown_timer;
    int shutting_down;
};

static void call_unlink(struct rec_sip *s, struct rec_call *c)
{
    for (struct rec_call **pp = &s->calls; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            return;
        }
    }
}

/* Ends the session (files finalized) but keeps the call until nua says terminated. */
static void call_end(struct rec_call *c, const char *reason)
{
    if (c->answer_timer) {
        g_source_remove(c->answer_timer);
        c->answer_timer = 0;
    }
    if (c->drop_timer) {
        g_source_remove(c->drop_timer);
        c->drop_timer = 0;
    }
    if (c->sess)
        rec_session_end(c->sess, reason);
}

static void call_free(struct rec_call *c)
{
    call_end(c, "terminated");
    call_unlink(c->sip, c);
    rec_session_free(&c->sess);
    g_free(c->answer);
    if (c->nh) {
        nua_handle_bind(c->nh, NULL);
        nua_handle_destroy(c->nh);
    }
    g_free(c);
}

static gboolean on_drop(gpointer data)
{
    struct rec_call *c = data;
    c->drop_timer = 0;
    LOG_INFO(sip, "%s: dropping the session (--drop-after)", rec_session_name(c->sess));
    call_end(c, "drop-after");
    nua_bye(c->nh, SIPTAG_REASON_STR("SIP;cause=200;text=\"recorder drop-after\""), TAG_END());
    return G_SOURCE_REMOVE;
}

static void send_ok(struct rec_call *c, const char *sdp)
{
    nua_respond(c->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    if (!rec_session_started(c->sess)) {
        rec_session_start(c->sess);
        if (c->sip->opts.drop_after_s > 0)
            c->drop_timer = g_timeout_add_seconds((guint)c->sip->opts.drop_after_s, on_drop, c);
    }
}

static gboolean on_answer_delay(gpointer data)
{
    struct rec_call *c = data;
    c->answer_timer = 0;
    send_ok(c, c->answer);
    g_free(c->answer);
    c->answer = NULL;
    return G_SOURCE_REMOVE;
}

static void respond_error(nua_handle_t *nh, int status, const char *why)
{
    char text[160], warning[200];
    size_t o = 0;
    /* The reason goes into a quoted-string: no quotes, backslashes or control bytes. */
    for (; *why && o + 1 < sizeof text; why++)
        text[o++] = (*why == '"' || *why == '\\' || (unsigned char)*why < 0x20) ? '\'' : *why;
    text[o] = '\0';
    /* Warning 399 carries the specific reason to the offerer (RFC 3261 20.43). */
    snprintf(warning, sizeof warning, "399 arec-recorder \"%s\"", text);
    nua_respond(nh, status, sip_status_phrase(status) ? sip_status_phrase(status) : "Error",
                SIPTAG_WARNING_STR(warning), TAG_END());
}

/* Extracts the SDP (and SIPREC metadata) from a request body. Returns 0, or the SIP
 * status to answer with *why set. */
static int request_body(const sip_t *sip, const char **sdp, size_t *sdp_len, rec_siprec_meta **meta,
                        const char **why)
{
    const sip_content_type_t *ct = sip->sip_content_type;
    const char *body = sip->sip_payload ? sip->sip_payload->pl_data : NULL;
    size_t len = sip->sip_payload ? sip->sip_payload->pl_len : 0;
    *sdp = NULL;
    *sdp_len = 0;
    *meta = NULL;
    if (!body || len == 0)
        return 0;
    if (!ct || !ct->c_type || strcasecmp(ct->c_type, "application/sdp") == 0) {
        *sdp = body;
        *sdp_len = len;
        return 0;
    }
    if (strncasecmp(ct->c_type, "multipart/", 10) != 0) {
        *why = "unsupported body type";
        return 415;
    }
    char boundary[80] = "";
    const char *b = msg_params_find(ct->c_params, "boundary=");
    if (b) {
        size_t bl = strlen(b);
        if (bl >= 2 && b[0] == '"' && b[bl - 1] == '"') {
            b++;
            bl -= 2;
        }
        if (bl < sizeof boundary) {
            memcpy(boundary, b, bl);
            boundary[bl] = '\0';
        }
    }
    const char *xml = NULL;
    size_t xml_len = 0;
    if (rec_siprec_split_body(body, len, boundary, sdp, sdp_len, &xml, &xml_len) != AR_E_OK) {
        *why = "malformed multipart body";
        return 400;
    }
    if (!*sdp) {
        *why = "multipart body without application/sdp";
        return 488;
    }
    if (xml) {
        rec_siprec_meta *m = g_new0(rec_siprec_meta, 1);
        if (rec_siprec_parse_metadata(xml, xml_len, m, why) != AR_E_OK) {
            g_free(m);
            return 400;
        }
        *meta = m;
    }
    return 0;
}

/* mediad's X-Record-Params (params of a pause / resume / stop) into the session. */
static void take_params(struct rec_call *c, const sip_t *sip, const char *request)
{
    for (const sip_unknown_t *u = sip ? sip->sip_unknown : NULL; u && c->sess; u = u->un_next)
        if (u->un_name && u->un_value && strcasecmp(u->un_name, "X-Record-Params") == 0)
            rec_session_params_update(c->sess, request, u->un_value);
}

static void handle_reinvite(struct rec_call *c, const sip_t *sip)
{
    take_params(c, sip, "INVITE");
    const char *sdp, *why = "ok";
    size_t sdp_len;
    rec_siprec_meta *meta = NULL;
    int status = request_body(sip, &sdp, &sdp_len, &meta, &why);
    char *answer = g_malloc(REC_ANSWER_CAP);
    if (status)
        goto cleanup;
    if (!sdp) {
        /* Session refresh without an offer: our current description is the offer. */
        if (rec_session_answer(c->sess))
            send_ok(c, rec_session_answer(c->sess));
        else
            status = 488, why = "no session description yet";
        goto cleanup;
    }
    status = rec_session_offer(c->sess, sdp, sdp_len, meta, answer, REC_ANSWER_CAP, &why);
    if (status == 200) {
        send_ok(c, answer);
        status = 0;
    }
cleanup:
    if (status) {
        LOG_WARN(sip, "%s: re-INVITE answered %d: %s", rec_session_name(c->sess), status, why);
        respond_error(c->nh, status, why);
    }
    g_free(meta);
    g_free(answer);
}

static void handle_invite(struct rec_sip *s, nua_handle_t *nh, const sip_t *sip)
{
    struct rec_call *c = g_new0(struct rec_call, 1);
    const char *sdp = NULL, *why = "ok";
    size_t sdp_len = 0;
    rec_siprec_meta *meta = NULL;
    char *answer = NULL;
    int status = 0;
    c->sip = s;
    c->nh = nh;
    nua_handle_bind(nh, c);
    c->next = s->calls;
    s->calls = c;
    if (s->shutting_down) {
        status = 503, why = "shutting down";
        goto cleanup;
    }
    if (s->opts.reject_code) {
        status = s->opts.reject_code, why = "configured to reject (--reject)";
        goto cleanup;
    }
    const url_t *ru = sip->sip_request->rq_url;
    rec_uri uri;
    if (rec_uri_parse(ru->url_user, ru->url_params, &uri) != AR_E_OK) {
        status = 400, why = "bad Request-URI parameter";
        goto cleanup;
    }
    status = request_body(sip, &sdp, &sdp_len, &meta, &why);
    if (status)
        goto cleanup;
    if (!sdp) {
        status = 488, why = "INVITE without an SDP offer";
        goto cleanup;
    }
    int siprec = sip_has_feature(sip->sip_require, "siprec") || meta ||
                 (sip->sip_content_type && sip->sip_content_type->c_type &&
                  strncasecmp(sip->sip_content_type->c_type, "multipart/", 10) == 0);
    char *ruri = url_as_string(nua_handle_home(nh), ru);
    char from[256] = "";
    if (sip->sip_from)
        url_e(from, sizeof from, sip->sip_from->a_url);
    c->sess =
        rec_session_new(&s->opts.media, ruri, &uri, siprec ? REC_DIALECT_SIPREC : REC_DIALECT_SEED,
                        sip->sip_call_id ? sip->sip_call_id->i_id : NULL, from);
    answer = g_malloc(REC_ANSWER_CAP);
    status = rec_session_offer(c->sess, sdp, sdp_len, meta, answer, REC_ANSWER_CAP, &why);
    if (status != 200)
        goto cleanup;
    status = 0;
    LOG_INFO(sip, "%s: recording session offered (%s dialect) by %s", rec_session_name(c->sess),
             siprec ? "SIPREC" : "seed", from);
    if (s->opts.answer_delay_ms > 0) {
        nua_respond(nh, SIP_180_RINGING, TAG_END());
        c->answer = answer;
        answer = NULL;
        c->answer_timer = g_timeout_add((guint)s->opts.answer_delay_ms, on_answer_delay, c);
    } else {
        send_ok(c, answer);
    }
cleanup:
    if (status) {
        LOG_WARN(sip, "INVITE %s answered %d: %s", sip->sip_call_id ? sip->sip_call_id->i_id : "",
                 status, why);
        /* Nothing was recorded: no files are left behind. */
        rec_session_free(&c->sess);
        respond_error(nh, status, why);
    }
    g_free(meta);
    g_free(answer);
}

static void shutdown_finish(struct rec_sip *s)
{
    if (s->shutdown_timer) {
        g_source_remove(s->shutdown_timer);
        s->shutdown_timer = 0;
    }
    if (s->done) {
        void (*done)(void *) = s->done;
        s->done = NULL;
        done(s->done_arg);
    }
}

static void on_nua(nua_event_t event, int status, char const *phrase, nua_t *nua, struct rec_sip *s,
                   nua_handle_t *nh, struct rec_call *c, sip_t const *sip, tagi_t tags[])
{
    (void)nua;
    switch (event) {
    case nua_i_invite:
        if (!sip || !sip->sip_request)
            break;
        if (c && c->sess)
            handle_reinvite(c, sip);
        else if (!c)
            handle_invite(s, nh, sip);
        break;
    case nua_i_cancel:
        if (c)
            call_end(c, "cancelled");
        break;
    case nua_i_bye:
        if (c)
            take_params(c, sip, "BYE");
        if (c)
            call_end(c, "bye");
        break;
    case nua_i_state: {
        int cs = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
        if (cs == nua_callstate_terminated) {
            if (c)
                call_free(c);
            else if (nh)
                nua_handle_destroy(nh);
        }
        break;
    }
    case nua_r_bye:
        LOG_DEBUG(sip, "BYE answered %d %s", status, phrase);
        break;
    case nua_r_shutdown:
        if (status >= 200)
            shutdown_finish(s);
        break;
    case nua_i_error:
        LOG_WARN(sip, "nua error %d %s", status, phrase);
        break;
    default:
        /* OPTIONS, UPDATE (session refresh), ACK and PRACK are answered by nua itself;
         * handles it made for them are released with the stack. */
        break;
    }
}

/* A port free for TCP (and, checked by nua's own bind, UDP) on host. */
static uint16_t probe_port(const char *host)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    uint16_t port = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

int rec_sip_new(rec_sip **out, void *su_root, const rec_sip_opts *o)
{
    struct sockaddr_in sa;
    struct rec_sip *s;
    *out = NULL;
    if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1)
        return AR_E_CONFIG;
    s = g_new0(struct rec_sip, 1);
    s->opts = *o;
    s->host = g_strdup(o->host);
    s->dir = g_strdup(o->media.dir);
    s->opts.host = s->host;
    s->opts.media.dir = s->dir;
    s->opts.media.addr = s->host;
    s->root = su_root;
    /* With port 0 each transport would get its own ephemeral port: pick one for both. */
    for (int attempt = 0; attempt < 20 && !s->nua; attempt++) {
        uint16_t port = o->port ? o->port : probe_port(o->host);
        char url[96], surl[96];
        snprintf(url, sizeof url, "sip:%s:%u", o->host, port);
        /* SIPS: sofia-sip's TLS transport beside UDP/TCP (certificates: docs/recorder.md). */
        int tls = o->tls_cert_dir != NULL;
        uint16_t sport = !tls ? 0 : o->sips_port ? o->sips_port : probe_port(o->host);
        snprintf(surl, sizeof surl, "sips:%s:%u", o->host, sport);
        s->nua = nua_create(su_root, on_nua, s, NUTAG_URL(url), TAG_IF(tls, NUTAG_SIPS_URL(surl)),
                            TAG_IF(tls, TPTAG_CERTIFICATE(o->tls_cert_dir)),
                            TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(o->tls_verify)),
                            NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_SESSION_TIMER(1800),
                            NUTAG_MIN_SE(90), SIPTAG_SUPPORTED_STR("timer, siprec"),
                            SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"),
                            SIPTAG_ACCEPT_STR("application/sdp, multipart/mixed"),
                            SIPTAG_USER_AGENT_STR("arec-recorder"), TAG_END());
        if (s->nua) {
            s->port = port;
            s->sips_port = sport;
        }
        if (o->port)
            break;
    }
    if (!s->nua) {
        g_free(s->host);
        g_free(s->dir);
        g_free(s);
        return AR_E_IO;
    }
    /* Room for a burst of INVITEs while the loop is busy (a drop costs T1). */
    ar_sockbuf_grow_udp(s->port, AR_SOCKBUF_SIP_RCVBUF, NULL);
    *out = s;
    return AR_E_OK;
}

uint16_t rec_sip_port(const rec_sip *s)
{
    return s->port;
}

uint16_t rec_sip_sips_port(const rec_sip *s)
{
    return s->sips_port;
}

static gboolean on_shutdown_timeout(gpointer data)
{
    struct rec_sip *s = data;
    s->shutdown_timer = 0;
    LOG_WARN(sip, "SIP stack did not shut down in time");
    shutdown_finish(s);
    return G_SOURCE_REMOVE;
}

void rec_sip_shutdown(rec_sip *s, void (*done)(void *), void *arg)
{
    s->done = done;
    s->done_arg = arg;
    if (s->shutting_down)
        return;
    s->shutting_down = 1;
    for (struct rec_call *c = s->calls; c; c = c->next) {
        if (c->sess && rec_session_started(c->sess)) {
            call_end(c, "shutdown");
            nua_bye(c->nh, TAG_END());
        } else {
            call_end(c, "shutdown");
        }
    }
    nua_shutdown(s->nua);
    s->shutdown_timer = g_timeout_add_seconds(5, on_shutdown_timeout, s);
}

void rec_sip_free(rec_sip **sp)
{
    struct rec_sip *s = *sp;
    if (!s)
        return;
    *sp = NULL;
    while (s->calls)
        call_free(s->calls);
    if (s->shutdown_timer)
        g_source_remove(s->shutdown_timer);
    nua_destroy(s->nua);
    g_free(s->host);
    g_free(s->dir);
    g_free(s);
}
