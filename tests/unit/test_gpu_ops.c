/* GPU backend: the row kernels (codegen/gpu_norm.c) with and without fused
 * epilogues, and a spread of ops through the generic path (every CPU
 * emitter reused one work item per GPU thread), in the CPU emulator (and on
 * a GPU when present), with ptxas when installed.  Float32 throughout:
 * relative L2 <= 1e-5. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gpu_harness.h"

#define TOL 1e-5

static ingot_tensor_t rnd(int rank, const int64_t *dims, uint32_t seed, float scale, float shift) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, INGOT_DT_FLOAT, rank, dims));
  float *p = t.data;
  cgt_fill(p, ingot_tensor_numel(&t), seed);
  for (int64_t i = 0; i < ingot_tensor_numel(&t); i++) p[i] = p[i] * scale + shift;
  return t;
}

static float *rnd_data(int64_t n, uint32_t seed) {
  float *p = malloc((size_t)n * sizeof *p);
  cgt_fill(p, n, seed);
  return p;
}

static int32_t out0(ingot_graph_t *g, int32_t node) { return g->nodes[node].outputs[0]; }

/* LayerNorm(x, w, b) over axis, optionally followed by the adaLN modulation
 * y * (1 + scale) + shift with [B, 1, C] scale/shift inputs. */
static void layernorm_case(int rank, const int64_t *dims, int64_t axis, bool modulate, const char *kind) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, rank, dims);
  int64_t a = axis < 0 ? axis + rank : axis, L = 1;
  for (int d = (int)a; d < rank; d++) L *= dims[d];
  float *w = rnd_data(L, 3), *b = rnd_data(L, 5);
  int32_t wv = cgt_const(g, "w", INGOT_DT_FLOAT, rank - (int)a, dims + a, w);
  int32_t bv = cgt_const(g, "b", INGOT_DT_FLOAT, rank - (int)a, dims + a, b);
  int32_t n = cgt_node(g, INGOT_OP_LAYER_NORM, 3, (int32_t[]){x, wv, bv}, modulate ? "ln" : "y");
  cgt_attr_i(g, n, "axis", axis);
  cgt_attr_f(g, n, "epsilon", 1e-6f);
  ingot_tensor_t in[3];
  int nin = 1;
  in[0] = rnd(rank, dims, 7, 3.0f, 0.5f);
  if (modulate) {
    int64_t md[3] = {dims[0], 1, dims[rank - 1]};
    int32_t sc = cgt_input(g, "scale", INGOT_DT_FLOAT, 3, md), sh = cgt_input(g, "shift", INGOT_DT_FLOAT, 3, md);
    float one = 1.0f;
    int32_t onev = cgt_const(g, "one", INGOT_DT_FLOAT, 0, NULL, &one);
    int32_t ln = out0(g, n);
    int32_t a1 = cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){onev, sc}, "s1");
    int32_t s1 = out0(g, a1);
    int32_t m = cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){ln, s1}, "m");
    int32_t mv = out0(g, m);
    cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){mv, sh}, "y");
    in[1] = rnd(3, md, 11, 0.5f, 0.0f);
    in[2] = rnd(3, md, 13, 0.5f, 0.0f);
    nin = 3;
  }
  cgt_output(g, "y");
  ingot_gpu_options_t o = gpt_opts("sm_80");
  gpt_check_kind(g, in, TOL, &o, kind);
  for (int i = 0; i < nin; i++) ingot_tensor_release(&in[i]);
  free(w);
  free(b);
}

static void test_layernorm(void **state) {
  (void)state;
  layernorm_case(3, (int64_t[]){2, 7, 64}, -1, false, "row");
  layernorm_case(3, (int64_t[]){2, 5, 33}, 1, false, "row");     /* two normalised axes, odd length */
  layernorm_case(3, (int64_t[]){2, 16, 96}, -1, true, "row");    /* fused adaLN modulation */
}

/* torch's GroupNorm export: Reshape [B, G, -1] -> InstanceNorm -> Reshape
 * -> Mul w -> Add b, then SiLU (Sigmoid, Mul). */
