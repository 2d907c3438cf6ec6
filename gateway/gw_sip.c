/* SIP stack of gatewayd: sofia-sip nua on the GLib main loop (or its own thread), UDP + TCP. */
#include "gw_sip.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport_tag.h>

#include "ar_err.h"
#include "ar_log.h"
#include "ar_sockbuf.h"
#include "gw_b2bua.h"
#include "gw_call.h"
#include "gw_metrics.h"
#include "gw_sipbatch.h"
#include "gw_sipspin.h"
#include "gw_sipio.h"
#include "gw_sipthread.h"
#include "gw_wakeup.h"
#include "gw_overload.h"
#include "gw_reg.h"
#include "gw_siptls.h"

/*
 * Largest message the parser takes (bigger ones close the TCP connection), and the
 * largest INVITE / REGISTER we act on: above it the answer is 513 Message Too Large.
 */
#define GW_SIP_MAXSIZE          (256 * 1024)
#define GW_SIP_MAX_REQUEST      16384
#define GW_SIP_START_TIMEOUT_MS 5000

/*
 * sofia-sip's transport log: exported by libsofia-sip-ua but not declared in its headers.
 * At level 3 it carries only errors, among them a refused TLS handshake, which sofia
 * reports nowhere else (the INVITE would wait for Timer B).
 */
extern su_log_t tport_log[];

/* A refused certificate, off sofia's stack: the legs waiting for that handshake fail. */
static gboolean on_tls_refused(gpointer ud)
{
    gw_sip *s = ud;
    char reason[sizeof s->tls_reason];
    g_mutex_lock(&s->tls_lock);
    s->tls_idle = 0;
    g_strlcpy(reason, s->tls_reason, sizeof reason);
    g_mutex_unlock(&s->tls_lock);
    if (s->b2b)
        gw_b2bua_tls_refused(s->b2b, reason);
    return G_SOURCE_REMOVE;
}

/*
 * sofia-sip 1.12.11's certificate check logs "-Error with certificate at depth: N", then
 * "  issuer = ...", "  subject = ...", "  err N:reason" and fails the handshake without
 * failing the transaction waiting for it: the reason line is our signal. With
 * sip-stack-thread the lines come from the stack's thread: the lock guards what
 * on_tls_refused reads, and g_idle_add() is GLib's thread-safe way onto the loop.
 */
static void tls_log_line(gw_sip *s, const char *line)
{
    g_mutex_lock(&s->tls_lock);
    const char *v;
    if (g_str_has_prefix(line, "-Error with certificate at depth")) {
        s->tls_subject[0] = '\0';
    } else if ((v = strstr(line, "subject  = ")) != NULL) {
        g_strlcpy(s->tls_subject, v + 11, sizeof s->tls_subject);
    } else if ((v = strstr(line, "  err ")) == line) {
        LOG_WARN(sip, "TLS: peer certificate refused: %s (certificate %s)", v + 6,
                 s->tls_subject[0] ? s->tls_subject : "?");
        /* Off sofia's stack: the model may act on the failure at once. */
        g_strlcpy(s->tls_reason, v + 6, sizeof s->tls_reason);
        if (!s->tls_idle)
            s->tls_idle = g_idle_add(on_tls_refused, s);
    }
    g_mutex_unlock(&s->tls_lock);
}

/* sofia's own log lines go to our "sip" subsystem at debug level; TLS failures warn. */
static void sofia_log(void *stream, char const *fmt, va_list ap)
{
    gw_sip *s = stream;
    bool debug = ar_log_enabled(AR_LOG_sip, AR_LOG_DEBUG);
    if (!debug && !(s && s->tls))
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (s && s->tls)
        tls_log_line(s, line);
    if (n && debug)
        ar_log_write(AR_LOG_sip, AR_LOG_DEBUG, "sofia: %s", line);
}

/* The transport address a request came from (NULL when unknown). */
static const struct sockaddr *request_source(nua_t *nua)
{
    msg_t *msg = nua_current_request(nua);
    su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
    return ai && ai->ai_addr ? (const struct sockaddr *)ai->ai_addr : NULL;
}

/* A new request above GW_SIP_MAX_REQUEST bytes: 513 and forget it. */
static bool too_large(nua_t *nua, nua_handle_t *nh)
{
    msg_t *msg = nua_current_request(nua);
    size_t n = msg ? msg_size(msg) : 0;
    if (n <= GW_SIP_MAX_REQUEST)
        return false;
    LOG_WARN(sip, "request of %zu bytes refused (513, limit %d)", n, GW_SIP_MAX_REQUEST);
    nua_respond(nh, 513, "Message Too Large", NUTAG_WITH_THIS(nua), TAG_END());
    nua_handle_destroy(nh);
    return true;
}

