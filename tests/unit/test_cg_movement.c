/* Compiled data-movement kernels (codegen/cg_movement*.c) against the
 * evaluator: copies (Reshape & co.), Transpose, Concat, Split, Slice, Gather,
 * GatherElements, ScatterND, Expand, Tile, Pad, Resize, Trilu.  Pure moves
 * must match exactly (tol 0); linear Resize on floats within 1e-6. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "cg_harness.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* A tensor of dtype with deterministic contents: floats in [-1, 1), ints
 * small and of both signs (non-negative for unsigned), bools alternating. */
static ingot_tensor_t tens(int dtype, int rank, const int64_t *dims, uint32_t seed) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, dtype, rank, dims));
  int64_t n = ingot_tensor_numel(&t);
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  cgt_fill(f, n, seed);
  for (int64_t i = 0; i < n; i++) {
    double v;
    if (ingot_dtype_is_float(dtype)) v = f[i];
    else if (dtype == INGOT_DT_BOOL) v = (i + seed) % 3 == 0;
    else if (dtype == INGOT_DT_UINT8) v = (double)((i * 37 + seed) % 251);
    else v = (double)((i * 7919 + seed * 31) % 2001) - 1000.0;
    ingot_tensor_set_f64(&t, i, v);
  }
  if (dtype == INGOT_DT_INT64) /* values beyond 2^53 too: the copies must be bit exact */
    for (int64_t i = 0; i < n; i += 3) ((int64_t *)t.data)[i] = ((int64_t)1 << 60) + i * 977 + seed;
  free(f);
  return t;
}

static ingot_tensor_t ints(int rank, const int64_t *dims, const int64_t *vals) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, INGOT_DT_INT64, rank, dims));
  memcpy(t.data, vals, t.nbytes);
  return t;
}

/* cgt_check, then releases the input tensors. */
static void check(ingot_graph_t *g, ingot_tensor_t *in, int nin, double tol) {
  cgt_check(g, in, tol);
  for (int i = 0; i < nin; i++) ingot_tensor_release(&in[i]);
}

static int32_t c_i64(ingot_graph_t *g, const char *name, int64_t n, const int64_t *v) {
  return cgt_const(g, name, INGOT_DT_INT64, 1, (int64_t[]){n}, v);
}

static int32_t c_f32(ingot_graph_t *g, const char *name, int64_t n, const float *v) {
  return cgt_const(g, name, INGOT_DT_FLOAT, 1, (int64_t[]){n}, v);
}

/* ---- Reshape / Flatten / Squeeze / Unsqueeze (as graph outputs: no view) ------------ */

static void reshape_case(int dtype, int xr, const int64_t *xd, int sr, const int64_t *shape) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, xr, xd);
  int32_t s = cgt_const(g, "s", INGOT_DT_INT64, 1, (int64_t[]){sr}, shape);
  cgt_node(g, INGOT_OP_RESHAPE, 2, (int32_t[]){x, s}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, xr, xd, 1)};
  check(g, in, 1, 0);
}

static void test_copy_reshape(void **state) {
  (void)state;
  reshape_case(INGOT_DT_FLOAT, 3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){6, -1});
  reshape_case(INGOT_DT_INT64, 3, (int64_t[]){2, 3, 4}, 3, (int64_t[]){4, 0, 2});
  reshape_case(INGOT_DT_FLOAT16, 2, (int64_t[]){5, 7}, 1, (int64_t[]){35});
  reshape_case(INGOT_DT_BOOL, 2, (int64_t[]){3, 3}, 2, (int64_t[]){9, 1});
  /* a big flat copy: cut into blocks so two threads share it */
  reshape_case(INGOT_DT_FLOAT, 2, (int64_t[]){1, 100003}, 1, (int64_t[]){100003});
}

static void test_copy_flatten_squeeze(void **state) {
  (void)state;
  {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 4, 5});
    int32_t n = cgt_node(g, INGOT_OP_FLATTEN, 1, (int32_t[]){x}, "y");
    cgt_attr_i(g, n, "axis", -2);
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 4, 5}, 2)};
    check(g, in, 1, 0);
  }
  {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_INT32, 4, (int64_t[]){1, 3, 1, 5});
    int32_t a = c_i64(g, "a", 2, (int64_t[]){0, -2});
    cgt_node(g, INGOT_OP_SQUEEZE, 2, (int32_t[]){x, a}, "y");
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_INT32, 4, (int64_t[]){1, 3, 1, 5}, 3)};
    check(g, in, 1, 0);
  }
  { /* to rank 0 (Squeeze without axes; a Reshape to [] needs an empty shape weight) */
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){1, 1});
    cgt_node(g, INGOT_OP_SQUEEZE, 1, (int32_t[]){x}, "y");
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_FLOAT, 2, (int64_t[]){1, 1}, 3)};
    check(g, in, 1, 0);
  }
  {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_DOUBLE, 2, (int64_t[]){3, 5});
    int32_t a = c_i64(g, "a", 2, (int64_t[]){-1, 0});
    cgt_node(g, INGOT_OP_UNSQUEEZE, 2, (int32_t[]){x, a}, "y");
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_DOUBLE, 2, (int64_t[]){3, 5}, 4)};
    check(g, in, 1, 0);
  }
}

/* ---- Transpose ------------------------------------------------------------------------- */

