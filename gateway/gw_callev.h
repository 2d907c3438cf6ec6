/* Call events: DN events with the public T-Lib sequences, and call-based monitoring events. */
#ifndef GW_CALLEV_H
#define GW_CALLEV_H

#include "gw_call_int.h"

/* Optional parts of a DN event; zero-initialise and set what applies. */
typedef struct {
    bool has_cs;
    int cs;                /* CallState */
    const gw_party *other; /* OtherDN / OtherDNRole; NULL = the party's peer */
    const char *other_dn;  /* OtherDN when there is no party for it (yet / any more) */
    tl_dn_role other_role; /* its OtherDNRole; Unknown = Destination */
    const char *third;     /* ThirdPartyDN */
    tl_dn_role third_role; /* ThirdPartyDNRole (with third) */
    const tl_kv *ext;      /* Extensions (copied) */
    const char *queue;     /* ThisQueue */
    int64_t ref;           /* ReferenceID, 0 = the current request's (if for this DN) */
    uint64_t prev;         /* PreviousConnID for this event (0 = the call's, if any) */
    uint64_t transfer;     /* TransferConnID for this event (0 = the call's, if any) */
    bool has_route_type;
    int route_type;
} gw_evopt;

/*
 * Build the event `type` about call for party p (ThisDN = p->dn) and publish it to the
 * DN's subscribers. Trunk parties get no events. Every call event carries ConnID,
 * CallID, CallUUID, CallType, ThisDNRole, ANI / DNIS when known, the transfer ConnIDs
 * when set, and the user data when not empty.
 */
void gw_callev_party(gw_call *call, const gw_party *p, uint16_t type, const gw_evopt *o);

/* A call event built the same way but sent to one client only (EventPartyInfo). */
tl_msg *gw_callev_build(gw_call *call, const gw_party *p, uint16_t type, const gw_evopt *o);

/* EventDNOutOfService / EventDNBackInService and agent events: ThisDN-only events. */
void gw_callev_dn(gw_calls *calls, const char *dn, uint16_t type, tl_msg *m);

/* Call-based monitoring (RequestStartCallMonitoring clients of this call). */
void gw_callev_mon_created(gw_call *call, uint64_t only_client);
void gw_callev_mon_party(gw_call *call, const gw_party *p, uint16_t type);
void gw_callev_mon_data(gw_call *call);
void gw_callev_mon_deleted(gw_call *call);
/* Send m (built by the caller, freed here) to the call's monitoring clients. */
void gw_callev_mon_send(gw_call *call, tl_msg *m);
bool gw_callev_mon_add(gw_call *call, uint64_t client_id);
bool gw_callev_mon_remove(gw_call *call, uint64_t client_id);

#endif
