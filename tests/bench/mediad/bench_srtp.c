/* SRTP cost per packet: ar_srtp on each libsrtp2 crypto kernel, and libre's SRTP if built. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "ar_crypto.h"
#include "ar_err.h"
#include "ar_srtp.h"

#ifdef AREC_HAVE_LIBRE
#include <re.h>
#endif

/*
 * AREC_SRTP_BACKEND_NAME: the ar_srtp backend of this build (libsrtp2 or libre).
 * Why: Debian builds libsrtp2 against NSS, whose AES-CTR and HMAC-SHA1 backends create
 * a PK11 context per packet (new IV, new digest); ar_srtp replaces them with its own
 * OpenSSL kernel (common/srtp/ar_srtp_ossl.c). This measures protect and
 * protect+unprotect of a 172-byte RTP packet (160 bytes of G.711) with
 * AES_CM_128_HMAC_SHA1_80, through ar_srtp as mediad calls it: on the kernel this
 * process runs (AREC_SRTP_KERNEL, default openssl), then, when the variable is unset,
 * again in a child with AREC_SRTP_KERNEL=stock; and through libre's OpenSSL-based
 * SRTP (Debian libre-dev) when it was found at configure time. The "cold" rows spread
 * the same packets round robin over COLD_STREAMS streams (a context each way per
 * stream, each its own key), so a context's state is out of L1/L2 when its next packet
 * comes, as in mediad with hundreds of calls: that, not the arithmetic, is where a
 * kernel's memory layout shows.
 *   bench_srtp [PACKETS] [--cold]    (--cold: only the cold row, this kernel; for perf)
 * Figures: docs/mediad.md "SRTP against the plain relay".
 */

#define PKT_LEN      172
#define COLD_STREAMS 2000

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void fill(uint8_t *p, int i)
{
    memset(p, 0xd5, PKT_LEN);
    p[0] = 0x80;
    p[1] = 0;
    p[2] = (uint8_t)(i >> 8);
    p[3] = (uint8_t)i;
    memset(p + 4, 0, 4);
    p[8] = 0x12;
    p[9] = 0x34;
    p[10] = 0x56;
    p[11] = 0x78;
}

static int bench_ar(const ar_crypto *key, int n, int both)
{
    ar_srtp *tx = NULL, *rx = NULL;
    if (ar_srtp_new(&tx, key, AR_SRTP_OUTBOUND) != AR_E_OK ||
        ar_srtp_new(&rx, key, AR_SRTP_INBOUND) != AR_E_OK) {
        fprintf(stderr, "bench_srtp: ar_srtp_new failed\n");
        return -1;
    }
    uint8_t pkt[PKT_LEN + AR_SRTP_TRAILER_ROOM];
    double t0 = now();
    for (int i = 0; i < n; i++) {
        fill(pkt, i);
        size_t len = PKT_LEN;
        if (ar_srtp_protect(tx, pkt, &len, sizeof pkt) != AR_E_OK ||
            (both && ar_srtp_unprotect(rx, pkt, &len) != AR_E_OK)) {
            fprintf(stderr, "bench_srtp: ar_srtp failed at packet %d\n", i);
            return -1;
        }
    }
    double t1 = now();
    char name[64];
    snprintf(name, sizeof(name), "ar_srtp (%s, %s):", AREC_SRTP_BACKEND_NAME, ar_srtp_kernel());
    printf("%-30s %-18s %6.0f ns/packet\n", name, both ? "protect+unprotect" : "protect",
           (t1 - t0) / n * 1e9);
    ar_srtp_free(&tx);
    ar_srtp_free(&rx);
    return 0;
}

