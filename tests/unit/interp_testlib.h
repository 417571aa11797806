/* Helpers for the reference-evaluator tests (test_interp_*.c): build a
 * one-node graph whose inputs are graph inputs typed exactly like the given
 * tensors, run it through ingot_interp_run, compare results.
 *
 *   tg_t t;
 *   ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 4, 5, 6));
 *   TG(&t, INGOT_OP_SOFTMAX, 1, &a);
 *   tg_attr_i(&t, "axis", 0);
 *   tg_run(&t);
 *   expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(...), 1e-6, 0);
 *   tg_free(&t);
 *
 * Include after cmocka.h. */
#ifndef INGOT_TEST_INTERP_TESTLIB_H
#define INGOT_TEST_INTERP_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_build.h"
#include "interp/interp.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define FV(...) ((const float[]){__VA_ARGS__})
#define DBV(...) ((const double[]){__VA_ARGS__})
#define IV(...) ((const int64_t[]){__VA_ARGS__})
#define I32V(...) ((const int32_t[]){__VA_ARGS__})
#define BV(...) ((const uint8_t[]){__VA_ARGS__})
#define DV(...) ((const double[]){__VA_ARGS__})

/* A borrowed tensor over data (dims copied). */
static inline ingot_tensor_t TT(int dtype, int rank, const int64_t *dims, const void *data) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  return ingot_tensor_view(dtype, rank, dims, (void *)data, (size_t)n * ingot_dtype_size(dtype));
}

#define TG_MAX_OUT 4

typedef struct {
  ingot_graph_t *g;
  int32_t node;
  ingot_tensor_t in[8]; /* graph inputs, in order (omitted ones skipped) */
  uint32_t nin;
  ingot_tensor_t out[TG_MAX_OUT];
  uint32_t nout;
  ingot_interp_opts_t opts;
} tg_t;

static inline void ok_or_fail(ingot_status_t st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s\n", ingot_status_message(st));
    ingot_status_free(st);
    fail();
  }
}

/* A graph input typed exactly like t. */
static inline int32_t tg_input(tg_t *t, const char *name, const ingot_tensor_t *x) {
  int32_t v;
  ok_or_fail(ingot_graph_add_value(t->g, name, &v));
  ingot_value_t *val = &t->g->values[v];
  val->type.dtype = x->dtype;
  val->type.rank = x->rank;
  for (int i = 0; i < x->rank; i++) val->type.dims[i] = ingot_dim_const(x->dims[i]);
  ok_or_fail(ingot_graph_add_input(t->g, v));
  t->in[t->nin++] = *x;
  return v;
}

/* One node of op reading ins[0..nin) (NULL = omitted) with nout outputs
 * y0.., all graph outputs of unknown type.  Opset 17 unless changed. */
static inline void tg_init(tg_t *t, ingot_op_t op, uint32_t nout, const ingot_tensor_t *const *ins, uint32_t nin) {
  memset(t, 0, sizeof *t);
  ok_or_fail(ingot_graph_create("test.onnx", &t->g));
  t->g->opset = 17;
  int32_t vin[8];
  for (uint32_t i = 0; i < nin; i++) {
    char name[16];
    snprintf(name, sizeof name, "x%u", i);
    vin[i] = ins[i] ? tg_input(t, name, ins[i]) : -1;
  }
  ok_or_fail(ingot_graph_add_node(t->g, op, "n0", nin, nout, &t->node));
  for (uint32_t i = 0; i < nin; i++) t->g->nodes[t->node].inputs[i] = vin[i];
  for (uint32_t j = 0; j < nout; j++) {
    char name[16];
    int32_t v;
    snprintf(name, sizeof name, "y%u", j);
    ok_or_fail(ingot_graph_add_value(t->g, name, &v));
    t->g->values[v].producer = t->node;
    t->g->nodes[t->node].outputs[j] = v;
    ok_or_fail(ingot_graph_add_output(t->g, v));
  }
  t->nout = nout;
  t->opts.check_types = true;
}

#define TG(t, op, nout, ...)                                                 \
  tg_init(t, op, nout, (const ingot_tensor_t *const[]){__VA_ARGS__},         \
          (uint32_t)(sizeof((const ingot_tensor_t *const[]){__VA_ARGS__}) / sizeof(const ingot_tensor_t *)))

