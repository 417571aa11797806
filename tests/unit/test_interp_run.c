/* Reference evaluator: the run loop (interp/run.c): input validation and
 * symbolic binding, value lifetimes, graph outputs that are inputs or
 * initializers, check_types, float16/bfloat16 widening, unsupported ops and
 * error cleanup (run under ASan in build-*-asan for the leak checks). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "interp_testlib.h"

/* A value with a concrete type; a dim of -1 becomes the symbol "batch". */
static int32_t val(ingot_graph_t *g, const char *name, int dtype, int rank, const int64_t *dims) {
  int32_t v;
  ok_or_fail(ingot_graph_add_value(g, name, &v));
  ingot_type_t *t = &g->values[v].type;
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++) {
    if (dims[i] >= 0) {
      t->dims[i] = ingot_dim_const(dims[i]);
    } else {
      uint32_t s;
      ok_or_fail(ingot_graph_sym(g, "batch", &s));
      t->dims[i].v = -1;
      t->dims[i].sym = s;
    }
  }
  return v;
}

/* A value of unknown type. */
static int32_t anyval(ingot_graph_t *g, const char *name) {
  int32_t v;
  ok_or_fail(ingot_graph_add_value(g, name, &v));
  return v;
}

static int32_t input(ingot_graph_t *g, const char *name, int dtype, int rank, const int64_t *dims) {
  int32_t v = val(g, name, dtype, rank, dims);
  ok_or_fail(ingot_graph_add_input(g, v));
  return v;
}

/* An initializer over static data (not copied: data must outlive the graph). */
static int32_t init(ingot_graph_t *g, const char *name, int dtype, int rank, const int64_t *dims, const void *data) {
  int32_t v = val(g, name, dtype, rank, dims);
  g->values[v].flags |= INGOT_VAL_INIT;
  g->values[v].data = (void *)data;
  size_t n = ingot_dtype_size(dtype);
  for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
  g->values[v].nbytes = n;
  return v;
}

static int32_t node(ingot_graph_t *g, ingot_op_t op, const char *name, uint32_t nin, const int32_t *ins,
                    uint32_t nout, const int32_t *outs) {
  int32_t n;
  ok_or_fail(ingot_graph_add_node(g, op, name, nin, nout, &n));
  for (uint32_t i = 0; i < nin; i++) g->nodes[n].inputs[i] = ins[i];
  for (uint32_t j = 0; j < nout; j++) {
    g->nodes[n].outputs[j] = outs[j];
    if (outs[j] >= 0) g->values[outs[j]].producer = n;
  }
  return n;
}
#define NODE(g, op, name, ins, outs)                                                                    \
  node(g, op, name, sizeof((const int32_t[])ins) / sizeof(int32_t), (const int32_t[])ins,               \
       sizeof((const int32_t[])outs) / sizeof(int32_t), (const int32_t[])outs)
#define L(...) \
  { __VA_ARGS__ }

static ingot_graph_t *new_graph(void) {
  ingot_graph_t *g;
  ok_or_fail(ingot_graph_create("test.onnx", &g));
  g->opset = 17;
  return g;
}

static void release_all(ingot_tensor_t *t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) ingot_tensor_release(&t[i]);
}

static const ingot_interp_opts_t CHECK = {1, true};

/* ---- lifetimes ------------------------------------------------------------------- */

