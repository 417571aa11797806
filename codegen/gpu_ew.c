/* Elementwise kernels for the GPU backend: one thread per output element.
 *
 * The CPU elementwise emitters hand each work item thousands of elements
 * (EPI_CHUNK, rows), which on a GPU means a handful of threads doing all the
 * work.  Here every element is its own thread: the anchor-less fused chains
 * of passes/fusion.h (GELU, SiLU, gated residuals... already one DAG) are
 * evaluated by the epilogue machinery (cg_epilogue: broadcast offsets from
 * the flat index, the elementwise emitter's scalar math), and a plain float
 * elementwise node becomes a one-step chain of the same kind. */
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/gpu_impl.h"
#include "passes/fusion.h"

#define EW_BLOCK 256

static bool f32s(const ingot_graph_t *g, int32_t v) {
  return v >= 0 && g->values[v].type.dtype == INGOT_DT_FLOAT && ingot_type_is_static(&g->values[v].type);
}

/* Float elementwise ops cg_ew_scalar_f32 computes, up to three operands. */
static bool plain_op(int op) {
  switch (op) {
    case INGOT_OP_ADD: case INGOT_OP_SUB: case INGOT_OP_MUL: case INGOT_OP_DIV: case INGOT_OP_POW:
    case INGOT_OP_MAX: case INGOT_OP_MIN: case INGOT_OP_SUM: case INGOT_OP_MEAN: case INGOT_OP_NEG:
    case INGOT_OP_ABS: case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL: case INGOT_OP_EXP: case INGOT_OP_LOG:
    case INGOT_OP_ERF: case INGOT_OP_TANH: case INGOT_OP_SIGMOID: case INGOT_OP_RELU: case INGOT_OP_LEAKY_RELU:
    case INGOT_OP_ELU: case INGOT_OP_SOFTPLUS: case INGOT_OP_HARD_SIGMOID: case INGOT_OP_HARD_SWISH:
    case INGOT_OP_MISH: case INGOT_OP_GELU: case INGOT_OP_SIN: case INGOT_OP_COS: case INGOT_OP_FLOOR:
    case INGOT_OP_CEIL: case INGOT_OP_ROUND: case INGOT_OP_IDENTITY:
      return true;
    default: return false;
  }
}

bool gpu_elementwise_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node) {
  const ingot_node_t *n = &g->nodes[node];
  if (n->noutputs != 1 || !f32s(g, n->outputs[0])) return false;
  int64_t E = 1;
  for (int d = 0; d < g->values[n->outputs[0]].type.rank; d++) E *= g->values[n->outputs[0]].type.dims[d].v;
  if (E < 1 || (E + EW_BLOCK - 1) / EW_BLOCK > 0x7fffffff) return false;
  if (n->op == INGOT_OP_FUSED) {
    const ingot_fusion_t *f = (const ingot_fusion_t *)n->pass_data;
    if (!f || f->anchor_op != INGOT_ANCHOR_NONE || f->nsteps < 1) return false;
  } else if (!plain_op(n->op) || n->ninputs < 1 || n->ninputs > 3) {
    return false;
  }
  for (uint32_t i = 0; i < n->ninputs; i++)
    if (!f32s(g, n->inputs[i])) return false;
  return true;
}

ingot_status_t gpu_emit_elementwise(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L) {
  cg_t *c = &gpu->c;
  ingot_fusion_t one;
  ingot_fuse_step_t step;
  if (k->n->op == INGOT_OP_FUSED) {
    const ingot_node_t *anchor;
    INGOT_RETURN_IF_ERROR(gpu_narrow_fused(c, k, &anchor));
  } else {
    /* the node as a one-step anchor-less chain over its inputs */
    memset(&one, 0, sizeof one);
    memset(&step, 0, sizeof step);
    step.op = k->n->op;
    step.nargs = (int32_t)k->nin;
    step.src = k->n;
    for (uint32_t i = 0; i < k->nin; i++) step.args[i] = (ingot_fuse_operand_t){INGOT_FUSE_INPUT, (int32_t)i, 0};
    one.anchor_op = INGOT_ANCHOR_NONE;
    one.nsteps = 1;
    one.steps = &step;
    one.nextra = k->nin;
    one.desc = ingot_op_name((ingot_op_t)k->n->op);
    for (uint32_t i = 0; i < k->nin; i++) {
      k->extra[i] = k->in[i];
      k->vextra[i] = k->vin[i];
    }
    k->fusion = &one;
    k->nin = 0;
  }
  int64_t E = 1;
  for (int d = 0; d < k->vout[0]->type.rank; d++) E *= k->vout[0]->type.dims[d].v;
  LLVMValueRef gid = LLVMBuildAdd(
      c->b, LLVMBuildMul(c->b, LLVMBuildZExt(c->b, gpu_sreg(c, "ctaid.x"), c->t_i64, ""), cg_i64(c, EW_BLOCK), ""),
      LLVMBuildZExt(c->b, gpu_sreg(c, "tid.x"), c->t_i64, ""), "");
  cg_if_t ci;
  cg_if_begin(c, &ci, LLVMBuildICmp(c->b, LLVMIntULT, gid, cg_i64(c, E), ""));
  LLVMValueRef v = cg_epilogue(c, k, LLVMConstReal(c->t_f32, 0), gid);
  cg_store_f32(c, k->vout[0]->type.dtype, k->out[0], gid, v);
  cg_if_end(c, &ci);
  cg_epilogue_take_marks(c);
  double bytes = 4.0 * (double)E;
  for (uint32_t e = 0; e < k->fusion->nextra; e++) {
    int64_t n = 1;
    for (int d = 0; d < k->vextra[e]->type.rank; d++) n *= k->vextra[e]->type.dims[d].v;
    bytes += 4.0 * (double)n;
  }
  L->grid[0] = (uint32_t)((E + EW_BLOCK - 1) / EW_BLOCK);
  L->grid[1] = L->grid[2] = 1;
  L->block[0] = EW_BLOCK;
  L->block[1] = L->block[2] = 1;
  L->kind = "elementwise";
  L->flops = (double)E * (double)k->fusion->nsteps;
  L->bytes = bytes;
  L->peak_tflops = gpu->arch->fp32_tflops;
  L->regs_est = 32;
  snprintf(L->tiles, sizeof L->tiles, "%lld elements, 1 per thread: %s", (long long)E,
           k->fusion->desc ? k->fusion->desc : "chain");
  k->fusion = k->n->op == INGOT_OP_FUSED ? k->fusion : NULL; /* `one` dies here */
  return INGOT_OK;
}
