/* CPU code generator: elementwise family (codegen/cg_elementwise.c), checked
 * against the reference evaluator through tests/unit/cg_harness.h.
 * Covers every op cg_emit_elementwise handles, broadcasting (flat and
 * loop-nest paths, rank 0, size-1 dims), attribute variants, integer dtypes
 * and the narrow float types. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "cg_harness.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define MAXIN 8

/* ---- tensors ---------------------------------------------------------------- */

static ingot_tensor_t mk(int dtype, int rank, const int64_t *dims) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, dtype, rank, dims));
  return t;
}

/* Pseudo-random values scale * [-1, 1) + shift, stored in dtype (integers truncate). */
static ingot_tensor_t mkf(int dtype, int rank, const int64_t *dims, uint32_t seed, float scale, float shift) {
  ingot_tensor_t t = mk(dtype, rank, dims);
  int64_t n = ingot_tensor_numel(&t);
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  cgt_fill(f, n, seed);
  for (int64_t i = 0; i < n; i++) ingot_tensor_set_f64(&t, i, (double)(f[i] * scale + shift));
  free(f);
  return t;
}

/* Integers uniform in [lo, hi]; with nonzero, 0 becomes 1. */
static ingot_tensor_t mki(int dtype, int rank, const int64_t *dims, uint32_t seed, int64_t lo, int64_t hi,
                          bool nonzero) {
  ingot_tensor_t t = mk(dtype, rank, dims);
  int64_t n = ingot_tensor_numel(&t);
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  size_t es = ingot_dtype_size(dtype);
  for (int64_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    int64_t v = lo + (int64_t)((s >> 33) % (uint64_t)(hi - lo + 1));
    if (nonzero && v == 0) v = 1;
    memcpy((char *)t.data + (size_t)i * es, &v, es); /* little endian: low bytes wrap */
  }
  return t;
}

/* A tensor of the given doubles. */
static ingot_tensor_t mkv(int dtype, int rank, const int64_t *dims, const double *v) {
  ingot_tensor_t t = mk(dtype, rank, dims);
  for (int64_t i = 0; i < ingot_tensor_numel(&t); i++) ingot_tensor_set_f64(&t, i, v[i]);
  return t;
}

static void release(ingot_tensor_t *t, int n) {
  for (int i = 0; i < n; i++) ingot_tensor_release(&t[i]);
}

/* ---- graphs -------------------------------------------------------------------- */

static const char *const in_names[MAXIN] = {"a", "b", "c", "d", "e", "f", "g", "h"};

/* One node over graph inputs typed like ts (rank/dims/dtype); output "y". */
static ingot_graph_t *one_node(ingot_op_t op, int nin, const ingot_tensor_t *ts, int32_t *node) {
  ingot_graph_t *g = cgt_graph();
  int32_t ins[MAXIN];
  for (int i = 0; i < nin; i++) ins[i] = cgt_input(g, in_names[i], ts[i].dtype, ts[i].rank, ts[i].dims);
  *node = cgt_node(g, op, (uint32_t)nin, ins, "y");
  cgt_output(g, "y");
  return g;
}

/* Builds, checks and releases the inputs. */
static void check_op(ingot_op_t op, int nin, ingot_tensor_t *ts, double tol) {
  int32_t n;
  ingot_graph_t *g = one_node(op, nin, ts, &n);
  cgt_check(g, ts, tol);
  release(ts, nin);
}

/* Adds a node whose output becomes the next graph output ("y0", "y1", ...). */
static int32_t add_op(ingot_graph_t *g, ingot_op_t op, uint32_t nin, const int32_t *ins) {
  char name[16];
  snprintf(name, sizeof name, "y%u", g->noutputs);
  int32_t n = cgt_node(g, op, nin, ins, name);
  cgt_output(g, name);
  return n;
}

/* A graph with inputs typed like ts and no nodes yet; ids into ins. */
static ingot_graph_t *inputs_graph(int nin, const ingot_tensor_t *ts, int32_t *ins) {
  ingot_graph_t *g = cgt_graph();
  for (int i = 0; i < nin; i++) ins[i] = cgt_input(g, in_names[i], ts[i].dtype, ts[i].rank, ts[i].dims);
  return g;
}

/* Every op of the list applied to the same inputs, one graph. */
static void check_ops(const ingot_op_t *ops, int nops, int nin, ingot_tensor_t *ts, double tol) {
  int32_t ins[MAXIN];
  ingot_graph_t *g = inputs_graph(nin, ts, ins);
  for (int o = 0; o < nops; o++) add_op(g, ops[o], (uint32_t)nin, ins);
  cgt_check(g, ts, tol);
  release(ts, nin);
}

/* ---- unary float ops --------------------------------------------------------------- */

/* All float unary ops in one graph: input 0 spans [-4, 4), input 1 is
 * positive (for Sqrt, Log, Reciprocal). */
static const ingot_op_t unary_float_ops[] = {
    INGOT_OP_NEG,         INGOT_OP_ABS,        INGOT_OP_SQRT,  INGOT_OP_RECIPROCAL, INGOT_OP_EXP,   INGOT_OP_LOG,
    INGOT_OP_ERF,         INGOT_OP_TANH,       INGOT_OP_SIGMOID, INGOT_OP_RELU,     INGOT_OP_LEAKY_RELU,
    INGOT_OP_ELU,         INGOT_OP_SOFTPLUS,   INGOT_OP_HARD_SIGMOID, INGOT_OP_HARD_SWISH, INGOT_OP_MISH,
    INGOT_OP_GELU,        INGOT_OP_SIN,        INGOT_OP_COS,   INGOT_OP_FLOOR,      INGOT_OP_CEIL,  INGOT_OP_ROUND,
    INGOT_OP_SIGN,        INGOT_OP_IDENTITY,
};

