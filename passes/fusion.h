/* Fused nodes: what passes/fuse.c builds and codegen/cg_fused.c compiles.
 *
 * A fused node (op INGOT_OP_FUSED, pass_data -> ingot_fusion_t) is an
 * optional ANCHOR (a MatMul, Gemm, Conv, LayerNormalization,
 * InstanceNormalization, GroupNormalization, Softmax... whose emitter
 * supports epilogues, or the special ATTENTION anchor) followed by an
 * EPILOGUE: a small elementwise DAG applied to every element of the
 * anchor's output, in flat (C order) output index space, so view ops
 * (Reshape, Squeeze, Unsqueeze, Flatten) between the anchor and the
 * epilogue are absorbed.
 *
 * Inputs of the fused node: first the anchor's inputs (anchor_ninputs of
 * them, in the anchor node's order), then the epilogue's extra inputs
 * (bias, residual, gate, ...), each broadcast (numpy rules) against the
 * fused node's output shape.  Output 0 is the epilogue's result (or the
 * anchor's output when the epilogue is empty).
 *
 * The epilogue is SSA: steps[i] computes register i from operands that are
 * the anchor's value (ACC), an extra input (INPUT, by position among the
 * extra inputs), an earlier register (REG) or a float constant (CONST).
 * The result is the last register. */
#ifndef INGOT_FUSION_H
#define INGOT_FUSION_H

#include "ir/ir.h"

typedef enum {
  INGOT_FUSE_ACC = 0,   /* the anchor's output element (or, with no anchor, unused) */
  INGOT_FUSE_INPUT = 1, /* extra input #index, broadcast to the output shape */
  INGOT_FUSE_REG = 2,   /* an earlier step's result */
  INGOT_FUSE_CONST = 3, /* value */
} ingot_fuse_operand_kind_t;

typedef struct {
  int32_t kind; /* ingot_fuse_operand_kind_t */
  int32_t index;
  float value;
} ingot_fuse_operand_t;

typedef struct {
  int32_t op; /* an elementwise ingot_op_t (Add, Mul, Tanh, Sigmoid, Pow, Div, Sqrt, Erf, ...) */
  int32_t nargs;
  ingot_fuse_operand_t args[3];
  const ingot_node_t *src; /* the original node, for attributes (LeakyRelu alpha, Clip bounds, Gelu mode) */
} ingot_fuse_step_t;

typedef enum {
  INGOT_ANCHOR_NONE = -1,      /* a pure elementwise DAG over the extra inputs */
  INGOT_ANCHOR_ATTENTION = -2, /* softmax(scale * Q K^T [+ mask]) V, flash style (see cg_attention.c) */
} ingot_anchor_special_t;

#define INGOT_ATTN_MAX_BATCH 4

/* Where element (b0.., r, c) of a logical attention operand lies in the tensor the fused node
 * reads (or writes): off + sum b_k * batch[k] + r * row + c * col elements. */
typedef struct {
  int64_t off;
  int64_t batch[INGOT_ATTN_MAX_BATCH];
  int64_t row, col;
} ingot_attn_view_t;

typedef struct ingot_fusion_s_ {
  int32_t anchor_op;      /* an ingot_op_t, or ingot_anchor_special_t */
  ingot_node_t anchor;    /* copy of the anchor node (its attributes; inputs/outputs renumbered to
                             the fused node's value indices) */
  uint32_t anchor_ninputs;
  ingot_type_t anchor_type; /* type of the anchor's own output (before views) */
  /* ATTENTION: inputs are Q [.., N, D], K (k_transposed: [.., D, M], else [.., M, D]), V [.., M, Dv] */
  int32_t k_transposed;
  float attn_scale;       /* applied to Q K^T */
  /* ATTENTION: the operands' shapes (attn_batch, N, M, D, Dv) and layouts, filled by the pass
   * (attn_views = 1).  Each is a dense tensor of its own, or -- where the pass absorbed the data
   * movement around the core -- a strided view of the tensor before it (heads of a packed QKV
   * projection) or after it (the heads transposed back), which the fused node then reads or
   * writes instead. */
  int32_t attn_views;
  int32_t attn_nbatch;                         /* leading (batch, head) dims of the logical operands */
  int64_t attn_batch[INGOT_ATTN_MAX_BATCH];
  int64_t attn_n, attn_m, attn_d, attn_dv;
  ingot_attn_view_t attn_view[4];              /* Q (i, d), K (j, d), V (j, c), output (i, c) */
  uint32_t nsteps;
  ingot_fuse_step_t *steps;
  uint32_t nextra;        /* extra inputs = fused node inputs [anchor_ninputs, anchor_ninputs + nextra) */
  const char *desc;       /* "MatMul+Add+Mul+Add" for --report */
} ingot_fusion_t;

#endif