static void on_get_params(gw_sip *s, tagi_t tags[])
{
    const tagi_t *t = tl_find(tags, ntatag_contact);
    const sip_contact_t *m = t ? (const sip_contact_t *)t->t_value : NULL;
    /* With SIPS the agent's contact is the TLS one: the UDP/TCP port is the one we chose. */
    if (!s->tls && m)
        s->port = m->m_url->url_port ? atoi(m->m_url->url_port) : 5060;
    s->got_params = true;
}

struct gw_sip_ping {
    nua_handle_t *nh;
    gw_sip_ping_fn cb;
    void *ud;
};

static void ping_destroy(gpointer data)
{
    gw_sip_ping *p = data;
    nua_handle_destroy(p->nh);
    g_free(p);
}

gw_sip_ping *gw_sip_options_ping(gw_sip *s, const char *target, gw_sip_ping_fn cb, void *ud)
{
    if (!s || !s->nua || !target || strncmp(target, "sip", 3) != 0)
        return NULL;
    gw_sip_ping *p = g_new0(gw_sip_ping, 1);
    p->cb = cb;
    p->ud = ud;
    p->nh = nua_handle(s->nua, p, NUTAG_URL(target), SIPTAG_TO_STR(target), TAG_END());
    if (!p->nh) {
        g_free(p);
        return NULL;
    }
    g_hash_table_add(s->pings, p);
    nua_options(p->nh, TAG_END());
    return p;
}

void gw_sip_ping_cancel(gw_sip *s, gw_sip_ping **pp)
{
    if (*pp)
        g_hash_table_remove(s->pings, *pp); /* destroys the handle: nua drops the answer */
    *pp = NULL;
}

/* A final answer to one of our OPTIONS pings: true when hmagic was one. */
static bool on_ping_answer(gw_sip *s, int status, const char *phrase, void *hmagic,
                           const sip_t *sip)
{
    gw_sip_ping *p = hmagic;
    if (!p || !g_hash_table_contains(s->pings, p))
        return false;
    if (status < 200)
        return true;
    g_hash_table_steal(s->pings, p);
    /* mediad puts its counters in the body (docs/pools.md): handed over as a string. */
    const char *ct = sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
    char *body = sip && sip->sip_payload && sip->sip_payload->pl_data
                     ? g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
                     : NULL;
    p->cb(p->ud, status, phrase, ct, body);
    g_free(body);
    ping_destroy(p);
    return true;
}

/*
 * Load shedding, before any state exists for a new INVITE or a REGISTER: past a
 * limit the answer is 503 + Retry-After and the handle goes at once.
 */
static bool shed(gw_sip *s, nua_t *nua, nua_handle_t *nh, bool invite)
{
    const gw_config *cfg = s->srv->cfg;
    gw_ol_limits lim = {cfg->max_calls, cfg->max_call_rate, cfg->max_register_rate};
    int64_t now = g_get_monotonic_time();
    gw_ol_verdict v =
        invite ? gw_overload_call(s->overload, &lim, s->calls ? gw_calls_count(s->calls) : 0, now)
               : gw_overload_register(s->overload, &lim, now);
    if (v == GW_OL_ADMIT)
        return false;
    gw_ctr.sip_shed[v]++;
    if (gw_overload_should_log(s->overload, v, now))
        LOG_WARN(sip, "%s refused 503: %s (%" G_GUINT64_FORMAT " so far)",
                 invite ? "INVITE" : "REGISTER", gw_overload_reason(v),
                 gw_overload_shed(s->overload, v));
    char ra[16], warn[96];
    snprintf(ra, sizeof ra, "%d", cfg->overload_retry_after);
    snprintf(warn, sizeof warn, "399 gatewayd \"%s\"", gw_overload_reason(v));
    nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(nua), SIPTAG_RETRY_AFTER_STR(ra),
                SIPTAG_WARNING_STR(warn), TAG_END());
    nua_handle_destroy(nh);
    return true;
}

static bool is_request_event(nua_event_t ev)
{
    switch (ev) {
    case nua_i_refer:
    case nua_i_publish:
    case nua_i_prack:
    case nua_i_info:
    case nua_i_update:
    case nua_i_message:
    case nua_i_chat:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_method:
        return true;
    default:
        return false;
    }
}