static void unary_float(int dtype, double tol, const int64_t *dims, int rank) {
  ingot_tensor_t t[2] = {mkf(dtype, rank, dims, 1, 4, 0), mkf(dtype, rank, dims, 2, 2, 2.5f)};
  int32_t ins[2];
  ingot_graph_t *g = inputs_graph(2, t, ins);
  for (size_t c = 0; c < sizeof unary_float_ops / sizeof *unary_float_ops; c++) {
    ingot_op_t op = unary_float_ops[c];
    bool pos = op == INGOT_OP_SQRT || op == INGOT_OP_LOG || op == INGOT_OP_RECIPROCAL;
    add_op(g, op, 1, &ins[pos ? 1 : 0]);
  }
  cgt_check(g, t, tol);
  release(t, 2);
}

static void test_unary_f32(void **state) {
  (void)state;
  unary_float(INGOT_DT_FLOAT, 1e-5, D(2, 3, 17), 3);
  unary_float(INGOT_DT_FLOAT, 1e-5, D(0), 0); /* rank 0 */
}

static void test_unary_f64(void **state) {
  (void)state;
  unary_float(INGOT_DT_DOUBLE, 1e-6, D(5, 9), 2);
}

static void test_unary_f16_bf16(void **state) {
  (void)state;
  unary_float(INGOT_DT_FLOAT16, 2e-3, D(4, 33), 2);
  unary_float(INGOT_DT_BFLOAT16, 1e-2, D(4, 33), 2);
}

/* Long tensors: several EW_CHUNK blocks, split over threads. */
static void test_unary_large(void **state) {
  (void)state;
  ingot_tensor_t x = mkf(INGOT_DT_FLOAT, 2, D(3, 5001), 7, 6, 0);
  check_op(INGOT_OP_GELU, 1, &x, 1e-5);
  x = mkf(INGOT_DT_FLOAT, 1, D(12289), 8, 6, 0);
  check_op(INGOT_OP_SIGMOID, 1, &x, 1e-5);
}

static void test_unary_attrs(void **state) {
  (void)state;
  int32_t n;
  ingot_tensor_t x = mkf(INGOT_DT_FLOAT, 2, D(6, 11), 3, 4, 0);
  ingot_graph_t *g = one_node(INGOT_OP_LEAKY_RELU, 1, &x, &n);
  cgt_attr_f(g, n, "alpha", 0.3f);
  cgt_check(g, &x, 1e-6);
  g = one_node(INGOT_OP_ELU, 1, &x, &n);
  cgt_attr_f(g, n, "alpha", 0.5f);
  cgt_check(g, &x, 1e-5);
  g = one_node(INGOT_OP_HARD_SIGMOID, 1, &x, &n);
  cgt_attr_f(g, n, "alpha", 0.3f);
  cgt_attr_f(g, n, "beta", 0.4f);
  cgt_check(g, &x, 1e-6);
  g = one_node(INGOT_OP_GELU, 1, &x, &n);
  cgt_attr_s(g, n, "approximate", "tanh");
  cgt_check(g, &x, 1e-5);
  g = one_node(INGOT_OP_GELU, 1, &x, &n);
  cgt_attr_s(g, n, "approximate", "none");
  cgt_check(g, &x, 1e-5);
  ingot_tensor_release(&x);
  /* double with tanh Gelu */
  x = mkf(INGOT_DT_DOUBLE, 1, D(40), 4, 4, 0);
  g = one_node(INGOT_OP_GELU, 1, &x, &n);
  cgt_attr_s(g, n, "approximate", "tanh");
  cgt_check(g, &x, 1e-9);
  ingot_tensor_release(&x);
}

/* Exact edge values: Round half to even, Sign of zeros, Relu of -0, and the
 * saturating ends of the smooth functions. */
static void test_unary_edges(void **state) {
  (void)state;
  static const double v[] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.7, 0.49999997, 0, -0.0, 1e30, -1e30, 7};
  static const ingot_op_t exact[] = {INGOT_OP_ROUND, INGOT_OP_SIGN, INGOT_OP_RELU, INGOT_OP_FLOOR, INGOT_OP_CEIL,
                                     INGOT_OP_NEG, INGOT_OP_ABS};
  ingot_tensor_t x = mkv(INGOT_DT_FLOAT, 2, D(2, 7), v);
  check_ops(exact, 7, 1, &x, 0);
  x = mkv(INGOT_DT_DOUBLE, 2, D(2, 7), v);
  check_ops(exact, 7, 1, &x, 0);
  static const double w[] = {-200, -90, -20, -1e-3, 0, 1e-3, 20, 90, 200};
  static const ingot_op_t smooth[] = {INGOT_OP_SIGMOID, INGOT_OP_SOFTPLUS, INGOT_OP_MISH, INGOT_OP_TANH,
                                      INGOT_OP_ERF, INGOT_OP_GELU, INGOT_OP_ELU, INGOT_OP_HARD_SWISH};
  x = mkv(INGOT_DT_FLOAT, 1, D(9), w);
  check_ops(smooth, 8, 1, &x, 1e-6);
}

