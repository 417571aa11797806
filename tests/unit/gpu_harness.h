/* Test harness for the GPU backend (header-only; include after cmocka.h).
 *
 * gpt_check(g, inputs, tol, &opts): infers shapes, runs the reference
 * evaluator, compiles the graph for the GPU (opts.target, fp16 GEMMs by
 * default), assembles the PTX with ptxas when it is installed (every kernel
 * must assemble with no spills), runs the kernels in the CPU emulator
 * (codegen/gpu_emu.c) and asserts every output's relative L2 error <= tol.
 * When a CUDA device is present ($INGOT_GPU_TESTS unset or 1), the same
 * model also runs on it through the runtime and is compared the same way.
 *
 * Graphs are built with cg_harness.h's cgt_* helpers. */
#ifndef INGOT_GPU_HARNESS_H
#define INGOT_GPU_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_harness.h"
#include "codegen/gpu.h"

/* Spill bytes (stores + loads) a kernel may have: none. */
#define GPT_SPILL_BUDGET 0

static inline ingot_gpu_options_t gpt_opts(const char *target) {
  ingot_gpu_options_t o;
  memset(&o, 0, sizeof o);
  o.name = "t";
  o.target = target;
  o.opt_level = 2;
  o.emulation = true;
  return o;
}

/* ptxas every kernel (when installed): no errors, no spills. */
static inline void gpt_ptxas(ingot_gpu_t *gpu) {
  bool found = false;
  cgt_ok(ingot_gpu_ptxas(gpu, &found));
  if (!found) return;
  for (int i = 0; i < ingot_gpu_kernel_count(gpu); i++) {
    const ingot_gpu_kernel_info_t *k = ingot_gpu_kernel(gpu, i);
    assert_true(k->registers > 0);
    if (k->spill_stores + k->spill_loads > GPT_SPILL_BUDGET)
      print_error("%s (%s, %s): %d spill bytes\n", k->entry, k->op, k->kind, k->spill_stores + k->spill_loads);
    assert_true(k->spill_stores + k->spill_loads <= GPT_SPILL_BUDGET);
  }
}

/* Whether a CUDA device can run the tests ($INGOT_GPU_TESTS=0 turns it off). */
static inline bool gpt_have_gpu(int *sm) {
  const char *env = getenv("INGOT_GPU_TESTS");
  if (env && !strcmp(env, "0")) return false;
  char msg[256];
  return ingot_rt_cuda_probe(0, sm, msg, sizeof msg) == INGOT_RT_OK;
}

/* Runs the compiled model on the GPU through the runtime (JIT'ed host
 * descriptor), outputs into res. */
static inline void gpt_run_device(ingot_gpu_t *gpu, const ingot_graph_t *g, const ingot_tensor_t *inputs,
                                  ingot_tensor_t *res) {
  const void *desc;
  cgt_ok(ingot_gpu_jit(gpu, &desc));
  ingot_rt_options_t ro;
  ingot_rt_options_init(&ro);
  ingot_rt_model_t *m;
  ingot_rt_status_t rs = ingot_rt_model_create(&((const ingot_rt_cuda_desc_t *)desc)->base, NULL, &ro, &m);
  if (rs) print_error("create: %s\n", ingot_rt_last_error(m));
  assert_int_equal(rs, INGOT_RT_OK);
  void *in[64], *out[64];
  for (uint32_t i = 0; i < g->ninputs; i++) in[i] = inputs[i].data;
  for (uint32_t o = 0; o < g->noutputs; o++) out[o] = res[o].data;
  rs = ingot_rt_model_run(m, 0, in, out);
  if (rs) print_error("run: %s\n", ingot_rt_last_error(m));
  assert_int_equal(rs, INGOT_RT_OK);
  ingot_rt_model_destroy(m);
}

/* See the top of the file; with expect_kind, some kernel must be of that
 * kind ("gemm-tc", "attention", ...).  Frees g; returns the worst error. */
