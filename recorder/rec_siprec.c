/* RFC 7866 SIPREC bodies: multipart/mixed splitting and rs-metadata (RFC 7865) parsing. */
#include "rec_siprec.h"

#include "ar_err.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>
#include <strings.h>

#define WHY(text)                                                                                  \
    do {                                                                                           \
        if (why)                                                                                   \
            *why = (text);                                                                         \
    } while (0)

/* Finds "--boundary" at the start of a line at or after `from`; returns its offset or -1. */
static long find_delim(const char *b, size_t len, size_t from, const char *boundary, size_t blen)
{
    for (size_t i = from; i + 2 + blen <= len; i++) {
        if (i != 0 && b[i - 1] != '\n')
            continue;
        if (b[i] == '-' && b[i + 1] == '-' && memcmp(b + i + 2, boundary, blen) == 0)
            return (long)i;
    }
    return -1;
}

/* Value of header `name` inside [h, h+n) (case-insensitive), up to ';' or EOL. */
static const char *header_value(const char *h, size_t n, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (i < n) {
        size_t eol = i;
        while (eol < n && h[eol] != '\n')
            eol++;
        if (eol - i > nl && strncasecmp(h + i, name, nl) == 0 && h[i + nl] == ':') {
            size_t v = i + nl + 1;
            while (v < eol && (h[v] == ' ' || h[v] == '\t'))
                v++;
            size_t e = v;
            while (e < eol && h[e] != ';' && h[e] != '\r')
                e++;
            while (e > v && (h[e - 1] == ' ' || h[e - 1] == '\t'))
                e--;
            *vlen = e - v;
            return h + v;
        }
        i = eol + 1;
    }
    *vlen = 0;
    return NULL;
}

int rec_multipart_split(const char *b, size_t len, const char *boundary, rec_mime_part *parts,
                        int max, int *nparts)
{
    size_t blen = boundary ? strlen(boundary) : 0;
    *nparts = 0;
    if (blen == 0 || blen > 70 || len > REC_SIPREC_MAX_BODY)
        return AR_E_SIPREC_MALFORMED;
    long d = find_delim(b, len, 0, boundary, blen);
    if (d < 0)
        return AR_E_SIPREC_MALFORMED;
    for (;;) {
        size_t p = (size_t)d + 2 + blen;
        if (p + 2 <= len && b[p] == '-' && b[p + 1] == '-')
            return *nparts > 0 ? AR_E_OK : AR_E_SIPREC_MALFORMED; /* close delimiter */
        /* Rest of the delimiter line (transport padding), then the part's headers. */
        while (p < len && b[p] != '\n')
            p++;
        if (p >= len)
            return AR_E_SIPREC_MALFORMED;
        p++;
        long next = find_delim(b, len, p, boundary, blen);
        if (next < 0)
            return AR_E_SIPREC_MALFORMED;
        if (*nparts >= max)
            return AR_E_SIPREC_MALFORMED;
        /* Headers end at the first empty line; a part may have no headers at all. */
        size_t hend = p, bstart = 0;
        int found = 0;
        for (size_t i = p; i < (size_t)next; i++) {
            if (i == p || b[i - 1] == '\n') {
                if (b[i] == '\n') {
                    hend = i;
                    bstart = i + 1;
                    found = 1;
                    break;
                }
                if (b[i] == '\r' && i + 1 < (size_t)next && b[i + 1] == '\n') {
                    hend = i;
                    bstart = i + 2;
                    found = 1;
                    break;
                }
            }
        }
        if (!found)
            return AR_E_SIPREC_MALFORMED;
        /* The line break before the next delimiter belongs to the delimiter. */
        size_t bend = (size_t)next;
        if (bend > bstart && b[bend - 1] == '\n')
            bend--;
        if (bend > bstart && b[bend - 1] == '\r')
            bend--;
        rec_mime_part *pt = &parts[(*nparts)++];
        pt->ctype = header_value(b + p, hend - p, "Content-Type", &pt->ctype_len);
        pt->disp = header_value(b + p, hend - p, "Content-Disposition", &pt->disp_len);
        pt->body = b + bstart;
        pt->body_len = bend - bstart;
        d = next;
    }
}

