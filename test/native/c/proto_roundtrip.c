/* proto_roundtrip.c: the C side of test/native/proto-roundtrip.test.ts. It proves the shared C
 * client (packages/proto/c) reads and writes exactly what the TypeScript codec does.
 *
 *   proto_roundtrip decode   stdin: repeated [u32 op code][u32 length][payload] (a response
 *                            frame tagged with its op). stdout: one line per frame, the decoded
 *                            values in wire order as JSON ([status, field...]; records as
 *                            arrays), or ERROR when the client's decoders refuse the frame.
 *                            The response shape of each op comes from ward_proto.h's *_RESP_SIG.
 *   proto_roundtrip encode   stdout: a fixed list of requests encoded with ward_req_*, each a
 *                            complete frame; then checks of the encoder's refusals on stderr.
 *   proto_roundtrip names    stdin: one name per line. stdout: 1 or 0 per line (ward_name_valid).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward_client.h"

#define OP(name)                                                                                                       \
    { WARD_OP_##name, WARD_OP_##name##_RESP_SIG }
static const struct {
    uint32_t code;
    const char *sig;
} OPS[] = {
    OP(PW_BY_NAME),    OP(PW_BY_UID),   OP(PW_ENUM),          OP(GR_BY_NAME),  OP(GR_BY_GID),   OP(GR_ENUM),
    OP(INITGROUPS),    OP(SSH_KEYS),    OP(STATUS),           OP(PAM_AUTH),    OP(PAM_ACCOUNT), OP(PAM_SESSION),
    OP(PAM_CHAUTHTOK), OP(CACHE_CLEAR), OP(CACHE_INVALIDATE), OP(HOME_CREATE),
};

/* ---- A tiny JSON writer into a growing buffer ------------------------------------------- */
struct out {
    char *p;
    size_t len, cap;
};

static void out_raw(struct out *o, const char *s, size_t n) {
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
        if (o->p == NULL) abort();
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void out_s(struct out *o, const char *s) { out_raw(o, s, strlen(s)); }

static void out_u32(struct out *o, uint32_t v) {
    char b[16];
    snprintf(b, sizeof b, "%u", v);
    out_s(o, b);
}

static void out_str(struct out *o, struct ward_str s) {
    out_s(o, "\"");
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            out_raw(o, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            out_s(o, esc);
        } else {
            out_raw(o, (const char *)&s.p[i], 1);
        }
    }
    out_s(o, "\"");
}

/* ---- Decoding by signature, records through the library's own decoders ------------------ */
static int dump_passwd(struct ward_cur *c, struct out *o) {
    struct ward_passwd pw;
    if (ward_get_passwd(c, &pw) != 0) return -1;
    out_s(o, "[");
    out_str(o, pw.name);
    out_s(o, ",");
    out_u32(o, pw.uid);
    out_s(o, ",");
    out_u32(o, pw.gid);
    out_s(o, ",");
    out_str(o, pw.gecos);
    out_s(o, ",");
    out_str(o, pw.dir);
    out_s(o, ",");
    out_str(o, pw.shell);
    out_s(o, "]");
    return 0;
}

static int dump_group(struct ward_cur *c, struct out *o) {
    struct ward_group gr;
    if (ward_get_group(c, &gr) != 0) return -1;
    out_s(o, "[");
    out_str(o, gr.name);
    out_s(o, ",");
    out_u32(o, gr.gid);
    out_s(o, ",[");
    for (uint32_t i = 0; i < gr.nmembers; i++) {
        struct ward_str m;
        if (ward_get_str(&gr.members, &m) != 0) return -1; /* must not happen: checked */
        if (i) out_s(o, ",");
        out_str(o, m);
    }
    if (ward_get_end(&gr.members) != 0) return -1;
    out_s(o, "]]");
    return 0;
}

static int dump_one(struct ward_cur *c, const char *type, struct out *o) {
    uint32_t v;
    struct ward_str s;
    if (strcmp(type, "u32") == 0) {
        if (ward_get_u32(c, &v) != 0) return -1;
        out_u32(o, v);
        return 0;
    }
    if (strcmp(type, "str") == 0) {
        if (ward_get_str(c, &s) != 0) return -1;
        out_str(o, s);
        return 0;
    }
    if (strcmp(type, "passwd") == 0) return dump_passwd(c, o);
    if (strcmp(type, "group") == 0) return dump_group(c, o);
    return -1;
}

/* A list type ("strs", "u32s", "passwd[]", "group[]") or a single one. */
static int dump_field(struct ward_cur *c, const char *type, struct out *o) {
    const char *item = NULL;
    char rec[32];
    uint32_t n;
    size_t tl = strlen(type);
    if (strcmp(type, "strs") == 0)
        item = "str";
    else if (strcmp(type, "u32s") == 0)
        item = "u32";
    else if (tl > 2 && tl < sizeof rec && strcmp(type + tl - 2, "[]") == 0) {
        memcpy(rec, type, tl - 2);
        rec[tl - 2] = '\0';
        item = rec;
    }
    if (item == NULL) return dump_one(c, type, o);
    if (ward_get_count(c, &n) != 0) return -1;
    out_s(o, "[");
    for (uint32_t i = 0; i < n; i++) {
        if (i) out_s(o, ",");
        if (dump_one(c, item, o) != 0) return -1;
    }
    out_s(o, "]");
    return 0;
}

