/* libFuzzer driver: mediad's OPTIONS answer body as gatewayd's pool monitor parses it. */
#include <stddef.h>
#include <stdint.h>

#include "gw_pool_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gw_pool_stats st;
    char why[128];
    gw_pool_stats_parse("application/json", (const char *)data, size, &st, why, sizeof why);
    return 0;
}