static void test_unary_int(void **state) {
  (void)state;
  static const ingot_op_t sops[] = {INGOT_OP_NEG, INGOT_OP_ABS, INGOT_OP_RELU, INGOT_OP_SIGN, INGOT_OP_IDENTITY};
  static const int sdts[] = {INGOT_DT_INT8, INGOT_DT_INT16, INGOT_DT_INT32, INGOT_DT_INT64};
  for (size_t d = 0; d < 4; d++) {
    ingot_tensor_t x = mki(sdts[d], 2, D(3, 43), (uint32_t)d + 1, -128, 127, false);
    check_ops(sops, 5, 1, &x, 0);
  }
  static const ingot_op_t uops[] = {INGOT_OP_ABS, INGOT_OP_RELU, INGOT_OP_SIGN};
  static const int udts[] = {INGOT_DT_UINT8, INGOT_DT_UINT16, INGOT_DT_UINT32, INGOT_DT_UINT64};
  for (size_t d = 0; d < 4; d++) {
    ingot_tensor_t x = mki(udts[d], 1, D(50), (uint32_t)d + 5, 0, 255, false);
    check_ops(uops, 3, 1, &x, 0);
  }
  ingot_tensor_t x = mki(INGOT_DT_INT32, 0, D(0), 3, -9, -1, false); /* rank 0 */
  check_ops(sops, 5, 1, &x, 0);
}

static void test_isnan_not(void **state) {
  (void)state;
  static const double v[] = {1, NAN, -INFINITY, 0, NAN, 3};
  static const int dts[] = {INGOT_DT_FLOAT, INGOT_DT_DOUBLE, INGOT_DT_FLOAT16, INGOT_DT_BFLOAT16};
  static const ingot_op_t isnan_op[] = {INGOT_OP_ISNAN};
  for (int d = 0; d < 4; d++) {
    ingot_tensor_t x = mkv(dts[d], 2, D(2, 3), v);
    check_ops(isnan_op, 1, 1, &x, 0);
  }
  ingot_tensor_t x = mki(INGOT_DT_BOOL, 3, D(2, 1, 5), 1, 0, 1, false);
  check_op(INGOT_OP_NOT, 1, &x, 0);
}

/* ---- binary ops ------------------------------------------------------------------- */

typedef struct {
  int ra, rb;
  int64_t da[4], db[4];
} bshape_t;

/* flat, broadcast in several ways, rank 0, size-1 dims, loop-nest path */
static const bshape_t bshapes[] = {
    {3, 3, {2, 3, 5}, {2, 3, 5}},        {4, 3, {2, 3, 4, 5}, {3, 1, 5}}, {2, 0, {4, 5}, {0}},
    {1, 2, {1}, {2, 3}},                 {3, 2, {2, 1, 4}, {3, 1}},       {0, 0, {0}, {0}},
    {2, 2, {300, 7}, {1, 7}},            {4, 3, {2, 3, 50, 60}, {3, 1, 1}}, {3, 3, {1, 6, 1}, {5, 1, 4}},
    {2, 1, {4097, 2}, {2}},
};
#define NBSHAPES (sizeof bshapes / sizeof *bshapes)

/* Add Sub Mul Div Pow and the comparisons over one shape pair: inputs a, b
 * span [-2, 2); ap, bp are positive (Pow base, divisor). */
static void binary_float(int dtype, const bshape_t *b, uint32_t seed, double tol) {
  ingot_tensor_t t[4] = {mkf(dtype, b->ra, b->da, seed, 2, 0), mkf(dtype, b->rb, b->db, seed + 1, 2, 0),
                         mkf(dtype, b->ra, b->da, seed + 2, 1, 1.5f), mkf(dtype, b->rb, b->db, seed + 3, 1, 2)};
  int32_t in[4];
  ingot_graph_t *g = inputs_graph(4, t, in);
  add_op(g, INGOT_OP_ADD, 2, (int32_t[]){in[0], in[1]});
  add_op(g, INGOT_OP_SUB, 2, (int32_t[]){in[0], in[1]});
  add_op(g, INGOT_OP_MUL, 2, (int32_t[]){in[0], in[1]});
  add_op(g, INGOT_OP_DIV, 2, (int32_t[]){in[0], in[3]});
  add_op(g, INGOT_OP_POW, 2, (int32_t[]){in[2], in[1]});
  add_op(g, INGOT_OP_LESS, 2, (int32_t[]){in[0], in[1]});
  add_op(g, INGOT_OP_GREATER_OR_EQUAL, 2, (int32_t[]){in[0], in[1]});
  cgt_check(g, t, tol);
  release(t, 4);
}

static void test_binary_float(void **state) {
  (void)state;
  for (size_t s = 0; s < NBSHAPES; s++) binary_float(INGOT_DT_FLOAT, &bshapes[s], (uint32_t)s * 5 + 1, 1e-6);
  for (size_t s = 0; s < NBSHAPES; s += 3) {
    binary_float(INGOT_DT_DOUBLE, &bshapes[s], (uint32_t)s + 1, 1e-12);
    binary_float(INGOT_DT_FLOAT16, &bshapes[s], (uint32_t)s + 2, 2e-3);
    binary_float(INGOT_DT_BFLOAT16, &bshapes[s], (uint32_t)s + 3, 1e-2);
  }
}

static void test_mod_float(void **state) {
  (void)state;
  for (int dt = 0; dt < 2; dt++) {
    ingot_tensor_t t[2] = {mkf(dt ? INGOT_DT_DOUBLE : INGOT_DT_FLOAT, 2, D(4, 6), 1, 10, 0),
                           mkf(dt ? INGOT_DT_DOUBLE : INGOT_DT_FLOAT, 1, D(6), 2, 3, 0)};
    int32_t n;
    ingot_graph_t *g = one_node(INGOT_OP_MOD, 2, t, &n);
    cgt_attr_i(g, n, "fmod", 1);
    cgt_check(g, t, 1e-6);
    release(t, 2);
  }
}

