/* SDP text edits the B2BUA needs: read / set the media direction, keep a dialog's o= line. */
#ifndef GW_SDPX_H
#define GW_SDPX_H

#include <stdint.h>

#include "gw_sipif.h"

/*
 * Direction of an SDP body: the first m= line with a non-zero port (media-level a=,
 * else session-level), INACTIVE for the old c=0.0.0.0 hold. Returns AR_E_OK or the
 * ar_sdp_parse() error (the body is then refused with 488).
 */
int gw_sdpx_dir(const char *sdp, gw_media_dir *out);
/* The direction an answerer mirrors (sendonly -> recvonly ...). */
gw_media_dir gw_sdpx_mirror(gw_media_dir d);
/*
 * A copy of sdp in which every a=sendrecv/sendonly/recvonly/inactive line is dropped
 * and a=<dir> closes each media section (or the session when there is no m= line).
 * Free with g_free().
 */
char *gw_sdpx_set_dir(const char *sdp, gw_media_dir dir);

/*
 * The o= line one dialog has used. RFC 3264 8: within a dialog every new offer keeps
 * the origin (user, session id, address) and increments the version, even when the
 * body now comes from another party (transfer, media server inserted).
 */
typedef struct {
    char *user, *sess_id, *tail; /* tail = "IN IP4 addr" */
    uint64_t version;
    char *last_in;  /* the last body given to restamp (as the model passed it) */
    char *last_out; /* what was sent for it */
} gw_sdpx_origin;

/*
 * The body to send on the dialog for sdp: the first one as is (its o= becomes the
 * dialog's), the same input again unchanged, a different one with the dialog's o=
 * and version + 1. Returns a borrowed pointer (o->last_out), valid until the next call.
 */
const char *gw_sdpx_restamp(gw_sdpx_origin *o, const char *sdp);
void gw_sdpx_origin_clear(gw_sdpx_origin *o);

#endif
