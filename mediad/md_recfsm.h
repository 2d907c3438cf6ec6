/* State machine of one recording session toward a recorder (no I/O: pure transitions). */
#ifndef MD_RECFSM_H
#define MD_RECFSM_H

typedef enum {
    MD_REC_IDLE = 0, /* created, INVITE not sent yet */
    MD_REC_INVITING, /* initial INVITE in progress */
    MD_REC_ACTIVE,   /* established, no transaction pending */
    MD_REC_UPDATING, /* re-INVITE (pause / resume / party change) in progress */
    MD_REC_CLOSING,  /* BYE sent */
    MD_REC_FAILED,   /* rejected, timed out or dropped: reported, media stopped */
    MD_REC_CLOSED,   /* ended normally */
} md_rec_state;

typedef enum {
    MD_EV_START,       /* recording requested */
    MD_EV_ANSWER_OK,   /* 2xx to the INVITE or re-INVITE */
    MD_EV_ANSWER_FAIL, /* >= 300 or timeout to the INVITE or re-INVITE */
    MD_EV_PAUSE,       /* MSML pause (or party mute) */
    MD_EV_RESUME,      /* MSML resume */
    MD_EV_UPDATE,      /* party media changed: re-offer with o= version + 1 */
    MD_EV_STOP,        /* MSML stop / destroy, or the call ended */
    MD_EV_PEER_BYE,    /* the recorder sent BYE */
} md_rec_event;

/* Actions for the caller to perform, as a bit set. */
enum {
    MD_ACT_INVITE = 1 << 0,    /* send the initial INVITE (sendonly or inactive) */
    MD_ACT_REINVITE = 1 << 1,  /* send a re-INVITE reflecting want_paused */
    MD_ACT_BYE = 1 << 2,       /* end the dialog */
    MD_ACT_REPORT = 1 << 3,    /* tell the controlling side the recording failed */
    MD_ACT_MEDIA_ON = 1 << 4,  /* let RTP flow to the recorder */
    MD_ACT_MEDIA_OFF = 1 << 5, /* stop RTP to the recorder */
    MD_ACT_RELEASE = 1 << 6,   /* free the session's streams and handle */
};

typedef struct {
    md_rec_state state;
    int want_paused; /* what the controller asked for */
    int sent_paused; /* what the recorder was last offered */
    int want_update; /* a party change is waiting for the pending transaction */
} md_rec_fsm;

/* Apply one event; returns the MD_ACT_* bits. Events that make no sense in a state
 * (a second START, PAUSE after failure ...) return 0 and change nothing. */
int md_rec_fsm_step(md_rec_fsm *f, md_rec_event ev);
const char *md_rec_state_name(md_rec_state s);

#endif