static void transpose_case(int dtype, int r, const int64_t *dims, const int64_t *perm) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t n = cgt_node(g, INGOT_OP_TRANSPOSE, 1, (int32_t[]){x}, "y");
  if (perm) cgt_attr_ints(g, n, "perm", (size_t)r, perm);
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 5)};
  check(g, in, 1, 0);
}

static void test_transpose(void **state) {
  (void)state;
  transpose_case(INGOT_DT_FLOAT, 3, (int64_t[]){2, 3, 4}, NULL); /* default: reversed */
  transpose_case(INGOT_DT_FLOAT, 4, (int64_t[]){2, 3, 5, 7}, (int64_t[]){0, 2, 3, 1});
  transpose_case(INGOT_DT_INT64, 4, (int64_t[]){2, 3, 5, 7}, (int64_t[]){0, 3, 1, 2});
  transpose_case(INGOT_DT_FLOAT16, 2, (int64_t[]){64, 96}, (int64_t[]){1, 0});
  transpose_case(INGOT_DT_UINT8, 4, (int64_t[]){1, 5, 1, 3}, (int64_t[]){3, 1, 0, 2});
  transpose_case(INGOT_DT_FLOAT, 2, (int64_t[]){1, 1}, (int64_t[]){1, 0});
  transpose_case(INGOT_DT_FLOAT, 1, (int64_t[]){7}, (int64_t[]){0});
  transpose_case(INGOT_DT_BFLOAT16, 5, (int64_t[]){2, 3, 2, 2, 4}, (int64_t[]){4, 2, 0, 3, 1});
}

/* DiT's unpatchify: [N, T, p*p*C] -> [N, h, w, p, p, C] -> einsum nhwpqc->nchpwq
 * (Transpose 0,5,1,3,2,4) -> [N, C, h*p, w*p].  The first Reshape is a
 * view; the Transpose and the final Reshape (a graph output) are kernels. */
static void test_dit_unpatchify(void **state) {
  (void)state;
  const int64_t N = 2, h = 4, w = 4, p = 2, C = 4;
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 3, (int64_t[]){N, h * w, p * p * C});
  int32_t s1 = c_i64(g, "s1", 6, (int64_t[]){N, h, w, p, p, C});
  int32_t s2 = c_i64(g, "s2", 4, (int64_t[]){N, C, h * p, w * p});
  cgt_node(g, INGOT_OP_RESHAPE, 2, (int32_t[]){x, s1}, "r1");
  int32_t t = cgt_node(g, INGOT_OP_TRANSPOSE, 1, (int32_t[]){ingot_graph_find(g, "r1")}, "t");
  cgt_attr_ints(g, t, "perm", 6, (int64_t[]){0, 5, 1, 3, 2, 4});
  cgt_node(g, INGOT_OP_RESHAPE, 2, (int32_t[]){ingot_graph_find(g, "t"), s2}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(INGOT_DT_FLOAT, 3, (int64_t[]){N, h * w, p * p * C}, 6)};
  check(g, in, 1, 0);
}

/* ---- Concat / Split --------------------------------------------------------------------- */

static void test_concat(void **state) {
  (void)state;
  {
    ingot_graph_t *g = cgt_graph();
    int32_t a = cgt_input(g, "a", INGOT_DT_FLOAT, 3, (int64_t[]){2, 1, 4});
    int32_t b = cgt_input(g, "b", INGOT_DT_FLOAT, 3, (int64_t[]){2, 3, 4});
    int32_t c = cgt_input(g, "c", INGOT_DT_FLOAT, 3, (int64_t[]){2, 2, 4});
    int32_t n = cgt_node(g, INGOT_OP_CONCAT, 3, (int32_t[]){a, b, c}, "y");
    cgt_attr_i(g, n, "axis", 1);
    cgt_output(g, "y");
    ingot_tensor_t in[3] = {tens(INGOT_DT_FLOAT, 3, (int64_t[]){2, 1, 4}, 1),
                            tens(INGOT_DT_FLOAT, 3, (int64_t[]){2, 3, 4}, 2),
                            tens(INGOT_DT_FLOAT, 3, (int64_t[]){2, 2, 4}, 3)};
    check(g, in, 3, 0);
  }
  { /* negative axis, int64, one constant input */
    ingot_graph_t *g = cgt_graph();
    int32_t a = cgt_input(g, "a", INGOT_DT_INT64, 2, (int64_t[]){3, 2});
    int64_t wv[3] = {7, -8, 9};
    int32_t w = cgt_const(g, "w", INGOT_DT_INT64, 2, (int64_t[]){3, 1}, wv);
    int32_t n = cgt_node(g, INGOT_OP_CONCAT, 3, (int32_t[]){a, w, a}, "y");
    cgt_attr_i(g, n, "axis", -1);
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_INT64, 2, (int64_t[]){3, 2}, 4)};
    check(g, in, 1, 0);
  }
  { /* axis 0: flat copies, one of them big enough to be cut into blocks */
    ingot_graph_t *g = cgt_graph();
    int32_t a = cgt_input(g, "a", INGOT_DT_FLOAT16, 2, (int64_t[]){3, 5000});
    int32_t b = cgt_input(g, "b", INGOT_DT_FLOAT16, 2, (int64_t[]){1, 5000});
    int32_t n = cgt_node(g, INGOT_OP_CONCAT, 2, (int32_t[]){a, b}, "y");
    cgt_attr_i(g, n, "axis", 0);
    cgt_output(g, "y");
    ingot_tensor_t in[2] = {tens(INGOT_DT_FLOAT16, 2, (int64_t[]){3, 5000}, 5),
                            tens(INGOT_DT_FLOAT16, 2, (int64_t[]){1, 5000}, 6)};
    check(g, in, 2, 0);
  }
  { /* a single input */
    ingot_graph_t *g = cgt_graph();
    int32_t a = cgt_input(g, "a", INGOT_DT_BOOL, 1, (int64_t[]){6});
    int32_t n = cgt_node(g, INGOT_OP_CONCAT, 1, (int32_t[]){a}, "y");
    cgt_attr_i(g, n, "axis", 0);
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_BOOL, 1, (int64_t[]){6}, 7)};
    check(g, in, 1, 0);
  }
}

