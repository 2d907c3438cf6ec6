/* Unit tests for gw_stopguard: a stop that overruns its bound ends the process, one in time does
 * not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gw_stopguard.h"

/* Generous: the guard fires after 50 ms; this only catches a guard that never fires. */
#define CHILD_LIMIT_US (30 * G_USEC_PER_SEC)

/* Wait for the child (bounded); its wait status, or -1 (child killed) past the limit. */
static int reap(pid_t pid)
{
    gint64 end = g_get_monotonic_time() + CHILD_LIMIT_US;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 || g_get_monotonic_time() > end)
            break;
        g_usleep(10000); /* polling a child's exit: there is no fd to wait on */
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static void test_overrun_ends_the_process(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A stop stuck for good: only the guard can end this child. */
        gw_stopguard *g = gw_stopguard_start(50, 7);
        if (!g)
            _exit(2);
        for (;;)
            pause();
    }
    int st = reap(pid);
    assert_int_not_equal(st, -1);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
}

static void test_stop_in_time_keeps_the_process(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        gw_stopguard *g = gw_stopguard_start(60000, 7);
        if (!g)
            _exit(2);
        gw_stopguard_free(&g);
        _exit(g == NULL ? 0 : 3);
    }
    int st = reap(pid);
    assert_int_not_equal(st, -1);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_free_null(void **state)
{
    (void)state;
    gw_stopguard *g = NULL;
    gw_stopguard_free(&g);
    assert_null(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overrun_ends_the_process),
        cmocka_unit_test(test_stop_in_time_keeps_the_process),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
