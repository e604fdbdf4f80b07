/*
 * snnc_fixed.h — the integer primitives of snnc's snn-fixed stage, in C99.
 *
 * This is the C twin of ir/fixed-arith.ts: same functions, same results for every input
 * (docs/semantics.md). Hand-written, not generated. Free of undefined and of
 * implementation-defined behaviour: no signed overflow (all arithmetic is on int64_t values
 * whose magnitude the compiler proves below 2^53), no right shift of a negative value.
 */
#ifndef SNNC_FIXED_H
#define SNNC_FIXED_H

#include <stdint.h>

/* Largest value of a signed register of `bits` bits (2 <= bits <= 62). */
static inline int64_t snnc_max_of(int bits) { return ((int64_t)1 << (bits - 1)) - 1; }

/* Saturate x to a signed register of `bits` bits. */
static inline int64_t snnc_saturate(int64_t x, int bits)
{
    int64_t hi = snnc_max_of(bits);
    int64_t lo = -hi - 1;
    return x > hi ? hi : (x < lo ? lo : x);
}

/* Wrap x to a signed register of `bits` bits (two's complement), without signed overflow. */
static inline int64_t snnc_wrap(int64_t x, int bits)
{
    uint64_t m = (uint64_t)1 << bits;
    uint64_t u = (uint64_t)x & (m - 1u);
    return u >= (m >> 1) ? (int64_t)u - (int64_t)m : (int64_t)u;
}

/* floor(x / 2^k): an arithmetic shift, written without shifting a negative value. */
static inline int64_t snnc_floor_shift(int64_t x, int k)
{
    return x >= 0 ? x >> k : ~((~x) >> k);
}

/* x / 2^k rounded toward zero. */
static inline int64_t snnc_trunc_shift(int64_t x, int k)
{
    return x >= 0 ? x >> k : -((-x) >> k);
}

/* floor(x / 2^k + 1/2). */
static inline int64_t snnc_half_up_shift(int64_t x, int k)
{
    return k == 0 ? x : snnc_floor_shift(x + ((int64_t)1 << (k - 1)), k);
}

#define SNNC_ROUND_FLOOR 0
#define SNNC_ROUND_TRUNC 1
#define SNNC_ROUND_HALF_UP 2

static inline int64_t snnc_shift_round(int64_t x, int k, int mode)
{
    return mode == SNNC_ROUND_FLOOR ? snnc_floor_shift(x, k) : mode == SNNC_ROUND_TRUNC ? snnc_trunc_shift(x, k) : snnc_half_up_shift(x, k);
}

/* Leak: v - rnd(v / 2^k). */
static inline int64_t snnc_leak_shift(int64_t v, int k, int mode) { return v - snnc_shift_round(v, k, mode); }

/* Leak: rnd(v * m / 2^k). */
static inline int64_t snnc_leak_mul(int64_t v, int64_t m, int k, int mode) { return snnc_shift_round(v * m, k, mode); }

/* TPP neurons' counter-based generator (ir/tpp.ts): a 32-bit xorshift-multiply hash. */
static inline uint32_t snnc_mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* The stream of a population (seed, key) at firing step k; a neuron's draw is snnc_tpp_draw(stream, n). */
static inline uint32_t snnc_tpp_stream(uint32_t seed, uint32_t key, uint32_t k) { return snnc_mix32(snnc_mix32(snnc_mix32(seed ^ 0x9e3779b9U) ^ key) ^ k); }

/* Neuron n's (NCHW index) uniform draw in [0, 2^16). */
static inline int64_t snnc_tpp_draw(uint32_t stream, uint32_t n) { return (int64_t)(snnc_mix32(stream ^ n) >> 16); }

#endif
