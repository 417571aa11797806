/* Test harness for the CPU code generator: build a small graph, run it with
 * the reference evaluator, compile it (fold/cse/dce + LLVM + JIT), run the
 * compiled code through the runtime at 1 and 2 threads, and compare.
 *
 *   ingot_graph_t *g = cgt_graph();
 *   int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){3, 4});
 *   int32_t w = cgt_const_f32(g, "w", 2, (int64_t[]){4, 5}, wdata);
 *   int32_t n = cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, w}, 1, "y");
 *   cgt_attr_i(g, n, "axis", 1);               // attributes as needed
 *   cgt_output(g, "y");
 *   double err = cgt_check(g, (ingot_tensor_t[]){xt}, 1e-5);   // asserts inside
 *
 * Header-only; include after cmocka.h. */
#ifndef INGOT_CG_HARNESS_H
#define INGOT_CG_HARNESS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "graph_build.h"
#include "interp/interp.h"
#include "ir/infer.h"
#include "passes/pass.h"
#include "runtime/ingot_rt.h"

static inline void cgt_ok(ingot_status_t st) {
  if (st) {
    print_error("status: %s\n", ingot_status_message(st));
    ingot_status_free(st);
    fail();
  }
}

static inline ingot_graph_t *cgt_graph(void) {
  ingot_graph_t *g;
  cgt_ok(ingot_graph_create("test.onnx", &g));
  g->opset = 17;
  g->ir_version = 8;
  return g;
}

static inline int32_t cgt_input(ingot_graph_t *g, const char *name, int dtype, int rank, const int64_t *dims) {
  int32_t v;
  cgt_ok(ingot_graph_add_value(g, name, &v));
  g->values[v].type.dtype = dtype;
  g->values[v].type.rank = rank;
  for (int d = 0; d < rank; d++) g->values[v].type.dims[d] = ingot_dim_const(dims[d]);
  cgt_ok(ingot_graph_add_input(g, v));
  return v;
}

/* A constant (initializer) of any dtype; data is copied. */
static inline int32_t cgt_const(ingot_graph_t *g, const char *name, int dtype, int rank, const int64_t *dims,
                                const void *data) {
  int32_t v;
  cgt_ok(ingot_graph_add_value(g, name, &v));
  ingot_value_t *val = &g->values[v];
  val->type.dtype = dtype;
  val->type.rank = rank;
  int64_t n = 1;
  for (int d = 0; d < rank; d++) {
    val->type.dims[d] = ingot_dim_const(dims[d]);
    n *= dims[d];
  }
  val->nbytes = (size_t)n * ingot_dtype_size(dtype);
  val->data = ingot_arena_alloc(g->arena, val->nbytes ? val->nbytes : 1);
  if (val->nbytes) memcpy(val->data, data, val->nbytes);
  val->flags |= INGOT_VAL_INIT;
  return v;
}

/* Node with inputs (value ids, -1 = omitted) and named outputs
 * (outs[i] NULL = omitted).  Returns the node index. */
static inline int32_t cgt_node_n(ingot_graph_t *g, ingot_op_t op, uint32_t nin, const int32_t *ins, uint32_t nout,
                                 const char *const *outs) {
  int32_t id;
  cgt_ok(ingot_graph_add_node(g, op, "n", nin, nout, &id));
  char name[32];
  snprintf(name, sizeof name, "node%d", id);
  g->nodes[id].name = ingot_arena_strdup(g->arena, name);
  for (uint32_t i = 0; i < nin; i++) g->nodes[id].inputs[i] = ins[i];
  for (uint32_t o = 0; o < nout; o++) {
    if (!outs[o]) continue;
    int32_t v;
    cgt_ok(ingot_graph_add_value(g, outs[o], &v));
    g->values[v].producer = id;
    g->nodes[id].outputs[o] = v;
  }
  return id;
}

static inline int32_t cgt_node(ingot_graph_t *g, ingot_op_t op, uint32_t nin, const int32_t *ins, const char *out) {
  return cgt_node_n(g, op, nin, ins, 1, &out);
}

/* attributes: graph_build.h's, under the harness's names */
static inline void cgt_attr_i(ingot_graph_t *g, int32_t node, const char *name, int64_t v) { gb_attr_i(g, node, name, v); }
static inline void cgt_attr_f(ingot_graph_t *g, int32_t node, const char *name, float v) { gb_attr_f(g, node, name, v); }
static inline void cgt_attr_s(ingot_graph_t *g, int32_t node, const char *name, const char *s) {
  gb_attr_s(g, node, name, s);
}
static inline void cgt_attr_ints(ingot_graph_t *g, int32_t node, const char *name, size_t n, const int64_t *v) {
  gb_attr_ints(g, node, name, v, n);
}

