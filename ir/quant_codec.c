/* FP8 and INT8 codecs (see quant_codec.h for the formats).
 *
 * Encoding works on the float32 bit pattern, so it is exact and does not
 * depend on the floating-point environment:
 *   - normal results: the float's magnitude bits are rounded to M mantissa
 *     bits at once (add half an ulp minus one, plus the lsb: the classic RNE
 *     bit trick, as bfloat16 conversions do); a carry out of the mantissa
 *     correctly bumps the exponent;
 *   - subnormal results (|x| < 2^emin): the value in units of the smallest
 *     subnormal, |x| * 2^(M - emin), is exact in double and below 2^M, so
 *     RNE on it is a floor and a comparison; rounding up to 2^M lands on
 *     the code of the smallest normal, because fp8 codes are ordered like
 *     their magnitudes. */
#include "ir/quant_codec.h"

#include <math.h>
#include <string.h>

typedef struct {
  int m;            /* mantissa bits */
  int bias;
  int emin;         /* exponent of the smallest normal: 1 - bias */
  uint8_t maxcode;  /* largest finite magnitude code */
  uint8_t overflow; /* magnitude code of an unsaturated overflow (NaN or inf) */
  bool has_inf;
} fp8_desc_t;

static const fp8_desc_t fp8_desc[2] = {
    [INGOT_FP8_E4M3FN] = {3, 7, -6, 0x7e, 0x7f, false},
    [INGOT_FP8_E5M2] = {2, 15, -14, 0x7b, 0x7c, true},
};

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

uint8_t ingot_fp8_encode(ingot_fp8_format_t fmt, float x, bool saturate) {
  const fp8_desc_t *d = &fp8_desc[fmt == INGOT_FP8_E5M2];
  uint32_t b = f2u(x);
  uint8_t sign = (uint8_t)((b >> 24) & 0x80);
  uint32_t a = b & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7f; /* NaN */
  if (a == 0x7f800000u) return sign | (saturate ? d->maxcode : d->overflow);
  float f = u2f(a);
  if (f < ldexpf(1.0f, d->emin)) {
    double v = ldexp((double)f, d->m - d->emin); /* exact, in [0, 2^M) */
    double fl = floor(v);
    int q = (int)fl;
    double frac = v - fl;
    if (frac > 0.5 || (frac == 0.5 && (q & 1))) q++;
    return sign | (uint8_t)q;
  }
  int shift = 23 - d->m;
  uint32_t r = (a + ((1u << (shift - 1)) - 1) + ((a >> shift) & 1)) >> shift;
  int32_t efield = (int32_t)(r >> d->m) - 127 + d->bias;
  uint32_t code = ((uint32_t)efield << d->m) | (r & ((1u << d->m) - 1));
  if (code > d->maxcode) return sign | (saturate ? d->maxcode : d->overflow);
  return sign | (uint8_t)code;
}

float ingot_fp8_decode(ingot_fp8_format_t fmt, uint8_t code) {
  const fp8_desc_t *d = &fp8_desc[fmt == INGOT_FP8_E5M2];
  bool neg = (code & 0x80) != 0;
  int mag = code & 0x7f;
  int efield = mag >> d->m, man = mag & ((1 << d->m) - 1);
  float v;
  if (!d->has_inf && mag == 0x7f) {
    v = NAN;
  } else if (d->has_inf && efield == (1 << (7 - d->m)) - 1) {
    v = man == 0 ? INFINITY : NAN;
  } else if (efield == 0) {
    v = ldexpf((float)man, d->emin - d->m);
  } else {
    v = ldexpf((float)((1 << d->m) + man), efield - d->bias - d->m);
  }
  return neg ? -v : v;
}

float ingot_fp8_round(ingot_fp8_format_t fmt, float x) {
  return ingot_fp8_decode(fmt, ingot_fp8_encode(fmt, x, true));
}

float ingot_fp8_max(ingot_fp8_format_t fmt) { return fmt == INGOT_FP8_E5M2 ? 57344.0f : 448.0f; }

const char *ingot_fp8_name(ingot_fp8_format_t fmt) { return fmt == INGOT_FP8_E5M2 ? "e5m2" : "e4m3fn"; }

float ingot_int8_scale(float amax) {
  /* Below 1e-30 the reciprocal would overflow; such a tensor is zero for
   * every practical purpose and scale 1 quantizes it to zeros. */
  if (!(amax >= 1e-30f) || !isfinite(amax)) return 1.0f;
  return amax / (float)INGOT_INT8_QMAX;
}

int8_t ingot_int8_quantize(float x, float inv_scale) {
  float v = x * inv_scale;
  if (v != v) return 0;
  float r = nearbyintf(v);
  if (r > (float)INGOT_INT8_QMAX) r = (float)INGOT_INT8_QMAX;
  if (r < -(float)INGOT_INT8_QMAX) r = -(float)INGOT_INT8_QMAX;
  return (int8_t)r;
}

void ingot_int8_quantize_channels(const float *w, int64_t nchan, int64_t nelem, int64_t cstride, int64_t estride,
                                  int8_t *q, float *scales) {
  for (int64_t c = 0; c < nchan; c++) {
    float amax = 0;
    for (int64_t e = 0; e < nelem; e++) {
      float v = fabsf(w[c * cstride + e * estride]);
      if (v > amax) amax = v; /* NaN never wins: the scale stays finite */
    }
    float s = ingot_int8_scale(amax);
    scales[c] = s;
    float inv = 1.0f / s;
    for (int64_t e = 0; e < nelem; e++) q[c * cstride + e * estride] = ingot_int8_quantize(w[c * cstride + e * estride], inv);
  }
}

uint64_t ingot_fnv64(uint64_t h, const void *data, size_t len) {
  const uint8_t *p = data;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static const char *const qw_names[] = {"int8", "int8x4", "e4m3fn", "e5m2"};

int ingot_qweights_parse(const char *s) {
  for (int i = 0; s && i < (int)(sizeof qw_names / sizeof *qw_names); i++)
    if (!strcmp(s, qw_names[i])) return i;
  return -1;
}

const char *ingot_qweights_name(int w) {
  return w >= 0 && w < (int)(sizeof qw_names / sizeof *qw_names) ? qw_names[w] : "?";
}

int64_t ingot_qweights_kpad(int w, int64_t K) { return w == INGOT_QW_INT8X4 ? (K + 3) / 4 * 4 : K; }
