/* RTP data path: an epoll worker thread relaying and replicating RTP with batched I/O. */
#ifndef MD_RTP_ENGINE_H
#define MD_RTP_ENGINE_H

#include <netinet/in.h>
#include <stdint.h>

/*
 * Threading contract. The control thread (GLib loop) owns every decision; the worker
 * owns every stream's data-path state. The control side changes a stream only by
 * posting a command (mutex-protected queue + eventfd); the worker applies commands
 * in order between batches. Counters are atomics the control side may read at any
 * time while the stream exists. Streams live in a pool allocated at md_engine_new:
 * no allocation happens on the packet path.
 */
typedef struct md_engine md_engine;
typedef struct md_stream md_stream;

#include "md_mixer.h" /* md_mixer, md_mix_cfg (conference mixer) */

#define MD_MAX_SINKS 4

typedef struct {
    uint64_t rx_packets;      /* valid RTP accepted from the latched source */
    uint64_t rx_bytes;        /* their payload bytes */
    uint64_t rx_lost;         /* RFC 3550 cumulative loss of the current source */
    uint64_t jitter_us;       /* interarrival jitter, microseconds */
    uint64_t dropped_foreign; /* RTP/RTCP from a source other than the latched one */
    uint64_t malformed;       /* packets failing RTP/RTCP validation */
    uint64_t rtcp_rx;         /* valid RTCP packets received */
    uint64_t tx_packets;      /* RTP sent out of this stream's socket */
    uint64_t tx_bytes;
    uint64_t tx_errors; /* sendmmsg failures */
    /* SRTP/SRTCP failures: received packets failing authentication (wrong key,
     * truncated tag) or replayed, and anything else (on receive or send). */
    uint64_t srtp_auth_fail, srtp_replay, srtp_error;
    /* Wall clock (CLOCK_REALTIME, us) of the first and latest RTP sent; 0 = none yet. */
    uint64_t tx_first_us, tx_last_us;
} md_stream_stats;

md_engine *md_engine_new(unsigned max_streams);
/* Start the worker thread; AR_E_OK or AR_E_INTERNAL. */
int md_engine_start(md_engine *e);
/* Stop the worker, close every stream's sockets, free everything. */
void md_engine_free(md_engine **pe);

/*
 * Take ownership of a bound socket pair and register it with the worker. clock is
 * the RTP clock rate used for timestamp continuity (8000 audio, 90000 video). latch:
 * the first packet's source address becomes the send destination and the only
 * accepted source (symmetric RTP, party legs); 0: packets are sent to the address set
 * by md_stream_set_remote only and anything received is counted and dropped
 * (recorder legs). NULL when the pool is full.
 */
md_stream *md_stream_new(md_engine *e, int rtp_fd, int rtcp_fd, uint16_t port, uint32_t clock,
                         int latch);
uint16_t md_stream_port(const md_stream *s);
/* Destination from SDP (rtcp may be NULL: port + 1). relatch forgets the latched
 * source (a party re-INVITE moved its media). A port of 0 stops sending. */
void md_stream_set_remote(md_stream *s, const struct sockaddr_in *rtp,
                          const struct sockaddr_in *rtcp, int relatch);
/* Replace the set of streams that receive copies of this stream's RTP; rtcp[i]
 * says whether RTCP is passed to sinks[i] too (bridge: yes; recorders: no). */
void md_stream_set_sinks(md_stream *s, md_stream *const *sinks, const int *rtcp, int n);
/* Enable/disable sending out of this stream (pause). Enabling resynchronises the
 * outgoing sequence/timestamp so the output stays continuous. */
void md_stream_set_sending(md_stream *s, int on);
/* Unregister: the worker closes the sockets and returns the slot. *ps is NULLed; the
 * caller must already have removed the stream from every sink list. */
void md_stream_release(md_stream **ps);
/* Bytes one stream takes in the engine's pool (for the memory figures, --stats-file). */
size_t md_stream_size(void);
/* Compliance tone (md_tone.h): mix pcm (n samples, then silence samples, repeating on
 * the stream's RTP clock) into this stream's RTP for the sinks that want it; pcm NULL
 * stops it. Every call restarts the tone. pcm must outlive the stream's use of it. */
void md_stream_set_tone(md_stream *s, const int16_t *pcm, uint32_t n, uint32_t silence);
/* Whether this stream, as a sink, sends the toned copy (default: party streams yes,
 * recorder streams no). */
void md_stream_set_want_tone(md_stream *s, int on);
/* Local WAV (md_localwav.h): feed this stream's RTP payload to channel ch of lw (the
 * tone-mixed copy when with_tone); lw NULL detaches. _on(0) stops feeding (pause). */
struct md_localwav;
void md_stream_set_localwav(md_stream *s, struct md_localwav *lw, int ch, int with_tone);
void md_stream_set_localwav_on(md_stream *s, int on);
/* Conference mixer (md_mixer.h), posted through any stream of the engine: install or
 * reconfigure m (the worker adopts it), or remove it (the worker frees it). */
void md_engine_mixer_set(md_stream *via, md_mixer *m, const md_mix_cfg *cfg);
void md_engine_mixer_del(md_stream *via, md_mixer *m);
void md_stream_get_stats(const md_stream *s, md_stream_stats *out);
/* SRTP (md_srtp.h): mask bit 1 replaces the inbound context (decrypts what this
 * stream receives) with in, bit 2 the outbound one (encrypts what it sends) with out;
 * NULL means clear. The engine takes ownership and frees replaced contexts. */
struct ar_srtp;
void md_stream_set_srtp(md_stream *s, struct ar_srtp *in, struct ar_srtp *out, int mask);

#endif
