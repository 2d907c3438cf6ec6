/* Recording kept across transfers: the recorded side stays, its session goes on. */
#include "gw_rec_int.h"

#include <string.h>

#include "ar_err.h"
#include "ar_log.h"
#include "gw_site.h"

/*
 * The seed's "Transfers": recording is sticky to the recorded side. When the other party of
 * the recorded pair leaves (a single-step or two-step transfer) while the recordDN party
 * stays, "the Recording Session is maintained and should expect a reINVITE to re-negotiate
 * the media between D1 and D3. The media control dialog between SIP Server and Media Server
 * is also maintained by only sending reINVITES to the media control dialog."
 *
 * So the recording (record id, mediad conference, recorder session, GSIP_RECORD) is left as
 * it is and the two mediad legs are kept. The call model connects the recorded party with
 * the new one directly, as for any transfer; once both are established and their offer /
 * answer is over, each mediad leg is re-INVITEd with its party's current SDP (the old
 * party's leg now gets the new party's) and each party is re-INVITEd with mediad's answer.
 * The recorder sees one session, whose channel 2 changes speaker; the WAV goes on.
 *
 * Nothing polls: the model calls gw_rec_established when the new party answers and
 * gw_rec_settled when a party's offer/answer ends, and each of them re-checks. A timer
 * only bounds the wait once the new party is there (KEEP_SETTLE_MS), as a safety net for
 * an offer/answer that never ends.
 */

#define KEEP_SETTLE_MS 10000

static bool keep_fire(void *arg);

static void keep_timer(struct gw_rec_call *rc)
{
    gw_calls *calls = rc->call->calls;
    if (!rc->keep_timer && calls->timers.add)
        rc->keep_timer = calls->timers.add(calls->timers.ud, KEEP_SETTLE_MS, keep_fire, rc);
}

static void keep_timer_stop(struct gw_rec_call *rc)
{
    if (rc->keep_timer && rc->call->calls->timers.cancel)
        rc->call->calls->timers.cancel(rc->call->calls->timers.ud, rc->keep_timer);
    rc->keep_timer = 0;
}

bool gw_rec_keep_party_gone(struct gw_rec_call *rc, gw_party *p)
{
    gw_call *call = rc->call;
    gw_party *a = rc->party[0];
    if (p != rc->party[1] || !a || !a->leg || call->ending || call->conf || !rc->inserted ||
        (rc->state != RS_ON && rc->state != RS_PAUSED))
        return false;
    /* Somebody else must be (or be coming) in the call: a two-party call that loses a
       party is ending. */
    bool others = false;
    for (gw_party *q = call->parties; q && !others; q = q->next)
        others = q != p && q != a && q->leg;
    if (!others)
        return false;
    rc->party[1] = NULL;
    rc->keep = true;
    rc->rejoin[0] = rc->rejoin[1] = false;
    if (rc->msc[1])
        rc->msc[1]->pend_peer = NULL;
    LOG_INFO(rec, "call %016llx: recording %s kept: DN %s left, recorded DN %s stays",
             (unsigned long long)call->connid, rc->id, p->dn, a->dn);
    /* The model is in the middle of the transfer: the new party's answer or the end of
       the bridging offer/answer calls gw_rec_keep_try. The timer is the safety net for a
       transfer that never reports either (a bridging re-INVITE that could not start). */
    keep_timer(rc);
    return true;
}

/* Both mediad legs get their party's SDP; each party then gets mediad's answer. */
static void rejoin(struct gw_rec_call *rc, gw_party *b)
{
    gw_call *call = rc->call;
    gw_calls *calls = call->calls;
    rc->party[1] = b;
    rc->keep = false;
    keep_timer_stop(rc);
    g_strlcpy(rc->msc[1]->dn, b->dn, sizeof rc->msc[1]->dn);
    g_strlcpy(rc->msc[1]->number, b->dn, sizeof rc->msc[1]->number);
    for (int i = 0; i < 2; i++) {
        gw_party *f = rc->msc[i];
        rc->rejoin[i] = calls->ops && calls->ops->reinvite && f->leg &&
                        calls->ops->reinvite(calls->sip, f->leg, rc->party[i]->sdp) == AR_E_OK;
        if (!rc->rejoin[i]) {
            gw_rec_fail(rc, "mediad leg could not be re-INVITEd for the new party");
            gw_rec_msc_abort(rc, "re-INVITE failed");
            return;
        }
        f->pend_peer = NULL;
    }
    LOG_INFO(rec, "call %016llx: recording %s continues with DN %s (recordDN %s)",
             (unsigned long long)call->connid, rc->id, b->dn, rc->party[0]->dn);
}

typedef enum { KEEP_NOBODY, KEEP_PENDING, KEEP_READY } keep_wait;

/* Where the transfer stands: nobody new answered yet, the model still negotiating the new
   pair's media, or ready for the mediad legs (*b the new party). */
