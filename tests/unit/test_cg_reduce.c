/* Code generator tests for the reductions and normalisations
 * (codegen/cg_reduce.c, codegen/cg_reduce_norm.c): every graph runs through
 * the evaluator and through compiled code at 1 and 2 threads
 * (tests/unit/cg_harness.h).  Order: Reduce*, ArgMax, CumSum, Softmax,
 * LayerNormalization, Group/InstanceNormalization, BatchNormalization. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <llvm-c/Support.h>

#include "cg_harness.h"

#define TOL 1e-5

/* A tensor of dtype filled with cgt_fill values * scale + offset (integers
 * truncate toward zero; bool is value > 0). */
static ingot_tensor_t tin(int dt, int rank, const int64_t *dims, uint32_t seed, double scale, double offset) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, dt, rank, dims));
  int64_t n = ingot_tensor_numel(&t);
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  cgt_fill(f, n, seed);
  for (int64_t i = 0; i < n; i++) {
    double v = f[i] * scale + offset;
    ingot_tensor_set_f64(&t, i, dt == INGOT_DT_BOOL ? v > 0 : v);
  }
  free(f);
  return t;
}

static int32_t tconst(ingot_graph_t *g, const char *name, int dt, int rank, const int64_t *dims, uint32_t seed,
                      double scale, double offset) {
  ingot_tensor_t t = tin(dt, rank, dims, seed, scale, offset);
  int32_t v = cgt_const(g, name, dt, rank, dims, t.data);
  ingot_tensor_release(&t);
  return v;
}

static void release(ingot_tensor_t *t, int n) {
  for (int i = 0; i < n; i++) ingot_tensor_release(&t[i]);
}

/* ---- Reduce* ----------------------------------------------------------------------------- */

enum { AX_ATTR, AX_INPUT, AX_NONE };

typedef struct {
  ingot_op_t op;
  int dt, rank;
  int64_t dims[6];
  int naxes;
  int64_t axes[6];
  int how, keep, noop, opset; /* keep/noop: -1 = attribute absent */
  double scale, offset;
  double tol;
} red_t;

static void run_red(red_t c) {
  ingot_graph_t *g = cgt_graph();
  g->opset = c.opset ? c.opset : 18;
  int32_t x = cgt_input(g, "x", c.dt, c.rank, c.dims);
  int32_t n;
  if (c.how == AX_INPUT) {
    int32_t a = cgt_const(g, "axes", INGOT_DT_INT64, 1, (int64_t[]){c.naxes}, c.axes);
    n = cgt_node(g, c.op, 2, (int32_t[]){x, a}, "y");
  } else {
    n = cgt_node(g, c.op, 1, (int32_t[]){x}, "y");
    if (c.how == AX_ATTR) cgt_attr_ints(g, n, "axes", (size_t)c.naxes, c.axes);
  }
  if (c.keep >= 0) cgt_attr_i(g, n, "keepdims", c.keep);
  if (c.noop >= 0) cgt_attr_i(g, n, "noop_with_empty_axes", c.noop);
  cgt_output(g, "y");
  ingot_tensor_t in = tin(c.dt, c.rank, c.dims, 7, c.scale ? c.scale : 1.0, c.offset);
  cgt_check(g, &in, c.tol);
  ingot_tensor_release(&in);
}

static void test_reduce_sum(void **state) {
  (void)state;
  /* attribute axes (as before opset 13; the kernels take either form), a middle axis */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 3, {4, 5, 6}, 1, {1}, AX_ATTR, 1, -1, 13, 1, 0, TOL});
  /* input axes (opset 13), negative, keepdims=0, a row long enough for the vector loop */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 3, {3, 7, 77}, 1, {-1}, AX_INPUT, 0, -1, 13, 1, 0, TOL});
  /* two trailing axes merge into one contiguous row */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 4, {2, 3, 9, 11}, 2, {-1, 2}, AX_INPUT, 1, -1, 13, 1, 0, TOL});
  /* no axes: everything */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 2, {8, 100}, 0, {0}, AX_NONE, 0, -1, 13, 1, 0, TOL});
  /* double */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_DOUBLE, 2, {3, 50}, 1, {1}, AX_INPUT, 1, -1, 13, 1, 0, 1e-12});
  /* size-1 dims everywhere */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 4, {1, 5, 1, 3}, 2, {0, 2}, AX_INPUT, 0, -1, 13, 1, 0, TOL});
  /* a scalar: reducing over no axes of rank 0 */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 0, {0}, 0, {0}, AX_NONE, 1, -1, 13, 1, 0, TOL});
}

