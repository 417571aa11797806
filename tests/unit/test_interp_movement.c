/* Unit tests for the evaluator's data-movement, shape, Einsum, Resize and
 * control-flow kernels (interp/k_shape.c, k_movement.c, k_einsum.c,
 * k_resize.c, k_control.c).
 *
 * The kernels are called directly (no run loop): each test builds a one-node
 * graph for the attributes and the error messages, hands the kernel borrowed
 * input tensors and checks what it allocates.  Expected values were worked
 * out by hand or with numpy/torch (/usr/bin/python3) and pasted here; tests
 * that follow a pure index formula (transposes, permuting einsums) check the
 * formula element by element. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

/* ---- harness ----------------------------------------------------------------- */

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define FV(...) ((const float[]){__VA_ARGS__})
#define IV(...) ((const int64_t[]){__VA_ARGS__})
#define I32V(...) ((const int32_t[]){__VA_ARGS__})
#define NF(...) (sizeof(FV(__VA_ARGS__)) / sizeof(float))
#define NI(...) (sizeof(IV(__VA_ARGS__)) / sizeof(int64_t))

#define MAXOUT 8

typedef struct {
  ingot_graph_t *g;
  ingot_kctx_t k;
  ingot_tensor_t out[MAXOUT];
} fx_t;

static void ok(ingot_status_t st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s\n", ingot_status_message(st));
    ingot_status_free(st);
    fail();
  }
}

static void fx(fx_t *f, ingot_op_t op, uint32_t nin, uint32_t nout, int64_t opset) {
  memset(f, 0, sizeof *f);
  ok(ingot_graph_create("test.onnx", &f->g));
  f->g->opset = opset;
  int32_t node;
  ok(ingot_graph_add_node(f->g, op, "n0", nin, nout, &node));
  f->k.g = f->g;
  f->k.node = node;
  f->k.n = &f->g->nodes[node];
  f->k.threads = 1;
}

static void fx_free(fx_t *f) {
  for (int i = 0; i < MAXOUT; i++) ingot_tensor_release(&f->out[i]);
  ingot_graph_free(f->g);
}

static ingot_attr_t *add_attr(fx_t *f, const char *name, int type) {
  ingot_node_t *n = &f->g->nodes[f->k.node];
  ingot_attr_t *a = ingot_arena_calloc(f->g->arena, n->nattrs + 1, sizeof *a);
  assert_non_null(a);
  if (n->nattrs) memcpy(a, n->attrs, n->nattrs * sizeof *a);
  n->attrs = a;
  ingot_attr_t *r = &a[n->nattrs++];
  r->name = ingot_arena_strdup(f->g->arena, name);
  r->type = type;
  return r;
}
static void a_i(fx_t *f, const char *name, int64_t v) { add_attr(f, name, INGOT_ATTR_INT)->i = v; }
static void a_f(fx_t *f, const char *name, float v) { add_attr(f, name, INGOT_ATTR_FLOAT)->f = v; }
static void a_s(fx_t *f, const char *name, const char *v) {
  ingot_attr_t *a = add_attr(f, name, INGOT_ATTR_STRING);
  a->s = ingot_arena_strdup(f->g->arena, v);
  a->slen = strlen(v);
}
static void a_ints(fx_t *f, const char *name, size_t n, const int64_t *v) {
  ingot_attr_t *a = add_attr(f, name, INGOT_ATTR_INTS);
  a->n = n;
  a->ints = ingot_arena_calloc(f->g->arena, n ? n : 1, sizeof(int64_t));
  if (n) memcpy(a->ints, v, n * sizeof *v);
}
static void a_floats(fx_t *f, const char *name, size_t n, const float *v) {
  ingot_attr_t *a = add_attr(f, name, INGOT_ATTR_FLOATS);
  a->n = n;
  a->floats = ingot_arena_calloc(f->g->arena, n ? n : 1, sizeof(float));
  if (n) memcpy(a->floats, v, n * sizeof *v);
}
static void a_t(fx_t *f, const char *name, int dtype, int rank, const int64_t *dims, const void *data) {
  ingot_attr_t *a = add_attr(f, name, INGOT_ATTR_TENSOR);
  a->t = ingot_arena_calloc(f->g->arena, 1, sizeof *a->t);
  a->t->dtype = dtype;
  a->t->rank = rank;
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= (a->t->dims[i] = dims[i]);
  a->t->nbytes = (size_t)n * ingot_dtype_size(dtype);
  a->t->data = ingot_arena_alloc(f->g->arena, a->t->nbytes ? a->t->nbytes : 1);
  if (a->t->nbytes) memcpy(a->t->data, data, a->t->nbytes);
}
#define A_INTS(f, name, ...) a_ints(f, name, NI(__VA_ARGS__), IV(__VA_ARGS__))

/* A borrowed tensor over data. */
static ingot_tensor_t T(int dtype, int rank, const int64_t *dims, const void *data) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  return ingot_tensor_view(dtype, rank, dims, (void *)data, (size_t)n * ingot_dtype_size(dtype));
}
#define TF(rank, dims, ...) T(INGOT_DT_FLOAT, rank, dims, FV(__VA_ARGS__))
#define TI(rank, dims, ...) T(INGOT_DT_INT64, rank, dims, IV(__VA_ARGS__))
/* 1-D int64 tensor of the listed values */
#define VI(...) T(INGOT_DT_INT64, 1, D((int64_t)NI(__VA_ARGS__)), IV(__VA_ARGS__))
#define SI(v) T(INGOT_DT_INT64, 0, NULL, IV(v))

static ingot_status_t call(fx_t *f, ingot_kernel_fn fn, const ingot_tensor_t *const *in, uint32_t nin,
                           uint32_t nout) {
  return fn(&f->k, in, nin, f->out, nout);
}
#define ARGS(...) (const ingot_tensor_t *const[]){__VA_ARGS__}, \
  (uint32_t)(sizeof((const ingot_tensor_t *const[]){__VA_ARGS__}) / sizeof(const ingot_tensor_t *))
#define RUN(f, OP, nout, ...) call(f, ingot_kernel_##OP, ARGS(__VA_ARGS__), nout)

/* The error has the code, mentions what, and names the file and node. */
static void err(ingot_status_t st, ingot_code_t code, const char *what) {
  assert_non_null(st);
  const char *m = ingot_status_message(st);
  if (ingot_status_code(st) != code || !strstr(m, "test.onnx: node 'n0'") || (what && !strstr(m, what))) {
    fprintf(stderr, "unexpected error (code %d, want %d, '%s'): %s\n", ingot_status_code(st), code,
            what ? what : "", m);
    ingot_status_free(st);
    fail();
  }
  ingot_status_free(st);
}

static void shape_is(const ingot_tensor_t *t, int dtype, int rank, const int64_t *dims) {
  assert_int_equal(t->dtype, dtype);
  assert_int_equal(t->rank, rank);
  for (int i = 0; i < rank; i++) assert_int_equal(t->dims[i], dims[i]);
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  assert_int_equal(t->nbytes, (size_t)n * ingot_dtype_size(dtype));
  assert_true(t->owned);
}

static void f32_is(const ingot_tensor_t *t, const float *v, size_t n, double tol) {
  assert_int_equal(t->dtype, INGOT_DT_FLOAT);
  assert_int_equal(ingot_tensor_numel(t), (int64_t)n);
  for (size_t i = 0; i < n; i++) {
    double got = ((const float *)t->data)[i];
    if (!(fabs(got - v[i]) <= tol)) {
      fprintf(stderr, "element %zu: got %.9g, want %.9g\n", i, got, (double)v[i]);
      fail();
    }
  }
}
static void i64_is(const ingot_tensor_t *t, const int64_t *v, size_t n) {
  assert_int_equal(t->dtype, INGOT_DT_INT64);
  assert_int_equal(ingot_tensor_numel(t), (int64_t)n);
  for (size_t i = 0; i < n; i++) {
    if (((const int64_t *)t->data)[i] != v[i]) {
      fprintf(stderr, "element %zu: got %lld, want %lld\n", i, (long long)((const int64_t *)t->data)[i],
              (long long)v[i]);
      fail();
    }
  }
}
#define EXPECT_F(t, ...) f32_is(t, FV(__VA_ARGS__), NF(__VA_ARGS__), 1e-6)
#define EXPECT_FT(t, tol, ...) f32_is(t, FV(__VA_ARGS__), NF(__VA_ARGS__), tol)
#define EXPECT_I(t, ...) i64_is(t, IV(__VA_ARGS__), NI(__VA_ARGS__))

static float *iota(float *buf, int n) {
  for (int i = 0; i < n; i++) buf[i] = (float)i;
  return buf;
}

/* ---- Reshape ------------------------------------------------------------------ */

