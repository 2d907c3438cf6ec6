/* Writes the seed corpus of the codec fuzzers: gen_corpus DIR (creates DIR/fuzz_tl_*). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tl_codec.h"

static int write_file(const char *dir, const char *sub, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        return -1;
    }
    return fclose(f);
}

/* Writes m as a binary frame and as JSON seeds named name.bin / name.json. */
static int seed(const char *dir, const char *name, tl_msg *m)
{
    ar_buf b = {0};
    char fn[256];
    int rc = tl_bin_encode(m, 1, &b);
    char *j = tl_json_encode_str(m);
    if (rc == 0 && j) {
        snprintf(fn, sizeof fn, "%s.bin", name);
        rc = write_file(dir, "fuzz_tl_bin", fn, b.data, b.len);
        snprintf(fn, sizeof fn, "%s.json", name);
        rc |= write_file(dir, "fuzz_tl_json", fn, j, strlen(j));
    } else {
        rc = -1;
    }
    free(j);
    ar_buf_free(&b);
    tl_msg_free(&m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int rc = 0;
    tl_msg *m = tl_msg_new(TL_M_RequestRegisterClient);
    tl_msg_set_int(m, TL_A_ReferenceID, 1);
    tl_msg_set_str(m, TL_A_ApplicationName, "demo");
    tl_msg_set_str(m, TL_A_ApplicationPassword, "secret");
    tl_msg_set_int(m, TL_A_ProtocolVersion, 1);
    rc |= seed(dir, "register_client", m);

    m = tl_msg_new(TL_M_EventRegistered);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_int(m, TL_A_ReferenceID, 7);
    tl_msg_set_int(m, TL_A_EventSequenceNumber, 12);
    tl_msg_set_int(m, TL_A_TimeStamp, -1);
    rc |= seed(dir, "registered", m);

    m = tl_msg_new(TL_M_RequestAttachUserData);
    tl_msg_set_int(m, TL_A_ReferenceID, 9);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_connid(m, TL_A_ConnID, 0x009a021843038407ull);
    tl_kv *ud = tl_kv_new();
    tl_kv_add_str(ud, "customer", "ACME \xe2\x82\xac \"q\"");
    tl_kv_add_int(ud, "priority", -5);
    tl_kv_add_bin(ud, "blob", "\x00\x01\xff", 3);
    tl_kv *n = tl_kv_new();
    tl_kv_add_str(n, "lang", "en");
    tl_kv *n2 = tl_kv_new();
    tl_kv_add_int(n2, "deep", 1);
    tl_kv_add_kv(n, "more", n2);
    tl_kv_add_kv(ud, "nested", n);
    tl_msg_set_kv(m, TL_A_UserData, ud);
    rc |= seed(dir, "attach_user_data", m);

    m = tl_msg_new(TL_M_RequestPrivateService);
    tl_msg_set_int(m, TL_A_ReferenceID, 3);
    tl_msg_set_str(m, TL_A_ThisDN, "5001");
    tl_msg_set_int(m, TL_A_PrivateMsgID, TL_GSIP_RECORD_START);
    tl_kv *ext = tl_kv_new();
    tl_kv_add_str(ext, "record", "source");
    tl_msg_set_kv(m, TL_A_Extensions, ext);
    rc |= seed(dir, "private_service", m);

    rc |= seed(dir, "error", tl_error_new(107, 5, "ThisDN is an integer, expected a string"));
    rc |= seed(dir, "ack", tl_msg_new(TL_M_EventACK));

    /* Two frames back to back, and one with a bad version, for the stream paths. */
    ar_buf b = {0};
    m = tl_error_new(105, 1, NULL);
    tl_bin_encode(m, 1, &b);
    tl_bin_encode(m, 1, &b);
    tl_msg_free(&m);
    rc |= write_file(dir, "fuzz_tl_bin", "two_frames.bin", b.data, b.len);
    b.data[2] = 9;
    rc |= write_file(dir, "fuzz_tl_bin", "bad_version.bin", b.data, b.len);
    ar_buf_free(&b);
    return rc ? 1 : 0;
}
