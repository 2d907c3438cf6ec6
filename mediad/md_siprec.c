/* SIPREC metadata and multipart bodies, built with bounded, escaped writes. */
#include "md_siprec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *buf;
    size_t cap, len;
    int overflow;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)n;
}

/* XML-escape into a small scratch buffer (DNs and ids are short). */
static const char *esc(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        const char *r = NULL;
        switch (*s) {
        case '<':
            r = "&lt;";
            break;
        case '>':
            r = "&gt;";
            break;
        case '&':
            r = "&amp;";
            break;
        case '"':
            r = "&quot;";
            break;
        case '\'':
            r = "&apos;";
            break;
        }
        if (r) {
            memcpy(out + o, r, strlen(r));
            o += strlen(r);
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
    return out;
}

int md_siprec_metadata(const md_rec *r, char *buf, size_t cap)
{
    sbuf b = {buf, cap, 0, 0};
    char e1[300], e2[300], now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *uuid = r->call->conf;
    sb_printf(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<recording xmlns=\"urn:ietf:params:xml:ns:recording:1\">\n"
              "  <datamode>complete</datamode>\n"
              "  <group group_id=\"g-%s\"><associate-time>%s</associate-time></group>\n"
              "  <session session_id=\"s-%s\"><group-ref>g-%s</group-ref>"
              "<sipSessionID>%s</sipSessionID></session>\n",
              esc(uuid, e1, sizeof(e1)), now, e1, e1, e1);
    for (int p = 0; p < r->nparty; p++) {
        const md_leg *l = r->party[p];
        const char *dn = l ? l->dn : "unknown";
        sb_printf(&b,
                  "  <participant participant_id=\"p%d\"><nameID aor=\"sip:%s@mediad\">"
                  "<name>%s</name></nameID></participant>\n",
                  p + 1, esc(dn, e2, sizeof(e2)), e2);
    }
    for (int i = 0; i < r->nm; i++)
        sb_printf(&b,
                  "  <stream stream_id=\"st%d\" session_id=\"s-%s\"><label>%s</label></stream>\n",
                  i + 1, e1, r->m[i].label);
    sb_printf(&b,
              "  <sessionrecordingassoc session_id=\"s-%s\"><associate-time>%s"
              "</associate-time></sessionrecordingassoc>\n",
              e1, now);
    for (int p = 0; p < r->nparty; p++) {
        sb_printf(&b,
                  "  <participantsessionassoc participant_id=\"p%d\" session_id=\"s-%s\">"
                  "<associate-time>%s</associate-time></participantsessionassoc>\n",
                  p + 1, e1, now);
        sb_printf(&b, "  <participantstreamassoc participant_id=\"p%d\">", p + 1);
        /* A party sends its own streams and receives the other party's. */
        for (int i = 0; i < r->nm; i++)
            if (r->m[i].leg && r->m[i].leg == r->party[p])
                sb_printf(&b, "<send>st%d</send>", i + 1);
        for (int i = 0; i < r->nm; i++)
            if (r->m[i].leg && r->m[i].leg != r->party[p])
                sb_printf(&b, "<recv>st%d</recv>", i + 1);
        sb_printf(&b, "</participantstreamassoc>\n");
    }
    sb_printf(&b, "</recording>\n");
    return b.overflow ? -1 : 0;
}

int md_siprec_body(const char *sdp, const char *xml, char *buf, size_t cap)
{
    sbuf b = {buf, cap, 0, 0};
    sb_printf(&b,
              "--" MD_SIPREC_BOUNDARY "\r\nContent-Type: application/sdp\r\n\r\n%s\r\n"
              "--" MD_SIPREC_BOUNDARY "\r\nContent-Type: application/rs-metadata+xml\r\n"
              "Content-Disposition: recording-session\r\n\r\n%s\r\n"
              "--" MD_SIPREC_BOUNDARY "--\r\n",
              sdp, xml);
    return b.overflow ? -1 : 0;
}
