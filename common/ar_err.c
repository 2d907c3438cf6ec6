/* Error table lookups generated from AR_ERRORS. */
#include "ar_err.h"

#include <stddef.h>

const char *ar_strerror(int code)
{
    switch (code) {
#define AR_ERR_MSG(name, num, msg)                                                                 \
    case num:                                                                                      \
        return msg;
        AR_ERRORS(AR_ERR_MSG)
#undef AR_ERR_MSG
    }
    return "unknown error";
}

const char *ar_errname(int code)
{
    switch (code) {
#define AR_ERR_NAME(name, num, msg)                                                                \
    case num:                                                                                      \
        return #name;
        AR_ERRORS(AR_ERR_NAME)
#undef AR_ERR_NAME
    }
    return NULL;
}