static void test_chain_frees_intermediates(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 2, D(2, 3));
  static const float wdata[3] = {1, 2, 3};
  int32_t w = init(g, "w", INGOT_DT_FLOAT, 1, D(3), wdata);
  int32_t a = anyval(g, "a"), b = anyval(g, "b"), c = anyval(g, "c"), y = anyval(g, "y");
  NODE(g, INGOT_OP_RELU, "relu", L(x), L(a));
  NODE(g, INGOT_OP_EXP, "dead", L(a), L(c)); /* c is never read: freed at once */
  NODE(g, INGOT_OP_ADD, "add", L(a, w), L(b));
  NODE(g, INGOT_OP_NEG, "neg", L(b), L(y));
  ok_or_fail(ingot_graph_add_output(g, y));
  ingot_tensor_t in = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(-1, 2, -3, 4, -5, 6));
  ingot_tensor_t out[1];
  ok_or_fail(ingot_interp_run(g, &CHECK, &in, out));
  expect_f(&out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(-1, -4, -3, -5, -2, -9), 0, 0);
  assert_true(out[0].owned);
  release_all(out, 1);
  /* opts may be NULL */
  ok_or_fail(ingot_interp_run(g, NULL, &in, out));
  release_all(out, 1);
  ingot_graph_free(g);
}

static void test_outputs_that_are_inputs_or_initializers(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_INT64, 1, D(2));
  static const int64_t wdata[2] = {10, 20};
  int32_t w = init(g, "w", INGOT_DT_INT64, 1, D(2), wdata);
  int32_t y = anyval(g, "y");
  NODE(g, INGOT_OP_ADD, "add", L(x, w), L(y));
  ok_or_fail(ingot_graph_add_output(g, x));
  ok_or_fail(ingot_graph_add_output(g, w));
  ok_or_fail(ingot_graph_add_output(g, y));
  ok_or_fail(ingot_graph_add_output(g, y)); /* the same value twice */
  ingot_tensor_t in = TT(INGOT_DT_INT64, 1, D(2), IV(1, 2));
  ingot_tensor_t out[4];
  ok_or_fail(ingot_interp_run(g, &CHECK, &in, out));
  expect_i(&out[0], INGOT_DT_INT64, 1, D(2), IV(1, 2));
  expect_i(&out[1], INGOT_DT_INT64, 1, D(2), IV(10, 20));
  expect_i(&out[2], INGOT_DT_INT64, 1, D(2), IV(11, 22));
  expect_i(&out[3], INGOT_DT_INT64, 1, D(2), IV(11, 22));
  for (int i = 0; i < 4; i++) assert_true(out[i].owned);
  assert_ptr_not_equal(out[0].data, in.data);
  assert_ptr_not_equal(out[1].data, wdata);
  assert_ptr_not_equal(out[2].data, out[3].data);
  release_all(out, 4);
  ingot_graph_free(g);
}

static void test_multi_output_and_nop(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 1, D(3));
  int32_t y = anyval(g, "y"), mask = anyval(g, "mask"), z = anyval(g, "z");
  NODE(g, INGOT_OP_DROPOUT, "drop", L(x), L(y, mask)); /* mask unused: freed */
  int32_t dead = NODE(g, INGOT_OP_ABS, "deleted", L(y), L(z));
  g->nodes[dead].op = INGOT_OP_NOP; /* a pass deleted it: computes nothing */
  int32_t y2 = anyval(g, "y2");
  NODE(g, INGOT_OP_SQRT, "sqrt", L(y), L(y2));
  ok_or_fail(ingot_graph_add_output(g, y2));
  ingot_tensor_t in = TT(INGOT_DT_FLOAT, 1, D(3), FV(4, 9, 16));
  ingot_tensor_t out[1];
  ok_or_fail(ingot_interp_run(g, &CHECK, &in, out));
  expect_f(&out[0], INGOT_DT_FLOAT, 1, D(3), DV(2, 3, 4), 0, 0);
  release_all(out, 1);
  /* reading the deleted node's output is an internal error */
  int32_t w = anyval(g, "w");
  NODE(g, INGOT_OP_NEG, "reads_deleted", L(z), L(w));
  ok_or_fail(ingot_graph_add_output(g, w));
  ingot_tensor_t out2[2];
  expect_err(ingot_interp_run(g, &CHECK, &in, out2), INGOT_CODE_INTERNAL, "node 'reads_deleted'",
             "read before it is computed");
  assert_null(out2[0].data);
  assert_null(out2[1].data);
  ingot_graph_free(g);
}

