/* Heap tuning for the media daemons: keep freed memory instead of returning it per call. */
#ifndef AR_HEAP_H
#define AR_HEAP_H

/*
 * Sets glibc's trim threshold and top pad so that the per-call allocations of a
 * media daemon (an ar_sdp is about 74 KB, several per call) stop moving the heap top
 * up and down with brk(2) and faulting its pages in again on every call. At most
 * AR_HEAP_KEEP_BYTES of free memory stays with the process. Call it first in main().
 */
#define AR_HEAP_KEEP_BYTES (8 << 20)
void ar_heap_tune(void);

#endif
