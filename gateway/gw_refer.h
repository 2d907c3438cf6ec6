/* Transfers a phone starts with REFER: the Refer-To Replaces parameter. */
#ifndef GW_REFER_H
#define GW_REFER_H

/* Longest Call-ID taken from a Replaces (longer ones are refused). */
#define GW_REFER_CALL_ID_MAX 256

/*
 * The Call-ID of the "Replaces=<call-id>;to-tag=..;from-tag=.." header parameter in the
 * headers part of a Refer-To URI (what follows '?', '&'-separated, %-escaped), or NULL
 * when there is none or it is malformed (bad %-escape, control character, empty, longer
 * than GW_REFER_CALL_ID_MAX). g_free() the result.
 */
char *gw_refer_replaces_call_id(const char *url_headers);

#endif
