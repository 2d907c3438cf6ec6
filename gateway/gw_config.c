/* gatewayd configuration: INI-like parser and validation with line-numbered errors. */
#include "gw_config.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ar_log.h"
#include "gw_config_int.h"

#define GW_RANGE_MAX 100000 /* a range section may expand to at most this many entries */

static const char *const dn_type_names[] = {
#define GW_DN_TYPE_NAME(name, text) text,
    GW_DN_TYPES(GW_DN_TYPE_NAME)
#undef GW_DN_TYPE_NAME
};

const char *gw_dn_type_name(gw_dn_type t)
{
    return (unsigned)t < GW_DN_NTYPES ? dn_type_names[t] : "?";
}

/* ---- error list ---------------------------------------------------------------- */

static void err_add(gw_config_errors *e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void err_add(gw_config_errors *e, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 8;
        e->msgs = g_renew(char *, e->msgs, e->cap);
    }
    e->msgs[e->n++] = g_strdup_printf("%s:%d: %s", file, line, msg);
    g_free(msg);
}

void gw_config_err_add(gw_config_errors *e, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    err_add(e, file, line, "%s", msg);
    g_free(msg);
}

void gw_config_errors_clear(gw_config_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++)
        g_free(errs->msgs[i]);
    g_free(errs->msgs);
    memset(errs, 0, sizeof *errs);
}

