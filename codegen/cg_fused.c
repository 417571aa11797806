/* placeholder: fused nodes are compiled once passes/fuse.c exists */
#include "codegen/cg.h"
ingot_status_t cg_emit_fused(cg_t *cg, cg_kernel_t *k) {
  return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "fused nodes are not compiled yet");
}
