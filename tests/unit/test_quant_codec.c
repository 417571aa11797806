/* ir/quant_codec: FP8 (E4M3FN, E5M2) and INT8 codecs, exhaustively.
 *
 * Expected FP8 values come from the format definitions, not from the code
 * under test: the value formulas and special encodings of the OCP 8-bit
 * floating point spec / ONNX float8 types (onnx docs technical/float8.md):
 *   E4M3FN: bias 7, S.1111.111 NaN, no inf, max S.1111.110 = 448, min 2^-9;
 *   E5M2:   bias 15, S.11111.00 inf, S.11111.{01,10,11} NaN, max 57344, min 2^-16;
 *   exponent field 0: (-1)^S 2^(1-bias) (M / 2^m); else (-1)^S 2^(E-bias) (1 + M / 2^m);
 *   saturating casts: +-inf and values whose rounded magnitude exceeds max -> +-max;
 *   non-saturating: E4M3FN -> NaN, E5M2 -> +-inf; rounding RNE. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ir/quant_codec.h"

typedef struct {
  ingot_fp8_format_t f;
  int m, bias;
  bool has_inf;
  uint8_t maxcode;
  double maxval;
} fmt_t;

static const fmt_t E4M3 = {INGOT_FP8_E4M3FN, 3, 7, false, 0x7e, 448.0};
static const fmt_t E5M2 = {INGOT_FP8_E5M2, 2, 15, true, 0x7b, 57344.0};

/* The spec's value of a code (double; NAN for NaN codes). */
static double spec_value(const fmt_t *F, int c) {
  int s = c >> 7, e = (c & 0x7f) >> F->m, man = c & ((1 << F->m) - 1), emax = (1 << (7 - F->m)) - 1;
  double sign = s ? -1.0 : 1.0;
  if (!F->has_inf && e == emax && man == (1 << F->m) - 1) return NAN;
  if (F->has_inf && e == emax) return man == 0 ? sign * INFINITY : NAN;
  if (e == 0) return sign * pow(2.0, 1 - F->bias) * ((double)man / (1 << F->m));
  return sign * pow(2.0, e - F->bias) * (1.0 + (double)man / (1 << F->m));
}

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static void check_decode(const fmt_t *F) {
  for (int c = 0; c < 256; c++) {
    double want = spec_value(F, c);
    float got = ingot_fp8_decode(F->f, (uint8_t)c);
    if (isnan(want)) {
      assert_true(isnan(got));
    } else {
      assert_true((double)got == want);
      assert_int_equal(signbit(got) != 0, (c & 0x80) != 0); /* -0 keeps its sign */
    }
  }
}

static void test_e4m3_decode_all_codes(void **s) {
  (void)s;
  check_decode(&E4M3);
  /* anchors straight from the spec table */
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x7e) == 448.0f);
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0xfe) == -448.0f);
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x38) == 1.0f);
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x08) == 0.015625f);      /* 2^-6, min normal */
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x01) == 0.001953125f);   /* 2^-9, min subnormal */
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x07) == 0.013671875f);   /* 7 * 2^-9 */
  assert_true(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x77) == 240.0f);         /* S.1110.111 */
  assert_true(isnan(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0x7f)));
  assert_true(isnan(ingot_fp8_decode(INGOT_FP8_E4M3FN, 0xff)));
  int nans = 0;
  for (int c = 0; c < 256; c++) nans += isnan(ingot_fp8_decode(INGOT_FP8_E4M3FN, (uint8_t)c)) != 0;
  assert_int_equal(nans, 2); /* only S.1111.111 */
}

static void test_e5m2_decode_all_codes(void **s) {
  (void)s;
  check_decode(&E5M2);
  assert_true(ingot_fp8_decode(INGOT_FP8_E5M2, 0x7b) == 57344.0f);
  assert_true(ingot_fp8_decode(INGOT_FP8_E5M2, 0x3c) == 1.0f);
  assert_true(ingot_fp8_decode(INGOT_FP8_E5M2, 0x04) == 0.00006103515625f); /* 2^-14 */
  assert_true(ingot_fp8_decode(INGOT_FP8_E5M2, 0x01) == 0.0000152587890625f); /* 2^-16 */
  assert_true(isinf(ingot_fp8_decode(INGOT_FP8_E5M2, 0x7c)) && ingot_fp8_decode(INGOT_FP8_E5M2, 0x7c) > 0);
  assert_true(isinf(ingot_fp8_decode(INGOT_FP8_E5M2, 0xfc)) && ingot_fp8_decode(INGOT_FP8_E5M2, 0xfc) < 0);
  for (int c = 0x7d; c <= 0x7f; c++) {
    assert_true(isnan(ingot_fp8_decode(INGOT_FP8_E5M2, (uint8_t)c)));
    assert_true(isnan(ingot_fp8_decode(INGOT_FP8_E5M2, (uint8_t)(c | 0x80))));
  }
}

