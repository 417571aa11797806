/* Quantized kernels (codegen/cg_qgemm.c) against the reference evaluator
 * (interp/k_quant.c): small MatMul / Gemm / Conv graphs quantized by
 * passes/quantize.c in every mode, compiled for native (AVX-512 VNNI when
 * the machine has it), x86-64-avx512 (no VNNI: the widening fallback) and
 * x86-64-avx2, run at 1 and 2 threads.  Shapes exercise K not a multiple of
 * 4, N not a multiple of the 32-channel panel, rows not a multiple of the
 * row block.  w8a8 must agree bit for bit; float accumulation within 1e-5.
 * Also: the fp8 activation rounding emitted in LLVM IR against the C codec
 * on ties, subnormals, saturation, inf and NaN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "cg_harness.h"
#include "ir/quant_codec.h"
#include "ir/verify.h"
#include "quant_harness.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})

typedef struct {
  ingot_tensor_t t[4];
  int n;
} ins_t;

static int64_t count(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

static int32_t input(ingot_graph_t *g, ins_t *ins, const char *name, int rank, const int64_t *dims, uint32_t seed,
                     float mul) {
  int32_t v = cgt_input(g, name, INGOT_DT_FLOAT, rank, dims);
  ingot_tensor_t *t = &ins->t[ins->n++];
  cgt_ok(ingot_tensor_alloc(t, INGOT_DT_FLOAT, rank, dims));
  cgt_fill(t->data, count(rank, dims), seed);
  for (int64_t i = 0; i < count(rank, dims); i++) ((float *)t->data)[i] *= mul;
  return v;
}

static int32_t weight(ingot_graph_t *g, const char *name, int rank, const int64_t *dims, uint32_t seed) {
  int64_t n = count(rank, dims);
  float *buf = malloc((size_t)n * sizeof *buf);
  cgt_fill(buf, n, seed);
  /* give channels different ranges, so per-channel scales matter */
  for (int64_t i = 0; i < n; i++) buf[i] *= 0.25f + (float)(i % 7) * 0.5f;
  int32_t v = cgt_const(g, name, INGOT_DT_FLOAT, rank, dims, buf);
  free(buf);
  return v;
}

enum { C_MATMUL_A, C_MATMUL_B, C_GEMM, C_CONV3, C_CONV1, C_COUNT };

/* The graphs: one layer each (the evaluator's quantized result is the oracle). */
static ingot_graph_t *build(int which, ins_t *ins) {
  ingot_graph_t *g = cgt_graph();
  ins->n = 0;
  switch (which) {
    case C_MATMUL_A: { /* [2,5,7] x [7,45]: K % 4 != 0, N % 32 != 0, 10 rows */
      int32_t x = input(g, ins, "x", 3, D(2, 5, 7), 1, 2.0f), w = weight(g, "w", 2, D(7, 45), 2);
      cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, w}, "y");
      break;
    }
    case C_MATMUL_B: { /* [3,64] x [64,96] */
      int32_t x = input(g, ins, "x", 2, D(3, 64), 3, 1.0f), w = weight(g, "w", 2, D(64, 96), 4);
      cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, w}, "y");
      break;
    }
    case C_GEMM: { /* transB, alpha, beta, bias [40] */
      int32_t x = input(g, ins, "x", 2, D(13, 33), 5, 3.0f), w = weight(g, "w", 2, D(40, 33), 6);
      int32_t c = weight(g, "c", 1, D(40), 7);
      int32_t n = cgt_node(g, INGOT_OP_GEMM, 3, (int32_t[]){x, w, c}, "y");
      cgt_attr_i(g, n, "transB", 1);
      cgt_attr_f(g, n, "alpha", 0.5f);
      cgt_attr_f(g, n, "beta", 2.0f);
      break;
    }
    case C_CONV3: { /* 3x3, stride 2, pad 1, 40 channels, bias */
      int32_t x = input(g, ins, "x", 4, D(2, 3, 9, 9), 8, 1.5f), w = weight(g, "w", 4, D(40, 3, 3, 3), 9);
      int32_t b = weight(g, "b", 1, D(40), 10);
      int32_t n = cgt_node(g, INGOT_OP_CONV, 3, (int32_t[]){x, w, b}, "y");
      cgt_attr_ints(g, n, "pads", 4, D(1, 1, 1, 1));
      cgt_attr_ints(g, n, "strides", 2, D(2, 2));
      break;
    }
    default: { /* 1x1, no bias, 32 channels */
      int32_t x = input(g, ins, "x", 4, D(1, 8, 5, 6), 11, 1.0f), w = weight(g, "w", 4, D(32, 8, 1, 1), 12);
      cgt_node(g, INGOT_OP_CONV, 2, (int32_t[]){x, w}, "y");
      break;
    }
  }
  cgt_output(g, "y");
  cgt_ok(ingot_infer_shapes(g));
  return g;
}

