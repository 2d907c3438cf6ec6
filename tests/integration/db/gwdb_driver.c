/* Test driver for the database writer: synthetic call/recording flows through gw_db. */
#include <glib-unix.h>
#include <glib.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ar_log.h"
#include "gw_db.h"

/* Rows per table the driver expects to find after everything is written. */
/* clang-format off */
#define TABLES(X) \
    X(calls) \
    X(parties) \
    X(call_user_data) \
    X(recordings) \
    X(recording_segments) \
    X(tone_settings) \
    X(screen_capture_events) \
    X(islinks) \
    X(tlib_events)
/* clang-format on */

typedef struct {
    gw_db *db;
    GMainLoop *loop;
    const char *status_path;
    int start, n, next;
    double rate; /* calls per second, 0 = all at once */
    int64_t t0_us;
    bool hold, bad;
    int reject; /* every reject-th call also writes a row the database refuses */
    int drain_timeout;
    int rc;
#define CNT_FIELD(t) uint64_t t;
    struct {
        TABLES(CNT_FIELD)
    } expect;
} driver;

#define T0_US 1700000000000000LL /* 2023-11-14 22:13:20 UTC */

static char big[64 * 1024 + 1];
static char binary[255];

/* One call: parties, user data, a recording with segments (most calls), side tables. */
static void gen_call(driver *d, int i)
{
    char connid[17], uuid[32], rec[32], ani[64], dnis[16], dn[16], agent[16], isl[32];
    int64_t t = T0_US + (int64_t)i * 600 * 1000000LL; /* a call every 10 minutes */
    bool bad = d->bad && i % 10 == 0;
    snprintf(connid, sizeof connid, "%016llx", 0xa000000000000000ull + (unsigned)i);
    snprintf(uuid, sizeof uuid, "uuid-%08d", i);
    snprintf(rec, sizeof rec, "rec-%08d", i);
    snprintf(ani, sizeof ani, bad ? "+1555\xff\xfe%07d" : "+1555%07d", i);
    snprintf(dnis, sizeof dnis, "800%04d", i % 100);
    snprintf(dn, sizeof dn, "50%02d", i % 20 + 1);
    snprintf(agent, sizeof agent, "agent%d", i % 5);
    snprintf(isl, sizeof isl, "isl-%08d", i);
    bool full_time = i % 2 == 0, recorded = i % 4 != 3, failed = i % 7 == 0;

    gw_db_call c = {.connid = connid,
                    .call_uuid = uuid,
                    .call_type = "Inbound",
                    .ani = ani,
                    .dnis = dnis,
                    .started_us = t};
    gw_db_write_call(d->db, &c);
    if (d->reject && i % d->reject == 0) {
        /* A ConnID the CHECK constraint refuses: the rows pipelined behind it in the same
         * batch are aborted with it and must be sent again. */
        gw_db_call badc = c;
        badc.connid = "not-a-connid";
        gw_db_write_call(d->db, &badc);
    }
    gw_db_party po = {.connid = connid, .dn = ani, .role = "Origination", .joined_us = t};
    gw_db_party pd = {.connid = connid,
                      .dn = bad ? "50\x80 01" : dn,
                      .role = "Destination",
                      .agent_login = agent,
                      .full_time = full_time,
                      .joined_us = t + 1000};
    gw_db_write_party(d->db, &po);
    gw_db_write_party(d->db, &pd);
    d->expect.calls++;
    d->expect.parties += 2;
    char cust[32];
    snprintf(cust, sizeof cust, "C%d", i);
    gw_db_user_data u1 = {connid, t + 2000, "add", "CustomerId", cust, strlen(cust)};
    const char *q = "O'Brien said \"hi\"; DROP TABLE calls; --";
    gw_db_user_data u2 = {connid, t + 3000, "update", "Note", q, strlen(q)};
    gw_db_write_user_data(d->db, &u1);
    gw_db_write_user_data(d->db, &u2);
    d->expect.call_user_data += 2;
    if (bad) {
        gw_db_user_data u3 = {connid, t + 4000, "add", "Big", big, sizeof big - 1};
        gw_db_user_data u4 = {connid, t + 5000, "add", "Binary", binary, sizeof binary};
        gw_db_write_user_data(d->db, &u3);
        gw_db_write_user_data(d->db, &u4);
        d->expect.call_user_data += 2;
    }
    int64_t rs = t + 10 * 1000000LL, re = t + 300 * 1000000LL;
    if (recorded) {
        char mediad[16], recorder[16], file[64];
        snprintf(mediad, sizeof mediad, "mediad%d", i % 2);
        snprintf(recorder, sizeof recorder, "rec%d", i % 3);
        snprintf(file, sizeof file, "/rec/%s.wav", rec);
        gw_db_recording r = {.record_id = rec,
                             .connid = connid,
                             .call_uuid = uuid,
                             .recorded_dn = dn,
                             .other_dn = ani,
                             .side = "both",
                             .started_by = full_time ? "full-time" : "selective",
                             .mediad = mediad,
                             .recorder = recorder,
                             .dest = "sip:rec@127.0.0.1",
                             .dialect = "genesys",
                             .audio_state = "sendonly",
                             .state = "active",
                             .started_us = rs};
        gw_db_write_recording(d->db, &r);
        gw_db_segment s1 = {rec, "start", NULL, rs};
        gw_db_write_segment(d->db, &s1);
        gw_db_tone tone = {rec, "file:///tones/beep.wav", 15000, "both", rs};
        gw_db_write_tone(d->db, &tone);
        d->expect.recordings++;
        d->expect.recording_segments += 2;
        d->expect.tone_settings++;
        if (i % 3 == 0) { /* paused 20 s */
            gw_db_segment p = {rec, "pause", NULL, rs + 30 * 1000000LL};
            gw_db_segment q2 = {rec, "resume", NULL, rs + 50 * 1000000LL};
            gw_db_write_segment(d->db, &p);
            gw_db_write_segment(d->db, &q2);
            d->expect.recording_segments += 2;
        }
        gw_db_segment s2 = {rec, failed ? "fail" : "stop", failed ? "recorder-timeout" : NULL, re};
        gw_db_write_segment(d->db, &s2);
        r.state = failed ? "failed" : "completed";
        r.fail_reason = failed ? "recorder-timeout" : NULL;
        r.file_name = file;
        r.ended_us = re;
        gw_db_write_recording(d->db, &r);
    }
    if (i % 5 == 0) {
        gw_db_islink l = {isl, uuid, connid, "siteB", "origination", t};
        gw_db_write_islink(d->db, &l);
        d->expect.islinks++;
    }
    gw_db_screen sc = {dn, connid, agent, "start", "{\"url\":\"x\"}", t + 1000};
    gw_db_write_screen(d->db, &sc);
    d->expect.screen_capture_events++;
    gw_db_tlib_event ev = {"EventUserEvent", "demo", dn, connid, NULL, -1, t + 1000};
    gw_db_write_tlib_event(d->db, &ev);
    d->expect.tlib_events++;
    po.left_us = pd.left_us = c.ended_us = t + 301 * 1000000LL;
    c.answered_us = t + 5 * 1000000LL;
    c.end_cause = "normal";
    gw_db_write_party(d->db, &po);
    gw_db_write_party(d->db, &pd);
    gw_db_write_call(d->db, &c);
}