/* encode(decode(c)) == c for every non-NaN code; NaN codes stay NaN. */
static void check_roundtrip(const fmt_t *F) {
  for (int c = 0; c < 256; c++) {
    float v = ingot_fp8_decode(F->f, (uint8_t)c);
    if (isnan(v)) {
      assert_true(isnan(ingot_fp8_decode(F->f, ingot_fp8_encode(F->f, v, true))));
      assert_true(isnan(ingot_fp8_decode(F->f, ingot_fp8_encode(F->f, v, false))));
      continue;
    }
    if (isinf(v)) { /* E5M2 only: inf stays inf unsaturated, becomes max saturated */
      assert_int_equal(ingot_fp8_encode(F->f, v, false), c);
      assert_int_equal(ingot_fp8_encode(F->f, v, true), (c & 0x80) | F->maxcode);
      continue;
    }
    assert_int_equal(ingot_fp8_encode(F->f, v, true), c);
    assert_int_equal(ingot_fp8_encode(F->f, v, false), c);
    assert_true(ingot_fp8_decode(F->f, ingot_fp8_encode(F->f, v, true)) == v);
  }
}

static void test_roundtrip_all_codes(void **s) {
  (void)s;
  check_roundtrip(&E4M3);
  check_roundtrip(&E5M2);
}

/* Positive codes 0..max are strictly increasing; negatives mirror them. */
static void check_order(const fmt_t *F) {
  for (int c = 0; c < F->maxcode; c++)
    assert_true(ingot_fp8_decode(F->f, (uint8_t)c) < ingot_fp8_decode(F->f, (uint8_t)(c + 1)));
  for (int c = 0; c <= F->maxcode; c++)
    assert_true(ingot_fp8_decode(F->f, (uint8_t)(c | 0x80)) == -ingot_fp8_decode(F->f, (uint8_t)c));
  assert_true((double)ingot_fp8_decode(F->f, F->maxcode) == F->maxval);
  assert_true((double)ingot_fp8_max(F->f) == F->maxval);
}

static void test_order(void **s) {
  (void)s;
  check_order(&E4M3);
  check_order(&E5M2);
}

/* The exact midpoint of two neighbours goes to the even code; one ulp
 * (of float32) either side goes to the nearer one. */
static void check_ties(const fmt_t *F) {
  for (int c = 0; c < F->maxcode; c++) {
    for (int sgn = 0; sgn < 2; sgn++) {
      float a = ingot_fp8_decode(F->f, (uint8_t)c), b = ingot_fp8_decode(F->f, (uint8_t)(c + 1));
      float mid = (a + b) / 2; /* exact: at most m + 2 significant bits */
      assert_true((double)mid == ((double)a + (double)b) / 2);
      int even = (c & 1) ? c + 1 : c;
      float x = sgn ? -mid : mid, lo = sgn ? -a : a;
      uint8_t sb = sgn ? 0x80 : 0;
      (void)lo;
      assert_int_equal(ingot_fp8_encode(F->f, x, true), sb | even);
      assert_int_equal(ingot_fp8_encode(F->f, nextafterf(x, 0), true), sb | c);
      assert_int_equal(ingot_fp8_encode(F->f, nextafterf(x, sgn ? -INFINITY : INFINITY), true), sb | (c + 1));
    }
  }
}

static void test_rne_ties(void **s) {
  (void)s;
  check_ties(&E4M3);
  check_ties(&E5M2);
  /* below half the smallest subnormal: zero (tie at exactly half goes to even 0) */
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, ldexpf(1, -10), true), 0x00);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, -ldexpf(1, -10), true), 0x80);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, ldexpf(1.0001f, -10), true), 0x01);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, 1e-20f, true), 0x00);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, -0.0f, true), 0x80);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E5M2, ldexpf(1, -17), true), 0x00);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E5M2, ldexpf(1.5f, -17), true), 0x01);
  /* 3.3 -> 3.25 (0x45), 3.4 -> 3.5 (0x46) in E4M3 */
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, 3.3f, true), 0x45);
  assert_int_equal(ingot_fp8_encode(INGOT_FP8_E4M3FN, 3.4f, true), 0x46);
}