static void on_nua(nua_event_t ev, int status, char const *phrase, nua_t *nua, nua_magic_t *magic,
                   nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
    gw_sip *s = (gw_sip *)magic;
    if (s->thread)
        gw_sipthread_event(s->thread);
    switch (ev) {
    case nua_r_get_params:
        on_get_params(s, tags);
        return;
    case nua_r_shutdown:
        LOG_DEBUG(sip, "nua shutdown: %d %s", status, phrase);
        if (status >= 200)
            s->shutdown_done = true;
        return;
    case nua_i_register:
        if (too_large(nua, nh) || shed(s, nua, nh, false))
            return;
        if (s->reg)
            gw_reg_on_register(s->reg, nh, sip, request_source(nua));
        else
            nua_handle_destroy(nh);
        return;
    case nua_i_options:
        /* nua answered it already (200 with Allow / Accept / Supported). */
        LOG_DEBUG(sip, "OPTIONS answered");
        if (!hmagic)
            nua_handle_destroy(nh);
        return;
    case nua_r_options:
        if (on_ping_answer(s, status, phrase, hmagic, sip))
            return;
        break;
    case nua_i_error:
        LOG_WARN(sip, "nua error %d %s", status, phrase);
        return;
    default:
        break;
    }
    if (ev == nua_i_invite && !hmagic && (too_large(nua, nh) || shed(s, nua, nh, true)))
        return;
    if (s->b2b && gw_b2bua_on_event(s->b2b, ev, status, phrase, nh, (gw_leg *)hmagic, sip, tags,
                                    request_source(nua)))
        return;
    /* A handle nobody claims (a stray MESSAGE, SUBSCRIBE, REFER): nua already answered. */
    if (!hmagic && nh && is_request_event(ev))
        nua_handle_destroy(nh);
}

static gboolean on_wait_timeout(gpointer ud)
{
    *(bool *)ud = true;
    return G_SOURCE_REMOVE;
}

/*
 * Run the loop until flag is set or the timeout passes: only at start (the bound
 * port) and at stop (nua's shutdown), before / after the main loop runs.
 */
static bool legs_gone(gw_sip *s)
{
    return gw_b2bua_nlegs(s->b2b) == 0;
}

/* The loop runs until done(s) or timeout_ms pass (at stop only, the main loop is over). */
static void wait_cond(bool (*done)(gw_sip *), gw_sip *s, int timeout_ms)
{
    bool expired = false;
    guint t = g_timeout_add((guint)timeout_ms, on_wait_timeout, &expired);
    while (!done(s) && !expired)
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(t);
}

static void wait_flag(const bool *flag, int timeout_ms)
{
    bool expired = false;
    guint t = g_timeout_add((guint)timeout_ms, on_wait_timeout, &expired);
    while (!*flag && !expired)
        g_main_context_iteration(NULL, TRUE);
    if (!expired)
        g_source_remove(t);
}

/*
 * nua on sip-listen (UDP + TCP) and, with SIPS, sips-listen (TLS). With SIPS nua then
 * reports only the TLS contact back, so the UDP/TCP port of a "port 0" is chosen here.
 * NULL with *err set when a transport cannot bind.
 */
