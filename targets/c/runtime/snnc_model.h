/*
 * snnc_model.h — what every C model emitted by snnc exports: one descriptor with its sizes and
 * entry points, so that a host program can drive any model (or several linked together).
 * Hand-written, not generated.
 */
#ifndef SNNC_MODEL_H
#define SNNC_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* A neuron population: geometry and where its spikes (0/1) and membranes live in the state.
 * Storage is channel-last: neuron (c, y, x) is at index (y * w + x) * c_count + c. */
typedef struct {
    const char *name;
    int32_t c, h, w;
    size_t spikes_offset; /* int32_t[c*h*w] in the state */
    size_t v_offset;      /* int32_t[c*h*w] in the state */
} snnc_population;

/* A unit whose registers are narrowed (populations and readouts): saturation / wrap counters. */
typedef struct {
    const char *name;
    size_t acc_offset; /* uint64_t in the state */
    size_t v_offset;   /* uint64_t in the state */
} snnc_unit;

typedef struct {
    const char *name;
    int32_t steps;
    int32_t run_steps;  /* global steps of one inference: steps, or the layer-major (TPP) schedule's length */
    int32_t input_size; /* values of one sample, NCHW */
    int32_t input_min, input_max;
    int32_t output_size;
    size_t state_size;
    int32_t population_count;
    const snnc_population *populations;
    int32_t unit_count;
    const snnc_unit *units;
    /* Zero every register. */
    void (*init)(void *state);
    /* Start a sample: reset the state, load the input (NCHW), compute the static part.
     * Returns -1 (and does nothing) if an input value is outside [input_min, input_max]. */
    int (*begin)(void *state, const int32_t *input);
    /* Advance one step, t = 1..run_steps. */
    void (*step)(void *state, int32_t t);
    /* The readout's running sums (output_size values). */
    const int64_t *(*output)(const void *state);
} snnc_model;

#endif
