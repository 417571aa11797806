/* 2-D convolutions as implicit GEMMs (cg_gemm_try_conv2d: im2col panels built
 * per K block on the stack, codegen/cg_gemm.c) against the reference
 * evaluator: 3x3 with padding edges, stride 2, asymmetric and SAME pads, the
 * DiT patchify conv (kernel == stride), bias, fused epilogues, batch 2, odd
 * sizes, K blocking, and the direct-loop fallbacks (groups, dilations). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "cg_harness.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define F32 INGOT_DT_FLOAT
#define TOL 1e-5

typedef struct {
  int64_t n, c, m, h, w, kh, kw, sh, sw;
  int64_t pads[4]; /* top, left, bottom, right */
  int64_t group, dil;
  const char *auto_pad; /* NULL: explicit pads */
  bool bias;
  bool residual; /* + an input of the output's shape, then sigmoid (a fused epilogue) */
} conv_case_t;

static int64_t count(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

static int32_t weight(ingot_graph_t *g, const char *name, int rank, const int64_t *dims, uint32_t seed) {
  int64_t n = count(rank, dims);
  float *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  cgt_fill(buf, n, seed);
  int32_t v = cgt_const(g, name, F32, rank, dims, buf);
  free(buf);
  return v;
}

static void run_case_on(const conv_case_t *cc, const char *target) {
  ingot_graph_t *g = cgt_graph();
  ingot_tensor_t ins[2];
  int nin = 0;
  int64_t xd[4] = {cc->n, cc->c, cc->h, cc->w};
  int32_t x = cgt_input(g, "x", F32, 4, xd);
  cgt_ok(ingot_tensor_alloc(&ins[nin], F32, 4, xd));
  cgt_fill(ins[nin].data, count(4, xd), 1);
  nin++;
  int32_t w = weight(g, "w", 4, D(cc->m, cc->c / cc->group, cc->kh, cc->kw), 2);
  int32_t b = cc->bias ? weight(g, "b", 1, D(cc->m), 3) : -1;
  int32_t cv = cgt_node(g, INGOT_OP_CONV, cc->bias ? 3 : 2, (int32_t[]){x, w, b}, cc->residual ? "c" : "y");
  cgt_attr_ints(g, cv, "kernel_shape", 2, D(cc->kh, cc->kw));
  cgt_attr_ints(g, cv, "strides", 2, D(cc->sh, cc->sw));
  if (cc->auto_pad)
    cgt_attr_s(g, cv, "auto_pad", cc->auto_pad);
  else
    cgt_attr_ints(g, cv, "pads", 4, cc->pads);
  if (cc->group != 1) cgt_attr_i(g, cv, "group", cc->group);
  if (cc->dil != 1) cgt_attr_ints(g, cv, "dilations", 2, D(cc->dil, cc->dil));
  if (cc->residual) {
    cgt_ok(ingot_infer_shapes(g));
    const ingot_type_t *ct = &g->values[g->nodes[cv].outputs[0]].type;
    int64_t rd[4];
    for (int d = 0; d < 4; d++) rd[d] = ct->dims[d].v;
    int32_t r = cgt_input(g, "r", F32, 4, rd);
    cgt_ok(ingot_tensor_alloc(&ins[nin], F32, 4, rd));
    cgt_fill(ins[nin].data, count(4, rd), 4);
    nin++;
    int32_t s = cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){g->nodes[cv].outputs[0], r}, "s");
    cgt_node(g, INGOT_OP_SIGMOID, 1, (int32_t[]){g->nodes[s].outputs[0]}, "y");
  }
  cgt_output(g, "y");
  cgt_check_target(g, ins, TOL, target);
  for (int i = 0; i < nin; i++) ingot_tensor_release(&ins[i]);
}

static void run_case(const conv_case_t *cc) { run_case_on(cc, "native"); }