static nua_t *create_nua(gw_sip *s, const gw_config *cfg, char **err)
{
    char *surl = NULL;
    if (s->tls) {
        s->port = cfg->sip_listen.port ? cfg->sip_listen.port : gw_siptls_probe_port(s->host, true);
        s->sips_port = gw_siptls_port(s->tls);
        if (s->port <= 0 || s->sips_port <= 0) {
            *err = g_strdup("sip: no free port for sip-listen / sips-listen");
            return NULL;
        }
        const char *sh = cfg->sips_listen.host;
        surl = g_strdup_printf(strchr(sh, ':') ? "sips:[%s]:%d" : "sips:%s:%d", sh, s->sips_port);
    }
    bool v6 = strchr(s->host, ':') != NULL;
    char *url = g_strdup_printf(v6 ? "sip:[%s]:%d" : "sip:%s:%d", s->host,
                                s->tls ? s->port : cfg->sip_listen.port);
    char *ua = g_strdup_printf("%s", GW_SERVER_VERSION);
    /*
     * Media is off: the gateway forwards SDP bodies as they are. Answers are ours to
     * send (AUTOANSWER 0), ACKs too (AUTOACK 0: a late-offer 2xx needs the other
     * leg's answer in its ACK). REGISTER is answered by gw_reg, REFER by the B2BUA
     * (APPL_METHOD).
     */
    nua_t *nua = nua_create(
        s->root, on_nua, (nua_magic_t *)s, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
        NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(0), NUTAG_AUTOALERT(0), NUTAG_ENABLEINVITE(1),
        NUTAG_APPL_METHOD("REGISTER"), NUTAG_APPL_METHOD("REFER"),
        SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, INFO, REFER"),
        NUTAG_SESSION_TIMER(cfg->session_expires), NUTAG_MIN_SE(90),
        NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(1),
        SIPTAG_SUPPORTED_STR("timer"), SIPTAG_USER_AGENT_STR(ua), NTATAG_MAXSIZE(GW_SIP_MAXSIZE),
        NTATAG_UDP_MTU(65535), TAG_IF(s->tls, NUTAG_SIPS_URL(surl)),
        TAG_IF(s->tls, TPTAG_CERTIFICATE(s->tls ? gw_siptls_dir(s->tls) : NULL)),
        TAG_IF(s->tls, TPTAG_TLS_VERIFY_POLICY(s->tls ? gw_siptls_policy(s->tls) : 0)), TAG_END());
    if (!nua)
        *err = g_strdup_printf("sip: cannot listen on %s (udp+tcp)%s%s%s", url, surl ? " and " : "",
                               surl ? surl : "", surl ? " (tls)" : "");
    g_free(ua);
    g_free(url);
    g_free(surl);
    return nua;
}

/* A batch of SIP messages writes each T-Lib client once (gw_sipbatch.h). */
static void batch_begin(void *srv)
{
    gw_server_hold_flush(srv);
}

static void batch_end(void *srv)
{
    gw_server_release_flush(srv);
}

/* SO_RCVBUF of the UDP sockets (ar_sockbuf.h says why): bursts queue instead of dropping. */
static void tune_udp(gw_sip *s, const gw_config *cfg)
{
    if (cfg->sip_udp_rcvbuf <= 0)
        return;
    int eff = 0;
    int n = ar_sockbuf_grow_udp((uint16_t)s->port, cfg->sip_udp_rcvbuf, &eff);
    if (n == 0)
        LOG_WARN(sip, "sip-udp-rcvbuf %d: no UDP socket of the SIP port took it",
                 cfg->sip_udp_rcvbuf);
    else if (eff / 2 < cfg->sip_udp_rcvbuf) /* Linux reports twice the request */
        LOG_WARN(sip, "sip-udp-rcvbuf %d: the kernel gave %d bytes (raise net.core.rmem_max)",
                 cfg->sip_udp_rcvbuf, eff);
    else
        LOG_INFO(sip, "SIP UDP receive buffer %d bytes (%d socket(s))", eff, n);
}

/* sip-batch-io (gw_sipio.h): the stack thread reads and sends the SIP port's UDP in batches. */
static void batch_io(gw_sip *s, const gw_config *cfg)
{
    if (!cfg->sip_stack_thread || !cfg->sip_batch_io)
        return;
    int fds[GW_SIPIO_MAX_FDS];
    int n = ar_sockbuf_udp_fds((uint16_t)s->port, fds, GW_SIPIO_MAX_FDS);
    gw_sipio_enable(fds, n);
    LOG_INFO(sip, "SIP UDP in batches of up to %d datagrams (%d socket(s))", GW_SIPIO_BATCH, n);
}

/* sip-stack-scheduling: the stack thread's own (docs/configuration.md). */
static void stack_scheduling(const ar_sched_spec *spec)
{
    long tid = gw_sipthread_tid();
    if (tid > 0)
        ar_sched_apply_logged(spec, (int)tid, AR_LOG_sip, "sip-stack-scheduling",
                              "the SIP stack's thread");
    else if (spec->kind != AR_SCHED_DEFAULT)
        LOG_WARN(sip, "sip-stack-scheduling not applied: the stack's thread is not known");
}

