/* placeholder: replaced by the real emitters */
#include "codegen/cg.h"
ingot_status_t cg_emit_elementwise(cg_t *cg, cg_kernel_t *k) { return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "no CPU code generator yet"); }
