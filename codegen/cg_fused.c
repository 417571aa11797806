/* Fused nodes (passes/fusion.h, made by passes/fuse.c): one kernel for an
 * anchor and its elementwise epilogue.
 *
 * The kernel's arguments are the fused node's inputs -- the anchor's, then
 * the epilogue's extra inputs -- and its output.  For an anchor op the
 * kernel description is narrowed to what the anchor's own emitter expects
 * (k->n = the anchor node, k->nin = its inputs), k->fusion / k->extra /
 * k->vextra describe the epilogue, and the emitter runs as usual: it stores
 * output 0 through cg_store_out (or cg_store_out_run), which applies the
 * epilogue.  k->vout[0] stays the fused node's output: the stored tensor,
 * whose shape may be a view of the anchor's.
 *
 * An emitter that has not been taught to store through the epilogue would
 * silently drop it.  cg_epilogue marks the code it emits, so that is
 * detected here, and such a kernel is made correct the slow way: it runs
 * as one work item (the anchor over its whole range, begin/end replaced by
 * 0/work), then applies the epilogue to the whole output in place.
 *
 * Without an anchor the kernel is the epilogue over every output element
 * (cg_epilogue_emit_all). */
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "passes/fusion.h"

ingot_status_t cg_emit_fused(cg_t *cg, cg_kernel_t *k) {
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->n->pass_data;
  if (!f) return cg_error(cg, k, INGOT_CODE_INTERNAL, "fused node without a fusion descriptor");
  uint32_t na = f->anchor_ninputs;
  if (na + f->nextra != k->nin || k->nout != 1 || !k->vout[0])
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "fused node has %u inputs / %u outputs, its descriptor %u + %u / 1",
                    k->nin, k->nout, na, f->nextra);
  for (uint32_t e = 0; e < f->nextra; e++) {
    k->extra[e] = k->in[na + e];
    k->vextra[e] = k->vin[na + e];
    if (!k->extra[e] || !k->vextra[e]) return cg_error(cg, k, INGOT_CODE_INTERNAL, "extra input %u is missing", e);
  }
  for (uint32_t s = 0; s < f->nsteps; s++)
    for (int j = 0; j < f->steps[s].nargs && j < 3; j++)
      if (f->steps[s].args[j].kind == INGOT_FUSE_INPUT && (uint32_t)f->steps[s].args[j].index >= f->nextra)
        return cg_error(cg, k, INGOT_CODE_INTERNAL, "epilogue step %u reads a missing input", s);
  k->fusion = f;
  if (f->anchor_op == INGOT_ANCHOR_NONE) {
    k->nin = 0;
    ingot_status_t st = cg_epilogue_emit_all(cg, k);
    cg_epilogue_take_marks(cg);
    return st;
  }
  cg_emit_fn emit = f->anchor_op == INGOT_ANCHOR_ATTENTION ? cg_emit_attention
                    : f->anchor_op >= 0                     ? cg_emitter_for((ingot_op_t)f->anchor_op)
                                                            : NULL;
  if (!emit || f->anchor_op == INGOT_OP_FUSED)
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "fused node with anchor op %d has no emitter", f->anchor_op);
  const ingot_node_t *fused = k->n;
  k->n = &f->anchor;
  k->nin = na;
  for (uint32_t i = na; i < CG_MAX_IO; i++) {
    k->in[i] = NULL;
    k->vin[i] = NULL;
  }
  LLVMValueRef begin = k->begin, end = k->end;
  ingot_status_t st = emit(cg, k);
  k->n = fused;
  if (st) return st;
  bool applied = cg_epilogue_take_marks(cg);
  int64_t E = 1;
  for (int d = 0; d < k->vout[0]->type.rank; d++) E *= k->vout[0]->type.dims[d].v;
  if (!applied && f->nsteps > 0) {
    /* the anchor stored without the epilogue: run it as one item, then
     * apply the epilogue in place */
    int64_t work = k->work < 1 ? 1 : k->work;
    LLVMReplaceAllUsesWith(begin, cg_i64(cg, 0));
    LLVMReplaceAllUsesWith(end, cg_i64(cg, work));
    cg_store_out_run(cg, k, cg_i64(cg, 0), E, k->out[0], k->vout[0]->type.dtype, cg_i64(cg, 0));
    cg_epilogue_take_marks(cg);
    k->work = 1;
  }
  k->flops += (double)f->nsteps * (double)E;
  for (uint32_t e = 0; e < f->nextra; e++) {
    int64_t n = 1;
    for (int d = 0; d < k->vextra[e]->type.rank; d++) n *= k->vextra[e]->type.dims[d].v;
    k->bytes += (double)n * (double)ingot_dtype_size(k->vextra[e]->type.dtype);
  }
  return INGOT_OK;
}