static void free_ins(ins_t *ins) {
  for (int i = 0; i < ins->n; i++) ingot_tensor_release(&ins->t[i]);
}

/* Quantizes g with activation ranges at 0.8 x the input's max (so some
 * activations saturate) and every layer quantized. */
static void quantize(ingot_graph_t *g, const ins_t *ins, int mode, bool per_token, ingot_quant_t *q) {
  ingot_quant_init(q);
  q->mode = mode;
  q->per_token = per_token;
  q->keep = malloc(sizeof *q->keep);
  q->keep[0] = strdup("none");
  q->nkeep = 1;
  q->keep_given = true;
  float amax = 0;
  int64_t n = ingot_tensor_numel(&ins->t[0]);
  for (int64_t i = 0; i < n; i++) amax = fmaxf(amax, fabsf(((float *)ins->t[0].data)[i]));
  q->ranges = calloc(1, sizeof *q->ranges);
  char key[512];
  ingot_quant_layer_key(g, 0, key, sizeof key);
  q->ranges[0].layer = strdup(key);
  q->ranges[0].amax = 0.8f * amax;
  q->nranges = 1;
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  pc.quant = q;
  cgt_ok(ingot_pass_fold_constants(g, &pc));
  cgt_ok(ingot_pass_quantize(g, &pc));
  cgt_ok(ingot_verify(g));
  assert_int_equal(q->nlayers, 1);
}

static const char *const targets[] = {"native", "x86-64-avx512", "x86-64-avx2"};

static void check(int which, int mode, bool per_token) {
  ins_t ins;
  ingot_quant_t q;
  ingot_graph_t *g = build(which, &ins);
  quantize(g, &ins, mode, per_token, &q);
  ingot_tensor_t ref;
  ingot_interp_opts_t io = {1, true};
  cgt_ok(ingot_interp_run(g, &io, ins.t, &ref));
  ingot_graph_free(g);
  ingot_quant_free(&q);
  bool exact = mode == INGOT_QUANT_W8A8;
  for (size_t ti = 0; ti < sizeof targets / sizeof *targets; ti++) {
    ins_t ins2;
    g = build(which, &ins2);
    quantize(g, &ins2, mode, per_token, &q);
    ingot_tensor_t out[2];
    qh_compile_run(g, targets[ti], ins.t, &ref, out);
    for (int t = 0; t < 2; t++) {
      double rel = cgt_rel_l2(&out[t], &ref), ma = qh_maxabs(&out[t], &ref);
      if (exact ? ma != 0 : !(rel <= 1e-5))
        print_error("case %d %s%s on %s, %d thread(s): rel %.3e max abs %.3e\n", which, ingot_quant_mode_name(mode),
                    per_token ? " per-token" : "", targets[ti], t + 1, rel, ma);
      if (exact) assert_true(ma == 0);
      else assert_true(rel <= 1e-5);
      ingot_tensor_release(&out[t]);
    }
    ingot_graph_free(g);
    ingot_quant_free(&q);
    free_ins(&ins2);
  }
  ingot_tensor_release(&ref);
  free_ins(&ins);
}

static void test_int8_weight(void **s) {
  (void)s;
  for (int c = 0; c < C_COUNT; c++) check(c, INGOT_QUANT_INT8_WEIGHT, false);
}

