/* map_fuzz.c: a seeded random + mutation fuzzer for the NSS map reader (nss/nss_map.c), built
 * with -fsanitize=address,undefined by test/native/nss-map-fuzz.test.ts. Any out-of-bounds
 * read, overflow or loop shows up as a sanitizer abort or a timeout.
 *
 *   map_fuzz INPUTS RNG_SEED SEED_FILE...
 *
 * Seed files are maps the real writer produced. Each input is one seed, mutated: bytes
 * flipped, u32 words set to edge values (0, 1, lengths past the end, 0xffffffff, offsets of
 * other places in the file) anywhere or in the header fields, tables and record frames,
 * truncation or extension, with the header's file_size kept consistent in most inputs so the
 * deep paths are reached. Every input is copied into a buffer of exactly its length (ASan sees
 * one byte past it) and then: view init, lookups of every name and number the seeds hold plus
 * a few absent ones, full enumeration, and the initgroups list of every passwd hit.
 * Prints inputs=N accepted=A found=F (views that passed init, lookups that hit). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>

#include "../../../nss/nss_map.h"

#define MAX_SEEDS 8
#define MAX_KEYS 256

static uint8_t *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS];
static int nseeds;
static char *names[MAX_KEYS];
static uint32_t numbers[MAX_KEYS];
static int nnames, nnumbers;
static uint64_t rng;

static uint32_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void add_name(struct ward_str s) {
    if (nnames < MAX_KEYS) names[nnames++] = strndup(s.p, s.len);
}

static void add_number(uint32_t n) {
    if (nnumbers < MAX_KEYS) numbers[nnumbers++] = n;
}

/* The keys a valid seed holds, so mutated inputs are asked about what they (nearly) contain. */
static void harvest(const struct nss_map_view *v) {
    struct ward_passwd pw;
    struct ward_group gr;
    for (uint32_t i = 0; nss_map_pw_at(v, i, &pw) == 1; i++) {
        add_name(pw.name);
        add_number(pw.uid);
    }
    for (uint32_t i = 0; nss_map_gr_at(v, i, &gr) == 1; i++) {
        add_name(gr.name);
        add_number(gr.gid);
    }
}

static uint32_t edge_value(size_t len) {
    static const uint32_t fixed[] = {0, 1, 3, 4, 8, 127, 128, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff};
    switch (next() % 4) {
    case 0: return fixed[next() % (sizeof fixed / sizeof fixed[0])];
    case 1: return (uint32_t)len + (next() % 16) - 8;
    case 2: return next() % (uint32_t)(len + 1);
    default: return next();
    }
}

static void put32(uint8_t *p, size_t len, size_t at, uint32_t v) {
    if (at + 4 <= len) memcpy(p + at, &v, 4);
}

static void fix_size(uint8_t *p, size_t len) {
    uint64_t n = len;
    if (len >= WARD_MAP_HEADER_SIZE) memcpy(p + WARD_MAP_H_FILE_SIZE, &n, 8);
}

/* One buffer for all inputs; the bytes past each input are poisoned, so ASan reports any read
 * beyond its length as if it were an exact-size allocation (without a malloc per input). */
static uint8_t *arena;
static size_t arena_cap;

/* One mutated input at the start of the arena; *out_len is its length. */
static uint8_t *mutate(size_t *out_len) {
    int s = (int)(next() % (uint32_t)nseeds);
    size_t len = seed_len[s];
    uint32_t mode = next() % 10;
    uint8_t *p = arena;
    if (mode == 0) len = next() % (len + 1);                 /* truncated */
    else if (mode == 1) len += next() % 64;                  /* extended */
    ASAN_UNPOISON_MEMORY_REGION(arena, arena_cap);
    memcpy(p, seeds[s], len < seed_len[s] ? len : seed_len[s]);
    if (len > seed_len[s]) memset(p + seed_len[s], (int)(next() & 0xff), len - seed_len[s]);
    for (uint32_t k = 0, edits = 1 + next() % 4; k < edits && len > 0; k++) {
        switch (next() % 5) {
        case 0: p[next() % len] ^= (uint8_t)(1u << (next() % 8)); break;
        case 1: p[next() % len] = (uint8_t)next(); break;
        case 2: put32(p, len, (next() % (uint32_t)((len + 3) / 4)) * 4, edge_value(len)); break;
        case 3: put32(p, len, 8 + (next() % 22) * 4, edge_value(len)); break; /* header fields */
        default: put32(p, len, next() % len, edge_value(len)); break;      /* unaligned */
        }
    }
    if (next() % 8 != 0) fix_size(p, len);
    ASAN_POISON_MEMORY_REGION(arena + len, arena_cap - len);
    *out_len = len;
    return p;
}

static long found;

static void exercise(const struct nss_map_view *v) {
    struct ward_passwd pw;
    struct ward_group gr;
    struct ward_cur rest;
    gid_t gids[64];
    uint32_t count;
    (void)nss_map_view_flags(v);
    (void)nss_map_view_heartbeat(v);
    for (int k = 0; k < 4; k++) {
        const char *name = names[next() % (uint32_t)nnames];
        uint32_t number = numbers[next() % (uint32_t)nnumbers];
        if (nss_map_pw_by_name(v, name, &pw, &rest) == 1) {
            found++;
            nss_map_pw_gids(rest, &count, gids, 64);
        }
        found += nss_map_gr_by_name(v, name, &gr) == 1;
        found += nss_map_pw_by_uid(v, number, &pw, NULL) == 1;
        found += nss_map_gr_by_gid(v, number, &gr) == 1;
    }
    found += nss_map_pw_by_name(v, "nobody-here", &pw, NULL) == 1;
    for (uint32_t i = 0; i < 64 && i < v->pw_count; i++) found += nss_map_pw_at(v, i, &pw) == 1;
    for (uint32_t i = 0; i < 64 && i < v->gr_count; i++) {
        struct ward_str m;
        if (nss_map_gr_at(v, i, &gr) != 1) continue;
        for (uint32_t k = 0; k < gr.nmembers; k++)
            if (ward_get_str(&gr.members, &m) != 0) abort(); /* checked by the reader already */
        found++;
    }
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) exit(2);
    p = malloc((size_t)n);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) exit(2);
    fclose(f);
    *len = (size_t)n;
    return p;
}

int main(int argc, char **argv) {
    long inputs, accepted = 0;
    if (argc < 4) return 64;
    inputs = atol(argv[1]);
    rng = strtoull(argv[2], NULL, 10) | 1;
    for (int i = 3; i < argc && nseeds < MAX_SEEDS; i++) {
        struct nss_map_view v;
        seeds[nseeds] = read_file(argv[i], &seed_len[nseeds]);
        if (nss_map_view_init(&v, seeds[nseeds], seed_len[nseeds]) != 0) {
            fprintf(stderr, "seed %s is not a valid map\n", argv[i]);
            return 2;
        }
        harvest(&v);
        if (seed_len[nseeds] + 64 > arena_cap) arena_cap = seed_len[nseeds] + 64;
        nseeds++;
    }
    arena = malloc(arena_cap);
    for (long n = 0; n < inputs; n++) {
        struct nss_map_view v;
        size_t len;
        uint8_t *p = mutate(&len);
        if (nss_map_view_init(&v, p, len) == 0) {
            accepted++;
            exercise(&v);
        }
    }
    printf("inputs=%ld accepted=%ld found=%ld\n", inputs, accepted, found);
    return 0;
}
