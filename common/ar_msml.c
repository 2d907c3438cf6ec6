/* MSML parsing with libxml2 (no DTD, no entities, no network) and escaped building. */
#include "ar_msml.h"

#include "ar_err.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Element name without a namespace prefix: "gvp:recorder" and {ns}recorder both match. */
static const char *local_name(const xmlNode *n)
{
    const char *name = (const char *)n->name;
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static int is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp(local_name(n), name) == 0;
}

/* Copy an attribute into a fixed field; missing -> MISSING_ATTR, too long -> TOO_MANY. */
static int get_attr(xmlNode *n, const char *attr, char *dst, size_t cap, int required)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
    if (!v) {
        dst[0] = '\0';
        return required ? AR_E_MSML_MISSING_ATTR : AR_E_OK;
    }
    int rc = AR_E_OK;
    if (strlen((const char *)v) >= cap)
        rc = AR_E_MSML_TOO_MANY;
    else
        strcpy(dst, (const char *)v);
    xmlFree(v);
    return rc;
}

/* Trimmed text content of an element into a fixed field. */
static int get_text(xmlNode *n, char *dst, size_t cap)
{
    xmlChar *v = xmlNodeGetContent(n);
    const char *s = v ? (const char *)v : "";
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    int rc = AR_E_OK;
    if (len >= cap) {
        rc = AR_E_MSML_TOO_MANY;
    } else {
        memcpy(dst, s, len);
        dst[len] = '\0';
    }
    xmlFree(v);
    return rc;
}

static void strip_conf(char *id)
{
    if (strncmp(id, "conf:", 5) == 0)
        memmove(id, id + 5, strlen(id + 5) + 1);
}

/* An id="conf:<name>" attribute: the limit applies to <name>, which is what we keep
 * and what the builder prefixes again, so parse(build(x)) always fits. */
static int get_conf_id(xmlNode *n, char *dst, int required)
{
    char tmp[AR_MSML_ID_LEN + 5];
    int rc = get_attr(n, "id", tmp, sizeof(tmp), required);
    if (rc)
        return rc;
    strip_conf(tmp);
    if (strlen(tmp) >= AR_MSML_ID_LEN)
        return AR_E_MSML_TOO_MANY;
    strcpy(dst, tmp);
    return AR_E_OK;
}

static ar_msml_op *new_op(ar_msml *m, ar_msml_op_type t)
{
    if (m->nops >= AR_MSML_MAX_OPS)
        return NULL;
    ar_msml_op *op = &m->ops[m->nops++];
    memset(op, 0, sizeof(*op));
    op->type = t;
    return op;
}

static int has_op(const ar_msml *m, ar_msml_op_type t)
{
    for (int i = 0; i < m->nops; i++)
        if (m->ops[i].type == t)
            return 1;
    return 0;
}

static int add_param_node(ar_msml *m, xmlNode *p)
{
    if (m->nparams >= AR_MSML_MAX_PARAMS)
        return AR_E_MSML_TOO_MANY;
    ar_msml_param *prm = &m->params[m->nparams];
    int rc = get_attr(p, "name", prm->name, sizeof(prm->name), 1);
    if (rc == AR_E_OK && !prm->name[0])
        rc = AR_E_MSML_MISSING_ATTR;
    if (rc == AR_E_OK)
        rc = get_text(p, prm->value, sizeof(prm->value));
    if (rc == AR_E_OK)
        m->nparams++;
    return rc;
}