/* Pow with a float base and an integer exponent, and integer bases. */
static void test_pow_mixed(void **state) {
  (void)state;
  ingot_tensor_t t[2] = {mkf(INGOT_DT_FLOAT, 2, D(3, 4), 1, 2, 0), mki(INGOT_DT_INT64, 1, D(4), 2, -3, 3, false)};
  check_op(INGOT_OP_POW, 2, t, 1e-5);
  /* integer ^ integer: wraps like repeated multiplication; negative exponents
   * give 1 / x^n truncated (0^negative is an evaluator error: no zero bases) */
  static const double base[] = {2, -3, 1, -1, 7, 5, -1, 10};
  static const double ex[] = {0, 1, 2, 5, 30, 63, -1, -2};
  static const double uex[] = {0, 1, 2, 5, 30, 63, 3, 4};
  static const int idts[] = {INGOT_DT_INT8, INGOT_DT_INT32, INGOT_DT_INT64, INGOT_DT_UINT8};
  for (int d = 0; d < 4; d++) {
    ingot_tensor_t u[2] = {mkv(idts[d], 2, D(8, 1), base), d == 3 ? mkv(INGOT_DT_UINT32, 1, D(8), uex)
                                                                   : mkv(INGOT_DT_INT64, 1, D(8), ex)};
    check_op(INGOT_OP_POW, 2, u, 0);
  }
  /* integer base, float exponent: pow in double, truncated */
  ingot_tensor_t v[2] = {mki(INGOT_DT_INT32, 2, D(3, 5), 4, 1, 20, false), mkf(INGOT_DT_FLOAT, 1, D(5), 5, 2, 1)};
  check_op(INGOT_OP_POW, 2, v, 0);
}

/* Add Sub Mul Div Mod(fmod 0 and 1) and the comparisons on every integer
 * dtype; divisors are non-zero (the evaluator rejects division by zero). */
static void test_binary_int(void **state) {
  (void)state;
  static const int dts[] = {INGOT_DT_INT8,  INGOT_DT_INT16,  INGOT_DT_INT32,  INGOT_DT_INT64,
                            INGOT_DT_UINT8, INGOT_DT_UINT16, INGOT_DT_UINT32, INGOT_DT_UINT64};
  static const ingot_op_t ops[] = {INGOT_OP_ADD,   INGOT_OP_SUB,     INGOT_OP_MUL,           INGOT_OP_DIV,
                                   INGOT_OP_EQUAL, INGOT_OP_LESS,    INGOT_OP_LESS_OR_EQUAL, INGOT_OP_GREATER,
                                   INGOT_OP_GREATER_OR_EQUAL};
  for (size_t d = 0; d < 8; d++)
    for (size_t s = 0; s < NBSHAPES; s += 3) {
      const bshape_t *b = &bshapes[s];
      bool u = d >= 4;
      ingot_tensor_t t[2] = {mki(dts[d], b->ra, b->da, (uint32_t)(d * 31 + s), u ? 0 : -128, u ? 255 : 127, false),
                             mki(dts[d], b->rb, b->db, (uint32_t)(d * 37 + s), u ? 0 : -20, u ? 255 : 20, true)};
      int32_t in[2];
      ingot_graph_t *g = inputs_graph(2, t, in);
      for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) add_op(g, ops[o], 2, in);
      cgt_attr_i(g, add_op(g, INGOT_OP_MOD, 2, in), "fmod", 0);
      cgt_attr_i(g, add_op(g, INGOT_OP_MOD, 2, in), "fmod", 1);
      cgt_check(g, t, 0);
      release(t, 2);
    }
  /* INT_MIN / -1 and INT_MIN % -1 wrap, truncation toward zero, x % -1 */
  static const double a[] = {-128, -7, 7, -7, 7, 127, -128, 0, 5, -5};
  static const double bb[] = {-1, 2, -2, -2, 2, -1, 1, -5, -1, 3};
  for (int d = 0; d < 2; d++) {
    ingot_tensor_t t[2] = {mkv(d ? INGOT_DT_INT32 : INGOT_DT_INT8, 1, D(10), a),
                           mkv(d ? INGOT_DT_INT32 : INGOT_DT_INT8, 1, D(10), bb)};
    int32_t in[2];
    ingot_graph_t *g = inputs_graph(2, t, in);
    add_op(g, INGOT_OP_DIV, 2, in);
    cgt_attr_i(g, add_op(g, INGOT_OP_MOD, 2, in), "fmod", 0);
    cgt_attr_i(g, add_op(g, INGOT_OP_MOD, 2, in), "fmod", 1);
    cgt_check(g, t, 0);
    release(t, 2);
  }
}

/* Division by zero cannot be checked against the evaluator (it reports an
 * error): compile and run directly; the kernels must not trap (x86 idiv
 * faults on 0 and on INT_MIN / -1) and give 0 (INT_MIN / -1 wraps). */