static void test_reduce_mean(void **state) {
  (void)state;
  /* interleaved axes: kept and reduced groups alternate */
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_FLOAT, 4, {2, 3, 4, 5}, 2, {0, 2}, AX_ATTR, 0, -1, 17, 1, 0, TOL});
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_FLOAT, 4, {2, 3, 4, 5}, 2, {1, 3}, AX_INPUT, 1, -1, 18, 1, 0, TOL});
  /* a long row with a large offset: f64 accumulation keeps it exact */
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_FLOAT, 2, {2, 100003}, 1, {-1}, AX_ATTR, 1, -1, 17, 1, 1e-3, TOL});
  /* a whole tensor of zero-mean values: f32 accumulation would lose it */
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_FLOAT, 3, {16, 128, 257}, 0, {0}, AX_NONE, 0, -1, 17, 1, 0, TOL});
  /* the reduction over the leading axis (strided rows) */
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_FLOAT, 3, {33, 4, 6}, 1, {0}, AX_INPUT, 0, -1, 18, 1, 0, TOL});
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_DOUBLE, 3, {5, 6, 70}, 2, {0, 2}, AX_INPUT, 0, -1, 18, 1, 0, 1e-12});
}

static void test_reduce_max_min_prod(void **state) {
  (void)state;
  run_red((red_t){INGOT_OP_REDUCE_MAX, INGOT_DT_FLOAT, 3, {5, 6, 7}, 2, {1, 2}, AX_ATTR, 1, -1, 17, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MAX, INGOT_DT_FLOAT, 3, {5, 6, 7}, 1, {0}, AX_INPUT, 0, -1, 18, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MIN, INGOT_DT_FLOAT, 3, {5, 6, 40}, 1, {-1}, AX_INPUT, 1, -1, 18, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MIN, INGOT_DT_DOUBLE, 2, {5, 6}, 0, {0}, AX_NONE, 0, -1, 18, 1, 0, 0});
  /* products of values near 1 */
  run_red((red_t){INGOT_OP_REDUCE_PROD, INGOT_DT_FLOAT, 3, {3, 4, 50}, 1, {2}, AX_ATTR, 1, -1, 17, 0.1, 1, TOL});
  run_red((red_t){INGOT_OP_REDUCE_PROD, INGOT_DT_FLOAT, 3, {3, 4, 5}, 2, {0, 1}, AX_INPUT, 0, -1, 18, 0.5, 1, TOL});
}

static void test_reduce_sumsq_l2(void **state) {
  (void)state;
  run_red((red_t){INGOT_OP_REDUCE_SUM_SQUARE, INGOT_DT_FLOAT, 2, {4, 33}, 1, {-1}, AX_ATTR, 1, -1, 17, 1, 0, TOL});
  run_red((red_t){INGOT_OP_REDUCE_SUM_SQUARE, INGOT_DT_FLOAT, 3, {4, 33, 2}, 1, {1}, AX_INPUT, 0, -1, 18, 1, 0, TOL});
  run_red((red_t){INGOT_OP_REDUCE_L2, INGOT_DT_FLOAT, 3, {4, 3, 65}, 2, {1, 2}, AX_INPUT, 1, -1, 18, 1, 0, TOL});
  run_red((red_t){INGOT_OP_REDUCE_L2, INGOT_DT_DOUBLE, 2, {4, 65}, 1, {0}, AX_ATTR, 1, -1, 17, 1, 0, 1e-12});
}

/* An empty axes input: identity with noop_with_empty_axes, else all axes.
 * A non-empty weight goes first: ingot_cg's weights blob is still NULL
 * when its first weight is empty (memset(NULL, 0, 0) in weight_offset). */
static void run_empty_axes(ingot_op_t op, int noop) {
  ingot_graph_t *g = cgt_graph();
  g->opset = 18;
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){3, 4});
  int64_t one = 1, none = 0;
  int32_t a1 = cgt_const(g, "axes1", INGOT_DT_INT64, 1, (int64_t[]){1}, &one);
  int32_t a0 = cgt_const(g, "axes0", INGOT_DT_INT64, 1, (int64_t[]){0}, &none);
  cgt_node(g, INGOT_OP_REDUCE_SUM, 2, (int32_t[]){x, a1}, "y1");
  int32_t n = cgt_node(g, op, 2, (int32_t[]){x, a0}, "y");
  cgt_attr_i(g, n, "noop_with_empty_axes", noop);
  cgt_output(g, "y1");
  cgt_output(g, "y");
  ingot_tensor_t in = tin(INGOT_DT_FLOAT, 2, (int64_t[]){3, 4}, 1, 1, 0);
  cgt_check(g, &in, TOL);
  ingot_tensor_release(&in);
}

static void test_reduce_noop(void **state) {
  (void)state;
  run_empty_axes(INGOT_OP_REDUCE_MAX, 1);
  run_empty_axes(INGOT_OP_REDUCE_SUM, 0);
  /* noop without any axes */
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_INT32, 2, {3, 4}, 0, {0}, AX_NONE, 1, 1, 18, 10, 0, 0});
}