static void test_w8a8(void **s) {
  (void)s;
  for (int c = 0; c < C_COUNT; c++) check(c, INGOT_QUANT_W8A8, false);
}

static void test_w8a8_per_token(void **s) {
  (void)s;
  for (int c = 0; c < C_GEMM + 1; c++) check(c, INGOT_QUANT_W8A8, true);
}

static void test_fp8(void **s) {
  (void)s;
  for (int c = 0; c < C_COUNT; c++) check(c, INGOT_QUANT_FP8_E4M3, false);
}

/* IngotQuantAct e4m3fn / e5m2 / int8 compiled vs the C codec, bit for bit,
 * on values placed at ties, in the subnormal range, past max, inf, NaN. */
static void check_act(const char *fmt, float scale) {
  float vals[512];
  int n = 0;
  ingot_fp8_format_t f = !strcmp(fmt, "e5m2") ? INGOT_FP8_E5M2 : INGOT_FP8_E4M3FN;
  bool fp8 = strcmp(fmt, "int8") != 0;
  for (int c = 0; c < 127 && n < 400; c++) { /* code values, midpoints, and either side */
    float a = ingot_fp8_decode(f, (uint8_t)c), b = ingot_fp8_decode(f, (uint8_t)(c + 1));
    if (!isfinite(a) || !isfinite(b)) continue;
    float mid = (a + b) / 2;
    vals[n++] = a * scale;
    vals[n++] = mid * scale;
    vals[n++] = -nextafterf(mid, 0) * scale;
  }
  const float special[] = {1e9f, -1e9f, INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1e-30f, 464.0f * scale, 465 * scale,
                           61440.0f * scale, 126.5f * scale, 127.5f * scale, -127.5f * scale, 0.5f * scale, 2.5f * scale};
  for (size_t i = 0; i < sizeof special / sizeof *special; i++) vals[n++] = special[i];
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, D(1, n));
  int32_t nd = cgt_node(g, INGOT_OP_QUANT_ACT, 1, (int32_t[]){x}, "y");
  cgt_attr_s(g, nd, "format", fmt);
  cgt_attr_f(g, nd, "scale", scale);
  if (!fp8) cgt_attr_i(g, nd, "pad_to", 4);
  cgt_output(g, "y");
  cgt_ok(ingot_infer_shapes(g));
  ingot_tensor_t in, ref, out[2];
  cgt_ok(ingot_tensor_alloc(&in, INGOT_DT_FLOAT, 2, D(1, n)));
  memcpy(in.data, vals, (size_t)n * sizeof(float));
  ingot_interp_opts_t io = {1, true};
  cgt_ok(ingot_interp_run(g, &io, &in, &ref));
  qh_compile_run(g, "native", &in, &ref, out);
  for (int t = 0; t < 2; t++) {
    assert_int_equal(out[t].nbytes, ref.nbytes);
    for (int i = 0; fp8 && i < n; i++) {
      float a = ((float *)out[t].data)[i], b = ((float *)ref.data)[i];
      if (isnan(b)) assert_true(isnan(a));
      else if (memcmp(&a, &b, 4)) {
        print_error("%s x=%a: compiled %a, codec %a\n", fmt, (double)vals[i], (double)a, (double)b);
        fail();
      }
    }
    if (!fp8) assert_memory_equal(out[t].data, ref.data, ref.nbytes);
    ingot_tensor_release(&out[t]);
  }
  ingot_tensor_release(&in);
  ingot_tensor_release(&ref);
  ingot_graph_free(g);
}

static void test_act_codecs(void **s) {
  (void)s;
  check_act("e4m3fn", 1.0f);
  check_act("e4m3fn", 0.037f);
  check_act("e5m2", 1.0f);
  check_act("int8", 0.05f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_int8_weight), cmocka_unit_test(test_w8a8), cmocka_unit_test(test_w8a8_per_token),
      cmocka_unit_test(test_fp8),         cmocka_unit_test(test_act_codecs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