static void split_case(int64_t opset, int dtype, int r, const int64_t *dims, int64_t axis, int nout,
                       const int64_t *split, bool split_attr, int64_t num_outputs) {
  ingot_graph_t *g = cgt_graph();
  g->opset = opset;
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t ins[2] = {x, -1};
  uint32_t nin = 1;
  if (split && !split_attr) {
    ins[1] = c_i64(g, "s", nout, split);
    nin = 2;
  }
  const char *names[4] = {"y0", "y1", "y2", "y3"};
  int32_t n = cgt_node_n(g, INGOT_OP_SPLIT, nin, ins, (uint32_t)nout, names);
  cgt_attr_i(g, n, "axis", axis);
  if (split && split_attr) cgt_attr_ints(g, n, "split", (size_t)nout, split);
  if (num_outputs) cgt_attr_i(g, n, "num_outputs", num_outputs);
  for (int i = 0; i < nout; i++) cgt_output(g, names[i]);
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 8)};
  check(g, in, 1, 0);
}

static void test_split(void **state) {
  (void)state;
  split_case(17, INGOT_DT_FLOAT, 3, (int64_t[]){2, 6, 3}, 1, 2, NULL, false, 0);                 /* equal */
  split_case(17, INGOT_DT_INT64, 3, (int64_t[]){2, 3, 6}, -1, 3, (int64_t[]){2, 3, 1}, false, 0); /* sizes input */
  split_case(18, INGOT_DT_FLOAT, 2, (int64_t[]){7, 2}, 0, 3, NULL, false, 3);                     /* 3,3,1 */
  split_case(17, INGOT_DT_UINT8, 1, (int64_t[]){8}, 0, 4, (int64_t[]){0, 3, 3, 2}, false, 0);     /* empty part */
}

/* ---- Slice ------------------------------------------------------------------------------ */

static void slice_case(int dtype, int r, const int64_t *dims, int m, const int64_t *starts, const int64_t *ends,
                       const int64_t *axes, const int64_t *steps) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t ins[5] = {x, c_i64(g, "s", m, starts), c_i64(g, "e", m, ends), axes ? c_i64(g, "a", m, axes) : -1,
                    steps ? c_i64(g, "p", m, steps) : -1};
  cgt_node(g, INGOT_OP_SLICE, steps ? 5 : axes ? 4 : 3, ins, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 9)};
  check(g, in, 1, 0);
}

static void test_slice(void **state) {
  (void)state;
  const int64_t d3[3] = {4, 5, 6};
  slice_case(INGOT_DT_FLOAT, 3, d3, 2, (int64_t[]){1, 0}, (int64_t[]){3, 4}, NULL, NULL);
  slice_case(INGOT_DT_FLOAT, 3, d3, 2, (int64_t[]){-4, 1}, (int64_t[]){-1, 1000}, (int64_t[]){-1, 1},
             (int64_t[]){2, 3});
  /* reverse an axis (negative step, INT64_MIN end) */
  slice_case(INGOT_DT_INT64, 3, d3, 1, (int64_t[]){-1}, (int64_t[]){INT64_MIN}, (int64_t[]){1}, (int64_t[]){-1});
  /* negative step with clamped start, on two axes */
  slice_case(INGOT_DT_FLOAT, 3, d3, 2, (int64_t[]){100, 4}, (int64_t[]){0, -100}, (int64_t[]){0, 2},
             (int64_t[]){-2, -3});
  /* clamping: starts below 0, ends past the end, a step past the end */
  slice_case(INGOT_DT_FLOAT16, 3, d3, 3, (int64_t[]){-100, 2, 0}, (int64_t[]){INT64_MAX, 3, 6},
             (int64_t[]){0, 1, 2}, (int64_t[]){1, 7, 1});
  /* an empty result */
  slice_case(INGOT_DT_FLOAT, 3, d3, 1, (int64_t[]){3}, (int64_t[]){1}, (int64_t[]){0}, NULL);
  /* the last axis only, a big rank-1 tensor */
  slice_case(INGOT_DT_FLOAT, 1, (int64_t[]){20000}, 1, (int64_t[]){5}, (int64_t[]){19990}, NULL, (int64_t[]){3});
}

/* ---- Gather / GatherElements / ScatterND -------------------------------------------------- */