static void test_groupnorm_silu(void **state) {
  (void)state;
  const int64_t B = 2, C = 32, H = 6, W = 5, G = 8;
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 4, (int64_t[]){B, C, H, W});
  int64_t s1[3] = {B, G, -1}, s2[4] = {B, C, H, W};
  int32_t sh1 = cgt_const(g, "s1", INGOT_DT_INT64, 1, (int64_t[]){3}, s1);
  int32_t sh2 = cgt_const(g, "s2", INGOT_DT_INT64, 1, (int64_t[]){4}, s2);
  float ones[8], zeros[8];
  for (int i = 0; i < 8; i++) {
    ones[i] = 1;
    zeros[i] = 0;
  }
  int32_t on = cgt_const(g, "ones", INGOT_DT_FLOAT, 1, (int64_t[]){G}, ones);
  int32_t ze = cgt_const(g, "zeros", INGOT_DT_FLOAT, 1, (int64_t[]){G}, zeros);
  float *wd = rnd_data(C, 17), *bd = rnd_data(C, 19);
  int32_t wv = cgt_const(g, "w", INGOT_DT_FLOAT, 3, (int64_t[]){C, 1, 1}, wd);
  int32_t bv = cgt_const(g, "b", INGOT_DT_FLOAT, 3, (int64_t[]){C, 1, 1}, bd);
  int32_t r1 = out0(g, cgt_node(g, INGOT_OP_RESHAPE, 2, (int32_t[]){x, sh1}, "r1"));
  int32_t in_ = cgt_node(g, INGOT_OP_INSTANCE_NORM, 3, (int32_t[]){r1, on, ze}, "inorm");
  cgt_attr_f(g, in_, "epsilon", 1e-5f);
  int32_t inv = out0(g, in_);
  int32_t r2 = out0(g, cgt_node(g, INGOT_OP_RESHAPE, 2, (int32_t[]){inv, sh2}, "r2"));
  int32_t mu = out0(g, cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){r2, wv}, "mu"));
  int32_t ad = out0(g, cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){mu, bv}, "ad"));
  int32_t sg = out0(g, cgt_node(g, INGOT_OP_SIGMOID, 1, (int32_t[]){ad}, "sg"));
  cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){ad, sg}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {rnd(4, (int64_t[]){B, C, H, W}, 23, 2.0f, 1.0f)};
  ingot_gpu_options_t o = gpt_opts("sm_90");
  gpt_check_kind(g, in, TOL, &o, "row");
  ingot_tensor_release(&in[0]);
  free(wd);
  free(bd);
}

static void softmax_case(ingot_op_t op, int rank, const int64_t *dims, int64_t axis, const char *kind) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, rank, dims);
  int32_t n = cgt_node(g, op, 1, (int32_t[]){x}, "y");
  cgt_attr_i(g, n, "axis", axis);
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {rnd(rank, dims, 29, 4.0f, 0.0f)};
  ingot_gpu_options_t o = gpt_opts("sm_80");
  gpt_check_kind(g, in, TOL, &o, kind);
  ingot_tensor_release(&in[0]);
}

static void test_softmax(void **state) {
  (void)state;
  softmax_case(INGOT_OP_SOFTMAX, 3, (int64_t[]){3, 5, 77}, -1, "row");
  softmax_case(INGOT_OP_LOG_SOFTMAX, 2, (int64_t[]){6, 40}, 1, "row");
  softmax_case(INGOT_OP_SOFTMAX, 3, (int64_t[]){3, 5, 7}, 1, "generic"); /* not the last axis */
}

/* Elementwise with libm functions (libdevice on the GPU), broadcasting. */
static void test_generic_elementwise(void **state) {
  (void)state;
  static const ingot_op_t ops[] = {INGOT_OP_EXP, INGOT_OP_TANH, INGOT_OP_ERF, INGOT_OP_SIN, INGOT_OP_COS,
                                   INGOT_OP_SIGMOID, INGOT_OP_LOG, INGOT_OP_SQRT};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){9, 13});
    int32_t y = cgt_input(g, "y", INGOT_DT_FLOAT, 1, (int64_t[]){13});
    int32_t a = out0(g, cgt_node(g, ops[i], 1, (int32_t[]){x}, "a"));
    int32_t p = out0(g, cgt_node(g, INGOT_OP_POW, 2, (int32_t[]){x, y}, "p"));
    cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){a, p}, "m");
    cgt_output(g, "m");
    /* x in [0.3, 1.3]: in every op's domain, pow of a positive base */
    ingot_tensor_t in[2] = {rnd(2, (int64_t[]){9, 13}, 31, 0.5f, 0.8f), rnd(1, (int64_t[]){13}, 37, 1.0f, 1.5f)};
    ingot_gpu_options_t o = gpt_opts("sm_80");
    o.generic_only = true; /* no fusion-anchored special kernels: the CPU emitters on the GPU */
    gpt_check(g, in, 1e-5, &o);
    ingot_tensor_release(&in[0]);
    ingot_tensor_release(&in[1]);
  }
}

/* The one-thread-per-element kernel: plain ops with broadcasting, and an
 * anchor-less fused chain (tanh-GELU written out as torch exports it). */
