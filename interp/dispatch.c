#include "interp/interp.h"

static const ingot_kernel_fn kernels[INGOT_OP_COUNT_] = {
#define OP(e, name, mi, xi, mo, xo, attrs) [INGOT_OP_##e] = ingot_kernel_##e,
#include "ir/ops.def"
#undef OP
};

ingot_kernel_fn ingot_interp_kernel(ingot_op_t op) {
  return (unsigned)op < INGOT_OP_COUNT_ ? kernels[op] : NULL;
}
