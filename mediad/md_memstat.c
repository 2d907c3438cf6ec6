/* Memory figures of a running mediad (--stats-file, written on SIGUSR1) for the benchmark. */
#include "md_memstat.h"

#include "ar_err.h"
#include "md_rtp_engine.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t calls, legs, recs, streams, bytes;
} md_tally;

static size_t params_bytes(const md_params *p)
{
    size_t n = (size_t)p->cap * sizeof(md_param);
    for (int i = 0; i < p->n; i++)
        n += strlen(p->kv[i].name) + 1 + strlen(p->kv[i].value) + 1;
    return n;
}

/* What mediad itself holds for one call; the engine's stream slots are counted here
 * because a call is what occupies them (the pool is allocated once, touched on use). */
static void tally_call(md_tally *t, const md_call *c)
{
    t->calls++;
    t->bytes += sizeof(*c) + params_bytes(&c->params) + strlen(c->conf) + 1;
    for (int i = 0; i < c->nlegs; i++) {
        const md_leg *l = c->legs[i];
        t->legs++;
        t->bytes += sizeof(*l) + params_bytes(&l->uri) + (l->sdp ? strlen(l->sdp) + 1 : 0) +
                    strlen(l->dn) + 1 + strlen(l->callid) + 1 +
                    (size_t)l->mcap * (sizeof(*l->ms) + sizeof(*l->st) + sizeof(*l->port));
        for (int k = 0; k < l->nstreams; k++)
            if (l->st[k])
                t->streams++;
    }
    for (int i = 0; i < c->nrecs; i++) {
        const md_rec *r = c->recs[i];
        t->recs++;
        t->bytes += sizeof(*r) + (r->ruri ? strlen(r->ruri) + 1 : 0) + strlen(r->record_id) + 1 +
                    strlen(r->dest) + 1;
        for (int k = 0; k < r->nm; k++)
            if (r->m[k].st)
                t->streams++;
    }
}

static long rss_kb(void)
{
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

int md_memstat_write(md_ctx *ctx, const char *path, unsigned seq)
{
    md_tally t = {0};
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, ctx->calls);
    while (g_hash_table_iter_next(&it, &k, &v))
        tally_call(&t, v);
    t.bytes += t.streams * md_stream_size();
    struct mallinfo2 mi = mallinfo2();
    char *tmp = g_strdup_printf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = AR_E_IO;
    if (f) {
        fprintf(f,
                "seq=%u calls=%zu legs=%zu recs=%zu streams=%zu stream_size=%zu own_bytes=%zu "
                "heap_inuse=%zu heap_free=%zu mmap_bytes=%zu rss_kb=%ld\n",
                seq, t.calls, t.legs, t.recs, t.streams, md_stream_size(), t.bytes, mi.uordblks,
                mi.fordblks, mi.hblkhd, rss_kb());
        if (fclose(f) == 0 && rename(tmp, path) == 0)
            rc = AR_E_OK;
    }
    g_free(tmp);
    return rc;
}
