/* placeholder: replaced by the real emitters */
#include "codegen/cg.h"
ingot_status_t cg_emit_copy(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_transpose(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_concat(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_split(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_slice(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_gather(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_gather_elements(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_scatter_nd(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_expand(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_tile(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_pad(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_resize(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
ingot_status_t cg_emit_trilu(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