/* DiT class-label embedding: Gather(table[1001, 64] weight, y int64[2]). */
static void test_gather_embedding(void **state) {
  (void)state;
  ingot_graph_t *g = cgt_graph();
  float *table = malloc(1001 * 64 * sizeof *table);
  cgt_fill(table, 1001 * 64, 10);
  int32_t w = cgt_const(g, "table", INGOT_DT_FLOAT, 2, (int64_t[]){1001, 64}, table);
  free(table);
  int32_t y = cgt_input(g, "y", INGOT_DT_INT64, 1, (int64_t[]){2});
  cgt_node(g, INGOT_OP_GATHER, 2, (int32_t[]){w, y}, "emb");
  cgt_output(g, "emb");
  ingot_tensor_t in[1] = {ints(1, (int64_t[]){2}, (int64_t[]){1000, 207})};
  check(g, in, 1, 0);
}

static void test_gather(void **state) {
  (void)state;
  { /* runtime int64 indices with negatives, axis 1, 2-D indices */
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 3, (int64_t[]){3, 5, 4});
    int32_t i = cgt_input(g, "i", INGOT_DT_INT64, 2, (int64_t[]){2, 2});
    int32_t n = cgt_node(g, INGOT_OP_GATHER, 2, (int32_t[]){x, i}, "y");
    cgt_attr_i(g, n, "axis", 1);
    cgt_output(g, "y");
    ingot_tensor_t in[2] = {tens(INGOT_DT_FLOAT, 3, (int64_t[]){3, 5, 4}, 11),
                            ints(2, (int64_t[]){2, 2}, (int64_t[]){0, -1, 4, -5})};
    check(g, in, 2, 0);
  }
  { /* constant indices, last axis (rows of one element), int64 data */
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_INT64, 2, (int64_t[]){3, 6});
    int32_t i = c_i64(g, "i", 4, (int64_t[]){5, -6, 2, 2});
    int32_t n = cgt_node(g, INGOT_OP_GATHER, 2, (int32_t[]){x, i}, "y");
    cgt_attr_i(g, n, "axis", -1);
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_INT64, 2, (int64_t[]){3, 6}, 12)};
    check(g, in, 1, 0);
  }
  { /* a scalar constant index: drops the axis */
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){5, 6});
    int64_t iv = -2;
    int32_t i = cgt_const(g, "i", INGOT_DT_INT64, 0, NULL, &iv);
    cgt_node(g, INGOT_OP_GATHER, 2, (int32_t[]){x, i}, "y");
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_FLOAT, 2, (int64_t[]){5, 6}, 13)};
    check(g, in, 1, 0);
  }
  { /* int32 runtime indices */
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT16, 2, (int64_t[]){7, 3});
    int32_t i = cgt_input(g, "i", INGOT_DT_INT32, 1, (int64_t[]){3});
    cgt_node(g, INGOT_OP_GATHER, 2, (int32_t[]){x, i}, "y");
    cgt_output(g, "y");
    ingot_tensor_t it;
    cgt_ok(ingot_tensor_alloc(&it, INGOT_DT_INT32, 1, (int64_t[]){3}));
    ((int32_t *)it.data)[0] = 6;
    ((int32_t *)it.data)[1] = -7;
    ((int32_t *)it.data)[2] = 3;
    ingot_tensor_t in[2] = {tens(INGOT_DT_FLOAT16, 2, (int64_t[]){7, 3}, 14), it};
    check(g, in, 2, 0);
  }
}

/* Out-of-range runtime indices are clamped (documented in
 * cg_movement_index.c); the evaluator reports an error instead, so this
 * runs the compiled code alone. */
static void test_gather_clamps(void **state) {
  (void)state;
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){4, 2});
  int32_t i = cgt_input(g, "i", INGOT_DT_INT64, 1, (int64_t[]){4});
  cgt_node(g, INGOT_OP_GATHER, 2, (int32_t[]){x, i}, "y");
  cgt_output(g, "y");
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
  float xv[8] = {0, 1, 10, 11, 20, 21, 30, 31}, yv[8];
  int64_t iv[4] = {7, -100, INT64_MIN, INT64_MAX};
  void *in[2] = {xv, iv}, *out[1] = {yv};
  assert_int_equal(ingot_rt_model_run(m, 0, in, out), INGOT_RT_OK);
  const float want[8] = {30, 31, 0, 1, 0, 1, 30, 31};
  for (int k = 0; k < 8; k++) assert_true(yv[k] == want[k]);
  ingot_rt_model_destroy(m);
  ingot_cg_destroy(cg);
  ingot_graph_free(g);
}

static void test_gather_elements(void **state) {
  (void)state;
  {
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){3, 4});
    int32_t i = cgt_input(g, "i", INGOT_DT_INT64, 2, (int64_t[]){2, 4});
    int32_t n = cgt_node(g, INGOT_OP_GATHER_ELEMENTS, 2, (int32_t[]){x, i}, "y");
    cgt_attr_i(g, n, "axis", 0);
    cgt_output(g, "y");
    ingot_tensor_t in[2] = {tens(INGOT_DT_FLOAT, 2, (int64_t[]){3, 4}, 15),
                            ints(2, (int64_t[]){2, 4}, (int64_t[]){0, 2, -1, 1, -3, 0, 2, 2})};
    check(g, in, 2, 0);
  }
  { /* last axis, indices smaller than data on another axis, int64 data */
    ingot_graph_t *g = cgt_graph();
    int32_t x = cgt_input(g, "x", INGOT_DT_INT64, 3, (int64_t[]){2, 3, 5});
    int64_t iv[2 * 2 * 3] = {4, 0, -1, 3, 3, 3, -5, 1, 2, 0, 0, 4};
    int32_t i = cgt_const(g, "i", INGOT_DT_INT64, 3, (int64_t[]){2, 2, 3}, iv);
    int32_t n = cgt_node(g, INGOT_OP_GATHER_ELEMENTS, 2, (int32_t[]){x, i}, "y");
    cgt_attr_i(g, n, "axis", -1);
    cgt_output(g, "y");
    ingot_tensor_t in[1] = {tens(INGOT_DT_INT64, 3, (int64_t[]){2, 3, 5}, 16)};
    check(g, in, 1, 0);
  }
}

