/* GPU artifacts and the CUDA runtime path (runtime/rt_cuda.c):
 *   - the host descriptor (codegen/gpu_host.c) read back through the C
 *     structs of ingot_rt.h (a layout mismatch would show here);
 *   - without a driver, or with the toolkit's stub driver, creating a GPU
 *     model fails with INGOT_RT_ERR_DEVICE and a message saying why,
 *     without leaks ($INGOT_CUDA_DRIVER selects the library);
 *   - with a real GPU, the model runs (see also test_gpu_models). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "gpu_harness.h"

/* y = relu(x @ w + b), and x itself as a second output. */
static ingot_gpu_t *compile_small(const char *target, bool embed) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = cgt_input(g, "x", INGOT_DT_FLOAT, 2, (int64_t[]){4, 8});
  float w[8 * 3], b[3] = {0.5f, -0.5f, 0.25f};
  cgt_fill(w, 24, 1);
  int32_t wv = cgt_const(g, "w", INGOT_DT_FLOAT, 2, (int64_t[]){8, 3}, w);
  int32_t bv = cgt_const(g, "b", INGOT_DT_FLOAT, 1, (int64_t[]){3}, b);
  int32_t m = cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){x, wv}, "m");
  int32_t mv = g->nodes[m].outputs[0];
  int32_t a = cgt_node(g, INGOT_OP_ADD, 2, (int32_t[]){mv, bv}, "a");
  int32_t av = g->nodes[a].outputs[0];
  cgt_node(g, INGOT_OP_RELU, 1, (int32_t[]){av}, "y");
  cgt_output(g, "y");
  cgt_output(g, "x"); /* an input passed straight through: a copy, no kernel */
  cgt_ok(ingot_infer_shapes(g));
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  cgt_ok(ingot_run_pipeline(g, &pc));
  ingot_gpu_options_t o = gpt_opts(target);
  o.embed_weights = embed;
  ingot_gpu_t *gpu;
  cgt_ok(ingot_gpu_create(&o, &gpu));
  cgt_ok(ingot_gpu_add_bucket(gpu, g, "default", NULL, NULL));
  cgt_ok(ingot_gpu_finish(gpu));
  ingot_graph_free(g);
  return gpu;
}

static void test_descriptor_layout(void **state) {
  (void)state;
  ingot_gpu_t *gpu = compile_small("sm_90", true);
  const void *p;
  cgt_ok(ingot_gpu_jit(gpu, &p));
  const ingot_rt_cuda_desc_t *d = p;
  assert_int_equal(d->base.abi, INGOT_RT_ABI_CUDA);
  assert_string_equal(d->base.model_name, "t");
  assert_int_equal(d->base.nbuckets, 1);
  assert_non_null(d->base.embedded_weights);
  assert_true(d->base.weights_bytes > 0);
  assert_int_equal(ingot_rt_checksum(d->base.embedded_weights, d->base.weights_bytes), d->base.weights_checksum);
  assert_string_equal(d->target, "sm_90");
  assert_int_equal(d->min_sm, 90);
  assert_non_null(strstr(d->ptx, ".target sm_90"));
  const ingot_rt_bucket_t *b = &d->base.buckets[0];
  assert_null((void *)(uintptr_t)b->run);
  assert_int_equal(b->ninputs, 1);
  assert_int_equal(b->noutputs, 2);
  assert_string_equal(b->inputs[0].name, "x");
  assert_int_equal(b->inputs[0].rank, 2);
  assert_int_equal(b->inputs[0].dims[0], 4);
  assert_int_equal(b->inputs[0].dims[1], 8);
  assert_string_equal(b->outputs[1].name, "x");
  const ingot_rt_cuda_bucket_t *cb = &d->buckets[0];
  assert_int_equal(cb->nlaunches, b->nkernels);
  assert_int_equal(cb->nlaunches, ingot_gpu_kernel_count(gpu));
  for (int k = 0; k < cb->nlaunches; k++) {
    const ingot_rt_cuda_launch_t *L = &cb->launches[k];
    const ingot_gpu_kernel_info_t *I = ingot_gpu_kernel(gpu, k);
    assert_string_equal(L->entry, I->entry);
    assert_non_null(strstr(d->ptx, L->entry));
    assert_int_equal(L->grid[0], I->grid[0]);
    assert_int_equal(L->block[0], I->block[0]);
    assert_int_equal(L->shared_bytes, I->shared_bytes);
    assert_true(L->nargs >= 2);
    assert_int_equal(L->args[L->nargs - 1].kind, INGOT_RT_CUDA_WEIGHTS); /* the weights base is last */
    assert_string_equal(b->kernels[k].node, I->node);
  }
  /* the pass-through output is a device-to-device copy of input 0 */
  assert_int_equal(cb->ncopies, 1);
  assert_int_equal(cb->copies[0].dst.kind, INGOT_RT_CUDA_OUTPUT);
  assert_int_equal(cb->copies[0].dst.index, 1);
  assert_int_equal(cb->copies[0].src.kind, INGOT_RT_CUDA_INPUT);
  assert_int_equal(cb->copies[0].bytes, 4 * 8 * 4);
  ingot_gpu_destroy(gpu);
}

