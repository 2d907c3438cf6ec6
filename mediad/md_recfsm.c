/* Recording-session transitions: serialised re-INVITEs, one failure report, media on/off. */

/* Pause/resume/updates wait behind a pending transaction; a failure is reported once;
 * media follows what the recorder was last told. */
#include "md_recfsm.h"

/* After a transaction completed: start another one if the wanted state moved on. */
static int settle(md_rec_fsm *f)
{
    if (f->want_paused != f->sent_paused || f->want_update) {
        f->sent_paused = f->want_paused;
        f->want_update = 0;
        f->state = MD_REC_UPDATING;
        /* Pausing stops media before the recorder is told; resuming waits for its OK. */
        return MD_ACT_REINVITE | (f->sent_paused ? MD_ACT_MEDIA_OFF : 0);
    }
    f->state = MD_REC_ACTIVE;
    return f->sent_paused ? MD_ACT_MEDIA_OFF : MD_ACT_MEDIA_ON;
}

int md_rec_fsm_step(md_rec_fsm *f, md_rec_event ev)
{
    switch (f->state) {
    case MD_REC_IDLE:
        if (ev == MD_EV_START) {
            f->state = MD_REC_INVITING;
            f->sent_paused = f->want_paused;
            return MD_ACT_INVITE;
        }
        if (ev == MD_EV_PAUSE || ev == MD_EV_RESUME) {
            f->want_paused = ev == MD_EV_PAUSE;
            return 0;
        }
        if (ev == MD_EV_STOP) {
            f->state = MD_REC_CLOSED;
            return MD_ACT_RELEASE;
        }
        return 0;
    case MD_REC_INVITING:
    case MD_REC_UPDATING:
        switch (ev) {
        case MD_EV_ANSWER_OK:
            return settle(f);
        case MD_EV_ANSWER_FAIL:
        case MD_EV_PEER_BYE: {
            /* A failed re-INVITE leaves an established dialog to end; a failed INVITE
             * or a BYE from the recorder leaves none. */
            int bye = ev == MD_EV_ANSWER_FAIL && f->state == MD_REC_UPDATING;
            f->state = MD_REC_FAILED;
            return MD_ACT_REPORT | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE | (bye ? MD_ACT_BYE : 0);
        }
        case MD_EV_PAUSE:
            f->want_paused = 1;
            /* Stop the media now; the re-INVITE follows when the pending one ends. */
            return MD_ACT_MEDIA_OFF;
        case MD_EV_RESUME:
            f->want_paused = 0;
            return 0;
        case MD_EV_UPDATE:
            f->want_update = 1;
            return 0;
        case MD_EV_STOP:
            f->state = MD_REC_CLOSING;
            return MD_ACT_BYE | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE;
        default:
            return 0;
        }
    case MD_REC_ACTIVE:
        switch (ev) {
        case MD_EV_PAUSE:
        case MD_EV_RESUME:
            f->want_paused = ev == MD_EV_PAUSE;
            if (f->want_paused == f->sent_paused)
                return 0; /* a second pause does nothing, and says so by doing nothing */
            return settle(f);
        case MD_EV_UPDATE:
            f->want_update = 1;
            return settle(f);
        case MD_EV_STOP:
            f->state = MD_REC_CLOSING;
            return MD_ACT_BYE | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE;
        case MD_EV_PEER_BYE:
            f->state = MD_REC_FAILED;
            return MD_ACT_REPORT | MD_ACT_MEDIA_OFF | MD_ACT_RELEASE;
        case MD_EV_ANSWER_FAIL:
            f->state = MD_REC_FAILED;
            return MD_ACT_REPORT | MD_ACT_MEDIA_OFF | MD_ACT_BYE | MD_ACT_RELEASE;
        default:
            return 0;
        }
    case MD_REC_CLOSING:
        if (ev == MD_EV_ANSWER_OK || ev == MD_EV_ANSWER_FAIL || ev == MD_EV_PEER_BYE) {
            f->state = MD_REC_CLOSED;
            return 0;
        }
        return 0;
    case MD_REC_FAILED:
    case MD_REC_CLOSED:
        return 0;
    }
    return 0;
}

const char *md_rec_state_name(md_rec_state s)
{
    switch (s) {
    case MD_REC_IDLE:
        return "idle";
    case MD_REC_INVITING:
        return "inviting";
    case MD_REC_ACTIVE:
        return "active";
    case MD_REC_UPDATING:
        return "updating";
    case MD_REC_CLOSING:
        return "closing";
    case MD_REC_FAILED:
        return "failed";
    case MD_REC_CLOSED:
        return "closed";
    }
    return "?";
}
