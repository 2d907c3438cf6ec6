/* mediad's answer to gatewayd's OPTIONS health checks: a small JSON body of counters. */
#include "md_health.h"

#include <stdio.h>

#include "md_rtp_engine.h"

typedef struct {
    unsigned long long sessions, recordings, streams, in, out, lost, malformed;
} md_sums;

static void add_stream(md_sums *s, const md_stream *st)
{
    if (!st)
        return;
    md_stream_stats x;
    md_stream_get_stats(st, &x);
    s->streams++;
    s->in += x.rx_packets;
    s->out += x.tx_packets;
    s->lost += x.rx_lost;
    s->malformed += x.malformed;
}

size_t md_health_body(md_ctx *ctx, char *buf, size_t cap)
{
    md_sums s = {0};
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, ctx->calls);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const md_call *c = v;
        s.sessions++;
        for (int i = 0; i < c->nlegs; i++)
            for (int j = 0; j < c->legs[i]->nstreams; j++)
                add_stream(&s, c->legs[i]->st[j]);
        for (int i = 0; i < c->nrecs; i++) {
            s.recordings++;
            for (int j = 0; j < c->recs[i]->nm; j++)
                add_stream(&s, c->recs[i]->m[j].st);
        }
    }
    int n = snprintf(buf, cap,
                     "{\"sessions\":%llu,\"recordings\":%llu,\"streams\":%llu,\"packetsIn\":%llu,"
                     "\"packetsOut\":%llu,\"packetsLost\":%llu,\"malformed\":%llu}",
                     s.sessions, s.recordings, s.streams, s.in, s.out, s.lost, s.malformed);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}