static void scatter_case(int64_t opset, int dtype, const char *red, int r, const int64_t *dims, int q,
                         const int64_t *idims, const int64_t *idx, bool runtime_idx, double tol) {
  ingot_graph_t *g = cgt_graph();
  g->opset = opset;
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t i = runtime_idx ? cgt_input(g, "i", INGOT_DT_INT64, q, idims)
                          : cgt_const(g, "i", INGOT_DT_INT64, q, idims, idx);
  int64_t kk = idims[q - 1], ud[INGOT_MAX_RANK];
  int ur = 0;
  for (int d = 0; d < q - 1; d++) ud[ur++] = idims[d];
  for (int d = (int)kk; d < r; d++) ud[ur++] = dims[d];
  int32_t u = cgt_input(g, "u", dtype, ur, ud);
  int32_t n = cgt_node(g, INGOT_OP_SCATTER_ND, 3, (int32_t[]){x, i, u}, "y");
  if (red) cgt_attr_s(g, n, "reduction", red);
  cgt_output(g, "y");
  ingot_tensor_t in[3];
  int nin = 0;
  in[nin++] = tens(dtype, r, dims, 17);
  if (runtime_idx) in[nin++] = ints(q, idims, idx);
  in[nin++] = tens(dtype, ur, ud, 18);
  check(g, in, nin, tol);
}

static void test_scatter_nd(void **state) {
  (void)state;
  const int64_t d2[2] = {4, 5};
  scatter_case(17, INGOT_DT_FLOAT, NULL, 2, d2, 2, (int64_t[]){2, 1}, (int64_t[]){1, 3}, false, 0);
  /* duplicates accumulate in order */
  scatter_case(17, INGOT_DT_FLOAT, "add", 2, d2, 2, (int64_t[]){3, 1}, (int64_t[]){1, -3, 0}, true, 0);
  scatter_case(17, INGOT_DT_FLOAT, "mul", 2, d2, 2, (int64_t[]){3, 1}, (int64_t[]){2, 2, 2}, false, 0);
  scatter_case(17, INGOT_DT_FLOAT16, "add", 2, d2, 2, (int64_t[]){2, 1}, (int64_t[]){0, 2}, true, 0);
  scatter_case(17, INGOT_DT_BFLOAT16, "mul", 2, d2, 2, (int64_t[]){2, 1}, (int64_t[]){3, 1}, true, 0);
  scatter_case(17, INGOT_DT_DOUBLE, "add", 2, d2, 2, (int64_t[]){2, 1}, (int64_t[]){1, 1}, true, 0);
  scatter_case(17, INGOT_DT_INT64, "add", 2, d2, 2, (int64_t[]){2, 1}, (int64_t[]){3, 3}, true, 0);
  scatter_case(18, INGOT_DT_FLOAT, "max", 2, d2, 2, (int64_t[]){3, 1}, (int64_t[]){0, 0, 3}, true, 0);
  scatter_case(18, INGOT_DT_INT32, "min", 2, d2, 2, (int64_t[]){2, 1}, (int64_t[]){1, 1}, false, 0);
  /* element scatter (kk == rank), last duplicate wins */
  scatter_case(17, INGOT_DT_FLOAT, NULL, 3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){4, 3},
               (int64_t[]){0, 1, 2, 1, 2, 3, 0, 1, 2, -1, -1, -1}, true, 0);
  /* a big slice: blocks shared by two threads */
  scatter_case(17, INGOT_DT_FLOAT, "add", 2, (int64_t[]){3, 9000}, 2, (int64_t[]){4, 1},
               (int64_t[]){2, 0, 2, 1}, true, 0);
}

/* Every finite float16 / bfloat16 value plus a small update: checks the
 * kernels' own f16/bf16 <-> f32 conversions (rounding, subnormals) against
 * the evaluator's. */