static void test_div_by_zero(void **state) {
  (void)state;
  static const int dts[] = {INGOT_DT_INT32, INGOT_DT_INT64, INGOT_DT_UINT32, INGOT_DT_INT8};
  for (int d = 0; d < 4; d++) {
    int dt = dts[d];
    bool s = dt != INGOT_DT_UINT32;
    int64_t imin = dt == INGOT_DT_INT64 ? INT64_MIN : dt == INGOT_DT_INT8 ? INT8_MIN : INT32_MIN;
    int64_t av[6] = {7, -7, s ? imin : 9, 5, s ? imin : 3, 0}, bv[6] = {0, 0, s ? -1 : 0, 0, 0, 0};
    ingot_tensor_t t[2] = {mk(dt, 1, D(6)), mk(dt, 1, D(6))};
    size_t es = ingot_dtype_size(dt);
    for (int i = 0; i < 6; i++) {
      memcpy((char *)t[0].data + i * es, &av[i], es);
      memcpy((char *)t[1].data + i * es, &bv[i], es);
    }
    int32_t in[2];
    ingot_graph_t *g = inputs_graph(2, t, in);
    add_op(g, INGOT_OP_DIV, 2, in);
    cgt_attr_i(g, add_op(g, INGOT_OP_MOD, 2, in), "fmod", 0);
    cgt_attr_i(g, add_op(g, INGOT_OP_MOD, 2, in), "fmod", 1);
    cgt_ok(ingot_infer_shapes(g));
    ingot_pass_ctx_t pc;
    ingot_pass_ctx_init(&pc);
    cgt_ok(ingot_run_pipeline(g, &pc));
    ingot_cg_options_t co = {"t", "native", true, false, 2};
    ingot_cg_t *cg;
    cgt_ok(ingot_cg_create(&co, &cg));
    cgt_ok(ingot_cg_add_bucket(cg, g, "default", NULL, NULL));
    cgt_ok(ingot_cg_finish(cg));
    const void *desc;
    cgt_ok(ingot_cg_jit(cg, &desc));
    ingot_rt_options_t ro;
    ingot_rt_options_init(&ro);
    ingot_rt_model_t *m;
    assert_int_equal(ingot_rt_model_create((const ingot_rt_model_desc_t *)desc, NULL, &ro, &m), INGOT_RT_OK);
    ingot_tensor_t y[3] = {mk(dt, 1, D(6)), mk(dt, 1, D(6)), mk(dt, 1, D(6))};
    void *ins[2] = {t[0].data, t[1].data}, *outs[3] = {y[0].data, y[1].data, y[2].data};
    assert_int_equal(ingot_rt_model_run(m, 0, ins, outs), INGOT_RT_OK);
    for (int o = 0; o < 3; o++)
      for (int i = 0; i < 6; i++) {
        int64_t want = (o == 0 && i == 2 && s) ? imin : 0; /* -INT_MIN wraps to INT_MIN */
        int64_t got = ingot_tensor_get_i64(&y[o], i);
        if (dt == INGOT_DT_UINT32) got = (int64_t)(uint32_t)got;
        assert_int_equal(got, want);
      }
    ingot_rt_model_destroy(m);
    ingot_cg_destroy(cg);
    ingot_graph_free(g);
    release(y, 3);
    release(t, 2);
  }
}

static void test_compare(void **state) {
  (void)state;
  static const ingot_op_t ops[] = {INGOT_OP_EQUAL, INGOT_OP_LESS, INGOT_OP_LESS_OR_EQUAL, INGOT_OP_GREATER,
                                   INGOT_OP_GREATER_OR_EQUAL};
  static const int dts[] = {INGOT_DT_FLOAT, INGOT_DT_FLOAT16, INGOT_DT_BFLOAT16, INGOT_DT_DOUBLE};
  for (int d = 0; d < 4; d++)
    for (size_t s = 0; s < NBSHAPES; s += 2) {
      const bshape_t *b = &bshapes[s];
      /* small integer values so Equal is true sometimes */
      ingot_tensor_t t[2] = {mki(INGOT_DT_INT64, b->ra, b->da, (uint32_t)(d * 11 + s), -2, 2, false),
                             mki(INGOT_DT_INT64, b->rb, b->db, (uint32_t)(d * 13 + s), -2, 2, false)};
      for (int i = 0; i < 2; i++) { /* to the dtype under test */
        ingot_tensor_t c = mk(dts[d], t[i].rank, t[i].dims);
        for (int64_t e = 0; e < ingot_tensor_numel(&c); e++)
          ingot_tensor_set_f64(&c, e, (double)ingot_tensor_get_i64(&t[i], e) * 0.5);
        ingot_tensor_release(&t[i]);
        t[i] = c;
      }
      check_ops(ops, 5, 2, t, 0);
    }
  /* Equal on bool */
  ingot_tensor_t t[2] = {mki(INGOT_DT_BOOL, 2, D(3, 4), 1, 0, 1, false), mki(INGOT_DT_BOOL, 1, D(4), 2, 0, 1, false)};
  check_op(INGOT_OP_EQUAL, 2, t, 0);
}

static void test_logic(void **state) {
  (void)state;
  static const ingot_op_t ops[] = {INGOT_OP_AND, INGOT_OP_OR, INGOT_OP_XOR, INGOT_OP_EQUAL};
  for (size_t s = 0; s < NBSHAPES; s++) {
    const bshape_t *b = &bshapes[s];
    ingot_tensor_t t[2] = {mki(INGOT_DT_BOOL, b->ra, b->da, (uint32_t)(s + 17), 0, 1, false),
                           mki(INGOT_DT_BOOL, b->rb, b->db, (uint32_t)(s + 19), 0, 1, false)};
    check_ops(ops, 4, 2, t, 0);
  }
}

/* ---- Where, variadic, Clip ------------------------------------------------------------ */