/* ---- input validation ------------------------------------------------------------- */

static ingot_graph_t *batch_graph(void) {
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 4, D(-1, 4, 16, 16));
  int32_t t = input(g, "t", INGOT_DT_FLOAT, 1, D(-1));
  int32_t y = anyval(g, "y");
  NODE(g, INGOT_OP_MUL, "mul", L(x, t), L(y));
  ok_or_fail(ingot_graph_add_output(g, y));
  return g;
}

static void test_input_dtype_and_shape_errors(void **state) {
  (void)state;
  ingot_graph_t *g = batch_graph();
  static float xs[2 * 4 * 16 * 16], ts[16];
  ingot_tensor_t out[1];
  ingot_tensor_t in[2];
  in[1] = TT(INGOT_DT_FLOAT, 1, D(2), ts);
  in[0] = TT(INGOT_DT_FLOAT, 4, D(2, 4, 15, 16), xs);
  expect_err(ingot_interp_run(g, &CHECK, in, out), INGOT_CODE_INPUT,
             "test.onnx: input 'x': expected float32 [batch,4,16,16], got float32 [2,4,15,16]");
  assert_null(out[0].data);
  in[0] = TT(INGOT_DT_INT32, 4, D(2, 4, 16, 16), xs);
  expect_err(ingot_interp_run(g, &CHECK, in, out), INGOT_CODE_INPUT,
             "input 'x': expected float32 [batch,4,16,16], got int32 [2,4,16,16]");
  in[0] = TT(INGOT_DT_FLOAT, 3, D(2, 4, 16), xs);
  expect_err(ingot_interp_run(g, &CHECK, in, out), INGOT_CODE_INPUT,
             "input 'x': expected float32 [batch,4,16,16], got float32 [2,4,16]");
  /* too few bytes behind a correctly typed tensor */
  in[0] = TT(INGOT_DT_FLOAT, 4, D(2, 4, 16, 16), xs);
  in[0].nbytes = 16;
  expect_err(ingot_interp_run(g, &CHECK, in, out), INGOT_CODE_INPUT, "input 'x'", "bytes");
  ingot_graph_free(g);
}

static void test_symbolic_dims_bind_consistently(void **state) {
  (void)state;
  ingot_graph_t *g = batch_graph();
  /* x [batch,4,16,16] * t [batch]: t broadcasts over W, so the valid run
   * below uses batch = 16 = W. */
  static float xs[16 * 4 * 16 * 16], ts[16];
  ingot_tensor_t out[1];
  ingot_tensor_t in[2];
  in[0] = TT(INGOT_DT_FLOAT, 4, D(2, 4, 16, 16), xs);
  in[1] = TT(INGOT_DT_FLOAT, 1, D(3), ts);
  expect_err(ingot_interp_run(g, &CHECK, in, out), INGOT_CODE_INPUT,
             "input 't': expected float32 [batch], got float32 [3]", "'batch' is 2 in input 'x'");
  /* consistent binding: batch = 16 everywhere; Mul broadcasts t over W */
  in[0] = TT(INGOT_DT_FLOAT, 4, D(16, 4, 16, 16), xs);
  in[1] = TT(INGOT_DT_FLOAT, 1, D(16), ts);
  for (int i = 0; i < 16; i++) ts[i] = (float)i;
  for (int i = 0; i < 16 * 4 * 16 * 16; i++) xs[i] = 2;
  ok_or_fail(ingot_interp_run(g, &CHECK, in, out));
  expect_shape(&out[0], INGOT_DT_FLOAT, 4, D(16, 4, 16, 16));
  assert_true(((float *)out[0].data)[5] == 10.0f);
  release_all(out, 1);
  ingot_graph_free(g);
}

