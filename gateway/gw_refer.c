/* Transfers a phone starts with REFER: blind (Refer-To a number) or attended (Replaces). */
#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_call_int.h"
#include "gw_callreq.h"
#include "gw_config.h"
#include "gw_sipif.h"

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