static void test_saturation(void **s) {
  (void)s;
  ingot_fp8_format_t e4 = INGOT_FP8_E4M3FN, e5 = INGOT_FP8_E5M2;
  /* E4M3FN: max 448; 464 is the tie between 448 (even) and 480 (not representable) */
  assert_int_equal(ingot_fp8_encode(e4, 448.0f, false), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, 463.9f, false), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, 464.0f, false), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, nextafterf(464.0f, 1e9f), false), 0x7f); /* rounds past max: NaN */
  assert_int_equal(ingot_fp8_encode(e4, nextafterf(464.0f, 1e9f), true), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, 1e9f, true), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, -1e9f, true), 0xfe);
  assert_int_equal(ingot_fp8_encode(e4, 1e9f, false), 0x7f);
  assert_int_equal(ingot_fp8_encode(e4, FLT_MAX, true), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, INFINITY, true), 0x7e);
  assert_int_equal(ingot_fp8_encode(e4, -INFINITY, true), 0xfe);
  assert_int_equal(ingot_fp8_encode(e4, INFINITY, false), 0x7f);
  assert_int_equal(ingot_fp8_encode(e4, -INFINITY, false), 0xff);
  assert_int_equal(ingot_fp8_encode(e4, NAN, true) & 0x7f, 0x7f);
  assert_int_equal(ingot_fp8_encode(e4, -NAN, false), 0xff);
  /* E5M2: max 57344; 61440 ties to even = 65536 = overflow */
  assert_int_equal(ingot_fp8_encode(e5, 57344.0f, false), 0x7b);
  assert_int_equal(ingot_fp8_encode(e5, 61439.0f, false), 0x7b);
  assert_int_equal(ingot_fp8_encode(e5, 61440.0f, false), 0x7c);
  assert_int_equal(ingot_fp8_encode(e5, 61440.0f, true), 0x7b);
  assert_int_equal(ingot_fp8_encode(e5, -1e9f, false), 0xfc);
  assert_int_equal(ingot_fp8_encode(e5, -1e9f, true), 0xfb);
  assert_int_equal(ingot_fp8_encode(e5, INFINITY, false), 0x7c);
  assert_int_equal(ingot_fp8_encode(e5, INFINITY, true), 0x7b);
  assert_true(isnan(ingot_fp8_decode(e5, ingot_fp8_encode(e5, NAN, true))));
  assert_true(ingot_fp8_round(e4, 1000.0f) == 448.0f);
  assert_true(ingot_fp8_round(e5, -1e30f) == -57344.0f);
}

/* An independent oracle: the nearest code by search (ties to the even
 * code), saturating.  Checked against encode on many float32 values. */
static int nearest_code(const fmt_t *F, float x) {
  if (isnan(x)) return -1;
  int sign = signbit(x) ? 0x80 : 0;
  double ax = fabs((double)x);
  if (ax > F->maxval) return sign | F->maxcode;
  int best = 0;
  double bd = INFINITY;
  for (int c = 0; c <= F->maxcode; c++) {
    double d = fabs(spec_value(F, c) - ax);
    if (d < bd || (d == bd && !(c & 1))) {
      bd = d;
      best = c;
    }
  }
  return sign | best;
}

static void test_against_search_oracle(void **s) {
  (void)s;
  const fmt_t *fs[2] = {&E4M3, &E5M2};
  uint32_t st = 12345;
  for (int fi = 0; fi < 2; fi++) {
    const fmt_t *F = fs[fi];
    for (int i = 0; i < 40000; i++) {
      st = st * 1664525u + 1013904223u;
      /* exponents around the format's range: float biased exponent 127-30 .. 127+18 */
      uint32_t e = 97 + (st >> 8) % 48, m = (st * 2654435761u) & 0x7fffff;
      uint32_t u = ((st >> 31) << 31) | (e << 23) | m;
      float x;
      memcpy(&x, &u, 4);
      int want = nearest_code(F, x);
      int got = ingot_fp8_encode(F->f, x, true);
      if (got != want) print_error("%s x=%a: got %02x want %02x\n", ingot_fp8_name(F->f), (double)x, got, want);
      assert_int_equal(got, want);
    }
  }
}