static keep_wait keep_state(struct gw_rec_call *rc, gw_party **b)
{
    gw_party *a = rc->party[0];
    *b = NULL;
    for (gw_party *q = rc->call->parties; q && !*b; q = q->next)
        if (q != a && q->leg && q->answered && q->state == GW_PS_ESTABLISHED && q->sdp)
            *b = q;
    if (!*b)
        return KEEP_NOBODY;
    /* The model is still connecting them: re-INVITEs now would cross its own. */
    if (a->pend != GW_PEND_NONE || (*b)->pend != GW_PEND_NONE || !a->sdp)
        return KEEP_PENDING;
    return KEEP_READY;
}

/* The legs went meanwhile: nothing to continue on. True when so. */
static bool keep_lost(struct gw_rec_call *rc)
{
    if (rc->inserted && rc->msc[0] && rc->msc[1])
        return false;
    rc->keep = false;
    gw_rec_fail(rc, "mediad legs lost during the transfer");
    gw_rec_msc_abort(rc, "transfer: mediad legs lost");
    return true;
}

void gw_rec_keep_try(struct gw_rec_call *rc)
{
    gw_call *call = rc->call;
    gw_party *b = NULL;
    if (!rc->keep || call->ending || !rc->party[0] || keep_lost(rc))
        return;
    if (gw_site_leaving(call))
        return; /* a REFER hands the call to another site: its phone is busy with that */
    switch (keep_state(rc, &b)) {
    case KEEP_NOBODY: /* gw_rec_established calls again when someone answers */
        return;
    case KEEP_PENDING: /* the end of its offer/answer calls gw_rec_settled */
        keep_timer(rc);
        return;
    case KEEP_READY:
        rejoin(rc, b);
        return;
    }
}

/* Safety net, KEEP_SETTLE_MS after the transfer or the new party's answer: still
   negotiating fails the recording; ready (a hook that never came) goes on; nobody new
   yet (a phone still ringing) waits for its answer, which arms the timer again. */
static bool keep_fire(void *arg)
{
    struct gw_rec_call *rc = arg;
    gw_party *b = NULL;
    rc->keep_timer = 0;
    if (rc->keep && !rc->call->ending && gw_site_leaving(rc->call)) {
        keep_timer(rc); /* the REFER's outcome (SIP-bounded) decides: look again later */
    } else if (rc->keep && !rc->call->ending && rc->party[0] && !keep_lost(rc)) {
        keep_wait st = keep_state(rc, &b);
        if (st == KEEP_READY) {
            rejoin(rc, b);
        } else if (st == KEEP_PENDING) {
            rc->keep = false;
            gw_rec_fail(rc, "the parties' media did not settle after the transfer");
            gw_rec_msc_abort(rc, "transfer did not settle");
        }
    }
    gw_server_flush(gw_rec_srv(rc->call));
    return false;
}

/*
 * The new pair is in place: the recorder's metadata and the database row name the new
 * other party. The recorder takes mid-session metadata as session params: a
 * modifyconference that keeps the recording's state (resume when On, pause when Paused)
 * with gvp:param otherDN, which mediad passes on in its next re-INVITE as X-Record-Params
 * (docs/mediad.md, docs/recorder.md `param_updates`). The row's other_dn follows, and its
 * other_dns lists every other party the recording had (schema/004).
 */
static void keep_announce(struct gw_rec_call *rc)
{
    gw_party *b = rc->party[1];
    if (!b || (rc->state != RS_ON && rc->state != RS_PAUSED))
        return;
    ar_msml m;
    ar_msml_init(&m);
    ar_msml_add_op(&m, rc->state == RS_PAUSED ? AR_MSML_OP_PAUSE : AR_MSML_OP_RESUME, CONF);
    ar_msml_add_param(&m, "otherDN", b->dn);
    if (gw_rec_sess_live(rc->s2))
        ar_msml_add_param(&m, "copy", "dest"); /* the second session's state stays as it is */
    int err = gw_rec_send_msml(rc, &m, INFO_UPDATE);
    if (err != AR_E_OK)
        LOG_WARN(rec, "call %016llx: recording %s: metadata update not sent: %s",
                 (unsigned long long)rc->call->connid, rc->id, ar_strerror(err));
    gw_rec_db_recording(rc, rc->state == RS_ON ? "active" : "paused", NULL, 0);
    gw_rec_sess_metadata(rc->call, rc->s2, b->dn); /* a second session's recorder too */
}

bool gw_rec_keep_sdp_answer(struct gw_rec_call *rc, int i, const char *sdp)
{
    if (!rc->rejoin[i])
        return false;
    rc->rejoin[i] = false;
    gw_party *f = rc->msc[i], *p = rc->party[i];
    gw_party_set_sdp(f, sdp);
    if (p && p->leg && sdp)
        gw_call_send_reinvite(rc->call->calls, p, sdp, GW_PEND_LOCAL, NULL);
    if (!rc->rejoin[0] && !rc->rejoin[1])
        keep_announce(rc); /* both legs carry the new pair */
    return true;
}

void gw_rec_keep_stop(struct gw_rec_call *rc)
{
    rc->keep = false;
    rc->rejoin[0] = rc->rejoin[1] = false;
    keep_timer_stop(rc);
}