static void test_reshape(void **state) {
  (void)state;
  fx_t f;
  float x[24];
  iota(x, 24);
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 3, D(2, 3, 4), x), s;

  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  s = VI(4, -1);
  ok(RUN(&f, RESHAPE, 1, &t, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(4, 6));
  f32_is(&f.out[0], x, 24, 0);
  assert_ptr_not_equal(f.out[0].data, x); /* a copy, not an alias */
  fx_free(&f);

  /* 0 copies the input dim; int32 shape tensors are accepted too */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  s = T(INGOT_DT_INT32, 1, D(3), I32V(0, -1, 2));
  ok(RUN(&f, RESHAPE, 1, &t, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(2, 6, 2));
  fx_free(&f);

  /* to and from a scalar */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  ingot_tensor_t one = TF(2, D(1, 1), 7.5f);
  s = T(INGOT_DT_INT64, 1, D(0), NULL);
  ok(RUN(&f, RESHAPE, 1, &one, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 7.5f);
  fx_free(&f);

  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  ingot_tensor_t sc = TF(0, NULL, 3.0f);
  s = VI(-1);
  ok(RUN(&f, RESHAPE, 1, &sc, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(1));
  fx_free(&f);
}

static void test_reshape_zero_and_errors(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t empty = T(INGOT_DT_FLOAT, 2, D(0, 4), NULL), s;

  /* allowzero = 0: shape [0, 4] copies dim 0 -> [0, 4] */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  s = VI(0, 4);
  ok(RUN(&f, RESHAPE, 1, &empty, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(0, 4));
  fx_free(&f);

  /* allowzero = 1: a literal 0 dim */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  a_i(&f, "allowzero", 1);
  s = VI(4, 0, 3);
  ok(RUN(&f, RESHAPE, 1, &empty, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(4, 0, 3));
  fx_free(&f);

  /* allowzero = 1 with both 0 and -1 is invalid */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  a_i(&f, "allowzero", 1);
  s = VI(0, -1);
  err(RUN(&f, RESHAPE, 1, &empty, &s), INGOT_CODE_INPUT, "-1");
  fx_free(&f);

  /* -1 next to a 0 dim cannot be inferred */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  s = VI(0, -1);
  err(RUN(&f, RESHAPE, 1, &empty, &s), INGOT_CODE_INPUT, "infer");
  fx_free(&f);

  float x[6] = {0};
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 2, D(2, 3), x);
  static const int64_t bad[][3] = {{-1, -1, 0}, {4, 2, 1}, {-2, 3, 1}, {1, 1, 0}, {4, -1, 1}};
  static const int64_t nbad[] = {2, 2, 2, 3, 2};
  static const char *const msg[] = {"more than one -1", "6 elements", "invalid", "rank", "multiple"};
  for (int i = 0; i < 5; i++) {
    fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
    s = T(INGOT_DT_INT64, 1, D(nbad[i]), bad[i]);
    err(RUN(&f, RESHAPE, 1, &t, &s), INGOT_CODE_INPUT, msg[i]);
    fx_free(&f);
  }
  /* float shape tensors are rejected */
  fx(&f, INGOT_OP_RESHAPE, 2, 1, 17);
  s = TF(1, D(1), 6.0f);
  err(RUN(&f, RESHAPE, 1, &t, &s), INGOT_CODE_INPUT, "int64");
  fx_free(&f);
}

/* ---- Flatten / Unsqueeze / Squeeze --------------------------------------------------- */

static void test_flatten(void **state) {
  (void)state;
  fx_t f;
  float x[24];
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 4, D(2, 3, 2, 2), iota(x, 24));
  static const int64_t axis[] = {0, 1, -1, 4, -4};
  static const int64_t want[][2] = {{1, 24}, {2, 12}, {12, 2}, {24, 1}, {1, 24}};
  for (int i = 0; i < 5; i++) {
    fx(&f, INGOT_OP_FLATTEN, 1, 1, 17);
    a_i(&f, "axis", axis[i]);
    ok(RUN(&f, FLATTEN, 1, &t));
    shape_is(&f.out[0], INGOT_DT_FLOAT, 2, want[i]);
    f32_is(&f.out[0], x, 24, 0);
    fx_free(&f);
  }
  fx(&f, INGOT_OP_FLATTEN, 1, 1, 17); /* default axis 1 */
  ok(RUN(&f, FLATTEN, 1, &t));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 12));
  fx_free(&f);
  fx(&f, INGOT_OP_FLATTEN, 1, 1, 17);
  ingot_tensor_t sc = TF(0, NULL, 1.0f);
  a_i(&f, "axis", 0);
  ok(RUN(&f, FLATTEN, 1, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(1, 1));
  fx_free(&f);
  fx(&f, INGOT_OP_FLATTEN, 1, 1, 17);
  a_i(&f, "axis", 5);
  err(RUN(&f, FLATTEN, 1, &t), INGOT_CODE_INPUT, "axis 5");
  fx_free(&f);
}

static void test_unsqueeze(void **state) {
  (void)state;
  fx_t f;
  float x[12];
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 2, D(3, 4), iota(x, 12)), a;

  fx(&f, INGOT_OP_UNSQUEEZE, 2, 1, 13);
  a = VI(-1, 0);
  ok(RUN(&f, UNSQUEEZE, 1, &t, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 4, 1));
  f32_is(&f.out[0], x, 12, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_UNSQUEEZE, 2, 1, 13);
  a = VI(1, 3);
  ok(RUN(&f, UNSQUEEZE, 1, &t, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(3, 1, 4, 1));
  fx_free(&f);

  /* scalar -> [1] (the timestep embedding does this) */
  fx(&f, INGOT_OP_UNSQUEEZE, 2, 1, 17);
  ingot_tensor_t sc = TF(0, NULL, 2.5f);
  a = VI(0);
  ok(RUN(&f, UNSQUEEZE, 1, &sc, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(1));
  EXPECT_F(&f.out[0], 2.5f);
  fx_free(&f);

  /* opset 11: axes as an attribute */
  fx(&f, INGOT_OP_UNSQUEEZE, 1, 1, 11);
  A_INTS(&f, "axes", 0);
  ok(RUN(&f, UNSQUEEZE, 1, &t));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(1, 3, 4));
  fx_free(&f);

  fx(&f, INGOT_OP_UNSQUEEZE, 2, 1, 13);
  a = VI(0, -4);
  err(RUN(&f, UNSQUEEZE, 1, &t, &a), INGOT_CODE_INPUT, "repeated");
  fx_free(&f);
  fx(&f, INGOT_OP_UNSQUEEZE, 2, 1, 13);
  a = VI(3);
  err(RUN(&f, UNSQUEEZE, 1, &t, &a), INGOT_CODE_INPUT, "out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_UNSQUEEZE, 2, 1, 13);
  ingot_tensor_t big = T(INGOT_DT_FLOAT, 8, D(1, 1, 1, 1, 1, 1, 1, 1), x);
  a = VI(0);
  err(RUN(&f, UNSQUEEZE, 1, &big, &a), INGOT_CODE_UNSUPPORTED, "rank 9");
  fx_free(&f);
  fx(&f, INGOT_OP_UNSQUEEZE, 1, 1, 13);
  err(RUN(&f, UNSQUEEZE, 1, &t), INGOT_CODE_INPUT, "axes");
  fx_free(&f);
}

static void test_squeeze(void **state) {
  (void)state;
  fx_t f;
  float x[3] = {1, 2, 3};
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 4, D(1, 3, 1, 1), x), a;

  fx(&f, INGOT_OP_SQUEEZE, 2, 1, 13);
  a = VI(0, -1);
  ok(RUN(&f, SQUEEZE, 1, &t, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 1));
  EXPECT_F(&f.out[0], 1, 2, 3);
  fx_free(&f);

  fx(&f, INGOT_OP_SQUEEZE, 1, 1, 13); /* no axes: every 1 goes */
  ok(RUN(&f, SQUEEZE, 1, &t));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(3));
  fx_free(&f);

  fx(&f, INGOT_OP_SQUEEZE, 2, 1, 13); /* an empty axes tensor squeezes nothing */
  a = T(INGOT_DT_INT64, 1, D(0), NULL);
  ok(RUN(&f, SQUEEZE, 1, &t, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 1, 1));
  fx_free(&f);

  fx(&f, INGOT_OP_SQUEEZE, 1, 1, 11); /* attribute axes before opset 13 */
  A_INTS(&f, "axes", 2);
  ok(RUN(&f, SQUEEZE, 1, &t));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(1, 3, 1));
  fx_free(&f);

  fx(&f, INGOT_OP_SQUEEZE, 1, 1, 13); /* [1] -> scalar */
  ingot_tensor_t one = TF(1, D(1), 4.0f);
  ok(RUN(&f, SQUEEZE, 1, &one));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 4.0f);
  fx_free(&f);

  fx(&f, INGOT_OP_SQUEEZE, 2, 1, 13);
  a = VI(1);
  err(RUN(&f, SQUEEZE, 1, &t, &a), INGOT_CODE_INPUT, "size 3");
  fx_free(&f);
  fx(&f, INGOT_OP_SQUEEZE, 2, 1, 13);
  a = VI(4);
  err(RUN(&f, SQUEEZE, 1, &t, &a), INGOT_CODE_INPUT, "out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_SQUEEZE, 2, 1, 13);
  a = VI(0, -4);
  err(RUN(&f, SQUEEZE, 1, &t, &a), INGOT_CODE_INPUT, "repeated");
  fx_free(&f);
}

/* ---- Shape / Size / Range ------------------------------------------------------------ */

static void test_shape_size(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 4, D(2, 3, 4, 5), NULL); /* Shape never reads data */
  struct {
    bool has_s, has_e;
    int64_t s, e;
    int64_t n, v[4];
  } cases[] = {
      {false, false, 0, 0, 4, {2, 3, 4, 5}}, {true, true, 1, -1, 2, {3, 4}}, {true, false, -10, 0, 4, {2, 3, 4, 5}},
      {true, true, 3, 1, 0, {0}},            {false, true, 0, 100, 4, {2, 3, 4, 5}}, {true, false, -1, 0, 1, {5}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    fx(&f, INGOT_OP_SHAPE, 1, 1, 15);
    if (cases[i].has_s) a_i(&f, "start", cases[i].s);
    if (cases[i].has_e) a_i(&f, "end", cases[i].e);
    ok(RUN(&f, SHAPE, 1, &t));
    shape_is(&f.out[0], INGOT_DT_INT64, 1, D(cases[i].n));
    i64_is(&f.out[0], cases[i].v, (size_t)cases[i].n);
    fx_free(&f);
  }
  fx(&f, INGOT_OP_SHAPE, 1, 1, 15);
  ingot_tensor_t sc = TF(0, NULL, 1.0f);
  ok(RUN(&f, SHAPE, 1, &sc));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(0));
  fx_free(&f);

  fx(&f, INGOT_OP_SIZE, 1, 1, 17);
  ok(RUN(&f, SIZE, 1, &t));
  shape_is(&f.out[0], INGOT_DT_INT64, 0, NULL);
  EXPECT_I(&f.out[0], 120);
  fx_free(&f);
  fx(&f, INGOT_OP_SIZE, 1, 1, 17);
  ok(RUN(&f, SIZE, 1, &sc));
  EXPECT_I(&f.out[0], 1);
  fx_free(&f);
  fx(&f, INGOT_OP_SIZE, 1, 1, 17);
  ingot_tensor_t e = T(INGOT_DT_FLOAT, 2, D(3, 0), NULL);
  ok(RUN(&f, SIZE, 1, &e));
  EXPECT_I(&f.out[0], 0);
  fx_free(&f);
}

static void test_range(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t a, b, c;

  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = SI(0), b = SI(10), c = SI(3);
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(4));
  EXPECT_I(&f.out[0], 0, 3, 6, 9);
  fx_free(&f);

  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = SI(10), b = SI(0), c = SI(-3);
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  EXPECT_I(&f.out[0], 10, 7, 4, 1);
  fx_free(&f);

  fx(&f, INGOT_OP_RANGE, 3, 1, 17); /* limit before start: empty */
  a = SI(5), b = SI(1), c = SI(1);
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(0));
  fx_free(&f);

  /* the full int64 span: ceil((2^64-1) / (2^63-1)) = 3 elements, no overflow */
  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = SI(INT64_MIN), b = SI(INT64_MAX), c = SI(INT64_MAX);
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  EXPECT_I(&f.out[0], INT64_MIN, -1, INT64_MAX - 1);
  fx_free(&f);

  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = T(INGOT_DT_INT32, 0, NULL, I32V(-2)), b = T(INGOT_DT_INT32, 0, NULL, I32V(3)),
  c = T(INGOT_DT_INT32, 0, NULL, I32V(2));
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  shape_is(&f.out[0], INGOT_DT_INT32, 1, D(3));
  assert_memory_equal(f.out[0].data, I32V(-2, 0, 2), 12);
  fx_free(&f);

  fx(&f, INGOT_OP_RANGE, 3, 1, 17); /* numpy.arange(0, 1, 0.25, float32) */
  a = TF(0, NULL, 0.0f), b = TF(0, NULL, 1.0f), c = TF(0, NULL, 0.25f);
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(4));
  EXPECT_F(&f.out[0], 0, 0.25f, 0.5f, 0.75f);
  fx_free(&f);

  fx(&f, INGOT_OP_RANGE, 3, 1, 17); /* ceil(2.5 / -1) -> 3 */
  a = TF(0, NULL, 1.0f), b = TF(0, NULL, -1.5f), c = TF(0, NULL, -1.0f);
  ok(RUN(&f, RANGE, 1, &a, &b, &c));
  EXPECT_F(&f.out[0], 1, 0, -1);
  fx_free(&f);

  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = SI(0), b = SI(10), c = SI(0);
  err(RUN(&f, RANGE, 1, &a, &b, &c), INGOT_CODE_INPUT, "delta is 0");
  fx_free(&f);
  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = TF(0, NULL, 0.0f), b = TF(0, NULL, 1.0f), c = TF(0, NULL, 0.0f);
  err(RUN(&f, RANGE, 1, &a, &b, &c), INGOT_CODE_INPUT, "delta is 0");
  fx_free(&f);
  fx(&f, INGOT_OP_RANGE, 3, 1, 17); /* 1e18 elements: refused by the size limit */
  a = SI(0), b = SI(1000000000000000000), c = SI(1);
  err(RUN(&f, RANGE, 1, &a, &b, &c), INGOT_CODE_INPUT, "bytes");
  fx_free(&f);
  fx(&f, INGOT_OP_RANGE, 3, 1, 17); /* tiny float delta */
  a = TF(0, NULL, 0.0f), b = TF(0, NULL, 1e30f), c = TF(0, NULL, 1e-30f);
  err(RUN(&f, RANGE, 1, &a, &b, &c), INGOT_CODE_INPUT, "too many");
  fx_free(&f);
  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = SI(0), b = TF(0, NULL, 1.0f), c = SI(1);
  err(RUN(&f, RANGE, 1, &a, &b, &c), INGOT_CODE_INPUT, "dtypes");
  fx_free(&f);
  fx(&f, INGOT_OP_RANGE, 3, 1, 17);
  a = VI(0, 1), b = SI(4), c = SI(1);
  err(RUN(&f, RANGE, 1, &a, &b, &c), INGOT_CODE_INPUT, "scalar");
  fx_free(&f);
}

