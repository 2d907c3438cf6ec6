/* SDP text edits the B2BUA needs: read / set the media direction, keep a dialog's o= line. */
#include "gw_sdpx.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ar_err.h"
#include "ar_sdp.h"

static gw_media_dir from_ar(ar_sdp_dir d)
{
    switch (d) {
    case AR_SDP_DIR_SENDONLY:
        return GW_DIR_SENDONLY;
    case AR_SDP_DIR_RECVONLY:
        return GW_DIR_RECVONLY;
    case AR_SDP_DIR_INACTIVE:
        return GW_DIR_INACTIVE;
    default:
        return GW_DIR_SENDRECV;
    }
}

/*
 * The parse result of gw_sdpx_dir. ar_sdp is 74 KB: allocated and freed for every INVITE
 * it added malloc work to the parse (a free that large makes malloc consolidate its fast
 * bins and may trim the heap, whose pages the next INVITE faults back in). One per
 * thread, reused.
 */
static _Thread_local ar_sdp dir_scratch;

int gw_sdpx_dir(const char *sdp, gw_media_dir *out)
{
    *out = GW_DIR_SENDRECV;
    ar_sdp *s = &dir_scratch;
    int rc = ar_sdp_parse(sdp, strlen(sdp), s);
    if (rc != AR_E_OK)
        goto cleanup;
    *out = from_ar(s->dir);
    for (int i = 0; i < s->nmedia; i++) {
        const ar_sdp_media *m = &s->media[i];
        if (m->port == 0)
            continue;
        *out = from_ar(m->dir != AR_SDP_DIR_UNSET ? m->dir : s->dir);
        if (strcmp(m->addr, "0.0.0.0") == 0)
            *out = GW_DIR_INACTIVE;
        break;
    }
cleanup:
    return rc;
}

gw_media_dir gw_sdpx_mirror(gw_media_dir d)
{
    switch (d) {
    case GW_DIR_SENDONLY:
        return GW_DIR_RECVONLY;
    case GW_DIR_RECVONLY:
        return GW_DIR_SENDONLY;
    default:
        return d;
    }
}

static const char *dir_attr(gw_media_dir d)
{
    switch (d) {
    case GW_DIR_SENDONLY:
        return "a=sendonly";
    case GW_DIR_RECVONLY:
        return "a=recvonly";
    case GW_DIR_INACTIVE:
        return "a=inactive";
    default:
        return "a=sendrecv";
    }
}

static bool is_dir_line(const char *l, size_t n)
{
    static const char *const names[] = {"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (n == strlen(names[i]) && memcmp(l, names[i], n) == 0)
            return true;
    return false;
}

char *gw_sdpx_set_dir(const char *sdp, gw_media_dir dir)
{
    GString *g = g_string_sized_new(strlen(sdp) + 32);
    const char *attr = dir_attr(dir);
    bool in_media = false;
    const char *p = sdp;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t full = nl ? (size_t)(nl - p + 1) : strlen(p);
        size_t n = full;
        while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
            n--;
        if (n >= 2 && p[0] == 'm' && p[1] == '=') {
            if (in_media)
                g_string_append_printf(g, "%s\r\n", attr);
            in_media = true;
        }
        if (n && !is_dir_line(p, n)) {
            g_string_append_len(g, p, (gssize)n);
            g_string_append(g, "\r\n");
        }
        p += full;
    }
    g_string_append_printf(g, "%s\r\n", attr);
    return g_string_free(g, FALSE);
}

/* Split "o=user sess version tail" out of sdp; false when there is no usable o= line. */
static bool find_origin(const char *sdp, const char **line, size_t *len, char ***fields)
{
    const char *p = sdp;
    while (p && *p) {
        if (p[0] == 'o' && p[1] == '=') {
            const char *e = p + strcspn(p, "\r\n");
            char *text = g_strndup(p + 2, (gsize)(e - p - 2));
            char **f = g_strsplit(text, " ", 4);
            g_free(text);
            if (g_strv_length(f) != 4) {
                g_strfreev(f);
                return false;
            }
            *line = p;
            *len = (size_t)(e - p);
            *fields = f;
            return true;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

const char *gw_sdpx_restamp(gw_sdpx_origin *o, const char *sdp)
{
    if (o->last_in && strcmp(o->last_in, sdp) == 0)
        return o->last_out;
    const char *line;
    size_t len;
    char **f = NULL;
    char *out;
    if (!find_origin(sdp, &line, &len, &f)) {
        out = g_strdup(sdp); /* nothing to keep consistent */
    } else if (!o->user) {
        o->user = g_strdup(f[0]);
        o->sess_id = g_strdup(f[1]);
        o->version = g_ascii_strtoull(f[2], NULL, 10);
        o->tail = g_strdup(f[3]);
        out = g_strdup(sdp);
    } else {
        o->version++;
        GString *g = g_string_new_len(sdp, line - sdp);
        g_string_append_printf(g, "o=%s %s %" G_GUINT64_FORMAT " %s", o->user, o->sess_id,
                               o->version, o->tail);
        g_string_append(g, line + len);
        out = g_string_free(g, FALSE);
    }
    g_strfreev(f);
    g_free(o->last_in);
    g_free(o->last_out);
    o->last_in = g_strdup(sdp);
    o->last_out = out;
    return out;
}

void gw_sdpx_origin_clear(gw_sdpx_origin *o)
{
    g_free(o->user);
    g_free(o->sess_id);
    g_free(o->tail);
    g_free(o->last_in);
    g_free(o->last_out);
    memset(o, 0, sizeof *o);
}