static void test_reduce_int(void **state) {
  (void)state;
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_INT32, 2, {4, 5}, 1, {1}, AX_INPUT, 1, -1, 13, 100, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_INT64, 3, {4, 5, 70}, 2, {0, 2}, AX_INPUT, 0, -1, 13, 1e6, 0, 0});
  /* uint8 sums wrap */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_UINT8, 2, {4, 50}, 1, {1}, AX_INPUT, 1, -1, 13, 100, 100, 0});
  run_red((red_t){INGOT_OP_REDUCE_MAX, INGOT_DT_INT64, 2, {6, 7}, 1, {0}, AX_ATTR, 1, -1, 17, 1000, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MAX, INGOT_DT_INT8, 2, {6, 7}, 1, {1}, AX_ATTR, 0, -1, 17, 120, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MIN, INGOT_DT_UINT8, 2, {6, 7}, 1, {1}, AX_ATTR, 1, -1, 17, 100, 120, 0});
  run_red((red_t){INGOT_OP_REDUCE_MIN, INGOT_DT_UINT32, 2, {6, 7}, 1, {0}, AX_ATTR, 1, -1, 17, 1e9, 2e9, 0});
  run_red((red_t){INGOT_OP_REDUCE_MIN, INGOT_DT_INT16, 3, {3, 6, 7}, 2, {0, 2}, AX_ATTR, 1, -1, 17, 3000, 0, 0});
  /* integer mean truncates toward zero */
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_INT32, 2, {5, 7}, 1, {1}, AX_ATTR, 1, -1, 17, 10, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_UINT16, 2, {5, 7}, 1, {0}, AX_ATTR, 1, -1, 17, 1000, 2000, 0});
  run_red((red_t){INGOT_OP_REDUCE_PROD, INGOT_DT_INT64, 2, {5, 7}, 1, {1}, AX_ATTR, 1, -1, 17, 5, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_SUM_SQUARE, INGOT_DT_INT16, 2, {5, 7}, 1, {1}, AX_ATTR, 1, -1, 17, 50, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_L2, INGOT_DT_INT32, 2, {5, 7}, 1, {1}, AX_ATTR, 1, -1, 17, 50, 0, 0});
  /* bool: Max = any, Min = all */
  run_red((red_t){INGOT_OP_REDUCE_MAX, INGOT_DT_BOOL, 2, {5, 3}, 1, {1}, AX_ATTR, 1, -1, 17, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MIN, INGOT_DT_BOOL, 2, {5, 3}, 1, {1}, AX_ATTR, 0, -1, 17, 1, 0, 0});
}

static void test_reduce_empty(void **state) {
  (void)state;
  /* reducing a zero-length axis yields the identity */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 2, {3, 0}, 1, {1}, AX_INPUT, 1, -1, 18, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_PROD, INGOT_DT_FLOAT, 2, {3, 0}, 1, {1}, AX_INPUT, 0, -1, 18, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MAX, INGOT_DT_INT32, 2, {0, 3}, 1, {0}, AX_INPUT, 0, -1, 18, 1, 0, 0});
  run_red((red_t){INGOT_OP_REDUCE_MEAN, INGOT_DT_INT64, 2, {0, 3}, 1, {0}, AX_INPUT, 0, -1, 18, 1, 0, 0});
  /* zero outputs */
  run_red((red_t){INGOT_OP_REDUCE_SUM, INGOT_DT_FLOAT, 2, {0, 3}, 1, {1}, AX_INPUT, 1, -1, 18, 1, 0, 0});
}

/* ---- ArgMax ---------------------------------------------------------------------------------- */

static void run_argmax(int dt, int rank, const int64_t *dims, int64_t axis, int keep, int last, double scale) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, rank, dims);
  int32_t n = cgt_node(g, INGOT_OP_ARGMAX, 1, (int32_t[]){x}, "y");
  cgt_attr_i(g, n, "axis", axis);
  if (keep >= 0) cgt_attr_i(g, n, "keepdims", keep);
  if (last >= 0) cgt_attr_i(g, n, "select_last_index", last);
  cgt_output(g, "y");
  ingot_tensor_t in = tin(dt, rank, dims, 3, scale, 0);
  cgt_check(g, &in, 0);
  ingot_tensor_release(&in);
}

static void test_argmax(void **state) {
  (void)state;
  run_argmax(INGOT_DT_FLOAT, 3, (int64_t[]){4, 5, 6}, 1, 1, -1, 1);
  run_argmax(INGOT_DT_FLOAT, 3, (int64_t[]){4, 5, 6}, -1, 0, 1, 1);
  run_argmax(INGOT_DT_FLOAT, 2, (int64_t[]){4, 37}, 0, 0, 0, 1);
  run_argmax(INGOT_DT_DOUBLE, 2, (int64_t[]){4, 37}, 1, 1, 0, 1);
  /* ties: small integers repeat, first vs last index */
  run_argmax(INGOT_DT_INT32, 3, (int64_t[]){3, 9, 4}, 1, 1, 0, 3);
  run_argmax(INGOT_DT_INT32, 3, (int64_t[]){3, 9, 4}, 1, 1, 1, 3);
  run_argmax(INGOT_DT_INT64, 2, (int64_t[]){7, 9}, -1, 0, 1, 3);
  run_argmax(INGOT_DT_UINT8, 2, (int64_t[]){7, 9}, -1, 0, 0, 3);
  /* size-1 axis */
  run_argmax(INGOT_DT_FLOAT, 3, (int64_t[]){3, 1, 4}, 1, 1, 0, 1);
}

