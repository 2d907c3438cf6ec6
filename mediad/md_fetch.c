/* audiosrc loader: one fetch thread so a slow URI never blocks the SIP loop or the RTP worker. */
#include "md_fetch.h"

#include "ar_err.h"
#include "ar_g711.h"
#include "ar_log.h"
#include "ar_wav.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct waiter {
    md_fetch_cb cb;
    void *ud;
    void (*ud_free)(void *);
    struct waiter *next;
} waiter;

/* Cache entry (main thread only). */
typedef struct {
    char *uri;
    int loading;
    int16_t *pcm;
    uint32_t n;
    waiter *waiters;
} entry;

/* A job travels main -> fetch thread -> main. */
typedef struct job {
    struct job *next;
    md_fetch *f;
    char *uri;
    int16_t *pcm;
    uint32_t n;
    int err;
    char why[160];
} job;

/* A FIFO of jobs under a pthread mutex (visible to ThreadSanitizer, unlike GLib's). */
typedef struct {
    job *head, *tail;
} jobq;

struct md_fetch {
    size_t max_bytes;
    unsigned timeout_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    jobq q;    /* jobs to fetch */
    jobq done; /* fetched, for the main thread (freed at md_fetch_free if never run) */
    int stopping;
    pthread_t thread;
    int started;
    atomic_int stop;
    GHashTable *cache; /* uri -> entry* */
};

static void jq_push(jobq *q, job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static job *jq_pop(jobq *q)
{
    job *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
    }
    return j;
}

static void job_free(job *j)
{
    free(j->pcm);
    free(j->uri);
    free(j);
}

int md_fetch_wav_to_pcm(const uint8_t *buf, size_t len, int16_t **pcm, uint32_t *n,
                        const char **why)
{
    ar_wav_info wi;
    *pcm = NULL;
    *n = 0;
    int rc = ar_wav_parse(buf, len, &wi, why);
    if (rc != AR_E_OK)
        return rc;
    if (wi.rate != 8000 || wi.channels != 1 ||
        !(wi.format == 6 || wi.format == 7 || (wi.format == 1 && wi.bits == 16))) {
        if (why)
            *why = "need 8000 Hz mono G.711 or 16-bit PCM";
        return AR_E_WAV_UNSUPPORTED;
    }
    if (wi.frames == 0 || wi.frames > UINT32_MAX / 2) {
        if (why)
            *why = "no samples";
        return AR_E_WAV_MALFORMED;
    }
    int16_t *out = malloc((size_t)wi.frames * sizeof(int16_t));
    if (!out)
        return AR_E_NOMEM;
    for (uint64_t i = 0; i < wi.frames; i++)
        out[i] = ar_wav_sample(buf, &wi, i, 0);
    *pcm = out;
    *n = (uint32_t)wi.frames;
    return AR_E_OK;
}

/* ---- fetch thread ---- */

typedef struct {
    md_fetch *f;
    uint8_t *buf;
    size_t len, cap;
    int too_big;
} dl;

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
    dl *d = ud;
    size_t n = sz * nm;
    if (d->len + n > d->f->max_bytes) {
        d->too_big = 1; /* no Content-Length, or a server that lied: stop reading */
        return 0;
    }
    if (d->len + n > d->cap) {
        size_t nc = d->cap ? d->cap : 65536;
        while (nc < d->len + n)
            nc *= 2;
        uint8_t *nb = realloc(d->buf, nc);
        if (!nb)
            return 0;
        d->buf = nb;
        d->cap = nc;
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    return n;
}

static int on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
    (void)dlt;
    (void)dln;
    (void)ult;
    (void)uln;
    dl *d = ud;
    return atomic_load(&d->f->stop) ? 1 : 0;
}

static int fetch_http(md_fetch *f, job *j, uint8_t **buf, size_t *len)
{
    dl d = {.f = f};
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(j->why, sizeof(j->why), "libcurl init failed");
        return AR_E_INTERNAL;
    }
    curl_easy_setopt(c, CURLOPT_URL, j->uri);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
    /* Refused before the body when Content-Length says so; on_data enforces it too. */
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK) {
        *buf = d.buf;
        *len = d.len;
        return AR_E_OK;
    }
    free(d.buf);
    if (d.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(j->why, sizeof(j->why), "larger than %zu bytes", f->max_bytes);
        return AR_E_AUDIOSRC_TOO_LARGE;
    }
    snprintf(j->why, sizeof(j->why), "%s", curl_easy_strerror(rc));
    return rc == CURLE_OPERATION_TIMEDOUT ? AR_E_AUDIOSRC_TIMEOUT : AR_E_AUDIOSRC_FETCH;
}

static int fetch_file(md_fetch *f, job *j, const char *path, uint8_t **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(j->why, sizeof(j->why), "%s", strerror(errno));
        return AR_E_IO;
    }
    struct stat st;
    int rc = AR_E_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(j->why, sizeof(j->why), "not a regular file");
        rc = AR_E_IO;
    } else if ((uint64_t)st.st_size > f->max_bytes) {
        snprintf(j->why, sizeof(j->why), "larger than %zu bytes", f->max_bytes);
        rc = AR_E_AUDIOSRC_TOO_LARGE;
    } else {
        *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
        ssize_t got = *buf ? read(fd, *buf, (size_t)st.st_size) : -1;
        if (got != (ssize_t)st.st_size) {
            snprintf(j->why, sizeof(j->why), "short read");
            free(*buf);
            *buf = NULL;
            rc = AR_E_IO;
        } else {
            *len = (size_t)got;
        }
    }
    close(fd);
    return rc;
}

static gboolean deliver_all(gpointer p);

