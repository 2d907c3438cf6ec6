/* Append-only on-disk journal of length + CRC32 framed records, with corruption recovery. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ar_log.h"
#include "gw_journal.h"

#define WIN_MIN (256u * 1024)

struct gw_journal {
    char *path;
    int fd;
    uint64_t size; /* bytes in the file */
    uint64_t max;
    uint64_t records;
    bool warned80, warned_full;
    uint64_t bad_bytes;
    uint64_t lost;          /* records whose batched write failed */
    uint64_t reported_upto; /* damaged regions before this offset were already logged */
    /* Read window: a copy of bytes [win_off, win_off + win_len) of the file. */
    uint8_t *win;
    size_t win_cap, win_len;
    uint64_t win_off;
    /* Records appended but not written yet (gw_journal_flush): one write per batch. */
    uint8_t *pend;
    size_t pend_len, pend_cap;
    uint64_t pend_recs;
    /* Background fdatasync. */
    GThread *sync_thread;
    GMutex mu;
    GCond cond;
    bool stop;
    gint dirty;
    int sync_ms;
};

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t gw_crc32(uint32_t crc, const void *p, size_t len)
{
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        crc_init();
        g_once_init_leave(&once, 1);
    }
    const uint8_t *b = p;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void gw_journal_encode_hdr(uint8_t hdr[GW_JOURNAL_REC_HDR], const void *payload, uint32_t len)
{
    put_u32le(hdr, len);
    put_u32le(hdr + 4, gw_crc32(0, payload, len));
}

uint64_t gw_journal_first(void)
{
    return GW_JOURNAL_HDR;
}

/*
 * Make bytes [off, off + need) available; returns how many of them exist (less than
 * need at the end of the file) and points *p at them, or -1 on a read error.
 */
static ssize_t win_get(gw_journal *j, uint64_t off, size_t need, const uint8_t **p)
{
    if (off >= j->size)
        return 0;
    if (need > j->size - off)
        need = (size_t)(j->size - off);
    if (off >= j->win_off && off + need <= j->win_off + j->win_len) {
        *p = j->win + (off - j->win_off);
        return (ssize_t)need;
    }
    size_t want = need > WIN_MIN ? need : WIN_MIN;
    if (want > j->size - off)
        want = (size_t)(j->size - off);
    if (want > j->win_cap) {
        uint8_t *n = realloc(j->win, want);
        if (!n)
            return -1;
        j->win = n;
        j->win_cap = want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(j->fd, j->win + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            j->win_len = 0;
            if (r < 0)
                LOG_ERR(db, "journal %s: read at %llu: %s", j->path,
                        (unsigned long long)(off + got), g_strerror(errno));
            return r < 0 ? -1 : 0;
        }
        got += (size_t)r;
    }
    j->win_off = off;
    j->win_len = got;
    *p = j->win;
    return (ssize_t)(need < got ? need : got);
}

static void report_bad(gw_journal *j, uint64_t from, uint64_t to, const char *why)
{
    if (from < j->reported_upto)
        return;
    j->reported_upto = to;
    j->bad_bytes += to - from;
    LOG_ERR(db, "journal %s: damaged region at offsets %llu-%llu (%llu bytes) skipped: %s", j->path,
            (unsigned long long)from, (unsigned long long)to, (unsigned long long)(to - from), why);
}

int gw_journal_next(gw_journal *j, uint64_t *off, uint8_t **payload, uint32_t *len,
                    uint64_t *rec_off)
{
    if (j->pend_len)
        gw_journal_flush(j); /* what is read back must be in the file */
    int64_t bad_start = -1;
    const char *why = NULL;
    if (*off < GW_JOURNAL_HDR)
        *off = GW_JOURNAL_HDR;
    for (;;) {
        const uint8_t *p = NULL;
        ssize_t avail = win_get(j, *off, GW_JOURNAL_REC_HDR, &p);
        if (avail < 0)
            return -1;
        if (avail < (ssize_t)GW_JOURNAL_REC_HDR) {
            if (avail > 0 && bad_start < 0) {
                bad_start = (int64_t)*off;
                why = "truncated record header at the end";
            }
            if (bad_start >= 0)
                report_bad(j, (uint64_t)bad_start, j->size, why);
            *off = j->size;
            return 0;
        }
        uint32_t l = get_u32le(p), crc = get_u32le(p + 4);
        const char *bad = NULL;
        if (l == 0 || l > GW_JOURNAL_MAX_RECORD)
            bad = "record length out of range";
        else if (l > j->size - *off - GW_JOURNAL_REC_HDR)
            bad = "record runs past the end of the file (truncated)";
        else {
            const uint8_t *pl = NULL;
            ssize_t a = win_get(j, *off + GW_JOURNAL_REC_HDR, l, &pl);
            if (a < 0)
                return -1;
            if ((uint32_t)a != l || gw_crc32(0, pl, l) != crc)
                bad = "CRC mismatch";
            else {
                uint8_t *copy = malloc(l);
                if (!copy)
                    return -1;
                memcpy(copy, pl, l);
                if (bad_start >= 0)
                    report_bad(j, (uint64_t)bad_start, *off, why);
                *payload = copy;
                *len = l;
                *rec_off = *off;
                *off += GW_JOURNAL_REC_HDR + l;
                return 1;
            }
        }
        /* Resynchronise one byte further on: the next offset whose header and CRC
         * agree starts a good record again. */
        if (bad_start < 0) {
            bad_start = (int64_t)*off;
            why = bad;
        }
        *off += 1;
    }
}