static void test_where(void **state) {
  (void)state;
  static const int dts[] = {INGOT_DT_FLOAT, INGOT_DT_INT64, INGOT_DT_FLOAT16, INGOT_DT_BFLOAT16, INGOT_DT_BOOL,
                            INGOT_DT_INT8, INGOT_DT_DOUBLE};
  for (int d = 0; d < 7; d++) {
    ingot_tensor_t t[3] = {mki(INGOT_DT_BOOL, 3, D(2, 1, 5), (uint32_t)d + 1, 0, 1, false),
                           mkf(dts[d], 2, D(3, 5), (uint32_t)d + 2, 50, 0),
                           mkf(dts[d], 1, D(1), (uint32_t)d + 3, 50, 0)};
    check_op(INGOT_OP_WHERE, 3, t, 0);
  }
  ingot_tensor_t t[3] = {mki(INGOT_DT_BOOL, 2, D(64, 80), 5, 0, 1, false), mkf(INGOT_DT_FLOAT, 2, D(64, 80), 6, 1, 0),
                         mkf(INGOT_DT_FLOAT, 2, D(64, 80), 7, 1, 0)};
  check_op(INGOT_OP_WHERE, 3, t, 0);
  ingot_tensor_t r[3] = {mki(INGOT_DT_BOOL, 0, D(0), 5, 1, 1, false), mkf(INGOT_DT_FLOAT, 1, D(7), 6, 1, 0),
                         mkf(INGOT_DT_FLOAT, 2, D(3, 1), 7, 1, 0)};
  check_op(INGOT_OP_WHERE, 3, r, 0);
}

static void test_variadic(void **state) {
  (void)state;
  static const ingot_op_t ops[] = {INGOT_OP_SUM, INGOT_OP_MEAN, INGOT_OP_MAX, INGOT_OP_MIN};
  /* one input, two, three with broadcasting (rank 0 included) */
  ingot_tensor_t a = mkf(INGOT_DT_FLOAT, 2, D(3, 4), 1, 2, 0);
  check_ops(ops, 4, 1, &a, 1e-6);
  ingot_tensor_t b[2] = {mkf(INGOT_DT_FLOAT, 2, D(3, 4), 1, 2, 0), mkf(INGOT_DT_FLOAT, 1, D(4), 2, 2, 0)};
  check_ops(ops, 4, 2, b, 1e-6);
  ingot_tensor_t c[3] = {mkf(INGOT_DT_FLOAT, 3, D(2, 1, 4), 3, 2, 0), mkf(INGOT_DT_FLOAT, 2, D(3, 1), 4, 2, 0),
                         mkf(INGOT_DT_FLOAT, 0, D(0), 5, 2, 0)};
  check_ops(ops, 4, 3, c, 1e-6);
  ingot_tensor_t dd[3] = {mkf(INGOT_DT_DOUBLE, 1, D(9), 3, 2, 0), mkf(INGOT_DT_DOUBLE, 1, D(9), 4, 2, 0),
                          mkf(INGOT_DT_DOUBLE, 1, D(1), 5, 2, 0)};
  check_ops(ops, 4, 3, dd, 1e-12);
  ingot_tensor_t h[2] = {mkf(INGOT_DT_FLOAT16, 2, D(5, 6), 6, 2, 0), mkf(INGOT_DT_FLOAT16, 2, D(5, 6), 7, 2, 0)};
  check_ops(ops, 4, 2, h, 2e-3);
  /* integers (ONNX allows them for Max and Min only) */
  static const int dts[] = {INGOT_DT_INT8, INGOT_DT_INT32, INGOT_DT_INT64, INGOT_DT_UINT8, INGOT_DT_UINT16};
  for (int d = 0; d < 5; d++) {
    bool u = d >= 3;
    ingot_tensor_t t[4] = {mki(dts[d], 2, D(4, 5), (uint32_t)(d + 1), u ? 0 : -128, 127, false),
                           mki(dts[d], 2, D(4, 5), (uint32_t)(d + 2), u ? 0 : -128, 127, false),
                           mki(dts[d], 1, D(5), (uint32_t)(d + 3), u ? 0 : -128, 127, false),
                           mki(dts[d], 2, D(4, 1), (uint32_t)(d + 4), u ? 0 : -128, 127, false)};
    check_ops(ops + 2, 2, 4, t, 0);
  }
}

