/* The float32 GEMM fast path (codegen/cg_gemm.c, cg_gemm_epilogue.c) and
 * its cost model (codegen/tiling.c), against the reference evaluator:
 * edge tiles, DiT-S/2 shapes, Gemm's transposes/alpha/beta/C, batched and
 * broadcast MatMul, constant and activation B, K blocking, fused epilogues
 * and the named targets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "cg_harness.h"
#include "codegen/tiling.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define F32 INGOT_DT_FLOAT
#define TOL 1e-5

typedef struct {
  ingot_tensor_t t[8];
  int n;
} ins_t;

static int64_t count(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

static int32_t input(ingot_graph_t *g, ins_t *ins, const char *name, int rank, const int64_t *dims, uint32_t seed) {
  int32_t v = cgt_input(g, name, F32, rank, dims);
  ingot_tensor_t *t = &ins->t[ins->n++];
  cgt_ok(ingot_tensor_alloc(t, F32, rank, dims));
  cgt_fill(t->data, count(rank, dims), seed);
  return v;
}

static int32_t weight(ingot_graph_t *g, const char *name, int rank, const int64_t *dims, uint32_t seed) {
  int64_t n = count(rank, dims);
  float *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  cgt_fill(buf, n, seed);
  int32_t v = cgt_const(g, name, F32, rank, dims, buf);
  free(buf);
  return v;
}

static void release(ins_t *ins) {
  for (int i = 0; i < ins->n; i++) ingot_tensor_release(&ins->t[i]);
}

static void check(ingot_graph_t *g, ins_t *ins) {
  cgt_check(g, ins->t, TOL);
  release(ins);
}

/* cgt_check_target (the named targets' code runs here: this machine has AVX-512); frees g and
 * the inputs. */
static void check_on(ingot_graph_t *g, ins_t *ins, const char *target) {
  cgt_check_target(g, ins->t, TOL, target);
  release(ins);
}

/* y = a @ b, b a weight or a graph input. */
static ingot_graph_t *matmul_graph(ins_t *ins, int ra, const int64_t *ad, int rb, const int64_t *bd, bool b_const) {
  ingot_graph_t *g = cgt_graph();
  int32_t a = input(g, ins, "a", ra, ad, 1);
  int32_t b = b_const ? weight(g, "b", rb, bd, 2) : input(g, ins, "b", rb, bd, 2);
  cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){a, b}, "y");
  cgt_output(g, "y");
  return g;
}

static void matmul_case(int ra, const int64_t *ad, int rb, const int64_t *bd, bool b_const) {
  ins_t ins = {0};
  check(matmul_graph(&ins, ra, ad, rb, bd, b_const), &ins);
}

/* ---- MatMul ------------------------------------------------------------------------------- */

/* M, N, K off every tile multiple: edge tiles in M, N (masked lanes) and K. */
static void test_edges(void **state) {
  (void)state;
  static const int64_t shapes[][3] = {{1, 1, 1},   {1, 7, 31},  {7, 31, 257}, {31, 257, 7},
                                      {257, 7, 31}, {13, 64, 48}, {33, 100, 33}, {17, 3, 16}};
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    int64_t M = shapes[i][0], K = shapes[i][1], N = shapes[i][2];
    matmul_case(2, D(M, K), 2, D(K, N), true);
    matmul_case(2, D(M, K), 2, D(K, N), false);
  }
}

/* K split into blocks whose partial sums live in the output, the last
 * block shorter (K % KC != 0). */
static void test_k_blocks(void **state) {
  (void)state;
  matmul_case(2, D(40, 1001), 2, D(1001, 40), true);
  matmul_case(2, D(40, 1001), 2, D(1001, 40), false);
  matmul_case(2, D(65, 700), 2, D(700, 100), true);
}

/* The DiT-S/2 shapes at batch 1 (tokens 256, hidden 384, 6 heads of 64). */
static void test_dit_shapes(void **state) {
  (void)state;
  matmul_case(2, D(256, 384), 2, D(384, 1152), true); /* qkv */
  matmul_case(2, D(256, 1536), 2, D(1536, 384), true); /* fc2: K blocks */
  matmul_case(3, D(6, 256, 64), 3, D(6, 64, 256), false);  /* Q K^T */
  matmul_case(3, D(6, 256, 256), 3, D(6, 256, 64), false); /* P V */
  matmul_case(2, D(1, 384), 2, D(384, 2304), true);        /* adaLN GEMV */
  matmul_case(3, D(2, 256, 384), 2, D(384, 384), true);    /* batch 2: one [512, 384] product */
}

