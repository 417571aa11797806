/* GPU backend end to end: dit and its variants (see gpu_models.h): fp16
 * tensor cores on sm_80, fp8 e4m3 on sm_90, the symbolic-batch export as a
 * two-bucket artifact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gpu_models.h"

static void test_dit(void **state) {
  (void)state;
  model_case("dit", 0, "sm_80", INGOT_GPU_QUANT_NONE, TOL_F16);
}
static void test_dit_fp8(void **state) {
  (void)state;
  model_case("dit", 0, "sm_90", INGOT_GPU_QUANT_FP8_E4M3, TOL_FP8);
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
  gpu_models_banner();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dit),
      cmocka_unit_test(test_dit_fp8),
      cmocka_unit_test(test_dit_variant),
      cmocka_unit_test(test_dit_dynamic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