/* Creating the model with $INGOT_CUDA_DRIVER = lib fails with `want` in the message. */
static void expect_device_error(const char *lib, const char *want) {
  ingot_gpu_t *gpu = compile_small("sm_80", true);
  const void *p;
  cgt_ok(ingot_gpu_jit(gpu, &p));
  setenv("INGOT_CUDA_DRIVER", lib, 1);
  ingot_rt_model_t *m = NULL;
  ingot_rt_status_t s = ingot_rt_model_create(&((const ingot_rt_cuda_desc_t *)p)->base, NULL, NULL, &m);
  assert_int_equal(s, INGOT_RT_ERR_DEVICE);
  assert_non_null(m);
  const char *msg = ingot_rt_last_error(m);
  if (!strstr(msg, want)) print_error("message: %s\n", msg);
  assert_non_null(strstr(msg, want));
  /* running a model that failed to create is an argument error, not a crash */
  void *in[1] = {NULL};
  assert_int_not_equal(ingot_rt_model_run(m, 0, in, in), INGOT_RT_OK);
  ingot_rt_model_destroy(m);
  char buf[256];
  int sm = -1;
  assert_int_equal(ingot_rt_cuda_probe(0, &sm, buf, sizeof buf), INGOT_RT_ERR_DEVICE);
  assert_int_equal(sm, 0);
  assert_non_null(strstr(buf, want));
  unsetenv("INGOT_CUDA_DRIVER");
  ingot_gpu_destroy(gpu);
}

static void test_no_driver(void **state) {
  (void)state;
  expect_device_error("/nonexistent/libcuda.so.1", "no CUDA driver found");
}

static void test_stub_driver(void **state) {
  (void)state;
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub, R_OK) != 0) {
    printf("SKIP: %s not installed\n", stub);
    return;
  }
  /* the toolkit's link-time stub: every call fails with CUDA_ERROR_STUB_LIBRARY */
  expect_device_error(stub, "cuInit failed");
}

static void test_status_name(void **state) {
  (void)state;
  assert_string_equal(ingot_rt_status_name(INGOT_RT_ERR_DEVICE), "GPU device error");
  ingot_rt_options_t o;
  ingot_rt_options_init(&o);
  assert_int_equal(o.device, 0);
}

static void test_bad_options(void **state) {
  (void)state;
  ingot_gpu_options_t o = gpt_opts("sm_75");
  ingot_gpu_t *gpu = NULL;
  ingot_status_t st = ingot_gpu_create(&o, &gpu);
  assert_non_null(st);
  assert_non_null(strstr(ingot_status_message(st), "sm_80"));
  ingot_status_free(st);
  o = gpt_opts("sm_80");
  o.quantize = INGOT_GPU_QUANT_FP8_E4M3;
  st = ingot_gpu_create(&o, &gpu);
  assert_non_null(st);
  assert_non_null(strstr(ingot_status_message(st), "sm_89"));
  ingot_status_free(st);
  assert_true(ingot_gpu_is_target("sm_90"));
  assert_false(ingot_gpu_is_target("native"));
}

/* With a GPU present, the small model runs and agrees with the emulator. */
static void test_run_on_device(void **state) {
  (void)state;
  int sm = 0;
  char why[256];
  if (!gpt_have_gpu(&sm)) {
    ingot_rt_cuda_probe(0, NULL, why, sizeof why);
    printf("SKIP: no GPU to run on (%s)\n", why);
    return;
  }
  ingot_gpu_t *gpu = compile_small(sm >= 90 ? "sm_90" : "sm_80", true);
  float x[32], y_emu[12], y_dev[12], xo[32];
  cgt_fill(x, 32, 9);
  void *in[1] = {x}, *out_e[2] = {y_emu, xo}, *out_d[2] = {y_dev, xo};
  cgt_ok(ingot_gpu_emulate(gpu, 0, in, out_e));
  const void *p;
  cgt_ok(ingot_gpu_jit(gpu, &p));
  ingot_rt_model_t *m = NULL;
  ingot_rt_status_t s = ingot_rt_model_create(&((const ingot_rt_cuda_desc_t *)p)->base, NULL, NULL, &m);
  if (s) print_error("create: %s\n", ingot_rt_last_error(m));
  assert_int_equal(s, INGOT_RT_OK);
  memset(xo, 0, sizeof xo);
  s = ingot_rt_model_run(m, 0, in, out_d);
  if (s) print_error("run: %s\n", ingot_rt_last_error(m));
  assert_int_equal(s, INGOT_RT_OK);
  for (int i = 0; i < 12; i++) assert_true(fabsf(y_dev[i] - y_emu[i]) <= 1e-3f * (1 + fabsf(y_emu[i])));
  assert_memory_equal(xo, x, sizeof x);
  ingot_rt_model_destroy(m);
  ingot_gpu_destroy(gpu);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_descriptor_layout), cmocka_unit_test(test_no_driver),
      cmocka_unit_test(test_stub_driver),       cmocka_unit_test(test_status_name),
      cmocka_unit_test(test_bad_options),       cmocka_unit_test(test_run_on_device),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
