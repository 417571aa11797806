/* Shape and dtype inference (ir/infer.h): one test per rule, the error
 * cases, hostile graphs, and the bundled models end to end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_import.h"
#include "ir/infer.h"
#include "ir/verify.h"
#include "unit/graph_build.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static void infer_ok(ingot_graph_t *g) {
  ingot_status_t st = ingot_infer_shapes(g);
  if (st) {
    fprintf(stderr, "unexpected error: %s\n", ingot_status_message(st));
    ingot_status_free(st);
    fail();
  }
}

/* Inference fails with code and a message containing each of the fragments. */
static void infer_fails(ingot_graph_t *g, ingot_code_t code, const char *frag1, const char *frag2) {
  ingot_status_t st = ingot_infer_shapes(g);
  assert_non_null(st);
  const char *msg = ingot_status_message(st);
  if (ingot_status_code(st) != code || !strstr(msg, frag1) || (frag2 && !strstr(msg, frag2))) {
    fprintf(stderr, "message: %s (code %d, wanted %d with '%s' and '%s')\n", msg, ingot_status_code(st), code, frag1,
            frag2 ? frag2 : "");
    ingot_status_free(st);
    fail();
  }
  ingot_status_free(st);
}

static void expect(ingot_graph_t *g, const char *name, int dtype, const char *shape) {
  char buf[128];
  assert_string_equal(gb_shape(g, name, buf), shape);
  if (dtype >= 0) assert_int_equal(gb_type(g, name)->dtype, dtype);
}

/* Axis i of name is an anonymous (fresh) symbol. */
static void expect_anon(ingot_graph_t *g, const char *name, int i) {
  const ingot_type_t *t = gb_type(g, name);
  assert_true(i < t->rank);
  assert_true(t->dims[i].sym != 0);
  assert_int_equal(ingot_graph_sym_name(g, t->dims[i].sym)[0], '?');
}

/* Known contents of a shape tensor, as text. */
static void expect_vals(ingot_graph_t *g, const char *name, const char *text) {
  int32_t v = ingot_graph_find(g, name);
  assert_true(v >= 0);
  const ingot_value_t *val = &g->values[v];
  assert_non_null(val->symval);
  ingot_type_t t;
  memset(&t, 0, sizeof t);
  t.rank = val->nsymval;
  for (int i = 0; i < val->nsymval && i < INGOT_MAX_RANK; i++) t.dims[i] = val->symval[i];
  char buf[128];
  assert_string_equal(ingot_type_str(g, &t, buf, sizeof buf), text);
}

#define F INGOT_DT_FLOAT
#define I64 INGOT_DT_INT64
#define BOOL INGOT_DT_BOOL

/* ---- elementwise ------------------------------------------------------------------------------ */

static void test_broadcast(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "2,3,4");
  gb_input(g, "b", F, "3,1");
  gb_input(g, "c", F, "batch,1");
  gb_input(g, "d", F, "1,5");
  gb_input(g, "e", F, "batch,5");
  gb_input(g, "s", F, "");
  gb_node(g, INGOT_OP_ADD, "add1", "a,b", "y1");
  gb_node(g, INGOT_OP_MUL, "mul", "c,d", "y2");
  gb_node(g, INGOT_OP_SUB, "sub", "c,e", "y3");
  gb_node(g, INGOT_OP_DIV, "div", "s,a", "y4");
  gb_node(g, INGOT_OP_MAX, "max", "b,d,s", "y5");
  gb_node(g, INGOT_OP_POW, "pow", "a,s", "y6");
  infer_ok(g);
  expect(g, "y1", F, "[2,3,4]");
  expect(g, "y2", F, "[batch,5]");
  expect(g, "y3", F, "[batch,5]");
  expect(g, "y4", F, "[2,3,4]");
  expect(g, "y5", F, "[3,5]");
  expect(g, "y6", F, "[2,3,4]");
  gb_free(g);
}

static void test_broadcast_symbols(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "n,3");
  gb_input(g, "b", F, "m,3");
  gb_input(g, "c", F, "n,1");
  gb_node(g, INGOT_OP_ADD, "ab", "a,b", "y1");
  gb_node(g, INGOT_OP_ADD, "ac", "a,c", "y2");
  infer_ok(g);
  expect_anon(g, "y1", 0); /* n vs m: equal or one is 1, unknowable */
  expect(g, "y2", F, "[n,3]");
  gb_free(g);
}

static void test_broadcast_error(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "4");
  gb_node(g, INGOT_OP_ADD, "bad_add", "a,b", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'bad_add'", "Add cannot broadcast [2,3] with [4]");
  gb_free(g);
}

