/* Main-loop timing of gatewayd: iteration lengths, SIP batches, T-Lib input waits (/metrics). */
#include "gw_looptime.h"

#include <stdatomic.h>
#include <time.h>

/* Upper bounds of the buckets, microseconds; the last bucket is +Inf. */
static const int64_t bounds_us[] = {10,   25,    50,    100,   250,    500,    1000,   2000,
                                    5000, 10000, 25000, 50000, 100000, 250000, 1000000};
#define N_BOUNDS G_N_ELEMENTS(bounds_us)

/* Relaxed atomics: the SIP batch may run on another thread than the loop's. */
typedef struct {
    const char *name, *help;
    atomic_ullong bucket[N_BOUNDS + 1];
    atomic_ullong count, sum_us;
} hist;

static hist busy = {.name = "gatewayd_loop_busy_seconds",
                    .help = "Main-loop iterations: from poll() returning to the next poll()."};
static hist busy_cpu = {.name = "gatewayd_loop_busy_cpu_seconds",
                        .help = "Main-loop iterations: the loop thread's CPU time in them "
                                "(against gatewayd_loop_busy_seconds: waiting for a CPU)."};
static hist sip_batch = {.name = "gatewayd_sip_batch_seconds",
                         .help = "SIP batches: one iteration's extra sofia-sip dispatches."};
static hist in_wait = {.name = "gatewayd_tlib_input_wait_seconds",
                       .help = "T-Lib input: from poll() returning to its source's dispatch."};
static hist in_served = {.name = "gatewayd_tlib_input_served_seconds",
                         .help = "T-Lib input on TCP: from poll() returning to the answers "
                                 "written."};

static hist read_delay = {.name = "gatewayd_tlib_tcp_read_delay_seconds",
                          .help = "T-Lib TCP input: from the kernel's receive timestamp to "
                                  "gatewayd reading it."};

static int64_t iter_start_us, iter_cpu_us; /* loop thread only */

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void note(hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    size_t i = 0;
    while (i < N_BOUNDS && us > bounds_us[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (unsigned long long)us, memory_order_relaxed);
}

static gint timed_poll(GPollFD *fds, guint nfds, gint timeout)
{
    if (iter_start_us) {
        note(&busy, g_get_monotonic_time() - iter_start_us);
        note(&busy_cpu, thread_cpu_us() - iter_cpu_us);
    }
    gint r = g_poll(fds, nfds, timeout);
    iter_start_us = g_get_monotonic_time();
    iter_cpu_us = thread_cpu_us();
    return r;
}

void gw_looptime_install(GMainContext *ctx)
{
    g_main_context_set_poll_func(ctx, timed_poll);
}

int64_t gw_looptime_iter_start(void)
{
    return iter_start_us;
}

void gw_looptime_tlib_input(void)
{
    if (iter_start_us)
        note(&in_wait, g_get_monotonic_time() - iter_start_us);
}

void gw_looptime_tlib_served(void)
{
    if (iter_start_us)
        note(&in_served, g_get_monotonic_time() - iter_start_us);
}

void gw_looptime_tlib_read_delay(int64_t rx_realtime_us)
{
    note(&read_delay, g_get_real_time() - rx_realtime_us);
}

void gw_looptime_sip_batch(int64_t us)
{
    note(&sip_batch, us);
}

static void hist_text(ar_buf *b, hist *h)
{
    ar_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
    unsigned long long cum = 0;
    for (size_t i = 0; i < N_BOUNDS; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        ar_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", h->name, (double)bounds_us[i] / 1e6, cum);
    }
    cum += atomic_load_explicit(&h->bucket[N_BOUNDS], memory_order_relaxed);
    ar_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", h->name, cum,
                  h->name, (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6,
                  h->name, cum);
}

void gw_looptime_metrics_text(ar_buf *b)
{
    hist_text(b, &busy);
    hist_text(b, &busy_cpu);
    hist_text(b, &sip_batch);
    hist_text(b, &in_wait);
    hist_text(b, &in_served);
    hist_text(b, &read_delay);
}
