/* SDP parsing into fixed-size structs and offer/answer serialisation. */
#include "ar_sdp.h"

#include "ar_err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A slice of the input: SDP bodies are not NUL-terminated in SIP messages. */
typedef struct {
    const char *p;
    size_t n;
} span;

/* Copy a span into a fixed field; an over-long value is a malformed SDP, not truncated. */
static int copy_span(char *dst, size_t cap, span s)
{
    if (s.n >= cap)
        return AR_E_SDP_MALFORMED;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return AR_E_OK;
}

/* Next space-separated token of *s; returns 0 when none is left. */
static int next_tok(span *s, span *tok)
{
    while (s->n && (*s->p == ' ' || *s->p == '\t')) {
        s->p++;
        s->n--;
    }
    if (!s->n)
        return 0;
    tok->p = s->p;
    while (s->n && *s->p != ' ' && *s->p != '\t') {
        s->p++;
        s->n--;
    }
    tok->n = (size_t)(s->p - tok->p);
    return 1;
}

/* Parse an unsigned decimal of at most 20 digits; -1 on anything else. */
static int span_u64(span s, uint64_t *out)
{
    if (s.n == 0 || s.n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (!isdigit((unsigned char)s.p[i]))
            return -1;
        uint64_t d = (uint64_t)(s.p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int span_eq(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int starts(span s, const char *lit, span *rest)
{
    size_t n = strlen(lit);
    if (s.n < n || memcmp(s.p, lit, n) != 0)
        return 0;
    rest->p = s.p + n;
    rest->n = s.n - n;
    return 1;
}

static ar_sdp_dir dir_of(span a)
{
    if (span_eq(a, "sendrecv"))
        return AR_SDP_DIR_SENDRECV;
    if (span_eq(a, "sendonly"))
        return AR_SDP_DIR_SENDONLY;
    if (span_eq(a, "recvonly"))
        return AR_SDP_DIR_RECVONLY;
    if (span_eq(a, "inactive"))
        return AR_SDP_DIR_INACTIVE;
    return AR_SDP_DIR_UNSET;
}

/* c=IN IP4 <addr>[/ttl[/n]] */
static int parse_conn(span v, char *addr, size_t cap)
{
    span nt, at, a;
    if (!next_tok(&v, &nt) || !span_eq(nt, "IN") || !next_tok(&v, &at) ||
        !(span_eq(at, "IP4") || span_eq(at, "IP6")) || !next_tok(&v, &a))
        return AR_E_SDP_MALFORMED;
    const char *slash = memchr(a.p, '/', a.n);
    if (slash)
        a.n = (size_t)(slash - a.p);
    if (a.n == 0)
        return AR_E_SDP_MALFORMED;
    return copy_span(addr, cap, a);
}

/* o=<user> <sess-id> <version> IN IP4 <addr> */
static int parse_origin(span v, ar_sdp *s)
{
    span u, id, ver;
    uint64_t n;
    if (!next_tok(&v, &u) || copy_span(s->o_user, sizeof(s->o_user), u))
        return AR_E_SDP_MALFORMED;
    if (!next_tok(&v, &id) || span_u64(id, &n))
        return AR_E_SDP_MALFORMED;
    s->o_sess_id = n;
    if (!next_tok(&v, &ver) || span_u64(ver, &n))
        return AR_E_SDP_MALFORMED;
    s->o_version = n;
    return parse_conn(v, s->o_addr, sizeof(s->o_addr));
}

/* m=<type> <port>[/<n>] <proto> <fmt> ... */
static int parse_mline(span v, ar_sdp_media *m)
{
    span type, port, proto, f;
    if (!next_tok(&v, &type) || copy_span(m->type, sizeof(m->type), type))
        return AR_E_SDP_MALFORMED;
    if (!next_tok(&v, &port))
        return AR_E_SDP_MALFORMED;
    const char *slash = memchr(port.p, '/', port.n);
    span np = {0};
    if (slash) {
        np.p = slash + 1;
        np.n = port.n - (size_t)(np.p - port.p);
        port.n = (size_t)(slash - port.p);
    }
    uint64_t n;
    if (span_u64(port, &n))
        return AR_E_SDP_MALFORMED;
    if (n > 65535)
        return AR_E_SDP_BAD_PORT;
    m->port = (uint16_t)n;
    m->nports = 1;
    if (slash) {
        if (span_u64(np, &n))
            return AR_E_SDP_MALFORMED;
        if (n == 0 || n > 65535 || m->port + n - 1 > 65535)
            return AR_E_SDP_BAD_PORT;
        m->nports = (uint16_t)n;
    }
    if (!next_tok(&v, &proto) || copy_span(m->proto, sizeof(m->proto), proto))
        return AR_E_SDP_MALFORMED;
    while (next_tok(&v, &f)) {
        if (m->nfmt >= AR_SDP_MAX_FMTS)
            return AR_E_SDP_TOO_MANY_FORMATS;
        ar_sdp_fmt *fmt = &m->fmt[m->nfmt];
        if (copy_span(fmt->id, sizeof(fmt->id), f))
            return AR_E_SDP_MALFORMED;
        fmt->pt = (span_u64(f, &n) == 0 && n <= 127) ? (int)n : -1;
        m->nfmt++;
    }
    if (m->nfmt == 0)
        return AR_E_SDP_MALFORMED;
    return AR_E_OK;
}

static ar_sdp_fmt *find_fmt(ar_sdp_media *m, span id)
{
    for (int i = 0; i < m->nfmt; i++)
        if (span_eq(id, m->fmt[i].id))
            return &m->fmt[i];
    return NULL;
}

/* a=rtpmap:<pt> <enc>/<clock>[/<channels>] */
static int parse_rtpmap(span v, ar_sdp_media *m)
{
    span id, enc;
    if (!next_tok(&v, &id) || !next_tok(&v, &enc))
        return AR_E_SDP_MALFORMED;
    ar_sdp_fmt *f = find_fmt(m, id);
    if (!f)
        return AR_E_OK; /* rtpmap for a format not offered: ignore */
    const char *s1 = memchr(enc.p, '/', enc.n);
    if (!s1)
        return AR_E_SDP_MALFORMED;
    span name = {enc.p, (size_t)(s1 - enc.p)};
    span rest = {s1 + 1, enc.n - name.n - 1};
    const char *s2 = memchr(rest.p, '/', rest.n);
    span clock = rest, ch = {0};
    if (s2) {
        clock.n = (size_t)(s2 - rest.p);
        ch.p = s2 + 1;
        ch.n = rest.n - clock.n - 1;
    }
    uint64_t n;
    if (name.n == 0 || copy_span(f->enc, sizeof(f->enc), name) || span_u64(clock, &n) || n == 0 ||
        n > 10000000)
        return AR_E_SDP_MALFORMED;
    f->clock = (uint32_t)n;
    if (s2) {
        if (span_u64(ch, &n) || n == 0 || n > 255)
            return AR_E_SDP_MALFORMED;
        f->channels = (uint8_t)n;
    }
    return AR_E_OK;
}

/* a=fmtp:<pt> <params> */
static int parse_fmtp(span v, ar_sdp_media *m)
{
    span id;
    if (!next_tok(&v, &id))
        return AR_E_SDP_MALFORMED;
    ar_sdp_fmt *f = find_fmt(m, id);
    if (!f)
        return AR_E_OK;
    while (v.n && *v.p == ' ') {
        v.p++;
        v.n--;
    }
    return copy_span(f->fmtp, sizeof(f->fmtp), v);
}

static int parse_media_attr(span a, ar_sdp_media *m)
{
    span v;
    ar_sdp_dir d = dir_of(a);
    if (d != AR_SDP_DIR_UNSET) {
        m->dir = d;
        return AR_E_OK;
    }
    if (starts(a, "rtpmap:", &v))
        return parse_rtpmap(v, m);
    if (starts(a, "fmtp:", &v))
        return parse_fmtp(v, m);
    if (starts(a, "label:", &v))
        return copy_span(m->label, sizeof(m->label), v);
    if (starts(a, "crypto:", &v)) {
        if (m->ncrypto >= AR_SDP_MAX_CRYPTO)
            return AR_E_OK; /* more keys than we keep: the first ones are enough */
        int rc = copy_span(m->crypto[m->ncrypto], AR_SDP_CRYPTO_LEN, v);
        if (rc == AR_E_OK)
            m->ncrypto++;
        return rc;
    }
    if (starts(a, "rtcp:", &v)) {
        span p;
        uint64_t n;
        if (!next_tok(&v, &p) || span_u64(p, &n))
            return AR_E_SDP_MALFORMED;
        if (n == 0 || n > 65535)
            return AR_E_SDP_BAD_PORT;
        m->rtcp_port = (uint16_t)n;
        return AR_E_OK;
    }
    if (span_eq(a, "rtcp-mux"))
        m->rtcp_mux = 1;
    return AR_E_OK;
}

int ar_sdp_parse(const char *text, size_t len, ar_sdp *out)
{
    memset(out, 0, sizeof(*out));
    if (!text)
        return AR_E_SDP_MALFORMED;
    if (len > AR_SDP_MAX_LEN)
        return AR_E_SDP_TOO_LARGE;
    size_t off = 0;
    int lineno = 0, have_o = 0;
    ar_sdp_media *cur = NULL;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t end = nl ? (size_t)(nl - text) : len;
        span line = {text + off, end - off};
        off = nl ? end + 1 : len;
        if (line.n && line.p[line.n - 1] == '\r')
            line.n--;
        if (line.n == 0)
            continue; /* tolerate blank lines, e.g. a trailing CRLF */
        if (line.n < 2 || line.p[1] != '=' || !islower((unsigned char)line.p[0]))
            return AR_E_SDP_MALFORMED;
        for (size_t i = 0; i < line.n; i++)
            if (line.p[i] == '\0')
                return AR_E_SDP_MALFORMED;
        char type = line.p[0];
        span v = {line.p + 2, line.n - 2};
        int rc = AR_E_OK;
        if (lineno++ == 0) {
            if (type != 'v' || !span_eq(v, "0"))
                return AR_E_SDP_MALFORMED;
            continue;
        }
        switch (type) {
        case 'o':
            rc = parse_origin(v, out);
            have_o = 1;
            break;
        case 's':
            if (!cur && v.n < sizeof(out->s_name))
                copy_span(out->s_name, sizeof(out->s_name), v);
            break;
        case 'c':
            rc = cur ? parse_conn(v, cur->addr, sizeof(cur->addr))
                     : parse_conn(v, out->c_addr, sizeof(out->c_addr));
            break;
        case 'm':
            if (out->nmedia >= AR_SDP_MAX_MEDIA)
                return AR_E_SDP_TOO_MANY_MEDIA;
            cur = &out->media[out->nmedia++];
            rc = parse_mline(v, cur);
            break;
        case 'a':
            if (cur) {
                rc = parse_media_attr(v, cur);
            } else {
                ar_sdp_dir d = dir_of(v);
                if (d != AR_SDP_DIR_UNSET)
                    out->dir = d;
            }
            break;
        default:
            break; /* b=, t=, k=, i=, ... are not needed for relaying */
        }
        if (rc != AR_E_OK)
            return rc;
    }
    if (lineno == 0 || !have_o)
        return AR_E_SDP_MALFORMED;
    for (int i = 0; i < out->nmedia; i++) {
        ar_sdp_media *m = &out->media[i];
        if (m->dir == AR_SDP_DIR_UNSET)
            m->dir = out->dir;
        if (!m->addr[0]) {
            if (!out->c_addr[0] && m->port != 0)
                return AR_E_SDP_NO_CONNECTION;
            memcpy(m->addr, out->c_addr, sizeof(m->addr));
        }
    }
    return AR_E_OK;
}

static void set_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void ar_sdp_init(ar_sdp *s, const char *o_user, uint64_t sess_id, uint64_t version,
                 const char *addr)
{
    memset(s, 0, sizeof(*s));
    set_str(s->o_user, sizeof(s->o_user), o_user ? o_user : "-");
    s->o_sess_id = sess_id;
    s->o_version = version;
    set_str(s->o_addr, sizeof(s->o_addr), addr);
    set_str(s->s_name, sizeof(s->s_name), "-");
    set_str(s->c_addr, sizeof(s->c_addr), addr);
}

ar_sdp_media *ar_sdp_add_media(ar_sdp *s, const char *type, uint16_t port, const char *proto)
{
    if (s->nmedia >= AR_SDP_MAX_MEDIA)
        return NULL;
    ar_sdp_media *m = &s->media[s->nmedia++];
    memset(m, 0, sizeof(*m));
    set_str(m->type, sizeof(m->type), type);
    m->port = port;
    m->nports = 1;
    set_str(m->proto, sizeof(m->proto), proto ? proto : "RTP/AVP");
    set_str(m->addr, sizeof(m->addr), s->c_addr);
    return m;
}

int ar_sdp_media_add_fmt(ar_sdp_media *m, int pt, const char *enc, uint32_t clock, uint8_t channels,
                         const char *fmtp)
{
    if (m->nfmt >= AR_SDP_MAX_FMTS || pt < 0 || pt > 127)
        return -1;
    ar_sdp_fmt *f = &m->fmt[m->nfmt++];
    memset(f, 0, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "%d", pt);
    f->pt = pt;
    set_str(f->enc, sizeof(f->enc), enc);
    f->clock = enc ? clock : 0;
    f->channels = channels;
    set_str(f->fmtp, sizeof(f->fmtp), fmtp);
    return 0;
}

void ar_sdp_media_copy_fmts(ar_sdp_media *dst, const ar_sdp_media *src)
{
    dst->nfmt = src->nfmt;
    memcpy(dst->fmt, src->fmt, sizeof(dst->fmt));
}

ar_sdp_dir ar_sdp_dir_mirror(ar_sdp_dir d)
{
    switch (d) {
    case AR_SDP_DIR_SENDONLY:
        return AR_SDP_DIR_RECVONLY;
    case AR_SDP_DIR_RECVONLY:
        return AR_SDP_DIR_SENDONLY;
    case AR_SDP_DIR_INACTIVE:
        return AR_SDP_DIR_INACTIVE;
    default:
        return AR_SDP_DIR_SENDRECV;
    }
}

ar_sdp_dir ar_sdp_media_dir(const ar_sdp_media *m)
{
    return m->dir == AR_SDP_DIR_UNSET ? AR_SDP_DIR_SENDRECV : m->dir;
}

const char *ar_sdp_dir_name(ar_sdp_dir d)
{
    switch (d) {
    case AR_SDP_DIR_SENDONLY:
        return "sendonly";
    case AR_SDP_DIR_RECVONLY:
        return "recvonly";
    case AR_SDP_DIR_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}

void ar_sdp_make_answer(const ar_sdp *offer, const char *o_user, uint64_t sess_id, uint64_t version,
                        const char *addr, const uint16_t *ports, ar_sdp_dir dir, ar_sdp *ans)
{
    ar_sdp_init(ans, o_user, sess_id, version, addr);
    for (int i = 0; i < offer->nmedia; i++) {
        const ar_sdp_media *om = &offer->media[i];
        ar_sdp_media *m = ar_sdp_add_media(ans, om->type, ports ? ports[i] : 0, om->proto);
        ar_sdp_media_copy_fmts(m, om);
        m->dir = dir != AR_SDP_DIR_UNSET ? dir : ar_sdp_dir_mirror(ar_sdp_media_dir(om));
        memcpy(m->label, om->label, sizeof(m->label));
        m->rtcp_mux = om->rtcp_mux;
    }
}

/* Bounded appender: remembers overflow so callers check once at the end. */
typedef struct {
    char *buf;
    size_t cap, len;
    int overflow;
} outbuf;

static void out_printf(outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(outbuf *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->overflow = 1;
        return;
    }
    o->len += (size_t)n;
}

static const char *ipver(const char *addr)
{
    return strchr(addr, ':') ? "IP6" : "IP4";
}

int ar_sdp_build(const ar_sdp *s, char *buf, size_t cap, size_t *out_len)
{
    if (cap == 0)
        return AR_E_SDP_TOO_LARGE;
    outbuf o = {buf, cap, 0, 0};
    buf[0] = '\0';
    out_printf(&o, "v=0\r\no=%s %llu %llu IN %s %s\r\ns=%s\r\n", s->o_user[0] ? s->o_user : "-",
               (unsigned long long)s->o_sess_id, (unsigned long long)s->o_version, ipver(s->o_addr),
               s->o_addr, s->s_name[0] ? s->s_name : "-");
    if (s->c_addr[0])
        out_printf(&o, "c=IN %s %s\r\n", ipver(s->c_addr), s->c_addr);
    out_printf(&o, "t=0 0\r\n");
    if (s->dir != AR_SDP_DIR_UNSET)
        out_printf(&o, "a=%s\r\n", ar_sdp_dir_name(s->dir));
    for (int i = 0; i < s->nmedia; i++) {
        const ar_sdp_media *m = &s->media[i];
        out_printf(&o, "m=%s %u", m->type, m->port);
        if (m->nports > 1)
            out_printf(&o, "/%u", m->nports);
        out_printf(&o, " %s", m->proto);
        for (int f = 0; f < m->nfmt; f++)
            out_printf(&o, " %s", m->fmt[f].id);
        out_printf(&o, "\r\n");
        if (m->addr[0] && strcmp(m->addr, s->c_addr) != 0)
            out_printf(&o, "c=IN %s %s\r\n", ipver(m->addr), m->addr);
        for (int f = 0; f < m->nfmt; f++) {
            const ar_sdp_fmt *fm = &m->fmt[f];
            if (fm->enc[0] && fm->clock) {
                out_printf(&o, "a=rtpmap:%s %s/%u", fm->id, fm->enc, fm->clock);
                if (fm->channels)
                    out_printf(&o, "/%u", fm->channels);
                out_printf(&o, "\r\n");
            }
            if (fm->fmtp[0])
                out_printf(&o, "a=fmtp:%s %s\r\n", fm->id, fm->fmtp);
        }
        if (m->label[0])
            out_printf(&o, "a=label:%s\r\n", m->label);
        for (int c = 0; c < m->ncrypto; c++)
            out_printf(&o, "a=crypto:%s\r\n", m->crypto[c]);
        if (m->rtcp_port)
            out_printf(&o, "a=rtcp:%u\r\n", m->rtcp_port);
        if (m->rtcp_mux)
            out_printf(&o, "a=rtcp-mux\r\n");
        if (m->dir != AR_SDP_DIR_UNSET)
            out_printf(&o, "a=%s\r\n", ar_sdp_dir_name(m->dir));
    }
    if (o.overflow)
        return AR_E_SDP_TOO_LARGE;
    if (out_len)
        *out_len = o.len;
    return AR_E_OK;
}

const ar_sdp_fmt *ar_sdp_media_find_enc(const ar_sdp_media *m, const char *enc)
{
    for (int i = 0; i < m->nfmt; i++) {
        const ar_sdp_fmt *f = &m->fmt[i];
        if (f->pt < 0)
            continue;
        if (f->enc[0] && strcasecmp(f->enc, enc) == 0)
            return f;
        if (!f->enc[0] && ((f->pt == 0 && strcasecmp(enc, "PCMU") == 0) ||
                           (f->pt == 8 && strcasecmp(enc, "PCMA") == 0)))
            return f;
    }
    return NULL;
}
