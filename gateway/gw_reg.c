/* Registrar: REGISTER with digest auth, trusted networks, contacts, expiry, rate limit. */
#include "gw_reg.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#include "ar_log.h"

#define REG_DEFAULT_EXPIRES 3600
#define REG_MAX_EXPIRES     3600
#define NONCE_LIFETIME_S    300
#define RATE_TABLE_MAX      4096

typedef struct {
    int family;
    uint8_t addr[16];
    int prefix;
} reg_net;

/* One DN's registration: a single binding (the last REGISTER wins). */
typedef struct {
    char *dn;
    char *contact; /* the Contact URI as registered */
    struct sockaddr_storage src;
    int expires; /* seconds granted */
    guint timer;
    gw_reg *reg;
} reg_binding;

/* Token bucket per source address for the REGISTER rate limit. */
typedef struct {
    double tokens;
    int64_t last_us;
    int64_t logged_us; /* last time a refusal was logged for this source */
    uint64_t refused;
} reg_bucket;

struct gw_reg {
    gw_sip *sip;
    reg_net *nets;
    size_t n_nets;
    GHashTable *bindings; /* dn -> reg_binding * */
    GHashTable *buckets;  /* source address text -> reg_bucket * */
    char secret[33];      /* nonce signing key, random per process */
};

/* ---- trusted networks ------------------------------------------------------------ */

static int parse_net(const char *text, reg_net *n)
{
    char buf[80];
    if (strlen(text) >= sizeof buf)
        return -1;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    memset(n, 0, sizeof *n);
    if (inet_pton(AF_INET, buf, n->addr) == 1) {
        n->family = AF_INET;
        n->prefix = 32;
    } else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
        n->family = AF_INET6;
        n->prefix = 128;
    } else {
        return -1;
    }
    if (slash) {
        char *end;
        long p = strtol(slash, &end, 10);
        if (!*slash || *end || p < 0 || p > n->prefix)
            return -1;
        n->prefix = (int)p;
    }
    return 0;
}

static int parse_networks(gw_reg *r, const char *text, char **err)
{
    if (!text)
        return 0;
    char **parts = g_strsplit_set(text, ", \t", -1);
    int rc = 0;
    for (char **p = parts; *p; p++) {
        if (!**p)
            continue;
        r->nets = g_renew(reg_net, r->nets, r->n_nets + 1);
        if (parse_net(*p, &r->nets[r->n_nets]) != 0) {
            *err = g_strdup_printf("trusted-networks: bad network \"%s\" (want ADDR[/PREFIX])", *p);
            rc = -1;
            break;
        }
        r->n_nets++;
    }
    g_strfreev(parts);
    return rc;
}

static bool net_match(const reg_net *n, const struct sockaddr *sa)
{
    const uint8_t *a;
    if (sa->sa_family == AF_INET && n->family == AF_INET)
        a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6 && n->family == AF_INET6)
        a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    else
        return false;
    int bits = n->prefix;
    for (int i = 0; bits > 0; i++, bits -= 8) {
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        if ((a[i] & mask) != (n->addr[i] & mask))
            return false;
    }
    return true;
}

