/* Agents: RequestAgentLogin / Logout / Ready / NotReady against the [agent N] configuration. */
#ifndef GW_AGENT_H
#define GW_AGENT_H

#include <stdbool.h>

#include "gw_client.h"
#include "tl_msg.h"

struct gw_calls;

/* Handle one of the four agent requests (m->type says which); answers errors itself. */
void gw_agent_request(gw_client *c, const tl_msg *m, int64_t ref);

/* Login id of the agent on dn, or NULL; ready tells its state. */
const char *gw_agent_on_dn(const struct gw_calls *calls, const char *dn, bool *ready);

#endif