static void test_argmax_float_ties(void **state) {
  (void)state;
  for (int last = 0; last <= 1; last++) {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){4, 6});
    int32_t n = cgt_node(g, INGOT_OP_ARGMAX, 1, (int32_t[]){x}, "y");
    cgt_attr_i(g, n, "axis", 1);
    cgt_attr_i(g, n, "select_last_index", last);
    cgt_output(g, "y");
    float d[24] = {1, 3, 3, 0, 2, 3, -1, -1, -1, -1, -1, -1, 0, -0.0f, 0, 0, -5, 0, 2, 1, 0, 2, 2, -3};
    ingot_tensor_t in = ingot_tensor_view(INGOT_DT_FLOAT, 2, (int64_t[]){4, 6}, d, sizeof d);
    cgt_check(g, &in, 0);
  }
}

/* ---- CumSum ---------------------------------------------------------------------------------- */

static void run_cumsum(int dt, int rank, const int64_t *dims, int axis_dt, int64_t axis, int excl, int rev,
                       double scale, double tol) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, rank, dims);
  int32_t a;
  if (axis_dt == INGOT_DT_INT32) {
    int32_t a32 = (int32_t)axis;
    a = cgt_const(g, "axis", INGOT_DT_INT32, 0, NULL, &a32);
  } else {
    a = cgt_const(g, "axis", INGOT_DT_INT64, 1, (int64_t[]){1}, &axis);
  }
  int32_t n = cgt_node(g, INGOT_OP_CUMSUM, 2, (int32_t[]){x, a}, "y");
  if (excl >= 0) cgt_attr_i(g, n, "exclusive", excl);
  if (rev >= 0) cgt_attr_i(g, n, "reverse", rev);
  cgt_output(g, "y");
  ingot_tensor_t in = tin(dt, rank, dims, 5, scale, 0);
  cgt_check(g, &in, tol);
  ingot_tensor_release(&in);
}

static void test_cumsum(void **state) {
  (void)state;
  int64_t d3[3] = {3, 4, 5};
  for (int excl = 0; excl <= 1; excl++)
    for (int rev = 0; rev <= 1; rev++) {
      run_cumsum(INGOT_DT_FLOAT, 3, d3, INGOT_DT_INT64, 1, excl, rev, 1, TOL);
      run_cumsum(INGOT_DT_FLOAT, 3, d3, INGOT_DT_INT32, -1, excl, rev, 1, TOL);
      run_cumsum(INGOT_DT_INT32, 3, d3, INGOT_DT_INT64, 0, excl, rev, 100, 0);
    }
  run_cumsum(INGOT_DT_DOUBLE, 2, (int64_t[]){2, 300}, INGOT_DT_INT64, 1, -1, -1, 1, 1e-12);
  run_cumsum(INGOT_DT_INT64, 1, (int64_t[]){40}, INGOT_DT_INT64, 0, 0, 1, 1e6, 0);
  run_cumsum(INGOT_DT_UINT8, 2, (int64_t[]){3, 40}, INGOT_DT_INT64, -1, 1, 0, 100, 0); /* wraps */
  run_cumsum(INGOT_DT_FLOAT, 2, (int64_t[]){1, 1}, INGOT_DT_INT64, 0, 1, 0, 1, 0);
}

/* ---- Softmax / LogSoftmax ---------------------------------------------------------------------- */

static void run_softmax(ingot_op_t op, int dt, int rank, const int64_t *dims, int has_axis, int64_t axis, int opset,
                        double scale, double offset) {
  ingot_graph_t *g = cgt_graph();
  g->opset = opset;
  int32_t x = cgt_input(g, "x", dt, rank, dims);
  int32_t n = cgt_node(g, op, 1, (int32_t[]){x}, "y");
  if (has_axis) cgt_attr_i(g, n, "axis", axis);
  cgt_output(g, "y");
  ingot_tensor_t in = tin(dt, rank, dims, 11, scale, offset);
  cgt_check(g, &in, TOL);
  ingot_tensor_release(&in);
}

static void test_softmax(void **state) {
  (void)state;
  for (int i = 0; i < 2; i++) {
    ingot_op_t op = i ? INGOT_OP_LOG_SOFTMAX : INGOT_OP_SOFTMAX;
    run_softmax(op, INGOT_DT_FLOAT, 2, (int64_t[]){4, 37}, 0, 0, 17, 1, 0);
    /* long rows spanning exp's range; large offset: max subtraction */
    run_softmax(op, INGOT_DT_FLOAT, 2, (int64_t[]){3, 1000}, 1, -1, 17, 30, 0);
    run_softmax(op, INGOT_DT_FLOAT, 3, (int64_t[]){2, 5, 64}, 1, 2, 17, 4, 1000);
    /* a middle axis: strided rows */
    run_softmax(op, INGOT_DT_FLOAT, 3, (int64_t[]){2, 7, 5}, 1, 1, 13, 3, 0);
    run_softmax(op, INGOT_DT_FLOAT, 3, (int64_t[]){2, 7, 5}, 1, -3, 13, 3, 0);
    run_softmax(op, INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 4, 5}, 1, 2, 13, 2, 0);
    run_softmax(op, INGOT_DT_DOUBLE, 2, (int64_t[]){3, 70}, 0, 0, 17, 5, 0);
    /* size-1 rows */
    run_softmax(op, INGOT_DT_FLOAT, 2, (int64_t[]){3, 1}, 0, 0, 17, 5, 0);
  }
}