static void test_broadcast_error_names_node_and_cleans_up(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 2, D(2, 3));
  int32_t z = input(g, "z", INGOT_DT_FLOAT, 1, D(2));
  int32_t a = anyval(g, "a"), b = anyval(g, "b"), y = anyval(g, "y");
  NODE(g, INGOT_OP_EXP, "exp", L(x), L(a));
  NODE(g, INGOT_OP_ADD, "bad_add", L(a, z), L(b));
  NODE(g, INGOT_OP_NEG, "neg", L(b), L(y));
  ok_or_fail(ingot_graph_add_output(g, a)); /* a live graph output at the time of the error */
  ok_or_fail(ingot_graph_add_output(g, y));
  ingot_tensor_t in[2] = {TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 4, 5, 6)), TT(INGOT_DT_FLOAT, 1, D(2), FV(1, 2))};
  ingot_tensor_t out[2];
  expect_err(ingot_interp_run(g, &CHECK, in, out), INGOT_CODE_INPUT, "test.onnx: node 'bad_add' (#1, Add)",
             "cannot broadcast");
  assert_null(out[0].data);
  assert_null(out[1].data);
  ingot_graph_free(g);
}

/* ---- check_types --------------------------------------------------------------------- */

static void test_check_types(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 2, D(-1, 3));
  int32_t y = val(g, "y", INGOT_DT_FLOAT, 2, D(-1, 3)); /* symbolic: only the 3 is checked */
  int32_t n = NODE(g, INGOT_OP_RELU, "relu", L(x), L(y));
  ok_or_fail(ingot_graph_add_output(g, y));
  ingot_tensor_t in = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, -2, 3, -4, 5, -6));
  ingot_tensor_t out[1];
  ok_or_fail(ingot_interp_run(g, &CHECK, &in, out));
  expect_f(&out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(1, 0, 3, 0, 5, 0), 0, 0);
  release_all(out, 1);
  /* inference claims [batch,4]: internal inconsistency naming the node */
  g->values[y].type.dims[1] = ingot_dim_const(4);
  expect_err(ingot_interp_run(g, &CHECK, &in, out), INGOT_CODE_INTERNAL, "node 'relu' (#0, Relu)", "output 'y'",
             "float32 [batch,4]", "float32 [2,3]");
  /* without check_types the same graph runs */
  ingot_interp_opts_t nocheck = {1, false};
  ok_or_fail(ingot_interp_run(g, &nocheck, &in, out));
  release_all(out, 1);
  /* dtype disagreement, rank disagreement */
  g->values[y].type.dims[1] = ingot_dim_const(3);
  g->values[y].type.dtype = INGOT_DT_INT64;
  expect_err(ingot_interp_run(g, &CHECK, &in, out), INGOT_CODE_INTERNAL, "int64 [batch,3]");
  g->values[y].type.dtype = INGOT_DT_FLOAT;
  g->values[y].type.rank = 1;
  expect_err(ingot_interp_run(g, &CHECK, &in, out), INGOT_CODE_INTERNAL, "node 'relu'");
  (void)n;
  ingot_graph_free(g);
}

/* ---- unsupported ops --------------------------------------------------------------------- */

