/* Benchmark: gw_pool_pick + release cost per recording at 10 and 1,000 pool members. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ar_err.h"
#include "gw_config.h"
#include "gw_pool.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A pool of n recorders (scheme), each `ports` ports; geo tag on every tenth when geo. */
static gw_config *config(unsigned n, const char *scheme, bool geo)
{
    GString *t = g_string_new(NULL);
    g_string_append_printf(t, "[pool p]\nkind = recorder\nscheme = %s\nmonitor = none\n", scheme);
    for (unsigned i = 0; i < n; i++)
        g_string_append_printf(t, "member = sip:10.%u.%u.%u:5060 ports=1000%s\n", i >> 16,
                               (i >> 8) & 255, i & 255,
                               geo && i % 10 == 0 ? " geo-location=east" : "");
    gw_config_errors errs = {0};
    gw_config *c = gw_config_parse("bench.conf", t->str, &errs);
    g_string_free(t, TRUE);
    if (!c) {
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.msgs[i]);
        exit(1);
    }
    gw_config_errors_clear(&errs);
    return c;
}

/* ns per selection with `held` recordings kept open (a loaded pool), then released. */
static double run(unsigned n, const char *scheme, bool geo, unsigned iters, unsigned held)
{
    gw_config *c = config(n, scheme, geo);
    gw_pools *p = gw_pools_new(c);
    char why[256];
    gw_pool_req r = {.kind = GW_POOL_RECORDER, .ports = 2, .geo = geo ? "east" : NULL};
    gw_pool_lease **keep = g_new0(gw_pool_lease *, held);
    for (unsigned i = 0; i < held; i++)
        if (gw_pool_pick(p, &r, &keep[i], why, sizeof why) != AR_E_OK)
            break;
    double t0 = now_ns();
    for (unsigned i = 0; i < iters; i++) {
        gw_pool_lease *l = NULL;
        if (gw_pool_pick(p, &r, &l, why, sizeof why) != AR_E_OK) {
            fprintf(stderr, "pick failed: %s\n", why);
            exit(1);
        }
        gw_pool_lease_release(&l);
    }
    double ns = (now_ns() - t0) / iters;
    for (unsigned i = 0; i < held; i++)
        gw_pool_lease_release(&keep[i]);
    g_free(keep);
    gw_pools_free(&p);
    gw_config_free(&c);
    return ns;
}

int main(int argc, char **argv)
{
    unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
    if (iters == 0)
        iters = 1;
    static const char *const schemes[] = {"round-robin", "least-used", "parallel"};
    printf("pool selection (pick + release, 2 ports), %u iterations each\n", iters);
    printf("%-12s %-4s %12s %12s %8s\n", "scheme", "geo", "10 members", "1000 members", "ratio");
    for (int s = 0; s < 3; s++) {
        for (int g = 0; g < 2; g++) {
            unsigned it = s == 2 ? iters / 20 + 1 : iters; /* parallel leases every member */
            double a = run(10, schemes[s], g, it, 5);
            /* 500 recordings open on 1,000 members; parallel: each holds every member. */
            double b = run(1000, schemes[s], g, it, s == 2 ? 5 : 500);
            printf("%-12s %-4s %9.0f ns %9.0f ns %7.1fx\n", schemes[s], g ? "yes" : "no", a, b,
                   b / a);
        }
    }
    return 0;
}