static void test_clip(void **state) {
  (void)state;
  float lo = -0.5f, hi = 0.75f;
  /* constant min and max, min only, max only (min omitted), neither: one graph */
  ingot_tensor_t x = mkf(INGOT_DT_FLOAT, 3, D(2, 3, 7), 1, 2, 0);
  ingot_graph_t *g = cgt_graph();
  int32_t xv = cgt_input(g, "x", INGOT_DT_FLOAT, 3, x.dims);
  int32_t lv = cgt_const(g, "lo", INGOT_DT_FLOAT, 0, NULL, &lo), hv = cgt_const(g, "hi", INGOT_DT_FLOAT, 0, NULL, &hi);
  add_op(g, INGOT_OP_CLIP, 3, (int32_t[]){xv, lv, hv});
  add_op(g, INGOT_OP_CLIP, 2, (int32_t[]){xv, lv});
  add_op(g, INGOT_OP_CLIP, 3, (int32_t[]){xv, -1, hv});
  add_op(g, INGOT_OP_CLIP, 1, &xv);
  add_op(g, INGOT_OP_CLIP, 3, (int32_t[]){xv, hv, lv}); /* min > max: everything becomes max */
  cgt_check(g, &x, 0);
  ingot_tensor_release(&x);
  /* min and max as runtime inputs ([1] and rank 0), min > max */
  ingot_tensor_t t[3] = {mkf(INGOT_DT_FLOAT, 2, D(4, 1025), 4, 2, 0), mkv(INGOT_DT_FLOAT, 1, D(1), (double[]){0.3}),
                         mkv(INGOT_DT_FLOAT, 0, D(0), (double[]){-0.2})};
  check_op(INGOT_OP_CLIP, 3, t, 0);
  ingot_tensor_t t2[3] = {mkf(INGOT_DT_FLOAT, 2, D(4, 5), 4, 2, 0), mkv(INGOT_DT_FLOAT, 1, D(1), (double[]){-0.3}),
                          mkv(INGOT_DT_FLOAT, 0, D(0), (double[]){0.2})};
  check_op(INGOT_OP_CLIP, 3, t2, 0);
  /* integers, double, float16 */
  ingot_tensor_t i[3] = {mki(INGOT_DT_INT32, 2, D(5, 5), 5, -100, 100, false),
                         mkv(INGOT_DT_INT32, 0, D(0), (double[]){-20}),
                         mkv(INGOT_DT_INT32, 0, D(0), (double[]){30})};
  check_op(INGOT_OP_CLIP, 3, i, 0);
  ingot_tensor_t u[3] = {mki(INGOT_DT_UINT8, 1, D(40), 6, 0, 255, false), mkv(INGOT_DT_UINT8, 0, D(0), (double[]){20}),
                         mkv(INGOT_DT_UINT8, 0, D(0), (double[]){200})};
  check_op(INGOT_OP_CLIP, 3, u, 0);
  ingot_tensor_t d[3] = {mkf(INGOT_DT_DOUBLE, 1, D(40), 7, 3, 0), mkv(INGOT_DT_DOUBLE, 0, D(0), (double[]){-1}),
                         mkv(INGOT_DT_DOUBLE, 0, D(0), (double[]){1})};
  check_op(INGOT_OP_CLIP, 3, d, 0);
  ingot_tensor_t h[3] = {mkf(INGOT_DT_FLOAT16, 1, D(40), 8, 3, 0), mkv(INGOT_DT_FLOAT16, 0, D(0), (double[]){-1}),
                         mkv(INGOT_DT_FLOAT16, 0, D(0), (double[]){1})};
  check_op(INGOT_OP_CLIP, 3, h, 0);
}

/* ---- Cast, CastLike, Identity, Dropout ------------------------------------------------- */

static const int all_dts[] = {INGOT_DT_FLOAT, INGOT_DT_DOUBLE, INGOT_DT_FLOAT16, INGOT_DT_BFLOAT16,
                              INGOT_DT_INT8,  INGOT_DT_INT16,  INGOT_DT_INT32,   INGOT_DT_INT64,
                              INGOT_DT_UINT8, INGOT_DT_UINT16, INGOT_DT_UINT32,  INGOT_DT_UINT64, INGOT_DT_BOOL};
#define NDTS (sizeof all_dts / sizeof *all_dts)

/* x (any dtype) cast to every dtype (but float16 when it would overflow:
 * the harness cannot compare infinities), one graph. */
static void cast_all(ingot_tensor_t *x, bool to_f16) {
  int32_t in;
  ingot_graph_t *g = inputs_graph(1, x, &in);
  for (size_t t = 0; t < NDTS; t++)
    if (to_f16 || all_dts[t] != INGOT_DT_FLOAT16) cgt_attr_i(g, add_op(g, INGOT_OP_CAST, 1, &in), "to", all_dts[t]);
  cgt_check(g, x, 0);
  ingot_tensor_release(x);
}

static void test_cast(void **state) {
  (void)state;
  /* truncation, wrap-around, negative -> unsigned, from and to every dtype */
  static const double v[] = {0,    1,   -1,     2.75, -2.75, 100.5, -100.5, 300,
                             -300, 6e4, -6e4, 0.25, 127.9, -128.9, 255.5, 7};
  for (size_t f = 0; f < NDTS; f++) {
    int dt = all_dts[f]; /* negative values wrap past float16's range in the wide unsigned types */
    ingot_tensor_t x = mkv(dt, 2, D(2, 8), v);
    cast_all(&x, dt != INGOT_DT_UINT16 && dt != INGOT_DT_UINT32 && dt != INGOT_DT_UINT64);
  }
  /* float -> integer saturation (and huge integers to floats) */
  static const double big[] = {3e9, -3e9, 1e20, -1e20, 5e4, -5e4, 4.3e9, -4.3e9};
  static const int bdts[] = {INGOT_DT_FLOAT, INGOT_DT_DOUBLE, INGOT_DT_BFLOAT16, INGOT_DT_INT64, INGOT_DT_UINT64};
  for (size_t f = 0; f < sizeof bdts / sizeof *bdts; f++) {
    ingot_tensor_t x = mkv(bdts[f], 1, D(8), big);
    cast_all(&x, false);
  }
  /* float -> bool: NaN is true, -0 is false */
  static const double w[] = {0, -0.0, NAN, 1e-30};
  ingot_tensor_t x = mkv(INGOT_DT_FLOAT, 1, D(4), w);
  int32_t n;
  ingot_graph_t *g = one_node(INGOT_OP_CAST, 1, &x, &n);
  cgt_attr_i(g, n, "to", INGOT_DT_BOOL);
  cgt_check(g, &x, 0);
  ingot_tensor_release(&x);
  /* rounding to the narrow floats and integers, many values */
  x = mkf(INGOT_DT_FLOAT, 2, D(16, 300), 9, 100, 0);
  cast_all(&x, true);
  x = mkf(INGOT_DT_DOUBLE, 2, D(7, 300), 10, 1000, 0);
  cast_all(&x, true);
}