static void test_unsupported_ops(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t c = input(g, "c", INGOT_DT_BOOL, 0, D(0));
  int32_t y = anyval(g, "y");
  int32_t n_if = NODE(g, INGOT_OP_IF, "branch", L(c), L(y));
  ok_or_fail(ingot_graph_add_output(g, y));
  ingot_status_t why = NULL;
  assert_false(ingot_interp_supports(g, n_if, &why));
  expect_err(why, INGOT_CODE_UNSUPPORTED, "node 'branch' (#0, If)", "If");
  ingot_tensor_t in = TT(INGOT_DT_BOOL, 0, D(0), BV(1));
  ingot_tensor_t out[1];
  expect_err(ingot_interp_run(g, &CHECK, &in, out), INGOT_CODE_UNSUPPORTED, "node 'branch' (#0, If)",
             "does not run op If");
  /* an op not in ops.def keeps its ONNX name for the message */
  g->nodes[n_if].op = INGOT_OP_UNKNOWN;
  g->nodes[n_if].op_type = "FancyAttention";
  expect_err(ingot_interp_run(g, &CHECK, &in, out), INGOT_CODE_UNSUPPORTED, "FancyAttention");
  assert_false(ingot_interp_supports(g, n_if, NULL));
  g->nodes[n_if].op = INGOT_OP_NOT;
  g->nodes[n_if].op_type = "Not";
  assert_true(ingot_interp_supports(g, n_if, &why));
  assert_null(why);
  ok_or_fail(ingot_interp_run(g, &CHECK, &in, out));
  expect_i(&out[0], INGOT_DT_BOOL, 0, D(0), IV(0));
  release_all(out, 1);
  /* every op the math kernels cover is supported, Loop/Scan are not */
  static const ingot_op_t yes[] = {INGOT_OP_ADD, INGOT_OP_CONV, INGOT_OP_REDUCE_L2, INGOT_OP_CUMSUM, INGOT_OP_GELU};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
    g->nodes[n_if].op = yes[i];
    assert_true(ingot_interp_supports(g, n_if, NULL));
  }
  g->nodes[n_if].op = INGOT_OP_LOOP;
  assert_false(ingot_interp_supports(g, n_if, NULL));
  g->nodes[n_if].op = INGOT_OP_SCAN;
  assert_false(ingot_interp_supports(g, n_if, NULL));
  ingot_graph_free(g);
}

static void test_node_order_error(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 1, D(2));
  int32_t a = anyval(g, "a"), y = anyval(g, "y");
  NODE(g, INGOT_OP_NEG, "second", L(a), L(y)); /* reads a before it is produced */
  NODE(g, INGOT_OP_NEG, "first", L(x), L(a));
  ok_or_fail(ingot_graph_add_output(g, y));
  ingot_tensor_t in = TT(INGOT_DT_FLOAT, 1, D(2), FV(1, 2));
  ingot_tensor_t out[1];
  expect_err(ingot_interp_run(g, &CHECK, &in, out), INGOT_CODE_INTERNAL, "node 'second'", "input 0 ('a')");
  /* a graph output nobody produces */
  ingot_graph_t *g2 = new_graph();
  int32_t x2 = input(g2, "x", INGOT_DT_FLOAT, 1, D(2));
  (void)x2;
  int32_t orphan = anyval(g2, "orphan");
  ok_or_fail(ingot_graph_add_output(g2, orphan));
  expect_err(ingot_interp_run(g2, &CHECK, &in, out), INGOT_CODE_INTERNAL, "graph output 'orphan'");
  ingot_graph_free(g);
  ingot_graph_free(g2);
}

/* ---- float16 / bfloat16 --------------------------------------------------------------------- */

