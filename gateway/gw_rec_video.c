/* Video recording (seed "Video Recording"): request parsing and the parties' video lines. */
#include "gw_rec_video.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"

bool gw_rec_sdp_has_video(const char *sdp)
{
    for (const char *l = sdp; l && *l;) {
        const char *eol = strpbrk(l, "\r\n");
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        if (len > 8 && strncmp(l, "m=video ", 8) == 0) {
            char *end = NULL;
            long port = strtol(l + 8, &end, 10);
            /* "m=video 0 ..." is a declined line; a port with junk is not a line at all. */
            if (end != l + 8 && (*end == ' ' || *end == '/') && port > 0 && port < 65536)
                return true;
        }
        if (!eol)
            break;
        l = eol + strspn(eol, "\r\n");
    }
    return false;
}

int gw_rec_ext_audio_only(const tl_kv *ext, bool *out)
{
    *out = false;
    const tl_value *v = ext ? tl_kv_get(ext, "audio-only") : NULL;
    if (!v)
        return AR_E_OK;
    if (v->type == TL_T_INT) {
        if (v->u.i != 0 && v->u.i != 1)
            return AR_E_INVALID_VALUE;
        *out = v->u.i == 1;
        return AR_E_OK;
    }
    const char *s = tl_kv_get_str(ext, "audio-only");
    if (!s)
        return AR_E_WRONG_TYPE;
    if (g_ascii_strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (g_ascii_strcasecmp(s, "false") != 0 && strcmp(s, "0") != 0)
        return AR_E_INVALID_VALUE;
    return AR_E_OK;
}
