/* Shutdown deadline: a thread that ends the process if the clean stop overruns its bound. */
#ifndef GW_STOPGUARD_H
#define GW_STOPGUARD_H

/* Margin over shutdown-timeout-ms + nua's final shutdown bound (gw_sip.c) before the
 * guard ends the process. */
#define GW_STOPGUARD_MARGIN_MS 1000

typedef struct gw_stopguard gw_stopguard;

/*
 * Start the guard at SIGTERM / SIGINT: unless gw_stopguard_free is called within ms, it
 * logs the overrun and ends the process with _exit(exit_code). The clean stop runs on the
 * loop's thread, inside sofia-sip's message processing, which a saturated stack can keep
 * busy for seconds per iteration (no bound checked in between): only another thread can
 * keep the promise that SIGTERM ends gatewayd in time. NULL if the thread cannot start.
 */
gw_stopguard *gw_stopguard_start(int ms, int exit_code);
/* The clean stop is over: stop the guard (joins its thread). NULL-safe. */
void gw_stopguard_free(gw_stopguard **pg);

#endif