/* ---- Constant / ConstantOfShape ---------------------------------------------------------- */

static void test_constant(void **state) {
  (void)state;
  fx_t f;
  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_t(&f, "value", INGOT_DT_FLOAT, 2, D(2, 2), FV(1, 2, 3, 4));
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 2));
  EXPECT_F(&f.out[0], 1, 2, 3, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17); /* float16 is widened to float32 (interp.h contract) */
  a_t(&f, "value", INGOT_DT_FLOAT16, 1, D(3), ((const uint16_t[]){0x3c00, 0xc000, 0x3800}));
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(3));
  EXPECT_F(&f.out[0], 1.0f, -2.0f, 0.5f);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_t(&f, "value", INGOT_DT_INT64, 0, NULL, IV(-7));
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_INT64, 0, NULL);
  EXPECT_I(&f.out[0], -7);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17); /* an empty tensor */
  a_t(&f, "value", INGOT_DT_INT64, 1, D(0), NULL);
  f.k.n->attrs[0].t->data = NULL;
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(0));
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_f(&f, "value_float", 1.25f);
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 1.25f);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_floats(&f, "value_floats", 2, FV(0.5f, -1));
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(2));
  EXPECT_F(&f.out[0], 0.5f, -1);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_i(&f, "value_int", 42);
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_INT64, 0, NULL);
  EXPECT_I(&f.out[0], 42);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  A_INTS(&f, "value_ints", 3, -1, 0);
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(3));
  EXPECT_I(&f.out[0], 3, -1, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_ints(&f, "value_ints", 0, NULL);
  ok(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(0));
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_s(&f, "value_string", "hello");
  err(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1), INGOT_CODE_UNSUPPORTED, "value_string");
  fx_free(&f);
  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  err(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1), INGOT_CODE_INPUT, "no value");
  fx_free(&f);
  fx(&f, INGOT_OP_CONSTANT, 0, 1, 17);
  a_i(&f, "value_int", 1);
  a_f(&f, "value_float", 1);
  err(call(&f, ingot_kernel_CONSTANT, NULL, 0, 1), INGOT_CODE_INPUT, "both");
  fx_free(&f);
}

static void test_constant_of_shape(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t s;
  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17);
  s = VI(2, 3);
  ok(RUN(&f, CONSTANT_OF_SHAPE, 1, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 3));
  EXPECT_F(&f.out[0], 0, 0, 0, 0, 0, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17);
  a_t(&f, "value", INGOT_DT_INT64, 1, D(1), IV(7));
  s = VI(3);
  ok(RUN(&f, CONSTANT_OF_SHAPE, 1, &s));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(3));
  EXPECT_I(&f.out[0], 7, 7, 7);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17); /* empty shape: a scalar */
  a_t(&f, "value", INGOT_DT_FLOAT, 1, D(1), FV(2.5f));
  s = T(INGOT_DT_INT64, 1, D(0), NULL);
  ok(RUN(&f, CONSTANT_OF_SHAPE, 1, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 2.5f);
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17); /* zero-size output */
  s = VI(4, 0);
  ok(RUN(&f, CONSTANT_OF_SHAPE, 1, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(4, 0));
  fx_free(&f);

  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17); /* hostile: 1e12 elements */
  s = VI(1000000000000);
  err(RUN(&f, CONSTANT_OF_SHAPE, 1, &s), INGOT_CODE_INPUT, "bytes");
  fx_free(&f);
  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17); /* product overflows int64 */
  s = VI(INT64_MAX, INT64_MAX, 4);
  err(RUN(&f, CONSTANT_OF_SHAPE, 1, &s), INGOT_CODE_INPUT, "bytes");
  fx_free(&f);
  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17);
  s = VI(2, -1);
  err(RUN(&f, CONSTANT_OF_SHAPE, 1, &s), INGOT_CODE_INPUT, "negative");
  fx_free(&f);
  fx(&f, INGOT_OP_CONSTANT_OF_SHAPE, 1, 1, 17);
  a_t(&f, "value", INGOT_DT_FLOAT, 1, D(2), FV(1, 2));
  s = VI(2);
  err(RUN(&f, CONSTANT_OF_SHAPE, 1, &s), INGOT_CODE_INPUT, "one element");
  fx_free(&f);
}

/* ---- Transpose ------------------------------------------------------------------------ */

static void check_perm(const int64_t *perm, int r, const int64_t *dims) {
  fx_t f;
  float x[720];
  int64_t n = 1;
  for (int d = 0; d < r; d++) n *= dims[d];
  ingot_tensor_t t = T(INGOT_DT_FLOAT, r, dims, iota(x, (int)n));
  fx(&f, INGOT_OP_TRANSPOSE, 1, 1, 17);
  if (perm) a_ints(&f, "perm", (size_t)r, perm);
  ok(RUN(&f, TRANSPOSE, 1, &t));
  int64_t p[INGOT_MAX_RANK], odims[INGOT_MAX_RANK], xs[INGOT_MAX_RANK], acc = 1;
  for (int d = 0; d < r; d++) p[d] = perm ? perm[d] : r - 1 - d;
  for (int d = r - 1; d >= 0; d--) xs[d] = acc, acc *= dims[d];
  for (int d = 0; d < r; d++) odims[d] = dims[p[d]];
  shape_is(&f.out[0], INGOT_DT_FLOAT, r, odims);
  /* out[i0..] = x[...] with x's axis p[d] at index i_d */
  for (int64_t o = 0; o < n; o++) {
    int64_t rem = o, off = 0;
    for (int d = r - 1; d >= 0; d--) {
      off += (rem % odims[d]) * xs[p[d]];
      rem /= odims[d];
    }
    assert_true(((float *)f.out[0].data)[o] == x[off]);
  }
  fx_free(&f);
}

static void test_transpose(void **state) {
  (void)state;
  check_perm(NULL, 3, D(2, 3, 4));
  check_perm(D(0, 2, 1), 3, D(2, 3, 4));
  check_perm(D(0, 2, 1, 3), 4, D(2, 3, 4, 5));
  check_perm(D(0, 1, 3, 2), 4, D(2, 3, 4, 5));
  check_perm(D(0, 2, 3, 1), 4, D(2, 3, 4, 5));
  check_perm(D(2, 0, 3, 1, 4), 5, D(2, 3, 2, 5, 3));
  check_perm(NULL, 0, NULL);

  fx_t f; /* hand-checked 2x3 */
  ingot_tensor_t t = TF(2, D(2, 3), 1, 2, 3, 4, 5, 6);
  fx(&f, INGOT_OP_TRANSPOSE, 1, 1, 17);
  ok(RUN(&f, TRANSPOSE, 1, &t));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 2));
  EXPECT_F(&f.out[0], 1, 4, 2, 5, 3, 6);
  fx_free(&f);

  ingot_tensor_t e = T(INGOT_DT_INT64, 3, D(2, 0, 3), NULL);
  fx(&f, INGOT_OP_TRANSPOSE, 1, 1, 17);
  A_INTS(&f, "perm", 1, 2, 0);
  ok(RUN(&f, TRANSPOSE, 1, &e));
  shape_is(&f.out[0], INGOT_DT_INT64, 3, D(0, 3, 2));
  fx_free(&f);

  fx(&f, INGOT_OP_TRANSPOSE, 1, 1, 17);
  A_INTS(&f, "perm", 0, 0);
  err(RUN(&f, TRANSPOSE, 1, &t), INGOT_CODE_INPUT, "permutation");
  fx_free(&f);
  fx(&f, INGOT_OP_TRANSPOSE, 1, 1, 17);
  A_INTS(&f, "perm", 0, 1, 2);
  err(RUN(&f, TRANSPOSE, 1, &t), INGOT_CODE_INPUT, "perm has 3");
  fx_free(&f);
  fx(&f, INGOT_OP_TRANSPOSE, 1, 1, 17);
  A_INTS(&f, "perm", -1, 0);
  err(RUN(&f, TRANSPOSE, 1, &t), INGOT_CODE_INPUT, "permutation");
  fx_free(&f);
}

/* ---- Concat / Split --------------------------------------------------------------------- */

