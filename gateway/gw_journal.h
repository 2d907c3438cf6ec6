/* Append-only on-disk journal of length + CRC32 framed records, with corruption recovery. */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * File: an 8-byte header "ARECJNL1", then records. Record: u32 little-endian payload
 * length, u32 little-endian CRC-32 (IEEE, as zlib) of the payload, the payload.
 * Offsets below are file offsets of a record's first byte.
 */
#define GW_JOURNAL_MAGIC      "ARECJNL1"
#define GW_JOURNAL_HDR        8u
#define GW_JOURNAL_REC_HDR    8u
#define GW_JOURNAL_MAX_RECORD (8u * 1024 * 1024)

typedef struct gw_journal gw_journal;

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32()); crc = 0 to start. */
uint32_t gw_crc32(uint32_t crc, const void *p, size_t len);

/* Encode one record (header + payload) into out[GW_JOURNAL_REC_HDR + len]. */
void gw_journal_encode_hdr(uint8_t hdr[GW_JOURNAL_REC_HDR], const void *payload, uint32_t len);

/*
 * Open (create) the journal at path, bounded to max_bytes. An existing file is
 * scanned: damaged regions are logged with their offsets, a torn tail (a record cut
 * short by a crash) is truncated away so new records follow the last good one.
 * sync_ms > 0 starts a thread that fdatasync()s appended data every sync_ms
 * milliseconds; 0 = never sync (tests). Returns NULL with *err set (g_free it).
 */
gw_journal *gw_journal_open(const char *path, uint64_t max_bytes, int sync_ms, char **err);
/* Flushes (fdatasync) and closes. */
void gw_journal_free(gw_journal **j);

typedef enum {
    GW_JOURNAL_OK = 0,
    GW_JOURNAL_FULL,  /* would exceed max_bytes: record refused */
    GW_JOURNAL_IOERR, /* write failed (logged) */
} gw_journal_rc;

/*
 * Append one record. Logs once when the journal crosses 80 % of its bound and once when
 * full. The record is written with the others of its batch: by gw_journal_flush(), by
 * the append that fills GW_JOURNAL_FLUSH_BYTES, before any read (gw_journal_next) and at
 * gw_journal_free(). gatewayd flushes before each main-loop poll (gw_db.c), so a record
 * waits in memory for the rest of one loop iteration at most, and rows journaled in one
 * iteration cost one write(2) instead of one each.
 */
#define GW_JOURNAL_FLUSH_BYTES (64u * 1024)
gw_journal_rc gw_journal_append(gw_journal *j, const void *payload, uint32_t len);
/* Writes the pending records: 0, or -1 when the write failed (logged; they are lost). */
int gw_journal_flush(gw_journal *j);
/* Records lost to failed batch writes so far. */
uint64_t gw_journal_lost(const gw_journal *j);

/*
 * Read the next good record at or after *off (first call: gw_journal_first()).
 * Returns 1 with *payload (malloc'ed, caller frees), *len and *rec_off (the offset
 * the record starts at) set and *off advanced past it; 0 at the end; -1 on a read
 * error. Damaged bytes are skipped and reported once each (log with offsets).
 */
int gw_journal_next(gw_journal *j, uint64_t *off, uint8_t **payload, uint32_t *len,
                    uint64_t *rec_off);
uint64_t gw_journal_first(void);
/* Bytes in the file (header included, pending records counted) and number of good records
 * appended or found. */
uint64_t gw_journal_size(const gw_journal *j);
bool gw_journal_empty(const gw_journal *j);
/* Drop every record (after a full replay). */
int gw_journal_reset(gw_journal *j);
/* Bytes skipped as damaged so far (scan + reads). */
uint64_t gw_journal_bad_bytes(const gw_journal *j);
const char *gw_journal_path(const gw_journal *j);

#endif