static void test_int8(void **s) {
  (void)s;
  assert_int_equal(ingot_int8_quantize(0.5f, 1), 0); /* RNE */
  assert_int_equal(ingot_int8_quantize(1.5f, 1), 2);
  assert_int_equal(ingot_int8_quantize(2.5f, 1), 2);
  assert_int_equal(ingot_int8_quantize(-2.5f, 1), -2);
  assert_int_equal(ingot_int8_quantize(127.4f, 1), 127);
  assert_int_equal(ingot_int8_quantize(127.6f, 1), 127);
  assert_int_equal(ingot_int8_quantize(-1000, 1), -127); /* symmetric: never -128 */
  assert_int_equal(ingot_int8_quantize(INFINITY, 1), 127);
  assert_int_equal(ingot_int8_quantize(NAN, 1), 0);
  assert_true(ingot_int8_scale(0) == 1.0f);
  assert_true(ingot_int8_scale(INFINITY) == 1.0f);
  assert_true(ingot_int8_scale(NAN) == 1.0f);
  assert_true(ingot_int8_scale(127) == 1.0f);
  assert_true(ingot_int8_scale(2.54f) == 2.54f / 127);
  /* all 255 levels round-trip through dequantization, for several scales */
  const float scales[] = {1.0f / 127, 0.01f, 3.3f, 1e-6f, 1234.5f};
  for (size_t si = 0; si < sizeof scales / sizeof *scales; si++) {
    float sc = scales[si], inv = 1.0f / sc;
    for (int q = -127; q <= 127; q++) assert_int_equal(ingot_int8_quantize((float)q * sc, inv), q);
  }
  /* per-channel: channel c = row c of a 3x4 matrix */
  const float w[12] = {1, -2, 0.5f, 0, 0, 0, 0, 0, -0.1f, 0.2f, 0.3f, 12.7f};
  int8_t q[12];
  float sc[3];
  ingot_int8_quantize_channels(w, 3, 4, 4, 1, q, sc);
  assert_true(sc[0] == 2.0f / 127 && sc[1] == 1.0f && sc[2] == 12.7f / 127);
  assert_int_equal(q[1], -127);
  assert_int_equal(q[0], 64); /* 63.5 -> 64 (even) */
  assert_int_equal(q[11], 127);
  assert_int_equal(q[8], -1);
  for (int i = 4; i < 8; i++) assert_int_equal(q[i], 0);
}

static void test_layouts(void **s) {
  (void)s;
  assert_int_equal(ingot_qweights_parse("int8"), INGOT_QW_INT8);
  assert_int_equal(ingot_qweights_parse("int8x4"), INGOT_QW_INT8X4);
  assert_int_equal(ingot_qweights_parse("e4m3fn"), INGOT_QW_E4M3FN);
  assert_int_equal(ingot_qweights_parse("e5m2"), INGOT_QW_E5M2);
  assert_int_equal(ingot_qweights_parse("int4"), -1);
  assert_int_equal(ingot_qweights_kpad(INGOT_QW_INT8X4, 5), 8);
  assert_int_equal(ingot_qweights_kpad(INGOT_QW_INT8, 5), 5);
  /* every (k, j) of a 7 x 70 matrix maps to a distinct slot inside the buffer */
  for (int w = 0; w < 4; w++) {
    int64_t K = 7, N = 70, kp = ingot_qweights_kpad(w, K), size = 3 * kp * 32;
    static uint8_t seen[3 * 8 * 32];
    memset(seen, 0, sizeof seen);
    for (int64_t k = 0; k < K; k++)
      for (int64_t j = 0; j < N; j++) {
        int64_t i = ingot_qweights_index(w, K, k, j);
        assert_true(i >= 0 && i < size);
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
      }
  }
  assert_int_equal(ingot_qweights_index(INGOT_QW_INT8X4, 7, 5, 33), 1 * 8 * 32 + 1 * 128 + 1 * 4 + 1);
  assert_int_equal(ingot_qweights_index(INGOT_QW_INT8, 7, 5, 33), 1 * 7 * 32 + 5 * 32 + 1);
  uint64_t h = ingot_fnv64(INGOT_FNV64_INIT, "a", 1);
  assert_true(h == 0xaf63dc4c8601ec8cull); /* FNV-1a 64 of "a" */
  (void)bits;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_e4m3_decode_all_codes), cmocka_unit_test(test_e5m2_decode_all_codes),
      cmocka_unit_test(test_roundtrip_all_codes),   cmocka_unit_test(test_order),
      cmocka_unit_test(test_rne_ties),              cmocka_unit_test(test_saturation),
      cmocka_unit_test(test_against_search_oracle), cmocka_unit_test(test_int8),
      cmocka_unit_test(test_layouts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
