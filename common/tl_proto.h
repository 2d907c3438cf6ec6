/* The T-Lib protocol table: messages, attributes, value types, enumerations. */
#ifndef TL_PROTO_H
#define TL_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* Value types. Numbers 0-4 are the public key-value layout's type bytes. */
typedef enum {
    TL_T_STR = 0,
    TL_T_INT = 1, /* attributes: 64-bit on the wire; KV lists: 32-bit */
    TL_T_BIN = 2,
    TL_T_KV = 3,      /* nested key-value list */
    TL_T_UNICODE = 4, /* KV lists only; UTF-8 text, kept distinct from STR */
    TL_T_CONNID = 5,  /* 64-bit connection id, "%016llx" in text */
} tl_type;

/*
 * Attributes: X(Name, number, type). Numbers below 1000 follow the public
 * TAttribute enumeration (reference/tlib.md); 1000 and up are this project's own.
 */
#define TL_ATTRS(X)                                                                                \
    X(ErrorMessage, 1, TL_T_STR)                                                                   \
    X(ReferenceID, 2, TL_T_INT)                                                                    \
    X(CallID, 3, TL_T_INT)                                                                         \
    X(ConnID, 9, TL_T_CONNID)                                                                      \
    X(PreviousConnID, 10, TL_T_CONNID)                                                             \
    X(TransferConnID, 11, TL_T_CONNID)                                                             \
    X(ConferenceConnID, 12, TL_T_CONNID)                                                           \
    X(CallState, 13, TL_T_INT)                                                                     \
    X(AgentID, 14, TL_T_STR)                                                                       \
    X(AgentWorkMode, 16, TL_T_INT)                                                                 \
    X(Reasons, 17, TL_T_KV)                                                                        \
    X(DNIS, 18, TL_T_STR)                                                                          \
    X(ANI, 19, TL_T_STR)                                                                           \
    X(ThisDN, 20, TL_T_STR)                                                                        \
    X(ThisQueue, 21, TL_T_STR)                                                                     \
    X(ThisDNRole, 23, TL_T_INT)                                                                    \
    X(OtherDN, 24, TL_T_STR)                                                                       \
    X(OtherDNRole, 27, TL_T_INT)                                                                   \
    X(ThirdPartyDN, 28, TL_T_STR)                                                                  \
    X(ThirdPartyDNRole, 31, TL_T_INT)                                                              \
    X(InputMask, 45, TL_T_INT)                                                                     \
    X(ErrorCode, 46, TL_T_INT)                                                                     \
    X(AddressType, 47, TL_T_INT)                                                                   \
    X(RegisterMode, 49, TL_T_INT)                                                                  \
    X(ControlMode, 50, TL_T_INT)                                                                   \
    X(UserData, 51, TL_T_KV)                                                                       \
    X(Extensions, 53, TL_T_KV)                                                                     \
    X(CallType, 54, TL_T_INT)                                                                      \
    X(UserEvent, 58, TL_T_KV)                                                                      \
    X(RouteType, 60, TL_T_INT)                                                                     \
    X(ServerVersion, 61, TL_T_STR)                                                                 \
    X(ServerRole, 62, TL_T_INT)                                                                    \
    X(ApplicationName, 64, TL_T_STR)                                                               \
    X(Location, 69, TL_T_STR)                                                                      \
    X(TimeinSecs, 86, TL_T_INT)                                                                    \
    X(TimeinuSecs, 87, TL_T_INT)                                                                   \
    X(MediaType, 97, TL_T_INT)                                                                     \
    X(PrivateMsgID, 105, TL_T_INT)                                                                 \
    X(FirstTransferConnID, 106, TL_T_CONNID)                                                       \
    X(LastTransferConnID, 107, TL_T_CONNID)                                                        \
    X(DBID, 111, TL_T_INT)                                                                         \
    X(TimeStamp, 120, TL_T_INT)                                                                    \
    X(CallUUID, 141, TL_T_STR)                                                                     \
    X(NewCallUUID, 142, TL_T_STR)                                                                  \
    X(OrigCallUUID, 143, TL_T_STR)                                                                 \
    X(RefCallUUID, 144, TL_T_STR)                                                                  \
    X(PartyUUID, 145, TL_T_STR)                                                                    \
    X(ISLinkList, 146, TL_T_KV)                                                                    \
    X(ServerStartTime, 147, TL_T_INT)                                                              \
    X(EventSequenceNumber, 148, TL_T_INT)                                                          \
    X(ProtocolVersion, 1001, TL_T_INT)                                                             \
    X(ApplicationPassword, 1002, TL_T_STR)                                                         \
    X(AddressInfo, 1003, TL_T_KV)                                                                  \
    X(ServerInfo, 1004, TL_T_KV)