/* <createconference name=..> with optional <gvp:recorder><gvp:params><gvp:param>. */
static int parse_create(ar_msml *m, xmlNode *n)
{
    if (has_op(m, AR_MSML_OP_CREATE) || has_op(m, AR_MSML_OP_EVENT) || m->nparams)
        return AR_E_MSML_TOO_MANY; /* nparams: a modifyconference's params came first */
    ar_msml_op *op = new_op(m, AR_MSML_OP_CREATE);
    if (!op)
        return AR_E_MSML_TOO_MANY;
    int rc = get_attr(n, "name", op->conf, sizeof(op->conf), 1);
    if (rc)
        return rc;
    for (xmlNode *r = n->children; r; r = r->next) {
        if (!is_elem(r, "recorder"))
            continue; /* audiomix, reserve ... carry nothing for a recorder */
        for (xmlNode *ps = r->children; ps; ps = ps->next) {
            if (!is_elem(ps, "params"))
                continue;
            for (xmlNode *p = ps->children; p; p = p->next) {
                if (!is_elem(p, "param"))
                    continue;
                if ((rc = add_param_node(m, p)))
                    return rc;
            }
        }
    }
    return AR_E_OK;
}

static int parse_join(ar_msml *m, xmlNode *n, ar_msml_op_type t)
{
    ar_msml_op *op = new_op(m, t);
    if (!op)
        return AR_E_MSML_TOO_MANY;
    int rc = get_attr(n, "id1", op->id1, sizeof(op->id1), 1);
    if (!rc)
        rc = get_attr(n, "id2", op->id2, sizeof(op->id2), 1);
    if (!rc && (!op->id1[0] || !op->id2[0]))
        rc = AR_E_MSML_MISSING_ATTR;
    return rc;
}

/* <gvp:recorder state=..><gvp:params><gvp:param name=..>..: the seed's `params` of a
 * pause / resume / stop ("modifies the recording session"). They share the document's
 * one params list, so they may not come with a CREATE or an EVENT, nor twice. */
static int parse_modify_params(ar_msml *m, xmlNode *r)
{
    int rc = AR_E_OK, seen = 0;
    for (xmlNode *ps = r->children; ps; ps = ps->next) {
        if (!is_elem(ps, "params"))
            continue;
        if (seen++ || m->nparams || has_op(m, AR_MSML_OP_CREATE) || has_op(m, AR_MSML_OP_EVENT))
            return AR_E_MSML_TOO_MANY;
        for (xmlNode *p = ps->children; p; p = p->next)
            if (is_elem(p, "param") && (rc = add_param_node(m, p)))
                return rc;
    }
    return rc;
}

static int parse_modify(ar_msml *m, xmlNode *n)
{
    char id[AR_MSML_ID_LEN], state[32];
    int rc = get_conf_id(n, id, 1);
    if (rc)
        return rc;
    for (xmlNode *r = n->children; r; r = r->next) {
        if (!is_elem(r, "recorder"))
            continue;
        if ((rc = get_attr(r, "state", state, sizeof(state), 1)))
            return rc;
        ar_msml_op_type t = AR_MSML_OP_NONE;
        if (strcmp(state, "pause") == 0)
            t = AR_MSML_OP_PAUSE;
        else if (strcmp(state, "resume") == 0)
            t = AR_MSML_OP_RESUME;
        else if (strcmp(state, "stop") == 0)
            t = AR_MSML_OP_STOP;
        else
            return AR_E_MSML_UNKNOWN_OP;
        ar_msml_op *op = new_op(m, t);
        if (!op)
            return AR_E_MSML_TOO_MANY;
        strcpy(op->conf, id);
        return parse_modify_params(m, r);
    }
    return AR_E_MSML_UNKNOWN_OP; /* a modify without a recorder state changes nothing we do */
}

