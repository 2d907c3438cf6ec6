/* MSML (RFC 5707 subset + the seed's gvp:recorder extension): parse and build. */
#ifndef AR_MSML_H
#define AR_MSML_H

#include <stddef.h>

/*
 * What the gateway sends mediad in SIP INFO bodies (Content-Type application/msml+xml),
 * and what mediad sends back. The exact XML is documented in docs/mediad.md:
 *
 *   <msml version="1.1">
 *     <createconference name="recorder">
 *       <gvp:recorder><gvp:params>
 *         <gvp:param name="record">source</gvp:param> ... </gvp:params></gvp:recorder>
 *     </createconference>
 *     <join id1="conf:recorder" id2="conn:1234"/>
 *   </msml>
 *   <msml version="1.1"><modifyconference id="conf:recorder">
 *     <gvp:recorder state="pause"/></modifyconference></msml>   (pause | resume | stop)
 *   <msml version="1.1"><destroyconference id="conf:recorder"/></msml>
 *   <msml version="1.1"><audit id="conf:recorder"/></msml>
 *   <msml version="1.1"><event name="msml.recorder.error" id="conf:recorder">
 *     <name>reason</name><value>...</value> ...</event></msml>
 *
 * The gvp prefix is matched by local name, with or without a namespace declaration
 * (the seed's own example declares none). Parsing never loads DTDs, never expands
 * entities, never touches the network and refuses bodies over AR_MSML_MAX_LEN.
 */
#define AR_MSML_MAX_LEN    65536
#define AR_MSML_MAX_OPS    8
#define AR_MSML_MAX_PARAMS 32
#define AR_MSML_ID_LEN     128
#define AR_MSML_NAME_LEN   64
#define AR_MSML_VALUE_LEN  512

typedef enum {
    AR_MSML_OP_NONE = 0,
    AR_MSML_OP_CREATE,  /* createconference (+ gvp:recorder params) */
    AR_MSML_OP_JOIN,    /* join id1 id2 */
    AR_MSML_OP_UNJOIN,  /* unjoin id1 id2 */
    AR_MSML_OP_DESTROY, /* destroyconference id */
    AR_MSML_OP_PAUSE,   /* modifyconference id + gvp:recorder state="pause" */
    AR_MSML_OP_RESUME,  /* ... state="resume" */
    AR_MSML_OP_STOP,    /* ... state="stop": end recording, keep the call's media */
    AR_MSML_OP_EVENT,   /* event name id + name/value pairs (mediad -> gateway) */
    AR_MSML_OP_AUDIT,   /* audit id: mediad answers with the conference's counters */
} ar_msml_op_type;

typedef struct {
    char name[AR_MSML_NAME_LEN];
    char value[AR_MSML_VALUE_LEN];
} ar_msml_param;

typedef struct {
    ar_msml_op_type type;
    /* CREATE: the conference name; DESTROY/PAUSE/RESUME/STOP/EVENT/AUDIT: the id attribute
     * with a leading "conf:" removed. */
    char conf[AR_MSML_ID_LEN];
    char id1[AR_MSML_ID_LEN];     /* JOIN/UNJOIN, verbatim ("conf:recorder") */
    char id2[AR_MSML_ID_LEN];     /* JOIN/UNJOIN, verbatim ("conn:1234") */
    char event[AR_MSML_NAME_LEN]; /* EVENT: name attribute ("msml.recorder.error") */
} ar_msml_op;

/*
 * One MSML document. params belongs to the (single) CREATE op, or to the EVENT op
 * as its name/value pairs: a document with two CREATEs or two EVENTs is refused with
 * AR_E_MSML_TOO_MANY. Without either, params are those of the modifyconference
 * (pause / resume / stop: the seed's `params` modifying the session; one list only).
 */
typedef struct {
    int nops;
    ar_msml_op ops[AR_MSML_MAX_OPS];
    int nparams;
    ar_msml_param params[AR_MSML_MAX_PARAMS];
} ar_msml;

/*
 * Parse body into *out (zeroed first). Errors: AR_E_MSML_TOO_LARGE, AR_E_MSML_NOT_XML
 * (not well-formed, or has a DTD), AR_E_MSML_BAD_ROOT (root not <msml>, or version
 * not 1.x), AR_E_MSML_UNKNOWN_OP (an element we do not implement: the whole document
 * is refused so nothing half-happens), AR_E_MSML_MISSING_ATTR, AR_E_MSML_TOO_MANY
 * (more than AR_MSML_MAX_OPS ops / AR_MSML_MAX_PARAMS params, or a value longer than
 * the fixed fields).
 */
int ar_msml_parse(const char *body, size_t len, ar_msml *out);

/* Value of the last param named name (case-sensitive), or NULL. */
const char *ar_msml_get_param(const ar_msml *m, const char *name);

/* Builders for gateway- or test-side use. Return 0 or -1 when full. */
void ar_msml_init(ar_msml *m);
ar_msml_op *ar_msml_add_op(ar_msml *m, ar_msml_op_type type, const char *conf);
ar_msml_op *ar_msml_add_join(ar_msml *m, const char *id1, const char *id2);
int ar_msml_add_param(ar_msml *m, const char *name, const char *value);

/*
 * Serialise *m (XML-escaped, NUL-terminated) into buf. *out_len gets the length.
 * Returns AR_E_OK or AR_E_MSML_TOO_LARGE when cap is too small.
 */
int ar_msml_build(const ar_msml *m, char *buf, size_t cap, size_t *out_len);

/* Build <msml version="1.1"><result response="code"><description>..</description>
 * </result></msml>, the body of mediad's 200 OK to an INFO. */
int ar_msml_build_result(int code, const char *description, char *buf, size_t cap, size_t *out_len);

/* Name of an op type ("createconference", "pause", ...). */
const char *ar_msml_op_name(ar_msml_op_type t);

#endif