static void test_concat(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t a = TF(2, D(2, 2), 1, 2, 3, 4), b = TF(2, D(2, 3), 5, 6, 7, 8, 9, 10);
  ingot_tensor_t e = T(INGOT_DT_FLOAT, 2, D(2, 0), NULL);
  fx(&f, INGOT_OP_CONCAT, 3, 1, 17);
  a_i(&f, "axis", -1);
  ok(RUN(&f, CONCAT, 1, &a, &e, &b));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 5));
  EXPECT_F(&f.out[0], 1, 2, 5, 6, 7, 3, 4, 8, 9, 10);
  fx_free(&f);

  fx(&f, INGOT_OP_CONCAT, 2, 1, 17);
  a_i(&f, "axis", 0);
  ingot_tensor_t c = TF(2, D(1, 2), 9, 8);
  ok(RUN(&f, CONCAT, 1, &a, &c));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 2));
  EXPECT_F(&f.out[0], 1, 2, 3, 4, 9, 8);
  fx_free(&f);

  fx(&f, INGOT_OP_CONCAT, 3, 1, 17); /* int64 shape pieces, as torch's shape subgraphs */
  a_i(&f, "axis", 0);
  ingot_tensor_t s1 = VI(2), s2 = VI(-1), s3 = VI(64, 3);
  ok(RUN(&f, CONCAT, 1, &s1, &s2, &s3));
  EXPECT_I(&f.out[0], 2, -1, 64, 3);
  fx_free(&f);

  fx(&f, INGOT_OP_CONCAT, 2, 1, 17);
  a_i(&f, "axis", 0);
  err(RUN(&f, CONCAT, 1, &a, &b), INGOT_CODE_INPUT, "dim 3");
  fx_free(&f);
  fx(&f, INGOT_OP_CONCAT, 2, 1, 17);
  a_i(&f, "axis", 1);
  err(RUN(&f, CONCAT, 1, &a, &s1), INGOT_CODE_INPUT, "dtype");
  fx_free(&f);
  fx(&f, INGOT_OP_CONCAT, 2, 1, 17);
  a_i(&f, "axis", 2);
  err(RUN(&f, CONCAT, 1, &a, &b), INGOT_CODE_INPUT, "axis 2");
  fx_free(&f);
  fx(&f, INGOT_OP_CONCAT, 2, 1, 17);
  ingot_tensor_t sc = TF(0, NULL, 1);
  a_i(&f, "axis", 0);
  err(RUN(&f, CONCAT, 1, &sc, &sc), INGOT_CODE_INPUT, "rank 0");
  fx_free(&f);
  fx(&f, INGOT_OP_CONCAT, 2, 1, 17);
  err(RUN(&f, CONCAT, 1, &a, &a), INGOT_CODE_INPUT, "axis");
  fx_free(&f);
}

static void test_split(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t x = TF(2, D(2, 5), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), s;

  fx(&f, INGOT_OP_SPLIT, 2, 2, 13);
  a_i(&f, "axis", -1);
  s = VI(2, 3);
  ok(RUN(&f, SPLIT, 2, &x, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 2));
  shape_is(&f.out[1], INGOT_DT_FLOAT, 2, D(2, 3));
  EXPECT_F(&f.out[0], 0, 1, 5, 6);
  EXPECT_F(&f.out[1], 2, 3, 4, 7, 8, 9);
  fx_free(&f);

  fx(&f, INGOT_OP_SPLIT, 2, 3, 13); /* a zero-size part */
  a_i(&f, "axis", 1);
  s = VI(0, 4, 1);
  ok(RUN(&f, SPLIT, 3, &x, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 0));
  EXPECT_F(&f.out[1], 0, 1, 2, 3, 5, 6, 7, 8);
  EXPECT_F(&f.out[2], 4, 9);
  fx_free(&f);

  fx(&f, INGOT_OP_SPLIT, 1, 2, 13); /* equal parts from the output count */
  ok(RUN(&f, SPLIT, 2, &x));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(1, 5));
  EXPECT_F(&f.out[1], 5, 6, 7, 8, 9);
  fx_free(&f);

  ingot_tensor_t y = TF(1, D(8), 0, 1, 2, 3, 4, 5, 6, 7);
  fx(&f, INGOT_OP_SPLIT, 1, 3, 18); /* opset 18 uneven: 3, 3, 2 */
  a_i(&f, "num_outputs", 3);
  ok(RUN(&f, SPLIT, 3, &y));
  EXPECT_F(&f.out[0], 0, 1, 2);
  EXPECT_F(&f.out[1], 3, 4, 5);
  EXPECT_F(&f.out[2], 6, 7);
  fx_free(&f);

  ingot_tensor_t z = TF(1, D(9), 0, 1, 2, 3, 4, 5, 6, 7, 8);
  fx(&f, INGOT_OP_SPLIT, 1, 4, 18); /* the ONNX reference's 9 into 4: 3, 3, 3, 0 */
  a_i(&f, "num_outputs", 4);
  ok(RUN(&f, SPLIT, 4, &z));
  shape_is(&f.out[2], INGOT_DT_FLOAT, 1, D(3));
  shape_is(&f.out[3], INGOT_DT_FLOAT, 1, D(0));
  fx_free(&f);

  ingot_tensor_t w = TF(1, D(5), 0, 1, 2, 3, 4);
  fx(&f, INGOT_OP_SPLIT, 1, 4, 18);
  a_i(&f, "num_outputs", 4);
  err(RUN(&f, SPLIT, 4, &w), INGOT_CODE_INPUT, "cannot be split");
  fx_free(&f);
  fx(&f, INGOT_OP_SPLIT, 1, 3, 13); /* before opset 18: must divide */
  err(RUN(&f, SPLIT, 3, &y), INGOT_CODE_INPUT, "equal parts");
  fx_free(&f);
  fx(&f, INGOT_OP_SPLIT, 2, 2, 13);
  s = VI(3, 3);
  err(RUN(&f, SPLIT, 2, &y, &s), INGOT_CODE_INPUT, "add up");
  fx_free(&f);
  fx(&f, INGOT_OP_SPLIT, 2, 2, 13);
  s = VI(9, -1);
  err(RUN(&f, SPLIT, 2, &y, &s), INGOT_CODE_INPUT, "negative");
  fx_free(&f);
  fx(&f, INGOT_OP_SPLIT, 2, 2, 13);
  s = VI(8);
  err(RUN(&f, SPLIT, 2, &y, &s), INGOT_CODE_INPUT, "1 entries");
  fx_free(&f);
  fx(&f, INGOT_OP_SPLIT, 1, 2, 18);
  a_i(&f, "num_outputs", 3);
  err(RUN(&f, SPLIT, 2, &y), INGOT_CODE_INPUT, "num_outputs");
  fx_free(&f);
  fx(&f, INGOT_OP_SPLIT, 1, 2, 11); /* opset 11: split attribute */
  A_INTS(&f, "split", 6, 2);
  ok(RUN(&f, SPLIT, 2, &y));
  EXPECT_F(&f.out[1], 6, 7);
  fx_free(&f);
}

/* ---- Slice ---------------------------------------------------------------------------- */

static void test_slice(void **state) {
  (void)state;
  fx_t f;
  float x10[10];
  ingot_tensor_t v = T(INGOT_DT_FLOAT, 1, D(10), iota(x10, 10)), s, e, a, st;

  fx(&f, INGOT_OP_SLICE, 5, 1, 13); /* full reverse: ends = INT64_MIN */
  s = VI(-1), e = VI(INT64_MIN), a = VI(0), st = VI(-1);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13); /* x[8:1:-3] */
  s = VI(8), e = VI(1), a = VI(-1), st = VI(-3);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 8, 5, 2);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13); /* x[1::2] with INT64_MAX */
  s = VI(1), e = VI(INT64_MAX), a = VI(0), st = VI(2);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 1, 3, 5, 7, 9);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 3, 1, 13); /* x[-7:-2] */
  s = VI(-7), e = VI(-2);
  ok(RUN(&f, SLICE, 1, &v, &s, &e));
  EXPECT_F(&f.out[0], 3, 4, 5, 6, 7);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13); /* x[-2:-8:-2] */
  s = VI(-2), e = VI(-8), a = VI(0), st = VI(-2);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 8, 6, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 3, 1, 13); /* clamping both ends */
  s = VI(-100), e = VI(100);
  ok(RUN(&f, SLICE, 1, &v, &s, &e));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(10));
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13); /* start clamps to dim-1 for negative steps */
  s = VI(100), e = VI(6), a = VI(0), st = VI(-2);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 9, 7);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 3, 1, 13); /* empty: start after end */
  s = VI(7), e = VI(3);
  ok(RUN(&f, SLICE, 1, &v, &s, &e));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(0));
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13); /* huge step: one element */
  s = VI(2), e = VI(10), a = VI(0), st = VI(INT64_MAX);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 2);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13);
  s = VI(5), e = VI(INT64_MIN), a = VI(0), st = VI(INT64_MIN);
  ok(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st));
  EXPECT_F(&f.out[0], 5);
  fx_free(&f);

  /* numpy: arange(60).reshape(3,4,5)[2:0:-1, ::2, -3:], int64, axes out of order, int32 starts */
  int64_t x60[60];
  for (int i = 0; i < 60; i++) x60[i] = i;
  ingot_tensor_t m = T(INGOT_DT_INT64, 3, D(3, 4, 5), x60);
  fx(&f, INGOT_OP_SLICE, 5, 1, 13);
  s = T(INGOT_DT_INT32, 1, D(3), I32V(-3, 2, 0)), e = T(INGOT_DT_INT32, 1, D(3), I32V(2147483647, 0, 4));
  a = VI(2, 0, -2), st = VI(1, -1, 2);
  ok(RUN(&f, SLICE, 1, &m, &s, &e, &a, &st));
  shape_is(&f.out[0], INGOT_DT_INT64, 3, D(2, 2, 3));
  EXPECT_I(&f.out[0], 42, 43, 44, 52, 53, 54, 22, 23, 24, 32, 33, 34);
  fx_free(&f);

  fx(&f, INGOT_OP_SLICE, 5, 1, 13);
  s = VI(0), e = VI(1), a = VI(0), st = VI(0);
  err(RUN(&f, SLICE, 1, &v, &s, &e, &a, &st), INGOT_CODE_INPUT, "steps[0] is 0");
  fx_free(&f);
  fx(&f, INGOT_OP_SLICE, 4, 1, 13);
  s = VI(0, 0), e = VI(1, 1), a = VI(0, -3);
  err(RUN(&f, SLICE, 1, &m, &s, &e, &a), INGOT_CODE_INPUT, "repeated");
  fx_free(&f);
  fx(&f, INGOT_OP_SLICE, 3, 1, 13);
  s = VI(0, 0), e = VI(1);
  err(RUN(&f, SLICE, 1, &m, &s, &e), INGOT_CODE_INPUT, "ends 1");
  fx_free(&f);
  fx(&f, INGOT_OP_SLICE, 4, 1, 13);
  s = VI(0), e = VI(1), a = VI(3);
  err(RUN(&f, SLICE, 1, &m, &s, &e, &a), INGOT_CODE_INPUT, "out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_SLICE, 3, 1, 13);
  s = VI(0, 0), e = VI(1, 1);
  err(RUN(&f, SLICE, 1, &v, &s, &e), INGOT_CODE_INPUT, "starts");
  fx_free(&f);
}

/* ---- Gather / GatherElements / ScatterND ------------------------------------------------- */