static void test_softmax_inf(void **state) {
  (void)state;
  /* -inf entries (attention masks) give exact zeros */
  float d[2 * 40];
  cgt_fill(d, 80, 9);
  for (int i = 0; i < 80; i += 3) d[i] = -INFINITY;
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){2, 40});
  cgt_node(g, INGOT_OP_SOFTMAX, 1, (int32_t[]){x}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in = ingot_tensor_view(INGOT_DT_FLOAT, 2, (int64_t[]){2, 40}, d, sizeof d);
  cgt_check(g, &in, TOL);
}

/* ---- LayerNormalization ------------------------------------------------------------------------ */

typedef struct {
  int dt, rank;
  int64_t dims[6];
  int has_axis;
  int64_t axis;
  int srank;
  int64_t sdims[6]; /* Scale shape */
  int bias;         /* 0 none, 1 same shape as Scale */
  int scale_input;  /* Scale/B as graph inputs instead of constants */
  int stats;        /* also the Mean and InvStdDev outputs */
  double eps;       /* 0: default */
  double scale, offset;
} ln_t;

static void run_ln(ln_t c) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", c.dt, c.rank, c.dims);
  ingot_tensor_t in[3];
  int nin = 1;
  in[0] = tin(c.dt, c.rank, c.dims, 21, c.scale, c.offset);
  int32_t s, b = -1;
  if (c.scale_input) {
    s = cgt_input(g, "s", c.dt, c.srank, c.sdims);
    in[nin++] = tin(c.dt, c.srank, c.sdims, 22, 1, 1);
    if (c.bias) {
      b = cgt_input(g, "b", c.dt, c.srank, c.sdims);
      in[nin++] = tin(c.dt, c.srank, c.sdims, 23, 1, 0);
    }
  } else {
    s = tconst(g, "s", c.dt, c.srank, c.sdims, 22, 1, 1);
    if (c.bias) b = tconst(g, "b", c.dt, c.srank, c.sdims, 23, 1, 0);
  }
  const char *outs[3] = {"y", c.stats ? "mean" : NULL, c.stats ? "inv" : NULL};
  int32_t n = cgt_node_n(g, INGOT_OP_LAYER_NORM, c.bias ? 3 : 2, (int32_t[]){x, s, b}, c.stats ? 3 : 1, outs);
  if (c.has_axis) cgt_attr_i(g, n, "axis", c.axis);
  if (c.eps) cgt_attr_f(g, n, "epsilon", (float)c.eps);
  cgt_output(g, "y");
  if (c.stats) {
    cgt_output(g, "mean");
    cgt_output(g, "inv");
  }
  cgt_check(g, in, TOL);
  release(in, nin);
}

static void test_layernorm(void **state) {
  (void)state;
  /* the DiT shape: last axis, Scale and B of [C] */
  run_ln((ln_t){INGOT_DT_FLOAT, 3, {2, 17, 1152}, 0, 0, 1, {1152}, 1, 0, 0, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_FLOAT, 3, {2, 5, 64}, 1, -1, 1, {64}, 1, 1, 1, 0, 1, 0});
  /* no bias, Mean/InvStdDev outputs, a custom epsilon */
  run_ln((ln_t){INGOT_DT_FLOAT, 3, {3, 4, 40}, 1, 2, 1, {40}, 0, 0, 1, 1e-3, 1, 0});
  /* two normalised axes with a full Scale, then a broadcast one */
  run_ln((ln_t){INGOT_DT_FLOAT, 3, {3, 5, 24}, 1, 1, 2, {5, 24}, 1, 0, 1, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_FLOAT, 3, {3, 5, 24}, 1, -2, 2, {1, 24}, 1, 1, 0, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_FLOAT, 3, {3, 5, 24}, 1, 1, 1, {24}, 1, 0, 0, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_FLOAT, 4, {2, 3, 4, 5}, 1, 1, 3, {3, 1, 5}, 1, 1, 1, 0, 1, 0});
  /* a large mean relative to the spread: the two-pass variance */
  run_ln((ln_t){INGOT_DT_FLOAT, 2, {8, 300}, 1, -1, 1, {300}, 1, 0, 1, 0, 0.01, 100});
  /* short rows (scalar path), axis 0, rank 1, double */
  run_ln((ln_t){INGOT_DT_FLOAT, 2, {9, 3}, 1, -1, 1, {3}, 1, 0, 1, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_FLOAT, 2, {4, 6}, 1, 0, 2, {4, 6}, 1, 0, 1, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_FLOAT, 1, {50}, 0, 0, 1, {50}, 1, 0, 1, 0, 1, 0});
  run_ln((ln_t){INGOT_DT_DOUBLE, 3, {2, 3, 70}, 1, -1, 1, {70}, 1, 0, 1, 0, 1, 0});
}

