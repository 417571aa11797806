/* Control flow (If, Loop, Scan): the importer parses and verifies their
 * subgraphs, but the reference evaluator does not execute them; the
 * diffusion models ingot targets have none once torch's export is done. */
#include "interp/interp.h"

ingot_status_t ingot_kernel_IF(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                               ingot_tensor_t *out, uint32_t nout) {
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "control flow op is not executed by the evaluator (If)");
}

ingot_status_t ingot_kernel_LOOP(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "control flow op is not executed by the evaluator (Loop)");
}

ingot_status_t ingot_kernel_SCAN(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "control flow op is not executed by the evaluator (Scan)");
}
