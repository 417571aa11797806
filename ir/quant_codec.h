/* Number codecs for quantization: FP8 (E4M3FN, E5M2) and symmetric INT8.
 *
 *   uint8_t c = ingot_fp8_encode(INGOT_FP8_E4M3FN, 3.3f, true);  // 0x45 (3.25)
 *   float v = ingot_fp8_decode(INGOT_FP8_E4M3FN, c);             // 3.25f
 *   float s = ingot_int8_scale(amax);                            // amax / 127
 *   int8_t q = ingot_int8_quantize(x, 1.0f / s);                 // clamp(rne(x/s), -127, 127)
 *
 * Independent of the code generator: the quantize pass, the reference
 * evaluator and the tests use these; the LLVM emitters (codegen/cg_qgemm.c)
 * reproduce exactly the same arithmetic and are tested against them.
 *
 * FP8 follows the OCP 8-bit floating point specification (v1.0) and ONNX's
 * FLOAT8E4M3FN / FLOAT8E5M2 types (onnx/docs/docsgen/source/technical/float8.md):
 *
 *              E4M3FN                         E5M2
 *   bias       7                              15
 *   infinity   none                           S.11111.00 (0x7c / 0xfc)
 *   NaN        S.1111.111 (0x7f / 0xff)       S.11111.{01,10,11}
 *   max        S.1111.110 = 448               S.11110.11 = 57344
 *   min normal 2^-6                           2^-14
 *   min subn.  2^-9                           2^-16
 *
 * Encoding rounds to nearest, ties to even (RNE) on the exact float32 value.
 * With saturation (ONNX Cast saturate=1, the quantizers' choice) a value
 * whose rounded magnitude exceeds max, and +-infinity, become +-max;
 * without it they become NaN (E4M3FN) or +-infinity (E5M2).  NaN stays NaN
 * (0x7f / 0xff keeping the sign).  -0 encodes as 0x80.
 *
 * INT8 is symmetric (zero point 0) over [-127, 127], so negation is exact
 * and the int8 x int8 products of W8A8 stay within 127*127. */
#ifndef INGOT_QUANT_CODEC_H
#define INGOT_QUANT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  INGOT_FP8_E4M3FN = 0,
  INGOT_FP8_E5M2 = 1,
} ingot_fp8_format_t;

/* float32 -> fp8 code (RNE; saturate: out of range -> +-max, else NaN/inf). */
uint8_t ingot_fp8_encode(ingot_fp8_format_t f, float x, bool saturate);
/* fp8 code -> float32 (exact). */
float ingot_fp8_decode(ingot_fp8_format_t f, uint8_t code);
/* decode(encode(x, saturate = true)): the value a fake-quantizer produces. */
float ingot_fp8_round(ingot_fp8_format_t f, float x);
/* Largest finite value: 448 or 57344. */
float ingot_fp8_max(ingot_fp8_format_t f);
const char *ingot_fp8_name(ingot_fp8_format_t f);

#define INGOT_INT8_QMAX 127

/* Scale for a symmetric int8 range covering [-amax, amax]: amax / 127 in
 * float32; 1 when amax is 0, negative or not finite (nothing to scale). */
float ingot_int8_scale(float amax);
/* clamp(nearbyint(x * inv_scale), -127, 127) with the product rounded to
 * float32 first; NaN -> 0.  Uses the current rounding mode (RNE). */
int8_t ingot_int8_quantize(float x, float inv_scale);

/* Symmetric per-channel int8 quantization of a weight matrix: channel c
 * holds elements w[c * cstride + e * estride], e in [0, nelem).  Fills
 * scales[c] = ingot_int8_scale(max |w|) and q (same indexing as w). */
void ingot_int8_quantize_channels(const float *w, int64_t nchan, int64_t nelem, int64_t cstride, int64_t estride,
                                  int8_t *q, float *scales);

/* ---- weight layouts of IngotQLinear / IngotQConv (ir/ops.def) ---------------
 *
 * The quantize pass stores weights in the layout the CPU kernels stream, so
 * the weights blob holds exactly what runs.  Logical weight W[k, j] (k the
 * reduction index in [0, K), j the output channel in [0, N)) lives in panels
 * of INGOT_QPANEL output channels (NP = ceil(N / 32) panels, channels past N
 * zero):
 *   "int8", "e4m3fn", "e5m2": [NP, K, 32]        element (k, j) at
 *                             (j / 32) * K * 32 + k * 32 + j % 32
 *   "int8x4":                 [NP, Kp / 4, 32, 4] with Kp = K rounded up to 4
 *                             (rows past K zero), element (k, j) at
 *                             (j / 32) * Kp * 32 + (k / 4) * 128 + (j % 32) * 4 + k % 4
 * "int8x4" groups 4 consecutive k of one channel in 32 bits: the operand
 * layout of AVX-512 VNNI's vpdpbusd (and of pmaddwd pairs). */
#define INGOT_QPANEL 32

typedef enum {
  INGOT_QW_INT8 = 0,
  INGOT_QW_INT8X4 = 1,
  INGOT_QW_E4M3FN = 2,
  INGOT_QW_E5M2 = 3,
} ingot_qweights_t;

/* Parses the "weights" attribute; -1 when unknown. */
int ingot_qweights_parse(const char *s);
const char *ingot_qweights_name(int w);
/* K rounded up to the layout's k granularity (4 for int8x4, else K). */
int64_t ingot_qweights_kpad(int w, int64_t K);
/* Flat index of logical element (k, j). */
static inline int64_t ingot_qweights_index(int w, int64_t K, int64_t k, int64_t j) {
  int64_t p = j / INGOT_QPANEL, c = j % INGOT_QPANEL;
  if (w == INGOT_QW_INT8X4) {
    int64_t kp = (K + 3) / 4 * 4;
    return p * kp * INGOT_QPANEL + (k / 4) * (4 * INGOT_QPANEL) + c * 4 + k % 4;
  }
  return p * K * INGOT_QPANEL + k * INGOT_QPANEL + c;
}

/* 64-bit FNV-1a over bytes, continuing from h (start with INGOT_FNV64_INIT). */
#define INGOT_FNV64_INIT 0xcbf29ce484222325ull
uint64_t ingot_fnv64(uint64_t h, const void *data, size_t len);

#endif