static int decode_frame(uint32_t op, const uint8_t *payload, size_t len, struct out *o) {
    struct ward_cur c = {payload, len};
    const char *sig = NULL;
    uint32_t status;
    char types[256];

    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (OPS[i].code == op) sig = OPS[i].sig;
    if (sig == NULL || strlen(sig) >= sizeof types) return -1;
    if (ward_get_u32(&c, &status) != 0) return -1;
    out_s(o, "[");
    out_u32(o, status);
    if (status != WARD_STATUS_OK) {
        struct ward_str msg;
        if (ward_get_str(&c, &msg) != 0) return -1;
        out_s(o, ",");
        out_str(o, msg);
    } else if (sig[0] != '\0') {
        char *save = NULL;
        strcpy(types, sig);
        for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            out_s(o, ",");
            if (dump_field(&c, t, o) != 0) return -1;
        }
    }
    out_s(o, "]");
    return ward_get_end(&c);
}

static int read_be32(FILE *f, uint32_t *v) {
    uint8_t b[4];
    if (fread(b, 1, 4, f) != 4) return -1;
    *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return 0;
}

static int cmd_decode(void) {
    uint32_t op, len;
    while (read_be32(stdin, &op) == 0) {
        struct out o = {0};
        uint8_t *payload;
        if (read_be32(stdin, &len) != 0) return 2;
        payload = malloc(len ? len : 1);
        if (payload == NULL || fread(payload, 1, len, stdin) != len) return 2;
        if (decode_frame(op, payload, len, &o) == 0)
            printf("%s\n", o.p);
        else
            printf("ERROR\n");
        free(payload);
        free(o.p);
    }
    return 0;
}

/* ---- Encoding ---------------------------------------------------------------------------- */
static void emit(const struct ward_req *r) {
    if (r->invalid) {
        fprintf(stderr, "request unexpectedly invalid\n");
        exit(3);
    }
    fwrite(r->buf, 1, r->len, stdout);
}

static int cmd_encode(void) {
    static uint8_t buf[WARD_REQUEST_MAX + 4];
    struct ward_req r;
    char *big;

    ward_req_init(&r, buf, sizeof buf, WARD_OP_PW_BY_NAME), ward_req_str(&r, "alice"), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PW_BY_UID), ward_req_u32(&r, 70001), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PW_ENUM), ward_req_u32(&r, 256), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_GR_BY_NAME), ward_req_str(&r, "devs@example.com"), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_GR_BY_GID), ward_req_u32(&r, 4294967295u), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_GR_ENUM), ward_req_u32(&r, 0), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_INITGROUPS), ward_req_str(&r, "alice"), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_SSH_KEYS), ward_req_str(&r, ""), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_STATUS), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PAM_AUTH), ward_req_str(&r, "alice"),
        ward_req_str(&r, "p\xc3\xa4sswort \xe2\x9c\x93"), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PAM_CHAUTHTOK), ward_req_str(&r, "alice"), ward_req_str(&r, "old"),
        ward_req_str(&r, "new"), emit(&r);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_CACHE_CLEAR), emit(&r);
    fflush(stdout);

    /* Refusals: a buffer too small, a string over WARD_STR_MAX, a NULL string; wipe. */
    ward_req_init(&r, buf, 12, WARD_OP_PW_BY_NAME), ward_req_str(&r, "alice");
    if (!r.invalid) return fprintf(stderr, "overflow not refused\n"), 4;
    big = malloc(WARD_STR_MAX + 2);
    memset(big, 'a', WARD_STR_MAX + 1);
    big[WARD_STR_MAX + 1] = '\0';
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PW_BY_NAME), ward_req_str(&r, big);
    if (!r.invalid) return fprintf(stderr, "long string not refused\n"), 4;
    free(big);
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PW_BY_NAME), ward_req_str(&r, NULL);
    if (!r.invalid) return fprintf(stderr, "NULL string not refused\n"), 4;
    ward_req_init(&r, buf, sizeof buf, WARD_OP_PAM_AUTH), ward_req_str(&r, "secret");
    ward_req_wipe(&r);
    for (size_t i = 0; i < sizeof buf; i++)
        if (buf[i] != 0) return fprintf(stderr, "wipe left bytes\n"), 4;
    fprintf(stderr, "refusals ok\n");
    return 0;
}

static int cmd_names(void) {
    char line[1024];
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        printf("%d\n", ward_name_valid(line));
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "decode") == 0) return cmd_decode();
    if (argc == 2 && strcmp(argv[1], "encode") == 0) return cmd_encode();
    if (argc == 2 && strcmp(argv[1], "names") == 0) return cmd_names();
    fprintf(stderr, "usage: proto_roundtrip decode|encode|names\n");
    return 64;
}