static void narrow_exhaustive(int dtype) {
  int64_t n = 0;
  uint16_t *bits = malloc(65536 * sizeof *bits);
  for (uint32_t b = 0; b < 65536; b++) {
    bool special = dtype == INGOT_DT_FLOAT16 ? (b & 0x7c00) == 0x7c00 : (b & 0x7f80) == 0x7f80;
    if (!special) bits[n++] = (uint16_t)b;
  }
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, 1, (int64_t[]){n});
  int32_t i = cgt_input(g, "i", INGOT_DT_INT64, 2, (int64_t[]){n, 1});
  int32_t u = cgt_input(g, "u", dtype, 1, (int64_t[]){n});
  int32_t nd = cgt_node(g, INGOT_OP_SCATTER_ND, 3, (int32_t[]){x, i, u}, "y");
  cgt_attr_s(g, nd, "reduction", "add");
  cgt_output(g, "y");
  ingot_tensor_t in[3];
  cgt_ok(ingot_tensor_alloc(&in[0], dtype, 1, (int64_t[]){n}));
  memcpy(in[0].data, bits, (size_t)n * 2);
  cgt_ok(ingot_tensor_alloc(&in[1], INGOT_DT_INT64, 2, (int64_t[]){n, 1}));
  for (int64_t k = 0; k < n; k++) ((int64_t *)in[1].data)[k] = n - 1 - k;
  in[2] = tens(dtype, 1, (int64_t[]){n}, 24);
  /* all magnitudes, capped below */
  for (int64_t k = 0; k < n; k += 7) ((uint16_t *)in[2].data)[k] = bits[(k * 131) % n];
  for (int64_t k = 0; k < n; k++) { /* keep sums finite */
    uint16_t *b = &((uint16_t *)in[2].data)[k], top = dtype == INGOT_DT_FLOAT16 ? 0x4800 : 0x7180; /* 8, 2^100 */
    if ((*b & 0x7fff) >= top) *b = (uint16_t)((*b & 0x8000) | 0x3c00);
  }
  free(bits);
  check(g, in, 3, 0);
}

static void test_scatter_nd_narrow_floats(void **state) {
  (void)state;
  narrow_exhaustive(INGOT_DT_FLOAT16);
  narrow_exhaustive(INGOT_DT_BFLOAT16);
}

/* ---- Expand / Tile ------------------------------------------------------------------------ */

static void expand_case(int dtype, int r, const int64_t *dims, int sr, const int64_t *shape) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t s = c_i64(g, "s", sr, shape);
  cgt_node(g, INGOT_OP_EXPAND, 2, (int32_t[]){x, s}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 19)};
  check(g, in, 1, 0);
}

static void test_expand(void **state) {
  (void)state;
  expand_case(INGOT_DT_FLOAT, 2, (int64_t[]){3, 1}, 3, (int64_t[]){2, 3, 4});
  expand_case(INGOT_DT_INT64, 0, NULL, 2, (int64_t[]){2, 3});
  expand_case(INGOT_DT_BOOL, 3, (int64_t[]){2, 1, 3}, 2, (int64_t[]){4, 1}); /* shape smaller than x */
  expand_case(INGOT_DT_FLOAT16, 2, (int64_t[]){1, 5}, 2, (int64_t[]){7, 1});
  expand_case(INGOT_DT_FLOAT, 1, (int64_t[]){1}, 1, (int64_t[]){9000});
}

static void tile_case(int dtype, int r, const int64_t *dims, const int64_t *reps) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t s = c_i64(g, "r", r, reps);
  cgt_node(g, INGOT_OP_TILE, 2, (int32_t[]){x, s}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 20)};
  check(g, in, 1, 0);
}

static void test_tile(void **state) {
  (void)state;
  tile_case(INGOT_DT_FLOAT, 2, (int64_t[]){2, 3}, (int64_t[]){2, 3});
  tile_case(INGOT_DT_INT64, 3, (int64_t[]){1, 4, 1}, (int64_t[]){3, 1, 2});
  tile_case(INGOT_DT_UINT8, 1, (int64_t[]){5}, (int64_t[]){1});
  tile_case(INGOT_DT_FLOAT, 2, (int64_t[]){2, 3}, (int64_t[]){0, 2});
}

/* ---- Pad ----------------------------------------------------------------------------------- */

static void pad_case(int64_t opset, int dtype, const char *mode, int r, const int64_t *dims, int np,
                     const int64_t *pads, const void *cval, int na, const int64_t *axes) {
  ingot_graph_t *g = cgt_graph();
  g->opset = opset;
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t ins[4] = {x, c_i64(g, "p", np, pads), cval ? cgt_const(g, "c", dtype, 0, NULL, cval) : -1,
                    axes ? c_i64(g, "a", na, axes) : -1};
  int32_t n = cgt_node(g, INGOT_OP_PAD, axes ? 4 : cval ? 3 : 2, ins, "y");
  if (mode) cgt_attr_s(g, n, "mode", mode);
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 21)};
  check(g, in, 1, 0);
}

static void test_pad(void **state) {
  (void)state;
  const float c15 = 1.5f;
  const int64_t cbig = ((int64_t)1 << 58) + 3;
  pad_case(17, INGOT_DT_FLOAT, NULL, 2, (int64_t[]){2, 3}, 4, (int64_t[]){1, 2, 0, 1}, &c15, 0, NULL);
  pad_case(17, INGOT_DT_FLOAT, "constant", 3, (int64_t[]){2, 3, 4}, 6, (int64_t[]){0, -1, 2, 1, 1, -1}, NULL, 0,
           NULL); /* crops and pads */
  pad_case(17, INGOT_DT_INT64, "constant", 2, (int64_t[]){3, 3}, 4, (int64_t[]){2, 1, 1, 2}, &cbig, 0, NULL);
  pad_case(17, INGOT_DT_FLOAT, "reflect", 4, (int64_t[]){1, 2, 4, 5}, 8, (int64_t[]){0, 0, 3, 2, 0, 0, 2, 6}, NULL,
           0, NULL);
  pad_case(17, INGOT_DT_FLOAT16, "edge", 3, (int64_t[]){2, 3, 4}, 6, (int64_t[]){1, 0, 2, 0, 3, -1}, NULL, 0, NULL);
  pad_case(19, INGOT_DT_FLOAT, "wrap", 2, (int64_t[]){3, 4}, 4, (int64_t[]){4, 1, 2, 7}, NULL, 0, NULL);
  /* axes (opset 18), negative */
  pad_case(18, INGOT_DT_FLOAT, "constant", 4, (int64_t[]){1, 2, 3, 3}, 4, (int64_t[]){1, 1, 1, 1}, &c15, 2,
           (int64_t[]){-2, -1});
  pad_case(18, INGOT_DT_INT32, "reflect", 3, (int64_t[]){2, 1, 3}, 2, (int64_t[]){2, 2}, NULL, 1, (int64_t[]){1});
}