static void *fetch_main(void *p)
{
    md_fetch *f = p;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        while (!f->stopping && !f->q.head)
            pthread_cond_wait(&f->cond, &f->lock);
        job *j = f->stopping ? NULL : jq_pop(&f->q);
        pthread_mutex_unlock(&f->lock);
        if (!j)
            break;
        uint8_t *buf = NULL;
        size_t len = 0;
        if (!strncmp(j->uri, "http://", 7) || !strncmp(j->uri, "https://", 8))
            j->err = fetch_http(f, j, &buf, &len);
        else if (!strncmp(j->uri, "file://", 7))
            j->err = fetch_file(f, j, j->uri + 7, &buf, &len);
        else if (j->uri[0] == '/')
            j->err = fetch_file(f, j, j->uri, &buf, &len);
        else {
            snprintf(j->why, sizeof(j->why), "unsupported URI scheme");
            j->err = AR_E_INVALID_VALUE;
        }
        if (j->err == AR_E_OK) {
            const char *why = NULL;
            j->err = md_fetch_wav_to_pcm(buf, len, &j->pcm, &j->n, &why);
            if (j->err != AR_E_OK)
                snprintf(j->why, sizeof(j->why), "not a usable WAV: %s", why ? why : "?");
        }
        free(buf);
        pthread_mutex_lock(&f->lock);
        jq_push(&f->done, j);
        pthread_mutex_unlock(&f->lock);
        g_idle_add(deliver_all, f); /* always on the main loop, never in this thread */
    }
    return NULL;
}

/* ---- main thread ---- */

static void entry_free(gpointer p)
{
    entry *e = p;
    while (e->waiters) {
        waiter *w = e->waiters;
        e->waiters = w->next;
        if (w->ud_free)
            w->ud_free(w->ud);
        free(w);
    }
    free(e->pcm);
    free(e->uri);
    free(e);
}

static void run_waiters(entry *e, int err, const char *why)
{
    waiter *w = e->waiters;
    e->waiters = NULL;
    while (w) {
        waiter *next = w->next;
        w->cb(w->ud, e->uri, e->pcm, e->n, err, why);
        if (w->ud_free)
            w->ud_free(w->ud);
        free(w);
        w = next;
    }
}

static void deliver(md_fetch *f, job *j)
{
    entry *e = g_hash_table_lookup(f->cache, j->uri);
    if (e) {
        e->loading = 0;
        if (j->err == AR_E_OK) {
            e->pcm = j->pcm;
            e->n = j->n;
            j->pcm = NULL;
            LOG_INFO(media, "audiosrc %s loaded: %u samples", e->uri, e->n);
        } else {
            LOG_WARN(media, "audiosrc %s refused: %s (%s)", e->uri, j->why, ar_errname(j->err));
        }
        run_waiters(e, j->err, j->why);
        if (j->err != AR_E_OK)
            g_hash_table_remove(f->cache, j->uri);
    }
    job_free(j);
}

static gboolean deliver_all(gpointer p)
{
    md_fetch *f = p;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        job *j = jq_pop(&f->done);
        pthread_mutex_unlock(&f->lock);
        if (!j)
            break;
        deliver(f, j);
    }
    return G_SOURCE_REMOVE;
}

static gboolean answer_cached(gpointer p)
{
    entry *e = p;
    if (!e->loading && e->pcm)
        run_waiters(e, AR_E_OK, "");
    return G_SOURCE_REMOVE;
}

md_fetch *md_fetch_new(size_t max_bytes, unsigned timeout_ms)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    md_fetch *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->max_bytes = max_bytes;
    f->timeout_ms = timeout_ms ? timeout_ms : 1;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
    if (pthread_create(&f->thread, NULL, fetch_main, f) == 0)
        f->started = 1;
    if (!f->started) {
        md_fetch_free(&f);
        return NULL;
    }
    return f;
}

void md_fetch_free(md_fetch **pf)
{
    md_fetch *f = *pf;
    if (!f)
        return;
    if (f->started) {
        /* A transfer in progress is aborted (on_progress); jobs still queued, or
         * fetched but never delivered, are freed below. */
        atomic_store(&f->stop, 1);
        pthread_mutex_lock(&f->lock);
        f->stopping = 1;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
    }
    job *j;
    while ((j = jq_pop(&f->q)) != NULL)
        job_free(j);
    while ((j = jq_pop(&f->done)) != NULL)
        job_free(j);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    if (f->cache)
        g_hash_table_destroy(f->cache);
    free(f);
    *pf = NULL;
    curl_global_cleanup();
}

void md_fetch_get(md_fetch *f, const char *uri, md_fetch_cb cb, void *ud, void (*ud_free)(void *))
{
    waiter *w = calloc(1, sizeof(*w));
    if (!w) {
        if (ud_free)
            ud_free(ud);
        return;
    }
    w->cb = cb;
    w->ud = ud;
    w->ud_free = ud_free;
    entry *e = g_hash_table_lookup(f->cache, uri);
    if (!e) {
        e = calloc(1, sizeof(*e));
        job *j = calloc(1, sizeof(*j));
        if (!e || !j || !(e->uri = strdup(uri)) || !(j->uri = strdup(uri))) {
            free(j ? j->uri : NULL);
            free(j);
            if (e)
                free(e->uri);
            free(e);
            free(w);
            if (ud_free)
                ud_free(ud);
            return;
        }
        e->loading = 1;
        j->f = f;
        g_hash_table_insert(f->cache, e->uri, e);
        pthread_mutex_lock(&f->lock);
        jq_push(&f->q, j);
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
    }
    w->next = e->waiters;
    e->waiters = w;
    if (!e->loading)
        g_idle_add(answer_cached, e);
}