static void test_batched(void **state) {
  (void)state;
  matmul_case(4, D(2, 3, 17, 9), 2, D(9, 20), true);        /* batch folded into M */
  matmul_case(4, D(2, 1, 17, 9), 3, D(3, 9, 20), false);    /* broadcast both ways */
  matmul_case(4, D(2, 1, 17, 9), 3, D(3, 9, 20), true);     /* ... with a constant B per batch */
  matmul_case(2, D(17, 9), 3, D(4, 9, 20), false);          /* A broadcast */
  matmul_case(4, D(2, 3, 17, 9), 4, D(2, 1, 9, 33), true);
  matmul_case(1, D(9), 2, D(9, 20), true);                  /* 1-D A */
  matmul_case(2, D(17, 9), 1, D(9), false);                 /* 1-D B: N = 1 */
  matmul_case(1, D(40), 3, D(3, 40, 50), false);
}

/* ---- Gemm ----------------------------------------------------------------------------------- */

static void gemm_case(int64_t M, int64_t K, int64_t N, int ta, int tb, float alpha, float beta, int rc,
                      const int64_t *cd, bool b_const) {
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int32_t a = input(g, &ins, "a", 2, ta ? D(K, M) : D(M, K), 1);
  int32_t b = b_const ? weight(g, "b", 2, tb ? D(N, K) : D(K, N), 2) : input(g, &ins, "b", 2, tb ? D(N, K) : D(K, N), 2);
  int32_t c = rc >= 0 ? weight(g, "c", rc, cd, 3) : -1;
  int32_t n = cgt_node(g, INGOT_OP_GEMM, c >= 0 ? 3 : 2, (int32_t[]){a, b, c}, "y");
  if (ta) cgt_attr_i(g, n, "transA", 1);
  if (tb) cgt_attr_i(g, n, "transB", 1);
  if (alpha != 1.0f) cgt_attr_f(g, n, "alpha", alpha);
  if (beta != 1.0f) cgt_attr_f(g, n, "beta", beta);
  cgt_output(g, "y");
  check(g, &ins);
}

static void test_gemm(void **state) {
  (void)state;
  const int64_t M = 37, K = 29, N = 45;
  for (int bc = 0; bc < 2; bc++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        gemm_case(M, K, N, ta, tb, 1, 1, -1, NULL, bc);
        gemm_case(M, K, N, ta, tb, 0.5f, -2, 1, D(N), bc);
      }
  gemm_case(M, K, N, 0, 1, 1, 1, 2, D(M, N), true);
  gemm_case(M, K, N, 1, 0, 1.5f, 0.25f, 2, D(M, 1), true);
  gemm_case(M, K, N, 0, 0, 1, 3, 1, D(1), false);
  gemm_case(M, K, N, 0, 0, 1, 1, 0, NULL, true);
  gemm_case(256, 384, 384, 0, 1, 1, 1, 1, D(384), true); /* torch's nn.Linear export */
}

/* ---- fused epilogues ------------------------------------------------------------------------ */

/* x[2,T,C] @ W[C,N] + bias[N], times gate[2,1,N], plus residual[2,T,N]: the
 * DiT block's gated residual.  The pipeline's fuse pass makes it one fused
 * MatMul node when it can; the result must match the evaluator either way. */
static ingot_graph_t *gated_graph(ins_t *ins, int64_t T, int64_t C, int64_t N, int act) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input(g, ins, "x", 3, D(2, T, C), 1);
  int32_t gate = input(g, ins, "gate", 3, D(2, 1, N), 2);
  int32_t res = input(g, ins, "res", 3, D(2, T, N), 3);
  int32_t w = weight(g, "w", 2, D(C, N), 4);
  int32_t bias = weight(g, "bias", 1, D(N), 5);
  int32_t mm = cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, w}, "xw");
  int32_t ad = cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){g->nodes[mm].outputs[0], bias}, "h");
  int32_t h = g->nodes[ad].outputs[0];
  if (act) {
    int32_t a = cgt_node(g, act, 1, (int32_t[]){h}, "act");
    if (act == INGOT_OP_GELU) cgt_attr_s(g, a, "approximate", "tanh");
    h = g->nodes[a].outputs[0];
  }
  int32_t mu = cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){h, gate}, "gated");
  cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){res, g->nodes[mu].outputs[0]}, "y");
  cgt_output(g, "y");
  return g;
}

