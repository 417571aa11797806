/* Compiled MatMul, Gemm, Conv, ConvTranspose and Einsum against the
 * reference evaluator (codegen/cg_linalg.c, codegen/cg_linalg_conv.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <llvm-c/Support.h>

#include "cg_harness.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define F32 INGOT_DT_FLOAT

typedef struct {
  ingot_tensor_t t[8];
  int n;
} ins_t;

static int64_t count(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

static bool is_unsigned(int dt) {
  return dt == INGOT_DT_UINT8 || dt == INGOT_DT_UINT16 || dt == INGOT_DT_UINT32 || dt == INGOT_DT_UINT64;
}

/* Deterministic data of any dtype: floats in [-1, 1), integers small. */
static void fill(int dt, void *data, int64_t n, uint32_t seed) {
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  cgt_fill(f, n, seed);
  ingot_tensor_t t = ingot_tensor_view(dt, 1, &n, data, (size_t)n * ingot_dtype_size(dt));
  for (int64_t i = 0; i < n; i++) {
    if (ingot_dtype_is_float(dt))
      ingot_tensor_set_f64(&t, i, f[i]);
    else
      ingot_tensor_set_f64(&t, i, is_unsigned(dt) ? floor((f[i] + 1) * 6) : floor(f[i] * 6));
  }
  free(f);
}

/* A graph input with deterministic data (its tensor appended to ins). */
static int32_t input(ingot_graph_t *g, ins_t *ins, const char *name, int dt, int rank, const int64_t *dims,
                     uint32_t seed) {
  int32_t v = cgt_input(g, name, dt, rank, dims);
  ingot_tensor_t *t = &ins->t[ins->n++];
  cgt_ok(ingot_tensor_alloc(t, dt, rank, dims));
  fill(dt, t->data, count(rank, dims), seed);
  return v;
}

/* A constant (weight) with deterministic data. */
static int32_t weight(ingot_graph_t *g, const char *name, int dt, int rank, const int64_t *dims, uint32_t seed) {
  int64_t n = count(rank, dims);
  void *buf = calloc((size_t)(n ? n : 1), ingot_dtype_size(dt));
  fill(dt, buf, n, seed);
  int32_t v = cgt_const(g, name, dt, rank, dims, buf);
  free(buf);
  return v;
}

static void check(ingot_graph_t *g, ins_t *ins, double tol) {
  cgt_check(g, ins->t, tol);
  for (int i = 0; i < ins->n; i++) ingot_tensor_release(&ins->t[i]);
}

/* ---- MatMul ------------------------------------------------------------------------ */

/* y = a @ b with both operands graph inputs (or b a weight). */
static void matmul_case(int dt, int ra, const int64_t *ad, int rb, const int64_t *bd, bool b_const, double tol) {
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int32_t a = input(g, &ins, "a", dt, ra, ad, 1);
  int32_t b = b_const ? weight(g, "b", dt, rb, bd, 2) : input(g, &ins, "b", dt, rb, bd, 2);
  cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){a, b}, "y");
  cgt_output(g, "y");
  check(g, &ins, tol);
}

static void test_matmul_2d(void **state) {
  (void)state;
  matmul_case(F32, 2, D(5, 7), 2, D(7, 6), false, 1e-5);
  matmul_case(F32, 2, D(1, 1), 2, D(1, 1), false, 1e-5);
  matmul_case(F32, 2, D(3, 300), 2, D(300, 17), true, 1e-5); /* long K */
  matmul_case(F32, 2, D(33, 64), 2, D(64, 1), false, 1e-5);  /* N = 1 */
}