/* ---- Resize ---------------------------------------------------------------------------------- */

typedef struct {
  const char *mode, *ct, *nm, *policy;
  int nscales;
  const float *scales;
  int nsizes;
  const int64_t *sizes;
  const float *roi; /* 2 * n entries */
  int naxes;
  const int64_t *axes;
  float extrap;
  int64_t opset;
} rs_t;

static void resize_case(int dtype, int r, const int64_t *dims, const rs_t *o, double tol) {
  ingot_graph_t *g = cgt_graph();
  g->opset = o->opset ? o->opset : 17;
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int n = o->nscales ? o->nscales : o->nsizes;
  int32_t ins[4] = {x, o->roi ? c_f32(g, "roi", 2 * n, o->roi) : -1,
                    o->nscales ? c_f32(g, "sc", o->nscales, o->scales) : -1,
                    o->nsizes ? c_i64(g, "sz", o->nsizes, o->sizes) : -1};
  int32_t nd = cgt_node(g, INGOT_OP_RESIZE, o->nsizes ? 4 : 3, ins, "y");
  if (o->mode) cgt_attr_s(g, nd, "mode", o->mode);
  if (o->ct) cgt_attr_s(g, nd, "coordinate_transformation_mode", o->ct);
  if (o->nm) cgt_attr_s(g, nd, "nearest_mode", o->nm);
  if (o->policy) cgt_attr_s(g, nd, "keep_aspect_ratio_policy", o->policy);
  if (o->axes) cgt_attr_ints(g, nd, "axes", (size_t)o->naxes, o->axes);
  if (o->extrap != 0) cgt_attr_f(g, nd, "extrapolation_value", o->extrap);
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 22)};
  check(g, in, 1, tol);
}

/* UNet's nearest x2 upsample (torch: asymmetric + floor). */
static void test_resize_unet_nearest(void **state) {
  (void)state;
  const float s2[4] = {1, 1, 2, 2};
  rs_t o = {.mode = "nearest", .ct = "asymmetric", .nm = "floor", .nscales = 4, .scales = s2};
  resize_case(INGOT_DT_FLOAT, 4, (int64_t[]){1, 4, 8, 8}, &o, 0);
  resize_case(INGOT_DT_FLOAT16, 4, (int64_t[]){2, 3, 5, 7}, &o, 0);
}

