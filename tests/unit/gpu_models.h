/* Shared by test_gpu_models_*.c: the bundled models end to end on the GPU
 * backend (header-only; include after cmocka.h).
 *
 * Each test compiles a model for its target, runs the kernels in the CPU
 * emulator (codegen/gpu_emu.c) and compares with torch's outputs.  When a CUDA
 * device is present, also run through the runtime on the device and compare
 * the same way; otherwise print a SKIP line saying why.
 *
 * Bounds (relative L2 against torch fp32): 1e-3 with fp16 tensor-core
 * operands, 1e-1 with fp8 e4m3 weights and activations (3-bit mantissas). */
#ifndef INGOT_GPU_MODELS_H
#define INGOT_GPU_MODELS_H

#include "frontend/onnx_import.h"
#include "gpu_harness.h"
#include "runtime/ingot_npy.h"

#define TOL_F16 1e-3
#define TOL_FP8 1e-1

static inline const char *root(void) {
  const char *r = getenv("INGOT_ROOT");
  return r ? r : ".";
}

/* The model specialised to batch (0: as exported); nb > 1 buckets for
 * batches 1..nb-1 and `batch` last (the one that runs). */
static inline ingot_graph_t *load(const char *name, int64_t batch) {
  char path[1024];
  snprintf(path, sizeof path, "%s/models/%s/model.onnx", root(), name);
  ingot_graph_t *g = NULL;
  cgt_ok(ingot_import_onnx(path, &g));
  cgt_ok(ingot_infer_shapes(g));
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  pc.batch = batch;
  cgt_ok(ingot_run_pipeline(g, &pc));
  return g;
}

static inline void model_case_b(const char *name, int64_t batch, int nbuckets, const char *target, int quant, double tol) {
  char path[1024], err[512];
  ingot_gpu_options_t o = gpt_opts(target);
  o.name = name;
  o.quantize = quant;
  ingot_gpu_t *gpu;
  cgt_ok(ingot_gpu_create(&o, &gpu));
  ingot_graph_t *g = NULL;
  for (int b = 0; b < nbuckets; b++) {
    if (g) ingot_graph_free(g);
    g = load(name, b == nbuckets - 1 ? batch : b + 1);
    cgt_ok(ingot_gpu_add_bucket(gpu, g, b == nbuckets - 1 ? "last" : "other", NULL, NULL));
  }
  int bucket = nbuckets - 1;
  cgt_ok(ingot_gpu_finish(gpu));
  gpt_ptxas(gpu);
  ingot_npy_t in[16], ref;
  void *inp[16], *outp[1];
  assert_true(g->ninputs <= 16 && g->noutputs == 1);
  for (uint32_t i = 0; i < g->ninputs; i++) {
    snprintf(path, sizeof path, "%s/models/%s/inputs/%s.npy", root(), name, g->values[g->inputs[i]].name);
    if (ingot_npy_read(path, &in[i], err, sizeof err)) fail_msg("%s", err);
    inp[i] = in[i].data;
  }
  snprintf(path, sizeof path, "%s/models/%s/outputs/out.npy", root(), name);
  if (ingot_npy_read(path, &ref, err, sizeof err)) fail_msg("%s", err);
  float *got = calloc(ref.nbytes / 4 + 1, sizeof *got);
  outp[0] = got;
  cgt_ok(ingot_gpu_emulate(gpu, bucket, inp, outp));
  ingot_tensor_t tg = ingot_tensor_view(INGOT_DT_FLOAT, ref.rank, ref.dims, got, ref.nbytes);
  ingot_tensor_t tr = ingot_tensor_view(INGOT_DT_FLOAT, ref.rank, ref.dims, ref.data, ref.nbytes);
  double e = cgt_rel_l2(&tg, &tr);
  int nspecial = 0;
  for (int i = 0; i < ingot_gpu_kernel_count(gpu); i++) nspecial += strcmp(ingot_gpu_kernel(gpu, i)->kind, "generic") != 0;
  fprintf(stderr, "  %s %s%s%s: emulated rel L2 vs torch %.3e (tol %.0e), %d kernels (%d special)\n", name, target,
          quant ? " fp8" : "", nbuckets > 1 ? " (second bucket)" : "", e, tol, ingot_gpu_kernel_count(gpu), nspecial);
  assert_true(e <= tol);
  int sm = 0;
  char why[256] = "";
  if (gpt_have_gpu(&sm) && sm >= (strcmp(target, "sm_90") ? 80 : 90)) {
    memset(got, 0, ref.nbytes);
    const void *desc;
    cgt_ok(ingot_gpu_jit(gpu, &desc));
    ingot_rt_options_t ro;
    ingot_rt_options_init(&ro);
    ingot_rt_model_t *m;
    ingot_rt_status_t rs = ingot_rt_model_create(&((const ingot_rt_cuda_desc_t *)desc)->base, NULL, &ro, &m);
    if (rs) fail_msg("create: %s", ingot_rt_last_error(m));
    if (ingot_rt_model_run(m, bucket, inp, outp)) fail_msg("run: %s", ingot_rt_last_error(m));
    ingot_rt_model_destroy(m);
    double eg = cgt_rel_l2(&tg, &tr);
    fprintf(stderr, "  %s %s on the GPU (sm_%d): rel L2 vs torch %.3e\n", name, target, sm, eg);
    assert_true(eg <= tol);
  } else if (!sm) {
    ingot_rt_cuda_probe(0, NULL, why, sizeof why);
  }
  (void)why;
  free(got);
  for (uint32_t i = 0; i < g->ninputs; i++) ingot_npy_free(&in[i]);
  ingot_npy_free(&ref);
  ingot_gpu_destroy(gpu);
  ingot_graph_free(g);
}

static inline void model_case(const char *name, int64_t batch, const char *target, int quant, double tol) {
  model_case_b(name, batch, 1, target, quant, tol);
}

/* The SKIP line when no GPU runs the models. */
static inline void gpu_models_banner(void) {
  char why[256];
  int sm = 0;
  if (!gpt_have_gpu(&sm)) {
    if (ingot_rt_cuda_probe(0, NULL, why, sizeof why) == INGOT_RT_OK) snprintf(why, sizeof why, "INGOT_GPU_TESTS=0");
    printf("SKIP: GPU execution of the bundled models (%s); running them in the CPU emulator only\n", why);
  }
}

#endif