static void test_matmul_batched(void **state) {
  (void)state;
  matmul_case(F32, 3, D(4, 5, 8), 3, D(4, 8, 6), false, 1e-5);
  matmul_case(F32, 4, D(2, 1, 4, 8), 3, D(3, 8, 5), false, 1e-5); /* broadcast both ways */
  matmul_case(F32, 2, D(4, 8), 3, D(3, 8, 5), false, 1e-5);       /* A without batch */
  matmul_case(F32, 3, D(3, 4, 8), 2, D(8, 5), true, 1e-5);        /* weights */
  matmul_case(F32, 4, D(1, 1, 4, 8), 4, D(2, 3, 8, 5), false, 1e-5);
  matmul_case(F32, 4, D(2, 3, 4, 8), 4, D(2, 1, 8, 5), false, 1e-5);
}

static void test_matmul_1d(void **state) {
  (void)state;
  matmul_case(F32, 1, D(8), 2, D(8, 5), false, 1e-5);
  matmul_case(F32, 2, D(4, 8), 1, D(8), false, 1e-5);
  matmul_case(F32, 1, D(8), 1, D(8), false, 1e-5); /* rank-0 result */
  matmul_case(F32, 1, D(8), 3, D(3, 8, 5), false, 1e-5);
  matmul_case(F32, 3, D(3, 4, 8), 1, D(8), false, 1e-5);
}

static void test_matmul_dtypes(void **state) {
  (void)state;
  matmul_case(INGOT_DT_DOUBLE, 3, D(2, 5, 40), 2, D(40, 6), false, 1e-12);
  matmul_case(INGOT_DT_FLOAT16, 3, D(2, 5, 40), 2, D(40, 6), false, 2e-3);
  matmul_case(INGOT_DT_INT32, 3, D(2, 5, 9), 2, D(9, 6), false, 0);
  matmul_case(INGOT_DT_INT64, 2, D(5, 9), 2, D(9, 6), true, 0);
  matmul_case(INGOT_DT_UINT8, 2, D(5, 16), 2, D(16, 6), false, 0); /* sums wrap mod 256 */
  matmul_case(INGOT_DT_INT8, 2, D(5, 16), 1, D(16), false, 0);
}

/* DiT-like: tokens [2, 64, 64] @ W [64, 192] + bias. */
static void test_matmul_dit(void **state) {
  (void)state;
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int32_t x = input(g, &ins, "x", F32, 3, D(2, 64, 64), 3);
  int32_t w = weight(g, "w", F32, 2, D(64, 192), 4);
  int32_t b = weight(g, "bias", F32, 1, D(192), 5);
  int32_t mm = cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, w}, "xw");
  cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){g->nodes[mm].outputs[0], b}, "y");
  cgt_output(g, "y");
  check(g, &ins, 1e-5);
}

/* ---- Gemm -------------------------------------------------------------------------- */

static void gemm_case(int dt, int64_t M, int64_t K, int64_t N, int ta, int tb, float alpha, float beta, int rc,
                      const int64_t *cd, double tol) {
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int32_t a = input(g, &ins, "a", dt, 2, ta ? D(K, M) : D(M, K), 1);
  int32_t b = weight(g, "b", dt, 2, tb ? D(N, K) : D(K, N), 2);
  int32_t c = rc >= 0 ? weight(g, "c", dt, rc, cd, 3) : -1;
  int32_t n = cgt_node(g, INGOT_OP_GEMM, c >= 0 ? 3 : 2, (int32_t[]){a, b, c}, "y");
  if (ta) cgt_attr_i(g, n, "transA", 1);
  if (tb) cgt_attr_i(g, n, "transB", 1);
  if (alpha != 1.0f) cgt_attr_f(g, n, "alpha", alpha);
  if (beta != 1.0f) cgt_attr_f(g, n, "beta", beta);
  cgt_output(g, "y");
  check(g, &ins, tol);
}