/* attributes: graph_build.h's */
static inline void attr_i(ingot_graph_t *g, int32_t node, const char *name, int64_t v) { gb_attr_i(g, node, name, v); }
static inline void attr_f(ingot_graph_t *g, int32_t node, const char *name, float v) { gb_attr_f(g, node, name, v); }
static inline void attr_s(ingot_graph_t *g, int32_t node, const char *name, const char *v) {
  gb_attr_s(g, node, name, v);
}
static inline void attr_ints(ingot_graph_t *g, int32_t node, const char *name, size_t n, const int64_t *v) {
  gb_attr_ints(g, node, name, v, n);
}
#define tg_attr_i(t, name, v) attr_i((t)->g, (t)->node, name, v)
#define tg_attr_f(t, name, v) attr_f((t)->g, (t)->node, name, v)
#define tg_attr_s(t, name, v) attr_s((t)->g, (t)->node, name, v)
#define tg_attr_ints(t, name, ...) \
  attr_ints((t)->g, (t)->node, name, sizeof(D(__VA_ARGS__)) / sizeof(int64_t), D(__VA_ARGS__))

static inline ingot_status_t tg_try(tg_t *t) {
  return ingot_interp_run(t->g, &t->opts, t->in, t->out);
}
static inline void tg_run(tg_t *t) {
  ok_or_fail(tg_try(t));
}
static inline void tg_free(tg_t *t) {
  for (uint32_t j = 0; j < TG_MAX_OUT; j++) ingot_tensor_release(&t->out[j]);
  ingot_graph_free(t->g);
  t->g = NULL;
}

static inline void expect_shape(const ingot_tensor_t *t, int dtype, int rank, const int64_t *dims) {
  if (t->dtype != dtype) {
    fprintf(stderr, "dtype: got %s, want %s\n", ingot_dtype_name(t->dtype), ingot_dtype_name(dtype));
    fail();
  }
  assert_int_equal(t->rank, rank);
  for (int i = 0; i < rank; i++) {
    if (t->dims[i] != dims[i]) fprintf(stderr, "dim %d: got %lld, want %lld\n", i, (long long)t->dims[i], (long long)dims[i]);
    assert_int_equal(t->dims[i], dims[i]);
  }
}

/* Values compared as doubles: |got - want| <= atol + rtol * |want|; NaN
 * matches NaN, infinities match exactly. */
static inline void expect_f(const ingot_tensor_t *t, int dtype, int rank, const int64_t *dims, const double *want,
                            double atol, double rtol) {
  expect_shape(t, dtype, rank, dims);
  int64_t n = ingot_tensor_numel(t);
  int bad = 0;
  for (int64_t i = 0; i < n; i++) {
    double g = ingot_tensor_get_f64(t, i), w = want[i];
    bool ok;
    if (isnan(w)) ok = isnan(g);
    else if (isinf(w)) ok = g == w;
    else ok = fabs(g - w) <= atol + rtol * fabs(w);
    if (!ok && bad++ < 8) fprintf(stderr, "element %lld: got %.9g, want %.9g\n", (long long)i, g, w);
  }
  if (bad) {
    fprintf(stderr, "%d of %lld elements differ\n", bad, (long long)n);
    fail();
  }
}

static inline void expect_i(const ingot_tensor_t *t, int dtype, int rank, const int64_t *dims, const int64_t *want) {
  expect_shape(t, dtype, rank, dims);
  int64_t n = ingot_tensor_numel(t);
  int bad = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t g = ingot_tensor_get_i64(t, i);
    if (g != want[i] && bad++ < 8) fprintf(stderr, "element %lld: got %lld, want %lld\n", (long long)i, (long long)g, (long long)want[i]);
  }
  if (bad) fail();
}

/* The status is an error of this code whose message contains each of the
 * given substrings; frees it. */
static inline void expect_err_(ingot_status_t st, ingot_code_t code, const char *const *subs, size_t nsubs) {
  if (!st) {
    fprintf(stderr, "expected an error, got success\n");
    fail();
  }
  const char *msg = ingot_status_message(st);
  bool ok = ingot_status_code(st) == code;
  for (size_t i = 0; i < nsubs; i++)
    if (!strstr(msg, subs[i])) ok = false;
  if (!ok) fprintf(stderr, "unexpected error (code %d): %s\n", (int)ingot_status_code(st), msg);
  ingot_status_free(st);
  assert_true(ok);
}
#define expect_err(st, code, ...)                                     \
  expect_err_(st, code, (const char *const[]){__VA_ARGS__},            \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Runs t expecting an error; outputs must come back empty. */
#define tg_expect_err(t, code, ...)                                   \
  do {                                                                \
    expect_err(tg_try(t), code, __VA_ARGS__);                         \
    for (uint32_t j__ = 0; j__ < (t)->nout; j__++) assert_null((t)->out[j__].data); \
  } while (0)

#endif