static void test_conv3x3(void **state) {
  (void)state;
  /* pad 1 stride 1: every padding edge, batch 2, bias */
  run_case(&(conv_case_t){2, 32, 32, 16, 16, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, false});
  /* odd sizes: channels, rows and columns off every tile multiple */
  run_case(&(conv_case_t){1, 5, 7, 9, 11, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, false, false});
  /* no padding */
  run_case(&(conv_case_t){2, 3, 17, 6, 13, 3, 3, 1, 1, {0, 0, 0, 0}, 1, 1, NULL, true, false});
}

static void test_conv_stride2(void **state) {
  (void)state;
  run_case(&(conv_case_t){2, 16, 24, 16, 16, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, NULL, true, false});
  run_case(&(conv_case_t){1, 6, 9, 9, 7, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, NULL, false, false});
  /* asymmetric pads and strides */
  run_case(&(conv_case_t){2, 4, 5, 8, 7, 3, 2, 2, 1, {0, 1, 1, 0}, 1, 1, NULL, true, false});
  run_case(&(conv_case_t){1, 3, 8, 7, 10, 3, 3, 2, 2, {0, 0, 0, 0}, 1, 1, "SAME_UPPER", true, false});
}

static void test_conv_patchify(void **state) {
  (void)state;
  /* DiT: kernel == stride */
  run_case(&(conv_case_t){2, 4, 48, 16, 16, 2, 2, 2, 2, {0, 0, 0, 0}, 1, 1, NULL, true, false});
  run_case(&(conv_case_t){1, 3, 10, 12, 8, 4, 4, 4, 4, {0, 0, 0, 0}, 1, 1, NULL, true, false});
}

static void test_conv_k_blocks(void **state) {
  (void)state;
  /* K = 96 * 9 = 864: more than one K block, partial sums in the output */
  run_case(&(conv_case_t){1, 96, 20, 10, 10, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, false});
  /* many columns: more than one N block */
  run_case(&(conv_case_t){1, 8, 16, 48, 40, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, false});
}

static void test_conv_fused(void **state) {
  (void)state;
  run_case(&(conv_case_t){2, 8, 16, 8, 8, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, true});
  run_case(&(conv_case_t){2, 5, 7, 9, 7, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, NULL, false, true});
}

static void test_conv_fallbacks(void **state) {
  (void)state;
  /* groups and dilations stay on the direct loop */
  run_case(&(conv_case_t){2, 8, 12, 9, 9, 3, 3, 1, 1, {1, 1, 1, 1}, 2, 1, NULL, true, false});
  run_case(&(conv_case_t){1, 4, 6, 11, 11, 3, 3, 1, 1, {2, 2, 2, 2}, 1, 2, NULL, true, true});
}

/* Stride 1 along the width with rows that are whole vectors or whole vectors
 * of rows: the im2col columns come from masked loads of image rows
 * (col_rows) instead of gathers.  Both vector widths (16 and 8 lanes), so
 * every shape meets both the one-row and the several-rows case. */
static void test_conv_row_loads(void **state) {
  (void)state;
  static const conv_case_t cases[] = {
      {1, 4, 6, 8, 32, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, false},  /* rows of 32: 2 or 4 vectors */
      {2, 3, 5, 4, 4, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, false},   /* rows of 4: 4 or 2 a vector */
      {1, 6, 7, 6, 16, 5, 5, 1, 1, {2, 2, 2, 2}, 1, 1, NULL, false, false}, /* 5x5, pad 2 */
      {1, 4, 5, 9, 16, 3, 3, 2, 1, {1, 1, 1, 1}, 1, 1, NULL, true, false},  /* stride 2 down the height only */
      {1, 3, 4, 3, 8, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, NULL, true, true},    /* N = 24: a partial panel */
      {1, 3, 4, 5, 16, 3, 3, 1, 1, {0, 2, 1, 0}, 1, 1, NULL, true, false},  /* asymmetric pads */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    run_case_on(&cases[i], "native");
    run_case_on(&cases[i], "x86-64-avx2");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv3x3),       cmocka_unit_test(test_conv_stride2),
      cmocka_unit_test(test_conv_patchify), cmocka_unit_test(test_conv_k_blocks),
      cmocka_unit_test(test_conv_fused),    cmocka_unit_test(test_conv_fallbacks),
      cmocka_unit_test(test_conv_row_loads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
