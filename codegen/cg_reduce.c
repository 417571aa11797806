/* placeholder: replaced by the real emitters */
#include "codegen/cg.h"
ingot_status_t cg_emit_reduce(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_cumsum(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_softmax(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_layernorm(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_groupnorm(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_batchnorm(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