/* ---- GroupNormalization / InstanceNormalization ---------------------------------------------------- */

static void run_gn(ingot_op_t op, int dt, int rank, const int64_t *dims, int64_t groups, int64_t nparam,
                   int param_input, double eps, double scale, double offset) {
  ingot_graph_t *g = cgt_graph();
  g->opset = 18;
  int32_t x = cgt_input(g, "x", dt, rank, dims);
  ingot_tensor_t in[3];
  int nin = 1;
  in[0] = tin(dt, rank, dims, 31, scale, offset);
  int32_t s, b;
  if (param_input) {
    s = cgt_input(g, "s", dt, 1, &nparam);
    b = cgt_input(g, "b", dt, 1, &nparam);
    in[nin++] = tin(dt, 1, &nparam, 32, 1, 1);
    in[nin++] = tin(dt, 1, &nparam, 33, 1, 0);
  } else {
    s = tconst(g, "s", dt, 1, &nparam, 32, 1, 1);
    b = tconst(g, "b", dt, 1, &nparam, 33, 1, 0);
  }
  int32_t n = cgt_node(g, op, 3, (int32_t[]){x, s, b}, "y");
  if (op == INGOT_OP_GROUP_NORM) cgt_attr_i(g, n, "num_groups", groups);
  if (eps) cgt_attr_f(g, n, "epsilon", (float)eps);
  cgt_output(g, "y");
  cgt_check(g, in, TOL);
  release(in, nin);
}

static void test_groupnorm(void **state) {
  (void)state;
  /* opset 18 per-group scale/bias */
  run_gn(INGOT_OP_GROUP_NORM, INGOT_DT_FLOAT, 4, (int64_t[]){2, 8, 4, 4}, 4, 4, 0, 0, 1, 0);
  /* per-channel scale/bias (opset 21 form) */
  run_gn(INGOT_OP_GROUP_NORM, INGOT_DT_FLOAT, 4, (int64_t[]){2, 8, 4, 4}, 4, 8, 0, 0, 1, 0);
  run_gn(INGOT_OP_GROUP_NORM, INGOT_DT_FLOAT, 4, (int64_t[]){1, 32, 9, 9}, 8, 32, 1, 1e-6, 2, 3);
  run_gn(INGOT_OP_GROUP_NORM, INGOT_DT_FLOAT, 3, (int64_t[]){2, 6, 5}, 1, 1, 0, 0, 1, 0);
  run_gn(INGOT_OP_GROUP_NORM, INGOT_DT_DOUBLE, 3, (int64_t[]){2, 6, 50}, 3, 3, 0, 0, 1, 0);
}

static void test_instancenorm(void **state) {
  (void)state;
  run_gn(INGOT_OP_INSTANCE_NORM, INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 5, 5}, 0, 3, 0, 0, 1, 0);
  /* torch's GroupNorm export: Reshape(N, G, -1) -> InstanceNormalization(ones, zeros) */
  run_gn(INGOT_OP_INSTANCE_NORM, INGOT_DT_FLOAT, 3, (int64_t[]){2, 32, 256}, 0, 32, 0, 1e-6, 1, 0.5);
  run_gn(INGOT_OP_INSTANCE_NORM, INGOT_DT_FLOAT, 3, (int64_t[]){1, 4, 1000}, 0, 4, 1, 0, 0.01, 50);
  run_gn(INGOT_OP_INSTANCE_NORM, INGOT_DT_FLOAT, 2, (int64_t[]){3, 4}, 0, 4, 0, 0, 1, 0); /* spatial 1 */
  run_gn(INGOT_OP_INSTANCE_NORM, INGOT_DT_DOUBLE, 3, (int64_t[]){2, 3, 33}, 0, 3, 0, 0, 1, 0);
}

/* ---- BatchNormalization ---------------------------------------------------------------------------- */

static void run_bn(int dt, int rank, const int64_t *dims, int param_input, int nout) {
  ingot_graph_t *g = cgt_graph();
  g->opset = 15;
  int64_t C = rank >= 2 ? dims[1] : 1;
  int32_t x = cgt_input(g, "x", dt, rank, dims);
  ingot_tensor_t in[5];
  int nin = 1;
  in[0] = tin(dt, rank, dims, 41, 2, 0.5);
  static const char *pn[4] = {"scale", "B", "mean", "var"};
  double sc[4] = {1, 1, 0.5, 0.4}, of[4] = {1, 0, 0, 0.6}; /* var in (0.2, 1) */
  int32_t p[4];
  for (int i = 0; i < 4; i++) {
    if (param_input) {
      p[i] = cgt_input(g, pn[i], dt, 1, &C);
      in[nin++] = tin(dt, 1, &C, 42 + (uint32_t)i, sc[i], of[i]);
    } else {
      p[i] = tconst(g, pn[i], dt, 1, &C, 42 + (uint32_t)i, sc[i], of[i]);
    }
  }
  const char *outs[3] = {"y", "rm", "rv"};
  cgt_node_n(g, INGOT_OP_BATCH_NORM, 5, (int32_t[]){x, p[0], p[1], p[2], p[3]}, (uint32_t)nout, outs);
  cgt_output(g, "y");
  if (nout > 1) {
    cgt_output(g, "rm");
    cgt_output(g, "rv");
  }
  cgt_check(g, in, TOL);
  release(in, nin);
}

