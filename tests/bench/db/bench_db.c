/* Database writer benchmark: rows/s with loop lag, and T-Lib ACK latency while gatewayd writes. */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ar_log.h"
#include "gw_db.h"
#include "tlclient.h"

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t pct(int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

/* ---- writer phase: synthetic rows through gw_db while a 1 ms timer measures loop lag ---- */

typedef struct {
    gw_db *db;
    GMainLoop *loop;
    int64_t t_end, next_tick, seq;
    GArray *lag;
    bool producing;
} wctx;

static gboolean on_produce(gpointer ud)
{
    wctx *w = ud;
    gw_db_stats st;
    gw_db_get_stats(w->db, &st);
    if (now_us() >= w->t_end) {
        w->producing = false;
        if (gw_db_idle(w->db))
            g_main_loop_quit(w->loop);
        return G_SOURCE_CONTINUE;
    }
    /* Keep the writer busy but the queue bounded, like a loaded gateway would. */
    for (int i = 0; i < 200 && st.queued < 4096; i++, st.queued++) {
        char connid[17], rid[32];
        int64_t s = ++w->seq;
        snprintf(connid, sizeof connid, "%016llx", (unsigned long long)s);
        snprintf(rid, sizeof rid, "bench-%lld", (long long)s);
        gw_db_tlib_event ev = {"EventUserEvent", "bench", "5001",           connid,
                               "bench row",      -1,      g_get_real_time()};
        gw_db_write_tlib_event(w->db, &ev);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer ud)
{
    wctx *w = ud;
    int64_t t = now_us();
    if (w->next_tick) {
        int64_t lag = t - w->next_tick;
        g_array_append_val(w->lag, lag);
    }
    w->next_tick = t + 1000;
    return G_SOURCE_CONTINUE;
}

static int writer_phase(const char *dsn, const char *journal, int secs)
{
    gw_db_opts o;
    gw_db_opts_default(&o);
    o.dsn = dsn;
    o.journal_path = journal;
    o.site = "bench";
    char *err = NULL;
    wctx w = {0};
    w.lag = g_array_new(FALSE, FALSE, sizeof(int64_t));
    w.db = gw_db_new(&o, NULL, &err);
    if (!w.db) {
        fprintf(stderr, "bench_db: %s\n", err);
        return 1;
    }
    w.loop = g_main_loop_new(NULL, FALSE);
    /* Wait for the connection (and migrations) before timing. */
    gw_db_stats st;
    int64_t give_up = now_us() + 20000000;
    do {
        g_main_context_iteration(NULL, TRUE);
        gw_db_get_stats(w.db, &st);
    } while (st.state != GW_DB_READY && now_us() < give_up);
    if (st.state != GW_DB_READY) {
        fprintf(stderr, "bench_db: database not ready\n");
        return 1;
    }
    /* The same timer on an idle loop first: what the machine alone costs (other load,
     * scheduling), so the writer's share of the lag can be told apart. */
    GMainLoop *idle_loop = w.loop;
    guint tick = g_timeout_add(1, on_tick, &w);
    g_timeout_add_seconds((guint)secs, (GSourceFunc)(void (*)(void))g_main_loop_quit, idle_loop);
    g_main_loop_run(idle_loop);
    g_source_remove(tick);
    g_array_sort(w.lag, cmp_i64);
    int64_t idle_p99 = pct((int64_t *)(void *)w.lag->data, w.lag->len, 0.99);
    printf("idle loop: lag of a 1 ms timer p50 %lld us, p99 %lld us (no writes)\n",
           (long long)pct((int64_t *)(void *)w.lag->data, w.lag->len, 0.5), (long long)idle_p99);
    g_array_set_size(w.lag, 0);
    w.next_tick = 0;
    gw_db_get_stats(w.db, &st);
    uint64_t w0 = st.written;
    int64_t t0 = now_us();
    w.t_end = t0 + (int64_t)secs * 1000000;
    w.producing = true;
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, on_produce, &w, NULL);
    g_source_set_priority(idle, G_PRIORITY_DEFAULT_IDLE);
    g_source_attach(idle, NULL);
    g_timeout_add(1, on_tick, &w);
    g_main_loop_run(w.loop);
    int64_t t1 = now_us();
    gw_db_get_stats(w.db, &st);
    double rate = (double)(st.written - w0) / ((double)(t1 - t0) / 1e6);
    g_array_sort(w.lag, cmp_i64);
    int64_t *lag = (int64_t *)(void *)w.lag->data;
    printf("writer: %llu rows in %.2f s = %.0f rows/s (pipeline, batch %d); loop lag of a 1 ms "
           "timer: p50 %lld us, p99 %lld us, max %lld us\n",
           (unsigned long long)(st.written - w0), (double)(t1 - t0) / 1e6, rate, o.batch_rows,
           (long long)pct(lag, w.lag->len, 0.5), (long long)pct(lag, w.lag->len, 0.99),
           (long long)pct(lag, w.lag->len, 1.0));
    printf("RESULT writer_rows_per_s=%.0f loop_lag_p99_us=%lld idle_loop_lag_p99_us=%lld\n", rate,
           (long long)pct(lag, w.lag->len, 0.99), (long long)idle_p99);
    g_source_destroy(idle);
    g_source_unref(idle);
    gw_db_free(&w.db);
    g_main_loop_unref(w.loop);
    g_array_free(w.lag, TRUE);
    return 0;
}

/* ---- T-Lib phase: closed-loop RequestSendEvent -> EventACK against gatewayd ---------- */

typedef struct {
    const char *addr;
    int secs, id;
    GArray *lat;
    int errors;
} tctx;

static void *tlib_thread(void *ud)
{
    tctx *t = ud;
    tlc *c = NULL;
    if (tlc_connect(t->addr, 5000, &c) || tlc_register(c, "demo", "demo", 1, 5000, NULL)) {
        t->errors++;
        tlc_free(&c);
        return NULL;
    }
    char dn[8];
    snprintf(dn, sizeof dn, "50%02d", t->id % 5 + 1);
    int64_t end = now_us() + (int64_t)t->secs * 1000000;
    while (now_us() < end) {
        tl_msg *m = tl_msg_new(TL_M_RequestSendEvent);
        tl_kv *ud2 = tl_kv_new();
        tl_kv_add_str(ud2, "screen-capture", "start");
        tl_msg_set_str(m, TL_A_ThisDN, dn);
        tl_msg_set_kv(m, TL_A_UserData, ud2);
        int64_t ref, t0 = now_us();
        tl_msg *r = NULL;
        int rc = tlc_send(c, m, 5000, &ref);
        if (!rc)
            rc = tlc_recv_reply(c, ref, 5000, &r, NULL, NULL);
        int64_t lat = now_us() - t0;
        if (rc || !r || r->type != TL_M_EventACK)
            t->errors++;
        else
            g_array_append_val(t->lat, lat);
        tl_msg_free(&r);
        tl_msg_free(&m);
    }
    tlc_free(&c);
    return NULL;
}

static int tlib_phase(const char *addr, int secs, int nthreads)
{
    pthread_t th[16];
    tctx t[16];
    GArray *all = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int errors = 0;
    if (nthreads > 16)
        nthreads = 16;
    int64_t t0 = now_us();
    for (int i = 0; i < nthreads; i++) {
        t[i] = (tctx){addr, secs, i, g_array_new(FALSE, FALSE, sizeof(int64_t)), 0};
        pthread_create(&th[i], NULL, tlib_thread, &t[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        g_array_append_vals(all, t[i].lat->data, t[i].lat->len);
        errors += t[i].errors;
        g_array_free(t[i].lat, TRUE);
    }
    double el = (double)(now_us() - t0) / 1e6;
    g_array_sort(all, cmp_i64);
    int64_t *v = (int64_t *)(void *)all->data;
    printf("tlib: %u RequestSendEvent -> EventACK in %.2f s (%d connections) = %.0f req/s; "
           "ACK p50 %lld us, p99 %lld us, max %lld us; %d errors\n",
           all->len, el, nthreads, all->len / el, (long long)pct(v, all->len, 0.5),
           (long long)pct(v, all->len, 0.99), (long long)pct(v, all->len, 1.0), errors);
    printf("RESULT tlib_req_per_s=%.0f ack_p99_us=%lld errors=%d\n", all->len / el,
           (long long)pct(v, all->len, 0.99), errors);
    g_array_free(all, TRUE);
    return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    ar_log_set_level(-1, AR_LOG_WARN);
    if (argc >= 5 && strcmp(argv[1], "writer") == 0)
        return writer_phase(argv[2], argv[3], atoi(argv[4]));
    if (argc >= 5 && strcmp(argv[1], "tlib") == 0)
        return tlib_phase(argv[2], atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: bench_db writer DSN JOURNAL SECONDS\n"
                    "       bench_db tlib HOST:PORT SECONDS CONNECTIONS\n");
    return 2;
}