static void test_gemm(void **state) {
  (void)state;
  gemm_case(F32, 4, 6, 5, 0, 0, 1, 1, 1, D(5), 1e-5);
  gemm_case(F32, 4, 6, 5, 0, 0, 1, 1, -1, NULL, 1e-5);
  gemm_case(F32, 4, 6, 5, 1, 0, 0.5f, 2.0f, 2, D(4, 1), 1e-5);
  gemm_case(F32, 4, 6, 5, 0, 1, 1, 0.25f, 2, D(4, 5), 1e-5);
  gemm_case(F32, 4, 6, 5, 1, 1, -1.5f, 1, 0, NULL, 1e-5);
  gemm_case(F32, 4, 6, 5, 0, 0, 1, 1, 2, D(1, 5), 1e-5);
  gemm_case(F32, 1, 1, 1, 0, 0, 1, 1, 1, D(1), 1e-5);
  gemm_case(F32, 8, 256, 96, 0, 1, 1, 1, 1, D(96), 1e-5); /* nn.Linear */
  gemm_case(F32, 8, 256, 96, 0, 0, 1, 1, 1, D(96), 1e-5);
}

static void test_gemm_dtypes(void **state) {
  (void)state;
  gemm_case(INGOT_DT_DOUBLE, 4, 30, 5, 0, 1, 2, 0.5f, 1, D(5), 1e-12);
  gemm_case(INGOT_DT_FLOAT16, 4, 30, 5, 1, 0, 1, 1, 1, D(5), 2e-3);
  gemm_case(INGOT_DT_INT32, 4, 7, 5, 0, 0, 1, 1, 2, D(4, 5), 0);
  gemm_case(INGOT_DT_INT64, 4, 7, 5, 1, 1, 2, 3, 1, D(5), 0);
}

/* ---- Conv -------------------------------------------------------------------------- */

typedef struct {
  int nsp;
  int64_t n, c, m, group;
  int64_t in[3], ks[3];
  const int64_t *strides, *dilations, *pads; /* NULL = default */
  const char *auto_pad;
  bool bias, w_input;
  const int64_t *output_padding, *output_shape; /* ConvTranspose */
  int n_output_shape;
} conv_t;

static void conv_case(const conv_t *p, bool transpose, int dt, double tol) {
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int64_t xd[5] = {p->n, p->c}, wd[5], bd[1];
  for (int d = 0; d < p->nsp; d++) {
    xd[2 + d] = p->in[d];
    wd[2 + d] = p->ks[d];
  }
  if (transpose) {
    wd[0] = p->c;
    wd[1] = p->m / p->group;
  } else {
    wd[0] = p->m;
    wd[1] = p->c / p->group;
  }
  bd[0] = p->m;
  int32_t x = input(g, &ins, "x", dt, p->nsp + 2, xd, 1);
  int32_t w = p->w_input ? input(g, &ins, "w", dt, p->nsp + 2, wd, 2) : weight(g, "w", dt, p->nsp + 2, wd, 2);
  int32_t b = p->bias ? weight(g, "b", dt, 1, bd, 3) : -1;
  int32_t n =
      cgt_node(g, transpose ? INGOT_OP_CONV_TRANSPOSE : INGOT_OP_CONV, p->bias ? 3 : 2, (int32_t[]){x, w, b}, "y");
  if (p->group != 1) cgt_attr_i(g, n, "group", p->group);
  if (p->strides) cgt_attr_ints(g, n, "strides", (size_t)p->nsp, p->strides);
  if (p->dilations) cgt_attr_ints(g, n, "dilations", (size_t)p->nsp, p->dilations);
  if (p->pads) cgt_attr_ints(g, n, "pads", (size_t)(2 * p->nsp), p->pads);
  if (p->auto_pad) cgt_attr_s(g, n, "auto_pad", p->auto_pad);
  if (p->output_padding) cgt_attr_ints(g, n, "output_padding", (size_t)p->nsp, p->output_padding);
  if (p->output_shape) cgt_attr_ints(g, n, "output_shape", (size_t)p->n_output_shape, p->output_shape);
  cgt_attr_ints(g, n, "kernel_shape", (size_t)p->nsp, p->ks);
  cgt_output(g, "y");
  check(g, &ins, tol);
}

