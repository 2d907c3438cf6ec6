/* Delay of T-Lib events from their TimeStamp to the WebSocket write: a /metrics histogram. */
#include "gw_wsdelay.h"

#include <glib.h>

#include "gw_server.h"

#define TAIL_SCAN 48 /* `"TimeStamp":` + 16 digits + `}` fit in the last bytes */

/* Upper bounds of the buckets, seconds; the last bucket is +Inf. */
static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

/* One gatewayd, one loop thread: process-wide like the other /metrics counters. */
static struct {
    uint64_t bucket[N_BOUNDS + 1];
    uint64_t count;
    double sum_s;
} delay;

void gw_wsdelay_note(const uint8_t *json, size_t len)
{
    static const char key[] = "\"TimeStamp\":";
    size_t scan = len < TAIL_SCAN ? len : TAIL_SCAN;
    const char *tail = (const char *)json + len - scan;
    const char *k = g_strstr_len(tail, (gssize)scan, key);
    if (!k)
        return;
    const char *q = k + sizeof key - 1, *end = (const char *)json + len;
    int64_t ts = 0;
    for (; q < end && *q >= '0' && *q <= '9'; q++)
        ts = ts * 10 + (*q - '0');
    if (ts <= 0)
        return;
    int64_t us = gw_now_us() - ts;
    double s = us > 0 ? (double)us / 1e6 : 0.0;
    size_t i = 0;
    while (i < N_BOUNDS && s > bounds[i])
        i++;
    delay.bucket[i]++;
    delay.count++;
    delay.sum_s += s;
}

void gw_wsdelay_metrics_text(ar_buf *b)
{
    ar_buf_printf(b, "# HELP gatewayd_ws_event_write_delay_seconds T-Lib events on WebSocket "
                     "connections: from their TimeStamp to the write.\n"
                     "# TYPE gatewayd_ws_event_write_delay_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < N_BOUNDS; i++) {
        cum += delay.bucket[i];
        ar_buf_printf(b, "gatewayd_ws_event_write_delay_seconds_bucket{le=\"%g\"} %llu\n",
                      bounds[i], (unsigned long long)cum);
    }
    ar_buf_printf(b,
                  "gatewayd_ws_event_write_delay_seconds_bucket{le=\"+Inf\"} %llu\n"
                  "gatewayd_ws_event_write_delay_seconds_sum %.6f\n"
                  "gatewayd_ws_event_write_delay_seconds_count %llu\n",
                  (unsigned long long)delay.count, delay.sum_s, (unsigned long long)delay.count);
}