gw_sip *gw_sip_new(gw_server *srv, gw_calls *calls, char **err)
{
    const gw_config *cfg = srv->cfg;
    gw_sip *s = g_new0(gw_sip, 1);
    g_mutex_init(&s->tls_lock);
    s->srv = srv;
    s->calls = calls;
    s->pings = g_hash_table_new_full(g_direct_hash, g_direct_equal, ping_destroy, NULL);
    s->overload = gw_overload_new();
    su_init();
    su_log_redirect(NULL, sofia_log, s);
    if (cfg->sips_listen.host)
        su_log_set_level(tport_log, 3); /* the TLS errors (tls_log_line) */
    su_root_t *root = su_glib_root_create(s);
    if (!root) {
        *err = g_strdup("sip: cannot create the sofia-sip root");
        goto fail;
    }
    /*
     * With sip-stack-thread (the default) nua_create() runs nua in a su_clone thread
     * (gw_sipthread.h); its events are then queued to this root from that thread, whose
     * wake-ups gw_wakeup passes through (only the loop thread's own are skipped).
     * Without it nua stays in this thread: one event loop for everything.
     */
    if (!cfg->sip_stack_thread)
        su_root_threading(root, 0);
    /* nua's messages to itself then need no eventfd write each (gw_wakeup.h). */
    if (!cfg->sip_self_wakeups)
        gw_wakeup_set_loop_thread();
    s->root = root;
    /*
     * Without CAN_RECURSE, GLib "blocks" a source around each dispatch by removing and
     * re-adding every one of its poll fds, and each removal or addition writes the
     * context's wakeup eventfd: two writes per SIP socket per dispatch (91% of the
     * loop's write() calls under load). Nothing here runs a nested loop iteration from
     * a sofia callback, so the block is not needed.
     */
    g_source_set_can_recurse(su_glib_root_gsource(root), TRUE);
    g_source_attach(su_glib_root_gsource(root), NULL);
    if (cfg->sip_stack_thread) {
        /* No socket on this root: one dispatch delivers every queued event. The stack's
         * timers run on its own thread, so gw_sipspin has nothing to wait for here. */
        s->thread = gw_sipthread_new(su_glib_root_gsource(root), batch_begin, batch_end, srv);
    } else {
        s->batch = gw_sipbatch_new(su_glib_root_gsource(root), cfg->sip_dispatch_batch);
        gw_sipbatch_set_hooks(s->batch, batch_begin, batch_end, srv);
        gw_sipbatch_set_max_us(s->batch, cfg->sip_batch_max_us);
        if (cfg->sip_timer_wait)
            s->spin = gw_sipspin_new(su_glib_root_gsource(root));
    }
    s->host = g_strdup(cfg->sip_listen.host);
    /* SIPS (gw_siptls.c): sofia-sip's TLS transport next to UDP and TCP. */
    s->tls = gw_siptls_new(cfg, err);
    if (*err)
        goto fail;
    /* Ports we pick ourselves (port 0 with SIPS) may be taken before sofia-sip binds
     * them: a few tries, each with new ones. */
    bool probed = s->tls && (!cfg->sip_listen.port || !cfg->sips_listen.port);
    GArray *tasks = gw_sipthread_tasks();
    sigset_t sigs;
    gw_sipthread_block_signals(&sigs);
    for (int attempt = 0; !s->nua && attempt < (probed ? 5 : 1); attempt++) {
        g_free(*err);
        *err = NULL;
        s->nua = create_nua(s, cfg, err);
    }
    gw_sipthread_restore_signals(&sigs);
    if (s->nua && cfg->sip_stack_thread) {
        gw_sipthread_adopt(tasks, "gw-sip-stack");
        stack_scheduling(&cfg->sip_stack_scheduling);
    }
    g_array_free(tasks, TRUE);
    gw_siptls_loaded(s->tls); /* the transport has read the key: drop our private copy */
    if (!s->nua)
        goto fail;
    nua_get_params(s->nua, TAG_ANY(), TAG_END());
    wait_flag(&s->got_params, GW_SIP_START_TIMEOUT_MS);
    if (!s->got_params || s->port <= 0) {
        *err = g_strdup("sip: the transport did not report its bound port");
        goto fail;
    }
    tune_udp(s, cfg);
    batch_io(s, cfg);
    s->reg = gw_reg_new(s, err);
    if (!s->reg)
        goto fail;
    s->b2b = gw_b2bua_new(s);
    LOG_INFO(sip, "SIP listening on %s:%d (udp, tcp)", s->host, s->port);
    if (s->tls)
        LOG_INFO(sip, "SIPS listening on %s:%d (tls, certificates %s, verify %s)",
                 cfg->sips_listen.host, s->sips_port,
                 cfg->sip_tls.cert_dir ? gw_siptls_dir(s->tls) : "from sip-tls-cert/-key/-ca",
                 gw_siptls_policy_name(s->tls));
    return s;
fail:
    gw_sip_free(&s);
    return NULL;
}

