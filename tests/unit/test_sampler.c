/* Tests for codegen/sampler: the schedule tables (each DDIM step is exact
 * when the model predicts the true noise; Euler's sigmas telescope) and the
 * model analysis behind `ingot compile --sampler` on the bundled models.
 * The generated NAME_sample loop itself is checked end to end against
 * examples/dit-sample's step-by-step loop in tests/e2e/apps.sh. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codegen/sampler.h"
#include "frontend/onnx_import.h"
#include "ir/infer.h"
#include "passes/pass.h"

static double alpha_bar(int t) {
  double p = 1.0;
  for (int i = 0; i <= t; i++) p *= 1.0 - (1e-4 + (0.02 - 1e-4) * i / 999.0);
  return p;
}

static void test_ddim_exact_for_true_noise(void **state) {
  (void)state;
  static const int steps_list[] = {1, 2, 7, 50, 1000};
  for (size_t n = 0; n < sizeof steps_list / sizeof *steps_list; n++) {
    ingot_sampler_schedule_t s;
    assert_null(ingot_sampler_schedule(INGOT_SAMPLER_DDIM, steps_list[n], &s));
    assert_int_equal(s.steps, steps_list[n]);
    assert_true(s.t[0] == 999.0f && s.t[s.steps - 1] == (s.steps == 1 ? 999.0f : 0.0f));
    assert_true(s.x_scale == 1.0f);
    /* x_t = sqrt(ab) x0 + sqrt(1-ab) e  ->  a x_t + b e = sqrt(ab') x0 + sqrt(1-ab') e */
    const double x0 = 0.7, e = -1.3;
    for (int i = 0; i < s.steps; i++) {
      if (i) assert_true(s.t[i] < s.t[i - 1]);
      double ab = alpha_bar((int)s.t[i]), abn = i + 1 < s.steps ? alpha_bar((int)s.t[i + 1]) : 1.0;
      double xt = sqrt(ab) * x0 + sqrt(1 - ab) * e;
      double got = (double)s.a[i] * xt + (double)s.b[i] * e, want = sqrt(abn) * x0 + sqrt(1 - abn) * e;
      assert_true(fabs(got - want) <= 1e-5 * (fabs(xt) + 1) * (double)s.a[i]);
      assert_true(s.c_in[i] == 1.0f);
    }
    ingot_sampler_schedule_free(&s);
  }
}

static void test_euler_sigmas(void **state) {
  (void)state;
  ingot_sampler_schedule_t s;
  assert_null(ingot_sampler_schedule(INGOT_SAMPLER_EULER, 20, &s));
  double sigma0 = sqrt((1 - alpha_bar(999)) / alpha_bar(999)), sum = 0;
  assert_true(fabs(s.x_scale - sqrt(sigma0 * sigma0 + 1)) < 1e-3);
  assert_true(fabs((double)s.x_scale * s.c_in[0] - 1.0) < 1e-6); /* the model sees unit-variance input first */
  for (int i = 0; i < s.steps; i++) {
    assert_true(s.a[i] == 1.0f);
    assert_true(s.b[i] < 0); /* sigma decreases */
    assert_true(s.c_in[i] > 0 && s.c_in[i] <= 1);
    sum += s.b[i];
  }
  assert_true(fabs(sum + sigma0) < 1e-3 * sigma0); /* steps telescope from sigma_0 to 0 */
  ingot_sampler_schedule_free(&s);
}

static void test_schedule_errors(void **state) {
  (void)state;
  ingot_sampler_schedule_t s;
  ingot_status_t st = ingot_sampler_schedule(INGOT_SAMPLER_DDIM, 0, &s);
  assert_non_null(st);
  assert_non_null(strstr(ingot_status_message(st), "--steps"));
  ingot_status_free(st);
  st = ingot_sampler_schedule(INGOT_SAMPLER_EULER, 1001, &s);
  assert_non_null(st);
  ingot_status_free(st);
  st = ingot_sampler_schedule(INGOT_SAMPLER_NONE, 10, &s);
  assert_non_null(st);
  ingot_status_free(st);
}

static ingot_graph_t *load(const char *model, int64_t batch) {
  const char *root = getenv("INGOT_ROOT");
  char path[1024];
  snprintf(path, sizeof path, "%s/models/%s/model.onnx", root ? root : ".", model);
  ingot_graph_t *g = NULL;
  ingot_status_t st = ingot_import_onnx(path, &g);
  if (!st) st = ingot_infer_shapes(g);
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  pc.batch = batch;
  if (!st) st = ingot_run_pipeline(g, &pc);
  if (st) print_error("%s: %s\n", path, ingot_status_message(st));
  assert_null(st);
  return g;
}

static void test_plan_dit(void **state) {
  (void)state;
  ingot_graph_t *g = load("dit", 0);
  ingot_sampler_opts_t o = {INGOT_SAMPLER_DDIM, 20, 4.0, -1};
  ingot_sampler_plan_t p;
  assert_null(ingot_sampler_plan(g, &o, &p));
  assert_int_equal(p.batch, 1);
  assert_int_equal(p.latent_numel, 4 * 16 * 16);
  assert_int_equal(p.out_row_numel, 8 * 16 * 16); /* eps + learned sigma */
  assert_int_equal(p.ncond, 1);
  assert_int_equal(p.cond_dtype[0], INGOT_DT_INT64);
  assert_string_equal(p.cond_name[0], "y");
  assert_int_equal(p.o.null_class, 10); /* nn.Embedding(11, 64): the last row */
  o.null_class = 3;                     /* an explicit --null-class wins */
  assert_null(ingot_sampler_plan(g, &o, &p));
  assert_int_equal(p.o.null_class, 3);
  o.guidance = NAN;
  ingot_status_t st = ingot_sampler_plan(g, &o, &p);
  assert_non_null(st);
  ingot_status_free(st);
  ingot_graph_free(g);
}

static void test_plan_mmdit_and_dynamic(void **state) {
  (void)state;
  ingot_sampler_opts_t o = {INGOT_SAMPLER_EULER, 8, 2.0, -1};
  ingot_sampler_plan_t p;
  ingot_graph_t *g = load("mmdit", 0);
  assert_null(ingot_sampler_plan(g, &o, &p));
  assert_int_equal(p.ncond, 2); /* context and pooled y: float, zeros unconditional */
  assert_int_equal(p.cond_dtype[0], INGOT_DT_FLOAT);
  assert_int_equal(p.cond_row_numel[0], 8 * 32);
  assert_int_equal(p.cond_row_numel[1], 32);
  ingot_graph_free(g);
  g = load("dit_dynamic", 4); /* a symbolic batch bound to 4: two samples per call */
  assert_null(ingot_sampler_plan(g, &o, &p));
  assert_int_equal(p.batch, 2);
  ingot_graph_free(g);
  g = load("dit_variant", 0); /* batch 3 cannot hold cond + uncond pairs */
  ingot_status_t st = ingot_sampler_plan(g, &o, &p);
  assert_non_null(st);
  assert_int_equal(ingot_status_code(st), INGOT_CODE_UNSUPPORTED);
  assert_non_null(strstr(ingot_status_message(st), "even batch"));
  ingot_status_free(st);
  ingot_graph_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ddim_exact_for_true_noise), cmocka_unit_test(test_euler_sigmas),
      cmocka_unit_test(test_schedule_errors),           cmocka_unit_test(test_plan_dit),
      cmocka_unit_test(test_plan_mmdit_and_dynamic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