static void write_status(driver *d)
{
    gw_db_stats st;
    gw_db_get_stats(d->db, &st);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "generated=%d\ndone=%d\nstate=%s\nidle=%d\n", d->next - d->start,
                           d->next == d->start + d->n, gw_db_state_name(st.state),
                           gw_db_idle(d->db));
    g_string_append_printf(s,
                           "submitted=%llu\nwritten=%llu\nrejected=%llu\njournaled=%llu\n"
                           "replayed=%llu\ndropped=%llu\njournal_bytes=%llu\nconnects=%llu\n",
                           (unsigned long long)st.submitted, (unsigned long long)st.written,
                           (unsigned long long)st.rejected, (unsigned long long)st.journaled,
                           (unsigned long long)st.replayed, (unsigned long long)st.dropped,
                           (unsigned long long)st.journal_bytes, (unsigned long long)st.connects);
#define CNT_PRINT(t)                                                                               \
    g_string_append_printf(s, "expect_" #t "=%llu\n", (unsigned long long)d->expect.t);
    TABLES(CNT_PRINT)
    if (d->status_path) {
        char *tmp = g_strdup_printf("%s.tmp", d->status_path);
        if (g_file_set_contents(tmp, s->str, (gssize)s->len, NULL))
            rename(tmp, d->status_path);
        g_free(tmp);
    }
    g_string_free(s, TRUE);
}