static void test_gather(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t tab = TF(2, D(3, 2), 1, 2, 3, 4, 5, 6), ind;

  fx(&f, INGOT_OP_GATHER, 2, 1, 13); /* embedding lookup, negative index */
  ind = VI(2, -3, 1);
  ok(RUN(&f, GATHER, 1, &tab, &ind));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 2));
  EXPECT_F(&f.out[0], 5, 6, 1, 2, 3, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_GATHER, 2, 1, 13); /* axis 1, 2-D int32 indices */
  a_i(&f, "axis", 1);
  ind = T(INGOT_DT_INT32, 2, D(2, 2), I32V(1, 0, -1, 1));
  ok(RUN(&f, GATHER, 1, &tab, &ind));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(3, 2, 2));
  EXPECT_F(&f.out[0], 2, 1, 2, 2, 4, 3, 4, 4, 6, 5, 6, 6);
  fx_free(&f);

  fx(&f, INGOT_OP_GATHER, 2, 1, 13); /* scalar index drops the axis (Shape -> Gather) */
  ingot_tensor_t shp = VI(2, 4, 16, 16);
  ind = SI(-3);
  ok(RUN(&f, GATHER, 1, &shp, &ind));
  shape_is(&f.out[0], INGOT_DT_INT64, 0, NULL);
  EXPECT_I(&f.out[0], 4);
  fx_free(&f);

  fx(&f, INGOT_OP_GATHER, 2, 1, 13); /* negative axis on int64 data */
  a_i(&f, "axis", -1);
  ingot_tensor_t ti = TI(2, D(2, 3), 1, 2, 3, 4, 5, 6);
  ind = VI(2, 0);
  ok(RUN(&f, GATHER, 1, &ti, &ind));
  shape_is(&f.out[0], INGOT_DT_INT64, 2, D(2, 2));
  EXPECT_I(&f.out[0], 3, 1, 6, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_GATHER, 2, 1, 13); /* empty indices */
  ind = T(INGOT_DT_INT64, 1, D(0), NULL);
  ok(RUN(&f, GATHER, 1, &tab, &ind));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(0, 2));
  fx_free(&f);

  fx(&f, INGOT_OP_GATHER, 2, 1, 13);
  ind = VI(0, 3);
  err(RUN(&f, GATHER, 1, &tab, &ind), INGOT_CODE_INPUT, "index 3 out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_GATHER, 2, 1, 13);
  ind = VI(-4);
  err(RUN(&f, GATHER, 1, &tab, &ind), INGOT_CODE_INPUT, "index -4");
  fx_free(&f);
  fx(&f, INGOT_OP_GATHER, 2, 1, 13);
  a_i(&f, "axis", 2);
  ind = VI(0);
  err(RUN(&f, GATHER, 1, &tab, &ind), INGOT_CODE_INPUT, "axis 2");
  fx_free(&f);
  fx(&f, INGOT_OP_GATHER, 2, 1, 13);
  ind = TF(1, D(1), 0);
  err(RUN(&f, GATHER, 1, &tab, &ind), INGOT_CODE_INPUT, "int32/int64");
  fx_free(&f);
}

static void test_gather_elements(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t d2 = TF(2, D(2, 2), 1, 2, 3, 4), ind;
  fx(&f, INGOT_OP_GATHER_ELEMENTS, 2, 1, 13); /* ONNX example, axis 1 */
  a_i(&f, "axis", 1);
  ind = TI(2, D(2, 2), 0, 0, 1, 0);
  ok(RUN(&f, GATHER_ELEMENTS, 1, &d2, &ind));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 2));
  EXPECT_F(&f.out[0], 1, 1, 4, 3);
  fx_free(&f);

  /* numpy take_along_axis(arange(1,10).reshape(3,3), [[1,2,0],[2,0,0]], 0); -1 == 2 */
  ingot_tensor_t d3 = TF(2, D(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
  fx(&f, INGOT_OP_GATHER_ELEMENTS, 2, 1, 13);
  ind = TI(2, D(2, 3), 1, -1, 0, 2, 0, 0);
  ok(RUN(&f, GATHER_ELEMENTS, 1, &d3, &ind));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 3));
  EXPECT_F(&f.out[0], 4, 8, 3, 7, 2, 3);
  fx_free(&f);

  fx(&f, INGOT_OP_GATHER_ELEMENTS, 2, 1, 13);
  ind = TI(2, D(1, 1), 3);
  err(RUN(&f, GATHER_ELEMENTS, 1, &d3, &ind), INGOT_CODE_INPUT, "out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_GATHER_ELEMENTS, 2, 1, 13);
  ind = TI(1, D(1), 0);
  err(RUN(&f, GATHER_ELEMENTS, 1, &d3, &ind), INGOT_CODE_INPUT, "rank");
  fx_free(&f);
  fx(&f, INGOT_OP_GATHER_ELEMENTS, 2, 1, 13);
  ind = TI(2, D(1, 4), 0, 0, 0, 0);
  err(RUN(&f, GATHER_ELEMENTS, 1, &d3, &ind), INGOT_CODE_INPUT, "exceeds");
  fx_free(&f);
}

static void test_scatter_nd(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t d = TF(1, D(8), 1, 2, 3, 4, 5, 6, 7, 8), ind, u;
  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16); /* ONNX example */
  ind = TI(2, D(4, 1), 4, 3, 1, 7);
  u = TF(1, D(4), 9, 10, 11, 12);
  ok(RUN(&f, SCATTER_ND, 1, &d, &ind, &u));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 1, D(8));
  EXPECT_F(&f.out[0], 1, 11, 3, 10, 9, 6, 7, 12);
  fx_free(&f);

  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16); /* add with a repeated (and negative) index */
  a_s(&f, "reduction", "add");
  ind = TI(2, D(2, 1), 0, -8);
  u = TF(1, D(2), 10, 20);
  ok(RUN(&f, SCATTER_ND, 1, &d, &ind, &u));
  EXPECT_F(&f.out[0], 31, 2, 3, 4, 5, 6, 7, 8);
  fx_free(&f);

  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16);
  a_s(&f, "reduction", "mul");
  ind = TI(2, D(2, 1), 1, 1);
  u = TF(1, D(2), 3, 4);
  ok(RUN(&f, SCATTER_ND, 1, &d, &ind, &u));
  EXPECT_F(&f.out[0], 1, 24, 3, 4, 5, 6, 7, 8);
  fx_free(&f);

  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 18);
  a_s(&f, "reduction", "max");
  ind = TI(2, D(2, 1), 2, 5);
  u = TF(1, D(2), 0, 100);
  ok(RUN(&f, SCATTER_ND, 1, &d, &ind, &u));
  EXPECT_F(&f.out[0], 1, 2, 3, 4, 5, 100, 7, 8);
  fx_free(&f);

  /* slices: data int64 [2,3], indices [[1]] replace row 1 */
  ingot_tensor_t di = TI(2, D(2, 3), 1, 2, 3, 4, 5, 6);
  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16);
  ind = TI(2, D(1, 1), 1);
  u = TI(2, D(1, 3), 7, 8, 9);
  ok(RUN(&f, SCATTER_ND, 1, &di, &ind, &u));
  EXPECT_I(&f.out[0], 1, 2, 3, 7, 8, 9);
  fx_free(&f);

  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16); /* full coordinates, integer add */
  a_s(&f, "reduction", "add");
  ind = TI(2, D(2, 2), 0, 2, 1, -3);
  u = TI(1, D(2), 100, -4);
  ok(RUN(&f, SCATTER_ND, 1, &di, &ind, &u));
  EXPECT_I(&f.out[0], 1, 2, 103, 0, 5, 6);
  fx_free(&f);

  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16); /* k = 0: the update is the whole tensor */
  ind = T(INGOT_DT_INT64, 2, D(1, 0), NULL);
  u = TI(3, D(1, 2, 3), 9, 8, 7, 6, 5, 4);
  ok(RUN(&f, SCATTER_ND, 1, &di, &ind, &u));
  EXPECT_I(&f.out[0], 9, 8, 7, 6, 5, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16);
  ind = TI(2, D(1, 1), 8);
  u = TF(1, D(1), 0);
  err(RUN(&f, SCATTER_ND, 1, &d, &ind, &u), INGOT_CODE_INPUT, "out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16);
  ind = TI(2, D(2, 1), 0, 1);
  u = TF(1, D(3), 0, 0, 0);
  err(RUN(&f, SCATTER_ND, 1, &d, &ind, &u), INGOT_CODE_INPUT, "updates dim");
  fx_free(&f);
  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16);
  a_s(&f, "reduction", "max");
  ind = TI(2, D(1, 1), 0);
  u = TF(1, D(1), 0);
  err(RUN(&f, SCATTER_ND, 1, &d, &ind, &u), INGOT_CODE_INPUT, "opset 18");
  fx_free(&f);
  fx(&f, INGOT_OP_SCATTER_ND, 3, 1, 16);
  a_s(&f, "reduction", "xor");
  err(RUN(&f, SCATTER_ND, 1, &d, &ind, &u), INGOT_CODE_INPUT, "xor");
  fx_free(&f);
}

/* ---- Expand / Tile ------------------------------------------------------------------------ */

static void test_expand(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t x = TF(2, D(3, 1), 1, 2, 3), s;
  fx(&f, INGOT_OP_EXPAND, 2, 1, 13);
  s = VI(2, 1, 4);
  ok(RUN(&f, EXPAND, 1, &x, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4));
  EXPECT_F(&f.out[0], 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  fx_free(&f);

  fx(&f, INGOT_OP_EXPAND, 2, 1, 13); /* shape of lower rank / all ones keeps the input */
  s = VI(1);
  ok(RUN(&f, EXPAND, 1, &x, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 1));
  EXPECT_F(&f.out[0], 1, 2, 3);
  fx_free(&f);

  fx(&f, INGOT_OP_EXPAND, 2, 1, 13); /* scalar to [2,2] */
  ingot_tensor_t sc = TI(0, NULL, 5);
  s = VI(2, 2);
  ok(RUN(&f, EXPAND, 1, &sc, &s));
  EXPECT_I(&f.out[0], 5, 5, 5, 5);
  fx_free(&f);

  fx(&f, INGOT_OP_EXPAND, 2, 1, 13); /* a 0 in shape broadcasts a 1 to empty */
  s = VI(3, 0);
  ok(RUN(&f, EXPAND, 1, &x, &s));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 0));
  fx_free(&f);

  fx(&f, INGOT_OP_EXPAND, 2, 1, 13);
  s = VI(2, 2);
  err(RUN(&f, EXPAND, 1, &x, &s), INGOT_CODE_INPUT, "cannot expand dim 3");
  fx_free(&f);
  fx(&f, INGOT_OP_EXPAND, 2, 1, 13);
  s = VI(-1, 1);
  err(RUN(&f, EXPAND, 1, &x, &s), INGOT_CODE_INPUT, "negative");
  fx_free(&f);
  fx(&f, INGOT_OP_EXPAND, 2, 1, 13); /* hostile size */
  s = VI(1000000, 1000000, 1, 1);
  err(RUN(&f, EXPAND, 1, &x, &s), INGOT_CODE_INPUT, "bytes");
  fx_free(&f);
}

static void test_tile(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t x = TF(2, D(2, 2), 1, 2, 3, 4), r;
  fx(&f, INGOT_OP_TILE, 2, 1, 13);
  r = VI(2, 3);
  ok(RUN(&f, TILE, 1, &x, &r));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(4, 6));
  EXPECT_F(&f.out[0], 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_TILE, 2, 1, 13);
  r = VI(0, 1);
  ok(RUN(&f, TILE, 1, &x, &r));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(0, 2));
  fx_free(&f);

  fx(&f, INGOT_OP_TILE, 2, 1, 13); /* scalar: empty repeats */
  ingot_tensor_t sc = TF(0, NULL, 3);
  r = T(INGOT_DT_INT64, 1, D(0), NULL);
  ok(RUN(&f, TILE, 1, &sc, &r));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 3);
  fx_free(&f);

  fx(&f, INGOT_OP_TILE, 2, 1, 13);
  r = VI(2);
  err(RUN(&f, TILE, 1, &x, &r), INGOT_CODE_INPUT, "repeats has 1");
  fx_free(&f);
  fx(&f, INGOT_OP_TILE, 2, 1, 13);
  r = VI(1, -2);
  err(RUN(&f, TILE, 1, &x, &r), INGOT_CODE_INPUT, "negative");
  fx_free(&f);
  fx(&f, INGOT_OP_TILE, 2, 1, 13);
  r = VI(INT64_MAX, 1);
  err(RUN(&f, TILE, 1, &x, &r), INGOT_CODE_INPUT, "overflows");
  fx_free(&f);
  fx(&f, INGOT_OP_TILE, 2, 1, 13);
  r = VI(1000000, 1000000);
  err(RUN(&f, TILE, 1, &x, &r), INGOT_CODE_INPUT, "bytes");
  fx_free(&f);
}