static inline void cgt_output(ingot_graph_t *g, const char *name) {
  int32_t v = ingot_graph_find(g, name);
  assert_true(v >= 0);
  cgt_ok(ingot_graph_add_output(g, v));
}

/* Deterministic pseudo-random floats in [-1, 1). */
static inline void cgt_fill(float *p, int64_t n, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    p[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
}

static inline double cgt_rel_l2(const ingot_tensor_t *a, const ingot_tensor_t *ref) {
  int64_t n = ingot_tensor_numel(ref);
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; i++) {
    double x = ingot_tensor_get_f64(a, i), y = ingot_tensor_get_f64(ref, i);
    num += (x - y) * (x - y);
    den += y * y;
  }
  if (num != num) return INFINITY;
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* Compiles g as it is (no passes) for target, runs it at 1 and 2 threads on
 * inputs, and asserts every output's relative L2 error against ref[0..no)
 * is <= tol.  Returns the worst error.  Frees g. */
static inline double cgt_run_compiled(ingot_graph_t *g, const ingot_tensor_t *inputs, const ingot_tensor_t *ref,
                                      uint32_t no, double tol, const char *target) {
  ingot_cg_options_t co = {"t", target, true, false, 2};
  ingot_cg_t *cg;
  cgt_ok(ingot_cg_create(&co, &cg));
  cgt_ok(ingot_cg_add_bucket(cg, g, "default", NULL, NULL));
  cgt_ok(ingot_cg_finish(cg));
  const void *desc;
  cgt_ok(ingot_cg_jit(cg, &desc));
  double worst = 0;
  for (int threads = 1; threads <= 2; threads++) {
    ingot_rt_options_t ro;
    ingot_rt_options_init(&ro);
    ro.threads = threads;
    ingot_rt_model_t *m;
    ingot_rt_status_t rs = ingot_rt_model_create((const ingot_rt_model_desc_t *)desc, NULL, &ro, &m);
    if (rs) print_error("create: %s\n", ingot_rt_last_error(m));
    assert_int_equal(rs, INGOT_RT_OK);
    void **in = calloc(g->ninputs + 1, sizeof *in);
    void **out = calloc(no + 1, sizeof *out);
    ingot_tensor_t *res = calloc(no + 1, sizeof *res);
    for (uint32_t i = 0; i < g->ninputs; i++) in[i] = inputs[i].data;
    for (uint32_t o = 0; o < no; o++) {
      cgt_ok(ingot_tensor_alloc(&res[o], ref[o].dtype, ref[o].rank, ref[o].dims));
      out[o] = res[o].data;
    }
    rs = ingot_rt_model_run(m, 0, in, out);
    if (rs) print_error("run: %s\n", ingot_rt_last_error(m));
    assert_int_equal(rs, INGOT_RT_OK);
    for (uint32_t o = 0; o < no; o++) {
      double e = cgt_rel_l2(&res[o], &ref[o]);
      if (!(e <= tol)) print_error("output %u: rel L2 %.3e > tol %.1e (threads %d)\n", o, e, tol, threads);
      assert_true(e <= tol);
      if (e > worst) worst = e;
      ingot_tensor_release(&res[o]);
    }
    free(in);
    free(out);
    free(res);
    ingot_rt_model_destroy(m);
  }
  ingot_cg_destroy(cg);
  ingot_graph_free(g);
  return worst;
}

/* Infers shapes, runs the evaluator (reference), runs the compile pipeline,
 * then cgt_run_compiled.  Returns the worst error.  Frees g. */
static inline double cgt_check_target(ingot_graph_t *g, const ingot_tensor_t *inputs, double tol, const char *target) {
  cgt_ok(ingot_infer_shapes(g));
  uint32_t no = g->noutputs;
  ingot_tensor_t *ref = calloc(no, sizeof *ref);
  ingot_interp_opts_t io = {1, true};
  cgt_ok(ingot_interp_run(g, &io, inputs, ref));
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  cgt_ok(ingot_run_pipeline(g, &pc));
  double worst = cgt_run_compiled(g, inputs, ref, no, tol, target);
  for (uint32_t o = 0; o < no; o++) ingot_tensor_release(&ref[o]);
  free(ref);
  return worst;
}

/* cgt_check_target for the host ("native"). */
static inline double cgt_check(ingot_graph_t *g, const ingot_tensor_t *inputs, double tol) {
  return cgt_check_target(g, inputs, tol, "native");
}

#endif