typedef enum {
#define TL_ATTR_ENUM(name, num, type) TL_A_##name = num,
    TL_ATTRS(TL_ATTR_ENUM)
#undef TL_ATTR_ENUM
} tl_attr_id;

typedef enum { TL_REQUEST = 1, TL_EVENT = 2 } tl_kind;

/*
 * Messages: X(Name, number, kind, reply, mandatory attributes). "reply" is the event
 * that completes a request besides EventACK/EventError (None for events). Mandatory
 * attributes are listed as a brace list ending with 0. Every request additionally
 * requires ReferenceID; every event sent by the server carries EventSequenceNumber
 * and TimeStamp (added by the server, not listed here).
 */
#define TL_M0                                                                                      \
    {                                                                                              \
        0                                                                                          \
    }
#define TL_M(...)                                                                                  \
    {                                                                                              \
        __VA_ARGS__, 0                                                                             \
    }
#define TL_MESSAGES(X)                                                                             \
    X(RequestRegisterClient, 0, TL_REQUEST, EventServerConnected, TL_M(TL_A_ApplicationName))      \
    X(RequestQueryServer, 1, TL_REQUEST, EventServerInfo, TL_M0)                                   \
    X(RequestQueryAddress, 2, TL_REQUEST, EventAddressInfo, TL_M(TL_A_ThisDN))                     \
    X(RequestRegisterAddress, 3, TL_REQUEST, EventRegistered, TL_M(TL_A_ThisDN))                   \
    X(RequestUnregisterAddress, 4, TL_REQUEST, EventUnregistered, TL_M(TL_A_ThisDN))               \
    X(RequestRegisterAll, 5, TL_REQUEST, EventRegisteredAll, TL_M0)                                \
    X(RequestUnregisterAll, 6, TL_REQUEST, EventUnregisteredAll, TL_M0)                            \
    X(RequestSetInputMask, 7, TL_REQUEST, EventACK, TL_M(TL_A_InputMask))                          \
    X(RequestAgentLogin, 8, TL_REQUEST, EventAgentLogin, TL_M(TL_A_ThisDN))                        \
    X(RequestAgentLogout, 9, TL_REQUEST, EventAgentLogout, TL_M(TL_A_ThisDN))                      \
    X(RequestAgentReady, 10, TL_REQUEST, EventAgentReady, TL_M(TL_A_ThisDN))                       \
    X(RequestAgentNotReady, 11, TL_REQUEST, EventAgentNotReady, TL_M(TL_A_ThisDN))                 \
    X(RequestSetDNDOn, 12, TL_REQUEST, EventDNDOn, TL_M(TL_A_ThisDN))                              \
    X(RequestSetDNDOff, 13, TL_REQUEST, EventDNDOff, TL_M(TL_A_ThisDN))                            \
    X(RequestMakeCall, 14, TL_REQUEST, EventDialing, TL_M(TL_A_ThisDN, TL_A_OtherDN))              \
    X(RequestMakePredictiveCall, 15, TL_REQUEST, EventDialing, TL_M(TL_A_ThisDN, TL_A_OtherDN))    \
    X(RequestAnswerCall, 16, TL_REQUEST, EventEstablished, TL_M(TL_A_ThisDN, TL_A_ConnID))         \
    X(RequestReleaseCall, 17, TL_REQUEST, EventReleased, TL_M(TL_A_ThisDN, TL_A_ConnID))           \
    X(RequestHoldCall, 18, TL_REQUEST, EventHeld, TL_M(TL_A_ThisDN, TL_A_ConnID))                  \
    X(RequestRetrieveCall, 19, TL_REQUEST, EventRetrieved, TL_M(TL_A_ThisDN, TL_A_ConnID))         \
    X(RequestInitiateConference, 20, TL_REQUEST, EventDialing,                                     \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestCompleteConference, 21, TL_REQUEST, EventPartyAdded,                                  \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_TransferConnID))                                         \
    X(RequestDeleteFromConference, 22, TL_REQUEST, EventPartyDeleted,                              \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestInitiateTransfer, 23, TL_REQUEST, EventDialing,                                       \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestMuteTransfer, 24, TL_REQUEST, EventReleased,                                          \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestSingleStepTransfer, 25, TL_REQUEST, EventReleased,                                    \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestCompleteTransfer, 26, TL_REQUEST, EventReleased,                                      \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_TransferConnID))                                         \
    X(RequestMergeCalls, 27, TL_REQUEST, EventReleased,                                            \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_TransferConnID))                                         \
    X(RequestAlternateCall, 28, TL_REQUEST, EventRetrieved,                                        \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_TransferConnID))                                         \
    X(RequestReconnectCall, 29, TL_REQUEST, EventRetrieved,                                        \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_TransferConnID))                                         \
    X(RequestAttachUserData, 30, TL_REQUEST, EventAttachedDataChanged,                             \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_UserData))                                               \
    X(RequestUpdateUserData, 31, TL_REQUEST, EventAttachedDataChanged,                             \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_UserData))                                               \
    X(RequestDeleteUserData, 32, TL_REQUEST, EventAttachedDataChanged,                             \
      TL_M(TL_A_ThisDN, TL_A_ConnID))                                                              \
    X(RequestDeletePair, 33, TL_REQUEST, EventAttachedDataChanged,                                 \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_UserData))                                               \
    X(RequestCallForwardSet, 34, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN))                          \
    X(RequestCallForwardCancel, 35, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN))                       \
    X(RequestRouteCall, 36, TL_REQUEST, EventRouteUsed,                                            \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestDistributeUserEvent, 48, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN, TL_A_UserData))      \
    X(RequestSendEvent, 49, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN, TL_A_UserData))                \
    X(EventServerConnected, 50, TL_EVENT, None, TL_M0)                                             \
    X(EventServerDisconnected, 51, TL_EVENT, None, TL_M0)                                          \
    X(EventError, 52, TL_EVENT, None, TL_M(TL_A_ErrorCode))                                        \
    X(EventRegistered, 53, TL_EVENT, None, TL_M(TL_A_ThisDN))                                      \
    X(EventUnregistered, 54, TL_EVENT, None, TL_M(TL_A_ThisDN))                                    \
    X(EventRegisteredAll, 55, TL_EVENT, None, TL_M0)                                               \
    X(EventUnregisteredAll, 56, TL_EVENT, None, TL_M0)                                             \
    X(EventQueued, 57, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                             \
    X(EventDiverted, 58, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                           \
    X(EventAbandoned, 59, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                          \
    X(EventRinging, 60, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                            \
    X(EventDialing, 61, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                            \
    X(EventNetworkReached, 62, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                     \
    X(EventDestinationBusy, 63, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                    \
    X(EventEstablished, 64, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                        \
    X(EventReleased, 65, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                           \
    X(EventHeld, 66, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                               \
    X(EventRetrieved, 67, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                          \
    X(EventPartyChanged, 68, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                       \
    X(EventPartyAdded, 69, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                         \
    X(EventPartyDeleted, 70, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                       \
    X(EventRouteRequest, 71, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                       \
    X(EventRouteUsed, 72, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                          \
    X(EventAgentLogin, 73, TL_EVENT, None, TL_M(TL_A_ThisDN))                                      \
    X(EventAgentLogout, 74, TL_EVENT, None, TL_M(TL_A_ThisDN))                                     \
    X(EventAgentReady, 75, TL_EVENT, None, TL_M(TL_A_ThisDN))                                      \
    X(EventAgentNotReady, 76, TL_EVENT, None, TL_M(TL_A_ThisDN))                                   \
    X(EventDNDOn, 77, TL_EVENT, None, TL_M(TL_A_ThisDN))                                           \
    X(EventDNDOff, 78, TL_EVENT, None, TL_M(TL_A_ThisDN))                                          \
    X(EventAttachedDataChanged, 85, TL_EVENT, None, TL_M(TL_A_ThisDN, TL_A_ConnID))                \
    X(EventOffHook, 86, TL_EVENT, None, TL_M(TL_A_ThisDN))                                         \
    X(EventOnHook, 87, TL_EVENT, None, TL_M(TL_A_ThisDN))                                          \
    X(EventAddressInfo, 92, TL_EVENT, None, TL_M(TL_A_ThisDN))                                     \
    X(EventServerInfo, 93, TL_EVENT, None, TL_M0)                                                  \
    X(EventLinkDisconnected, 94, TL_EVENT, None, TL_M0)                                            \
    X(EventLinkConnected, 95, TL_EVENT, None, TL_M0)                                               \
    X(EventUserEvent, 96, TL_EVENT, None, TL_M(TL_A_ThisDN))                                       \
    X(RequestSendDTMF, 97, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN, TL_A_ConnID))                   \
    X(RequestRedirectCall, 103, TL_REQUEST, EventReleased,                                         \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(RequestQueryCall, 108, TL_REQUEST, EventPartyInfo, TL_M(TL_A_ThisDN, TL_A_ConnID))           \
    X(EventPartyInfo, 109, TL_EVENT, None, TL_M(TL_A_ConnID))                                      \
    X(RequestClearCall, 110, TL_REQUEST, EventReleased, TL_M(TL_A_ThisDN, TL_A_ConnID))            \
    X(EventAgentAfterCallWork, 118, TL_EVENT, None, TL_M(TL_A_ThisDN))                             \
    X(RequestSingleStepConference, 120, TL_REQUEST, EventPartyAdded,                               \
      TL_M(TL_A_ThisDN, TL_A_ConnID, TL_A_OtherDN))                                                \
    X(EventACK, 138, TL_EVENT, None, TL_M0)                                                        \
    X(RequestMonitorNextCall, 139, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN))                        \
    X(RequestCancelMonitoring, 140, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN))                       \
    X(RequestSetMuteOn, 143, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN, TL_A_ConnID))                 \
    X(RequestSetMuteOff, 144, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN, TL_A_ConnID))                \
    X(EventDNOutOfService, 147, TL_EVENT, None, TL_M(TL_A_ThisDN))                                 \
    X(EventDNBackInService, 148, TL_EVENT, None, TL_M(TL_A_ThisDN))                                \
    X(RequestPrivateService, 149, TL_REQUEST, EventACK, TL_M(TL_A_ThisDN, TL_A_PrivateMsgID))      \
    X(EventPrivateInfo, 150, TL_EVENT, None, TL_M(TL_A_PrivateMsgID))                              \
    X(EventBridged, 151, TL_EVENT, None, TL_M(TL_A_ConnID))                                        \
    X(EventCallCreated, 160, TL_EVENT, None, TL_M(TL_A_ConnID))                                    \
    X(EventCallDataChanged, 161, TL_EVENT, None, TL_M(TL_A_ConnID))                                \
    X(EventCallDeleted, 162, TL_EVENT, None, TL_M(TL_A_ConnID))                                    \
    X(EventCallPartyAdded, 163, TL_EVENT, None, TL_M(TL_A_ConnID))                                 \
    X(EventCallPartyState, 164, TL_EVENT, None, TL_M(TL_A_ConnID))                                 \
    X(EventCallPartyMoved, 165, TL_EVENT, None, TL_M(TL_A_ConnID))                                 \
    X(EventCallPartyDeleted, 166, TL_EVENT, None, TL_M(TL_A_ConnID))                               \
    X(RequestStartCallMonitoring, 167, TL_REQUEST, EventACK, TL_M(TL_A_ConnID))                    \
    X(RequestStopCallMonitoring, 168, TL_REQUEST, EventACK, TL_M(TL_A_ConnID))

typedef enum {
#define TL_MSG_ENUM(name, num, kind, reply, mand) TL_M_##name = num,
    TL_MESSAGES(TL_MSG_ENUM)
#undef TL_MSG_ENUM
        TL_M_None = 0xffff, /* "no reply" marker in the table's reply column */
} tl_msg_type;

/* Largest message / attribute number used, for lookup arrays. */
#define TL_MSG_MAX  168
#define TL_ATTR_MAX 1004
#define TL_MAND_MAX 4

typedef struct {
    const char *name; /* "RequestRegisterAddress" */
    uint16_t num;
    tl_kind kind;
    uint16_t reply;                      /* event completing a request; TL_M_None for events */
    uint16_t mandatory[TL_MAND_MAX + 1]; /* attribute ids, 0-terminated */
} tl_msg_info;

typedef struct {
    const char *name; /* "ThisDN", as in JSON and docs */
    uint16_t num;
    tl_type type;
} tl_attr_info;

/* Lookups: NULL when the number or name is not in the table. */
const tl_msg_info *tl_msg_info_get(unsigned num);
const tl_msg_info *tl_msg_info_by_name(const char *name);
const tl_attr_info *tl_attr_info_get(unsigned num);
const tl_attr_info *tl_attr_info_by_name(const char *name);
const char *tl_type_name(tl_type t);

/* Enumerations from reference/tlib.md. */
typedef enum {
    TL_CALLTYPE_UNKNOWN = 0,
    TL_CALLTYPE_INTERNAL = 1,
    TL_CALLTYPE_INBOUND = 2,
    TL_CALLTYPE_OUTBOUND = 3,
    TL_CALLTYPE_CONSULT = 4,
} tl_call_type;

typedef enum {
    TL_ROLE_UNKNOWN = 0,
    TL_ROLE_ORIGINATION = 1,
    TL_ROLE_DESTINATION = 2,
    TL_ROLE_CONFERENCE_MEMBER = 3,
    TL_ROLE_NEW_PARTY = 4,
    TL_ROLE_ADDED_BY = 5,
    TL_ROLE_DELETED_BY = 6,
    TL_ROLE_TRANSFERRED_BY = 7,
    TL_ROLE_DELETED_PARTY = 8,
    TL_ROLE_CONFERENCED_BY = 9,
    TL_ROLE_OBSERVER = 10,
} tl_dn_role;

typedef enum {
    TL_CS_OK = 0,
    TL_CS_TRANSFERRED = 1,
    TL_CS_CONFERENCED = 2,
    TL_CS_GENERAL_ERROR = 3,
    TL_CS_SYSTEM_ERROR = 4,
    TL_CS_REMOTE_RELEASE = 5,
    TL_CS_BUSY = 6,
    TL_CS_NO_ANSWER = 7,
    TL_CS_REDIRECTED = 22,
    TL_CS_FORWARDED = 23,
    TL_CS_CONSULT = 24,
    TL_CS_HELD = 50,
} tl_call_state;

typedef enum { TL_REG_SHARE = 0, TL_REG_PRIVATE = 1, TL_REG_MONITOR = 2 } tl_register_mode;

/* PrivateMsgID values for recording control (RequestPrivateService / EventPrivateInfo). */
enum {
    TL_GSIP_RECORD_START = 3013,
    TL_GSIP_RECORD_STOP = 3014,
    TL_GSIP_RECORD_PAUSE = 3015,
    TL_GSIP_RECORD_RESUME = 3016,
};

/* Binary protocol versions this build speaks (docs/protocol.md). */
#define TL_PROTO_VERSION_MIN 1
#define TL_PROTO_VERSION_MAX 1

#endif