static void test_cast_like(void **state) {
  (void)state;
  ingot_tensor_t t[2] = {mkf(INGOT_DT_FLOAT, 2, D(3, 5), 1, 100, 0), mk(INGOT_DT_INT32, 1, D(1))};
  check_op(INGOT_OP_CAST_LIKE, 2, t, 0);
  ingot_tensor_t u[2] = {mki(INGOT_DT_INT64, 1, D(7), 2, -1000, 1000, false), mk(INGOT_DT_FLOAT16, 0, D(0))};
  check_op(INGOT_OP_CAST_LIKE, 2, u, 0);
}

static void test_identity_dropout(void **state) {
  (void)state;
  ingot_tensor_t x = mkf(INGOT_DT_FLOAT, 3, D(2, 3, 4), 1, 1, 0);
  check_op(INGOT_OP_IDENTITY, 1, &x, 0);
  x = mki(INGOT_DT_INT64, 1, D(10), 1, -5, 5, false);
  check_op(INGOT_OP_IDENTITY, 1, &x, 0);
  x = mkf(INGOT_DT_FLOAT16, 1, D(10), 1, 1, 0);
  check_op(INGOT_OP_DROPOUT, 1, &x, 0);
  /* with the mask output, ratio and a constant training_mode = false */
  x = mkf(INGOT_DT_FLOAT, 2, D(5, 7), 2, 1, 0);
  ingot_graph_t *g = cgt_graph();
  float ratio = 0.3f;
  uint8_t train = 0;
  int32_t ins[3] = {cgt_input(g, "x", INGOT_DT_FLOAT, 2, x.dims), cgt_const(g, "r", INGOT_DT_FLOAT, 0, NULL, &ratio),
                    cgt_const(g, "t", INGOT_DT_BOOL, 0, NULL, &train)};
  const char *outs[2] = {"y", "mask"};
  cgt_node_n(g, INGOT_OP_DROPOUT, 3, ins, 2, outs);
  cgt_output(g, "y");
  cgt_output(g, "mask");
  cgt_check(g, &x, 0);
  ingot_tensor_release(&x);
  /* a computed value through Identity/Dropout into a graph output */
  x = mkf(INGOT_DT_FLOAT, 1, D(33), 3, 1, 0);
  g = cgt_graph();
  int32_t a = cgt_input(g, "x", INGOT_DT_FLOAT, 1, x.dims);
  int32_t nn = cgt_node(g, INGOT_OP_NEG, 1, &a, "t");
  int32_t tv = g->nodes[nn].outputs[0];
  nn = cgt_node(g, INGOT_OP_IDENTITY, 1, &tv, "u");
  int32_t uv = g->nodes[nn].outputs[0];
  cgt_node(g, INGOT_OP_DROPOUT, 1, &uv, "y");
  cgt_output(g, "y");
  cgt_check(g, &x, 0);
  ingot_tensor_release(&x);
}

/* A chain of elementwise kernels (several kernels in one bucket). */
static void test_chain(void **state) {
  (void)state;
  ingot_tensor_t t[2] = {mkf(INGOT_DT_FLOAT, 3, D(2, 8, 16), 1, 3, 0), mkf(INGOT_DT_FLOAT, 3, D(2, 1, 16), 2, 1, 0)};
  ingot_graph_t *g = cgt_graph();
  int32_t a = cgt_input(g, "a", INGOT_DT_FLOAT, 3, t[0].dims), b = cgt_input(g, "b", INGOT_DT_FLOAT, 3, t[1].dims);
  int32_t n = cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){a, b}, "m");
  int32_t m = g->nodes[n].outputs[0];
  n = cgt_node(g, INGOT_OP_SIGMOID, 1, &m, "s");
  int32_t s = g->nodes[n].outputs[0];
  n = cgt_node(g, INGOT_OP_GREATER, 2, (int32_t[]){s, b}, "c");
  int32_t c = g->nodes[n].outputs[0];
  cgt_node(g, INGOT_OP_WHERE, 3, (int32_t[]){c, m, s}, "y");
  cgt_output(g, "y");
  cgt_check(g, t, 1e-6);
  release(t, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unary_f32),        cmocka_unit_test(test_unary_f64),
      cmocka_unit_test(test_unary_f16_bf16),   cmocka_unit_test(test_unary_large),
      cmocka_unit_test(test_unary_attrs),      cmocka_unit_test(test_unary_edges),
      cmocka_unit_test(test_unary_int),        cmocka_unit_test(test_isnan_not),
      cmocka_unit_test(test_binary_float),     cmocka_unit_test(test_mod_float),
      cmocka_unit_test(test_pow_mixed),        cmocka_unit_test(test_binary_int),
      cmocka_unit_test(test_div_by_zero),      cmocka_unit_test(test_compare),
      cmocka_unit_test(test_logic),            cmocka_unit_test(test_where),
      cmocka_unit_test(test_variadic),         cmocka_unit_test(test_clip),
      cmocka_unit_test(test_cast),             cmocka_unit_test(test_cast_like),
      cmocka_unit_test(test_identity_dropout), cmocka_unit_test(test_chain),
  };
  const char *filter = getenv("CGT_FILTER"); /* e.g. CGT_FILTER='test_cast*' */
  if (filter) cmocka_set_test_filter(filter);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
