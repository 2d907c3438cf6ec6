/* Memory figures of a running mediad: its own per-call state against the whole heap. */
#ifndef MD_MEMSTAT_H
#define MD_MEMSTAT_H

#include "md_sip.h"

/* Write one line of key=value figures to path (temp + rename), seq counting the writes:
 * calls legs recs streams own_bytes (mediad's per-call structs, sizeof sums plus their
 * heap strings) heap_inuse heap_free mmap_bytes (mallinfo2) rss_kb (/proc).
 * AR_E_OK or AR_E_IO. Control thread only (walks ctx->calls). */
int md_memstat_write(md_ctx *ctx, const char *path, unsigned seq);

#endif
