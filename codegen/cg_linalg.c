/* placeholder: replaced by the real emitters */
#include "codegen/cg.h"
ingot_status_t cg_emit_matmul(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_gemm(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_conv(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_conv_transpose(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_einsum(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