/* ---- Pad -------------------------------------------------------------------------------- */

static void test_pad(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t v = TF(1, D(3), 1, 2, 3), p, c, a;

  fx(&f, INGOT_OP_PAD, 2, 1, 13); /* numpy.pad reflect (2, 2) */
  a_s(&f, "mode", "reflect");
  p = VI(2, 2);
  ok(RUN(&f, PAD, 1, &v, &p));
  EXPECT_F(&f.out[0], 3, 2, 1, 2, 3, 2, 1);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 13); /* reflect past the length: numpy.pad(arange(3), 7, 'reflect') */
  a_s(&f, "mode", "reflect");
  ingot_tensor_t v0 = TF(1, D(3), 0, 1, 2);
  p = VI(7, 7);
  ok(RUN(&f, PAD, 1, &v0, &p));
  EXPECT_F(&f.out[0], 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  a_s(&f, "mode", "edge");
  p = VI(2, 3);
  ok(RUN(&f, PAD, 1, &v, &p));
  EXPECT_F(&f.out[0], 1, 1, 1, 2, 3, 3, 3, 3);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 19); /* numpy.pad wrap (2, 1) */
  a_s(&f, "mode", "wrap");
  p = VI(2, 1);
  ok(RUN(&f, PAD, 1, &v, &p));
  EXPECT_F(&f.out[0], 2, 3, 1, 2, 3, 1);
  fx_free(&f);

  /* wrap beyond the length stays periodic (the spec's torus; numpy.pad
   * differs there, it re-wraps already padded values) */
  fx(&f, INGOT_OP_PAD, 2, 1, 19);
  a_s(&f, "mode", "wrap");
  p = VI(4, 2);
  ok(RUN(&f, PAD, 1, &v, &p));
  EXPECT_F(&f.out[0], 3, 1, 2, 3, 1, 2, 3, 1, 2);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 3, 1, 13); /* constant value, 2-D */
  ingot_tensor_t m = TF(2, D(2, 2), 1, 2, 3, 4);
  p = VI(1, 0, 0, 1);
  c = TF(0, NULL, 1.5f);
  ok(RUN(&f, PAD, 1, &m, &p, &c));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 3));
  EXPECT_F(&f.out[0], 1.5f, 1.5f, 1.5f, 1, 2, 1.5f, 3, 4, 1.5f);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 13); /* negative pads crop: [1,2,3,4] pads (-1, 2) */
  ingot_tensor_t v4 = TF(1, D(4), 1, 2, 3, 4);
  p = VI(-1, 2);
  ok(RUN(&f, PAD, 1, &v4, &p));
  EXPECT_F(&f.out[0], 2, 3, 4, 0, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 13); /* crop then reflect the cropped range */
  a_s(&f, "mode", "reflect");
  p = VI(2, -1);
  ok(RUN(&f, PAD, 1, &v4, &p));
  EXPECT_F(&f.out[0], 3, 2, 1, 2, 3);
  fx_free(&f);

  /* numpy.pad(arange(6).reshape(2,3), ((1,0),(2,1)), 'reflect') */
  ingot_tensor_t m23 = TF(2, D(2, 3), 0, 1, 2, 3, 4, 5);
  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  a_s(&f, "mode", "reflect");
  p = VI(1, 2, 0, 1);
  ok(RUN(&f, PAD, 1, &m23, &p));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 6));
  EXPECT_F(&f.out[0], 5, 4, 3, 4, 5, 4, 2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 4, 1, 18); /* axes input (opset 18), negative axis, int64 data */
  ingot_tensor_t mi = TI(2, D(2, 2), 1, 2, 3, 4);
  p = VI(1, 0);
  c = TI(0, NULL, -9);
  a = VI(-1);
  ok(RUN(&f, PAD, 1, &mi, &p, &c, &a));
  shape_is(&f.out[0], INGOT_DT_INT64, 2, D(2, 3));
  EXPECT_I(&f.out[0], -9, 1, 2, -9, 3, 4);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 13); /* scalar with no pads */
  ingot_tensor_t sc = TF(0, NULL, 6);
  p = T(INGOT_DT_INT64, 1, D(0), NULL);
  ok(RUN(&f, PAD, 1, &sc, &p));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 6);
  fx_free(&f);

  fx(&f, INGOT_OP_PAD, 2, 1, 18);
  a_s(&f, "mode", "wrap");
  p = VI(1, 1);
  err(RUN(&f, PAD, 1, &v, &p), INGOT_CODE_INPUT, "opset 19");
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  a_s(&f, "mode", "edge");
  ingot_tensor_t e = T(INGOT_DT_FLOAT, 1, D(0), NULL);
  p = VI(1, 1);
  err(RUN(&f, PAD, 1, &e, &p), INGOT_CODE_INPUT, "no elements");
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 2, 1, 13); /* constant padding of an empty axis is fine */
  ok(RUN(&f, PAD, 1, &e, &p));
  EXPECT_F(&f.out[0], 0, 0);
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  p = VI(-2, -2);
  err(RUN(&f, PAD, 1, &v, &p), INGOT_CODE_INPUT, "remove 4");
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  p = VI(1, 1, 1);
  err(RUN(&f, PAD, 1, &v, &p), INGOT_CODE_INPUT, "pads has 3");
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  a_s(&f, "mode", "mirror");
  p = VI(1, 1);
  err(RUN(&f, PAD, 1, &v, &p), INGOT_CODE_INPUT, "mirror");
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 2, 1, 13);
  p = VI(INT64_MAX, 1);
  err(RUN(&f, PAD, 1, &v, &p), INGOT_CODE_INPUT, "out of range");
  fx_free(&f);
  fx(&f, INGOT_OP_PAD, 3, 1, 13);
  p = VI(1, 1);
  c = SI(1);
  err(RUN(&f, PAD, 1, &v, &p, &c), INGOT_CODE_INPUT, "constant_value");
  fx_free(&f);
}

/* ---- Trilu ------------------------------------------------------------------------------ */

