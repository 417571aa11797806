/* Which emitter compiles which op.  Ops missing here (Shape, Size, Range,
 * Constant, ConstantOfShape) are always constant after specialisation and
 * folding; control flow is not compiled. */
#include "codegen/cg.h"

cg_emit_fn cg_emitter_for(ingot_op_t op) {
  switch (op) {
    case INGOT_OP_ADD: case INGOT_OP_SUB: case INGOT_OP_MUL: case INGOT_OP_DIV: case INGOT_OP_POW:
    case INGOT_OP_MOD: case INGOT_OP_MAX: case INGOT_OP_MIN: case INGOT_OP_SUM: case INGOT_OP_MEAN:
    case INGOT_OP_EQUAL: case INGOT_OP_LESS: case INGOT_OP_LESS_OR_EQUAL: case INGOT_OP_GREATER:
    case INGOT_OP_GREATER_OR_EQUAL: case INGOT_OP_AND: case INGOT_OP_OR: case INGOT_OP_XOR: case INGOT_OP_WHERE:
    case INGOT_OP_IDENTITY: case INGOT_OP_NEG: case INGOT_OP_ABS: case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL:
    case INGOT_OP_EXP: case INGOT_OP_LOG: case INGOT_OP_ERF: case INGOT_OP_TANH: case INGOT_OP_SIGMOID:
    case INGOT_OP_RELU: case INGOT_OP_LEAKY_RELU: case INGOT_OP_ELU: case INGOT_OP_SOFTPLUS:
    case INGOT_OP_HARD_SIGMOID: case INGOT_OP_HARD_SWISH: case INGOT_OP_MISH: case INGOT_OP_GELU:
    case INGOT_OP_SIN: case INGOT_OP_COS: case INGOT_OP_FLOOR: case INGOT_OP_CEIL: case INGOT_OP_ROUND:
    case INGOT_OP_SIGN: case INGOT_OP_NOT: case INGOT_OP_ISNAN: case INGOT_OP_CLIP: case INGOT_OP_CAST:
    case INGOT_OP_CAST_LIKE: case INGOT_OP_DROPOUT:
      return cg_emit_elementwise;
    case INGOT_OP_REDUCE_MEAN: case INGOT_OP_REDUCE_SUM: case INGOT_OP_REDUCE_MAX: case INGOT_OP_REDUCE_MIN:
    case INGOT_OP_REDUCE_PROD: case INGOT_OP_REDUCE_SUM_SQUARE: case INGOT_OP_REDUCE_L2: case INGOT_OP_ARGMAX:
      return cg_emit_reduce;
    case INGOT_OP_CUMSUM: return cg_emit_cumsum;
    case INGOT_OP_SOFTMAX: case INGOT_OP_LOG_SOFTMAX: return cg_emit_softmax;
    case INGOT_OP_LAYER_NORM: return cg_emit_layernorm;
    case INGOT_OP_GROUP_NORM: case INGOT_OP_INSTANCE_NORM: return cg_emit_groupnorm;
    case INGOT_OP_BATCH_NORM: return cg_emit_batchnorm;
    case INGOT_OP_MATMUL: return cg_emit_matmul;
    case INGOT_OP_GEMM: return cg_emit_gemm;
    case INGOT_OP_CONV: return cg_emit_conv;
    case INGOT_OP_CONV_TRANSPOSE: return cg_emit_conv_transpose;
    case INGOT_OP_EINSUM: return cg_emit_einsum;
    case INGOT_OP_RESHAPE: case INGOT_OP_FLATTEN: case INGOT_OP_SQUEEZE: case INGOT_OP_UNSQUEEZE:
      return cg_emit_copy;
    case INGOT_OP_TRANSPOSE: return cg_emit_transpose;
    case INGOT_OP_CONCAT: return cg_emit_concat;
    case INGOT_OP_SPLIT: return cg_emit_split;
    case INGOT_OP_SLICE: return cg_emit_slice;
    case INGOT_OP_GATHER: return cg_emit_gather;
    case INGOT_OP_GATHER_ELEMENTS: return cg_emit_gather_elements;
    case INGOT_OP_SCATTER_ND: return cg_emit_scatter_nd;
    case INGOT_OP_EXPAND: return cg_emit_expand;
    case INGOT_OP_TILE: return cg_emit_tile;
    case INGOT_OP_PAD: return cg_emit_pad;
    case INGOT_OP_RESIZE: return cg_emit_resize;
    case INGOT_OP_TRILU: return cg_emit_trilu;
    case INGOT_OP_FUSED: return cg_emit_fused;
    case INGOT_OP_QUANT_ACT: return cg_emit_quant_act;
    case INGOT_OP_QLINEAR: return cg_emit_qlinear;
    case INGOT_OP_QCONV: return cg_emit_qconv;
    default: return NULL;
  }
}