int gw_sip_port(const gw_sip *s)
{
    return s ? s->port : 0;
}

int gw_sip_sips_port(const gw_sip *s)
{
    return s ? s->sips_port : 0;
}

void gw_sip_free(gw_sip **ps)
{
    gw_sip *s = *ps;
    if (!s)
        return;
    if (s->nua) {
        g_hash_table_remove_all(s->pings); /* before nua goes: their handles are nua's */
        /*
         * Calls in progress get their BYE / CANCEL / 503 now; the loop runs until every
         * leg has its answer or shutdown-timeout-ms passes. Legs still waiting then
         * (a peer that never answers its BYE) have their handles destroyed, which ends
         * their transactions, so nua_shutdown completes at once. This happens before
         * nua_shutdown because nua ignores everything but shutdown after it.
         */
        int64_t t0 = g_get_monotonic_time();
        if (s->b2b) {
            gw_b2bua_shutdown(s->b2b);
            wait_cond(legs_gone, s, s->srv->cfg->shutdown_timeout_ms);
            if (gw_b2bua_nlegs(s->b2b)) {
                LOG_WARN(sip, "shutdown: %zu leg(s) did not answer their BYE / CANCEL in %d ms",
                         gw_b2bua_nlegs(s->b2b), s->srv->cfg->shutdown_timeout_ms);
                gw_b2bua_drop_handles(s->b2b);
            }
        }
        nua_shutdown(s->nua);
        wait_flag(&s->shutdown_done, GW_SIP_FINAL_SHUTDOWN_MS);
        LOG_INFO(sip, "SIP shutdown %s after %" G_GINT64_FORMAT " ms",
                 s->shutdown_done ? "complete" : "cut short", (g_get_monotonic_time() - t0) / 1000);
        if (s->shutdown_done) {
            nua_destroy(s->nua);
        } else {
            LOG_ERR(sip, "SIP stack did not shut down: left to the process exit");
            /* Its thread still runs and logs through s: nothing of it may go. */
            if (s->thread) {
                *ps = NULL;
                return;
            }
        }
    }
    /* The stack's thread is gone (nua_destroy waited for it) or never started. */
    if (s->tls_idle)
        g_source_remove(s->tls_idle);
    if (s->thread)
        LOG_INFO(sip,
                 "SIP stack thread: %" PRIu64 " events in %" PRIu64 " loop dispatches, %" PRIu64
                 " wake-ups of the loop for %" PRIu64 " asked",
                 gw_sipthread_events(s->thread), gw_sipthread_batches(s->thread),
                 gw_sipthread_given(), gw_sipthread_deferred());
    gw_sipio_stats io;
    gw_sipio_get_stats(&io);
    if (io.recv_calls || io.send_calls)
        LOG_INFO(sip,
                 "SIP UDP batches: %" PRIu64 " datagrams read in %" PRIu64 " recvmmsg, %" PRIu64
                 " sent in %" PRIu64 " sendmmsg, %" PRIu64 " refused; %" PRIu64
                 " reactor rounds on datagrams read ahead",
                 io.recv_datagrams, io.recv_calls, io.send_datagrams, io.send_calls,
                 io.send_dropped, io.ready_rounds);
    if (gw_wakeup_skipped())
        LOG_INFO(sip, "main loop wake-ups skipped (asked by the loop thread): %" PRIu64,
                 gw_wakeup_skipped());
    gw_b2bua_free(&s->b2b);
    gw_reg_free(&s->reg);
    gw_sipbatch_free(&s->batch);
    gw_sipthread_free(&s->thread);
    if (s->spin)
        LOG_INFO(sip, "sofia-sip timer readiness turned into 1 ms waits: %" PRIu64,
                 gw_sipspin_deferred(s->spin));
    gw_sipspin_free(&s->spin);
    if (s->root)
        su_root_destroy(s->root);
    su_log_redirect(NULL, NULL, NULL); /* sofia_log's stream is s */
    su_deinit();
    if (s->pings)
        g_hash_table_destroy(s->pings);
    gw_overload_free(&s->overload);
    gw_siptls_free(&s->tls);
    g_free(s->host);
    g_mutex_clear(&s->tls_lock);
    g_free(s);
    *ps = NULL;
}