bool gw_reg_trusted(const gw_reg *r, const struct sockaddr *src)
{
    if (!src)
        return false;
    for (size_t i = 0; i < r->n_nets; i++)
        if (net_match(&r->nets[i], src))
            return true;
    return false;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    out[0] = '\0';
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* Same host address (ports differ between a phone's REGISTER and INVITE over TCP). */
static bool same_host(const struct sockaddr *a, const struct sockaddr *b)
{
    char ta[INET6_ADDRSTRLEN], tb[INET6_ADDRSTRLEN];
    addr_text(a, ta, sizeof ta);
    addr_text(b, tb, sizeof tb);
    return ta[0] && strcmp(ta, tb) == 0;
}

/* ---- bindings ---------------------------------------------------------------------- */

static void binding_free(gpointer p)
{
    reg_binding *b = p;
    if (b->timer)
        g_source_remove(b->timer);
    g_free(b->dn);
    g_free(b->contact);
    g_free(b);
}

static void service_changed(gw_reg *r, const char *dn, bool up)
{
    LOG_INFO(sip, "DN %s %s", dn, up ? "registered: back in service" : "out of service");
    if (r->sip->calls)
        gw_sipif_dn_service(r->sip->calls, dn, up);
}

static gboolean on_expired(gpointer ud)
{
    reg_binding *b = ud;
    gw_reg *r = b->reg;
    char *dn = g_strdup(b->dn);
    b->timer = 0;
    LOG_INFO(sip, "registration of %s (%s) expired", b->dn, b->contact);
    g_hash_table_remove(r->bindings, dn);
    service_changed(r, dn, false);
    g_free(dn);
    return G_SOURCE_REMOVE;
}

const char *gw_reg_contact(gw_reg *r, const char *dn)
{
    reg_binding *b = g_hash_table_lookup(r->bindings, dn);
    if (b)
        return b->contact;
    const gw_dn_conf *c = gw_config_find_dn(r->sip->srv->cfg, dn);
    return c ? c->contact : NULL;
}

bool gw_reg_is_registered(gw_reg *r, const char *dn)
{
    return g_hash_table_contains(r->bindings, dn);
}

bool gw_reg_source_ok(gw_reg *r, const char *dn, const struct sockaddr *src)
{
    if (gw_reg_trusted(r, src))
        return true;
    reg_binding *b = g_hash_table_lookup(r->bindings, dn);
    return b && src && same_host((const struct sockaddr *)&b->src, src);
}

/* ---- digest authentication (RFC 2617 / 3261 22.4, MD5, qop=auth) -------------------- */

static void md5_hex(const char *text, char out[33])
{
    char *h = g_compute_checksum_for_string(G_CHECKSUM_MD5, text, -1);
    g_strlcpy(out, h, 33);
    g_free(h);
}

static void make_nonce(const gw_reg *r, int64_t ts, char *out, size_t cap)
{
    char sig[33];
    char *in = g_strdup_printf("%s:%" G_GINT64_FORMAT, r->secret, ts);
    md5_hex(in, sig);
    g_free(in);
    snprintf(out, cap, "%" G_GINT64_MODIFIER "x.%s", ts, sig);
}

/* 1 = valid, 0 = forged, -1 = stale (ours but too old). */
static int check_nonce(const gw_reg *r, const char *nonce)
{
    char *end;
    int64_t ts = g_ascii_strtoll(nonce, &end, 16);
    if (end == nonce || *end != '.')
        return 0;
    char want[64];
    make_nonce(r, ts, want, sizeof want);
    if (strcmp(want, nonce) != 0)
        return 0;
    int64_t now = g_get_monotonic_time() / G_USEC_PER_SEC;
    return now - ts <= NONCE_LIFETIME_S && ts <= now ? 1 : -1;
}

/* Value of a digest parameter (unquoted) or NULL; out must hold cap bytes. */
static const char *auth_param(const msg_auth_t *au, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (int i = 0; au->au_params && au->au_params[i]; i++) {
        const char *p = au->au_params[i];
        if (strncasecmp(p, name, n) != 0 || p[n] != '=')
            continue;
        const char *v = p + n + 1;
        size_t len = strlen(v);
        if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
            v++;
            len -= 2;
        }
        if (len >= cap)
            return NULL;
        memcpy(out, v, len);
        out[len] = '\0';
        return out;
    }
    return NULL;
}

/* 1 = authenticated, 0 = no or wrong credentials, -1 = stale nonce. */
static int digest_check(const gw_reg *r, const sip_t *sip, const char *dn, const char *password)
{
    for (const sip_authorization_t *au = sip->sip_authorization; au; au = au->au_next) {
        char user[128], rlm[128], nonce[128], uri[512], resp[64], qop[32], nc[32], cnonce[128];
        if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest") != 0)
            continue;
        if (!auth_param(au, "username", user, sizeof user) ||
            !auth_param(au, "realm", rlm, sizeof rlm) ||
            !auth_param(au, "nonce", nonce, sizeof nonce) ||
            !auth_param(au, "uri", uri, sizeof uri) ||
            !auth_param(au, "response", resp, sizeof resp))
            continue;
        if (strcmp(user, dn) != 0 || strcmp(rlm, r->sip->srv->cfg->site) != 0)
            continue;
        int nv = check_nonce(r, nonce);
        if (nv == 0)
            continue;
        char ha1[33], ha2[33], want[33];
        char *t = g_strdup_printf("%s:%s:%s", user, rlm, password);
        md5_hex(t, ha1);
        g_free(t);
        t = g_strdup_printf("REGISTER:%s", uri);
        md5_hex(t, ha2);
        g_free(t);
        if (auth_param(au, "qop", qop, sizeof qop)) {
            if (!auth_param(au, "nc", nc, sizeof nc) ||
                !auth_param(au, "cnonce", cnonce, sizeof cnonce))
                continue;
            t = g_strdup_printf("%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
        } else {
            t = g_strdup_printf("%s:%s:%s", ha1, nonce, ha2);
        }
        md5_hex(t, want);
        g_free(t);
        if (g_ascii_strcasecmp(want, resp) == 0)
            return nv; /* right password: stale nonce asks for a retry without a prompt */
    }
    return 0;
}

static void challenge(gw_reg *r, nua_handle_t *nh, bool stale)
{
    char nonce[64];
    make_nonce(r, g_get_monotonic_time() / G_USEC_PER_SEC, nonce, sizeof nonce);
    char *www = g_strdup_printf("Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
                                "qop=\"auth\"%s",
                                r->sip->srv->cfg->site, nonce, stale ? ", stale=true" : "");
    nua_respond(nh, 401, "Unauthorized", NUTAG_WITH_THIS((nua_t *)r->sip->nua),
                SIPTAG_WWW_AUTHENTICATE_STR(www), TAG_END());
    g_free(www);
}

/* ---- rate limit ---------------------------------------------------------------------- */

/* Drop buckets idle for a minute once the table grows (a spoofed-source flood). */
static void buckets_trim(gw_reg *r, int64_t now)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, r->buckets);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (now - ((reg_bucket *)v)->last_us > 60 * G_USEC_PER_SEC)
            g_hash_table_iter_remove(&it);
}