static void test_half_inputs_are_widened(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t a = input(g, "a", INGOT_DT_FLOAT16, 1, D(3));
  int32_t b = input(g, "b", INGOT_DT_FLOAT16, 1, D(3));
  int32_t s = val(g, "s", INGOT_DT_FLOAT16, 1, D(3));
  int32_t e = anyval(g, "e"), c = anyval(g, "c");
  NODE(g, INGOT_OP_ADD, "add", L(a, b), L(s));
  int32_t cast = NODE(g, INGOT_OP_CAST, "cast", L(s), L(c)); /* Cast sees float16 itself */
  attr_i(g, cast, "to", INGOT_DT_FLOAT);
  NODE(g, INGOT_OP_EXP, "exp", L(s), L(e));
  ok_or_fail(ingot_graph_add_output(g, s));
  ok_or_fail(ingot_graph_add_output(g, c));
  ok_or_fail(ingot_graph_add_output(g, e));
  /* 1.5 + 0.25 = 1.75 (0x3f00); 2048 + 1 = 2049 -> 2048 in float16 (0x6800);
   * -2 + 0.5 = -1.5 (0xbe00) */
  static const uint16_t ha[3] = {0x3e00, 0x6800, 0xc000}, hb[3] = {0x3400, 0x3c00, 0x3800};
  ingot_tensor_t in[2] = {TT(INGOT_DT_FLOAT16, 1, D(3), ha), TT(INGOT_DT_FLOAT16, 1, D(3), hb)};
  ingot_tensor_t out[3];
  ok_or_fail(ingot_interp_run(g, &CHECK, in, out));
  expect_shape(&out[0], INGOT_DT_FLOAT16, 1, D(3));
  const uint16_t *h = out[0].data;
  assert_int_equal(h[0], 0x3f00);
  assert_int_equal(h[1], 0x6800);
  assert_int_equal(h[2], 0xbe00);
  expect_f(&out[1], INGOT_DT_FLOAT, 1, D(3), DV(1.75, 2048, -1.5), 0, 0);
  /* exp in float32, rounded to float16: e^1.75 = 5.7546 -> 5.75390625 */
  expect_f(&out[2], INGOT_DT_FLOAT16, 1, D(3), DV(5.75390625, INFINITY, 0.22314453125), 0, 0);
  release_all(out, 3);
  ingot_graph_free(g);
}

static void test_bfloat16_and_layer_norm_stash(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_BFLOAT16, 2, D(1, 4));
  int32_t sc = input(g, "scale", INGOT_DT_BFLOAT16, 1, D(4));
  int32_t y = anyval(g, "y"), mean = anyval(g, "mean"), inv = anyval(g, "inv");
  int32_t n = NODE(g, INGOT_OP_LAYER_NORM, "ln", L(x, sc), L(y, mean, inv));
  attr_f(g, n, "epsilon", 0.0f);
  ok_or_fail(ingot_graph_add_output(g, y));
  ok_or_fail(ingot_graph_add_output(g, mean));
  ok_or_fail(ingot_graph_add_output(g, inv));
  /* x = [1,2,3,6]: mean 3, var 3.5, inv 0.534522484 */
  static const uint16_t hx[4] = {0x3f80, 0x4000, 0x4040, 0x40c0}, hs[4] = {0x3f80, 0x3f80, 0x3f80, 0x3f80};
  ingot_tensor_t in[2] = {TT(INGOT_DT_BFLOAT16, 2, D(1, 4), hx), TT(INGOT_DT_BFLOAT16, 1, D(4), hs)};
  ingot_tensor_t out[3];
  ok_or_fail(ingot_interp_run(g, &CHECK, in, out));
  /* y in bfloat16 (8-bit mantissa): -1.0690 -> -1.0703125, -0.5345 -> -0.53515625, 0, 1.6036 -> 1.6015625 */
  expect_f(&out[0], INGOT_DT_BFLOAT16, 2, D(1, 4), DV(-1.0703125, -0.53515625, 0, 1.6015625), 0, 0);
  /* Mean / InvStdDev stay float32 (stash_type) */
  expect_f(&out[1], INGOT_DT_FLOAT, 2, D(1, 1), DV(3), 0, 0);
  expect_f(&out[2], INGOT_DT_FLOAT, 2, D(1, 1), DV(0.534522484), 1e-7, 0);
  release_all(out, 3);
  ingot_graph_free(g);
}

/* ---- several ops in one graph ------------------------------------------------------------ */

/* torch's decomposed GELU(tanh) and SiLU on a token tensor, with the int64
 * shape arithmetic torch emits for chunk(): Div truncates. */