static void test_elementwise_dtypes(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "3");
  gb_input(g, "c", BOOL, "2,1");
  gb_node(g, INGOT_OP_LESS, "lt", "a,b", "y1");
  gb_node(g, INGOT_OP_WHERE, "w", "c,a,b", "y2");
  gb_node(g, INGOT_OP_AND, "and", "c,y1", "y3");
  gb_node(g, INGOT_OP_ISNAN, "nan", "a", "y4");
  gb_node(g, INGOT_OP_NOT, "not", "c", "y5");
  gb_node(g, INGOT_OP_GELU, "gelu", "a", "y6");
  infer_ok(g);
  expect(g, "y1", BOOL, "[2,3]");
  expect(g, "y2", F, "[2,3]");
  expect(g, "y3", BOOL, "[2,3]");
  expect(g, "y4", BOOL, "[2,3]");
  expect(g, "y5", BOOL, "[2,1]");
  expect(g, "y6", F, "[2,3]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2");
  gb_input(g, "b", I64, "2");
  gb_node(g, INGOT_OP_ADD, "mixed", "a,b", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'mixed'", "dtypes differ: float32 (input 0) vs int64 (input 1)");
  gb_free(g);

  g = gb_new();
  gb_input(g, "i", I64, "2");
  gb_node(g, INGOT_OP_SIGMOID, "sig", "i", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sig'", "Sigmoid input must have a float dtype, not int64");
  gb_free(g);

  g = gb_new();
  gb_input(g, "c", F, "2");
  gb_input(g, "a", F, "2");
  gb_node(g, INGOT_OP_WHERE, "w", "c,a,a", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'w'", "condition' must be bool, not float32");
  gb_free(g);
}

static void test_cast_clip_dropout(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,3");
  gb_init_f32(g, "lo", "", (float[]){0.f});
  gb_input(g, "bad", F, "3");
  int32_t n = gb_node(g, INGOT_OP_CAST, "cast", "x", "y1");
  gb_attr_i(g, n, "to", I64);
  gb_node(g, INGOT_OP_CLIP, "clip", "x,lo,", "y2");
  gb_node(g, INGOT_OP_DROPOUT, "drop", "x", "y3,mask");
  gb_node(g, INGOT_OP_CAST_LIKE, "castlike", "x,y1", "y4");
  infer_ok(g);
  expect(g, "y1", I64, "[2,3]");
  expect(g, "y2", F, "[2,3]");
  expect(g, "y3", F, "[2,3]");
  expect(g, "mask", BOOL, "[2,3]");
  expect(g, "y4", I64, "[2,3]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  n = gb_node(g, INGOT_OP_CAST, "cast", "x", "y");
  gb_attr_i(g, n, "to", 99);
  infer_fails(g, INGOT_CODE_INPUT, "node 'cast'", "'to' is 99");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  n = gb_node(g, INGOT_OP_CAST, "cast", "x", "y");
  gb_attr_i(g, n, "to", INGOT_DT_STRING);
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'cast'", "Cast to string is not supported");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  gb_input(g, "bad", F, "3");
  gb_node(g, INGOT_OP_CLIP, "clip", "x,bad", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'clip'", "Clip min must be a scalar, got [3]");
  gb_free(g);
}

/* ---- normalisation ------------------------------------------------------------------------------ */

static void test_softmax_layernorm(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,3,8");
  gb_input(g, "w", F, "8");
  gb_input(g, "b", F, "8");
  int32_t n = gb_node(g, INGOT_OP_SOFTMAX, "sm", "x", "y1");
  gb_attr_i(g, n, "axis", -2);
  n = gb_node(g, INGOT_OP_LAYER_NORM, "ln", "x,w,b", "y2,mean,istd");
  gb_attr_i(g, n, "axis", -1);
  n = gb_node(g, INGOT_OP_LAYER_NORM, "ln2", "x,w", "y3,mean2");
  gb_attr_i(g, n, "axis", 1);
  infer_ok(g);
  expect(g, "y1", F, "[2,3,8]");
  expect(g, "y2", F, "[2,3,8]");
  expect(g, "mean", F, "[2,3,1]");
  expect(g, "istd", F, "[2,3,1]");
  expect(g, "mean2", F, "[2,1,1]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  n = gb_node(g, INGOT_OP_SOFTMAX, "sm", "x", "y");
  gb_attr_i(g, n, "axis", 2);
  infer_fails(g, INGOT_CODE_INPUT, "node 'sm'", "axis 2 is out of range for rank 2");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,8");
  gb_input(g, "w", F, "7");
  gb_node(g, INGOT_OP_LAYER_NORM, "ln", "x,w", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'ln'", "Scale [7] does not broadcast to [8]");
  gb_free(g);
}

static void test_group_instance_batch_norm(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,32,8,8");
  gb_input(g, "g8", F, "8");
  gb_input(g, "c32", F, "32");
  int32_t n = gb_node(g, INGOT_OP_GROUP_NORM, "gn", "x,g8,g8", "y1");
  gb_attr_i(g, n, "num_groups", 8);
  gb_node(g, INGOT_OP_INSTANCE_NORM, "in", "x,c32,c32", "y2");
  gb_node(g, INGOT_OP_BATCH_NORM, "bn", "x,c32,c32,c32,c32", "y3");
  infer_ok(g);
  expect(g, "y1", F, "[2,32,8,8]");
  expect(g, "y2", F, "[2,32,8,8]");
  expect(g, "y3", F, "[2,32,8,8]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,30,8");
  gb_input(g, "g8", F, "8");
  n = gb_node(g, INGOT_OP_GROUP_NORM, "gn", "x,g8,g8", "y");
  gb_attr_i(g, n, "num_groups", 8);
  infer_fails(g, INGOT_CODE_INPUT, "node 'gn'", "30 channels do not split into 8 groups");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,30,8");
  gb_input(g, "g8", F, "8");
  gb_node(g, INGOT_OP_GROUP_NORM, "gn", "x,g8,g8", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'gn'", "required attribute 'num_groups' is missing");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,32,8");
  gb_input(g, "c", F, "16");
  gb_node(g, INGOT_OP_INSTANCE_NORM, "in", "x,c,c", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'in'", "scale has 16 entries, expected 32");
  gb_free(g);
}

/* ---- linear algebra ------------------------------------------------------------------------------- */

static void test_matmul(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "3,4");
  gb_input(g, "v", F, "3");
  gb_input(g, "bt", F, "2,3,4");
  gb_input(g, "p", F, "2,1,3,4");
  gb_input(g, "q", F, "5,4,6");
  gb_input(g, "x", F, "batch,7,3");
  gb_node(g, INGOT_OP_MATMUL, "m1", "a,b", "y1");
  gb_node(g, INGOT_OP_MATMUL, "m2", "v,v", "y2");
  gb_node(g, INGOT_OP_MATMUL, "m3", "v,bt", "y3");
  gb_node(g, INGOT_OP_MATMUL, "m4", "p,q", "y4");
  gb_node(g, INGOT_OP_MATMUL, "m5", "x,b", "y5");
  gb_node(g, INGOT_OP_MATMUL, "m6", "a,v", "y6");
  infer_ok(g);
  expect(g, "y1", F, "[2,4]");
  expect(g, "y2", F, "[]");
  expect(g, "y3", F, "[2,4]");
  expect(g, "y4", F, "[2,5,3,6]");
  expect(g, "y5", F, "[batch,7,4]");
  expect(g, "y6", F, "[2]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "4,5");
  gb_node(g, INGOT_OP_MATMUL, "mm", "a,b", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'mm'", "MatMul inner dims differ: [2,3] x [4,5]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "");
  gb_input(g, "b", F, "4,5");
  gb_node(g, INGOT_OP_MATMUL, "mm", "a,b", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'mm'", "rank >= 1");
  gb_free(g);
}

static void test_gemm(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "3,2");
  gb_input(g, "b", F, "5,3");
  gb_input(g, "c", F, "5");
  int32_t n = gb_node(g, INGOT_OP_GEMM, "gemm", "a,b,c", "y");
  gb_attr_i(g, n, "transA", 1);
  gb_attr_i(g, n, "transB", 1);
  infer_ok(g);
  expect(g, "y", F, "[2,5]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "3,2");
  gb_input(g, "b", F, "5,3");
  gb_node(g, INGOT_OP_GEMM, "gemm", "a,b", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'gemm'", "Gemm inner dims differ: A [3,2] (transA=0) x B [5,3] (transB=0)");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "3,5");
  gb_input(g, "c", F, "4");
  gb_node(g, INGOT_OP_GEMM, "gemm", "a,b,c", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'gemm'", "C [4] does not broadcast to [2,5]");
  gb_free(g);
}

/* ---- convolution -------------------------------------------------------------------------------- */

static void test_conv(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "1,3,32,32");
  gb_input(g, "x33", F, "1,3,33,33");
  gb_input(g, "xs", F, "batch,3,h,w");
  gb_input(g, "w", F, "8,3,3,3");
  gb_input(g, "wg", F, "6,1,3,3");
  gb_input(g, "b", F, "8");
  int32_t n = gb_node(g, INGOT_OP_CONV, "c1", "x,w,b", "y1");
  gb_attr_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
  gb_attr_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
  n = gb_node(g, INGOT_OP_CONV, "c2", "x,w", "y2");
  gb_attr_ints(g, n, "dilations", (int64_t[]){2, 2}, 2);
  n = gb_node(g, INGOT_OP_CONV, "c3", "x33,w", "y3");
  gb_attr_s(g, n, "auto_pad", "SAME_UPPER");
  gb_attr_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
  n = gb_node(g, INGOT_OP_CONV, "c4", "x33,w", "y4");
  gb_attr_s(g, n, "auto_pad", "VALID");
  gb_attr_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
  n = gb_node(g, INGOT_OP_CONV, "c5", "xs,w", "y5");
  gb_attr_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
  gb_attr_ints(g, n, "kernel_shape", (int64_t[]){3, 3}, 2);
  n = gb_node(g, INGOT_OP_CONV, "c6", "x,wg", "y6");
  gb_attr_i(g, n, "group", 3);
  infer_ok(g);
  expect(g, "y1", F, "[1,8,16,16]");
  expect(g, "y2", F, "[1,8,28,28]");
  expect(g, "y3", F, "[1,8,17,17]");
  expect(g, "y4", F, "[1,8,16,16]");
  expect(g, "y5", F, "[batch,8,h,w]"); /* stride 1, same padding: sizes survive */
  expect(g, "y6", F, "[1,6,30,30]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,4,8,8");
  gb_input(g, "w", F, "8,3,3,3");
  gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'conv'", "has 4 channels but weight [8,3,3,3] with group 1 expects 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,3,2,2");
  gb_input(g, "w", F, "8,3,3,3");
  gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'conv'", "smaller than the dilated kernel 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,3,8,8");
  gb_input(g, "w", F, "8,3,3,3");
  n = gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  gb_attr_ints(g, n, "strides", (int64_t[]){1, 0}, 2);
  infer_fails(g, INGOT_CODE_INPUT, "node 'conv'", "'strides' entry 1 is 0");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,3,8,8");
  gb_input(g, "w", F, "8,3,3,3");
  n = gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  gb_attr_s(g, n, "auto_pad", "SAME");
  infer_fails(g, INGOT_CODE_INPUT, "node 'conv'", "'auto_pad' is 'SAME'");
  gb_free(g);
}

static void test_conv_transpose(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "1,8,16,16");
  gb_input(g, "w", F, "8,4,4,4");
  gb_input(g, "w3", F, "8,2,3,3");
  int32_t n = gb_node(g, INGOT_OP_CONV_TRANSPOSE, "ct1", "x,w", "y1");
  gb_attr_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
  gb_attr_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
  n = gb_node(g, INGOT_OP_CONV_TRANSPOSE, "ct2", "x,w3", "y2");
  gb_attr_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
  gb_attr_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
  gb_attr_ints(g, n, "output_padding", (int64_t[]){1, 1}, 2);
  gb_attr_i(g, n, "group", 2);
  n = gb_node(g, INGOT_OP_CONV_TRANSPOSE, "ct3", "x,w", "y3");
  gb_attr_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
  gb_attr_ints(g, n, "output_shape", (int64_t[]){33, 34}, 2);
  n = gb_node(g, INGOT_OP_CONV_TRANSPOSE, "ct4", "x,w", "y4");
  gb_attr_ints(g, n, "strides", (int64_t[]){3, 3}, 2);
  gb_attr_s(g, n, "auto_pad", "SAME_LOWER");
  infer_ok(g);
  expect(g, "y1", F, "[1,4,32,32]");
  expect(g, "y2", F, "[1,4,32,32]");
  expect(g, "y3", F, "[1,4,33,34]");
  expect(g, "y4", F, "[1,4,48,48]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,8,16,16");
  gb_input(g, "w", F, "8,4,4,4");
  n = gb_node(g, INGOT_OP_CONV_TRANSPOSE, "ct", "x,w", "y");
  gb_attr_ints(g, n, "output_padding", (int64_t[]){1, 1}, 2);
  infer_fails(g, INGOT_CODE_INPUT, "node 'ct'", "output_padding[0] = 1 must be smaller");
  gb_free(g);
}

/* ---- Einsum ------------------------------------------------------------------------------------- */

static void einsum_case(const char *eq, const char *shapes[], int n, const char *want) {
  ingot_graph_t *g = gb_new();
  char names[64] = "";
  for (int i = 0; i < n; i++) {
    char nm[8];
    snprintf(nm, sizeof nm, "i%d", i);
    gb_input(g, nm, F, shapes[i]);
    strcat(names, i ? "," : "");
    strcat(names, nm);
  }
  int32_t node = gb_node(g, INGOT_OP_EINSUM, "es", names, "y");
  gb_attr_s(g, node, "equation", eq);
  infer_ok(g);
  expect(g, "y", F, want);
  gb_free(g);
}

static void test_einsum(void **state) {
  (void)state;
  einsum_case("nhwpqc->nchpwq", (const char *[]){"2,8,8,2,2,8"}, 1, "[2,8,8,2,8,2]");
  einsum_case("ij,jk->ik", (const char *[]){"2,3", "3,4"}, 2, "[2,4]");
  einsum_case("ij,jk", (const char *[]){"2,3", "3,4"}, 2, "[2,4]");
  einsum_case("ba", (const char *[]){"2,3"}, 1, "[3,2]");
  einsum_case("...ij->...ji", (const char *[]){"5,6,2,3"}, 1, "[5,6,3,2]");
  einsum_case("...ij,...jk->...ik", (const char *[]){"5,1,2,3", "4,3,7"}, 2, "[5,4,2,7]");
  einsum_case("ii->i", (const char *[]){"4,4"}, 1, "[4]");
  einsum_case("i j , j k -> i k", (const char *[]){"2,3", "3,4"}, 2, "[2,4]");
  einsum_case("bij,bjk->", (const char *[]){"2,3,4", "2,4,5"}, 2, "[]");

  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "4,5");
  int32_t n = gb_node(g, INGOT_OP_EINSUM, "es", "a,b", "y");
  gb_attr_s(g, n, "equation", "ij,jk->ik");
  infer_fails(g, INGOT_CODE_INPUT, "node 'es'", "label 'j' has size 3 and 4");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3,4");
  n = gb_node(g, INGOT_OP_EINSUM, "es", "a", "y");
  gb_attr_s(g, n, "equation", "ij->ji");
  infer_fails(g, INGOT_CODE_INPUT, "node 'es'", "has 2 labels but input 0 has rank 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  n = gb_node(g, INGOT_OP_EINSUM, "es", "a", "y");
  gb_attr_s(g, n, "equation", "i1->i");
  infer_fails(g, INGOT_CODE_INPUT, "node 'es'", "invalid character '1'");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  n = gb_node(g, INGOT_OP_EINSUM, "es", "a", "y");
  gb_attr_s(g, n, "equation", "ij,jk->ik");
  infer_fails(g, INGOT_CODE_INPUT, "node 'es'", "more terms than the 1 inputs");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  n = gb_node(g, INGOT_OP_EINSUM, "es", "a", "y");
  gb_attr_s(g, n, "equation", "ij->iz");
  infer_fails(g, INGOT_CODE_INPUT, "node 'es'", "output label 'z' does not appear");
  gb_free(g);
}

/* ---- reductions --------------------------------------------------------------------------------- */

static void test_reduce(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  g->opset = 18;
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "ax", "2", (int64_t[]){0, -1});
  gb_init_i64(g, "none", "0", NULL);
  int32_t n = gb_node(g, INGOT_OP_REDUCE_MEAN, "rm", "x", "y1");
  gb_attr_ints(g, n, "axes", (int64_t[]){-1}, 1);
  n = gb_node(g, INGOT_OP_REDUCE_SUM, "rs", "x,ax", "y2");
  gb_attr_i(g, n, "keepdims", 0);
  gb_node(g, INGOT_OP_REDUCE_MAX, "rmax", "x", "y3");
  n = gb_node(g, INGOT_OP_REDUCE_L2, "rl2", "x,none", "y4");
  gb_attr_i(g, n, "noop_with_empty_axes", 1);
  n = gb_node(g, INGOT_OP_ARGMAX, "am", "x", "y5");
  gb_attr_i(g, n, "axis", 1);
  gb_attr_i(g, n, "keepdims", 0);
  gb_init_i64(g, "one", "", (int64_t[]){1});
  gb_node(g, INGOT_OP_CUMSUM, "cs", "x,one", "y6");
  infer_ok(g);
  expect(g, "y1", F, "[2,3,1]");
  expect(g, "y2", F, "[3]");
  expect(g, "y3", F, "[1,1,1]");
  expect(g, "y4", F, "[2,3,4]");
  expect(g, "y5", I64, "[2,4]");
  expect(g, "y6", F, "[2,3,4]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  n = gb_node(g, INGOT_OP_REDUCE_MEAN, "rm", "x", "y");
  gb_attr_ints(g, n, "axes", (int64_t[]){1, -2}, 2);
  infer_fails(g, INGOT_CODE_INPUT, "node 'rm'", "axis -2 is given twice");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  n = gb_node(g, INGOT_OP_REDUCE_MEAN, "rm", "x", "y");
  gb_attr_ints(g, n, "axes", (int64_t[]){3}, 1);
  infer_fails(g, INGOT_CODE_INPUT, "node 'rm'", "axis 3 is out of range for rank 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "ax", "1", (int64_t[]){0});
  n = gb_node(g, INGOT_OP_REDUCE_SUM, "rs", "x,ax", "y");
  gb_attr_ints(g, n, "axes", (int64_t[]){1}, 1);
  infer_fails(g, INGOT_CODE_INPUT, "node 'rs'", "both as an attribute and as an input");
  gb_free(g);
}

/* ---- Reshape and friends -------------------------------------------------------------------------- */

static void test_reshape(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_input(g, "d", F, "batch,64,8,8");
  gb_input(g, "z", F, "0,3");
  gb_init_i64(g, "s1", "3", (int64_t[]){0, -1, 2});
  gb_init_i64(g, "s2", "1", (int64_t[]){-1});
  gb_init_i64(g, "s3", "3", (int64_t[]){0, 64, -1});
  gb_init_i64(g, "s4", "2", (int64_t[]){3, 0});
  gb_init_i64(g, "s5", "2", (int64_t[]){-1, 4096});
  gb_node(g, INGOT_OP_RESHAPE, "r1", "x,s1", "y1");
  gb_node(g, INGOT_OP_RESHAPE, "r2", "x,s2", "y2");
  gb_node(g, INGOT_OP_RESHAPE, "r3", "d,s3", "y3");
  int32_t n = gb_node(g, INGOT_OP_RESHAPE, "r4", "z,s4", "y4");
  gb_attr_i(g, n, "allowzero", 1);
  gb_node(g, INGOT_OP_RESHAPE, "r5", "d,s5", "y5");
  infer_ok(g);
  expect(g, "y1", F, "[2,6,2]");
  expect(g, "y2", F, "[24]");
  expect(g, "y3", F, "[batch,64,64]");
  expect(g, "y4", F, "[3,0]");
  expect(g, "y5", F, "[batch,4096]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "s", "2", (int64_t[]){5, -1});
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rs'", "Reshape cannot reshape 24 elements [2,3,4] into [5,-1]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "s", "2", (int64_t[]){5, 4});
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rs'", "cannot reshape 24 elements [2,3,4] into [5,4]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "s", "2", (int64_t[]){-1, -1});
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rs'", "more than one -1");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init(g, "s", F, "2", (float[]){2.f, 12.f});
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rs'", "'shape' must be int64, not float32");
  gb_free(g);

  /* an unknown shape of known length: rank known, dims fresh */
  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_input(g, "s", I64, "2");
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  infer_ok(g);
  expect_anon(g, "y", 0);
  expect_anon(g, "y", 1);
  gb_free(g);
}

static void test_transpose_flatten(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,batch,4");
  gb_node(g, INGOT_OP_TRANSPOSE, "t1", "x", "y1");
  int32_t n = gb_node(g, INGOT_OP_TRANSPOSE, "t2", "x", "y2");
  gb_attr_ints(g, n, "perm", (int64_t[]){1, 2, 0}, 3);
  gb_node(g, INGOT_OP_FLATTEN, "f1", "x", "y3");
  n = gb_node(g, INGOT_OP_FLATTEN, "f2", "x", "y4");
  gb_attr_i(g, n, "axis", 0);
  n = gb_node(g, INGOT_OP_FLATTEN, "f3", "x", "y5");
  gb_attr_i(g, n, "axis", -1);
  infer_ok(g);
  expect(g, "y1", F, "[4,batch,2]");
  expect(g, "y2", F, "[batch,4,2]");
  expect(g, "y3", F, "[2,batch*4]");
  expect(g, "y4", F, "[1,batch*8]");
  expect(g, "y5", F, "[batch*2,4]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  n = gb_node(g, INGOT_OP_TRANSPOSE, "tp", "x", "y");
  gb_attr_ints(g, n, "perm", (int64_t[]){0, 0}, 2);
  infer_fails(g, INGOT_CODE_INPUT, "node 'tp'", "not a permutation");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  n = gb_node(g, INGOT_OP_TRANSPOSE, "tp", "x", "y");
  int64_t many[100] = {0};
  gb_attr_ints(g, n, "perm", many, 100);
  infer_fails(g, INGOT_CODE_INPUT, "node 'tp'", "perm has 100 entries");
  gb_free(g);
}

static void test_concat_split(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "2,5");
  gb_input(g, "s", F, "batch,3");
  gb_input(g, "x", F, "6,10");
  gb_init_i64(g, "sizes", "3", (int64_t[]){1, 2, 3});
  int32_t n = gb_node(g, INGOT_OP_CONCAT, "c1", "a,b,a", "y1");
  gb_attr_i(g, n, "axis", -1);
  n = gb_node(g, INGOT_OP_CONCAT, "c2", "s,s", "y2");
  gb_attr_i(g, n, "axis", 0);
  n = gb_node(g, INGOT_OP_CONCAT, "c3", "a,s", "y3");
  gb_attr_i(g, n, "axis", 0);
  gb_node(g, INGOT_OP_SPLIT, "sp1", "x,sizes", "p0,p1,p2");
  n = gb_node(g, INGOT_OP_SPLIT, "sp2", "x", "q0,q1,q2,q3");
  gb_attr_i(g, n, "axis", 1);
  gb_attr_i(g, n, "num_outputs", 4);
  n = gb_node(g, INGOT_OP_SPLIT, "sp3", "x", "r0,r1");
  gb_attr_i(g, n, "axis", -1);
  gb_node(g, INGOT_OP_SPLIT, "sp4", "s", "t0,t1");
  infer_ok(g);
  expect(g, "y1", F, "[2,11]");
  expect(g, "y2", F, "[(batch+batch),3]");
  expect(g, "y3", F, "[(batch+2),3]");
  expect(g, "p0", F, "[1,10]");
  expect(g, "p2", F, "[3,10]");
  expect(g, "q0", F, "[6,3]");
  expect(g, "q3", F, "[6,1]");
  expect(g, "r1", F, "[6,5]");
  expect(g, "t0", F, "[(batch/2),3]");
  expect(g, "t1", F, "[(batch/2),3]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "2");
  n = gb_node(g, INGOT_OP_CONCAT, "cat", "a,b", "y");
  gb_attr_i(g, n, "axis", 0);
  infer_fails(g, INGOT_CODE_INPUT, "node 'cat'", "Concat inputs differ in rank: [2,3] (input 0) vs [2] (input 1)");
  gb_free(g);

  g = gb_new();
  gb_input(g, "a", F, "2,3");
  gb_input(g, "b", F, "2,4");
  n = gb_node(g, INGOT_OP_CONCAT, "cat", "a,b", "y");
  gb_attr_i(g, n, "axis", 0);
  infer_fails(g, INGOT_CODE_INPUT, "node 'cat'", "Concat inputs differ on axis 1");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "6,10");
  gb_init_i64(g, "sizes", "2", (int64_t[]){1, 2});
  gb_node(g, INGOT_OP_SPLIT, "sp", "x,sizes", "a,b");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sp'", "Split sizes sum to 3 but axis 0 of [6,10] has size 6");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "7,10");
  gb_node(g, INGOT_OP_SPLIT, "sp", "x", "a,b");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sp'", "into 2 equal parts");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "6,10");
  n = gb_node(g, INGOT_OP_SPLIT, "sp", "x", "a,b");
  gb_attr_i(g, n, "num_outputs", 3);
  infer_fails(g, INGOT_CODE_INPUT, "node 'sp'", "num_outputs is 3 but the node has 2 outputs");
  gb_free(g);
}

static void test_slice(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "10,20,30");
  gb_input(g, "s", F, "batch,8");
  gb_init_i64(g, "st1", "2", (int64_t[]){1, -5});
  gb_init_i64(g, "en1", "2", (int64_t[]){INT64_MAX, -1});
  gb_init_i64(g, "ax1", "2", (int64_t[]){0, -1});
  gb_init_i64(g, "sp1", "2", (int64_t[]){3, 1});
  gb_init_i64(g, "st2", "1", (int64_t[]){-1});
  gb_init_i64(g, "en2", "1", (int64_t[]){INT64_MIN});
  gb_init_i64(g, "ax2", "1", (int64_t[]){1});
  gb_init_i64(g, "sp2", "1", (int64_t[]){-1});
  gb_init_i64(g, "st3", "1", (int64_t[]){100});
  gb_init_i64(g, "en3", "1", (int64_t[]){200});
  gb_init_i64(g, "st4", "1", (int64_t[]){0});
  gb_init_i64(g, "en4", "1", (int64_t[]){INT64_MAX});
  gb_init_i64(g, "ax0", "1", (int64_t[]){0});
  gb_init_i64(g, "sp3", "1", (int64_t[]){-3});
  gb_node(g, INGOT_OP_SLICE, "s1", "x,st1,en1,ax1,sp1", "y1");
  gb_node(g, INGOT_OP_SLICE, "s2", "x,st2,en2,ax2,sp2", "y2");
  gb_node(g, INGOT_OP_SLICE, "s3", "x,st3,en3", "y3");
  gb_node(g, INGOT_OP_SLICE, "s4", "s,st4,en4,ax0", "y4");
  gb_init_i64(g, "en5", "1", (int64_t[]){1});
  gb_node(g, INGOT_OP_SLICE, "s5", "s,st4,en5,ax0", "y5");
  gb_node(g, INGOT_OP_SLICE, "s6", "x,en4,st4,ax2,sp3", "y6");
  infer_ok(g);
  expect(g, "y1", F, "[3,20,4]");
  expect(g, "y2", F, "[10,20,30]");
  expect(g, "y3", F, "[0,20,30]");
  expect(g, "y4", F, "[batch,8]");
  expect_anon(g, "y5", 0);
  expect(g, "y6", F, "[10,7,30]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "10");
  gb_init_i64(g, "a", "1", (int64_t[]){0});
  gb_node(g, INGOT_OP_SLICE, "sl", "x,a,a,a,a", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sl'", "step for axis 0 is 0");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "10");
  gb_init_i64(g, "a", "1", (int64_t[]){0});
  gb_init_i64(g, "b", "2", (int64_t[]){0, 1});
  gb_node(g, INGOT_OP_SLICE, "sl", "x,a,b", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sl'", "1 starts but 2 ends");
  gb_free(g);
}

static void test_gather(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "emb", F, "11,64");
  gb_input(g, "y", I64, "batch");
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "i0", "", (int64_t[]){-1});
  gb_init_i64(g, "i2", "2,2", (int64_t[]){0, 1, 1, 0});
  gb_node(g, INGOT_OP_GATHER, "g1", "emb,y", "y1");
  int32_t n = gb_node(g, INGOT_OP_GATHER, "g2", "x,i0", "y2");
  gb_attr_i(g, n, "axis", -2);
  n = gb_node(g, INGOT_OP_GATHER, "g3", "x,i2", "y3");
  gb_attr_i(g, n, "axis", 2);
  gb_input(g, "idx", I64, "2,3,1");
  n = gb_node(g, INGOT_OP_GATHER_ELEMENTS, "ge", "x,idx", "y4");
  gb_attr_i(g, n, "axis", 2);
  gb_input(g, "ind", I64, "5,2");
  gb_input(g, "upd", F, "5,4");
  gb_node(g, INGOT_OP_SCATTER_ND, "sn", "x,ind,upd", "y5");
  infer_ok(g);
  expect(g, "y1", F, "[batch,64]");
  expect(g, "y2", F, "[2,4]");
  expect(g, "y3", F, "[2,3,2,2]");
  expect(g, "y4", F, "[2,3,1]");
  expect(g, "y5", F, "[2,3,4]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "i", "1", (int64_t[]){3});
  n = gb_node(g, INGOT_OP_GATHER, "gat", "x,i", "y");
  gb_attr_i(g, n, "axis", 1);
  infer_fails(g, INGOT_CODE_INPUT, "node 'gat'", "Gather index 3 is out of range for axis 1 of [2,3,4]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_init_i64(g, "i", "1", (int64_t[]){0});
  n = gb_node(g, INGOT_OP_GATHER, "gat", "x,i", "y");
  gb_attr_i(g, n, "axis", -4);
  infer_fails(g, INGOT_CODE_INPUT, "node 'gat'", "axis -4 is out of range for rank 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_input(g, "ind", I64, "5,4");
  gb_input(g, "upd", F, "5");
  gb_node(g, INGOT_OP_SCATTER_ND, "sn", "x,ind,upd", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sn'", "index 4 axes");
  gb_free(g);
}

static void test_squeeze_unsqueeze(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,1,3,1");
  gb_input(g, "t", F, "batch");
  gb_init_i64(g, "a1", "1", (int64_t[]){-1});
  gb_init_i64(g, "a2", "2", (int64_t[]){0, -1});
  gb_node(g, INGOT_OP_SQUEEZE, "sq1", "x,a1", "y1");
  gb_node(g, INGOT_OP_SQUEEZE, "sq2", "x", "y2");
  gb_node(g, INGOT_OP_UNSQUEEZE, "us1", "t,a2", "y3");
  gb_node(g, INGOT_OP_UNSQUEEZE, "us2", "x,a2", "y4");
  infer_ok(g);
  expect(g, "y1", F, "[2,1,3]");
  expect(g, "y2", F, "[2,3]");
  expect(g, "y3", F, "[1,batch,1]");
  expect(g, "y4", F, "[1,2,1,3,1,1]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,4");
  gb_init_i64(g, "a", "1", (int64_t[]){1});
  gb_node(g, INGOT_OP_SQUEEZE, "sq", "x,a", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'sq'", "Squeeze axis 1 of [2,4] has size 4, not 1");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,4");
  gb_init_i64(g, "a", "2", (int64_t[]){1, -3});
  gb_node(g, INGOT_OP_UNSQUEEZE, "us", "x,a", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'us'", "axis -3 is repeated");
  gb_free(g);

  /* no axes and a symbolic dim: the rank cannot be known */
  g = gb_new();
  gb_input(g, "x", F, "n,1");
  gb_node(g, INGOT_OP_SQUEEZE, "sq", "x", "y");
  infer_ok(g);
  expect(g, "y", F, "[?]");
  gb_free(g);
}

static void test_expand_tile_pad(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  g->opset = 18;
  gb_input(g, "x", F, "3,1");
  gb_input(g, "s", F, "batch,1,4");
  gb_init_i64(g, "e1", "3", (int64_t[]){2, 1, 6});
  gb_init_i64(g, "rep", "2", (int64_t[]){2, 3});
  gb_init_i64(g, "pads", "4", (int64_t[]){1, 2, 3, -1});
  gb_init_i64(g, "pads2", "2", (int64_t[]){1, 1});
  gb_init_i64(g, "ax", "1", (int64_t[]){-1});
  gb_node(g, INGOT_OP_EXPAND, "ex", "x,e1", "y1");
  gb_node(g, INGOT_OP_SHAPE, "sh", "s", "shp");
  gb_node(g, INGOT_OP_EXPAND, "ex2", "x,shp", "y2");
  gb_node(g, INGOT_OP_TILE, "tile", "x,rep", "y3");
  int32_t n = gb_node(g, INGOT_OP_PAD, "pad", "x,pads", "y4");
  gb_attr_s(g, n, "mode", "reflect");
  gb_node(g, INGOT_OP_PAD, "pad2", "s,pads2,,ax", "y5");
  infer_ok(g);
  expect(g, "y1", F, "[2,3,6]");
  expect(g, "y2", F, "[batch,3,4]");
  expect(g, "y3", F, "[6,3]");
  expect(g, "y4", F, "[7,2]");
  expect(g, "y5", F, "[batch,1,6]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "3,2");
  gb_init_i64(g, "e", "2", (int64_t[]){4, 2});
  gb_node(g, INGOT_OP_EXPAND, "ex", "x,e", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'ex'", "Expand cannot broadcast [3,2] with [4,2]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "3,2");
  gb_init_i64(g, "p", "4", (int64_t[]){0, -2, 0, -1});
  gb_node(g, INGOT_OP_PAD, "pad", "x,p", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'pad'", "crops axis 1 of size 2 by 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "3,2");
  gb_init_i64(g, "p", "2", (int64_t[]){1, 1});
  gb_node(g, INGOT_OP_PAD, "pad", "x,p", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'pad'", "2 pads for 2 axes (needs 4)");
  gb_free(g);
}

static void test_shape_size_range(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "batch,3,4");
  gb_init_i64(g, "zero", "", (int64_t[]){0});
  gb_init_i64(g, "one", "", (int64_t[]){1});
  gb_init_i64(g, "ten", "", (int64_t[]){10});
  gb_init_i64(g, "three", "", (int64_t[]){3});
  gb_init_f32(g, "fs", "", (float[]){0.5f});
  gb_init_f32(g, "fl", "", (float[]){3.0f});
  gb_init_f32(g, "fd", "", (float[]){0.75f});
  gb_node(g, INGOT_OP_SHAPE, "sh1", "x", "y1");
  int32_t n = gb_node(g, INGOT_OP_SHAPE, "sh2", "x", "y2");
  gb_attr_i(g, n, "start", -1);
  n = gb_node(g, INGOT_OP_SHAPE, "sh3", "x", "y3");
  gb_attr_i(g, n, "end", -1);
  n = gb_node(g, INGOT_OP_SHAPE, "sh4", "x", "y4");
  gb_attr_i(g, n, "start", -10);
  gb_attr_i(g, n, "end", 10);
  gb_node(g, INGOT_OP_SIZE, "size", "x", "y5");
  gb_node(g, INGOT_OP_RANGE, "r1", "one,ten,three", "y6");
  gb_node(g, INGOT_OP_RANGE, "r2", "fs,fl,fd", "y7");
  gb_node(g, INGOT_OP_RANGE, "r3", "ten,one,three", "y8");
  gb_node(g, INGOT_OP_GATHER, "gb", "y1,zero", "b");
  gb_node(g, INGOT_OP_RANGE, "r4", "zero,b,one", "y9");
  infer_ok(g);
  expect(g, "y1", I64, "[3]");
  expect_vals(g, "y1", "[batch,3,4]");
  expect_vals(g, "y2", "[4]");
  expect_vals(g, "y3", "[batch,3]");
  expect_vals(g, "y4", "[batch,3,4]");
  expect(g, "y5", I64, "[]");
  expect_vals(g, "y5", "[batch*12]");
  expect(g, "y6", I64, "[3]");
  expect_vals(g, "y6", "[1,4,7]");
  expect(g, "y7", F, "[4]");
  expect(g, "y8", I64, "[0]");
  expect(g, "y9", I64, "[batch]");
  gb_free(g);

  g = gb_new();
  gb_init_i64(g, "one", "", (int64_t[]){1});
  gb_init_i64(g, "zero", "", (int64_t[]){0});
  gb_node(g, INGOT_OP_RANGE, "rng", "one,one,zero", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rng'", "Range delta is 0");
  gb_free(g);

  g = gb_new();
  gb_init_f32(g, "a", "", (float[]){0.f});
  gb_init_f32(g, "b", "", (float[]){1e30f});
  gb_init_f32(g, "c", "", (float[]){1.f});
  gb_node(g, INGOT_OP_RANGE, "rng", "a,b,c", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rng'", "too many elements");
  gb_free(g);
}

static void test_constant(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  int32_t n = gb_node(g, INGOT_OP_CONSTANT, "c1", "", "y1");
  gb_attr_t(g, n, "value", I64, 1, (int64_t[]){3}, (int64_t[]){4, 5, -1});
  n = gb_node(g, INGOT_OP_CONSTANT, "c2", "", "y2");
  gb_attr_f(g, n, "value_float", 1.5f);
  n = gb_node(g, INGOT_OP_CONSTANT, "c3", "", "y3");
  gb_attr_floats(g, n, "value_floats", (float[]){1, 2}, 2);
  n = gb_node(g, INGOT_OP_CONSTANT, "c4", "", "y4");
  gb_attr_i(g, n, "value_int", 7);
  n = gb_node(g, INGOT_OP_CONSTANT, "c5", "", "y5");
  gb_attr_ints(g, n, "value_ints", (int64_t[]){1, 2, 3, 4}, 4);
  n = gb_node(g, INGOT_OP_CONSTANT, "c6", "", "y6");
  gb_attr_t(g, n, "value", F, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4});
  n = gb_node(g, INGOT_OP_CONSTANT, "c7", "", "two");
  gb_attr_ints(g, n, "value_ints", (int64_t[]){2}, 1);
  n = gb_node(g, INGOT_OP_CONSTANT_OF_SHAPE, "cs3", "two", "y9");
  gb_attr_t(g, n, "value", I64, 1, (int64_t[]){1}, (int64_t[]){9});
  infer_ok(g);
  expect(g, "y1", I64, "[3]");
  expect_vals(g, "y1", "[4,5,-1]");
  expect(g, "y2", F, "[]");
  expect(g, "y3", F, "[2]");
  expect(g, "y4", I64, "[]");
  expect_vals(g, "y4", "[7]");
  expect(g, "y5", I64, "[4]");
  expect_vals(g, "y5", "[1,2,3,4]");
  expect(g, "y6", F, "[2,2]");
  expect(g, "y9", I64, "[2]");
  expect_vals(g, "y9", "[9,9]");
  gb_free(g);

  g = gb_new();
  n = gb_node(g, INGOT_OP_CONSTANT, "cs", "", "y");
  gb_attr_ints(g, n, "value_ints", (int64_t[]){4, -1}, 2);
  gb_node(g, INGOT_OP_CONSTANT_OF_SHAPE, "cos", "y", "z");
  infer_fails(g, INGOT_CODE_INPUT, "node 'cos'", "negative entry -1");
  gb_free(g);

  g = gb_new();
  n = gb_node(g, INGOT_OP_CONSTANT, "two", "", "y");
  gb_attr_i(g, n, "value_int", 1);
  gb_attr_f(g, n, "value_float", 1.f);
  infer_fails(g, INGOT_CODE_INPUT, "node 'two'", "exactly one value attribute, got 2");
  gb_free(g);

  g = gb_new();
  gb_node(g, INGOT_OP_CONSTANT, "none", "", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'none'", "got 0");
  gb_free(g);

  g = gb_new();
  n = gb_node(g, INGOT_OP_CONSTANT, "str", "", "y");
  gb_attr_s(g, n, "value_string", "hello");
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'str'", "string constants are not supported");
  gb_free(g);

  g = gb_new();
  n = gb_node(g, INGOT_OP_CONSTANT, "sp", "", "y");
  gb_attr(g, n, "sparse_value", INGOT_ATTR_SPARSE_TENSOR);
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'sp'", "sparse constants are not supported");
  gb_free(g);
}

static void test_resize(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  g->opset = 19;
  gb_input(g, "x", F, "2,4,16,16");
  gb_input(g, "xs", F, "batch,4,h,w");
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, 2});
  gb_init_f32(g, "sc2", "2", (float[]){0.5f, 1.5f});
  gb_init_f32(g, "empty", "0", NULL);
  gb_init_i64(g, "sz", "4", (int64_t[]){2, 4, 5, 7});
  gb_init_i64(g, "sz2", "2", (int64_t[]){8, 32});
  int32_t n = gb_node(g, INGOT_OP_RESIZE, "r1", "x,,sc", "y1");
  gb_attr_s(g, n, "mode", "nearest");
  gb_attr_s(g, n, "coordinate_transformation_mode", "asymmetric");
  gb_attr_s(g, n, "nearest_mode", "floor");
  gb_node(g, INGOT_OP_RESIZE, "r2", "x,empty,empty,sz", "y2");
  n = gb_node(g, INGOT_OP_RESIZE, "r3", "x,,sc2", "y3");
  gb_attr_ints(g, n, "axes", (int64_t[]){2, -1}, 2);
  n = gb_node(g, INGOT_OP_RESIZE, "r4", "x,,,sz2", "y4");
  gb_attr_ints(g, n, "axes", (int64_t[]){2, 3}, 2);
  gb_attr_s(g, n, "keep_aspect_ratio_policy", "not_larger");
  gb_node(g, INGOT_OP_RESIZE, "r5", "xs,,sc", "y5");
  infer_ok(g);
  expect(g, "y1", F, "[2,4,32,32]");
  expect(g, "y2", F, "[2,4,5,7]");
  expect(g, "y3", F, "[2,4,8,24]");
  expect(g, "y4", F, "[2,4,8,8]");
  expect(g, "y5", F, "[batch,4,h*2,w*2]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,4,16,16");
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, 2});
  gb_init_i64(g, "sz", "4", (int64_t[]){2, 4, 5, 7});
  gb_node(g, INGOT_OP_RESIZE, "rz", "x,,sc,sz", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rz'", "exactly one of 'scales' and 'sizes' (got both)");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,4,16,16");
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, 2});
  int32_t m = gb_node(g, INGOT_OP_RESIZE, "rz", "x,,sc", "y");
  gb_attr_s(g, m, "mode", "cubic");
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'rz'", "Resize mode 'cubic' is not supported");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,4,16,16");
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, -2});
  gb_node(g, INGOT_OP_RESIZE, "rz", "x,,sc", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rz'", "scale 3 is -2 (must be positive)");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,4,16,16");
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, 1e30f});
  gb_node(g, INGOT_OP_RESIZE, "rz", "x,,sc", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'rz'", "out of range");
  gb_free(g);
}

static void test_trilu(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "3,4");
  gb_init_i64(g, "k", "", (int64_t[]){1});
  gb_node(g, INGOT_OP_TRILU, "tr", "x,k", "y");
  infer_ok(g);
  expect(g, "y", F, "[3,4]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "3");
  gb_node(g, INGOT_OP_TRILU, "tr", "x", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'tr'", "rank >= 2");
  gb_free(g);
}

/* ---- shape arithmetic, as torch emits it ---------------------------------------------------------- */

/* chunk(6) on a [batch, 384] tensor: Shape -> Gather -> Add -> Div -> Mul -> Slice. */
static void test_torch_chunk_pattern(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "batch,384");
  gb_init_i64(g, "one", "1", (int64_t[]){1});
  gb_init_i64(g, "zero", "1", (int64_t[]){0});
  gb_init_i64(g, "five", "1", (int64_t[]){5});
  gb_init_i64(g, "six", "1", (int64_t[]){6});
  gb_init_i64(g, "two", "1", (int64_t[]){2});
  gb_node(g, INGOT_OP_SHAPE, "shape", "x", "shp");
  gb_node(g, INGOT_OP_GATHER, "gather", "shp,one", "dim");
  gb_node(g, INGOT_OP_ADD, "add", "dim,five", "d5");
  gb_node(g, INGOT_OP_DIV, "div", "d5,six", "chunk");
  gb_node(g, INGOT_OP_MUL, "mul", "chunk,two", "end");
  gb_node(g, INGOT_OP_SLICE, "slice", "x,chunk,end,one", "y");
  /* and the batch through Gather -> Unsqueeze -> Concat -> Reshape */
  gb_init_i64(g, "zs", "", (int64_t[]){0});
  gb_init_i64(g, "m1", "1", (int64_t[]){-1});
  gb_init_i64(g, "c16", "1", (int64_t[]){16});
  gb_node(g, INGOT_OP_GATHER, "gb", "shp,zs", "b");
  gb_node(g, INGOT_OP_UNSQUEEZE, "ub", "b,zero", "b1");
  int32_t n = gb_node(g, INGOT_OP_CONCAT, "cat", "b1,m1,c16", "newshape");
  gb_attr_i(g, n, "axis", 0);
  gb_node(g, INGOT_OP_RESHAPE, "reshape", "y,newshape", "z");
  gb_node(g, INGOT_OP_MUL, "bmul", "b1,c16", "b16");
  gb_node(g, INGOT_OP_EQUAL, "eq", "newshape,m1", "isneg");
  gb_node(g, INGOT_OP_WHERE, "where", "isneg,one,newshape", "fixed");
  gb_node(g, INGOT_OP_CAST, "cast", "fixed", "fixed32");
  gb_attr_i(g, (int32_t)g->nnodes - 1, "to", INGOT_DT_INT32);
  infer_ok(g);
  expect_vals(g, "dim", "[384]");
  expect_vals(g, "chunk", "[64]");
  expect(g, "y", F, "[batch,64]");
  expect_vals(g, "b", "[batch]");
  expect_vals(g, "newshape", "[batch,-1,16]");
  expect(g, "z", F, "[batch,4,16]");
  expect_vals(g, "b16", "[batch*16]");
  expect_vals(g, "isneg", "[0,1,0]");
  expect_vals(g, "fixed", "[batch,1,16]");
  expect_vals(g, "fixed32", "[batch,1,16]");
  gb_free(g);
}

/* ---- declared outputs, unknown ops, hostile graphs -------------------------------------------------- */

static void test_declared_output(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,3");
  gb_node(g, INGOT_OP_RELU, "relu", "x", "y");
  gb_output(g, "y");
  g->values[ingot_graph_find(g, "y")].type = gb_type_of(g, F, "2,4");
  infer_fails(g, INGOT_CODE_INPUT, "node 'relu'", "output 'y' is declared [2,4] but Relu produces [2,3]");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2,3");
  gb_node(g, INGOT_OP_RELU, "relu", "x", "y");
  gb_output(g, "y");
  g->values[ingot_graph_find(g, "y")].type = gb_type_of(g, INGOT_DT_FLOAT16, "2,3");
  infer_fails(g, INGOT_CODE_INPUT, "node 'relu'", "declared float16 but Relu produces float32");
  gb_free(g);

  /* a declared name replaces an anonymous inferred dim */
  g = gb_new();
  gb_input(g, "x", F, "2,3,4");
  gb_input(g, "s", I64, "2");
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  gb_output(g, "y");
  g->values[ingot_graph_find(g, "y")].type = gb_type_of(g, F, "n,4");
  infer_ok(g);
  char buf[128];
  const char *sh = gb_shape(g, "y", buf);
  assert_true(strncmp(sh, "[n,", 3) == 0);
  assert_true(strcmp(sh, "[n,4]") == 0);
  gb_free(g);
}

static void test_unknown_op(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2");
  int32_t n = gb_node(g, INGOT_OP_UNKNOWN, "custom", "x", "y");
  g->nodes[n].op_type = "FancyOp";
  g->nodes[n].domain = "com.example";
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'custom'", "unsupported op 'FancyOp' (domain 'com.example')");
  gb_free(g);
}

static void test_hostile(void **state) {
  (void)state;
  /* element counts beyond 2^40 */
  ingot_graph_t *g = gb_new();
  gb_init_i64(g, "s", "3", (int64_t[]){1 << 20, 1 << 20, 4});
  gb_node(g, INGOT_OP_CONSTANT_OF_SHAPE, "big", "s", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'big'", "more than 2^40 elements");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1024,1024");
  gb_init_i64(g, "r", "2", (int64_t[]){INT64_MAX / 2, 4});
  gb_node(g, INGOT_OP_TILE, "tile", "x,r", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'tile'", "2^40");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "4");
  gb_init_i64(g, "s", "3", (int64_t[]){INT64_MAX, INT64_MAX, -1});
  gb_node(g, INGOT_OP_RESHAPE, "rs", "x,s", "y");
  ingot_status_t st = ingot_infer_shapes(g);
  assert_non_null(st); /* an error, never UB (run under UBSan) */
  ingot_status_free(st);
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "8,8");
  gb_input(g, "w", F, "1,8,3");
  int32_t n = gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  gb_attr_ints(g, n, "dilations", (int64_t[]){INT64_MAX}, 1);
  infer_fails(g, INGOT_CODE_INPUT, "node 'conv'", "X of rank >= 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,8,8");
  gb_input(g, "w", F, "1,8,3");
  n = gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  gb_attr_ints(g, n, "dilations", (int64_t[]){((int64_t)1 << 39) + 1}, 1);
  gb_attr_ints(g, n, "pads", (int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40}, 2);
  infer_fails(g, INGOT_CODE_INPUT, "node 'conv'", "too large");
  gb_free(g);

  /* a required input omitted */
  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_ADD, "add", "x,", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'add'", "Add input 1 is required but omitted");
  gb_free(g);

  /* wrong arity */
  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_ADD, "add", "x,x,x", "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'add'", "Add takes 2 to 2 inputs, got 3");
  gb_free(g);

  /* an attribute of the wrong type */
  g = gb_new();
  gb_input(g, "x", F, "2");
  n = gb_node(g, INGOT_OP_CONCAT, "cat", "x,x", "y");
  gb_attr_f(g, n, "axis", 0.f);
  infer_fails(g, INGOT_CODE_INPUT, "node 'cat'", "attribute 'axis' should be int, not float");
  gb_free(g);

  /* an attribute the schema does not know */
  g = gb_new();
  gb_input(g, "x", F, "2");
  n = gb_node(g, INGOT_OP_RELU, "relu", "x", "y");
  gb_attr_i(g, n, "bogus", 1);
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'relu'", "unsupported attribute 'bogus' for Relu");
  gb_free(g);

  /* an input index that does not exist */
  g = gb_new();
  gb_input(g, "x", F, "2");
  n = gb_node(g, INGOT_OP_RELU, "relu", "x", "y");
  g->nodes[n].inputs[0] = 12345;
  infer_fails(g, INGOT_CODE_INPUT, "node 'relu'", "refers to value #12345");
  gb_free(g);

  /* rank above the limit */
  g = gb_new();
  gb_input(g, "x", F, "1,1,1,1,1,1,1,1");
  gb_init_i64(g, "a", "1", (int64_t[]){0});
  gb_node(g, INGOT_OP_UNSQUEEZE, "us", "x,a", "y");
  infer_fails(g, INGOT_CODE_UNSUPPORTED, "node 'us'", "rank 9");
  gb_free(g);
}

/* An input of unknown rank gives outputs of unknown rank with the right dtype. */
static void test_unknown_rank(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "?");
  gb_input(g, "y", F, "2,3");
  gb_node(g, INGOT_OP_ADD, "add", "x,y", "a");
  gb_node(g, INGOT_OP_EQUAL, "eq", "x,y", "b");
  gb_node(g, INGOT_OP_SHAPE, "sh", "x", "c");
  gb_node(g, INGOT_OP_RELU, "relu", "y", "d");
  infer_ok(g);
  expect(g, "a", F, "[?]");
  expect(g, "b", BOOL, "[?]");
  expect(g, "c", I64, "[?]");
  expect(g, "d", F, "[2,3]");
  gb_free(g);
}

/* ---- control flow ----------------------------------------------------------------------------------- */

static void test_if_loop(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "c", BOOL, "");
  gb_input(g, "x", F, "2,3");
  int32_t n = gb_node(g, INGOT_OP_IF, "if", "c", "out");
  ingot_graph_t *tb = gb_attr_g(g, n, "then_branch");
  gb_node(tb, INGOT_OP_RELU, "t_relu", "x", "t_out");
  gb_output(tb, "t_out");
  ingot_graph_t *eb = gb_attr_g(g, n, "else_branch");
  gb_node(eb, INGOT_OP_NEG, "e_neg", "x", "e_out");
  gb_output(eb, "e_out");

  gb_init_i64(g, "trip", "", (int64_t[]){4});
  n = gb_node(g, INGOT_OP_LOOP, "loop", "trip,,x", "final,stacked");
  ingot_graph_t *body = gb_attr_g(g, n, "body");
  gb_input(body, "i", I64, "");
  gb_input(body, "cond", BOOL, "");
  gb_input(body, "v", 0, "?");
  gb_node(body, INGOT_OP_IDENTITY, "b_id", "cond", "cond_out");
  gb_node(body, INGOT_OP_ADD, "b_add", "v,x", "v_out");
  gb_node(body, INGOT_OP_REDUCE_SUM, "b_sum", "v_out", "scan");
  gb_output(body, "cond_out");
  gb_output(body, "v_out");
  gb_output(body, "scan");
  infer_ok(g);
  expect(g, "out", F, "[2,3]");
  expect(g, "final", F, "[2,3]");
  const ingot_type_t *t = gb_type(g, "stacked");
  assert_int_equal(t->rank, 3); /* [iterations, 1, 1]: ReduceSum keeps dims */
  assert_int_equal(t->dtype, F);
  gb_free(g);

  /* an error inside a branch names the branch and the If node */
  g = gb_new();
  gb_input(g, "c", BOOL, "");
  gb_input(g, "x", F, "2,3");
  n = gb_node(g, INGOT_OP_IF, "myif", "c", "out");
  tb = gb_attr_g(g, n, "then_branch");
  gb_node(tb, INGOT_OP_MATMUL, "inner_mm", "x,x", "t_out");
  gb_output(tb, "t_out");
  eb = gb_attr_g(g, n, "else_branch");
  gb_node(eb, INGOT_OP_NEG, "e_neg", "x", "e_out");
  gb_output(eb, "e_out");
  infer_fails(g, INGOT_CODE_INPUT, "in 'then_branch' of node 'myif'", "node 'inner_mm'");
  gb_free(g);
}

static void test_scan(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "s0", F, "3");
  gb_input(g, "xs", F, "5,3");
  int32_t n = gb_node(g, INGOT_OP_SCAN, "scan", "s0,xs", "final,ys");
  gb_attr_i(g, n, "num_scan_inputs", 1);
  ingot_graph_t *body = gb_attr_g(g, n, "body");
  gb_input(body, "s", 0, "?");
  gb_input(body, "x", 0, "?");
  gb_node(body, INGOT_OP_ADD, "acc", "s,x", "s_out");
  gb_node(body, INGOT_OP_RELU, "relu", "x", "y");
  gb_output(body, "s_out");
  gb_output(body, "y");
  infer_ok(g);
  expect(g, "final", F, "[3]");
  expect(g, "ys", F, "[5,3]");
  gb_free(g);

  /* a body whose arity does not match the node */
  g = gb_new();
  gb_input(g, "s0", F, "3");
  gb_input(g, "xs", F, "5,3");
  n = gb_node(g, INGOT_OP_SCAN, "scan", "s0,xs", "final,ys");
  gb_attr_i(g, n, "num_scan_inputs", 1);
  body = gb_attr_g(g, n, "body");
  gb_input(body, "s", 0, "?");
  gb_node(body, INGOT_OP_RELU, "relu", "s", "y");
  gb_output(body, "y");
  infer_fails(g, INGOT_CODE_INPUT, "node 'scan'", "Scan body has 1 inputs and 1 outputs; the node has 2 and 2");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "3");
  n = gb_node(g, INGOT_OP_LOOP, "loop", ",,x", "out");
  body = gb_attr_g(g, n, "body");
  gb_input(body, "i", I64, "");
  gb_output(body, "i");
  infer_fails(g, INGOT_CODE_INPUT, "node 'loop'", "Loop with 1 carried values needs a body with 3 inputs");
  gb_free(g);
}

/* ingot_infer_node types one node of an inferred graph (for passes). */
static void test_infer_node(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "4,5");
  int32_t n = gb_node(g, INGOT_OP_TRANSPOSE, "t", "x", "y");
  assert_null(ingot_infer_node(g, n));
  expect(g, "y", F, "[5,4]");
  ingot_status_t st = ingot_infer_node(g, 99);
  assert_non_null(st);
  assert_int_equal(ingot_status_code(st), INGOT_CODE_INTERNAL);
  ingot_status_free(st);
  gb_free(g);
}

/* ---- the bundled models end to end ---------------------------------------------------------------------- */

static void diag_print(void *user, ingot_status_t st) {
  (void)user;
  fprintf(stderr, "check: %s\n", ingot_status_message(st));
  ingot_status_free(st);
}

static void model_case(const char *name, const char *want) {
  const char *root = getenv("INGOT_ROOT");
  if (!root) root = ".";
  char path[1024];
  snprintf(path, sizeof path, "%s/models/%s/model.onnx", root, name);
  ingot_graph_t *g = NULL;
  ingot_status_t st = ingot_import_onnx(path, &g);
  if (st) fprintf(stderr, "%s\n", ingot_status_message(st));
  assert_null(st);
  assert_null(ingot_verify(g));
  infer_ok(g);
  st = ingot_verify_typed(g);
  if (st) fprintf(stderr, "%s\n", ingot_status_message(st));
  assert_null(st);
  assert_int_equal(ingot_check_all(g, diag_print, NULL), 0);
  int32_t out = ingot_graph_find(g, "out");
  assert_true(out >= 0);
  char buf[128];
  assert_string_equal(ingot_type_str(g, &g->values[out].type, buf, sizeof buf), want);
  assert_int_equal(g->values[out].type.dtype, F);
  /* every value is typed, and no dim was left anonymous */
  for (uint32_t v = 0; v < g->nvalues; v++) {
    const ingot_type_t *t = &g->values[v].type;
    assert_true(t->rank >= 0);
    for (int i = 0; i < t->rank; i++)
      if (t->dims[i].sym) assert_string_equal(ingot_graph_sym_name(g, t->dims[i].sym), "batch");
  }
  /* inference is repeatable (passes re-run it) */
  infer_ok(g);
  assert_string_equal(ingot_type_str(g, &g->values[out].type, buf, sizeof buf), want);
  ingot_graph_free(g);
}

static void test_models(void **state) {
  (void)state;
  model_case("dit", "[2,8,16,16]");
  model_case("mmdit", "[2,4,16,16]");
  model_case("unet_inpaint", "[2,4,16,16]");
  model_case("dit_variant", "[3,4,16,16]");
  model_case("dit_dynamic", "[batch,8,16,16]");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_broadcast),
      cmocka_unit_test(test_broadcast_symbols),
      cmocka_unit_test(test_broadcast_error),
      cmocka_unit_test(test_elementwise_dtypes),
      cmocka_unit_test(test_cast_clip_dropout),
      cmocka_unit_test(test_softmax_layernorm),
      cmocka_unit_test(test_group_instance_batch_norm),
      cmocka_unit_test(test_matmul),
      cmocka_unit_test(test_gemm),
      cmocka_unit_test(test_conv),
      cmocka_unit_test(test_conv_transpose),
      cmocka_unit_test(test_einsum),
      cmocka_unit_test(test_reduce),
      cmocka_unit_test(test_reshape),
      cmocka_unit_test(test_transpose_flatten),
      cmocka_unit_test(test_concat_split),
      cmocka_unit_test(test_slice),
      cmocka_unit_test(test_gather),
      cmocka_unit_test(test_squeeze_unsqueeze),
      cmocka_unit_test(test_expand_tile_pad),
      cmocka_unit_test(test_shape_size_range),
      cmocka_unit_test(test_constant),
      cmocka_unit_test(test_resize),
      cmocka_unit_test(test_trilu),
      cmocka_unit_test(test_torch_chunk_pattern),
      cmocka_unit_test(test_declared_output),
      cmocka_unit_test(test_unknown_op),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_unknown_rank),
      cmocka_unit_test(test_if_loop),
      cmocka_unit_test(test_scan),
      cmocka_unit_test(test_infer_node),
      cmocka_unit_test(test_models),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
