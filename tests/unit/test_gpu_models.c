/* GPU backend end to end on the bundled models: compile for sm_80 (and
 * sm_90 with --quantize fp8-e4m3 for dit), run the kernels in the CPU
 * emulator (codegen/gpu_emu.c), compare with torch's outputs.  When a CUDA
 * device is present, also run through the runtime on the device and compare
 * the same way; otherwise print a SKIP line saying why.
 *
 * Bounds (relative L2 against torch fp32): 1e-3 with fp16 tensor-core
 * operands, 1e-1 with fp8 e4m3 weights and activations (3-bit mantissas). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "frontend/onnx_import.h"
#include "gpu_harness.h"
#include "runtime/ingot_npy.h"

#define TOL_F16 1e-3
#define TOL_FP8 1e-1

static const char *root(void) {
  const char *r = getenv("INGOT_ROOT");
  return r ? r : ".";
}

/* The model specialised to batch (0: as exported); nb > 1 buckets for
 * batches 1..nb-1 and `batch` last (the one that runs). */
static ingot_graph_t *load(const char *name, int64_t batch) {
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

static void model_case_b(const char *name, int64_t batch, int nbuckets, const char *target, int quant, double tol) {
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

static void model_case(const char *name, int64_t batch, const char *target, int quant, double tol) {
  model_case_b(name, batch, 1, target, quant, tol);
}

static void test_dit(void **state) {
  (void)state;
  model_case("dit", 0, "sm_80", INGOT_GPU_QUANT_NONE, TOL_F16);
}
static void test_dit_fp8(void **state) {
  (void)state;
  model_case("dit", 0, "sm_90", INGOT_GPU_QUANT_FP8_E4M3, TOL_FP8);
}
static void test_mmdit(void **state) {
  (void)state;
  model_case("mmdit", 0, "sm_90", INGOT_GPU_QUANT_NONE, TOL_F16);
}
static void test_unet_inpaint(void **state) {
  (void)state;
  model_case("unet_inpaint", 0, "sm_80", INGOT_GPU_QUANT_NONE, TOL_F16);
}
static void test_dit_variant(void **state) {
  (void)state;
  model_case("dit_variant", 0, "sm_80", INGOT_GPU_QUANT_NONE, TOL_F16);
}
static void test_dit_dynamic(void **state) {
  (void)state;
  model_case_b("dit_dynamic", 3, 2, "sm_90", INGOT_GPU_QUANT_NONE, TOL_F16); /* buckets for batch 1 and 3 */
}

int main(void) {
  char why[256];
  int sm = 0;
  if (!gpt_have_gpu(&sm)) {
    if (ingot_rt_cuda_probe(0, NULL, why, sizeof why) == INGOT_RT_OK) snprintf(why, sizeof why, "INGOT_GPU_TESTS=0");
    printf("SKIP: GPU execution of the bundled models (%s); running them in the CPU emulator only\n", why);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dit),         cmocka_unit_test(test_dit_fp8),     cmocka_unit_test(test_mmdit),
      cmocka_unit_test(test_unet_inpaint), cmocka_unit_test(test_dit_variant), cmocka_unit_test(test_dit_dynamic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