/* <event name=.. id=..><name>k</name><value>v</value>...</event> */
static int parse_event(ar_msml *m, xmlNode *n)
{
    if (has_op(m, AR_MSML_OP_CREATE) || has_op(m, AR_MSML_OP_EVENT) || m->nparams)
        return AR_E_MSML_TOO_MANY; /* nparams: a modifyconference's params came first */
    ar_msml_op *op = new_op(m, AR_MSML_OP_EVENT);
    if (!op)
        return AR_E_MSML_TOO_MANY;
    int rc = get_attr(n, "name", op->event, sizeof(op->event), 1);
    if (!rc)
        rc = get_conf_id(n, op->conf, 0);
    if (rc)
        return rc;
    ar_msml_param *cur = NULL;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (is_elem(c, "name")) {
            if (m->nparams >= AR_MSML_MAX_PARAMS)
                return AR_E_MSML_TOO_MANY;
            cur = &m->params[m->nparams++];
            if ((rc = get_text(c, cur->name, sizeof(cur->name))))
                return rc;
        } else if (is_elem(c, "value")) {
            if (!cur)
                return AR_E_MSML_MISSING_ATTR; /* a value without its name */
            if ((rc = get_text(c, cur->value, sizeof(cur->value))))
                return rc;
            cur = NULL;
        }
    }
    return AR_E_OK;
}