/* protect + unprotect over many streams, each packet on the next stream's contexts. */
static int bench_ar_cold(const ar_crypto *key, int n, int streams)
{
    ar_srtp **tx = calloc((size_t)streams, sizeof(*tx)),
            **rx = calloc((size_t)streams, sizeof(*rx));
    int rc = tx && rx ? 0 : -1;
    for (int s = 0; s < streams && rc == 0; s++) {
        ar_crypto k = *key;
        k.key[0] = (uint8_t)s, k.key[1] = (uint8_t)(s >> 8);
        if (ar_srtp_new(&tx[s], &k, AR_SRTP_OUTBOUND) != AR_E_OK ||
            ar_srtp_new(&rx[s], &k, AR_SRTP_INBOUND) != AR_E_OK)
            rc = -1;
    }
    uint8_t pkt[PKT_LEN + AR_SRTP_TRAILER_ROOM];
    double t0 = now();
    for (int i = 0; i < n && rc == 0; i++) {
        int s = i % streams;
        fill(pkt, i / streams);
        size_t len = PKT_LEN;
        if (ar_srtp_protect(tx[s], pkt, &len, sizeof pkt) != AR_E_OK ||
            ar_srtp_unprotect(rx[s], pkt, &len) != AR_E_OK) {
            fprintf(stderr, "bench_srtp: ar_srtp failed at packet %d\n", i);
            rc = -1;
        }
    }
    double t1 = now();
    if (rc == 0) {
        char name[64];
        snprintf(name, sizeof(name), "ar_srtp (%s, %s):", AREC_SRTP_BACKEND_NAME, ar_srtp_kernel());
        printf("%-30s %-18s %6.0f ns/packet (cold: %d streams)\n", name, "protect+unprotect",
               (t1 - t0) / n * 1e9, streams);
    }
    for (int s = 0; s < streams && tx && rx; s++) {
        ar_srtp_free(&tx[s]);
        ar_srtp_free(&rx[s]);
    }
    free(tx);
    free(rx);
    return rc;
}

#ifdef AREC_HAVE_LIBRE
static int bench_re(const ar_crypto *key, int n, int both)
{
    struct srtp *tx = NULL, *rx = NULL;
    if (srtp_alloc(&tx, SRTP_AES_CM_128_HMAC_SHA1_80, key->key, AR_CRYPTO_KEY_LEN, 0) ||
        srtp_alloc(&rx, SRTP_AES_CM_128_HMAC_SHA1_80, key->key, AR_CRYPTO_KEY_LEN, 0)) {
        fprintf(stderr, "bench_srtp: libre srtp_alloc failed\n");
        return -1;
    }
    struct mbuf *mb = mbuf_alloc(PKT_LEN + 64);
    uint8_t pkt[PKT_LEN];
    int rc = 0;
    double t0 = now();
    for (int i = 0; i < n && rc == 0; i++) {
        fill(pkt, i);
        mbuf_rewind(mb);
        mbuf_write_mem(mb, pkt, PKT_LEN);
        mb->pos = 0;
        rc = srtp_encrypt(tx, mb);
        if (!rc && both) {
            mb->pos = 0;
            rc = srtp_decrypt(rx, mb);
        }
    }
    double t1 = now();
    if (rc)
        fprintf(stderr, "bench_srtp: libre srtp failed (%d)\n", rc);
    else
        printf("libre direct:                  %-18s %6.0f ns/packet\n",
               both ? "protect+unprotect" : "protect", (t1 - t0) / n * 1e9);
    mem_deref(mb);
    mem_deref(tx);
    mem_deref(rx);
    return rc ? -1 : 0;
}
#endif

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    if (n <= 0)
        n = 200000;
    ar_crypto key = {.suite = AR_CRYPTO_AES_CM_128_HMAC_SHA1_80};
    for (int i = 0; i < AR_CRYPTO_KEY_LEN; i++)
        key.key[i] = (uint8_t)(i * 7 + 1);
    if (argc > 2 && strcmp(argv[2], "--cold") == 0)
        return bench_ar_cold(&key, n, COLD_STREAMS) ? 1 : 0;
    int rc = bench_ar(&key, n, 0) || bench_ar(&key, n, 1) || bench_ar_cold(&key, n, COLD_STREAMS);
    fflush(stdout);
    /* libsrtp2's kernel is chosen once per process: the stock one runs in a child. */
    if (!rc && !getenv("AREC_SRTP_KERNEL") && strcmp(ar_srtp_kernel(), "libre") != 0) {
        extern char **environ;
        char packets[16];
        snprintf(packets, sizeof(packets), "%d", n);
        char *args[] = {argv[0], packets, "--no-libre", NULL};
        setenv("AREC_SRTP_KERNEL", "stock", 1);
        pid_t pid;
        int status = 0;
        if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) != 0 ||
            waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 1;
        unsetenv("AREC_SRTP_KERNEL");
    }
    if (argc > 2 && strcmp(argv[2], "--no-libre") == 0)
        return rc ? 1 : 0;
#ifdef AREC_HAVE_LIBRE
    rc = rc || bench_re(&key, n, 0) || bench_re(&key, n, 1);
#else
    printf("libre: not built (install libre-dev and re-run cmake to compare)\n");
#endif
    return rc ? 1 : 0;
}