/* True when src may send one more REGISTER now (token bucket, burst = 2 s worth). */
static bool rate_ok(gw_reg *r, const char *src)
{
    int64_t now = g_get_monotonic_time();
    double rate = r->sip->srv->cfg->register_rate_limit;
    reg_bucket *b = g_hash_table_lookup(r->buckets, src);
    if (!b) {
        if (g_hash_table_size(r->buckets) >= RATE_TABLE_MAX)
            buckets_trim(r, now);
        b = g_new0(reg_bucket, 1);
        b->tokens = 2 * rate;
        b->last_us = now;
        g_hash_table_insert(r->buckets, g_strdup(src), b);
    }
    b->tokens += rate * (double)(now - b->last_us) / G_USEC_PER_SEC;
    if (b->tokens > 2 * rate)
        b->tokens = 2 * rate;
    b->last_us = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return true;
    }
    b->refused++;
    if (now - b->logged_us >= G_USEC_PER_SEC) {
        LOG_WARN(sip,
                 "REGISTER flood from %s: over %d/s, refused with 503 (%" G_GUINT64_FORMAT
                 " refused so far)",
                 src, r->sip->srv->cfg->register_rate_limit, b->refused);
        b->logged_us = now;
    }
    return false;
}

/* ---- REGISTER ---------------------------------------------------------------------- */

static int contact_expires(const sip_t *sip, const sip_contact_t *m)
{
    long e = REG_DEFAULT_EXPIRES;
    if (m && m->m_expires)
        e = strtol(m->m_expires, NULL, 10);
    else if (sip->sip_expires)
        e = (long)sip->sip_expires->ex_delta;
    if (e < 0)
        e = 0;
    return e > REG_MAX_EXPIRES ? REG_MAX_EXPIRES : (int)e;
}

static void reply_binding(gw_reg *r, nua_handle_t *nh, const reg_binding *b)
{
    nua_t *nua = r->sip->nua;
    if (!b) {
        nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), TAG_END());
        return;
    }
    char *m = g_strdup_printf("<%s>;expires=%d", b->contact, b->expires);
    nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), SIPTAG_CONTACT_STR(m), TAG_END());
    g_free(m);
}

static void add_binding(gw_reg *r, const char *dn, const char *contact, const struct sockaddr *src,
                        int expires)
{
    bool was = g_hash_table_contains(r->bindings, dn);
    reg_binding *b = g_new0(reg_binding, 1);
    b->dn = g_strdup(dn);
    b->contact = g_strdup(contact);
    b->expires = expires;
    b->reg = r;
    if (src)
        memcpy(&b->src, src,
               src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                          : sizeof(struct sockaddr_in));
    b->timer = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, (guint)expires, on_expired, b, NULL);
    g_hash_table_replace(r->bindings, b->dn, b);
    LOG_INFO(sip, "DN %s registered at %s for %d s", dn, contact, expires);
    if (!was)
        service_changed(r, dn, true);
}

