/* GPU backend: the tensor-core GEMM and implicit-GEMM convolution kernels
 * (codegen/gpu_gemm.c), checked against the reference evaluator in the CPU
 * emulator (and on a GPU when one is present), and with ptxas for sm_80 and
 * sm_90 when it is installed.  Tolerances (relative L2): fp16 2e-3, tf32
 * 2e-3, bf16 1.5e-2, fp8 e4m3 8e-2 -- the rounding of the operands, with
 * fp32 accumulation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gpu_harness.h"

#define TOL_F16 2e-3
#define TOL_TF32 2e-3
#define TOL_BF16 1.5e-2
#define TOL_FP8 8e-2

static ingot_tensor_t rnd(int rank, const int64_t *dims, uint32_t seed) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, INGOT_DT_FLOAT, rank, dims));
  cgt_fill(t.data, ingot_tensor_numel(&t), seed);
  return t;
}

static float *rnd_data(int64_t n, uint32_t seed) {
  float *p = malloc((size_t)n * sizeof *p);
  cgt_fill(p, n, seed);
  return p;
}

/* y = x @ w, w constant ([K, N]) or a second input. */
static void matmul_case(int rank, const int64_t *xd, int wrank, const int64_t *wd, bool wconst, double tol,
                        const ingot_gpu_options_t *o) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, rank, xd);
  int64_t wn = 1;
  for (int d = 0; d < wrank; d++) wn *= wd[d];
  int32_t w;
  float *wdata = NULL;
  if (wconst) {
    wdata = rnd_data(wn, 7);
    w = cgt_const(g, "w", INGOT_DT_FLOAT, wrank, wd, wdata);
  } else {
    w = cgt_input(g, "w", INGOT_DT_FLOAT, wrank, wd);
  }
  cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, w}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[2] = {rnd(rank, xd, 3), rnd(wrank, wd, 5)};
  gpt_check(g, in, tol, o);
  ingot_tensor_release(&in[0]);
  ingot_tensor_release(&in[1]);
  free(wdata);
}

static void test_matmul_const_unaligned(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_80");
  matmul_case(2, (int64_t[]){37, 53}, 2, (int64_t[]){53, 29}, true, TOL_F16, &o);
}

static void test_matmul_const_aligned(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_80");
  matmul_case(3, (int64_t[]){2, 40, 64}, 2, (int64_t[]){64, 96}, true, TOL_F16, &o);
}

static void test_matmul_activations(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_80");
  matmul_case(4, (int64_t[]){2, 3, 20, 24}, 4, (int64_t[]){2, 3, 24, 17}, false, TOL_F16, &o);
  /* n contiguous and a multiple of 4: 16-byte copies of B rows */
  matmul_case(3, (int64_t[]){2, 33, 40}, 3, (int64_t[]){2, 40, 32}, false, TOL_F16, &o);
}

static void test_matmul_broadcast(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_90");
  matmul_case(4, (int64_t[]){2, 1, 16, 32}, 3, (int64_t[]){3, 32, 8}, false, TOL_F16, &o);
}

static void test_matmul_forced_tiles(void **state) {
  (void)state;
  /* multi-warp blocks, partial tiles in m, n and k, deeper pipelines */
  static const int tiles[][5] = {{64, 64, 2, 2, 3}, {128, 64, 4, 2, 4}, {32, 128, 1, 4, 2}};
  for (size_t i = 0; i < sizeof tiles / sizeof *tiles; i++) {
    ingot_gpu_options_t o = gpt_opts("sm_80");
    memcpy(o.force_tile, tiles[i], sizeof o.force_tile);
    matmul_case(2, (int64_t[]){70, 100}, 2, (int64_t[]){100, 72}, true, TOL_F16, &o);
    matmul_case(2, (int64_t[]){70, 100}, 2, (int64_t[]){100, 72}, false, TOL_F16, &o);
  }
}

/* Gemm with transA/transB, alpha, beta and a broadcast C. */
static void gemm_case(bool ta, bool tb, bool bconst, float alpha, float beta, int crank, double tol,
                      const ingot_gpu_options_t *o) {
  const int64_t M = 19, N = 24, K = 36;
  ingot_graph_t *g = cgt_graph();
  int64_t ad[2] = {ta ? K : M, ta ? M : K}, bd[2] = {tb ? N : K, tb ? K : N};
  int32_t a = cgt_input(g, "a", INGOT_DT_FLOAT, 2, ad);
  float *bdata = rnd_data(K * N, 11), *cdata = rnd_data(M * N, 13);
  int32_t b = bconst ? cgt_const(g, "b", INGOT_DT_FLOAT, 2, bd, bdata) : cgt_input(g, "b", INGOT_DT_FLOAT, 2, bd);
  int64_t cd[2] = {crank == 2 ? M : N, N};
  int32_t c = cgt_const(g, "c", INGOT_DT_FLOAT, crank, crank == 2 ? cd : cd + 1, cdata);
  int32_t n = cgt_node(g, INGOT_OP_GEMM, 3, (int32_t[]){a, b, c}, "y");
  cgt_attr_i(g, n, "transA", ta);
  cgt_attr_i(g, n, "transB", tb);
  cgt_attr_f(g, n, "alpha", alpha);
  cgt_attr_f(g, n, "beta", beta);
  cgt_output(g, "y");
  ingot_tensor_t in[2] = {rnd(2, ad, 17), rnd(2, bd, 19)};
  gpt_check(g, in, tol, o);
  ingot_tensor_release(&in[0]);
  ingot_tensor_release(&in[1]);
  free(bdata);
  free(cdata);
}

