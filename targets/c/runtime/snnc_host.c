/*
 * snnc_host.c — host program for models emitted by snnc (hand-written, not generated).
 *
 *   model [--model K] --input FILE [--digest] [--trace SAMPLE] [--quiet]
 *
 * FILE: "SNNI", int32 count, int32 size, then count*size int32 values (little-endian), NCHW.
 * Prints, one line each:
 *   out S v0 v1 ...                 readout sums of sample S after the last step
 *   d S T P spikes_hash v_hash      (--digest) after step T, population P: word-wise FNV-1a 32
 *                                   of the indices of the neurons that spiked, and of every
 *                                   membrane (int32), both in storage (channel-last) order
 *   s T P c0 c1 ... / v T P m0 ...  (--trace S) every spike and membrane of sample S, NCHW order
 *   overflow U acc v                saturation/wrap counts of unit U over the whole run
 * Exit status: 0 ok, 2 usage, 3 unreadable input, 4 input value out of range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snnc_model.h"

extern const snnc_model *const snnc_models[];
extern const int snnc_model_count;

static uint32_t fnv_word(uint32_t h, uint32_t w)
{
    return (h ^ w) * 16777619u;
}

static int32_t *field(void *state, size_t offset) { return (int32_t *)((char *)state + offset); }

static void population_digest(const snnc_population *p, void *state, uint32_t *hs, uint32_t *hv)
{
    const int32_t *s = field(state, p->spikes_offset);
    const int32_t *v = field(state, p->v_offset);
    uint32_t a = 2166136261u, b = 2166136261u;
    int32_t size = p->c * p->h * p->w;
    for (int32_t i = 0; i < size; i++) {
        if (s[i]) a = fnv_word(a, (uint32_t)i);
        b = fnv_word(b, (uint32_t)v[i]);
    }
    *hs = a;
    *hv = b;
}

static void population_trace(const snnc_population *p, void *state, int32_t t, int pi)
{
    const int32_t *s = field(state, p->spikes_offset);
    const int32_t *v = field(state, p->v_offset);
    printf("s %d %d", (int)t, pi);
    for (int32_t c = 0; c < p->c; c++)
        for (int32_t q = 0; q < p->h * p->w; q++) printf(" %d", (int)s[q * p->c + c]);
    printf("\nv %d %d", (int)t, pi);
    for (int32_t c = 0; c < p->c; c++)
        for (int32_t q = 0; q < p->h * p->w; q++) printf(" %ld", (long)v[q * p->c + c]);
    printf("\n");
}

static int32_t read_i32(const unsigned char *b) { return (int32_t)((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24)); }

int main(int argc, char **argv)
{
    const char *input_path = NULL;
    int model_index = 0, digest = 0, quiet = 0;
    long trace = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc) input_path = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model_index = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--digest")) digest = 1;
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else if (!strcmp(argv[i], "--trace") && i + 1 < argc) trace = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--model K] --input FILE [--digest] [--trace SAMPLE] [--quiet]\n", argv[0]);
            return 2;
        }
    }
    if (!input_path || model_index < 0 || model_index >= snnc_model_count) {
        fprintf(stderr, "usage: %s [--model K] --input FILE [--digest] [--trace SAMPLE] [--quiet]\n", argv[0]);
        return 2;
    }
    const snnc_model *m = snnc_models[model_index];
    FILE *f = fopen(input_path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", input_path);
        return 3;
    }
    unsigned char head[12];
    if (fread(head, 1, 12, f) != 12 || memcmp(head, "SNNI", 4) != 0) {
        fprintf(stderr, "%s: not an SNNI input file\n", input_path);
        fclose(f);
        return 3;
    }
    int32_t count = read_i32(head + 4), size = read_i32(head + 8);
    if (size != m->input_size || count < 0) {
        fprintf(stderr, "%s: samples of %d values, model %s takes %d\n", input_path, (int)size, m->name, (int)m->input_size);
        fclose(f);
        return 3;
    }
    unsigned char *raw = malloc((size_t)size * 4u + 1u);
    int32_t *input = malloc((size_t)size * sizeof(int32_t) + 1u);
    void *state = calloc(1, m->state_size);
    if (!raw || !input || !state) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    m->init(state);
    for (int32_t n = 0; n < count; n++) {
        if (fread(raw, 4, (size_t)size, f) != (size_t)size) {
            fprintf(stderr, "%s: truncated at sample %d\n", input_path, (int)n);
            return 3;
        }
        for (int32_t i = 0; i < size; i++) input[i] = read_i32(raw + 4 * i);
        if (m->begin(state, input) != 0) {
            fprintf(stderr, "%s: sample %d has a value outside [%d, %d]\n", input_path, (int)n, (int)m->input_min, (int)m->input_max);
            return 4;
        }
        for (int32_t t = 1; t <= m->run_steps; t++) {
            m->step(state, t);
            for (int p = 0; p < m->population_count; p++) {
                if (digest) {
                    uint32_t hs, hv;
                    population_digest(&m->populations[p], state, &hs, &hv);
                    printf("d %d %d %d %08lx %08lx\n", (int)n, (int)t, p, (unsigned long)hs, (unsigned long)hv);
                }
                if (trace == n) population_trace(&m->populations[p], state, t, p);
            }
        }
        if (!quiet) {
            const int64_t *out = m->output(state);
            printf("out %d", (int)n);
            for (int32_t k = 0; k < m->output_size; k++) printf(" %lld", (long long)out[k]);
            printf("\n");
        }
    }
    for (int u = 0; u < m->unit_count; u++) {
        const uint64_t *acc = (const uint64_t *)((char *)state + m->units[u].acc_offset);
        const uint64_t *v = (const uint64_t *)((char *)state + m->units[u].v_offset);
        printf("overflow %d %llu %llu\n", u, (unsigned long long)*acc, (unsigned long long)*v);
    }
    fclose(f);
    free(raw);
    free(input);
    free(state);
    return 0;
}