static void test_resize_nearest(void **state) {
  (void)state;
  const int64_t d[4] = {1, 2, 6, 7};
  const float half[4] = {1, 1, 0.5f, 0.5f}, up3[4] = {1, 1, 3, 1.5f};
  const int64_t sz[4] = {1, 2, 4, 11};
  static const char *const cts[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
  static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  for (int c = 0; c < 4; c++)
    for (int m = 0; m < 4; m++) {
      rs_t a = {.mode = "nearest", .ct = cts[c], .nm = nms[m], .nscales = 4, .scales = up3};
      resize_case(INGOT_DT_FLOAT, 4, d, &a, 0);
      rs_t b = {.mode = "nearest", .ct = cts[c], .nm = nms[m], .nsizes = 4, .sizes = sz};
      resize_case(INGOT_DT_INT64, 4, d, &b, 0);
    }
  rs_t dn = {.mode = "nearest", .nscales = 4, .scales = half}; /* defaults: half_pixel, round_prefer_floor */
  resize_case(INGOT_DT_UINT8, 4, d, &dn, 0);
  rs_t sym = {.mode = "nearest", .ct = "half_pixel_symmetric", .nscales = 4, .scales = up3, .opset = 19};
  resize_case(INGOT_DT_FLOAT, 4, d, &sym, 0);
}

static void test_resize_linear(void **state) {
  (void)state;
  const int64_t d[4] = {1, 3, 5, 6};
  const float up2[4] = {1, 1, 2, 2}, down[4] = {1, 1, 0.6f, 0.5f}, mix[4] = {1, 1, 1.7f, 0.8f};
  const int64_t sz[4] = {1, 3, 9, 4};
  static const char *const cts[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
  for (int c = 0; c < 4; c++) {
    rs_t a = {.mode = "linear", .ct = cts[c], .nscales = 4, .scales = up2};
    resize_case(INGOT_DT_FLOAT, 4, d, &a, 1e-6);
    rs_t b = {.mode = "linear", .ct = cts[c], .nscales = 4, .scales = down};
    resize_case(INGOT_DT_FLOAT, 4, d, &b, 1e-6);
    rs_t e = {.mode = "linear", .ct = cts[c], .nscales = 4, .scales = mix};
    resize_case(INGOT_DT_FLOAT, 4, d, &e, 1e-6);
    rs_t f = {.mode = "linear", .ct = cts[c], .nsizes = 4, .sizes = sz};
    resize_case(INGOT_DT_FLOAT, 4, d, &f, 1e-6);
    /* integers blend in double exactly as the evaluator: exact */
    resize_case(INGOT_DT_INT64, 4, d, &f, 0);
    resize_case(INGOT_DT_UINT8, 4, d, &a, 0);
  }
  rs_t sym = {.mode = "linear", .ct = "half_pixel_symmetric", .nscales = 4, .scales = mix, .opset = 19};
  resize_case(INGOT_DT_FLOAT, 4, d, &sym, 1e-6);
  rs_t h = {.mode = "linear", .nscales = 4, .scales = up2};
  resize_case(INGOT_DT_FLOAT16, 4, d, &h, 1e-3);
  resize_case(INGOT_DT_BFLOAT16, 4, d, &h, 1e-2);
  resize_case(INGOT_DT_DOUBLE, 4, d, &h, 1e-12);
  /* trilinear on a 5-D volume, every axis resized */
  const float s5[5] = {1, 2, 1.5f, 0.5f, 2};
  rs_t t = {.mode = "linear", .nscales = 5, .scales = s5};
  resize_case(INGOT_DT_FLOAT, 5, (int64_t[]){2, 2, 3, 4, 3}, &t, 1e-6);
}

/* tf_crop_and_resize is rejected by the verifier, so it is not tested here. */
static void test_resize_axes(void **state) {
  (void)state;
  const int64_t d[4] = {1, 2, 5, 6};
  /* axes + keep_aspect_ratio_policy (opset 18) */
  const int64_t ax[2] = {-2, -1}, sz[2] = {8, 9};
  rs_t c = {.mode = "nearest", .policy = "not_larger", .nsizes = 2, .sizes = sz, .naxes = 2, .axes = ax, .opset = 18};
  resize_case(INGOT_DT_FLOAT, 4, d, &c, 0);
  rs_t e = {.mode = "linear", .policy = "not_smaller", .nsizes = 2, .sizes = sz, .naxes = 2, .axes = ax, .opset = 18};
  resize_case(INGOT_DT_FLOAT, 4, d, &e, 1e-6);
  const float s2[2] = {2, 3};
  rs_t f = {.mode = "linear", .ct = "align_corners", .nscales = 2, .scales = s2, .naxes = 2, .axes = (int64_t[]){3, 1},
            .opset = 18};
  resize_case(INGOT_DT_FLOAT, 4, d, &f, 1e-6);
}

/* ---- Trilu ------------------------------------------------------------------------------------- */

static void trilu_case(int dtype, int r, const int64_t *dims, int upper, const int64_t *kv) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", dtype, r, dims);
  int32_t kk = kv ? cgt_const(g, "k", INGOT_DT_INT64, 0, NULL, kv) : -1;
  int32_t n = cgt_node(g, INGOT_OP_TRILU, kv ? 2 : 1, (int32_t[]){x, kk}, "y");
  if (upper >= 0) cgt_attr_i(g, n, "upper", upper);
  cgt_output(g, "y");
  ingot_tensor_t in[1] = {tens(dtype, r, dims, 23)};
  check(g, in, 1, 0);
}

static void test_trilu(void **state) {
  (void)state;
  trilu_case(INGOT_DT_FLOAT, 2, (int64_t[]){3, 4}, -1, NULL);
  trilu_case(INGOT_DT_FLOAT, 3, (int64_t[]){2, 4, 3}, 0, (int64_t[]){-1});
  trilu_case(INGOT_DT_INT64, 2, (int64_t[]){5, 5}, 1, (int64_t[]){2});
  trilu_case(INGOT_DT_FLOAT16, 3, (int64_t[]){2, 3, 6}, 0, (int64_t[]){10});
  trilu_case(INGOT_DT_BOOL, 2, (int64_t[]){4, 3}, 1, (int64_t[]){-10});
  trilu_case(INGOT_DT_FLOAT, 2, (int64_t[]){4, 3}, 1, (int64_t[]){INT64_MAX});
  trilu_case(INGOT_DT_FLOAT, 2, (int64_t[]){4, 3}, 0, (int64_t[]){INT64_MIN});
  trilu_case(INGOT_DT_FLOAT, 2, (int64_t[]){1, 9000}, 1, (int64_t[]){100}); /* one long row in blocks */
}

int main(int argc, char **argv) {
  if (argc > 1) cmocka_set_test_filter(argv[1]); /* e.g. test_resize* */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copy_reshape),
      cmocka_unit_test(test_copy_flatten_squeeze),
      cmocka_unit_test(test_transpose),
      cmocka_unit_test(test_dit_unpatchify),
      cmocka_unit_test(test_concat),
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_slice),
      cmocka_unit_test(test_gather_embedding),
      cmocka_unit_test(test_gather),
      cmocka_unit_test(test_gather_clamps),
      cmocka_unit_test(test_gather_elements),
      cmocka_unit_test(test_scatter_nd),
      cmocka_unit_test(test_scatter_nd_narrow_floats),
      cmocka_unit_test(test_expand),
      cmocka_unit_test(test_tile),
      cmocka_unit_test(test_pad),
      cmocka_unit_test(test_resize_unet_nearest),
      cmocka_unit_test(test_resize_nearest),
      cmocka_unit_test(test_resize_linear),
      cmocka_unit_test(test_resize_axes),
      cmocka_unit_test(test_trilu),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