static void test_trilu(void **state) {
  (void)state;
  fx_t f;
  int64_t x[12];
  for (int i = 0; i < 12; i++) x[i] = i;
  ingot_tensor_t t = T(INGOT_DT_INT64, 2, D(3, 4), x), kk;

  fx(&f, INGOT_OP_TRILU, 2, 1, 14); /* numpy.triu(x, 1) */
  kk = SI(1);
  ok(RUN(&f, TRILU, 1, &t, &kk));
  EXPECT_I(&f.out[0], 0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11);
  fx_free(&f);

  fx(&f, INGOT_OP_TRILU, 2, 1, 14); /* numpy.tril(x, -1) */
  a_i(&f, "upper", 0);
  kk = SI(-1);
  ok(RUN(&f, TRILU, 1, &t, &kk));
  EXPECT_I(&f.out[0], 0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_TRILU, 1, 1, 14); /* batched, default upper, k = 0 */
  ingot_tensor_t b = TF(3, D(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
  ok(RUN(&f, TRILU, 1, &b));
  EXPECT_F(&f.out[0], 1, 2, 0, 4, 5, 6, 0, 8);
  fx_free(&f);

  fx(&f, INGOT_OP_TRILU, 2, 1, 14); /* k far out of range */
  a_i(&f, "upper", 0);
  kk = SI(INT64_MIN);
  ok(RUN(&f, TRILU, 1, &t, &kk));
  EXPECT_I(&f.out[0], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  fx_free(&f);

  fx(&f, INGOT_OP_TRILU, 1, 1, 14);
  ingot_tensor_t v = TF(1, D(2), 1, 2);
  err(RUN(&f, TRILU, 1, &v), INGOT_CODE_INPUT, "rank >= 2");
  fx_free(&f);
}

/* ---- Einsum ----------------------------------------------------------------------------- */

static void einsum_fx(fx_t *f, uint32_t nin, const char *eq) {
  fx(f, INGOT_OP_EINSUM, nin, 1, 17);
  a_s(f, "equation", eq);
}

static void test_einsum_unpatchify(void **state) {
  (void)state;
  /* DiT's unpatchify: out[n,c,h,p,w,q] = x[n,h,w,p,q,c] */
  enum { N = 2, H = 3, W = 2, P = 2, Q = 2, C = 3 };
  float x[N * H * W * P * Q * C];
  ingot_tensor_t t = T(INGOT_DT_FLOAT, 6, D(N, H, W, P, Q, C), iota(x, N * H * W * P * Q * C));
  fx_t f;
  einsum_fx(&f, 1, "nhwpqc->nchpwq");
  ok(RUN(&f, EINSUM, 1, &t));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 6, D(N, C, H, P, W, Q));
  const float *o = f.out[0].data;
  int i = 0;
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int h = 0; h < H; h++)
        for (int p = 0; p < P; p++)
          for (int w = 0; w < W; w++)
            for (int q = 0; q < Q; q++)
              assert_true(o[i++] == x[((((n * H + h) * W + w) * P + p) * Q + q) * C + c]);
  fx_free(&f);
}

static void test_einsum(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t a = TF(2, D(2, 3), 1, 2, 3, 4, 5, 6);
  ingot_tensor_t b = TF(2, D(3, 4), 1, 0, 2, 1, 0, 1, 1, 3, 2, 2, 0, 1);

  einsum_fx(&f, 2, "ij,jk->ik");
  ok(RUN(&f, EINSUM, 1, &a, &b));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 4));
  EXPECT_F(&f.out[0], 7, 8, 4, 10, 16, 17, 13, 25);
  fx_free(&f);

  einsum_fx(&f, 2, " ij , jk "); /* implicit output 'ik', spaces ignored */
  ok(RUN(&f, EINSUM, 1, &a, &b));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 4));
  EXPECT_F(&f.out[0], 7, 8, 4, 10, 16, 17, 13, 25);
  fx_free(&f);

  /* numpy: A = arange(12).reshape(2,2,3) - 5, B = arange(18).reshape(2,3,3) * 0.5 */
  float A[12], B[18];
  for (int i = 0; i < 12; i++) A[i] = (float)i - 5;
  for (int i = 0; i < 18; i++) B[i] = (float)i * 0.5f;
  ingot_tensor_t ta = T(INGOT_DT_FLOAT, 3, D(2, 2, 3), A), tb = T(INGOT_DT_FLOAT, 3, D(2, 3, 3), B);
  einsum_fx(&f, 2, "bij,bjk->bik");
  ok(RUN(&f, EINSUM, 1, &ta, &tb));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 3, D(2, 2, 3));
  EXPECT_F(&f.out[0], -15, -21, -27, -1.5f, -3, -4.5f, 39, 42, 45, 93, 100.5f, 108);
  fx_free(&f);

  /* broadcast batch dims: P = arange(12).reshape(2,1,2,3), Q = arange(27).reshape(3,3,3) - 10 */
  float Pd[12], Qd[27];
  for (int i = 0; i < 12; i++) Pd[i] = (float)i;
  for (int i = 0; i < 27; i++) Qd[i] = (float)i - 10;
  ingot_tensor_t tp = T(INGOT_DT_FLOAT, 4, D(2, 1, 2, 3), Pd), tq = T(INGOT_DT_FLOAT, 3, D(3, 3, 3), Qd);
  einsum_fx(&f, 2, "...ij,...jk->...ik");
  ok(RUN(&f, EINSUM, 1, &tp, &tq));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(2, 3, 2, 3));
  EXPECT_F(&f.out[0], -15, -12, -9, -78, -66, -54, 12, 15, 18, 30, 42, 54, 39, 42, 45, 138, 150, 162, -141, -120,
           -99, -204, -174, -144, 48, 69, 90, 66, 96, 126, 237, 258, 279, 336, 366, 396);
  fx_free(&f);

  einsum_fx(&f, 1, "ba"); /* implicit: output 'ab', i.e. a transpose */
  ok(RUN(&f, EINSUM, 1, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 2));
  EXPECT_F(&f.out[0], 1, 4, 2, 5, 3, 6);
  fx_free(&f);

  einsum_fx(&f, 1, "...ji"); /* implicit with ellipsis: '...' first, then 'ij' */
  ok(RUN(&f, EINSUM, 1, &a));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(3, 2));
  fx_free(&f);

  float m[9];
  ingot_tensor_t tm = T(INGOT_DT_FLOAT, 2, D(3, 3), iota(m, 9));
  einsum_fx(&f, 1, "ii"); /* trace */
  ok(RUN(&f, EINSUM, 1, &tm));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 0, NULL);
  EXPECT_F(&f.out[0], 12);
  fx_free(&f);

  einsum_fx(&f, 1, "ii->i"); /* diagonal */
  ok(RUN(&f, EINSUM, 1, &tm));
  EXPECT_F(&f.out[0], 0, 4, 8);
  fx_free(&f);

  einsum_fx(&f, 1, "ij->"); /* sum of everything */
  ok(RUN(&f, EINSUM, 1, &a));
  EXPECT_F(&f.out[0], 21);
  fx_free(&f);

  ingot_tensor_t v1 = TF(1, D(3), 1, 2, 3), v2 = TF(1, D(3), 4, 5, 6), s1 = TF(0, NULL, 2), s2 = TF(0, NULL, -3);
  einsum_fx(&f, 2, "i,i"); /* dot */
  ok(RUN(&f, EINSUM, 1, &v1, &v2));
  EXPECT_F(&f.out[0], 32);
  fx_free(&f);
  einsum_fx(&f, 2, "i,j->ij"); /* outer */
  ok(RUN(&f, EINSUM, 1, &v1, &v2));
  EXPECT_F(&f.out[0], 4, 5, 6, 8, 10, 12, 12, 15, 18);
  fx_free(&f);
  einsum_fx(&f, 2, ",->"); /* scalars */
  ok(RUN(&f, EINSUM, 1, &s1, &s2));
  EXPECT_F(&f.out[0], -6);
  fx_free(&f);

  ingot_tensor_t ai = TI(2, D(2, 3), 1, 2, 3, 4, 5, 6), bi = TI(2, D(3, 4), 1, 0, 2, 1, 0, 1, 1, 3, 2, 2, 0, 1);
  einsum_fx(&f, 2, "ij,jk->ik"); /* integers */
  ok(RUN(&f, EINSUM, 1, &ai, &bi));
  shape_is(&f.out[0], INGOT_DT_INT64, 2, D(2, 4));
  EXPECT_I(&f.out[0], 7, 8, 4, 10, 16, 17, 13, 25);
  fx_free(&f);

  /* a size-1 dim broadcasts against the label's other size, as numpy does */
  ingot_tensor_t b1 = TF(2, D(1, 2), 1, 10);
  einsum_fx(&f, 2, "ij,jk->ik");
  ok(RUN(&f, EINSUM, 1, &a, &b1));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 2));
  EXPECT_F(&f.out[0], 6, 60, 15, 150);
  fx_free(&f);

  ingot_tensor_t e = T(INGOT_DT_FLOAT, 2, D(2, 0), NULL), e2 = T(INGOT_DT_FLOAT, 2, D(0, 3), NULL);
  einsum_fx(&f, 2, "ij,jk->ik"); /* empty contraction: zeros */
  ok(RUN(&f, EINSUM, 1, &e, &e2));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 2, D(2, 3));
  EXPECT_F(&f.out[0], 0, 0, 0, 0, 0, 0);
  fx_free(&f);
}

static void test_einsum_errors(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t a = TF(2, D(2, 3), 1, 2, 3, 4, 5, 6), b = TF(2, D(2, 2), 1, 2, 3, 4);
  ingot_tensor_t ab = TF(3, D(2, 2, 3), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  struct {
    const char *eq;
    uint32_t nin;
    const ingot_tensor_t *x0, *x1;
    ingot_code_t code;
    const char *msg;
  } cases[] = {
      {"ij,jk->ik", 1, &a, NULL, INGOT_CODE_INPUT, "more terms"},
      {"ij", 2, &a, &b, INGOT_CODE_INPUT, "1 terms"},
      {"ij,jk->ik", 2, &a, &b, INGOT_CODE_INPUT, "size"},
      {"ijk->i", 1, &a, NULL, INGOT_CODE_INPUT, "rank"},
      {"ij->k", 1, &a, NULL, INGOT_CODE_INPUT, "'k' is in no input"},
      {"ij->ii", 1, &a, NULL, INGOT_CODE_INPUT, "repeats"},
      {"i1->i", 1, &a, NULL, INGOT_CODE_INPUT, "character"},
      {"i..j->ij", 1, &a, NULL, INGOT_CODE_INPUT, "'...'"},
      {"...i...->i", 1, &a, NULL, INGOT_CODE_INPUT, "'...'"},
      {"...ij->ij", 1, &ab, NULL, INGOT_CODE_INPUT, "drops"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    einsum_fx(&f, cases[i].nin, cases[i].eq);
    ingot_tensor_t const *in[2] = {cases[i].x0, cases[i].x1};
    err(call(&f, ingot_kernel_EINSUM, in, cases[i].nin, 1), cases[i].code, cases[i].msg);
    fx_free(&f);
  }
  fx(&f, INGOT_OP_EINSUM, 1, 1, 17);
  err(RUN(&f, EINSUM, 1, &a), INGOT_CODE_INPUT, "equation");
  fx_free(&f);
  ingot_tensor_t ai = TI(1, D(1), 1), af = TF(1, D(1), 1);
  einsum_fx(&f, 2, "i,i");
  err(RUN(&f, EINSUM, 1, &ai, &af), INGOT_CODE_INPUT, "dtypes");
  fx_free(&f);
  ingot_tensor_t bo = T(INGOT_DT_BOOL, 1, D(1), ((const uint8_t[]){1}));
  einsum_fx(&f, 1, "i");
  err(RUN(&f, EINSUM, 1, &bo), INGOT_CODE_UNSUPPORTED, "bool");
  fx_free(&f);
  /* 'i,j,k,l->' over 4 x 2^10 elements is 2^40 multiply-adds: refused, not run */
  float *big = calloc(1024, sizeof(float));
  assert_non_null(big);
  ingot_tensor_t tb = T(INGOT_DT_FLOAT, 1, D(1024), big);
  einsum_fx(&f, 4, "i,j,k,l->");
  err(RUN(&f, EINSUM, 1, &tb, &tb, &tb, &tb), INGOT_CODE_UNSUPPORTED, "multiply-adds");
  fx_free(&f);
  free(big);
}

/* ---- Resize ----------------------------------------------------------------------------- */

static void resize_fx(fx_t *f, int64_t opset, const char *mode, const char *ct, const char *nm) {
  fx(f, INGOT_OP_RESIZE, 4, 1, opset);
  if (mode) a_s(f, "mode", mode);
  if (ct) a_s(f, "coordinate_transformation_mode", ct);
  if (nm) a_s(f, "nearest_mode", nm);
}

static void test_resize_nearest(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t x = TF(4, D(1, 1, 2, 2), 1, 2, 3, 4);
  ingot_tensor_t noroi = T(INGOT_DT_FLOAT, 1, D(0), NULL), nosc = T(INGOT_DT_FLOAT, 1, D(0), NULL), sc, sz;

  /* torch's F.interpolate(scale_factor=2, mode='nearest') export */
  resize_fx(&f, 17, "nearest", "asymmetric", "floor");
  sc = TF(1, D(4), 1, 1, 2, 2);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 4, 4));
  EXPECT_F(&f.out[0], 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4);
  fx_free(&f);

  /* ONNX resize_upsample_scales_nearest: scales (1,1,2,3), defaults */
  resize_fx(&f, 13, NULL, NULL, NULL);
  sc = TF(1, D(4), 1, 1, 2, 3);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 4, 6));
  EXPECT_F(&f.out[0], 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4);
  fx_free(&f);

  /* ONNX resize_downsample_scales_nearest: (1,1,0.6,0.6) -> [[1, 3]] */
  ingot_tensor_t y = TF(4, D(1, 1, 2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
  resize_fx(&f, 13, NULL, NULL, NULL);
  sc = TF(1, D(4), 1, 1, 0.6f, 0.6f);
  ok(RUN(&f, RESIZE, 1, &y, &noroi, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 1, 2));
  EXPECT_F(&f.out[0], 1, 3);
  fx_free(&f);

  /* 1-D, sizes 1 -> 4 -> the nearest modes, half_pixel: x_orig = (o+0.5)/2-0.5 = -.25,.25,.75,1.25 */
  ingot_tensor_t v = TF(1, D(2), 10, 20);
  static const char *const modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  static const float want[4][4] = {{10, 10, 20, 20}, {10, 10, 20, 20}, {10, 10, 10, 20}, {10, 20, 20, 20}};
  for (int i = 0; i < 4; i++) {
    resize_fx(&f, 13, "nearest", "half_pixel", modes[i]);
    sz = VI(4);
    ok(RUN(&f, RESIZE, 1, &v, &noroi, &nosc, &sz));
    f32_is(&f.out[0], want[i], 4, 0);
    fx_free(&f);
  }
  /* ties: asymmetric with scale 2 on 3 -> 6 gives x_orig = 0, .5, 1, 1.5, 2, 2.5 */
  ingot_tensor_t v3 = TF(1, D(3), 1, 2, 3);
  resize_fx(&f, 13, "nearest", "asymmetric", "round_prefer_floor");
  sc = TF(1, D(1), 2);
  ok(RUN(&f, RESIZE, 1, &v3, &noroi, &sc));
  EXPECT_F(&f.out[0], 1, 1, 2, 2, 3, 3);
  fx_free(&f);
  resize_fx(&f, 13, "nearest", "asymmetric", "round_prefer_ceil");
  ok(RUN(&f, RESIZE, 1, &v3, &noroi, &sc));
  EXPECT_F(&f.out[0], 1, 2, 2, 3, 3, 3);
  fx_free(&f);

  /* int64 data moves by bytes; align_corners sizes 3 -> 5: x_orig = 0,.5,1,1.5,2 */
  ingot_tensor_t vi = TI(1, D(3), 100, 200, 300);
  resize_fx(&f, 13, "nearest", "align_corners", NULL);
  sz = VI(5);
  ok(RUN(&f, RESIZE, 1, &vi, &noroi, &nosc, &sz));
  shape_is(&f.out[0], INGOT_DT_INT64, 1, D(5));
  EXPECT_I(&f.out[0], 100, 100, 200, 200, 300);
  fx_free(&f);

  /* axes attribute (opset 18): resize only the last axis */
  resize_fx(&f, 18, "nearest", "asymmetric", "floor");
  A_INTS(&f, "axes", -1);
  sc = TF(1, D(1), 2);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 2, 4));
  EXPECT_F(&f.out[0], 1, 1, 2, 2, 3, 3, 4, 4);
  fx_free(&f);

  /* keep_aspect_ratio_policy not_larger: sizes (3, 8) on 2x2 -> scale 1.5 -> 3x3 */
  resize_fx(&f, 18, "nearest", "asymmetric", "floor");
  A_INTS(&f, "axes", 2, 3);
  a_s(&f, "keep_aspect_ratio_policy", "not_larger");
  sz = VI(3, 8);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &nosc, &sz));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 3, 3));
  EXPECT_F(&f.out[0], 1, 1, 2, 1, 1, 2, 3, 3, 4); /* x_orig = o / 1.5 = 0, .67, 1.33 */
  fx_free(&f);
  resize_fx(&f, 18, "nearest", "asymmetric", "floor");
  A_INTS(&f, "axes", 2, 3);
  a_s(&f, "keep_aspect_ratio_policy", "not_smaller");
  sz = VI(3, 8);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &nosc, &sz));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 8, 8));
  fx_free(&f);
}

