/* One error table for the whole project: enum, numeric T-Lib ErrorCode and text. */
#ifndef AR_ERR_H
#define AR_ERR_H

/*
 * X(NAME, code, "message"). The numeric code is what EventError carries in
 * AttributeErrorCode; codes are stable once published (docs/protocol.md lists them).
 * Ranges: 1xx framing/decoding, 2xx session/registration, 3xx call model,
 * 4xx recording, 5xx media (SDP, RTP, MSML), 9xx internal.
 */
#define AR_ERRORS(X)                                                                               \
    X(OK, 0, "success")                                                                            \
    X(FRAME_MAGIC, 101, "bad frame magic: not a T-Lib frame")                                      \
    X(FRAME_TOO_LARGE, 102, "frame larger than the maximum frame size")                            \
    X(FRAME_MALFORMED, 103, "frame body does not match its declared length")                       \
    X(FRAME_TIMEOUT, 104, "incomplete frame not completed in time")                                \
    X(UNKNOWN_MESSAGE, 105, "unknown message type")                                                \
    X(UNKNOWN_ATTRIBUTE, 106, "unknown attribute")                                                 \
    X(WRONG_TYPE, 107, "attribute or key has the wrong value type")                                \
    X(MISSING_ATTRIBUTE, 108, "mandatory attribute missing")                                       \
    X(INVALID_VALUE, 109, "invalid attribute value")                                               \
    X(BAD_JSON, 110, "invalid JSON")                                                               \
    X(NOT_A_REQUEST, 111, "message is not a request")                                              \
    X(PROTOCOL_VERSION, 112, "unsupported protocol version")                                       \
    X(DUPLICATE_ATTRIBUTE, 113, "attribute given twice")                                           \
    X(KV_MALFORMED, 114, "malformed key-value list")                                               \
    X(NOT_REGISTERED, 201, "client must send RequestRegisterClient first")                         \
    X(AUTH_FAILED, 202, "application name or password rejected")                                   \
    X(ALREADY_REGISTERED, 203, "client already registered")                                        \
    X(DN_NOT_ALLOWED, 204, "DN not allowed for this application")                                  \
    X(UNKNOWN_DN, 205, "DN not configured")                                                        \
    X(DN_NOT_REGISTERED, 206, "DN not registered by this client")                                  \
    X(UNSUPPORTED_OPERATION, 207, "unsupported operation")                                         \
    X(TOO_MANY_CLIENTS, 208, "too many clients")                                                   \
    X(RESUME_UNKNOWN_SESSION, 220, "resume: unknown or expired desktop session")                   \
    X(RESUME_FUTURE_SEQ, 221, "resume: sequence number not sent yet by this session")              \
    X(RESUME_TOO_OLD, 222, "resume: sequence number older than the replay ring")                   \
    X(NOT_AUTHENTICATED, 223, "desktop request before authentication")                             \
    X(ALREADY_AUTHENTICATED, 224, "connection already authenticated")                              \
    X(TOO_MANY_FROM_SOURCE, 225, "too many connections from this source")                          \
    X(UNKNOWN_CONNID, 301, "no call with this ConnID")                                             \
    X(DN_NOT_ON_CALL, 302, "DN is not a party on this call")                                       \
    X(CALL_NOT_HELD, 303, "call is not held")                                                      \
    X(INVALID_CALL_STATE, 304, "request not valid in the call's current state")                    \
    X(DEST_UNREACHABLE, 305, "destination cannot be reached")                                      \
    X(UNKNOWN_AGENT, 306, "agent login id not configured")                                         \
    X(AGENT_NOT_LOGGED_IN, 307, "no agent logged in on this DN")                                   \
    X(AGENT_LOGGED_IN, 308, "agent or DN already has another login")                               \
    X(USER_DATA_LIMIT, 309, "user data would exceed the per-call limit")                           \
    X(NOT_AGENT_DN, 310, "DN is not an agent's DN (Extension or ACD Position)")                    \
    X(DN_NOT_AVAILABLE, 311, "DN has no registered phone")                                         \
    X(NOT_MONITORING, 312, "no supervisor monitoring to cancel")                                   \
    X(ALREADY_MONITORED, 313, "DN is already monitored by another supervisor")                     \
    X(MONITOR_JOIN_FAILED, 314, "the supervisor could not join the monitored call")                \
    X(ISLINK_MALFORMED, 320, "malformed inter-site (ISLink) header")                               \
    X(UNKNOWN_PRIVATE_MSG, 401, "unknown PrivateMsgID")                                            \
    X(ALREADY_RECORDING, 402, "recording already underway")                                        \
    X(NOT_RECORDING, 403, "call is not recorded")                                                  \
    X(NOT_PAUSED, 404, "recording is not paused")                                                  \
    X(WAV_MALFORMED, 410, "malformed WAV file")                                                    \
    X(WAV_UNSUPPORTED, 411, "unsupported WAV format")                                              \
    X(SIPREC_MALFORMED, 412, "malformed SIPREC body (multipart or rs-metadata)")                   \
    X(SDP_MALFORMED, 501, "malformed SDP")                                                         \
    X(SDP_TOO_LARGE, 502, "SDP body too large")                                                    \
    X(SDP_TOO_MANY_MEDIA, 503, "SDP has more than 16 m= lines")                                    \
    X(SDP_BAD_PORT, 504, "SDP port out of range")                                                  \
    X(SDP_TOO_MANY_FORMATS, 505, "SDP m= line lists too many formats")                             \
    X(SDP_NO_CONNECTION, 506, "SDP media has no connection address")                               \
    X(SDP_NO_AUDIO, 507, "SDP answer accepts no audio stream")                                     \
    X(SDP_NO_CODEC, 508, "SDP answer has none of the offered codecs")                              \
    X(RTP_TRUNCATED, 511, "RTP/RTCP packet truncated")                                             \
    X(RTP_VERSION, 512, "RTP/RTCP version is not 2")                                               \
    X(RTP_BAD_PADDING, 513, "RTP/RTCP padding length invalid")                                     \
    X(RTP_BAD_EXTENSION, 514, "RTP header extension overruns the packet")                          \
    X(RTCP_MALFORMED, 515, "RTCP compound packet malformed")                                       \
    X(MSML_NOT_XML, 521, "MSML body is not well-formed XML")                                       \
    X(MSML_TOO_LARGE, 522, "MSML body too large")                                                  \
    X(MSML_BAD_ROOT, 523, "MSML root element or version invalid")                                  \
    X(MSML_UNKNOWN_OP, 524, "unknown MSML operation")                                              \
    X(MSML_MISSING_ATTR, 525, "MSML element lacks a mandatory attribute")                          \
    X(MSML_UNKNOWN_CONN, 526, "MSML refers to an unknown connection or conference")                \
    X(MSML_TOO_MANY, 527, "MSML has too many operations or parameters")                            \
    X(MEDIA_NO_PORTS, 531, "no free RTP ports")                                                    \
    X(MEDIA_RECORDER_FAILED, 532, "recorder rejected or dropped the session")                      \
    X(CRYPTO_MALFORMED, 541, "malformed SDP a=crypto attribute")                                   \
    X(CRYPTO_UNKNOWN_SUITE, 542, "unknown SRTP crypto suite")                                      \
    X(CRYPTO_BAD_BASE64, 543, "a=crypto key is not valid base64")                                  \
    X(CRYPTO_BAD_KEY_LEN, 544, "a=crypto key||salt has the wrong length")                          \
    X(CRYPTO_MKI_UNSUPPORTED, 545, "a=crypto MKI is not supported")                                \
    X(SRTP_AUTH_FAIL, 546, "SRTP/SRTCP authentication failed")                                     \
    X(SRTP_REPLAY, 547, "SRTP/SRTCP packet replayed")                                              \
    X(SRTP_ERROR, 548, "SRTP/SRTCP processing error")                                              \
    X(SRTP_REFUSED, 549, "peer refused SRTP")                                                      \
    X(AUDIOSRC_TOO_LARGE, 551, "audiosrc larger than the size cap")                                \
    X(AUDIOSRC_FETCH, 552, "audiosrc could not be fetched")                                        \
    X(AUDIOSRC_TIMEOUT, 553, "audiosrc fetch timed out")                                           \
    X(POOL_NO_MEMBER, 561, "no pool member in service with free ports")                            \
    X(POOL_GEO_NOMATCH, 562, "no pool member has the call's geo-location")                         \
    X(NOMEM, 901, "out of memory")                                                                 \
    X(IO, 902, "input/output error")                                                               \
    X(CONFIG, 903, "configuration error")                                                          \
    X(INTERNAL, 904, "internal error")                                                             \
    X(TIMEOUT, 905, "operation timed out")                                                         \
    X(CLOSED, 906, "connection closed by peer")

typedef enum {
#define AR_ERR_ENUM(name, code, msg) AR_E_##name = code,
    AR_ERRORS(AR_ERR_ENUM)
#undef AR_ERR_ENUM
} ar_err;

/* Text for an error code; "unknown error" for a code not in the table. */
const char *ar_strerror(int code);
/* Symbolic name ("FRAME_TOO_LARGE") for an error code, or NULL. */
const char *ar_errname(int code);

#endif