static void test_conv_2d(void **state) {
  (void)state;
  /* UNet-like 3x3 pad 1, 32 -> 32 on 16x16 */
  conv_case(&(conv_t){2, 1, 32, 32, 1, {16, 16}, {3, 3}, .pads = D(1, 1, 1, 1), .bias = true}, false, F32, 1e-5);
  /* DiT patchify: 4 -> 64, k = s = 2 on 16x16 */
  conv_case(&(conv_t){2, 2, 4, 64, 1, {16, 16}, {2, 2}, .strides = D(2, 2), .bias = true}, false, F32, 1e-5);
  /* no padding, no bias, rectangular, weights as an input */
  conv_case(&(conv_t){2, 2, 3, 5, 1, {7, 9}, {3, 2}, .w_input = true}, false, F32, 1e-5);
  /* asymmetric pads, stride 2 x 3, dilation 2 x 1 */
  conv_case(&(conv_t){2,
                      1,
                      3,
                      4,
                      1,
                      {11, 10},
                      {3, 3},
                      .strides = D(2, 3),
                      .dilations = D(2, 1),
                      .pads = D(1, 0, 2, 3),
                      .bias = true},
            false, F32, 1e-5);
  /* 1x1 */
  conv_case(&(conv_t){2, 1, 16, 8, 1, {5, 5}, {1, 1}, .bias = true}, false, F32, 1e-5);
  /* kernel wider than the unroll limit */
  conv_case(&(conv_t){2, 1, 2, 3, 1, {4, 20}, {1, 11}, .pads = D(0, 5, 0, 5), .bias = true}, false, F32, 1e-5);
}

static void test_conv_groups(void **state) {
  (void)state;
  conv_case(&(conv_t){2, 1, 4, 6, 2, {6, 6}, {3, 3}, .pads = D(1, 1, 1, 1), .bias = true}, false, F32, 1e-5);
  /* depthwise */
  conv_case(&(conv_t){2, 2, 8, 8, 8, {9, 9}, {3, 3}, .strides = D(2, 2), .pads = D(1, 1, 1, 1), .bias = true}, false,
            F32, 1e-5);
  /* depthwise with multiplier 2 */
  conv_case(&(conv_t){2, 1, 4, 8, 4, {6, 7}, {3, 3}, .bias = false}, false, F32, 1e-5);
}

static void test_conv_auto_pad(void **state) {
  (void)state;
  static const char *modes[] = {"SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"};
  for (int i = 0; i < 4; i++) {
    conv_case(&(conv_t){2, 1, 3, 4, 1, {7, 8}, {4, 3}, .strides = D(2, 2), .auto_pad = modes[i], .bias = true}, false,
              F32, 1e-5);
    conv_case(&(conv_t){1, 1, 3, 4, 1, {10}, {2}, .strides = D(3), .dilations = D(2), .auto_pad = modes[i]}, false, F32,
              1e-5);
  }
}

static void test_conv_1d_3d(void **state) {
  (void)state;
  conv_case(&(conv_t){1, 2, 3, 5, 1, {20}, {3}, .strides = D(2), .dilations = D(2), .pads = D(2, 1), .bias = true},
            false, F32, 1e-5);
  conv_case(&(conv_t){1, 1, 4, 4, 2, {9}, {1}, .bias = false}, false, F32, 1e-5);
  conv_case(&(conv_t){3,
                      1,
                      2,
                      4,
                      1,
                      {5, 6, 7},
                      {3, 3, 3},
                      .strides = D(1, 2, 1),
                      .dilations = D(1, 1, 2),
                      .pads = D(1, 1, 1, 1, 0, 2),
                      .bias = true},
            false, F32, 1e-5);
  conv_case(&(conv_t){3, 2, 4, 4, 2, {4, 4, 4}, {1, 2, 2}, .strides = D(1, 2, 2), .bias = true}, false, F32, 1e-5);
}

static void test_conv_dtypes(void **state) {
  (void)state;
  conv_case(&(conv_t){2, 1, 3, 4, 1, {8, 8}, {3, 3}, .pads = D(1, 1, 1, 1), .bias = true}, false, INGOT_DT_DOUBLE,
            1e-12);
  conv_case(&(conv_t){2, 1, 3, 4, 1, {8, 8}, {3, 3}, .pads = D(1, 1, 1, 1), .bias = true}, false, INGOT_DT_FLOAT16,
            2e-3);
}

