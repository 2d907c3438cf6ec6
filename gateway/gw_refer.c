/* Phone-side features: transfers a phone starts with REFER, refused remote answers. */
#include "gw_refer.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_call_int.h"
#include "gw_callreq.h"
#include "gw_config.h"
#include "gw_sipif.h"
#include "gw_tlib.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *gw_refer_replaces_call_id(const char *h)
{
    static const char key[] = "Replaces=";
    while (h && *h) {
        size_t n = strcspn(h, "&");
        if (n > sizeof key - 1 && g_ascii_strncasecmp(h, key, sizeof key - 1) == 0) {
            const char *v = h + sizeof key - 1, *end = h + n;
            GString *out = g_string_new(NULL);
            bool ok = true;
            for (const char *p = v; p < end; p++) {
                int c = (unsigned char)*p;
                if (c == '%') {
                    int hi = p + 1 < end ? hexval(p[1]) : -1;
                    int lo = p + 2 < end ? hexval(p[2]) : -1;
                    if (hi < 0 || lo < 0) {
                        ok = false;
                        break;
                    }
                    c = hi * 16 + lo;
                    p += 2;
                }
                if (c == ';') /* to-tag / from-tag follow: not compared */
                    break;
                if (c <= 0x20 || c >= 0x7f) {
                    ok = false;
                    break;
                }
                g_string_append_c(out, (char)c);
            }
            if (!ok || out->len == 0 || out->len > GW_REFER_CALL_ID_MAX) {
                g_string_free(out, TRUE);
                return NULL;
            }
            return g_string_free(out, FALSE);
        }
        h += n;
        if (*h == '&')
            h++;
    }
    return NULL;
}

static bool live(gw_party *p, gw_leg *leg)
{
    return p && p->call && !p->msc && p->leg == leg;
}

int gw_sipif_refer(gw_calls *calls, gw_party *party, gw_leg *leg, const char *target,
                   gw_party *replaced)
{
    if (!live(party, leg) || (replaced && (!replaced->call || replaced->msc))) {
        LOG_WARN(call, "REFER on a leg the model no longer tracks");
        return 481;
    }
    const gw_dn_conf *dn = gw_config_find_dn(calls->srv->cfg, party->dn);
    if (dn && !dn->refer_enabled) {
        LOG_INFO(call, "REFER from %s refused: refer-enabled is false", party->dn);
        return 403;
    }
    gw_call *call = party->call;
    if (replaced) {
        /* Attended: the phone talked with the target on another call (the one Replaces
           names) and holds this one; the target joins this call, the phone leaves both. */
        gw_call *k = replaced->call;
        if (k == call || strcmp(replaced->dn, party->dn) != 0) {
            LOG_INFO(call, "REFER from %s refused: Replaces names no other call of this DN",
                     party->dn);
            return 403;
        }
        uint64_t main_id = call->connid, k_id = k->connid;
        int err = gw_callreq_complete_transfer(calls, call, k, party->dn);
        if (err) {
            LOG_INFO(call, "REFER from %s: call %016llx cannot take the party of %016llx (%s)",
                     party->dn, (unsigned long long)main_id, (unsigned long long)k_id,
                     ar_strerror(err));
            return 403;
        }
        LOG_INFO(call, "REFER from %s: attended transfer of %016llx completed with %016llx",
                 dn ? dn->number : "?", (unsigned long long)main_id, (unsigned long long)k_id);
        return 200;
    }
    uint64_t id = call->connid;
    char who[GW_NUM_MAX];
    g_strlcpy(who, party->dn, sizeof who);
    int st = 0;
    int err = gw_callreq_single_step(calls, call, party, target, NULL, &st);
    if (err == AR_E_INVALID_CALL_STATE) {
        LOG_INFO(call, "REFER from %s refused: call %016llx is not an established 2-party call",
                 who, (unsigned long long)id);
        return 403;
    }
    if (err) {
        LOG_INFO(call, "REFER from %s: %s unreachable (SIP %d)", who, target ? target : "?", st);
        return st >= 400 ? st : 404;
    }
    LOG_INFO(call, "REFER from %s: call %016llx transferred to %s", who, (unsigned long long)id,
             target);
    return 200;
}

void gw_sipif_remote_answer_failed(gw_calls *calls, gw_party *party, gw_leg *leg, int status)
{
    if (!live(party, leg) || !party->pending_ref)
        return;
    for (gw_client *c = calls->srv->clients; c; c = c->next) {
        if (c->id != party->pending_client)
            continue;
        gw_tlib_send_error(c, AR_E_UNSUPPORTED_OPERATION, party->pending_ref,
                           "the phone of DN %s refused the remote answer (NOTIFY talk answered "
                           "%d): answer it on the phone",
                           party->dn, status);
        break;
    }
    party->pending_ref = 0;
    party->pending_client = 0;
}