static void test_elementwise_kernel(void **state) {
  (void)state;
  static const ingot_op_t ops[] = {INGOT_OP_ADD, INGOT_OP_DIV, INGOT_OP_POW, INGOT_OP_MAX};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 3, (int64_t[]){3, 1, 13});
    int32_t y = cgt_input(g, "y", INGOT_DT_FLOAT, 2, (int64_t[]){7, 13});
    cgt_node(g, ops[i], 2, (int32_t[]){x, y}, "z");
    cgt_output(g, "z");
    ingot_tensor_t in[2] = {rnd(3, (int64_t[]){3, 1, 13}, 43, 0.5f, 0.8f), rnd(2, (int64_t[]){7, 13}, 47, 1.0f, 1.5f)};
    ingot_gpu_options_t o = gpt_opts("sm_80");
    gpt_check_kind(g, in, 1e-5, &o, "elementwise");
    ingot_tensor_release(&in[0]);
    ingot_tensor_release(&in[1]);
  }
  /* 0.5 x (1 + tanh(0.79788456 (x + 0.044715 x^3))) + r */
  ingot_graph_t *g = cgt_graph();
  int64_t d[2] = {37, 29};
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, d), r = cgt_input(g, "r", INGOT_DT_FLOAT, 2, d);
  float cs[5] = {0.044715f, 0.79788456f, 1.0f, 0.5f, 3.0f};
  int32_t c0 = cgt_const(g, "c0", INGOT_DT_FLOAT, 0, NULL, &cs[0]), c1 = cgt_const(g, "c1", INGOT_DT_FLOAT, 0, NULL, &cs[1]);
  int32_t c2 = cgt_const(g, "c2", INGOT_DT_FLOAT, 0, NULL, &cs[2]), c3 = cgt_const(g, "c3", INGOT_DT_FLOAT, 0, NULL, &cs[3]);
  int32_t c4 = cgt_const(g, "c4", INGOT_DT_FLOAT, 0, NULL, &cs[4]);
  int32_t x3 = out0(g, cgt_node(g, INGOT_OP_POW, 2, (int32_t[]){x, c4}, "x3"));
  int32_t t1 = out0(g, cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){x3, c0}, "t1"));
  int32_t t2 = out0(g, cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){x, t1}, "t2"));
  int32_t t3 = out0(g, cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){t2, c1}, "t3"));
  int32_t t4 = out0(g, cgt_node(g, INGOT_OP_TANH, 1, (int32_t[]){t3}, "t4"));
  int32_t t5 = out0(g, cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){t4, c2}, "t5"));
  int32_t t6 = out0(g, cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){x, t5}, "t6"));
  int32_t t7 = out0(g, cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){t6, c3}, "t7"));
  cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){t7, r}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[2] = {rnd(2, d, 53, 3.0f, 0.0f), rnd(2, d, 59, 1.0f, 0.0f)};
  ingot_gpu_options_t o = gpt_opts("sm_90");
  gpt_check_kind(g, in, 1e-5, &o, "elementwise");
  ingot_tensor_release(&in[0]);
  ingot_tensor_release(&in[1]);
}

/* Movement ops and reductions through the generic path. */
static void test_generic_movement(void **state) {
  (void)state;
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 4, 5});
  int32_t t = cgt_node(g, INGOT_OP_TRANSPOSE, 1, (int32_t[]){x}, "t");
  cgt_attr_ints(g, t, "perm", 4, (int64_t[]){0, 2, 3, 1});
  int32_t tv = out0(g, t);
  int32_t c = cgt_node(g, INGOT_OP_CONCAT, 2, (int32_t[]){tv, tv}, "c");
  cgt_attr_i(g, c, "axis", 3);
  int32_t cv = out0(g, c);
  int32_t r = cgt_node(g, INGOT_OP_REDUCE_MEAN, 1, (int32_t[]){cv}, "r");
  cgt_attr_ints(g, r, "axes", 2, (int64_t[]){1, 3});
  cgt_attr_i(g, r, "keepdims", 1);
  cgt_output(g, "r");
  ingot_tensor_t in[1] = {rnd(4, (int64_t[]){2, 3, 4, 5}, 41, 1.0f, 0.0f)};
  ingot_gpu_options_t o = gpt_opts("sm_90");
  gpt_check(g, in, 1e-5, &o);
  ingot_tensor_release(&in[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layernorm),          cmocka_unit_test(test_groupnorm_silu),
      cmocka_unit_test(test_softmax),            cmocka_unit_test(test_generic_elementwise),
      cmocka_unit_test(test_generic_movement),   cmocka_unit_test(test_elementwise_kernel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