static gboolean on_tick(gpointer ud)
{
    driver *d = ud;
    int64_t el = g_get_monotonic_time() - d->t0_us;
    int due = d->rate > 0 ? (int)(d->rate * (double)el / 1e6) + 1 : d->n;
    while (d->next < d->start + d->n && d->next - d->start < due)
        gen_call(d, d->next++);
    write_status(d);
    if (d->next == d->start + d->n && !d->hold && gw_db_idle(d->db)) {
        d->rc = 0;
        g_main_loop_quit(d->loop);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(gpointer ud)
{
    driver *d = ud;
    fprintf(stderr, "gwdb_driver: not drained after %d s\n", d->drain_timeout);
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_term(gpointer ud)
{
    driver *d = ud;
    d->rc = 0;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"dsn", required_argument, 0, 'd'},
                                       {"journal", required_argument, 0, 'j'},
                                       {"calls", required_argument, 0, 'n'},
                                       {"start", required_argument, 0, 's'},
                                       {"rate", required_argument, 0, 'r'},
                                       {"status", required_argument, 0, 'S'},
                                       {"hold", no_argument, 0, 'H'},
                                       {"bad", no_argument, 0, 'b'},
                                       {"timeout", required_argument, 0, 't'},
                                       {"migrate-only", no_argument, 0, 'M'},
                                       {"site", required_argument, 0, 'i'},
                                       {"journal-max", required_argument, 0, 'J'},
                                       {"queue-max", required_argument, 0, 'q'},
                                       {"reject", required_argument, 0, 'R'},
                                       {0, 0, 0, 0}};
    gw_db_opts o;
    driver d = {.n = 0, .drain_timeout = 60, .rc = 1};
    bool migrate_only = false;
    int ch;
    gw_db_opts_default(&o);
    o.journal_sync_ms = 50;
    o.backoff_min_ms = 50;
    o.backoff_max_ms = 500;
    o.site = "siteA";
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o.dsn = optarg;
            break;
        case 'j':
            o.journal_path = optarg;
            break;
        case 'n':
            d.n = atoi(optarg);
            break;
        case 's':
            d.start = atoi(optarg);
            break;
        case 'r':
            d.rate = atof(optarg);
            break;
        case 'S':
            d.status_path = optarg;
            break;
        case 'H':
            d.hold = true;
            break;
        case 'b':
            d.bad = true;
            break;
        case 't':
            d.drain_timeout = atoi(optarg);
            break;
        case 'M':
            migrate_only = true;
            break;
        case 'i':
            o.site = optarg;
            break;
        case 'J':
            o.journal_max_bytes = strtoull(optarg, NULL, 10);
            break;
        case 'q':
            o.queue_max_rows = atoi(optarg);
            break;
        case 'R':
            d.reject = atoi(optarg);
            break;
        default:
            fprintf(stderr,
                    "usage: gwdb_driver --dsn DSN --journal FILE [--calls N] [--start K] "
                    "[--rate CPS] [--status FILE] [--hold] [--bad] [--timeout S] "
                    "[--migrate-only] [--site S] [--journal-max B] [--queue-max N] [--reject N]\n");
            return 2;
        }
    }
    ar_log_set_ident("gwdb_driver");
    if (migrate_only) {
        char *err = NULL;
        if (gw_db_migrate_sync(o.dsn, &err) != 0) {
            fprintf(stderr, "gwdb_driver: %s\n", err);
            g_free(err);
            return 1;
        }
        return 0;
    }
    memset(big, 'x', sizeof big - 1);
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (char)(i + 1);
    char *err = NULL;
    d.db = gw_db_new(&o, NULL, &err);
    if (!d.db) {
        fprintf(stderr, "gwdb_driver: %s\n", err);
        g_free(err);
        return 1;
    }
    d.start = d.start;
    d.next = d.start;
    d.loop = g_main_loop_new(NULL, FALSE);
    d.t0_us = g_get_monotonic_time();
    g_timeout_add(10, on_tick, &d);
    if (!d.hold)
        g_timeout_add_seconds((guint)d.drain_timeout, on_timeout, &d);
    g_unix_signal_add(SIGTERM, on_term, &d);
    g_unix_signal_add(SIGINT, on_term, &d);
    g_main_loop_run(d.loop);
    write_status(&d);
    gw_db_free(&d.db);
    g_main_loop_unref(d.loop);
    return d.rc;
}
