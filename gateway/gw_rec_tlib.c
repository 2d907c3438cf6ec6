/* Recording controller, T-Lib side: RequestPrivateService 3013-3016 and file name templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_rec.h"
#include "gw_rec_video.h"
#include "gw_tlib.h"

char *gw_rec_expand_name(const char *tmpl, const gw_call *call, const char *agent_dn,
                         const char *other_dn, const char *id, int64_t now_us)
{
    time_t t = (time_t)(now_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[16], tod[16], connid[17];
    strftime(date, sizeof date, "%Y%m%d", &tm);
    strftime(tod, sizeof tod, "%H%M%S", &tm);
    tl_connid_format(call->connid, connid);
    static const char *const names[] = {"UUID", "CONNID", "AGENTDN", "OTHERDN", "ANI",
                                        "DNIS", "DATE",   "TIME",    "ID"};
    const char *vals[] = {call->uuid,
                          connid,
                          agent_dn ? agent_dn : "",
                          other_dn ? other_dn : "",
                          call->ani,
                          call->dnis,
                          date,
                          tod,
                          id ? id : ""};
    GString *out = g_string_new(NULL);
    for (const char *p = tmpl; *p;) {
        bool done = false;
        if (*p == '$') {
            for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                size_t n = strlen(names[i]);
                if (strncmp(p + 1, names[i], n) == 0 && p[1 + n] == '$') {
                    g_string_append(out, vals[i]);
                    p += n + 2;
                    done = true;
                    break;
                }
            }
        }
        if (!done)
            g_string_append_c(out, *p++);
    }
    /* Unknown $NAME$ stays as text; anything unsafe in a URI user part or path goes. */
    for (char *c = out->str; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '.' && *c != '_' && *c != '-')
            *c = '_';
    if (out->len == 0)
        g_string_append(out, call->uuid);
    /* mediad and the recorder keep ids up to 127 bytes: stay well inside. */
    if (out->len > GW_REC_NAME_MAX)
        g_string_truncate(out, GW_REC_NAME_MAX);
    return g_string_free(out, FALSE);
}

int gw_rec_screen_capture_check(const tl_kv *ud, char *why, size_t cap)
{
    static const char *const ok[] = {"start", "stop",    "pause",    "resume",
                                     "query", "enabled", "disabled", "paused"};
    const tl_value *v = ud ? tl_kv_get(ud, "screen-capture") : NULL;
    if (!v)
        return AR_E_OK;
    if (v->type != TL_T_STR && v->type != TL_T_UNICODE) {
        snprintf(why, cap, "screen-capture must be a string, got %s", tl_type_name(v->type));
        return AR_E_WRONG_TYPE;
    }
    const char *s = tl_kv_get_str(ud, "screen-capture");
    for (size_t i = 0; s && i < G_N_ELEMENTS(ok); i++)
        if (strcmp(s, ok[i]) == 0)
            return AR_E_OK;
    snprintf(why, cap,
             "screen-capture \"%s\" is not start, stop, pause, resume, query, enabled, "
             "disabled or paused",
             s ? s : "");
    return AR_E_INVALID_VALUE;
}

static void send_ack(gw_client *c, int64_t ref, uint64_t connid)
{
    tl_msg *r = tl_msg_new(TL_M_EventACK);
    if (!r) {
        gw_client_drop(c, "out of memory building EventACK");
        return;
    }
    tl_msg_set_int(r, TL_A_ReferenceID, ref);
    tl_msg_set_connid(r, TL_A_ConnID, connid);
    gw_client_send(c, r);
    tl_msg_free(&r);
}

/* A string Extensions value (the type was checked by gw_tlib.c), or NULL. */
static const char *ext_str(const tl_kv *ext, const char *key)
{
    const char *v = ext ? tl_kv_get_str(ext, key) : NULL;
    return v && *v ? v : NULL;
}

/* tonesilenceduration: int or a decimal string; -1 absent, -2 not a number. */
static int ext_tsd(const tl_kv *ext)
{
    const tl_value *v = ext ? tl_kv_get(ext, "tonesilenceduration") : NULL;
    if (!v)
        return -1;
    if (v->type == TL_T_INT)
        return v->u.i < 0 ? -2 : v->u.i > 3600000 ? 3600000 : (int)v->u.i;
    const char *s = tl_kv_get_str(ext, "tonesilenceduration");
    if (!s || !*s)
        return -2;
    char *end;
    long n = strtol(s, &end, 10);
    if (*end || n < 0)
        return -2;
    return n > 3600000 ? 3600000 : (int)n;
}