int ar_msml_parse(const char *body, size_t len, ar_msml *out)
{
    memset(out, 0, sizeof(*out));
    if (!body || len == 0)
        return AR_E_MSML_NOT_XML;
    if (len > AR_MSML_MAX_LEN)
        return AR_E_MSML_TOO_LARGE;
    /* No NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR, NONET, and no huge
     * documents: billion-laughs and external entities cannot happen. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDoc *doc = xmlReadMemory(body, (int)len, "msml.xml", NULL, opts);
    if (!doc)
        return AR_E_MSML_NOT_XML;
    int rc = AR_E_OK;
    if (doc->intSubset || doc->extSubset) {
        rc = AR_E_MSML_NOT_XML; /* a DTD has no business in MSML over SIP */
        goto cleanup;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is_elem(root, "msml")) {
        rc = AR_E_MSML_BAD_ROOT;
        goto cleanup;
    }
    xmlChar *ver = xmlGetProp(root, (const xmlChar *)"version");
    if (!ver || strncmp((const char *)ver, "1.", 2) != 0) {
        xmlFree(ver);
        rc = AR_E_MSML_BAD_ROOT;
        goto cleanup;
    }
    xmlFree(ver);
    for (xmlNode *n = root->children; n && rc == AR_E_OK; n = n->next) {
        if (n->type == XML_ENTITY_REF_NODE) {
            rc = AR_E_MSML_NOT_XML;
            break;
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = local_name(n);
        if (strcmp(name, "createconference") == 0) {
            rc = parse_create(out, n);
        } else if (strcmp(name, "join") == 0) {
            rc = parse_join(out, n, AR_MSML_OP_JOIN);
        } else if (strcmp(name, "unjoin") == 0) {
            rc = parse_join(out, n, AR_MSML_OP_UNJOIN);
        } else if (strcmp(name, "destroyconference") == 0) {
            ar_msml_op *op = new_op(out, AR_MSML_OP_DESTROY);
            rc = op ? get_conf_id(n, op->conf, 1) : AR_E_MSML_TOO_MANY;
        } else if (strcmp(name, "audit") == 0) {
            ar_msml_op *op = new_op(out, AR_MSML_OP_AUDIT);
            rc = op ? get_conf_id(n, op->conf, 1) : AR_E_MSML_TOO_MANY;
        } else if (strcmp(name, "modifyconference") == 0) {
            rc = parse_modify(out, n);
        } else if (strcmp(name, "event") == 0) {
            rc = parse_event(out, n);
        } else {
            rc = AR_E_MSML_UNKNOWN_OP;
        }
    }
    if (rc == AR_E_OK && out->nops == 0)
        rc = AR_E_MSML_UNKNOWN_OP;
cleanup:
    xmlFreeDoc(doc);
    if (rc != AR_E_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

const char *ar_msml_get_param(const ar_msml *m, const char *name)
{
    for (int i = m->nparams - 1; i >= 0; i--)
        if (strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}

void ar_msml_init(ar_msml *m)
{
    memset(m, 0, sizeof(*m));
}

ar_msml_op *ar_msml_add_op(ar_msml *m, ar_msml_op_type type, const char *conf)
{
    ar_msml_op *op = new_op(m, type);
    if (op && conf)
        snprintf(op->conf, sizeof(op->conf), "%s", conf);
    return op;
}

ar_msml_op *ar_msml_add_join(ar_msml *m, const char *id1, const char *id2)
{
    ar_msml_op *op = new_op(m, AR_MSML_OP_JOIN);
    if (op) {
        snprintf(op->id1, sizeof(op->id1), "%s", id1);
        snprintf(op->id2, sizeof(op->id2), "%s", id2);
    }
    return op;
}

int ar_msml_add_param(ar_msml *m, const char *name, const char *value)
{
    if (m->nparams >= AR_MSML_MAX_PARAMS || strlen(name) >= AR_MSML_NAME_LEN ||
        strlen(value) >= AR_MSML_VALUE_LEN)
        return -1;
    ar_msml_param *p = &m->params[m->nparams++];
    strcpy(p->name, name);
    strcpy(p->value, value);
    return 0;
}

/* Bounded writer with overflow latch, as in ar_sdp.c. */
typedef struct {
    char *buf;
    size_t cap, len;
    int overflow;
} wbuf;

static void w_raw(wbuf *w, const char *s)
{
    size_t n = strlen(s);
    if (w->overflow || n >= w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    memcpy(w->buf + w->len, s, n + 1);
    w->len += n;
}

static void w_esc(wbuf *w, const char *s)
{
    char one[2] = {0, 0};
    for (; *s; s++) {
        switch (*s) {
        case '<':
            w_raw(w, "&lt;");
            break;
        case '>':
            w_raw(w, "&gt;");
            break;
        case '&':
            w_raw(w, "&amp;");
            break;
        case '"':
            w_raw(w, "&quot;");
            break;
        case '\'':
            w_raw(w, "&apos;");
            break;
        default:
            one[0] = *s;
            w_raw(w, one);
        }
    }
}

/* Attribute name="escaped value". */
static void w_attr(wbuf *w, const char *name, const char *v)
{
    w_raw(w, " ");
    w_raw(w, name);
    w_raw(w, "=\"");
    w_esc(w, v);
    w_raw(w, "\"");
}

static void w_conf_attr(wbuf *w, const char *conf)
{
    char id[AR_MSML_ID_LEN + 8];
    snprintf(id, sizeof(id), "conf:%s", conf);
    w_attr(w, "id", id);
}

/* params: written only when the document has no CREATE / EVENT to own them. */
static void w_modify(wbuf *w, const ar_msml *m, const ar_msml_op *op, const char *state)
{
    w_raw(w, "<modifyconference");
    w_conf_attr(w, op->conf);
    w_raw(w, "><gvp:recorder");
    w_attr(w, "state", state);
    if (m->nparams == 0 || has_op(m, AR_MSML_OP_CREATE) || has_op(m, AR_MSML_OP_EVENT)) {
        w_raw(w, "/></modifyconference>");
        return;
    }
    w_raw(w, "><gvp:params>");
    for (int p = 0; p < m->nparams; p++) {
        w_raw(w, "<gvp:param");
        w_attr(w, "name", m->params[p].name);
        w_raw(w, ">");
        w_esc(w, m->params[p].value);
        w_raw(w, "</gvp:param>");
    }
    w_raw(w, "</gvp:params></gvp:recorder></modifyconference>");
}

int ar_msml_build(const ar_msml *m, char *buf, size_t cap, size_t *out_len)
{
    if (cap == 0)
        return AR_E_MSML_TOO_LARGE;
    wbuf w = {buf, cap, 0, 0};
    buf[0] = '\0';
    w_raw(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<msml version=\"1.1\" xmlns:gvp=\"http://www.genesyslab.com/gvp\">");
    for (int i = 0; i < m->nops; i++) {
        const ar_msml_op *op = &m->ops[i];
        switch (op->type) {
        case AR_MSML_OP_CREATE:
            w_raw(&w, "<createconference");
            w_attr(&w, "name", op->conf);
            w_raw(&w, "><gvp:recorder><gvp:params>");
            for (int p = 0; p < m->nparams; p++) {
                w_raw(&w, "<gvp:param");
                w_attr(&w, "name", m->params[p].name);
                w_raw(&w, ">");
                w_esc(&w, m->params[p].value);
                w_raw(&w, "</gvp:param>");
            }
            w_raw(&w, "</gvp:params></gvp:recorder></createconference>");
            break;
        case AR_MSML_OP_JOIN:
        case AR_MSML_OP_UNJOIN:
            w_raw(&w, op->type == AR_MSML_OP_JOIN ? "<join" : "<unjoin");
            w_attr(&w, "id1", op->id1);
            w_attr(&w, "id2", op->id2);
            w_raw(&w, "/>");
            break;
        case AR_MSML_OP_DESTROY:
            w_raw(&w, "<destroyconference");
            w_conf_attr(&w, op->conf);
            w_raw(&w, "/>");
            break;
        case AR_MSML_OP_AUDIT:
            w_raw(&w, "<audit");
            w_conf_attr(&w, op->conf);
            w_raw(&w, "/>");
            break;
        case AR_MSML_OP_PAUSE:
            w_modify(&w, m, op, "pause");
            break;
        case AR_MSML_OP_RESUME:
            w_modify(&w, m, op, "resume");
            break;
        case AR_MSML_OP_STOP:
            w_modify(&w, m, op, "stop");
            break;
        case AR_MSML_OP_EVENT:
            w_raw(&w, "<event");
            w_attr(&w, "name", op->event);
            w_conf_attr(&w, op->conf);
            w_raw(&w, ">");
            for (int p = 0; p < m->nparams; p++) {
                w_raw(&w, "<name>");
                w_esc(&w, m->params[p].name);
                w_raw(&w, "</name><value>");
                w_esc(&w, m->params[p].value);
                w_raw(&w, "</value>");
            }
            w_raw(&w, "</event>");
            break;
        case AR_MSML_OP_NONE:
            break;
        }
    }
    w_raw(&w, "</msml>\n");
    if (w.overflow)
        return AR_E_MSML_TOO_LARGE;
    if (out_len)
        *out_len = w.len;
    return AR_E_OK;
}

int ar_msml_build_result(int code, const char *description, char *buf, size_t cap, size_t *out_len)
{
    if (cap == 0)
        return AR_E_MSML_TOO_LARGE;
    wbuf w = {buf, cap, 0, 0};
    char num[16];
    snprintf(num, sizeof(num), "%d", code);
    buf[0] = '\0';
    w_raw(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<msml version=\"1.1\"><result");
    w_attr(&w, "response", num);
    w_raw(&w, ">");
    if (description && description[0]) {
        w_raw(&w, "<description>");
        w_esc(&w, description);
        w_raw(&w, "</description>");
    }
    w_raw(&w, "</result></msml>\n");
    if (w.overflow)
        return AR_E_MSML_TOO_LARGE;
    if (out_len)
        *out_len = w.len;
    return AR_E_OK;
}

const char *ar_msml_op_name(ar_msml_op_type t)
{
    switch (t) {
    case AR_MSML_OP_CREATE:
        return "createconference";
    case AR_MSML_OP_JOIN:
        return "join";
    case AR_MSML_OP_UNJOIN:
        return "unjoin";
    case AR_MSML_OP_DESTROY:
        return "destroyconference";
    case AR_MSML_OP_PAUSE:
        return "pause";
    case AR_MSML_OP_RESUME:
        return "resume";
    case AR_MSML_OP_STOP:
        return "stop";
    case AR_MSML_OP_EVENT:
        return "event";
    case AR_MSML_OP_AUDIT:
        return "audit";
    default:
        return "none";
    }
}