static void test_batchnorm(void **state) {
  (void)state;
  run_bn(INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 4, 5}, 0, 1);
  run_bn(INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 4, 5}, 1, 1);
  run_bn(INGOT_DT_FLOAT, 2, (int64_t[]){4, 3}, 0, 1);
  run_bn(INGOT_DT_FLOAT, 3, (int64_t[]){2, 16, 33}, 1, 3);
  run_bn(INGOT_DT_DOUBLE, 3, (int64_t[]){2, 5, 7}, 0, 1);
}

/* ---- float16 ---------------------------------------------------------------------------------------
 * The evaluator computes these ops in float32/64 only: the float16 graph is
 * compiled and compared with the evaluator's float32 results on the same
 * (float16-representable) inputs.  The tolerance covers float16 rounding of
 * the weights and outputs. */

/* Compiles g (already shape-inferred) and runs it at `threads`; outs[] are allocated here. */
static void run_compiled(ingot_graph_t *g, const ingot_tensor_t *inputs, ingot_tensor_t *outs, int threads) {
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
  ro.threads = threads;
  ingot_rt_model_t *m;
  assert_int_equal(ingot_rt_model_create((const ingot_rt_model_desc_t *)desc, NULL, &ro, &m), INGOT_RT_OK);
  void *in[8] = {0}, *out[8] = {0};
  assert_true(g->ninputs <= 8 && g->noutputs <= 8);
  for (uint32_t i = 0; i < g->ninputs; i++) in[i] = inputs[i].data;
  for (uint32_t o = 0; o < g->noutputs; o++) {
    const ingot_type_t *t = &g->values[g->outputs[o]].type;
    int64_t d[INGOT_MAX_RANK];
    for (int j = 0; j < t->rank; j++) d[j] = t->dims[j].v;
    cgt_ok(ingot_tensor_alloc(&outs[o], t->dtype, t->rank, d));
    out[o] = outs[o].data;
  }
  assert_int_equal(ingot_rt_model_run(m, 0, in, out), INGOT_RT_OK);
  ingot_rt_model_destroy(m);
  ingot_cg_destroy(cg);
}

typedef ingot_graph_t *(*build_fn)(int dt);

static void check_f16(build_fn build, double tol) {
  ingot_graph_t *g32 = build(INGOT_DT_FLOAT), *g16 = build(INGOT_DT_FLOAT16);
  cgt_ok(ingot_infer_shapes(g32));
  cgt_ok(ingot_infer_shapes(g16));
  uint32_t ni = g16->ninputs, no = g16->noutputs;
  ingot_tensor_t i16[8], i32[8], ref[8], res[8];
  for (uint32_t i = 0; i < ni; i++) {
    const ingot_type_t *t = &g16->values[g16->inputs[i]].type;
    int64_t d[INGOT_MAX_RANK];
    for (int j = 0; j < t->rank; j++) d[j] = t->dims[j].v;
    i16[i] = tin(t->dtype, t->rank, d, 50 + i, 1, 0);
    cgt_ok(ingot_tensor_alloc(&i32[i], t->dtype == INGOT_DT_FLOAT16 ? INGOT_DT_FLOAT : t->dtype, t->rank, d));
    for (int64_t j = 0; j < ingot_tensor_numel(&i16[i]); j++)
      ingot_tensor_set_f64(&i32[i], j, ingot_tensor_get_f64(&i16[i], j));
  }
  ingot_interp_opts_t io = {1, true};
  cgt_ok(ingot_interp_run(g32, &io, i32, ref));
  for (int threads = 1; threads <= 2; threads++) {
    ingot_graph_t *g = threads == 1 ? g16 : build(INGOT_DT_FLOAT16);
    if (threads == 2) cgt_ok(ingot_infer_shapes(g));
    run_compiled(g, i16, res, threads);
    for (uint32_t o = 0; o < no; o++) {
      double e = cgt_rel_l2(&res[o], &ref[o]);
      if (!(e <= tol)) print_error("float16 output %u: rel L2 %.3e > tol %.1e\n", o, e, tol);
      assert_true(e <= tol);
    }
    release(res, (int)no);
    ingot_graph_free(g);
  }
  release(ref, (int)no);
  release(i16, (int)ni);
  release(i32, (int)ni);
  ingot_graph_free(g32);
}

