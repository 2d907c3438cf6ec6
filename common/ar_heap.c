/* Heap tuning for the media daemons: keep freed memory instead of returning it per call. */
#include "ar_heap.h"

#include <malloc.h>

void ar_heap_tune(void)
{
    /* An explicit trim threshold also freezes the mmap threshold at its default
     * (128 KiB), so the 74 KB SDP structures stay on the heap and are reused. */
    mallopt(M_TRIM_THRESHOLD, AR_HEAP_KEEP_BYTES);
    mallopt(M_TOP_PAD, 1 << 20);
}