static void test_gemm_variants(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_80");
  gemm_case(false, true, true, 1.0f, 1.0f, 1, TOL_F16, &o);
  gemm_case(true, false, true, 0.5f, 2.0f, 2, TOL_F16, &o);
  gemm_case(true, true, false, 1.0f, 1.0f, 1, TOL_F16, &o);
  gemm_case(false, false, false, 1.5f, 0.0f, 2, TOL_F16, &o);
}

static void conv_case(const int64_t *xd, const int64_t *wd, int64_t stride, int64_t pad, int64_t dil, bool bias,
                      double tol, const ingot_gpu_options_t *o) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 4, xd);
  int64_t wn = wd[0] * wd[1] * wd[2] * wd[3];
  float *wdata = rnd_data(wn, 23), *bdata = rnd_data(wd[0], 29);
  int32_t w = cgt_const(g, "w", INGOT_DT_FLOAT, 4, wd, wdata);
  int32_t b = bias ? cgt_const(g, "b", INGOT_DT_FLOAT, 1, wd, bdata) : -1;
  int32_t n = cgt_node(g, INGOT_OP_CONV, bias ? 3 : 2, (int32_t[]){x, w, b}, "y");
  cgt_attr_ints(g, n, "strides", 2, (int64_t[]){stride, stride});
  cgt_attr_ints(g, n, "pads", 4, (int64_t[]){pad, pad, pad, pad});
  cgt_attr_ints(g, n, "dilations", 2, (int64_t[]){dil, dil});
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {rnd(4, xd, 31)};
  gpt_check(g, in, tol, o);
  ingot_tensor_release(&in[0]);
  free(wdata);
  free(bdata);
}

static void test_conv(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_80");
  conv_case((int64_t[]){2, 5, 9, 11}, (int64_t[]){7, 5, 3, 3}, 2, 1, 1, true, TOL_F16, &o);
  conv_case((int64_t[]){1, 3, 10, 10}, (int64_t[]){4, 3, 3, 3}, 1, 2, 2, false, TOL_F16, &o);
  conv_case((int64_t[]){2, 4, 8, 8}, (int64_t[]){16, 4, 2, 2}, 2, 0, 1, true, TOL_F16, &o); /* patchify */
}

static void test_precisions(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_80");
  o.precision = INGOT_GPU_PREC_TF32;
  matmul_case(2, (int64_t[]){37, 53}, 2, (int64_t[]){53, 29}, true, TOL_TF32, &o);
  matmul_case(3, (int64_t[]){2, 20, 24}, 3, (int64_t[]){2, 24, 17}, false, TOL_TF32, &o);
  conv_case((int64_t[]){2, 5, 9, 11}, (int64_t[]){7, 5, 3, 3}, 2, 1, 1, true, TOL_TF32, &o);
  o.precision = INGOT_GPU_PREC_BF16;
  matmul_case(2, (int64_t[]){37, 53}, 2, (int64_t[]){53, 29}, true, TOL_BF16, &o);
  gemm_case(true, true, false, 1.0f, 1.0f, 1, TOL_BF16, &o);
}

static void test_fp8(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_90");
  o.quantize = INGOT_GPU_QUANT_FP8_E4M3;
  matmul_case(2, (int64_t[]){37, 64}, 2, (int64_t[]){64, 29}, true, TOL_FP8, &o);
  gemm_case(false, true, true, 1.0f, 1.0f, 1, TOL_FP8, &o);
  conv_case((int64_t[]){2, 5, 9, 11}, (int64_t[]){7, 5, 3, 3}, 2, 1, 1, true, TOL_FP8, &o);
  /* activation x activation products stay fp16 */
  matmul_case(3, (int64_t[]){2, 20, 24}, 3, (int64_t[]){2, 24, 17}, false, TOL_F16, &o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matmul_const_unaligned),
      cmocka_unit_test(test_matmul_const_aligned),
      cmocka_unit_test(test_matmul_activations),
      cmocka_unit_test(test_matmul_broadcast),
      cmocka_unit_test(test_matmul_forced_tiles),
      cmocka_unit_test(test_gemm_variants),
      cmocka_unit_test(test_conv),
      cmocka_unit_test(test_precisions),
      cmocka_unit_test(test_fp8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