static gpointer sync_main(gpointer ud)
{
    gw_journal *j = ud;
    g_mutex_lock(&j->mu);
    while (!j->stop) {
        gint64 until = g_get_monotonic_time() + (gint64)j->sync_ms * 1000;
        g_cond_wait_until(&j->cond, &j->mu, until);
        if (g_atomic_int_compare_and_exchange(&j->dirty, 1, 0)) {
            g_mutex_unlock(&j->mu);
            if (fdatasync(j->fd) != 0)
                LOG_ERR(db, "journal %s: fdatasync: %s", j->path, g_strerror(errno));
            g_mutex_lock(&j->mu);
        }
    }
    g_mutex_unlock(&j->mu);
    return NULL;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A file that is not a journal is kept aside (never deleted) and a new one started. */
static int set_aside(gw_journal *j, const char *why)
{
    char *aside = g_strdup_printf("%s.bad.%lld", j->path, (long long)g_get_real_time());
    LOG_ERR(db, "journal %s: %s; moved to %s, starting an empty journal", j->path, why, aside);
    int rc = rename(j->path, aside);
    g_free(aside);
    if (rc != 0)
        return -1;
    close(j->fd);
    j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    j->size = 0;
    return j->fd < 0 ? -1 : 0;
}

gw_journal *gw_journal_open(const char *path, uint64_t max_bytes, int sync_ms, char **err)
{
    gw_journal *j = calloc(1, sizeof *j);
    struct stat st;
    if (!j) {
        *err = g_strdup("out of memory");
        return NULL;
    }
    j->path = g_strdup(path);
    j->max = max_bytes < 4096 ? 4096 : max_bytes;
    j->sync_ms = sync_ms;
    g_mutex_init(&j->mu);
    g_cond_init(&j->cond);
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (j->fd < 0 || fstat(j->fd, &st) != 0)
        goto syserr;
    j->size = (uint64_t)st.st_size;
    if (j->size > 0) {
        char magic[GW_JOURNAL_HDR];
        if (j->size < GW_JOURNAL_HDR || pread(j->fd, magic, sizeof magic, 0) != sizeof magic ||
            memcmp(magic, GW_JOURNAL_MAGIC, GW_JOURNAL_HDR) != 0) {
            if (set_aside(j, "bad file header (not an arec journal)") != 0)
                goto syserr;
        }
    }
    if (j->size == 0) {
        if (write_all(j->fd, GW_JOURNAL_MAGIC, GW_JOURNAL_HDR) != 0)
            goto syserr;
        j->size = GW_JOURNAL_HDR;
    }
    /* Scan: count good records, log damage, cut a torn tail. */
    uint64_t off = gw_journal_first(), last_end = GW_JOURNAL_HDR, rec_off;
    uint8_t *pl;
    uint32_t l;
    int r;
    while ((r = gw_journal_next(j, &off, &pl, &l, &rec_off)) == 1) {
        free(pl);
        j->records++;
        last_end = off;
    }
    if (r < 0)
        goto syserr;
    if (last_end < j->size) {
        LOG_WARN(db, "journal %s: cutting %llu damaged byte(s) after the last good record at %llu",
                 path, (unsigned long long)(j->size - last_end), (unsigned long long)last_end);
        if (ftruncate(j->fd, (off_t)last_end) != 0)
            goto syserr;
        j->size = last_end;
        j->win_len = 0;
    }
    if (j->records)
        LOG_INFO(db, "journal %s: %llu record(s), %llu bytes to replay", path,
                 (unsigned long long)j->records, (unsigned long long)j->size);
    if (sync_ms > 0) {
        /* The thread must never take a process signal (gatewayd reads them from a
         * signalfd on the loop): it starts with every signal blocked. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        j->sync_thread = g_thread_new("journal-sync", sync_main, j);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return j;
syserr:
    *err = g_strdup_printf("journal %s: %s", path, g_strerror(errno));
    gw_journal_free(&j);
    return NULL;
}

void gw_journal_free(gw_journal **jp)
{
    gw_journal *j = jp ? *jp : NULL;
    if (!j)
        return;
    if (j->fd >= 0)
        gw_journal_flush(j);
    if (j->sync_thread) {
        g_mutex_lock(&j->mu);
        j->stop = true;
        g_cond_signal(&j->cond);
        g_mutex_unlock(&j->mu);
        g_thread_join(j->sync_thread);
    }
    if (j->fd >= 0) {
        if (j->sync_ms > 0 && fdatasync(j->fd) != 0)
            LOG_ERR(db, "journal %s: fdatasync: %s", j->path, g_strerror(errno));
        close(j->fd);
    }
    g_mutex_clear(&j->mu);
    g_cond_clear(&j->cond);
    free(j->win);
    free(j->pend);
    g_free(j->path);
    free(j);
    *jp = NULL;
}

gw_journal_rc gw_journal_append(gw_journal *j, const void *payload, uint32_t len)
{
    uint64_t need = GW_JOURNAL_REC_HDR + (uint64_t)len;
    if (len == 0 || len > GW_JOURNAL_MAX_RECORD || j->size + need > j->max) {
        if (!j->warned_full) {
            j->warned_full = true;
            LOG_ERR(db,
                    "journal %s is full (%llu of %llu bytes): rows are being DROPPED until the "
                    "database catches up (raise journal-max-bytes or fix the database)",
                    j->path, (unsigned long long)j->size, (unsigned long long)j->max);
        }
        return GW_JOURNAL_FULL;
    }
    if (j->pend_len + need > j->pend_cap) {
        size_t cap = j->pend_cap ? j->pend_cap : GW_JOURNAL_FLUSH_BYTES;
        while (cap < j->pend_len + need)
            cap *= 2;
        uint8_t *p = realloc(j->pend, cap);
        if (!p) {
            LOG_ERR(db, "journal %s: out of memory for a record of %u bytes", j->path, len);
            return GW_JOURNAL_IOERR;
        }
        j->pend = p;
        j->pend_cap = cap;
    }
    gw_journal_encode_hdr(j->pend + j->pend_len, payload, len);
    memcpy(j->pend + j->pend_len + GW_JOURNAL_REC_HDR, payload, len);
    j->pend_len += need;
    j->pend_recs++;
    j->size += need;
    j->records++;
    if (!j->warned80 && j->size * 5 >= j->max * 4) {
        j->warned80 = true;
        LOG_WARN(db, "journal %s is 80%% full (%llu of %llu bytes): the database is down or slow",
                 j->path, (unsigned long long)j->size, (unsigned long long)j->max);
    }
    if (j->pend_len >= GW_JOURNAL_FLUSH_BYTES && gw_journal_flush(j) != 0)
        return GW_JOURNAL_IOERR;
    return GW_JOURNAL_OK;
}

int gw_journal_flush(gw_journal *j)
{
    if (!j->pend_len)
        return 0;
    if (write_all(j->fd, j->pend, j->pend_len) != 0) {
        uint64_t on_disk = j->size - j->pend_len;
        LOG_ERR(db, "journal %s: %llu record(s) LOST, the write failed: %s", j->path,
                (unsigned long long)j->pend_recs, g_strerror(errno));
        /* Never leave half a record behind: new records must follow a good one. */
        if (ftruncate(j->fd, (off_t)on_disk) != 0)
            LOG_ERR(db, "journal %s: cannot cut the partial write: %s", j->path, g_strerror(errno));
        j->size = on_disk;
        j->records -= j->pend_recs;
        j->lost += j->pend_recs;
        j->pend_len = 0;
        j->pend_recs = 0;
        return -1;
    }
    j->pend_len = 0;
    j->pend_recs = 0;
    g_atomic_int_set(&j->dirty, 1);
    return 0;
}

uint64_t gw_journal_lost(const gw_journal *j)
{
    return j->lost;
}

uint64_t gw_journal_size(const gw_journal *j)
{
    return j->size;
}

bool gw_journal_empty(const gw_journal *j)
{
    return j->size <= GW_JOURNAL_HDR;
}

int gw_journal_reset(gw_journal *j)
{
    if (ftruncate(j->fd, GW_JOURNAL_HDR) != 0) {
        LOG_ERR(db, "journal %s: truncate: %s", j->path, g_strerror(errno));
        return -1;
    }
    j->pend_len = 0; /* every record, written or not */
    j->pend_recs = 0;
    j->size = GW_JOURNAL_HDR;
    j->records = 0;
    j->win_len = 0;
    j->reported_upto = 0;
    j->warned80 = j->warned_full = false;
    g_atomic_int_set(&j->dirty, 1);
    return 0;
}

uint64_t gw_journal_bad_bytes(const gw_journal *j)
{
    return j->bad_bytes;
}

const char *gw_journal_path(const gw_journal *j)
{
    return j->path;
}