void gw_rec_private_service(gw_client *c, const tl_msg *m, int64_t ref, int64_t msg_id)
{
    gw_calls *calls = c->srv->calls;
    uint64_t connid = 0;
    tl_msg_get_connid(m, TL_A_ConnID, &connid);
    gw_call *call = calls ? gw_calls_find(calls, connid) : NULL;
    char fn[GW_REC_NAME_MAX + 1];
    if (!call && calls && msg_id == TL_GSIP_RECORD_START &&
        gw_rec_pre_claim_ended(calls, connid, tl_msg_get_str(m, TL_A_ThisDN), fn, sizeof fn)) {
        send_ack(c, ref, connid); /* "shortly after it ends": the pre-recording is kept */
        return;
    }
    if (!call) {
        char text[17];
        tl_connid_format(connid, text);
        gw_tlib_send_error(c, AR_E_UNKNOWN_CONNID, ref, "no call with ConnID %s", text);
        return;
    }
    const char *this_dn = tl_msg_get_str(m, TL_A_ThisDN);
    const tl_kv *ext = tl_msg_get_kv(m, TL_A_Extensions);
    char why[300] = "";
    int err;
    if (msg_id == TL_GSIP_RECORD_START) {
        const char *side = ext_str(ext, "record");
        if (side && strcmp(side, "source") != 0 && strcmp(side, "destination") != 0) {
            gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref,
                               "record must be source or destination, not \"%s\"", side);
            return;
        }
        int tsd = ext_tsd(ext);
        if (tsd == -2) {
            gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref,
                               "tonesilenceduration must be a number of milliseconds");
            return;
        }
        bool audio_only = false;
        if ((err = gw_rec_ext_audio_only(ext, &audio_only)) != AR_E_OK) {
            gw_tlib_send_error(c, err, ref, "audio-only must be true or false");
            return;
        }
        const char *audiosrc = ext_str(ext, "audiosrc");
        if (audiosrc && !g_str_has_prefix(audiosrc, "/") && !g_str_has_prefix(audiosrc, "file:") &&
            !g_str_has_prefix(audiosrc, "http://") && !g_str_has_prefix(audiosrc, "https://")) {
            gw_tlib_send_error(c, AR_E_INVALID_VALUE, ref,
                               "audiosrc \"%s\" is not a path, file:, http: or https: URI",
                               audiosrc);
            return;
        }
        /* record=source: ThisDN's side when it is a party, else the caller's; destination:
           the other side. A supervisor (not a party) thus records the caller by default. */
        gw_party *self = this_dn ? gw_call_find_party(call, this_dn) : NULL;
        gw_party *orig = NULL;
        for (gw_party *q = call->parties; q && !orig; q = q->next)
            if (q->role == TL_ROLE_ORIGINATION)
                orig = q;
        gw_party *src = self ? self : orig ? orig : call->parties;
        gw_party *rp =
            side && strcmp(side, "destination") == 0 && src ? gw_call_peer(call, src) : src;
        gw_rec_req r = {
            .started_by = "dynamic",
            .side = side,
            .record_dn = rp ? rp->dn : NULL,
            .req_dn = this_dn,
            .id = ext_str(ext, "id"),
            .dest = ext_str(ext, "dest"),
            .dest2 = ext_str(ext, "dest2"),
            .params = ext_str(ext, "params"),
            .audiosrc = audiosrc,
            .tonesilenceduration = tsd,
            .audio_only = audio_only,
        };
        err = gw_rec_request(call, &r, why, sizeof why);
    } else {
        gw_rec_ctl op = msg_id == TL_GSIP_RECORD_STOP    ? GW_REC_STOP
                        : msg_id == TL_GSIP_RECORD_PAUSE ? GW_REC_PAUSE
                                                         : GW_REC_RESUME;
        err = gw_rec_control_id(call, op, this_dn, ext_str(ext, "id"), ext_str(ext, "params"), why,
                                sizeof why);
    }
    if (err != AR_E_OK) {
        LOG_INFO(rec, "PrivateService %lld on %016llx refused: %s", (long long)msg_id,
                 (unsigned long long)connid, why);
        gw_tlib_send_error(c, err, ref, "%s", why);
        return;
    }
    send_ack(c, ref, connid);
}