/* Whether the pipeline fused the MatMul (so the test covers the epilogue). */
static bool fuses(int64_t T, int64_t C, int64_t N, int act) {
  ins_t ins = {0};
  ingot_graph_t *g = gated_graph(&ins, T, C, N, act);
  release(&ins);
  cgt_ok(ingot_infer_shapes(g));
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  cgt_ok(ingot_run_pipeline(g, &pc));
  bool fused = false;
  for (uint32_t i = 0; i < g->nnodes; i++) fused |= g->nodes[i].op == INGOT_OP_FUSED;
  ingot_graph_free(g);
  return fused;
}

static void gated_case(int64_t T, int64_t C, int64_t N, int act) {
  if (!fuses(T, C, N, act)) print_message("note: MatMul+Add+Mul+Add not fused by the pipeline (T=%lld N=%lld)\n",
                                          (long long)T, (long long)N);
  ins_t ins = {0};
  check(gated_graph(&ins, T, C, N, act), &ins);
}

/* Products the fast path does not take (float16; Gemm with an activation
 * B^T) still apply a fused epilogue, through the plain loops. */
static void fallback_case(int dt, double tol) {
  ingot_graph_t *g = cgt_graph();
  ingot_tensor_t t[2];
  int64_t ad[2] = {9, 20}, bd[2] = {24, 20}, n = 9 * 20, nb = 24 * 20;
  int32_t a = cgt_input(g, "a", dt, 2, ad), b = cgt_input(g, "b", dt, 2, bd);
  cgt_ok(ingot_tensor_alloc(&t[0], dt, 2, ad));
  cgt_ok(ingot_tensor_alloc(&t[1], dt, 2, bd));
  float *f = malloc((size_t)nb * sizeof *f);
  cgt_fill(f, nb, 7);
  for (int64_t i = 0; i < n; i++) ingot_tensor_set_f64(&t[0], i, f[i]);
  for (int64_t i = 0; i < nb; i++) ingot_tensor_set_f64(&t[1], i, f[nb - 1 - i]);
  free(f);
  int32_t gm = cgt_node(g, INGOT_OP_GEMM, 2, (int32_t[]){a, b}, "ab");
  cgt_attr_i(g, gm, "transB", 1);
  int32_t r = cgt_node(g, INGOT_OP_RELU, 1, (int32_t[]){g->nodes[gm].outputs[0]}, "r");
  cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){g->nodes[r].outputs[0], g->nodes[r].outputs[0]}, "y");
  cgt_output(g, "y");
  cgt_check(g, t, tol);
  ingot_tensor_release(&t[0]);
  ingot_tensor_release(&t[1]);
}

static void test_fused_epilogue(void **state) {
  (void)state;
  gated_case(64, 96, 128, 0);              /* vector epilogue: N a multiple of the vector width */
  gated_case(37, 40, 100, 0);              /* N % 16 != 0: lane-by-lane epilogue, edge tiles */
  gated_case(64, 700, 64, 0);              /* K blocks: the epilogue only after the last */
  gated_case(32, 64, 96, INGOT_OP_GELU);   /* an op applied lane by lane inside the vector path */
  gated_case(32, 64, 96, INGOT_OP_RELU);
  fallback_case(F32, TOL);
  fallback_case(INGOT_DT_FLOAT16, 2e-3);
}

/* ---- convolutions that are GEMMs (cg_gemm_try_conv, when the Conv emitter takes it) ---------- */

static void conv1x1_case(int64_t n, int64_t c, int64_t m, int64_t h, int64_t w, bool bias, int act) {
  ingot_graph_t *g = cgt_graph();
  ins_t ins = {0};
  int32_t x = input(g, &ins, "x", 4, D(n, c, h, w), 1);
  int32_t wt = weight(g, "w", 4, D(m, c, 1, 1), 2);
  int32_t b = bias ? weight(g, "b", 1, D(m), 3) : -1;
  int32_t cv = cgt_node(g, INGOT_OP_CONV, bias ? 3 : 2, (int32_t[]){x, wt, b}, act ? "c" : "y");
  if (act) cgt_node(g, act, 1, (int32_t[]){g->nodes[cv].outputs[0]}, "y");
  cgt_output(g, "y");
  check(g, &ins);
}

static void test_conv1x1(void **state) {
  (void)state;
  conv1x1_case(2, 16, 24, 8, 8, true, 0);
  conv1x1_case(1, 7, 33, 5, 3, false, 0);
  conv1x1_case(2, 64, 32, 16, 16, true, INGOT_OP_SIGMOID);
}