/* ---- ConvTranspose ----------------------------------------------------------------- */

static void test_conv_transpose(void **state) {
  (void)state;
  /* UNet upsampling-like: stride 2, k 3, pads 1, output_padding 1 */
  conv_case(&(conv_t){2,
                      1,
                      8,
                      4,
                      1,
                      {6, 6},
                      {3, 3},
                      .strides = D(2, 2),
                      .pads = D(1, 1, 1, 1),
                      .bias = true,
                      .output_padding = D(1, 1)},
            true, F32, 1e-5);
  /* k = s = 2 (unpatchify) */
  conv_case(&(conv_t){2, 2, 6, 3, 1, {4, 5}, {2, 2}, .strides = D(2, 2), .bias = true}, true, F32, 1e-5);
  /* stride 1, no pads, weights as input */
  conv_case(&(conv_t){2, 1, 3, 2, 1, {5, 4}, {3, 2}, .w_input = true}, true, F32, 1e-5);
  /* groups, dilation, asymmetric pads, stride 3 x 2 */
  conv_case(
      &(conv_t){
          2, 2, 4, 6, 2, {5, 6}, {3, 2}, .strides = D(3, 2), .dilations = D(2, 3), .pads = D(1, 0, 2, 1), .bias = true},
      true, F32, 1e-5);
  /* depthwise */
  conv_case(&(conv_t){2, 1, 4, 4, 4, {5, 5}, {3, 3}, .strides = D(2, 2), .pads = D(1, 1, 1, 1)}, true, F32, 1e-5);
  /* 1-D, 3-D, wide kernel */
  conv_case(&(conv_t){1,
                      2,
                      3,
                      5,
                      1,
                      {7},
                      {4},
                      .strides = D(3),
                      .dilations = D(2),
                      .pads = D(1, 2),
                      .bias = true,
                      .output_padding = D(2)},
            true, F32, 1e-5);
  conv_case(
      &(conv_t){3, 1, 2, 3, 1, {3, 4, 3}, {2, 3, 2}, .strides = D(2, 1, 2), .pads = D(0, 1, 0, 1, 0, 1), .bias = true},
      true, F32, 1e-5);
  conv_case(&(conv_t){1, 1, 2, 2, 1, {6}, {12}, .strides = D(2), .pads = D(3, 2), .bias = true}, true, F32, 1e-5);
}