static void test_resize_linear(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t x = TF(4, D(1, 1, 2, 2), 1, 2, 3, 4);
  ingot_tensor_t noroi = T(INGOT_DT_FLOAT, 1, D(0), NULL), nosc = T(INGOT_DT_FLOAT, 1, D(0), NULL), sc, sz;

  /* torch bilinear, align_corners=False == half_pixel */
  resize_fx(&f, 13, "linear", "half_pixel", NULL);
  sc = TF(1, D(4), 1, 1, 2, 2);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 4, 4));
  EXPECT_F(&f.out[0], 1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4);
  fx_free(&f);

  /* torch bilinear, align_corners=True, size 3x3 */
  resize_fx(&f, 13, "linear", "align_corners", NULL);
  sz = VI(1, 1, 3, 3);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &nosc, &sz));
  EXPECT_F(&f.out[0], 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4);
  fx_free(&f);

  /* same as pytorch_half_pixel (output longer than 1) */
  resize_fx(&f, 13, "linear", "pytorch_half_pixel", NULL);
  sc = TF(1, D(4), 1, 1, 2, 2);
  ok(RUN(&f, RESIZE, 1, &x, &noroi, &sc));
  EXPECT_F(&f.out[0], 1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4);
  fx_free(&f);

  /* ONNX resize_downsample_scales_linear: [[2.6666665, 4.3333331]] (torch agrees) */
  ingot_tensor_t y = TF(4, D(1, 1, 2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
  resize_fx(&f, 13, "linear", NULL, NULL);
  sc = TF(1, D(4), 1, 1, 0.6f, 0.6f);
  ok(RUN(&f, RESIZE, 1, &y, &noroi, &sc));
  shape_is(&f.out[0], INGOT_DT_FLOAT, 4, D(1, 1, 1, 2));
  EXPECT_FT(&f.out[0], 1e-5, 2.6666665f, 4.3333331f);
  fx_free(&f);

  /* ONNX resize_downsample_scales_linear_align_corners: [[1, 3.142857]]; the
   * fractional length_resized 4 * 0.6 = 2.4 is what gives 3.142857 */
  resize_fx(&f, 13, "linear", "align_corners", NULL);
  ok(RUN(&f, RESIZE, 1, &y, &noroi, &sc));
  EXPECT_FT(&f.out[0], 1e-5, 1, 3.142857f);
  fx_free(&f);

  /* pytorch_half_pixel with a length-1 output samples x_orig = 0 */
  resize_fx(&f, 13, "linear", "pytorch_half_pixel", NULL);
  sz = VI(1, 1, 1, 2);
  ok(RUN(&f, RESIZE, 1, &y, &noroi, &nosc, &sz));
  EXPECT_FT(&f.out[0], 1e-6, 1.5f, 3.5f); /* W: (o+.5)*2-.5 = .5, 2.5 */
  fx_free(&f);

  /* ONNX resize_tf_crop_and_resize_extrapolation_value */
  float d16[16];
  for (int i = 0; i < 16; i++) d16[i] = (float)(i + 1);
  ingot_tensor_t z = T(INGOT_DT_FLOAT, 4, D(1, 1, 4, 4), d16);
  resize_fx(&f, 13, "linear", "tf_crop_and_resize", NULL);
  a_f(&f, "extrapolation_value", 10);
  ingot_tensor_t roi = TF(1, D(8), 0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f);
  sz = VI(1, 1, 3, 3);
  ok(RUN(&f, RESIZE, 1, &z, &roi, &nosc, &sz));
  EXPECT_FT(&f.out[0], 1e-5, 7.6000004f, 10, 10, 12.400001f, 10, 10, 10, 10, 10);
  fx_free(&f);

  /* 3-D trilinear on 2x2x2, doubling the last axis only; int data is truncated like astype */
  ingot_tensor_t c = TI(3, D(2, 1, 2), 0, 10, 20, 31);
  resize_fx(&f, 13, "linear", "align_corners", NULL);
  sz = VI(2, 1, 3);
  ok(RUN(&f, RESIZE, 1, &c, &noroi, &nosc, &sz));
  EXPECT_I(&f.out[0], 0, 5, 10, 20, 25, 31);
  fx_free(&f);
}

static void test_resize_errors(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t x = TF(4, D(1, 1, 2, 2), 1, 2, 3, 4);
  ingot_tensor_t noroi = T(INGOT_DT_FLOAT, 1, D(0), NULL), nosc = T(INGOT_DT_FLOAT, 1, D(0), NULL);
  ingot_tensor_t sc = TF(1, D(4), 1, 1, 2, 2), sz = VI(1, 1, 4, 4);

  resize_fx(&f, 13, "cubic", NULL, NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc), INGOT_CODE_UNSUPPORTED, "cubic");
  fx_free(&f);
  resize_fx(&f, 13, "area", NULL, NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc), INGOT_CODE_INPUT, "area");
  fx_free(&f);
  resize_fx(&f, 13, NULL, "sideways", NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc), INGOT_CODE_INPUT, "sideways");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, "nearest_even");
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc), INGOT_CODE_INPUT, "nearest_even");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc, &sz), INGOT_CODE_INPUT, "both");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &nosc), INGOT_CODE_INPUT, "'scales' or 'sizes'");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, NULL);
  ingot_tensor_t sc3 = TF(1, D(3), 1, 2, 2);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc3), INGOT_CODE_INPUT, "4 entries");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, NULL);
  ingot_tensor_t scn = TF(1, D(4), 1, 1, -2, 2);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &scn), INGOT_CODE_INPUT, "scale");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, NULL); /* hostile upscale */
  ingot_tensor_t sch = TF(1, D(4), 1, 1, 1e9f, 1e9f);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sch), INGOT_CODE_INPUT, "bytes");
  fx_free(&f);
  resize_fx(&f, 13, "linear", "tf_crop_and_resize", NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc), INGOT_CODE_INPUT, "roi");
  fx_free(&f);
  resize_fx(&f, 18, "linear", NULL, NULL);
  a_i(&f, "antialias", 1);
  ingot_tensor_t down = TF(1, D(4), 1, 1, 0.5f, 0.5f);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &down), INGOT_CODE_UNSUPPORTED, "antialias");
  fx_free(&f);
  resize_fx(&f, 13, NULL, "half_pixel_symmetric", NULL);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc), INGOT_CODE_INPUT, "opset 19");
  fx_free(&f);
  resize_fx(&f, 18, NULL, NULL, NULL);
  A_INTS(&f, "axes", 1, -3);
  ingot_tensor_t sc2 = TF(1, D(2), 2, 2);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &sc2), INGOT_CODE_INPUT, "repeated");
  fx_free(&f);
  resize_fx(&f, 13, NULL, NULL, NULL);
  ingot_tensor_t szn = VI(1, 1, -1, 2);
  err(RUN(&f, RESIZE, 1, &x, &noroi, &nosc, &szn), INGOT_CODE_INPUT, "negative");
  fx_free(&f);
}

/* ---- control flow --------------------------------------------------------------------------- */

static void test_control_flow(void **state) {
  (void)state;
  fx_t f;
  ingot_tensor_t c = T(INGOT_DT_BOOL, 0, NULL, ((const uint8_t[]){1}));
  fx(&f, INGOT_OP_IF, 1, 1, 17);
  err(RUN(&f, IF, 1, &c), INGOT_CODE_UNSUPPORTED, "control flow");
  fx_free(&f);
  fx(&f, INGOT_OP_LOOP, 2, 1, 17);
  err(RUN(&f, LOOP, 1, &c, &c), INGOT_CODE_UNSUPPORTED, "control flow");
  fx_free(&f);
  fx(&f, INGOT_OP_SCAN, 1, 1, 17);
  err(RUN(&f, SCAN, 1, &c), INGOT_CODE_UNSUPPORTED, "control flow");
  fx_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reshape),
      cmocka_unit_test(test_reshape_zero_and_errors),
      cmocka_unit_test(test_flatten),
      cmocka_unit_test(test_unsqueeze),
      cmocka_unit_test(test_squeeze),
      cmocka_unit_test(test_shape_size),
      cmocka_unit_test(test_range),
      cmocka_unit_test(test_constant),
      cmocka_unit_test(test_constant_of_shape),
      cmocka_unit_test(test_transpose),
      cmocka_unit_test(test_concat),
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_slice),
      cmocka_unit_test(test_gather),
      cmocka_unit_test(test_gather_elements),
      cmocka_unit_test(test_scatter_nd),
      cmocka_unit_test(test_expand),
      cmocka_unit_test(test_tile),
      cmocka_unit_test(test_pad),
      cmocka_unit_test(test_trilu),
      cmocka_unit_test(test_einsum_unpatchify),
      cmocka_unit_test(test_einsum),
      cmocka_unit_test(test_einsum_errors),
      cmocka_unit_test(test_resize_nearest),
      cmocka_unit_test(test_resize_linear),
      cmocka_unit_test(test_resize_errors),
      cmocka_unit_test(test_control_flow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