/* ---- targets and the cost model ------------------------------------------------------------------ */

static void test_named_targets(void **state) {
  (void)state;
  const char *targets[] = {"x86-64-avx2", "x86-64-avx512"};
  for (int i = 0; i < 2; i++) {
    ins_t ins = {0};
    check_on(matmul_graph(&ins, 2, D(45, 70), 2, D(70, 37), true), &ins, targets[i]);
    ins_t ins2 = {0};
    check_on(matmul_graph(&ins2, 3, D(3, 29, 33), 3, D(3, 33, 50), false), &ins2, targets[i]);
    ins_t ins3 = {0}; /* the vector epilogue at this target's width */
    check_on(gated_graph(&ins3, 40, 300, 64, 0), &ins3, targets[i]);
  }
}

static void tiling_sane(const ingot_target_desc_t *t, int64_t batch, int64_t M, int64_t N, int64_t K, bool packed) {
  cg_gemm_problem_t p = {batch, M, N, K, packed, true, 0};
  cg_gemm_tiling_t s;
  cg_gemm_choose_tiling(t, &p, &s);
  assert_int_equal(s.lanes, t->vector_bits / 32);
  assert_int_equal(s.nr, s.nv * s.lanes);
  assert_true(s.mr >= 1 && s.mr <= M);
  assert_true(s.mr * s.nv + s.nv + 1 <= t->registers - 1); /* accumulators, B vectors, a broadcast */
  assert_true(s.kc >= 1 && s.kc <= K);
  assert_int_equal(s.kblocks, (K + s.kc - 1) / s.kc);
  if (s.kblocks > 1) assert_true(s.kc * s.nr * 4 <= t->l1_bytes / 2); /* the B micro-panel fits L1 */
  assert_int_equal(s.work, batch * s.mblocks * s.nblocks);
  assert_true(s.mblocks * s.tiles_per_mblock * s.mr >= M);
  assert_true(s.nblocks * s.panels_per_nblock * s.nr >= N);
  assert_true(s.predicted_s > 0 && s.predicted_s >= s.compute_s && s.predicted_s >= s.memory_s);
  double gflops = 2.0 * batch * M * N * K / s.compute_s / 1e9;
  assert_true(gflops <= t->peak_gflops * 1.0001); /* the model never beats the peak */
  char buf[128];
  cg_gemm_tiling_format(&s, buf, sizeof buf);
  assert_non_null(strstr(buf, "MR="));
}

static void test_tiling_model(void **state) {
  (void)state;
  const char *names[] = {"x86-64-avx512", "x86-64-avx2", "native"};
  for (int i = 0; i < 3; i++) {
    ingot_target_desc_t t;
    cgt_ok(ingot_target_describe(names[i], false, &t));
    assert_true(t.l1_bytes > 0 && t.l2_bytes > t.l1_bytes && t.l3_bytes > 0 && t.cores >= 1);
    assert_true(t.peak_gflops > 0 && t.dram_gbs > 0);
    tiling_sane(&t, 1, 256, 1152, 384, true);
    tiling_sane(&t, 1, 512, 384, 1536, true);
    tiling_sane(&t, 6, 256, 256, 64, false);
    tiling_sane(&t, 6, 256, 64, 256, false);
    tiling_sane(&t, 1, 1, 2304, 384, true);
    tiling_sane(&t, 1, 7, 31, 257, true);
    tiling_sane(&t, 3, 1, 1, 1, false);
    /* a batch-1 DiT GEMM splits into work for every core */
    cg_gemm_problem_t p = {1, 256, 384, 384, true, true, 0};
    cg_gemm_tiling_t s;
    cg_gemm_choose_tiling(&t, &p, &s);
    assert_true(s.work >= t.cores);
  }
  ingot_target_desc_t t;
  ingot_status_t st = ingot_target_describe("x86-64-sse2", false, &t);
  assert_non_null(st);
  assert_non_null(strstr(ingot_status_message(st), "x86-64-avx2"));
  ingot_status_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_edges),          cmocka_unit_test(test_k_blocks),
      cmocka_unit_test(test_dit_shapes),     cmocka_unit_test(test_batched),
      cmocka_unit_test(test_gemm),           cmocka_unit_test(test_fused_epilogue),
      cmocka_unit_test(test_conv1x1),        cmocka_unit_test(test_named_targets),
      cmocka_unit_test(test_tiling_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