static void test_conv_transpose_shape(void **state) {
  (void)state;
  static const char *modes[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
  for (int i = 0; i < 3; i++)
    conv_case(&(conv_t){2, 1, 3, 4, 1, {5, 4}, {3, 4}, .strides = D(2, 3), .auto_pad = modes[i], .bias = true}, true,
              F32, 1e-5);
  /* output_shape (spatial only, and with N, C) */
  conv_case(&(conv_t){2,
                      1,
                      3,
                      2,
                      1,
                      {4, 4},
                      {3, 3},
                      .strides = D(2, 2),
                      .bias = true,
                      .output_shape = D(9, 8),
                      .n_output_shape = 2},
            true, F32, 1e-5);
  conv_case(&(conv_t){2,
                      1,
                      3,
                      2,
                      1,
                      {4, 4},
                      {3, 3},
                      .strides = D(2, 2),
                      .auto_pad = "SAME_UPPER",
                      .bias = true,
                      .output_shape = D(1, 2, 10, 9),
                      .n_output_shape = 4},
            true, F32, 1e-5);
  conv_case(&(conv_t){2, 1, 3, 4, 1, {6, 6}, {3, 3}, .strides = D(2, 2), .bias = true}, true, INGOT_DT_DOUBLE, 1e-12);
  conv_case(&(conv_t){2, 1, 3, 4, 1, {6, 6}, {3, 3}, .strides = D(2, 2), .bias = true}, true, INGOT_DT_FLOAT16, 2e-3);
}

/* ---- Einsum ------------------------------------------------------------------------ */

static void einsum_case(const char *eq, int dt, int nops, const int *ranks, const int64_t *const *dims, double tol) {
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int32_t v[4];
  char name[8];
  for (int i = 0; i < nops; i++) {
    snprintf(name, sizeof name, "x%d", i);
    v[i] = input(g, &ins, name, dt, ranks[i], dims[i], (uint32_t)i + 1);
  }
  int32_t n = cgt_node(g, INGOT_OP_EINSUM, (uint32_t)nops, v, "y");
  cgt_attr_s(g, n, "equation", eq);
  cgt_output(g, "y");
  check(g, &ins, tol);
}

#define E1(eq, dt, r0, d0, tol) einsum_case(eq, dt, 1, (int[]){r0}, (const int64_t *const[]){d0}, tol)
#define E2(eq, dt, r0, d0, r1, d1, tol) einsum_case(eq, dt, 2, (int[]){r0, r1}, (const int64_t *const[]){d0, d1}, tol)

static void test_einsum_matmul(void **state) {
  (void)state;
  E2("ij,jk->ik", F32, 2, D(5, 40), 2, D(40, 7), 1e-5);
  E2("bij,bjk->bik", F32, 3, D(3, 5, 40), 3, D(3, 40, 7), 1e-5);
  E2("bhqd,bhkd->bhqk", F32, 4, D(2, 2, 6, 16), 4, D(2, 2, 5, 16), 1e-5); /* attention scores */
  E2("bhqk,bhkd->bhqd", F32, 4, D(2, 2, 6, 5), 4, D(2, 2, 5, 16), 1e-5);
  E2("ij,jk", F32, 2, D(4, 6), 2, D(6, 3), 1e-5); /* implicit -> ik */
  E2("ji,jk", F32, 2, D(6, 4), 2, D(6, 3), 1e-5); /* implicit -> ik, transposed A */
  E2("...ij,...jk->...ik", F32, 4, D(2, 1, 4, 6), 3, D(3, 6, 5), 1e-5);
  E2("i j , j k -> k i", F32, 2, D(4, 6), 2, D(6, 3), 1e-5); /* spaces, transposed output */
}

static void test_einsum_permute_reduce(void **state) {
  (void)state;
  E1("nhwpqc->nchpwq", F32, 6, D(2, 3, 4, 2, 2, 5), 0); /* DiT unpatchify */
  E1("ij->ji", F32, 2, D(7, 9), 0);
  E1("ij->i", F32, 2, D(7, 9), 1e-5);
  E1("ij->j", F32, 2, D(7, 9), 1e-5);
  E1("ij->", F32, 2, D(7, 9), 1e-5);
  E1("ii->i", F32, 2, D(6, 6), 0); /* diagonal */
  E1("ii", F32, 2, D(6, 6), 1e-5); /* trace (implicit, scalar) */
  E1("...ij->...ji", F32, 4, D(2, 3, 4, 5), 0);
  E1("bij", F32, 3, D(2, 3, 4), 0);
}

static void test_einsum_products(void **state) {
  (void)state;
  E2("i,j->ij", F32, 1, D(5), 1, D(7), 1e-6);
  E2("ij,ij->ij", F32, 2, D(3, 4), 2, D(3, 4), 1e-6);
  E2("ij,ij->ij", F32, 2, D(3, 1), 2, D(3, 4), 1e-6); /* size-1 broadcast */
  E2("i,i->", F32, 1, D(50), 1, D(50), 1e-5);
  E2("bn,anm->bam", F32, 2, D(3, 4), 3, D(2, 4, 5), 1e-5);
  einsum_case("ij,jk,kl->il", F32, 3, (int[]){2, 2, 2}, (const int64_t *const[]){D(3, 4), D(4, 5), D(5, 6)}, 1e-5);
}

static void test_einsum_dtypes(void **state) {
  (void)state;
  E2("bij,bjk->bik", INGOT_DT_INT32, 3, D(2, 3, 5), 3, D(2, 5, 4), 0);
  E1("ij->i", INGOT_DT_INT64, 2, D(4, 5), 0);
  E2("ij,jk->ik", INGOT_DT_DOUBLE, 2, D(5, 30), 2, D(30, 7), 1e-12);
  E2("ij,jk->ik", INGOT_DT_FLOAT16, 2, D(5, 30), 2, D(30, 7), 2e-3);
  E1("ij->ji", INGOT_DT_FLOAT16, 2, D(3, 5), 0);
  E1("ij->i", INGOT_DT_FLOAT16, 2, D(3, 5), 2e-3);
}

/* ---- edge cases -------------------------------------------------------------------- */

/* Rows too long for the stack accumulator accumulate in the output. */
static void test_long_rows(void **state) {
  (void)state;
  matmul_case(F32, 2, D(3, 5), 2, D(5, 17000), false, 1e-5);
  matmul_case(INGOT_DT_DOUBLE, 2, D(2, 3), 2, D(3, 9000), false, 1e-12);
  gemm_case(F32, 2, 5, 17000, 0, 0, 2, 1, 1, D(17000), 1e-5);
  conv_case(&(conv_t){1, 1, 2, 3, 1, {20000}, {3}, .pads = D(1, 1), .bias = true}, false, F32, 1e-5);
  conv_case(&(conv_t){1, 1, 2, 3, 1, {9000}, {3}, .strides = D(2), .bias = true}, true, F32, 1e-5);
  E2("ij,jk->ik", F32, 2, D(2, 4), 2, D(4, 17000), 1e-5);
}

/* Empty operands: K = 0 gives zeros, M = 0 an empty result. */
static void test_empty(void **state) {
  (void)state;
  matmul_case(F32, 2, D(3, 0), 2, D(0, 4), false, 0);
  matmul_case(F32, 2, D(0, 4), 2, D(4, 3), false, 0);
  E2("ij,jk->ik", F32, 2, D(3, 0), 2, D(0, 4), 0);
}

/* WORKAROUND (remove once ingot_cg_jit handles it): MCJIT builds its own
 * TargetMachine for a generic x86-64 CPU, without F16C, so LLVM 14 lowers
 * half <-> float conversions to the libcalls __gnu_h2f_ieee /
 * __gnu_f2h_ieee, which nothing in the process defines (libgcc has only
 * __extendhfsf2 / __truncsfhf2); an unresolved symbol leaves the JIT's
 * relocations unapplied and the run function calls address 0. */
static float h2f(uint16_t h) { return ingot_f16_to_f32(h); }
static uint16_t f2h(float f) { return ingot_f32_to_f16(f); }

int main(void) {
  LLVMAddSymbol("__gnu_h2f_ieee", (void *)(uintptr_t)h2f);
  LLVMAddSymbol("__gnu_f2h_ieee", (void *)(uintptr_t)f2h);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matmul_2d),       cmocka_unit_test(test_matmul_batched),
      cmocka_unit_test(test_matmul_1d),       cmocka_unit_test(test_matmul_dtypes),
      cmocka_unit_test(test_matmul_dit),      cmocka_unit_test(test_gemm),
      cmocka_unit_test(test_gemm_dtypes),     cmocka_unit_test(test_conv_2d),
      cmocka_unit_test(test_conv_groups),     cmocka_unit_test(test_conv_auto_pad),
      cmocka_unit_test(test_conv_1d_3d),      cmocka_unit_test(test_conv_dtypes),
      cmocka_unit_test(test_conv_transpose),  cmocka_unit_test(test_conv_transpose_shape),
      cmocka_unit_test(test_einsum_matmul),   cmocka_unit_test(test_einsum_permute_reduce),
      cmocka_unit_test(test_einsum_products), cmocka_unit_test(test_einsum_dtypes),
      cmocka_unit_test(test_long_rows),       cmocka_unit_test(test_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