/* ---- value parsers ------------------------------------------------------------- */

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0)
            return *out = true, true;
        if (g_ascii_strcasecmp(v, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

static bool parse_i64(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    if (!*v || isspace((unsigned char)*v))
        return false;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool parse_u64_digits(const char *s, size_t n, uint64_t *out)
{
    if (!all_digits(s, n) || n > 18)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x * 10 + (uint64_t)(s[i] - '0');
    *out = x;
    return true;
}

bool gw_listen_parse(const char *text, gw_listen *out)
{
    const char *colon;
    char *host;
    if (text[0] == '[') {
        const char *rb = strchr(text, ']');
        if (!rb || rb[1] != ':')
            return false;
        host = g_strndup(text + 1, (size_t)(rb - text - 1));
        colon = rb + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return false;
        host = g_strndup(text, (size_t)(colon - text));
    }
    int64_t port;
    if (!*host || !parse_i64(colon + 1, 0, 65535, &port)) {
        g_free(host);
        return false;
    }
    out->host = host;
    out->port = (int)port;
    return true;
}

/* Log level spec: "info" or "tlib=debug,ws=info" with subsystems from ar_log.h. */
static bool valid_log_spec(const char *spec)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    static const char *const subs[] = {
#define GW_SUB_NAME(n) #n,
        AR_LOG_SUBSYS(GW_SUB_NAME)
#undef GW_SUB_NAME
    };
    bool ok = true;
    char **parts = g_strsplit(spec, ",", -1);
    for (char **p = parts; *p && ok; p++) {
        char *item = g_strstrip(*p);
        char *eq = strchr(item, '=');
        const char *lvl = item;
        if (eq) {
            *eq = '\0';
            lvl = eq + 1;
            bool found = false;
            for (size_t i = 0; i < G_N_ELEMENTS(subs); i++)
                found |= strcmp(g_strstrip(item), subs[i]) == 0;
            ok = found;
        }
        bool lfound = false;
        for (size_t i = 0; i < G_N_ELEMENTS(levels); i++)
            lfound |= g_ascii_strcasecmp(lvl, levels[i]) == 0;
        ok = ok && lfound;
    }
    g_strfreev(parts);
    return ok && *spec;
}

/* "*", "5001", "5001-5020", "name" separated by commas. */
static bool parse_dn_set(const char *v, gw_dn_set *set, char **bad)
{
    char **parts = g_strsplit(v, ",", -1);
    bool ok = true;
    for (char **p = parts; *p; p++) {
        char *item = g_strstrip(*p);
        if (!*item)
            continue;
        if (strcmp(item, "*") == 0) {
            set->all = true;
            continue;
        }
        struct gw_dn_range r = {0};
        char *dash = strchr(item, '-');
        if (dash && all_digits(item, (size_t)(dash - item))) {
            if (!parse_u64_digits(item, (size_t)(dash - item), &r.lo) ||
                !parse_u64_digits(dash + 1, strlen(dash + 1), &r.hi) || r.hi < r.lo) {
                *bad = g_strdup(item);
                ok = false;
                break;
            }
        } else if (parse_u64_digits(item, strlen(item), &r.lo)) {
            r.hi = r.lo;
        } else {
            r.text = g_strdup(item);
        }
        set->r = g_renew(struct gw_dn_range, set->r, set->n + 1);
        set->r[set->n++] = r;
    }
    g_strfreev(parts);
    return ok;
}

static void dn_set_clear(gw_dn_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        g_free(s->r[i].text);
    g_free(s->r);
    memset(s, 0, sizeof *s);
}

bool gw_dn_set_contains(const gw_dn_set *s, const char *number)
{
    if (s->all)
        return true;
    uint64_t x;
    bool numeric = parse_u64_digits(number, strlen(number), &x);
    for (size_t i = 0; i < s->n; i++) {
        const struct gw_dn_range *r = &s->r[i];
        if (r->text ? strcmp(r->text, number) == 0 : (numeric && x >= r->lo && x <= r->hi))
            return true;
    }
    return false;
}

/* ---- option tables ------------------------------------------------------------- */

#define O(name, kind, type, field, lo, hi)                                                         \
    {                                                                                              \
        name, kind, offsetof(type, field), lo, hi                                                  \
    }
#define REC_OPTS(type, prefix)                                                                     \
    O("recording-filename", OPT_STR, type, prefix.recording_filename, 0, 0),                       \
        O("msml-support", OPT_TRI, type, prefix.msml_support, 0, 0),                               \
        O("msml-record-support", OPT_TRI, type, prefix.msml_record_support, 0, 0),                 \
        O("record-consult-calls", OPT_TRI, type, prefix.record_consult_calls, 0, 0),               \
        O("recording-dest", OPT_STR, type, prefix.recording_dest, 0, 0),                           \
        O("recording-dest2", OPT_STR, type, prefix.recording_dest2, 0, 0),                         \
        O("recmediactl", OPT_INT, type, prefix.recmediactl, 1, 2),                                 \
        O("audiosrc", OPT_STR, type, prefix.audiosrc, 0, 0),                                       \
        O("tonesilenceduration", OPT_INT, type, prefix.tonesilenceduration, 0, 3600000)

const opt_desc gw_gateway_opts[] = {
    O("site", OPT_STR, gw_config, site, 0, 0),
    O("application-name", OPT_STR, gw_config, application_name, 0, 0),
    O("tlib-listen", OPT_LISTEN, gw_config, tlib_listen, 0, 0),
    O("ws-listen", OPT_LISTEN, gw_config, ws_listen, 0, 0),
    O("max-frame-size", OPT_U32, gw_config, max_frame_size, 1024, 64 << 20),
    O("client-queue-limit", OPT_U64, gw_config, client_queue_limit, 4096, 1LL << 32),
    O("frame-timeout", OPT_INT, gw_config, frame_timeout, 1, 3600),
    O("tlib-first", OPT_BOOL, gw_config, tlib_first, 0, 0),
    O("sip-batch-max-us", OPT_INT, gw_config, sip_batch_max_us, 0, 1000000),
    O("sip-timer-wait", OPT_BOOL, gw_config, sip_timer_wait, 0, 0),
    O("scheduling", OPT_SCHED, gw_config, scheduling, 0, 0),
    O("max-clients", OPT_INT, gw_config, max_clients, 1, 1000000),
    O("log-level", OPT_LOGSPEC, gw_config, log_level, 0, 0),
    O("web-root", OPT_STR, gw_config, web_root, 0, 0),
    O("max-connections-per-source", OPT_INT, gw_config, max_conns_per_source, 1, 1000000),
    O("desktop-resume-bytes", OPT_INT, gw_config, resume_ring_bytes, 0, 16 << 20),
    O("desktop-resume-window", OPT_INT, gw_config, resume_window, 0, 86400),
    O("heartbeat-interval", OPT_INT, gw_config, heartbeat_interval, 0, 3600),
    O("auth-timeout", OPT_INT, gw_config, auth_timeout, 1, 3600),
    O("status-token", OPT_STR, gw_config, status_token, 0, 0),
    O("ws-tls-cert", OPT_STR, gw_config, ws_tls.cert, 0, 0),
    O("ws-tls-key", OPT_STR, gw_config, ws_tls.key, 0, 0),
    O("ws-tls-ca", OPT_STR, gw_config, ws_tls.ca, 0, 0),
    O("sip-listen", OPT_LISTEN, gw_config, sip_listen, 0, 0),
    O("trusted-networks", OPT_STR, gw_config, trusted_networks, 0, 0),
    O("sips-listen", OPT_LISTEN, gw_config, sips_listen, 0, 0),
    O("sip-tls-cert-dir", OPT_STR, gw_config, sip_tls.cert_dir, 0, 0),
    O("sip-tls-cert", OPT_STR, gw_config, sip_tls.cert, 0, 0),
    O("sip-tls-key", OPT_STR, gw_config, sip_tls.key, 0, 0),
    O("sip-tls-ca", OPT_STR, gw_config, sip_tls.ca, 0, 0),
    O("sip-tls-verify", OPT_STR, gw_config, sip_tls.verify, 0, 0),
    O("no-answer-timeout", OPT_INT, gw_config, no_answer_timeout, 1, 3600),
    O("session-expires", OPT_INT, gw_config, session_expires, 0, 86400),
    O("register-rate-limit", OPT_INT, gw_config, register_rate_limit, 1, 100000),
    O("sip-udp-rcvbuf", OPT_INT, gw_config, sip_udp_rcvbuf, 0, 1 << 30),
    O("sip-dispatch-batch", OPT_INT, gw_config, sip_dispatch_batch, 1, 100000),
    O("sip-self-wakeups", OPT_BOOL, gw_config, sip_self_wakeups, 0, 0),
    O("sip-stack-thread", OPT_BOOL, gw_config, sip_stack_thread, 0, 0),
    O("sip-stack-scheduling", OPT_SCHED, gw_config, sip_stack_scheduling, 0, 0),
    O("sip-batch-io", OPT_BOOL, gw_config, sip_batch_io, 0, 0),
    O("max-calls", OPT_INT, gw_config, max_calls, 0, 10000000),
    O("max-call-rate", OPT_INT, gw_config, max_call_rate, 0, 1000000),
    O("max-register-rate", OPT_INT, gw_config, max_register_rate, 0, 1000000),
    O("overload-retry-after", OPT_INT, gw_config, overload_retry_after, 1, 3600),
    O("shutdown-timeout-ms", OPT_INT, gw_config, shutdown_timeout_ms, 0, 60000),
    O("media-oos-check", OPT_INT, gw_config, media_oos_check, 0, 86400),
    O("media-oos-force", OPT_INT, gw_config, media_oos_force, 1, 1000),
    O("recorder-oos-check", OPT_INT, gw_config, recorder_oos_check, 0, 86400),
    O("recorder-oos-force", OPT_INT, gw_config, recorder_oos_force, 1, 1000),
    O("reject-recording-request-on-geo-location-nomatch", OPT_BOOL, gw_config, geo_nomatch_reject,
      0, 0),
    O("recorder-failover", OPT_BOOL, gw_config, recorder_failover, 0, 0),
    O("mediad-failover", OPT_BOOL, gw_config, mediad_failover, 0, 0),
    O("islink-max-hops", OPT_INT, gw_config, islink_max_hops, 1, 64),
    O("islink-continue-recording", OPT_BOOL, gw_config, islink_continue_recording, 0, 0),
    O("oosp-transfer-enabled", OPT_BOOL, gw_config, oosp_transfer_enabled, 0, 0),
    O("recording-sessions", OPT_INT, gw_config, recording_sessions, 1, 2),
    O("pre-recording-window-ms", OPT_INT, gw_config, pre_recording_window_ms, 0, 600000),
    O("pre-recording-dir", OPT_STR, gw_config, pre_recording_dir, 0, 0),
    REC_OPTS(gw_config, rec),
    {NULL, 0, 0, 0, 0},
};

const opt_desc gw_dn_opts[] = {
    O("type", OPT_DNTYPE, gw_dn_conf, type, 0, 0),
    O("record", OPT_BOOL, gw_dn_conf, record, 0, 0),
    O("geo-location", OPT_STR, gw_dn_conf, geo_location, 0, 0),
    O("dual-dialog-enabled", OPT_BOOL, gw_dn_conf, dual_dialog_enabled, 0, 0),
    O("pre-recording", OPT_BOOL, gw_dn_conf, pre_recording, 0, 0),
    O("contact", OPT_STR, gw_dn_conf, contact, 0, 0),
    O("service-type", OPT_STR, gw_dn_conf, service_type, 0, 0),
    O("prefix", OPT_STR, gw_dn_conf, prefix, 0, 0),
    O("refer-enabled", OPT_BOOL, gw_dn_conf, refer_enabled, 0, 0),
    O("remote-answer", OPT_ANSWER, gw_dn_conf, remote_answer, 0, 0),
    O("make-call-rfc3725-flow", OPT_INT, gw_dn_conf, make_call_rfc3725_flow, 0, 1),
    O("sip-hold-rfc3264", OPT_BOOL, gw_dn_conf, sip_hold_rfc3264, 0, 0),
    O("oos-check", OPT_INT, gw_dn_conf, oos_check, 0, 86400),
    O("oos-force", OPT_INT, gw_dn_conf, oos_force, 0, 86400),
    O("password", OPT_STR, gw_dn_conf, password, 0, 0),
    O("default-dn", OPT_STR, gw_dn_conf, default_dn, 0, 0),
    O("router-timeout", OPT_INT, gw_dn_conf, router_timeout, 0, 3600),
    O("location-name", OPT_STR, gw_dn_conf, location_name, 0, 0),
    {NULL, 0, 0, 0, 0},
};

const opt_desc gw_agent_opts[] = {
    O("password", OPT_STR, gw_agent_conf, password, 0, 0),
    O("dn", OPT_STR, gw_agent_conf, dn, 0, 0),
    O("record", OPT_BOOL, gw_agent_conf, record, 0, 0),
    {NULL, 0, 0, 0, 0},
};

const opt_desc gw_app_opts[] = {
    O("password", OPT_STR, gw_app_conf, password, 0, 0),
    O("dns", OPT_DNSET, gw_app_conf, dns, 0, 0),
    O("agents", OPT_DNSET, gw_app_conf, agents, 0, 0),
    REC_OPTS(gw_app_conf, rec),
    {NULL, 0, 0, 0, 0},
};

/* [desktop NAME]: a token instead of a password (same field), DN and agent scope. */
const opt_desc gw_desktop_opts[] = {
    O("token", OPT_STR, gw_app_conf, password, 0, 0),
    O("dns", OPT_DNSET, gw_app_conf, dns, 0, 0),
    O("agents", OPT_DNSET, gw_app_conf, agents, 0, 0),
    {NULL, 0, 0, 0, 0},
};

/* [database]: the CDR writer (gw_db.c). */
static const opt_desc gw_database_opts[] = {
    O("dsn", OPT_STR, struct gw_db_conf, dsn, 0, 0),
    O("journal", OPT_STR, struct gw_db_conf, journal, 0, 0),
    O("journal-max-bytes", OPT_U64, struct gw_db_conf, journal_max_bytes, 65536, 1LL << 40),
    O("journal-sync-ms", OPT_INT, struct gw_db_conf, journal_sync_ms, 0, 60000),
    O("batch-rows", OPT_INT, struct gw_db_conf, batch_rows, 1, 100000),
    O("queue-max-rows", OPT_INT, struct gw_db_conf, queue_max_rows, 1, 10000000),
    O("migrate", OPT_BOOL, struct gw_db_conf, migrate, 0, 0),
    {NULL, 0, 0, 0, 0},
};

/* Apply one key = value to the struct at base. Returns false (and reports) on error. */
static bool opt_apply(const opt_desc *d, void *base, const char *val, const char *file, int line,
                      gw_config_errors *errs)
{
    void *f = (char *)base + d->off;
    int64_t x;
    bool b;
    switch (d->kind) {
    case OPT_STR:
        g_free(*(char **)f);
        *(char **)f = g_strdup(val);
        return true;
    case OPT_BOOL:
    case OPT_TRI:
        if (!parse_bool(val, &b)) {
            err_add(errs, file, line, "%s: expected a boolean (true/false), got \"%s\"", d->name,
                    val);
            return false;
        }
        if (d->kind == OPT_BOOL)
            *(bool *)f = b;
        else
            *(int *)f = b;
        return true;
    case OPT_INT:
    case OPT_U32:
    case OPT_U64:
        if (!parse_i64(val, d->lo, d->hi, &x)) {
            err_add(errs, file, line, "%s: expected an integer from %lld to %lld, got \"%s\"",
                    d->name, (long long)d->lo, (long long)d->hi, val);
            return false;
        }
        if (d->kind == OPT_INT)
            *(int *)f = (int)x;
        else if (d->kind == OPT_U32)
            *(uint32_t *)f = (uint32_t)x;
        else
            *(uint64_t *)f = (uint64_t)x;
        return true;
    case OPT_DNTYPE:
        for (int t = 0; t < GW_DN_NTYPES; t++) {
            if (g_ascii_strcasecmp(val, dn_type_names[t]) == 0) {
                *(gw_dn_type *)f = (gw_dn_type)t;
                return true;
            }
        }
        err_add(errs, file, line,
                "type: \"%s\" is not one of Extension, ACD Position, Trunk, Trunk Group, "
                "Routing Point, Voice Treatment Port, VoIP Service",
                val);
        return false;
    case OPT_ANSWER:
        for (int m = GW_RA_NONE; m <= GW_RA_NOTIFY_TALK; m++) {
            if (g_ascii_strcasecmp(val, gw_remote_answer_name((gw_remote_answer)m)) == 0) {
                *(gw_remote_answer *)f = (gw_remote_answer)m;
                return true;
            }
        }
        err_add(errs, file, line, "%s: \"%s\" is not one of none, notify-talk", d->name, val);
        return false;
    case OPT_LISTEN: {
        gw_listen l;
        if (!gw_listen_parse(val, &l)) {
            err_add(errs, file, line, "%s: expected host:port (port 0-65535), got \"%s\"", d->name,
                    val);
            return false;
        }
        g_free(((gw_listen *)f)->host);
        *(gw_listen *)f = l;
        return true;
    }
    case OPT_LOGSPEC:
        if (!valid_log_spec(val)) {
            err_add(errs, file, line,
                    "%s: expected LEVEL or SUBSYSTEM=LEVEL,... (levels error, warn, info, "
                    "debug), got \"%s\"",
                    d->name, val);
            return false;
        }
        g_free(*(char **)f);
        *(char **)f = g_strdup(val);
        return true;
    case OPT_SCHED: {
        char why[160];
        if (!ar_sched_parse(val, (ar_sched_spec *)f, why, sizeof why)) {
            err_add(errs, file, line, "%s: %s", d->name, why);
            return false;
        }
        return true;
    }
    case OPT_DNSET: {
        char *bad = NULL;
        gw_dn_set *s = f;
        dn_set_clear(s);
        if (!parse_dn_set(val, s, &bad)) {
            err_add(errs, file, line, "%s: bad DN range \"%s\"", d->name, bad);
            g_free(bad);
            return false;
        }
        return true;
    }
    }
    return false;
}

static const opt_desc *opt_find(const opt_desc *tab, const char *name)
{
    for (; tab->name; tab++)
        if (strcmp(tab->name, name) == 0)
            return tab;
    return NULL;
}

/* ---- model helpers ------------------------------------------------------------- */

static void rec_clear(gw_rec_opts *r)
{
    g_free(r->recording_filename);
    g_free(r->recording_dest);
    g_free(r->recording_dest2);
    g_free(r->audiosrc);
}

const char *gw_remote_answer_name(gw_remote_answer m)
{
    return m == GW_RA_NOTIFY_TALK ? "notify-talk" : "none";
}

static void rec_init(gw_rec_opts *r)
{
    r->recording_filename = NULL;
    r->recording_dest = r->recording_dest2 = r->audiosrc = NULL;
    r->recmediactl = -1;
    r->tonesilenceduration = -1;
    r->msml_support = r->msml_record_support = r->record_consult_calls = -1;
}

static void dn_clear(gw_dn_conf *d)
{
    g_free(d->number);
    g_free(d->geo_location);
    g_free(d->contact);
    g_free(d->service_type);
    g_free(d->prefix);
    g_free(d->password);
    g_free(d->default_dn);
    g_free(d->location_name);
}

static void dn_defaults(gw_dn_conf *d)
{
    memset(d, 0, sizeof *d);
    d->type = GW_DN_NTYPES; /* "not set": type is mandatory */
    d->dual_dialog_enabled = true;
    d->oos_check = d->oos_force = -1; /* unset: [gateway] media-oos-check / media-oos-force */
    d->refer_enabled = true;
    d->router_timeout = 10;
}

static void dn_copy(gw_dn_conf *dst, const gw_dn_conf *src, const char *number)
{
    *dst = *src;
    dst->number = g_strdup(number);
    dst->geo_location = g_strdup(src->geo_location);
    dst->contact = g_strdup(src->contact);
    dst->service_type = g_strdup(src->service_type);
    dst->prefix = g_strdup(src->prefix);
    dst->password = g_strdup(src->password);
    dst->default_dn = g_strdup(src->default_dn);
    dst->location_name = g_strdup(src->location_name);
}

static void agent_clear(gw_agent_conf *a)
{
    g_free(a->login);
    g_free(a->password);
    g_free(a->dn);
}

static void app_clear(gw_app_conf *a)
{
    g_free(a->name);
    g_free(a->password);
    dn_set_clear(&a->dns);
    dn_set_clear(&a->agents);
    rec_clear(&a->rec);
}

void gw_config_free(gw_config **pcfg)
{
    gw_config *c = *pcfg;
    if (!c)
        return;
    g_free(c->path);
    g_free(c->site);
    g_free(c->application_name);
    g_free(c->tlib_listen.host);
    g_free(c->ws_listen.host);
    g_free(c->sip_listen.host);
    g_free(c->trusted_networks);
    g_free(c->sips_listen.host);
    g_free(c->sip_tls.cert_dir);
    g_free(c->sip_tls.cert);
    g_free(c->sip_tls.key);
    g_free(c->sip_tls.ca);
    g_free(c->sip_tls.verify);
    g_free(c->log_level);
    g_free(c->web_root);
    g_free(c->status_token);
    g_free(c->ws_tls.cert);
    g_free(c->ws_tls.key);
    g_free(c->ws_tls.ca);
    g_free(c->db.dsn);
    g_free(c->db.journal);
    g_free(c->pre_recording_dir);
    rec_clear(&c->rec);
    for (size_t i = 0; i < c->n_dns; i++)
        dn_clear(&c->dns[i]);
    g_free(c->dns);
    for (size_t i = 0; i < c->n_agents; i++)
        agent_clear(&c->agents[i]);
    g_free(c->agents);
    for (size_t i = 0; i < c->n_apps; i++)
        app_clear(&c->apps[i]);
    g_free(c->apps);
    for (size_t i = 0; i < c->n_pools; i++)
        gw_config_pool_clear(&c->pools[i]);
    g_free(c->pools);
    g_free(c);
    *pcfg = NULL;
}

/* ---- the parser ---------------------------------------------------------------- */

typedef enum {
    SEC_NONE,
    SEC_GATEWAY,
    SEC_DN,
    SEC_AGENT,
    SEC_APP,
    SEC_DESKTOP,
    SEC_DATABASE,
    SEC_POOL,
    SEC_BAD
} sec_kind;

typedef struct {
    const char *file;
    gw_config *cfg;
    gw_config_errors *errs;
    size_t nerr_start;
    /* current section */
    sec_kind kind;
    int line;
    char *name;       /* "5001", "5001-5020", "demo" */
    GHashTable *keys; /* keys seen in this section: duplicate detection */
    gw_dn_conf dn;
    gw_agent_conf agent;
    gw_app_conf app;
    gw_pool_conf pool;
    /* where each DN / agent came from, for duplicate reports */
    GHashTable *dn_src;    /* number -> section line (GINT_TO_POINTER) */
    GHashTable *agent_src; /* login -> section line */
    GHashTable *reported;  /* "lineA:lineB" overlap pairs already reported */
} parser;

/* Expand "5001-5020" (or a single name) into numbers; false on a bad range. */
static bool expand_range(const char *name, GPtrArray *out, char **why)
{
    const char *dash = strchr(name, '-');
    uint64_t lo, hi;
    if (!dash || !all_digits(name, (size_t)(dash - name))) {
        g_ptr_array_add(out, g_strdup(name));
        return true;
    }
    size_t wlo = (size_t)(dash - name);
    if (!parse_u64_digits(name, wlo, &lo) || !parse_u64_digits(dash + 1, strlen(dash + 1), &hi)) {
        *why = g_strdup_printf("bad range \"%s\"", name);
        return false;
    }
    if (hi < lo) {
        *why = g_strdup_printf("range \"%s\" ends before it starts", name);
        return false;
    }
    if (hi - lo >= GW_RANGE_MAX) {
        *why = g_strdup_printf("range \"%s\" has more than %d entries", name, GW_RANGE_MAX);
        return false;
    }
    /* Leading zeros in the first number fix the width ("0001-0020"). */
    int width = name[0] == '0' ? (int)wlo : 0;
    for (uint64_t x = lo; x <= hi; x++)
        g_ptr_array_add(out, g_strdup_printf("%0*llu", width, (unsigned long long)x));
    return true;
}

static void report_dup(parser *ps, GHashTable *src, const char *what, const char *id, bool ranged)
{
    int first = GPOINTER_TO_INT(g_hash_table_lookup(src, id));
    if (!ranged && !strchr(ps->name, '-')) {
        err_add(ps->errs, ps->file, ps->line, "duplicate %s %s (first defined at line %d)", what,
                id, first);
        return;
    }
    char *pair = g_strdup_printf("%d:%d", first, ps->line);
    if (g_hash_table_contains(ps->reported, pair)) {
        g_free(pair);
        return;
    }
    g_hash_table_add(ps->reported, pair);
    err_add(ps->errs, ps->file, ps->line,
            "[%s %s] overlaps the section at line %d (%s %s defined twice)", what, ps->name, first,
            what, id);
}

/* Finish the current section: check it and add its objects to the config. */
static void section_end(parser *ps)
{
    gw_config *c = ps->cfg;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    char *why = NULL;

    switch (ps->kind) {
    case SEC_DN:
        if (ps->dn.type == GW_DN_NTYPES && !g_hash_table_contains(ps->keys, "type"))
            err_add(ps->errs, ps->file, ps->line, "[dn %s]: missing mandatory key \"type\"",
                    ps->name);
        if (!expand_range(ps->name, ids, &why)) {
            err_add(ps->errs, ps->file, ps->line, "[dn %s]: %s", ps->name, why);
            break;
        }
        c->dns = g_renew(gw_dn_conf, c->dns, c->n_dns + ids->len);
        for (guint i = 0; i < ids->len; i++) {
            const char *num = ids->pdata[i];
            if (g_hash_table_contains(ps->dn_src, num)) {
                report_dup(ps, ps->dn_src, "dn", num, false);
                continue;
            }
            g_hash_table_insert(ps->dn_src, g_strdup(num), GINT_TO_POINTER(ps->line));
            dn_copy(&c->dns[c->n_dns], &ps->dn, num);
            c->dns[c->n_dns++].line = ps->line;
        }
        break;
    case SEC_AGENT:
        if (!expand_range(ps->name, ids, &why)) {
            err_add(ps->errs, ps->file, ps->line, "[agent %s]: %s", ps->name, why);
            break;
        }
        c->agents = g_renew(gw_agent_conf, c->agents, c->n_agents + ids->len);
        for (guint i = 0; i < ids->len; i++) {
            const char *login = ids->pdata[i];
            if (g_hash_table_contains(ps->agent_src, login)) {
                report_dup(ps, ps->agent_src, "agent", login, false);
                continue;
            }
            g_hash_table_insert(ps->agent_src, g_strdup(login), GINT_TO_POINTER(ps->line));
            gw_agent_conf *a = &c->agents[c->n_agents++];
            a->login = g_strdup(login);
            a->password = g_strdup(ps->agent.password);
            a->dn = g_strdup(ps->agent.dn);
            a->record = ps->agent.record;
            a->line = ps->line;
        }
        break;
    case SEC_APP:
    case SEC_DESKTOP:
        if (!ps->app.password) {
            err_add(ps->errs, ps->file, ps->line, "[%s %s]: missing mandatory key \"%s\"",
                    ps->kind == SEC_APP ? "application" : "desktop", ps->name,
                    ps->kind == SEC_APP ? "password" : "token");
        }
        if (gw_config_find_app(c, ps->name)) {
            /* Applications and desktops share one name space (both are T-Lib clients). */
            err_add(ps->errs, ps->file, ps->line, "duplicate %s %s (first at line %d)",
                    ps->kind == SEC_APP ? "application" : "desktop", ps->name,
                    gw_config_find_app(c, ps->name)->line);
            break;
        }
        /* An application without "agents" keeps its old reach; a desktop gets none. */
        ps->app.desktop = ps->kind == SEC_DESKTOP;
        if (ps->kind == SEC_APP && !g_hash_table_contains(ps->keys, "agents"))
            ps->app.agents.all = true;
        c->apps = g_renew(gw_app_conf, c->apps, c->n_apps + 1);
        ps->app.name = g_strdup(ps->name);
        ps->app.line = ps->line;
        c->apps[c->n_apps++] = ps->app;
        memset(&ps->app, 0, sizeof ps->app); /* moved */
        break;
    case SEC_POOL:
        gw_config_pool_end(c, &ps->pool, ps->file, ps->errs); /* moves or clears it */
        break;
    default:
        break;
    }
    g_free(why);
    g_ptr_array_free(ids, TRUE);
    dn_clear(&ps->dn);
    agent_clear(&ps->agent);
    app_clear(&ps->app);
    memset(&ps->dn, 0, sizeof ps->dn);
    memset(&ps->agent, 0, sizeof ps->agent);
    g_free(ps->name);
    ps->name = NULL;
    g_hash_table_remove_all(ps->keys);
    ps->kind = SEC_NONE;
}

static void section_begin(parser *ps, char *hdr, int line)
{
    section_end(ps);
    ps->line = line;
    char *sp = hdr;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    char *arg = g_strstrip(sp);
    size_t klen = (size_t)(sp - hdr);
    char *kind = g_strndup(hdr, klen);
    ps->name = g_strdup(arg);

    if (strcmp(kind, "gateway") == 0 && !*arg) {
        ps->kind = SEC_GATEWAY;
    } else if (strcmp(kind, "dn") == 0 && *arg) {
        ps->kind = SEC_DN;
        dn_defaults(&ps->dn);
    } else if (strcmp(kind, "agent") == 0 && *arg) {
        ps->kind = SEC_AGENT;
    } else if (strcmp(kind, "application") == 0 && *arg) {
        ps->kind = SEC_APP;
        rec_init(&ps->app.rec);
    } else if (strcmp(kind, "desktop") == 0 && *arg) {
        ps->kind = SEC_DESKTOP;
        rec_init(&ps->app.rec);
    } else if (strcmp(kind, "database") == 0 && !*arg) {
        ps->kind = SEC_DATABASE;
    } else if (strcmp(kind, "pool") == 0 && *arg) {
        ps->kind = SEC_POOL;
        gw_config_pool_begin(&ps->pool, arg, line);
    } else {
        err_add(ps->errs, ps->file, line,
                "unknown section [%s]: expected [gateway], [dn NUMBER], [agent LOGIN], "
                "[application NAME], [desktop NAME], [database] or [pool NAME]",
                hdr);
        ps->kind = SEC_BAD;
    }
    if (ps->kind != SEC_BAD && strpbrk(ps->name, " \t")) {
        err_add(ps->errs, ps->file, line, "section name \"%s\" contains spaces", ps->name);
        ps->kind = SEC_BAD;
    }
    g_free(kind);
}

static void parse_kv(parser *ps, char *text, int line)
{
    char *eq = strchr(text, '=');
    if (!eq) {
        err_add(ps->errs, ps->file, line, "expected \"key = value\", got \"%s\"", text);
        return;
    }
    *eq = '\0';
    char *key = g_strstrip(text);
    char *val = g_strstrip(eq + 1);
    size_t vl = strlen(val);
    if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
        val[vl - 1] = '\0';
        val++;
    }
    const opt_desc *tab;
    void *base;
    const char *where;
    switch (ps->kind) {
    case SEC_GATEWAY:
        tab = gw_gateway_opts, base = ps->cfg, where = "[gateway]";
        break;
    case SEC_DN:
        tab = gw_dn_opts, base = &ps->dn, where = "[dn]";
        break;
    case SEC_AGENT:
        tab = gw_agent_opts, base = &ps->agent, where = "[agent]";
        break;
    case SEC_APP:
        tab = gw_app_opts, base = &ps->app, where = "[application]";
        break;
    case SEC_DESKTOP:
        tab = gw_desktop_opts, base = &ps->app, where = "[desktop]";
        break;
    case SEC_DATABASE:
        tab = gw_database_opts, base = &ps->cfg->db, where = "[database]";
        break;
    case SEC_POOL:
        gw_config_pool_kv(&ps->pool, key, val, ps->file, line, ps->errs);
        return;
    case SEC_BAD:
        return; /* the section header was already reported */
    default:
        err_add(ps->errs, ps->file, line, "key \"%s\" outside of any section", key);
        return;
    }
    const opt_desc *d = opt_find(tab, key);
    if (!d) {
        err_add(ps->errs, ps->file, line, "unknown key \"%s\" in %s", key, where);
        return;
    }
    if (g_hash_table_contains(ps->keys, d->name)) {
        err_add(ps->errs, ps->file, line, "key \"%s\" given twice in this section", key);
        return;
    }
    g_hash_table_add(ps->keys, (gpointer)d->name);
    opt_apply(d, base, val, ps->file, line, ps->errs);
    /* The TLS files are checked once the whole file is read: remember where they were set. */
    if (ps->kind == SEC_GATEWAY) {
        struct gw_ws_tls_conf *t = &ps->cfg->ws_tls;
        if (strcmp(d->name, "ws-tls-cert") == 0)
            t->cert_line = line;
        else if (strcmp(d->name, "ws-tls-key") == 0)
            t->key_line = line;
        else if (strcmp(d->name, "ws-tls-ca") == 0)
            t->ca_line = line;
    }
}

static void config_defaults(gw_config *c)
{
    c->site = g_strdup("default");
    c->application_name = g_strdup("gatewayd");
    c->tlib_listen.host = g_strdup("127.0.0.1");
    c->tlib_listen.port = 7000;
    c->ws_listen.host = g_strdup("127.0.0.1");
    c->ws_listen.port = 8080;
    c->max_frame_size = 1u << 20;
    c->client_queue_limit = 4u << 20;
    c->frame_timeout = 30;
    c->tlib_first = true;      /* docs/sip.md "Throughput" */
    c->sip_batch_max_us = 500; /* docs/sip.md "Throughput" */
    c->sip_timer_wait = true;  /* docs/sip.md "Throughput" */
    c->max_clients = 10000;
    c->max_conns_per_source = 256;
    c->resume_ring_bytes = 16384;
    c->resume_window = 60;
    c->heartbeat_interval = 30;
    c->auth_timeout = 10;
    c->no_answer_timeout = 20;
    c->session_expires = 1800;
    c->register_rate_limit = 20;
    c->sip_udp_rcvbuf = 4 << 20; /* docs/sip.md "Throughput" */
    c->sip_dispatch_batch = 64;  /* docs/sip.md "Throughput" */
    c->sip_stack_thread = true;  /* docs/sip.md "Threads" */
    c->sip_batch_io = true;      /* gw_sipio.h */
    c->overload_retry_after = 5;
    c->shutdown_timeout_ms = 2000;
    c->media_oos_check = c->recorder_oos_check = 10;
    c->media_oos_force = c->recorder_oos_force = 2;
    c->recorder_failover = c->mediad_failover = true; /* docs/failover.md */
    c->recording_sessions = 1;
    c->db.journal_max_bytes = 256ull << 20;
    c->db.journal_sync_ms = 200;
    c->db.batch_rows = 256;
    c->db.queue_max_rows = 20000;
    c->db.migrate = true;
    c->geo_nomatch_reject = true; /* the seed's default */
    c->islink_max_hops = 8;
    rec_init(&c->rec);
}

/* Line number of a "FILE:LINE: message" entry. */
static long error_line(const char *msg, size_t skip)
{
    return strtol(msg + skip + 1, NULL, 10);
}

/* Report in file order although some checks run at the end of a section. */
static void sort_errors(gw_config_errors *errs, size_t from, size_t name_len)
{
    /* Insertion sort: stable, and error lists are short. */
    for (size_t i = from + 1; i < errs->n; i++) {
        char *m = errs->msgs[i];
        size_t j = i;
        while (j > from && error_line(errs->msgs[j - 1], name_len) > error_line(m, name_len)) {
            errs->msgs[j] = errs->msgs[j - 1];
            j--;
        }
        errs->msgs[j] = m;
    }
}

gw_config *gw_config_parse(const char *name, const char *text, gw_config_errors *errs)
{
    parser ps = {.file = name, .errs = errs, .nerr_start = errs->n};
    ps.cfg = g_new0(gw_config, 1);
    ps.cfg->path = g_strdup(name);
    config_defaults(ps.cfg);
    ps.keys = g_hash_table_new(g_str_hash, g_str_equal);
    ps.dn_src = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ps.agent_src = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ps.reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        int lineno = i + 1;
        char *l = g_strstrip(lines[i]);
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[') {
            size_t n = strlen(l);
            if (l[n - 1] != ']') {
                err_add(errs, name, lineno, "section header without closing ']'");
                section_end(&ps);
                ps.kind = SEC_BAD;
                continue;
            }
            l[n - 1] = '\0';
            section_begin(&ps, g_strstrip(l + 1), lineno);
            continue;
        }
        parse_kv(&ps, l, lineno);
    }
    section_end(&ps);
    g_strfreev(lines);

    /* Cross-section checks. */
    for (size_t i = 0; i < ps.cfg->n_dns; i++) {
        const gw_dn_conf *d = &ps.cfg->dns[i];
        if (d->default_dn && !gw_config_find_dn(ps.cfg, d->default_dn))
            err_add(errs, name, d->line, "[dn %s]: default-dn %s is not a configured DN", d->number,
                    d->default_dn);
    }

    /* wss needs both halves; client certificates only make sense on a TLS port. */
    const struct gw_ws_tls_conf *tls = &ps.cfg->ws_tls;
    if (!tls->cert != !tls->key)
        err_add(errs, name, tls->cert ? tls->cert_line : tls->key_line,
                "%s is set but %s is not: TLS on ws-listen needs both the certificate and its "
                "private key",
                tls->cert ? "ws-tls-cert" : "ws-tls-key", tls->cert ? "ws-tls-key" : "ws-tls-cert");
    if (tls->ca && !tls->cert)
        err_add(errs, name, tls->ca_line,
                "ws-tls-ca is set without ws-tls-cert and ws-tls-key: client certificates are "
                "only checked on a TLS port");

    sort_errors(errs, ps.nerr_start, strlen(name));
    g_hash_table_destroy(ps.keys);
    g_hash_table_destroy(ps.dn_src);
    g_hash_table_destroy(ps.agent_src);
    g_hash_table_destroy(ps.reported);
    if (errs->n > ps.nerr_start)
        gw_config_free(&ps.cfg);
    return ps.cfg;
}