static inline double gpt_check_kind(ingot_graph_t *g, const ingot_tensor_t *inputs, double tol,
                                    const ingot_gpu_options_t *opts, const char *expect_kind) {
  cgt_ok(ingot_infer_shapes(g));
  uint32_t no = g->noutputs;
  ingot_tensor_t *ref = calloc(no + 1, sizeof *ref), *res = calloc(no + 1, sizeof *res);
  ingot_interp_opts_t io = {1, true};
  cgt_ok(ingot_interp_run(g, &io, inputs, ref));
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  cgt_ok(ingot_run_pipeline(g, &pc));
  ingot_gpu_t *gpu;
  cgt_ok(ingot_gpu_create(opts, &gpu));
  cgt_ok(ingot_gpu_add_bucket(gpu, g, "default", NULL, NULL));
  cgt_ok(ingot_gpu_finish(gpu));
  if (getenv("GPT_DUMP")) {
    size_t n;
    const char *ptx = ingot_gpu_ptx(gpu, &n);
    static int dumps = 0; /* GPT_DUMP=x.ptx writes x.ptx.0, x.ptx.1, ... */
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", getenv("GPT_DUMP"), dumps++);
    FILE *f = fopen(path, "w");
    if (f) {
      fwrite(ptx, 1, n, f);
      fclose(f);
    }
  }
  gpt_ptxas(gpu);
  if (expect_kind) {
    bool found = false;
    for (int i = 0; i < ingot_gpu_kernel_count(gpu); i++) found |= !strcmp(ingot_gpu_kernel(gpu, i)->kind, expect_kind);
    if (!found) print_error("no kernel of kind %s\n", expect_kind);
    assert_true(found);
  }
  void *in[64], *out[64];
  for (uint32_t i = 0; i < g->ninputs; i++) in[i] = inputs[i].data;
  for (uint32_t o = 0; o < no; o++) {
    cgt_ok(ingot_tensor_alloc(&res[o], ref[o].dtype, ref[o].rank, ref[o].dims));
    out[o] = res[o].data;
  }
  cgt_ok(ingot_gpu_emulate(gpu, 0, in, out));
  double worst = 0;
  for (uint32_t o = 0; o < no; o++) {
    double e = cgt_rel_l2(&res[o], &ref[o]);
    if (!(e <= tol)) print_error("output %u: emulated rel L2 %.3e > tol %.1e\n", o, e, tol);
    assert_true(e <= tol);
    if (e > worst) worst = e;
  }
  if (getenv("GPT_VERBOSE")) {
    fprintf(stderr, "  [gpt] %s: emulated rel L2 %.3e;", opts->target, worst);
    for (int i = 0; i < ingot_gpu_kernel_count(gpu); i++)
      fprintf(stderr, " %s", ingot_gpu_kernel(gpu, i)->kind);
    fprintf(stderr, "\n");
  }
  int sm = 0;
  if (gpt_have_gpu(&sm) && sm >= (strcmp(opts->target, "sm_90") ? 80 : 90)) {
    for (uint32_t o = 0; o < no; o++) memset(res[o].data, 0, res[o].nbytes);
    gpt_run_device(gpu, g, inputs, res);
    for (uint32_t o = 0; o < no; o++) {
      double e = cgt_rel_l2(&res[o], &ref[o]);
      if (!(e <= tol)) print_error("output %u: on the GPU rel L2 %.3e > tol %.1e\n", o, e, tol);
      assert_true(e <= tol);
    }
  }
  for (uint32_t o = 0; o < no; o++) {
    ingot_tensor_release(&ref[o]);
    ingot_tensor_release(&res[o]);
  }
  free(ref);
  free(res);
  ingot_gpu_destroy(gpu);
  ingot_graph_free(g);
  return worst;
}

static inline double gpt_check(ingot_graph_t *g, const ingot_tensor_t *inputs, double tol,
                               const ingot_gpu_options_t *opts) {
  return gpt_check_kind(g, inputs, tol, opts, NULL);
}

#endif