static void test_small_model_fragment(void **state) {
  (void)state;
  ingot_graph_t *g = new_graph();
  int32_t x = input(g, "x", INGOT_DT_FLOAT, 2, D(1, 4));
  static const float c05 = 0.5f, c1 = 1.0f, k = 0.79788456f, c044 = 0.044715f;
  int32_t h = init(g, "half", INGOT_DT_FLOAT, 0, D(0), &c05);
  int32_t one = init(g, "one", INGOT_DT_FLOAT, 0, D(0), &c1);
  int32_t kk = init(g, "k", INGOT_DT_FLOAT, 0, D(0), &k);
  int32_t cc = init(g, "c", INGOT_DT_FLOAT, 0, D(0), &c044);
  int32_t x2 = anyval(g, "x2"), x3 = anyval(g, "x3"), t1 = anyval(g, "t1"), t2 = anyval(g, "t2");
  int32_t t3 = anyval(g, "t3"), t4 = anyval(g, "t4"), t5 = anyval(g, "t5"), hx = anyval(g, "hx");
  int32_t gelu = anyval(g, "gelu"), sg = anyval(g, "sg"), silu = anyval(g, "silu");
  NODE(g, INGOT_OP_MUL, "m1", L(x, x), L(x2));
  NODE(g, INGOT_OP_MUL, "m2", L(x2, x), L(x3));
  NODE(g, INGOT_OP_MUL, "m3", L(x3, cc), L(t1));
  NODE(g, INGOT_OP_ADD, "a1", L(x, t1), L(t2));
  NODE(g, INGOT_OP_MUL, "m4", L(t2, kk), L(t3));
  NODE(g, INGOT_OP_TANH, "th", L(t3), L(t4));
  NODE(g, INGOT_OP_ADD, "a2", L(one, t4), L(t5));
  NODE(g, INGOT_OP_MUL, "m5", L(x, h), L(hx));
  NODE(g, INGOT_OP_MUL, "m6", L(hx, t5), L(gelu));
  NODE(g, INGOT_OP_SIGMOID, "sig", L(x), L(sg));
  NODE(g, INGOT_OP_MUL, "m7", L(x, sg), L(silu));
  static const int64_t dim = 6 * 64, six = 6;
  int32_t d = init(g, "dim", INGOT_DT_INT64, 0, D(0), &dim);
  int32_t s = init(g, "six", INGOT_DT_INT64, 0, D(0), &six);
  int32_t chunk = anyval(g, "chunk");
  NODE(g, INGOT_OP_DIV, "div", L(d, s), L(chunk));
  ok_or_fail(ingot_graph_add_output(g, gelu));
  ok_or_fail(ingot_graph_add_output(g, silu));
  ok_or_fail(ingot_graph_add_output(g, chunk));
  ingot_tensor_t in = TT(INGOT_DT_FLOAT, 2, D(1, 4), FV(-3.5f, -0.5f, 1, 3));
  ingot_tensor_t out[3];
  ok_or_fail(ingot_interp_run(g, &CHECK, &in, out));
  /* torch gelu(approximate='tanh') and silu in float64 */
  expect_f(&out[0], INGOT_DT_FLOAT, 2, D(1, 4), DV(-0.000616197655, -0.15428599, 0.841191991, 2.99636261), 1e-6,
           1e-6);
  expect_f(&out[1], INGOT_DT_FLOAT, 2, D(1, 4), DV(-0.102592808, -0.188770334, 0.731058579, 2.85772238), 1e-6, 1e-6);
  expect_i(&out[2], INGOT_DT_INT64, 0, D(0), IV(64));
  release_all(out, 3);
  ingot_graph_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_frees_intermediates),
      cmocka_unit_test(test_outputs_that_are_inputs_or_initializers),
      cmocka_unit_test(test_multi_output_and_nop),
      cmocka_unit_test(test_input_dtype_and_shape_errors),
      cmocka_unit_test(test_symbolic_dims_bind_consistently),
      cmocka_unit_test(test_broadcast_error_names_node_and_cleans_up),
      cmocka_unit_test(test_check_types),
      cmocka_unit_test(test_unsupported_ops),
      cmocka_unit_test(test_node_order_error),
      cmocka_unit_test(test_half_inputs_are_widened),
      cmocka_unit_test(test_bfloat16_and_layer_norm_stash),
      cmocka_unit_test(test_small_model_fragment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