/* Make *p absolute against the configuration file's folder. */
static void path_from_config(const char *cfg_path, char **p)
{
    if (!*p || !**p || g_path_is_absolute(*p))
        return;
    char *dir = g_path_get_dirname(cfg_path);
    char *abs = g_build_filename(dir, *p, NULL);
    g_free(*p);
    *p = abs;
    g_free(dir);
}

/* A TLS file must be readable now: a typo fails --check-config, not the first wss client. */
static void tls_file_check(const char *cfg_path, const char *key, char **p, int line,
                           gw_config_errors *errs)
{
    path_from_config(cfg_path, p);
    if (!*p)
        return;
    FILE *f = fopen(*p, "r");
    if (!f) {
        err_add(errs, cfg_path, line, "%s: cannot read \"%s\": %s", key, *p, g_strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        err_add(errs, cfg_path, line, "%s: \"%s\" is not a regular file", key, *p);
    fclose(f);
}

gw_config *gw_config_load(const char *path, gw_config_errors *errs)
{
    char *text = NULL;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &text, NULL, &ge)) {
        err_add(errs, path, 0, "cannot read: %s", ge->message);
        g_error_free(ge);
        return NULL;
    }
    gw_config *c = gw_config_parse(path, text, errs);
    g_free(text);
    /* A relative journal path is relative to the configuration file's folder. */
    if (c && c->db.journal && !g_path_is_absolute(c->db.journal)) {
        char *dir = g_path_get_dirname(path);
        char *abs = g_build_filename(dir, c->db.journal, NULL);
        g_free(c->db.journal);
        c->db.journal = abs;
        g_free(dir);
    }
    /* A relative web-root is relative to the configuration file's folder. */
    if (c && c->web_root && !g_path_is_absolute(c->web_root)) {
        char *dir = g_path_get_dirname(path);
        char *abs = g_build_filename(dir, c->web_root, NULL);
        g_free(c->web_root);
        c->web_root = abs;
        g_free(dir);
    }
    if (c) {
        size_t nerr = errs->n;
        tls_file_check(path, "ws-tls-cert", &c->ws_tls.cert, c->ws_tls.cert_line, errs);
        tls_file_check(path, "ws-tls-key", &c->ws_tls.key, c->ws_tls.key_line, errs);
        tls_file_check(path, "ws-tls-ca", &c->ws_tls.ca, c->ws_tls.ca_line, errs);
        /* SIPS (gw_siptls.c checks the combination when the SIP stack starts). */
        tls_file_check(path, "sip-tls-cert", &c->sip_tls.cert, 0, errs);
        tls_file_check(path, "sip-tls-key", &c->sip_tls.key, 0, errs);
        tls_file_check(path, "sip-tls-ca", &c->sip_tls.ca, 0, errs);
        path_from_config(path, &c->sip_tls.cert_dir);
        if (errs->n > nerr)
            gw_config_free(&c);
    }
    return c;
}

/* ---- lookups ------------------------------------------------------------------- */

const gw_dn_conf *gw_config_find_dn(const gw_config *cfg, const char *number)
{
    for (size_t i = 0; i < cfg->n_dns; i++)
        if (strcmp(cfg->dns[i].number, number) == 0)
            return &cfg->dns[i];
    return NULL;
}

const gw_app_conf *gw_config_find_app(const gw_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_apps; i++)
        if (strcmp(cfg->apps[i].name, name) == 0)
            return &cfg->apps[i];
    return NULL;
}

const gw_agent_conf *gw_config_find_agent(const gw_config *cfg, const char *login)
{
    for (size_t i = 0; i < cfg->n_agents; i++)
        if (strcmp(cfg->agents[i].login, login) == 0)
            return &cfg->agents[i];
    return NULL;
}
