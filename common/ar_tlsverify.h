/* TLS verify-policy names of the configuration -> sofia-sip's TPTLS_VERIFY_* (gatewayd, mediad). */
#ifndef AR_TLSVERIFY_H
#define AR_TLSVERIFY_H

/* Header only: common does not link sofia-sip, the two daemons that include this do. */
#include <sofia-sip/tport_tag.h>
#include <string.h>

/* "all", "out", "in" or "none" -> TPTLS_VERIFY_*; -1 for anything else. */
static inline int ar_tls_verify_policy(const char *name)
{
    static const struct {
        const char *name;
        int policy;
    } map[] = {{"all", TPTLS_VERIFY_ALL},
               {"out", TPTLS_VERIFY_OUT},
               {"in", TPTLS_VERIFY_IN},
               {"none", TPTLS_VERIFY_NONE}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(name, map[i].name))
            return map[i].policy;
    return -1;
}

#endif