static int ctype_is(const rec_mime_part *p, const char *t)
{
    return p->ctype && p->ctype_len == strlen(t) && strncasecmp(p->ctype, t, p->ctype_len) == 0;
}

int rec_siprec_split_body(const char *body, size_t len, const char *boundary, const char **sdp,
                          size_t *sdp_len, const char **xml, size_t *xml_len)
{
    rec_mime_part parts[REC_SIPREC_MAX_PARTS];
    int n = 0;
    *sdp = *xml = NULL;
    *sdp_len = *xml_len = 0;
    int rc = rec_multipart_split(body, len, boundary, parts, REC_SIPREC_MAX_PARTS, &n);
    if (rc != AR_E_OK)
        return rc;
    for (int i = 0; i < n; i++) {
        if (!*sdp && ctype_is(&parts[i], "application/sdp")) {
            *sdp = parts[i].body;
            *sdp_len = parts[i].body_len;
        } else if (!*xml && ctype_is(&parts[i], "application/rs-metadata+xml")) {
            *xml = parts[i].body;
            *xml_len = parts[i].body_len;
        }
    }
    return AR_E_OK;
}

/* ---- rs-metadata ---- */

static int is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void copy_text(char *dst, size_t cap, const xmlChar *src)
{
    size_t o = 0;
    if (src) {
        /* Trim surrounding whitespace; control characters become spaces. */
        while (*src == ' ' || *src == '\t' || *src == '\r' || *src == '\n')
            src++;
        for (; *src && o + 1 < cap; src++)
            dst[o++] = (char)(*src < 0x20 ? ' ' : *src);
        while (o > 0 && dst[o - 1] == ' ')
            o--;
    }
    dst[o] = '\0';
}

static void node_text(char *dst, size_t cap, xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    copy_text(dst, cap, t);
    xmlFree(t);
}

/* RFC 7865 uses <x x_id="..">; early drafts used id="..": accept both. */
static void id_attr(char *dst, size_t cap, xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        v = xmlGetProp(n, (const xmlChar *)"id");
    copy_text(dst, cap, v);
    xmlFree(v);
}

static rec_siprec_participant *find_participant(rec_siprec_meta *m, const char *id)
{
    for (int i = 0; i < m->nparticipants; i++)
        if (strcmp(m->participants[i].id, id) == 0)
            return &m->participants[i];
    if (m->nparticipants >= REC_SIPREC_MAX_PART)
        return NULL;
    rec_siprec_participant *p = &m->participants[m->nparticipants++];
    memset(p, 0, sizeof *p);
    copy_text(p->id, sizeof p->id, (const xmlChar *)id);
    return p;
}

static void parse_participant(rec_siprec_meta *m, xmlNode *n)
{
    char id[REC_SIPREC_ID_LEN];
    id_attr(id, sizeof id, n, "participant_id");
    rec_siprec_participant *p = find_participant(m, id);
    if (!p)
        return;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (is(c, "nameID") || is(c, "nameId")) {
            xmlChar *aor = xmlGetProp(c, (const xmlChar *)"aor");
            copy_text(p->aor, sizeof p->aor, aor);
            xmlFree(aor);
            for (xmlNode *nm = c->children; nm; nm = nm->next)
                if (is(nm, "name"))
                    node_text(p->name, sizeof p->name, nm);
        } else if (is(c, "aor")) { /* draft form */
            node_text(p->aor, sizeof p->aor, c);
        } else if (is(c, "name")) {
            node_text(p->name, sizeof p->name, c);
        } else if (is(c, "send") && p->nsend < REC_SIPREC_MAX_ASSOC) {
            node_text(p->send[p->nsend++], REC_SIPREC_ID_LEN, c);
        } else if (is(c, "recv") && p->nrecv < REC_SIPREC_MAX_ASSOC) {
            node_text(p->recv[p->nrecv++], REC_SIPREC_ID_LEN, c);
        }
    }
}