static ingot_graph_t *f16_reduce_sum(int dt) {
  ingot_graph_t *g = cgt_graph();
  g->opset = 18;
  int32_t x = cgt_input(g, "x", dt, 2, (int64_t[]){4, 70});
  int64_t ax = -1;
  int32_t a = cgt_const(g, "axes", INGOT_DT_INT64, 1, (int64_t[]){1}, &ax);
  cgt_node(g, INGOT_OP_REDUCE_SUM, 2, (int32_t[]){x, a}, "y");
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_reduce_max(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 2, (int64_t[]){4, 70});
  int32_t n = cgt_node(g, INGOT_OP_REDUCE_MAX, 1, (int32_t[]){x}, "y");
  cgt_attr_ints(g, n, "axes", 1, (int64_t[]){0});
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_argmax(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 2, (int64_t[]){4, 33});
  int32_t n = cgt_node(g, INGOT_OP_ARGMAX, 1, (int32_t[]){x}, "y");
  cgt_attr_i(g, n, "axis", 1);
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_cumsum(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 2, (int64_t[]){3, 40});
  int64_t ax = 1;
  int32_t a = cgt_const(g, "axis", INGOT_DT_INT64, 0, NULL, &ax);
  cgt_node(g, INGOT_OP_CUMSUM, 2, (int32_t[]){x, a}, "y");
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_softmax(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 2, (int64_t[]){3, 100});
  cgt_node(g, INGOT_OP_SOFTMAX, 1, (int32_t[]){x}, "y");
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_log_softmax(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 3, (int64_t[]){2, 9, 5});
  int32_t n = cgt_node(g, INGOT_OP_LOG_SOFTMAX, 1, (int32_t[]){x}, "y");
  cgt_attr_i(g, n, "axis", 1);
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_layernorm(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 3, (int64_t[]){2, 5, 64});
  int32_t s = tconst(g, "s", dt, 1, (int64_t[]){64}, 2, 1, 1), b = tconst(g, "b", dt, 1, (int64_t[]){64}, 3, 1, 0);
  const char *outs[3] = {"y", "mean", "inv"};
  cgt_node_n(g, INGOT_OP_LAYER_NORM, 3, (int32_t[]){x, s, b}, 3, outs);
  cgt_output(g, "y");
  cgt_output(g, "mean");
  cgt_output(g, "inv");
  return g;
}

static ingot_graph_t *f16_instnorm(int dt) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dt, 3, (int64_t[]){2, 4, 50});
  int32_t s = tconst(g, "s", dt, 1, (int64_t[]){4}, 2, 1, 1), b = tconst(g, "b", dt, 1, (int64_t[]){4}, 3, 1, 0);
  cgt_node(g, INGOT_OP_INSTANCE_NORM, 3, (int32_t[]){x, s, b}, "y");
  cgt_output(g, "y");
  return g;
}

static ingot_graph_t *f16_batchnorm(int dt) {
  ingot_graph_t *g = cgt_graph();
  g->opset = 15;
  int64_t C = 3;
  int32_t x = cgt_input(g, "x", dt, 4, (int64_t[]){2, 3, 4, 5});
  int32_t s = tconst(g, "s", dt, 1, &C, 2, 1, 1), b = tconst(g, "b", dt, 1, &C, 3, 1, 0);
  int32_t m = tconst(g, "m", dt, 1, &C, 4, 0.5, 0), v = tconst(g, "v", dt, 1, &C, 5, 0.4, 0.6);
  cgt_node(g, INGOT_OP_BATCH_NORM, 5, (int32_t[]){x, s, b, m, v}, "y");
  cgt_output(g, "y");
  return g;
}

static void test_float16(void **state) {
  (void)state;
  /* The JIT compiles for generic x86-64 (no F16C), where LLVM 14 converts
   * half through compiler-rt's __gnu_h2f_ieee / __gnu_f2h_ieee; libgcc
   * lacks those names, so provide them (process-wide, idempotent). */
  LLVMAddSymbol("__gnu_h2f_ieee", (void *)(uintptr_t)ingot_f16_to_f32);
  LLVMAddSymbol("__gnu_f2h_ieee", (void *)(uintptr_t)ingot_f32_to_f16);
  check_f16(f16_reduce_sum, 2e-3);
  check_f16(f16_reduce_max, 0);
  check_f16(f16_argmax, 0);
  check_f16(f16_cumsum, 2e-3);
  check_f16(f16_softmax, 2e-3);
  check_f16(f16_log_softmax, 2e-3);
  check_f16(f16_layernorm, 3e-3);
  check_f16(f16_instnorm, 3e-3);
  check_f16(f16_batchnorm, 3e-3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reduce_sum),     cmocka_unit_test(test_reduce_mean),
      cmocka_unit_test(test_reduce_max_min_prod), cmocka_unit_test(test_reduce_sumsq_l2),
      cmocka_unit_test(test_reduce_noop),    cmocka_unit_test(test_reduce_int),
      cmocka_unit_test(test_reduce_empty),   cmocka_unit_test(test_argmax),
      cmocka_unit_test(test_argmax_float_ties), cmocka_unit_test(test_cumsum),
      cmocka_unit_test(test_softmax),        cmocka_unit_test(test_softmax_inf),
      cmocka_unit_test(test_layernorm),      cmocka_unit_test(test_groupnorm),
      cmocka_unit_test(test_instancenorm),   cmocka_unit_test(test_batchnorm),
      cmocka_unit_test(test_float16),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