static void remove_binding(gw_reg *r, const char *dn)
{
    if (!g_hash_table_contains(r->bindings, dn))
        return;
    char *copy = g_strdup(dn);
    g_hash_table_remove(r->bindings, copy);
    LOG_INFO(sip, "DN %s unregistered", copy);
    service_changed(r, copy, false);
    g_free(copy);
}

void gw_reg_on_register(gw_reg *r, nua_handle_t *nh, const sip_t *sip, const struct sockaddr *src)
{
    nua_t *nua = r->sip->nua;
    char srctext[INET6_ADDRSTRLEN];
    addr_text(src, srctext, sizeof srctext);
    if (!rate_ok(r, srctext[0] ? srctext : "?")) {
        nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(nua),
                    SIPTAG_RETRY_AFTER_STR("5"),
                    SIPTAG_WARNING_STR("399 gatewayd \"REGISTER rate limit\""), TAG_END());
        goto done;
    }
    const char *dn =
        sip->sip_to && sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user : NULL;
    const gw_dn_conf *conf = dn ? gw_config_find_dn(r->sip->srv->cfg, dn) : NULL;
    if (!conf) {
        LOG_INFO(sip, "REGISTER for unknown DN %s from %s: 404", dn ? dn : "(none)", srctext);
        nua_respond(nh, 404, "Not Found", NUTAG_WITH_THIS(nua), TAG_END());
        goto done;
    }
    if (conf->type != GW_DN_EXTENSION && conf->type != GW_DN_ACD_POSITION) {
        nua_respond(
            nh, 403, "Forbidden", NUTAG_WITH_THIS(nua),
            SIPTAG_WARNING_STR("399 gatewayd \"only Extension and ACD Position DNs register\""),
            TAG_END());
        goto done;
    }
    if (conf->password && !gw_reg_trusted(r, src)) {
        int ok = digest_check(r, sip, dn, conf->password);
        if (ok != 1) {
            if (!sip->sip_authorization || ok == -1)
                LOG_DEBUG(sip, "REGISTER %s from %s: challenge", dn, srctext);
            else
                LOG_WARN(sip, "REGISTER %s from %s: wrong credentials", dn, srctext);
            challenge(r, nh, ok == -1);
            goto done;
        }
    }
    const sip_contact_t *m = sip->sip_contact;
    if (!m) {
        reply_binding(r, nh, g_hash_table_lookup(r->bindings, dn));
        goto done;
    }
    if (m->m_url->url_type == url_any ||
        (m->m_url->url_scheme && !strcmp(m->m_url->url_scheme, "*"))) {
        if (contact_expires(sip, NULL) != 0 || !sip->sip_expires) {
            nua_respond(nh, 400, "Bad Request", NUTAG_WITH_THIS(nua),
                        SIPTAG_WARNING_STR("399 gatewayd \"Contact: * needs Expires: 0\""),
                        TAG_END());
            goto done;
        }
        remove_binding(r, dn);
        reply_binding(r, nh, NULL);
        goto done;
    }
    char *uri = url_as_string(NULL, m->m_url);
    if (!uri || strlen(uri) > 1024) {
        nua_respond(nh, 400, "Bad Request", NUTAG_WITH_THIS(nua),
                    SIPTAG_WARNING_STR("399 gatewayd \"bad Contact\""), TAG_END());
        su_free(NULL, uri);
        goto done;
    }
    int expires = contact_expires(sip, m);
    if (expires == 0) {
        remove_binding(r, dn);
        reply_binding(r, nh, NULL);
    } else {
        add_binding(r, dn, uri, src, expires);
        reply_binding(r, nh, g_hash_table_lookup(r->bindings, dn));
    }
    su_free(NULL, uri);
done:
    nua_handle_destroy(nh);
}

gw_reg *gw_reg_new(gw_sip *sip, char **err)
{
    gw_reg *r = g_new0(gw_reg, 1);
    r->sip = sip;
    r->bindings = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, binding_free);
    r->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (int i = 0; i < 4; i++)
        snprintf(r->secret + 8 * i, 9, "%08x", g_random_int());
    if (parse_networks(r, sip->srv->cfg->trusted_networks, err) != 0)
        gw_reg_free(&r);
    return r;
}

void gw_reg_free(gw_reg **pr)
{
    gw_reg *r = *pr;
    if (!r)
        return;
    g_hash_table_destroy(r->bindings);
    g_hash_table_destroy(r->buckets);
    g_free(r->nets);
    g_free(r);
    *pr = NULL;
}
