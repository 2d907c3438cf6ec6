/* Public API of the T-Lib client library: connect, register, send requests, receive events. */
#ifndef TLCLIENT_H
#define TLCLIENT_H

/*
 * A tlc is one TCP connection to gatewayd speaking the binary T-Lib codec.
 *
 * Two ways to use it:
 *  - blocking: tlc_connect(), tlc_register(), tlc_send(), tlc_recv(timeout);
 *  - own event loop: watch tlc_fd() for input (and for output while
 *    tlc_want_write() is true), call tlc_feed() when readable, then tlc_next()
 *    until it returns 0, and tlc_flush() when writable; tlc_queue() never blocks.
 *
 * Functions return 0 or an ar_err code (ar_err.h): AR_E_TIMEOUT when a deadline
 * passed, AR_E_CLOSED when the server closed the connection, AR_E_IO for socket
 * errors, decoding errors (AR_E_FRAME_*) when the server sent something unreadable.
 * Messages use the model of tl_msg.h (re-exported here, KV list helpers included).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar_err.h"
#include "tl_msg.h"

#define TLC_PROTOCOL_VERSION 1

typedef struct tlc tlc;

/* Connect to "HOST:PORT" (IPv4/IPv6 literal or name) within timeout_ms (-1: none). */
int tlc_connect(const char *hostport, int timeout_ms, tlc **out);

/* Close the connection and free everything; sets *c to NULL. */
void tlc_free(tlc **c);

/*
 * Send RequestRegisterClient and wait for its answer. On success the server's
 * EventServerConnected is returned in *reply (if reply is not NULL) and the
 * following EventLinkConnected is left for tlc_recv(). On EventError the code it
 * carries is returned and *reply holds the EventError.
 */
int tlc_register(tlc *c, const char *app, const char *password, unsigned version, int timeout_ms,
                 tl_msg **reply);

/*
 * Queue m for sending and write as much as the socket takes without blocking.
 * A request without ReferenceID gets the next free one (set on m). *ref receives
 * the ReferenceID (or -1 for a message that has none); ref may be NULL.
 */
int tlc_queue(tlc *c, tl_msg *m, int64_t *ref);

/* Like tlc_queue, then block until everything queued is written (or timeout_ms). */
int tlc_send(tlc *c, tl_msg *m, int timeout_ms, int64_t *ref);

/* Send raw bytes as they are (tests use it to send malformed frames). */
int tlc_send_raw(tlc *c, const void *p, size_t len, int timeout_ms);

/*
 * Return the next message from the server in *out (caller frees), waiting up to
 * timeout_ms (0: only what is already buffered or readable now, -1: forever).
 */
int tlc_recv(tlc *c, int timeout_ms, tl_msg **out);

/*
 * Receive until a message answering reference id `ref` arrives (ReferenceID equal);
 * other messages go to on_other (may be NULL: dropped). Returns like tlc_recv.
 */
int tlc_recv_reply(tlc *c, int64_t ref, int timeout_ms, tl_msg **out,
                   void (*on_other)(tl_msg *m, void *arg), void *arg);

/* Event-loop interface. */
int tlc_fd(const tlc *c);
/* Read what the socket has without blocking; AR_E_CLOSED at end of stream. */
int tlc_feed(tlc *c);
/* Hand bytes read elsewhere to the decoder (for callers doing their own reads). */
int tlc_feed_bytes(tlc *c, const void *p, size_t len);
/* Decode one buffered message: 1 and *out set, 0 when a frame is still partial, or
 * minus an ar_err code when the stream is unreadable (the connection is lost). */
int tlc_next(tlc *c, tl_msg **out);
/* Write queued bytes without blocking. */
int tlc_flush(tlc *c);
bool tlc_want_write(const tlc *c);

/* Largest frame accepted from the server (default TL_FRAME_DEFAULT_MAX). */
void tlc_set_max_frame(tlc *c, size_t max);
/* Protocol version used to encode frames (default TLC_PROTOCOL_VERSION). */
void tlc_set_version(tlc *c, unsigned version);

/* Details of the last decoding failure, for messages to the user. */
const char *tlc_last_error(const tlc *c);

/* Parse "HOST:PORT" or "[V6]:PORT" into host (NUL-terminated) and port text. */
int tlc_split_hostport(const char *hostport, char *host, size_t hostsz, char *port, size_t portsz);

#endif
