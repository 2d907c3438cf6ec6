/* Video recording (seed "Video Recording"): request parsing and the parties' video lines. */
#ifndef GW_REC_VIDEO_H
#define GW_REC_VIDEO_H

#include <stdbool.h>

#include "tl_msg.h"

/*
 * true when sdp has a video m= line with a port other than 0: such a party has video
 * that mediad bridges and may offer to the recorder. NULL or garbage: false.
 */
bool gw_rec_sdp_has_video(const char *sdp);

/*
 * Extensions `audio-only` of a recording request: absent -> *out = false (audio+video,
 * the seed's default); "true"/"1" -> true; "false"/"0" -> false (a string or an int).
 * Returns AR_E_OK, AR_E_WRONG_TYPE or AR_E_INVALID_VALUE.
 */
int gw_rec_ext_audio_only(const tl_kv *ext, bool *out);

#endif