static void parse_psa(rec_siprec_meta *m, xmlNode *n)
{
    char id[REC_SIPREC_ID_LEN];
    id_attr(id, sizeof id, n, "participant_id");
    rec_siprec_participant *p = find_participant(m, id);
    if (!p)
        return;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (is(c, "send") && p->nsend < REC_SIPREC_MAX_ASSOC)
            node_text(p->send[p->nsend++], REC_SIPREC_ID_LEN, c);
        else if (is(c, "recv") && p->nrecv < REC_SIPREC_MAX_ASSOC)
            node_text(p->recv[p->nrecv++], REC_SIPREC_ID_LEN, c);
    }
}

static void parse_stream(rec_siprec_meta *m, xmlNode *n)
{
    if (m->nstreams >= REC_SIPREC_MAX_STRM)
        return;
    rec_siprec_stream *s = &m->streams[m->nstreams++];
    id_attr(s->id, sizeof s->id, n, "stream_id");
    xmlChar *sess = xmlGetProp(n, (const xmlChar *)"session_id");
    copy_text(s->session, sizeof s->session, sess);
    xmlFree(sess);
    for (xmlNode *c = n->children; c; c = c->next)
        if (is(c, "label"))
            node_text(s->label, sizeof s->label, c);
}

int rec_siprec_parse_metadata(const char *xml, size_t len, rec_siprec_meta *out, const char **why)
{
    int rc = AR_E_OK;
    xmlDoc *doc = NULL;
    memset(out, 0, sizeof *out);
    WHY("ok");
    if (!xml || len == 0 || len > REC_SIPREC_MAX_BODY) {
        WHY("metadata empty or too large");
        return AR_E_SIPREC_MALFORMED;
    }
    doc = xmlReadMemory(xml, (int)len, "rs-metadata.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        WHY("metadata is not well-formed XML");
        return AR_E_SIPREC_MALFORMED;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is(root, "recording")) {
        WHY("metadata root element is not <recording>");
        rc = AR_E_SIPREC_MALFORMED;
        goto cleanup;
    }
    if (root->ns && root->ns->href) {
        const char *ns = (const char *)root->ns->href;
        if (strncmp(ns, "urn:ietf:params:xml:ns:recording", 32) != 0) {
            WHY("metadata namespace is not urn:ietf:params:xml:ns:recording");
            rc = AR_E_SIPREC_MALFORMED;
            goto cleanup;
        }
        copy_text(out->ns, sizeof out->ns, root->ns->href);
    }
    for (xmlNode *n = root->children; n; n = n->next) {
        if (is(n, "datamode")) {
            node_text(out->datamode, sizeof out->datamode, n);
        } else if (is(n, "group") && !out->group_id[0]) {
            id_attr(out->group_id, sizeof out->group_id, n, "group_id");
        } else if (is(n, "session") && !out->session_id[0]) {
            id_attr(out->session_id, sizeof out->session_id, n, "session_id");
            for (xmlNode *c = n->children; c; c = c->next)
                if (is(c, "sipSessionID"))
                    node_text(out->sip_session_id, sizeof out->sip_session_id, c);
        } else if (is(n, "participant")) {
            parse_participant(out, n);
        } else if (is(n, "stream")) {
            parse_stream(out, n);
        } else if (is(n, "participantstreamassoc")) {
            parse_psa(out, n);
        }
    }
cleanup:
    xmlFreeDoc(doc);
    return rc;
}

const rec_siprec_stream *rec_siprec_stream_by_label(const rec_siprec_meta *m, const char *label,
                                                    const rec_siprec_participant **sender)
{
    const rec_siprec_stream *s = NULL;
    if (sender)
        *sender = NULL;
    if (!label || !label[0])
        return NULL;
    for (int i = 0; i < m->nstreams && !s; i++)
        if (strcmp(m->streams[i].label, label) == 0)
            s = &m->streams[i];
    if (!s || !sender)
        return s;
    for (int i = 0; i < m->nparticipants; i++)
        for (int j = 0; j < m->participants[i].nsend; j++)
            if (strcmp(m->participants[i].send[j], s->id) == 0) {
                *sender = &m->participants[i];
                return s;
            }
    return s;
}
