/* Bit-exact conversions between float32 and the tensor-core operand formats
 * (fp16, bf16, tf32, fp8 e4m3), as the PTX cvt instructions define them:
 *   cvt.rn.f16x2.f32 / cvt.rn.bf16x2.f32   round to nearest even
 *   cvt.rna.tf32.f32                        round to nearest, ties away
 *   cvt.rn.satfinite.e4m3x2.f32             nearest even, saturate to +-448
 * Used to pack constant GEMM operands at compile time (gpu_gemm.c) and by
 * the CPU emulator of the generated kernels (gpu_emu.c). */
#ifndef INGOT_GPU_FP_H
#define INGOT_GPU_FP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t gpu_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static inline float gpu_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static inline uint16_t gpu_f32_to_f16(float f) {
  uint32_t x = gpu_f32_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0)); /* inf / nan */
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                                  /* overflow */
  if (ax < 0x38800000u) {                                                                     /* subnormal */
    float a = gpu_bits_f32(ax);
    /* a * 2^24 rounded to nearest even is the subnormal's mantissa */
    float m = nearbyintf(a * 16777216.0f);
    return (uint16_t)(sign | (uint32_t)m);
  }
  uint32_t e = ((ax >> 23) - 112) << 10, m = (ax >> 13) & 0x3ffu;
  uint32_t h = e | m, rest = ax & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

static inline float gpu_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu;
  if (e == 0) {
    float v = (float)m / 16777216.0f;
    return sign ? -v : v;
  }
  if (e == 31) return gpu_bits_f32(sign | 0x7f800000u | (m << 13));
  return gpu_bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

static inline uint16_t gpu_f32_to_bf16(float f) {
  uint32_t u = gpu_f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

static inline float gpu_bf16_to_f32(uint16_t b) { return gpu_bits_f32((uint32_t)b << 16); }

/* tf32: 10 mantissa bits kept in a float32 container, low 13 bits zero. */
static inline uint32_t gpu_f32_to_tf32(float f) {
  uint32_t u = gpu_f32_bits(f);
  if ((u & 0x7f800000u) == 0x7f800000u) return u; /* inf / nan unchanged */
  u += 0x1000u;                                   /* ties away from zero */
  return u & 0xffffe000u;
}

static inline float gpu_tf32_to_f32(uint32_t u) { return gpu_bits_f32(u & 0xffffe000u); }

/* e4m3 (fn): bias 7, no infinities, 0x7f/0xff NaN, max 448. */
static inline uint8_t gpu_f32_to_e4m3(float f) {
  uint8_t sign = signbit(f) ? 0x80 : 0;
  if (f != f) return 0x7f;
  float a = fabsf(f);
  if (a >= 448.0f) return (uint8_t)(sign | 0x7e); /* satfinite */
  if (a < 0.015625f) {                            /* subnormal: m * 2^-9 */
    float m = nearbyintf(a * 512.0f);
    return (uint8_t)(sign | (uint8_t)m);          /* m == 8 rounds up into the first normal */
  }
  int e;
  float fr = frexpf(a, &e);   /* a = fr * 2^e, fr in [0.5, 1) */
  float m = nearbyintf((fr * 2.0f - 1.0f) * 8.0f); /* mantissa in eighths */
  int be = e - 1 + 7;
  if (m >= 8.0f) {
    m = 0;
    be++;
  }
  if (be > 15 || (be == 15 && m > 6)) return (uint8_t)(sign | 0x7e);
  return (uint8_t)(sign | (uint8_t)(be << 3) | (uint8_t)m);
}

static inline float gpu_e4m3_to_f32(uint8_t b) {
  float s = (b & 0x80) ? -1.0f : 1.0f;
  int e = (b >> 3) & 0xf, m = b & 7;
  if (e == 15 && m == 7) return NAN;
  if (e == 0) return s * (float)m * (1.0f / 512.0f);
  return s * ldexpf(1.0f + (float)m / 8.0f, e - 7);
}

#endif
