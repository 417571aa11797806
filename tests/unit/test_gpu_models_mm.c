/* GPU backend end to end: mmdit (sm_90) and the inpainting UNet (sm_80),
 * fp16 tensor cores (see gpu_models.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gpu_models.h"

static void test_mmdit(void **state) {
  (void)state;
  model_case("mmdit", 0, "sm_90", INGOT_GPU_QUANT_NONE, TOL_F16);
}
static void test_unet_inpaint(void **state) {
  (void)state;
  model_case("unet_inpaint", 0, "sm_80", INGOT_GPU_QUANT_NONE, TOL_F16);
}

int main(void) {
  gpu_models_banner();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mmdit),
      cmocka_unit_test(test_unet_inpaint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
